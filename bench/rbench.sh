# bench/rbench.sh — step 3 of `make bench`: redis-benchmark on the gateway's own two calls of a
# report (JB_BENCH_ONLY=redis). Sourced by bench/run.sh, whose helpers it uses (start_redis,
# start_gateway, capture_fcall, proc_ticks, cpu_sample, quiet); results in R[rb_*].

# shellcheck shell=bash disable=SC2154 # run.sh's variables: tmp, build, ticks, conns, R, ...

# rb_one NAME PORT PID: redis-benchmark of the gateway's call rb_NAME (admit or report) on the
# Redis at PORT (pid PID), at the wrk runs' concurrency, for about $duration. Sets R[rb_NAME_*]:
# rps, p50/p99 (us), us (INFO commandstats' usec_per_call: Redis's time inside the call) and cpu
# (the Redis process's CPU per call from /proc, its fsync thread and the kernel included).
rb_one() {
  local name=$1 rport=$2 rpid=$3
  local -n cmd=rb_$name
  local reply
  reply=$(redis-cli -p "$rport" "${cmd[@]//__rand_int__/000000000001}" | head -n 1)
  [ "$reply" = ok ] || die "${cmd[1]} with the benchmark's arguments answered: $reply"
  say "redis-benchmark: FCALL ${cmd[1]} with the gateway's $((${#cmd[@]} - 3)) keys and arguments ($(printf '%s' "${cmd[@]}" | wc -c) bytes); probe run"
  redis-benchmark -p "$rport" -c "$conns" -n 20000 -r 100000000 --csv "${cmd[@]}" \
    >"$tmp/rb-$name-probe.csv" 2>&1 || { cat "$tmp/rb-$name-probe.csv" >&2; die "redis-benchmark failed"; }
  local probe secs n
  probe=$(tail -n 1 "$tmp/rb-$name-probe.csv" | awk -F'","' '{ print $2 }')
  secs=${duration%s}
  n=$(awk -v r="$probe" -v s="$secs" 'BEGIN{ n = int(r * s / 1000) * 1000; print (n < 20000 ? 20000 : n) }')
  quiet "the redis-benchmark run of ${cmd[1]}"
  redis-cli -p "$rport" config resetstat >/dev/null
  say "redis-benchmark -c $conns -n $n -r 100000000 FCALL ${cmd[1]} … (about $duration)"
  local t0 t1
  t0=$(proc_ticks "$rpid")
  redis-benchmark -p "$rport" -c "$conns" -n "$n" -r 100000000 --csv "${cmd[@]}" \
    >"$tmp/rb-$name.csv" 2>&1 &
  local rb_job=$!
  sleep 2
  local rb_pid
  rb_pid=$(pgrep -n -x redis-benchmark -P "$$" 2>/dev/null || true)
  cpu_sample "the redis-benchmark run of ${cmd[1]}" $((secs > 8 ? secs - 6 : 2)) "$rpid" ${rb_pid:+"$rb_pid"} \
    >"$tmp/cpu-redis-$name.txt" 2>/dev/null || true
  wait "$rb_job" || { cat "$tmp/rb-$name.csv" >&2; die "redis-benchmark failed"; }
  t1=$(proc_ticks "$rpid")
  local line stats
  line=$(tail -n 1 "$tmp/rb-$name.csv")
  echo "redis-benchmark FCALL ${cmd[1]}: $n calls: rps, avg, min, p50, p95, p99, max (ms):"
  awk -F'","' '{ print "  " $2, $3, $4, $5, $6, $7, $8 }' <<<"$line" | tr -d '"'
  cat "$tmp/cpu-redis-$name.txt"
  stats=$(redis-cli -p "$rport" info commandstats | tr -d '\r' | grep '^cmdstat_fcall:')
  echo "  redis (redis-benchmark run of ${cmd[1]}) $stats"
  grep -q 'failed_calls=0' <<<"$stats" || die "redis-benchmark: some FCALL ${cmd[1]} failed ($stats)"
  R[rb_${name}_rps]=$(awk -F'","' '{ print $2 }' <<<"$line")
  R[rb_${name}_p50]=$(awk -F'","' '{ print $5 * 1000 }' <<<"$line")
  R[rb_${name}_p99]=$(awk -F'","' '{ print $7 * 1000 }' <<<"$line")
  R[rb_${name}_us]=$(sed -n 's/.*usec_per_call=\([0-9.]*\).*/\1/p' <<<"$stats")
  R[rb_${name}_cpu]=$(awk -v d=$((t1 - t0)) -v t="$ticks" -v n="$n" 'BEGIN{ printf "%.1f", d / t * 1e6 / n }')
}

# Redis alone on the gateway's two calls of a report: each on its own at the same concurrency,
# one after the other on one fresh Redis. Redis runs commands one at a time, so a report (one
# jb_admit and one jb_report) takes it the time of both: the pair's rate is 1/(1/a + 1/b).
# (One redis-benchmark cannot alternate two commands, and two at once would not keep them one
# to one: the cheaper call would run more often.)
redis_run() {
  local rport rdir
  rport=$(free_port)
  rdir=$tmp/redis-bench
  start_redis "$rport" "$rdir"
  local rb_redis_pid=$redis_pid
  redis-cli -p "$rport" -x FUNCTION LOAD REPLACE <"$build/gen/functions.lua" >/dev/null ||
    die "FUNCTION LOAD failed"
  # The gateway's own calls (an anonymous reporter, no API key, no Idempotency-Key, rate limit
  # off, the rule engine's verdict), with __rand_int__ in the ids (bench/fcall.py).
  if [ "${#rb_report[@]}" -eq 0 ]; then
    start_gateway
    run_wrk capture "http://127.0.0.1:$gport" 1s capture
    capture_fcall
    stop_pid "$gw_pid"
    stop_pid "$gw_redis_pid"
  fi
  rb_one admit "$rport" "$rb_redis_pid"
  rb_one report "$rport" "$rb_redis_pid"
  redis-cli -p "$rport" info persistence | grep -E '^aof_(rewrites|last_rewrite_time_sec|current_size):' |
    tr -d '\r' | paste -sd' ' - | sed 's/^/  redis (redis-benchmark runs) /'
  local calls
  calls=$(redis-cli -p "$rport" xlen 'jb:{0}:intake' | tr -d '\r')
  [ "$calls" -ge 20000 ] || die "redis-benchmark: only $calls cases stored"
  R[rb_rps]=$(awk -v a="${R[rb_admit_rps]}" -v b="${R[rb_report_rps]}" 'BEGIN{ printf "%.0f", 1 / (1 / a + 1 / b) }')
}
