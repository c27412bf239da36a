#!/usr/bin/env bash
# run.sh BUILD: start a private redis-server under var/ and the gateway in the foreground.
# Keys are created in var/data on first run. Ctrl-C stops both.
set -euo pipefail
build=${1:-build}
cd "$(dirname "$0")/.."
mkdir -p var/redis var/data
redis_port=${JUBAO_REDIS_PORT:-6380}
export JUBAO_REDIS=${JUBAO_REDIS:-127.0.0.1:$redis_port}
export JUBAO_DATA_DIR=${JUBAO_DATA_DIR:-$PWD/var/data}
export JUBAO_LISTEN=${JUBAO_LISTEN:-127.0.0.1:8080}

redis-server deploy/redis.conf --port "$redis_port" --dir "$PWD/var/redis" \
  --logfile "$PWD/var/redis/redis.log" --daemonize no &
redis_pid=$!
trap 'kill $redis_pid 2>/dev/null; wait $redis_pid 2>/dev/null' EXIT
for _ in $(seq 50); do
  redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
  sleep 0.1
done

"$build/jubao-admin" init
echo "jubao: redis on 127.0.0.1:$redis_port (data in var/redis), gateway on http://$JUBAO_LISTEN"
echo "jubao: create a platform key with: JUBAO_REDIS=$JUBAO_REDIS JUBAO_DATA_DIR=$JUBAO_DATA_DIR $build/jubao-admin apikey create NAME"
"$build/jubao-gateway" "$@" &
gw_pid=$!
trap 'kill $gw_pid 2>/dev/null; wait $gw_pid 2>/dev/null; kill $redis_pid 2>/dev/null; wait $redis_pid 2>/dev/null' EXIT INT TERM
wait $gw_pid
