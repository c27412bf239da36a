#!/usr/bin/env bash
# run.sh BUILD [GATEWAY FLAGS]: start a private redis-server under var/, the gateway and the
# worker in the foreground. Keys are created in var/data on first run. Ctrl-C (or SIGTERM)
# stops all three.
# JUBAO_VAR moves var/ elsewhere; JUBAO_REDIS_PORT, JUBAO_LISTEN, JUBAO_METRICS_LISTEN and
# JUBAO_DATA_DIR as usual.
set -euo pipefail
build=${1:-build}
shift || true
cd "$(dirname "$0")/.."
var=${JUBAO_VAR:-$PWD/var}
mkdir -p "$var/redis" "$var/data"
redis_port=${JUBAO_REDIS_PORT:-6380}
export JUBAO_REDIS=127.0.0.1:$redis_port
export JUBAO_DATA_DIR=${JUBAO_DATA_DIR:-$var/data}
export JUBAO_LISTEN=${JUBAO_LISTEN:-127.0.0.1:8080}

redis-server deploy/redis.conf --port "$redis_port" --dir "$var/redis" \
  --logfile "$var/redis/redis.log" --daemonize no &
redis_pid=$!
trap 'kill $redis_pid 2>/dev/null; wait $redis_pid 2>/dev/null' EXIT
for _ in $(seq 50); do
  redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
  sleep 0.1
done

"$build/jubao-admin" init
echo "jubao: redis on 127.0.0.1:$redis_port (data in $var/redis), gateway on http://$JUBAO_LISTEN (/metrics on metrics_listen, 127.0.0.1:9464 unless set)"
echo "jubao: create a platform key with: JUBAO_REDIS=$JUBAO_REDIS JUBAO_DATA_DIR=$JUBAO_DATA_DIR $build/jubao-admin apikey create NAME"
echo "jubao: add a reviewer with: JUBAO_REDIS=$JUBAO_REDIS $build/jubao-admin reviewer add NAME [--role supervisor] (password on stdin)"
"$build/jubao-gateway" "$@" &
gw_pid=$!
"$build/jubao-worker" &
wk_pid=$!
# Stop the gateway first (it finishes what is in flight), then the worker (it finishes its
# batch), then Redis; exit with the gateway's status, which is 0 after a clean stop.
stop() {
  trap - INT TERM EXIT
  kill -TERM "$gw_pid" 2>/dev/null || true
  rc=0; wait "$gw_pid" || rc=$?
  kill -TERM "$wk_pid" 2>/dev/null || true
  wait "$wk_pid" || rc=$((rc ? rc : $?))
  kill -TERM "$redis_pid" 2>/dev/null || true
  wait "$redis_pid" 2>/dev/null || true
  exit "$rc"
}
trap stop INT TERM EXIT
wait "$gw_pid"
