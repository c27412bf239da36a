#!/usr/bin/env bash
# bench/run.sh BUILD — jubao's load benchmark (`make bench`; results in docs/BENCHMARKS.md).
#
# In one run, on loopback only, with private processes in a temp dir that are all stopped on
# any exit:
#   1. a Redis (deploy/redis.conf: AOF, appendfsync always) + the gateway (rate limits off),
#      and nginx answering the same URL with a canned 202 after reading and discarding the body;
#   2. wrk -t2 -c50 -d20s --latency with bench/report.lua (~1 KB reports, every URL new) on
#      the gateway, then on nginx, each after a short warm-up; any non-202 of the gateway fails
#      the run;
#   3. redis-benchmark on the gateway's own two calls of a report (one report sent through the
#      gateway under redis-cli MONITOR: its FCALL jb_admit and FCALL jb_report, with what makes
#      a report and a case new randomized by bench/fcall.py), on a second fresh Redis with the
#      same settings, at the same concurrency: each call on its own, one after the other
#      (redis-benchmark sends one command; two of them at once would not keep the calls one to
#      one). Redis runs one command at a time, so a report costs it the time of both calls and
#      the pair's rate is 1/(1/a + 1/b): the gateway's target is >= 80% of that. Redis's time
#      per call (INFO commandstats' usec_per_call, issue 11's target <= 25 us for jb_report) and
#      the Redis process's CPU per call (/proc, its fsync thread and the kernel included);
#   4. the cluster case (bench/cluster.sh): one gateway and one jubao-worker on one Redis, then
#      on a 3-primary, 3-replica Redis Cluster on loopback (redis_shards = 16,
#      redis_replica_acks = 1), wrk as in 2: reports/s, p50/p99, and CPU per report of every
#      process (gateway, worker, each primary and replica) from /proc/<pid>/stat;
#   5. a table of requests/s and p50/p99, the ratios, and PASS/MISS against the targets.
# Exit status: 0 whether targets are met or not; non-zero when something broke.
#
# Knobs (environment):
#   JB_BENCH_GATEWAY="threads=4 store_threads=2"   gateway settings (name=value, spaces)
#   JB_BENCH_GATEWAY_CONF=FILE    a gateway config file (-c); JB_BENCH_GATEWAY adds to it
#   JB_BENCH_DURATION=20s  JB_BENCH_WARMUP=5s  JB_BENCH_CONNECTIONS=50  JB_BENCH_WRK_THREADS=2
#   JB_BENCH_ONLY=all|gateway|nginx|redis|cluster  run only some of the measurements
#   JB_BENCH_TRIES=3       measure again when other processes took >50% of a core meanwhile
#   JB_BENCH_QUIET_WAIT=120   seconds to wait for the machine to be 90% idle before a measurement
#   JB_BENCH_CLUSTER_ROUNDS=2   rounds of the cluster case (single and cluster in turns; best kept)
#   JB_BENCH_PROFILE=1     after the measured gateway run, another run under perf record -g
#   JB_BENCH_STAGES=0      skip bench/stages.c (the gateway's CPU per report, stage by stage)
#   JB_BENCH_KEEP=1        keep the temp dir (logs, wrk outputs, perf data)
#   JB_BENCH_REDIS_ARGS="--appendfsync no"   extra redis-server options: diagnosis only, the
#                          benchmark's numbers are with deploy/redis.conf as it is
set -euo pipefail

build=${1:-build}
cd "$(dirname "$0")/.."
root=$PWD
build=$(cd "$build" && pwd)

duration=${JB_BENCH_DURATION:-20s}
warmup=${JB_BENCH_WARMUP:-5s}
conns=${JB_BENCH_CONNECTIONS:-50}
wrk_threads=${JB_BENCH_WRK_THREADS:-2}
only=${JB_BENCH_ONLY:-all}
profile=${JB_BENCH_PROFILE:-0}

# Targets (from the issue).
target_vs_nginx=50      # gateway requests/s, % of nginx's
target_p99_ms=10        # gateway p99 at $conns connections
target_vs_redis=80      # gateway requests/s, % of redis-benchmark's on the same two calls
target_redis_us=25      # Redis usec_per_call of jb_report under redis-benchmark (issue 11)

say() { printf '%s\n' "bench: $*" >&2; }
warn() { say "WARNING: $*"; printf '%s\n' "WARNING: $*" >>"$tmp/warnings"; }
die() { printf '%s\n' "bench: FAILED: $*" >&2; exit 1; }

for tool in wrk nginx redis-server redis-cli redis-benchmark curl; do
  command -v "$tool" >/dev/null || die "$tool is missing (run deploy/bootstrap.sh bench)"
done
if [ ! -x "$build/jubao-gateway" ] || [ ! -x "$build/jubao-admin" ]; then
  die "no programs in $build (make all)"
fi
case $only in all|gateway|nginx|redis|cluster) ;; *) die "JB_BENCH_ONLY=$only: all, gateway, nginx, redis or cluster" ;; esac
want() { [ "$only" = all ] || [ "$only" = "$1" ]; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-jubao.XXXXXX")
pids=()

stop_pid() {  # stop_pid PID: TERM, wait up to 5 s, then KILL
  local pid=$1 i
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$? i
  trap - EXIT INT TERM
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    stop_pid "${pids[i]}"
  done
  if [ "${JB_BENCH_KEEP:-0}" = 1 ]; then
    say "kept $tmp"
  else
    rm -rf "$tmp"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'say "error: line $LINENO: $BASH_COMMAND"' ERR
trap 'exit 130' INT
trap 'exit 143' TERM

# A free loopback TCP port, never 80/6379/8080, not one already handed out in this run.
used_ports=" 80 6379 8080 "
free_port() {
  local p i
  for i in $(seq 200); do
    p=$((20000 + RANDOM % 40000))
    case $used_ports in *" $p "*) continue ;; esac
    if command -v ss >/dev/null; then
      [ -z "$(ss -Htan "( sport = :$p or dport = :$p )" 2>/dev/null)" ] || continue
    fi
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && continue
    used_ports+="$p "
    echo "$p"
    return 0
  done
  die "no free port"
}

wait_until() {  # wait_until SECONDS DESCRIPTION COMMAND...: polls every 0.1 s
  local secs=$1 what=$2 i
  shift 2
  for i in $(seq $((secs * 10))); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  die "$what did not come up"
}

alive() {  # alive PID NAME LOG: fails loudly when the process died under us
  kill -0 "$1" 2>/dev/null && return 0
  [ -f "$3" ] && tail -n 20 "$3" >&2
  die "$2 (pid $1) is not running any more"
}

start_redis() {  # start_redis PORT DIR: sets redis_pid
  mkdir -p "$2"
  # shellcheck disable=SC2086 # JB_BENCH_REDIS_ARGS: extra options, for diagnosis only
  redis-server "$root/deploy/redis.conf" --port "$1" --dir "$2" --logfile "$2/redis.log" \
    --daemonize no ${JB_BENCH_REDIS_ARGS:-} >/dev/null 2>&1 &
  redis_pid=$!
  pids+=("$redis_pid")
  wait_until 10 "redis-server on port $1" redis-cli -p "$1" ping
  alive "$redis_pid" "redis-server on port $1" "$2/redis.log"
}

# ---- CPU accounting: which process used how much of the 2 cores --------------------------

ticks=$(getconf CLK_TCK)
proc_ticks() {  # proc_ticks PID: CPU of the process (all threads) and of its reaped children
  # (for Redis: its AOF rewrite children)
  awk '{ sub(/^.*\) /, ""); print $12 + $13 + $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0
}
thread_ticks() {  # thread_ticks PID: "tid comm ticks" per thread
  local t
  for t in /proc/"$1"/task/*; do
    awk -v tid="${t##*/}" '{ c = $0; sub(/^[^(]*\(/, "", c); sub(/\).*$/, "", c);
      sub(/^.*\) /, ""); print tid, c, $12 + $13 }' "$t/stat" 2>/dev/null || true
  done
}
sys_ticks() { awk '/^cpu /{ print $2+$3+$4+$5+$6+$7+$8+$9, $5, $6 }' /proc/stat; }  # total idle iowait

# cpu_sample NAME SECONDS PID...: prints the CPU each process used, in % of one core, over
# SECONDS, and the per-thread split of the first one.
cpu_sample() {
  local name=$1 secs=$2
  shift 2
  local -a a b
  local p s0 s1 t0 t1
  for p in "$@"; do a+=("$(proc_ticks "$p")"); done
  t0=$(thread_ticks "$1")
  s0=$(sys_ticks)
  sleep "$secs"
  for p in "$@"; do b+=("$(proc_ticks "$p")"); done
  t1=$(thread_ticks "$1")
  s1=$(sys_ticks)
  {
    printf 'cpu during %s (%% of one core over %ss):' "$name" "$secs"
    local i=0 n ours=0
    for p in "$@"; do
      n=$(tr -d '\0' <"/proc/$p/comm" 2>/dev/null || echo "?")
      ours=$((ours + b[i] - a[i]))
      printf ' %s=%s' "$n" "$(awk -v x="${a[i]}" -v y="${b[i]}" -v s="$secs" -v t="$ticks" \
        'BEGIN{ printf "%.0f%%", (y - x) / t / s * 100 }')"
      i=$((i + 1))
    done
    read -r tot0 idle0 io0 <<<"$s0"
    read -r tot1 idle1 io1 <<<"$s1"
    awk -v a="$tot0" -v b="$tot1" -v i0="$idle0" -v i1="$idle1" -v w0="$io0" -v w1="$io1" \
      -v ours="$ours" -v t="$ticks" -v s="$secs" -v ncpu="$(nproc)" \
      'BEGIN{ d = b - a; if (d <= 0) d = 1;
              busy = (d - (i1 - i0) - (w1 - w0)) / d * ncpu * 100;
              other = busy - ours / t / s * 100;
              printf " everything else (kernel, other processes)=%.0f%%; machine: idle %.0f%%, iowait %.0f%% of %d cores\n",
                other, (i1-i0)/d*100, (w1-w0)/d*100, ncpu;
              if (other > 50) printf "WARNING: %.0f%% of a core went to other work during this run: numbers are unreliable\n", other }'
    printf '  threads of %s:' "$(tr -d '\0' <"/proc/$1/comm" 2>/dev/null)"
    join <(sort <<<"$t0") <(sort <<<"$t1") 2>/dev/null |
      awk -v s="$secs" -v t="$ticks" '{ printf " %s/%s=%.0f%%", $2, $1, ($5 - $3) / t / s * 100 }'
    printf '\n'
  }
}

# Waits (up to JB_BENCH_QUIET_WAIT seconds, default 120) until the machine is at least 90%
# idle over 2 s: other work on the 2 cores would be measured as the gateway's slowness.
quiet() {
  local waited=0 limit=${JB_BENCH_QUIET_WAIT:-120} s0 s1 idle
  while :; do
    s0=$(sys_ticks); sleep 2; s1=$(sys_ticks)
    idle=$(awk -v a="$s0" -v b="$s1" 'BEGIN{ split(a, x, " "); split(b, y, " ");
      d = y[1] - x[1]; if (d <= 0) d = 1; printf "%.0f", (y[2] - x[2] + y[3] - x[3]) / d * 100 }')
    [ "$idle" -ge 90 ] && return 0
    if [ "$waited" -ge "$limit" ]; then
      warn "the machine was only $idle% idle before $1 (other processes): numbers are unreliable"
      return 0
    fi
    [ "$waited" = 0 ] && say "machine only $idle% idle before $1: waiting for other work to finish"
    waited=$((waited + 2))
  done
}

# again NAME TRY CPU_FILE: true when other work shared the cores during try TRY (cpu_sample's
# WARNING) and JB_BENCH_TRIES (default 3) allows another try.
again() {
  grep -q '^WARNING' "$3" 2>/dev/null || return 1
  [ "$2" -lt "${JB_BENCH_TRIES:-3}" ] || return 1
  say "$1: other work shared the cores during the run: measuring again (try $(($2 + 1)))"
  rm -f "$3"
}

# ---- wrk ---------------------------------------------------------------------------------

# run_wrk NAME URL DURATION TAG: runs wrk with bench/report.lua; output in $tmp/wrk-NAME.txt.
run_wrk() {
  local name=$1 url=$2 dur=$3 tag=$4
  JB_RUN_TAG=$tag JB_DUMP_BODY=$tmp/body.json wrk -t"$wrk_threads" -c"$conns" -d"$dur" --latency \
    -s "$root/bench/report.lua" "$url" >"$tmp/wrk-$name.txt" 2>&1 ||
    { cat "$tmp/wrk-$name.txt" >&2; die "wrk ($name) failed"; }
  grep -q '^JB_RESULT ' "$tmp/wrk-$name.txt" || { cat "$tmp/wrk-$name.txt" >&2; die "wrk ($name): no result"; }
}
field() {  # field NAME KEY: a value of the JB_RESULT line of wrk-NAME.txt
  sed -n "s/^JB_RESULT .*\<$2=\([^ ]*\).*/\1/p" "$tmp/wrk-$1.txt"
}

# ---- the gateway -------------------------------------------------------------------------

declare -A R  # results
rb_admit=()   # redis-benchmark's commands: the gateway's two calls of a report (capture_fcall)
rb_report=()

# start_gateway: a fresh Redis and the gateway (rate limits off; JB_BENCH_GATEWAY settings).
# Sets gw_pid, gw_redis_pid, gw_redis_port, gport, gdir.
start_gateway() {
  local rport
  rport=$(free_port)
  gdir=$tmp/gateway
  start_redis "$rport" "$gdir/redis"
  gw_redis_pid=$redis_pid
  gw_redis_port=$rport
  gateway_launch "$gdir" "127.0.0.1:$rport" ""
  R[gw_conf]=$gw_conf
  say "gateway on 127.0.0.1:$gport ($gw_conf), redis on 127.0.0.1:$rport"
}

# gateway_launch DIR REDIS CONF: a gateway in DIR (its data and config: JB_BENCH_GATEWAY_CONF,
# then the lines of CONF, then JB_BENCH_GATEWAY) on JUBAO_REDIS=REDIS, rate limits off.
# Sets gw_pid, gport and gw_conf (the settings, comma-separated).
gateway_launch() {
  local dir=$1 redis=$2 conf=$1/gateway.conf kv
  gport=$(free_port)
  mkdir -p "$dir/data"
  JUBAO_DATA_DIR=$dir/data "$build/jubao-admin" init >/dev/null
  : >"$conf"
  [ -n "${JB_BENCH_GATEWAY_CONF:-}" ] && cat "$JB_BENCH_GATEWAY_CONF" >>"$conf"
  [ -n "$3" ] && printf '%s\n' "$3" >>"$conf"
  for kv in ${JB_BENCH_GATEWAY:-}; do
    printf '%s = %s\n' "${kv%%=*}" "${kv#*=}" >>"$conf"
  done
  gw_conf=$(grep -v '^\s*\(#\|$\)' "$conf" | tr -s ' ' | paste -sd, - || true)
  [ -n "$gw_conf" ] || gw_conf="defaults"
  JUBAO_LISTEN=127.0.0.1:$gport JUBAO_METRICS_LISTEN=127.0.0.1:$(free_port) \
    JUBAO_REDIS=$redis JUBAO_DATA_DIR=$dir/data \
    JUBAO_RATE_LIMIT=0 "$build/jubao-gateway" -c "$conf" >"$dir/gateway.log" 2>&1 &
  gw_pid=$!
  pids+=("$gw_pid")
  wait_until 30 "jubao-gateway on port $gport" curl -sf "http://127.0.0.1:$gport/readyz"
}

# capture_fcall: one more report through the gateway, with redis-cli MONITOR on its Redis;
# bench/fcall.py turns the two calls it sent (FCALL jb_admit, then FCALL jb_report) into
# redis-benchmark's arguments (rb_admit, rb_report).
capture_fcall() {
  [ -f "$tmp/body.json" ] || die "no request body to send (bench/report.lua writes it)"
  redis-cli -p "$gw_redis_port" monitor >"$tmp/monitor.txt" 2>&1 &
  local mon=$!
  pids+=("$mon")
  sleep 0.5
  curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' --data-binary @"$tmp/body.json" \
    "http://127.0.0.1:$gport/api/v1/reports" || die "the capture request was not answered 202"
  sleep 0.5
  stop_pid "$mon"
  mapfile -d '' rb_admit < <(python3 "$root/bench/fcall.py" jb_admit <"$tmp/monitor.txt") ||
    die "no FCALL jb_admit captured"
  mapfile -d '' rb_report < <(python3 "$root/bench/fcall.py" jb_report <"$tmp/monitor.txt") ||
    die "no FCALL jb_report captured"
  if [ "${#rb_admit[@]}" -le 10 ] || [ "${#rb_report[@]}" -le 10 ]; then
    die "the gateway's two calls were not captured (see $tmp/monitor.txt)"
  fi
}

gateway_run() {
  start_gateway

  say "gateway: warm-up $warmup"
  run_wrk gateway-warmup "http://127.0.0.1:$gport" "$warmup" warmup
  alive "$gw_pid" jubao-gateway "$gdir/gateway.log"
  local secs=${duration%s} try=1 wrk_job wrk_pid
  while :; do
    quiet "the gateway run"
    redis-cli -p "$gw_redis_port" config resetstat >/dev/null
    say "gateway: wrk -t$wrk_threads -c$conns -d$duration --latency"
    run_wrk gateway "http://127.0.0.1:$gport" "$duration" main &
    wrk_job=$!
    # The CPU split over the middle of the run (pids: gateway, its redis, wrk).
    sleep 3
    wrk_pid=$(pgrep -n -x wrk -P "$wrk_job" 2>/dev/null || true)
    cpu_sample "the gateway run" $((secs > 8 ? secs - 6 : 2)) "$gw_pid" "$gw_redis_pid" ${wrk_pid:+"$wrk_pid"} \
      >"$tmp/cpu-gateway.txt" 2>/dev/null || true
    wait "$wrk_job" || die "wrk (gateway) failed"
    alive "$gw_pid" jubao-gateway "$gdir/gateway.log"
    cat "$tmp/wrk-gateway.txt"
    cat "$tmp/cpu-gateway.txt"
    again gateway "$try" "$tmp/cpu-gateway.txt" || break
    try=$((try + 1))
  done
  redis-cli -p "$gw_redis_port" info commandstats | grep -E '^cmdstat_(fcall|hset|xadd)' | tr -d '\r' |
    sed 's/^/  redis (gateway run) /'
  # Both calls of a report are FCALLs: INFO commandstats' usec of fcall over the 202s of the
  # run is Redis's time per report (the capture request below comes after).
  R[gw_redis_us]=$(redis-cli -p "$gw_redis_port" info commandstats | tr -d '\r' |
    sed -n 's/^cmdstat_fcall:.*usec=\([0-9]*\),.*/\1/p' |
    awk -v n="$(field gateway requests)" '{ if (n > 0) printf "%.1f", $1 / n }')
  redis-cli -p "$gw_redis_port" info persistence | grep -E '^aof_(rewrites|last_rewrite_time_sec|current_size):' |
    tr -d '\r' | paste -sd' ' - | sed 's/^/  redis (gateway run) /'

  R[gw_rps]=$(field gateway rps)
  R[gw_p50]=$(field gateway p50_us)
  R[gw_p99]=$(field gateway p99_us)
  local non202 errs
  non202=$(field gateway non202)
  errs=$(($(field gateway connect_err) + $(field gateway read_err) + $(field gateway write_err) + $(field gateway timeout_err)))
  if [ "$non202" != 0 ]; then
    grep '^JB_FIRST_BAD' "$tmp/wrk-gateway.txt" >&2 || true
    tail -n 20 "$gdir/gateway.log" >&2
    die "the gateway answered $non202 requests with something other than 202"
  fi
  [ "$errs" = 0 ] || die "wrk saw $errs socket errors (connect/read/write/timeout) on the gateway"
  # Every 202 must be a stored report: the intake stream holds at least as many entries.
  local stored
  stored=$(redis-cli -p "$gw_redis_port" xlen 'jb:{0}:intake' | tr -d '\r')
  local want_min=$(($(field gateway-warmup requests) + $(field gateway requests)))
  [ "$stored" -ge "$want_min" ] || die "only $stored cases in Redis after $want_min 202s"
  say "gateway: $stored cases stored, 0 non-202 answers"

  # The call the gateway makes, for the bench of Redis alone.
  capture_fcall

  if [ "$profile" = 1 ]; then
    profile_gateway "$gport"
  fi
  # Stopped before the next measurement: an idle Redis may still be rewriting its AOF.
  stop_pid "$gw_pid"
  stop_pid "$gw_redis_pid"
}

profile_gateway() {
  command -v perf >/dev/null || { say "perf is missing: no profile"; return 0; }
  local gport=$1 out=$tmp/perf
  mkdir -p "$out"
  say "profile: wrk 15s with perf record -g on the gateway for 10 s"
  redis-cli -p "$gw_redis_port" config resetstat >/dev/null
  run_wrk gateway-profile "http://127.0.0.1:$gport" 15s profile &
  local job=$!
  sleep 3
  if perf record -F 499 --call-graph dwarf,16384 -p "$gw_pid" -o "$out/perf.data" -- sleep 10 >"$out/record.log" 2>&1; then
    wait "$job" || true
    # Lines "12.34%  library  symbol", without perf's empty trailing columns.
    local tidy='s/[[:space:]]+-[[:space:]]+-[[:space:]]*$//; s/[[:space:]]+$//'
    perf report -i "$out/perf.data" --stdio --no-children --sort dso 2>/dev/null |
      grep -E '^ +[0-9.]+%' | sed -E "$tidy" | head -n 12 >"$out/by-dso.txt" || true
    perf report -i "$out/perf.data" --stdio --no-children --sort dso,symbol -g none 2>/dev/null |
      grep -E '^ +[0-9.]+%' | sed -E "$tidy" | head -n 40 >"$out/by-symbol.txt" || true
    perf report -i "$out/perf.data" --stdio --children --sort symbol -g none 2>/dev/null |
      grep -E '^ +[0-9.]+%' | grep -v '\] 0x0000' | sed -E "$tidy" | head -n 60 >"$out/children.txt" || true
    echo "== perf: gateway CPU by library (self)"; cat "$out/by-dso.txt"
    echo "== perf: gateway CPU by function (self)"; cat "$out/by-symbol.txt"
    echo "== perf: gateway CPU by function, with what it calls (children; unnamed addresses left out)"
    cat "$out/children.txt"
  else
    wait "$job" || true
    say "perf record failed: $(tail -n 3 "$out/record.log")"
  fi
  redis-cli -p "$gw_redis_port" info commandstats | grep -E '^cmdstat_fcall' | tr -d '\r' |
    sed 's/^/  redis (profile run) /'
}

# ---- nginx -------------------------------------------------------------------------------

nginx_run() {
  local nport ndir
  nport=$(free_port)
  ndir=$tmp/nginx
  mkdir -p "$ndir/logs"
  # The answer is the size and shape of the gateway's 202 (same headers, a 175-byte body).
  cat >"$ndir/nginx.conf" <<EOF
worker_processes auto;
daemon off;
pid $ndir/nginx.pid;
error_log $ndir/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $ndir/body;
  proxy_temp_path $ndir/proxy;
  fastcgi_temp_path $ndir/fastcgi;
  uwsgi_temp_path $ndir/uwsgi;
  scgi_temp_path $ndir/scgi;
  keepalive_requests 100000000;
  keepalive_timeout 60s;
  server {
    listen 127.0.0.1:$nport reuseport;  # each worker its own accept queue
    location = /api/v1/reports {
      # return reads the request body and discards it before answering (as the gateway reads
      # every body before it answers); bodies over the limit get 413, as the gateway's would.
      client_max_body_size 64k;
      default_type application/json;
      add_header X-Request-Id "YPJVXW59-000034fe" always;
      add_header X-Content-Type-Options nosniff always;
      add_header Cache-Control no-store always;
      add_header Location /api/v1/reports/R-23KD-A99V-K4V5 always;
      return 202 '{"id":"R-23KD-A99V-K4V5","case":"C-S8RB-ZN96-9TYE","duplicate":false,"secret":"82b6d6c22myyhj8gyattr7ykck","status":"received","status_url":"/api/v1/reports/R-23KD-A99V-K4V5"}';
    }
  }
}
EOF
  nginx -c "$ndir/nginx.conf" -p "$ndir" >"$ndir/nginx.out" 2>&1 &
  local ng_pid=$!
  pids+=("$ng_pid")
  wait_until 10 "nginx on port $nport" \
    curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' --data-binary '{}' \
    "http://127.0.0.1:$nport/api/v1/reports"
  alive "$ng_pid" nginx "$ndir/error.log"
  say "nginx on 127.0.0.1:$nport (worker_processes auto: $(nproc))"
  say "nginx: warm-up $warmup"
  run_wrk nginx-warmup "http://127.0.0.1:$nport" "$warmup" warmup
  local secs=${duration%s} try=1 wrk_job wrk_pid
  while :; do
    quiet "the nginx run"
    say "nginx: wrk -t$wrk_threads -c$conns -d$duration --latency"
    run_wrk nginx "http://127.0.0.1:$nport" "$duration" main &
    wrk_job=$!
    sleep 3
    wrk_pid=$(pgrep -n -x wrk -P "$wrk_job" 2>/dev/null || true)
    # shellcheck disable=SC2046 # the worker pids
    cpu_sample "the nginx run" $((secs > 8 ? secs - 6 : 2)) ${wrk_pid:+"$wrk_pid"} \
      $(pgrep -P "$ng_pid" 2>/dev/null) >"$tmp/cpu-nginx.txt" 2>/dev/null || true
    wait "$wrk_job" || die "wrk (nginx) failed"
    alive "$ng_pid" nginx "$ndir/error.log"
    cat "$tmp/wrk-nginx.txt"
    cat "$tmp/cpu-nginx.txt"
    again nginx "$try" "$tmp/cpu-nginx.txt" || break
    try=$((try + 1))
  done
  [ "$(field nginx non202)" = 0 ] || die "nginx answered $(field nginx non202) requests with something other than 202"
  R[ng_rps]=$(field nginx rps)
  R[ng_p50]=$(field nginx p50_us)
  R[ng_p99]=$(field nginx p99_us)
  stop_pid "$ng_pid"
}

# ---- redis-benchmark on the same two calls (bench/rbench.sh) --------------------------------

# shellcheck source=bench/rbench.sh
. "$root/bench/rbench.sh"

# ---- the gateway's CPU per report, stage by stage (bench/stages.c) --------------------------

stages_run() {
  [ -f "$tmp/body.json" ] || return 0
  if ! make --no-print-directory BUILD="$build" "$build/bench/stages" >"$tmp/stages.err" 2>&1; then
    warn "bench/stages.c does not build against $build (did gateway/intake.h change?):"
    tail -n 5 "$tmp/stages.err" >&2
    return 0
  fi
  "$build/bench/stages" "$tmp/body.json" "$tmp/stages-keys" ||
    warn "bench/stages failed"
}

# ---- the cluster case (bench/cluster.sh) ---------------------------------------------------

# shellcheck source=bench/cluster.sh
. "$root/bench/cluster.sh"

# ---- run ---------------------------------------------------------------------------------

say "machine: $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) cores, kernel $(uname -r)"
say "temp dir $tmp"
if want gateway; then gateway_run; fi
if want nginx; then nginx_run; fi
if want redis; then redis_run; fi
if want cluster; then cluster_run; fi
if [ "${JB_BENCH_STAGES:-1}" = 1 ] && want gateway; then stages_run; fi

# ---- the table -----------------------------------------------------------------------------

ms() { [ -n "${1:-}" ] && awk -v u="$1" 'BEGIN{ printf "%.2f", u / 1000 }' || echo "-"; }
num() { [ -n "${1:-}" ] && awk -v r="$1" 'BEGIN{ printf "%.0f", r }' || echo "-"; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN{ printf "%.1f", a / b * 100 }'; }
verdict() { awk -v a="$1" -v b="$2" -v op="$3" 'BEGIN{ ok = (op == ">=") ? (a >= b) : (a <= b); print (ok ? "PASS" : "MISS") }'; }

# load_table: steps 1-3 (gateway, nginx, redis-benchmark) and their targets.
load_table() {
  echo
  echo "== jubao load benchmark: $conns connections, $wrk_threads wrk threads, $duration, ~1 KB reports, every URL new"
  echo "   gateway settings: ${R[gw_conf]:-(not run)}"
  printf '%-40s %12s %10s %10s\n' "" "requests/s" "p50 ms" "p99 ms"
  [ -n "${R[ng_rps]:-}" ] && printf '%-40s %12s %10s %10s\n' "nginx (return 202, body discarded)" \
    "$(num "${R[ng_rps]}")" "$(ms "${R[ng_p50]}")" "$(ms "${R[ng_p99]}")"
  [ -n "${R[gw_rps]:-}" ] && printf '%-40s %12s %10s %10s\n' "jubao-gateway (POST /api/v1/reports)" \
    "$(num "${R[gw_rps]}")" "$(ms "${R[gw_p50]}")" "$(ms "${R[gw_p99]}")"
  if [ -n "${R[rb_rps]:-}" ]; then
    printf '%-40s %12s %10s %10s\n' "redis-benchmark, FCALL jb_admit" \
      "$(num "${R[rb_admit_rps]}")" "$(ms "${R[rb_admit_p50]}")" "$(ms "${R[rb_admit_p99]}")"
    printf '%-40s %12s %10s %10s\n' "redis-benchmark, FCALL jb_report" \
      "$(num "${R[rb_report_rps]}")" "$(ms "${R[rb_report_p50]}")" "$(ms "${R[rb_report_p99]}")"
    printf '%-40s %12s %10s %10s\n' "redis-benchmark, the pair 1/(1/a+1/b)" "$(num "${R[rb_rps]}")" - -
  fi
  echo
  if [ -n "${R[gw_rps]:-}" ]; then
    if [ -n "${R[ng_rps]:-}" ]; then
      printf 'gateway/nginx           %6s%%   target >= %s%%   %s\n' "$(pct "${R[gw_rps]}" "${R[ng_rps]}")" \
        "$target_vs_nginx" "$(verdict "$(pct "${R[gw_rps]}" "${R[ng_rps]}")" "$target_vs_nginx" '>=')"
    fi
    if [ -n "${R[rb_rps]:-}" ] && [ -n "${R[ng_rps]:-}" ]; then
      printf 'redis-benchmark/nginx   %6s%%   (Redis alone, same two calls and fsync: %s)\n' \
        "$(pct "${R[rb_rps]}" "${R[ng_rps]}")" \
        "$(awk -v a="${R[rb_rps]}" -v b="${R[ng_rps]}" -v t="$target_vs_nginx" 'BEGIN{
          print (a / b * 100 < t ? "Redis binds below the nginx target, so the redis-benchmark target applies" : "Redis alone could reach the nginx target") }')"
    fi
    printf 'gateway p99             %6s ms  target <= %s ms   %s\n' "$(ms "${R[gw_p99]}")" \
      "$target_p99_ms" "$(verdict "$(ms "${R[gw_p99]}")" "$target_p99_ms" '<=')"
    if [ -n "${R[rb_rps]:-}" ]; then
      printf 'gateway/redis-benchmark %6s%%   target >= %s%%   %s\n' "$(pct "${R[gw_rps]}" "${R[rb_rps]}")" \
        "$target_vs_redis" "$(verdict "$(pct "${R[gw_rps]}" "${R[rb_rps]}")" "$target_vs_redis" '>=')"
    fi
  fi
  if [ -n "${R[rb_rps]:-}" ]; then
    printf 'Redis us per jb_report   %6s us  target <= %s us   %s   (usec_per_call; the Redis process: %s us of CPU per call)\n' \
      "${R[rb_report_us]}" "$target_redis_us" "$(verdict "${R[rb_report_us]}" "$target_redis_us" '<=')" "${R[rb_report_cpu]}"
    printf 'Redis us per report      %6s us  (jb_admit %s + jb_report %s, usec_per_call; the Redis process: %s us of CPU)\n' \
      "$(awk -v a="${R[rb_admit_us]}" -v b="${R[rb_report_us]}" 'BEGIN{ printf "%.1f", a + b }')" \
      "${R[rb_admit_us]}" "${R[rb_report_us]}" \
      "$(awk -v a="${R[rb_admit_cpu]}" -v b="${R[rb_report_cpu]}" 'BEGIN{ printf "%.1f", a + b }')"
  fi
  [ -n "${R[gw_redis_us]:-}" ] &&
    printf 'Redis us per report      %6s us  in the gateway run (both FCALLs, usec of INFO commandstats / 202s)\n' "${R[gw_redis_us]}"
  return 0
}
if [ -n "${R[gw_rps]:-}${R[ng_rps]:-}${R[rb_rps]:-}" ]; then load_table; fi
if [ -n "${R[cl_single_rps]:-}" ] || [ -n "${R[cl_cluster_rps]:-}" ]; then cluster_table; fi
cat "$tmp"/cpu-*.txt 2>/dev/null | grep '^WARNING' >>"$tmp/warnings" || true
if [ -s "$tmp/warnings" ]; then
  echo
  cat "$tmp/warnings"
fi
