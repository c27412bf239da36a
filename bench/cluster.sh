# bench/cluster.sh — the cluster case of `make bench` (JB_BENCH_ONLY=cluster; issue 12), sourced
# by bench/run.sh, whose helpers it uses (free_port, wait_until, start_redis, proc_ticks,
# cpu_sample, quiet, run_wrk, gateway_launch, the pids stopped on exit).
#
# The same load twice, each on fresh processes, so that the two compare:
#   single   one Redis (deploy/redis.conf), one gateway and one jubao-worker, default settings
#            (one shard, no WAIT): the setup of `make run`;
#   cluster  six `redis-server --cluster-enabled yes` (deploy/redis.conf + the cluster settings
#            of deploy/cluster/redis-cluster.conf) joined by `redis-cli --cluster create …
#            --cluster-replicas 1` into 3 primaries with a replica each, one gateway on the seed
#            list with `redis_shards = 16` and `redis_replica_acks = 1`, one jubao-worker;
# then wrk as in step 2 of run.sh (a warm-up, then the measured run). The worker runs during the
# load and is waited for: the CPU of every process (gateway, worker and its children, each Redis
# primary and replica, wrk) is read from /proc/<pid>/stat once the worker has routed every case
# of the warm-up and again once it has routed every case of the measured run, so that the
# difference over the measured run's 202s is the CPU per report of each part, the worker's
# triage and routing (and Redis's share of it) included. Results in R[cl_<case>_*] and the files
# $tmp/cl-<case>-cpu.txt ("name role µs kernel-µs" per report, a line per process).

# shellcheck shell=bash disable=SC2154 # run.sh's variables: tmp, root, build, ticks, R, ...

# cluster_conf: the configuration file of a bench cluster node (written once).
cluster_conf() {
  local conf=$tmp/cluster/redis-cluster.conf
  if [ ! -f "$conf" ]; then
    mkdir -p "$tmp/cluster"
    { echo "include $root/deploy/redis.conf"
      grep -v '^include' "$root/deploy/cluster/redis-cluster.conf"; } >"$conf"
  fi
  echo "$conf"
}

# cluster_start DIR: six nodes on loopback (their directories in DIR), 3 primaries with a replica each, every node saying
# cluster_state:ok and every replica linked. Sets cl_nodes (host:port list) and cl_node_pids.
cluster_start() {
  local conf i port bus dir top=$1
  conf=$(cluster_conf)
  cl_nodes=() cl_node_pids=()
  for i in 0 1 2 3 4 5; do
    port=$(free_port) bus=$(free_port) dir=$top/node$i
    mkdir -p "$dir"
    # shellcheck disable=SC2086 # JB_BENCH_REDIS_ARGS: extra options, for diagnosis only
    redis-server "$conf" --port "$port" --cluster-port "$bus" --dir "$dir" \
      --logfile "$dir/redis.log" --daemonize no ${JB_BENCH_REDIS_ARGS:-} >/dev/null 2>&1 &
    pids+=($!)
    cl_node_pids+=($!)
    cl_nodes+=("127.0.0.1:$port")
  done
  for i in 0 1 2 3 4 5; do
    wait_until 10 "cluster node ${cl_nodes[i]}" redis-cli -p "${cl_nodes[i]##*:}" ping
  done
  redis-cli --cluster create "${cl_nodes[@]}" --cluster-replicas 1 --cluster-yes \
    >"$top/create.log" 2>&1 || { tail -n 20 "$top/create.log" >&2; die "redis-cli --cluster create failed"; }
  for i in 0 1 2 3 4 5; do
    wait_until 60 "cluster_state:ok on ${cl_nodes[i]}" cluster_node_ready "${cl_nodes[i]##*:}"
  done
  wait_until 30 "the nodes agreeing on the slots" redis-cli --cluster check "${cl_nodes[0]}"
}

cluster_node_ready() {  # cluster_node_ready PORT: state ok and, on a replica, its link up
  local info
  redis-cli -p "$1" cluster info | grep -q '^cluster_state:ok' || return 1
  info=$(redis-cli -p "$1" info replication | tr -d '\r')
  grep -q '^role:master' <<<"$info" || grep -q '^master_link_status:up' <<<"$info"
}

cluster_role() {  # cluster_role PORT: primary or replica
  redis-cli -p "$1" role | head -n 1 | sed 's/master/primary/; s/slave/replica/'
}

# routed_total PORT...: the cases the workers routed, summed over every shard's stats hash on
# the nodes at PORT... (the primaries). The hashes are found by SCAN when none is known yet or
# when wait_routed saw no progress for a while (a shard routed its first case): a SCAN walks
# every key ten at a time, Redis work that would be counted as the reports' if done at each poll.
cl_stats_keys=()  # "port key" of every stats hash found
routed_total() {
  local p k sum=0 n
  if [ "${#cl_stats_keys[@]}" = 0 ]; then
    for p in "$@"; do
      while read -r k; do
        [ -n "$k" ] && cl_stats_keys+=("$p $k")
      done < <(redis-cli -p "$p" --scan --pattern 'jb:*stats' | tr -d '\r')
    done
  fi
  for k in "${cl_stats_keys[@]}"; do
    n=$(redis-cli -p "${k%% *}" hget "${k#* }" routed | tr -d '\r')
    sum=$((sum + ${n:-0}))
  done
  echo "$sum"
}

# wait_routed WANT PORT...: until the workers routed WANT cases (at most 300 s: a worker slower
# than the load drains its backlog after the run). The stats hashes are looked for again after
# 5 s without progress.
wait_routed() {
  local want=$1 i got last=-1 still=0
  shift
  for i in $(seq 3000); do
    routed_total "$@" >"$tmp/routed"
    got=$(cat "$tmp/routed")
    [ "$got" -ge "$want" ] && return 0
    if [ "$got" = "$last" ] && [ $((++still)) -ge 50 ]; then
      cl_stats_keys=() still=0
    elif [ "$got" != "$last" ]; then
      still=0
    fi
    last=$got
    sleep 0.1
  done
  die "the worker routed $got of $want cases in 300 s"
}

worker_launch() {  # worker_launch DIR REDIS: jubao-worker with the gateway's config; sets wk_pid
  local dir=$1 i
  JUBAO_REDIS=$2 JUBAO_DATA_DIR=$dir/data JUBAO_RATE_LIMIT=0 \
    "$build/jubao-worker" -c "$dir/gateway.conf" >"$dir/worker.log" 2>&1 &
  wk_pid=$!
  pids+=("$wk_pid")
  for i in $(seq 150); do  # its consumers (2 by default), the reaper and the trainer
    [ "$(pgrep -c -P "$wk_pid" 2>/dev/null)" -ge 4 ] 2>/dev/null && return 0
    alive "$wk_pid" jubao-worker "$dir/worker.log"
    sleep 0.1
  done
  die "jubao-worker did not start its children (see $dir/worker.log)"
}

kernel_ticks() {  # kernel_ticks PID: the system part of proc_ticks (fsync, sockets)
  awk '{ sub(/^.*\) /, ""); print $13 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

# tree_ticks PID: CPU of a process and of its live children (the worker's consumers)
tree_ticks() {
  local sum c
  sum=$(proc_ticks "$1")
  for c in $(pgrep -P "$1" 2>/dev/null); do sum=$((sum + $(proc_ticks "$c"))); done
  echo "$sum"
}

# cluster_up NAME DIR: the Redis of case NAME (one, or the six cluster nodes), a gateway and a
# worker on it. Sets cl_procs, cl_names, cl_roles (its Redis processes: pid, name, primary or
# replica) and cl_primaries (their ports).
cluster_up() {
  local name=$1 dir=$2 redis conf="" i
  cl_stats_keys=() cl_procs=() cl_names=() cl_roles=() cl_primaries=()
  if [ "$name" = single ]; then
    local rport
    rport=$(free_port)
    start_redis "$rport" "$dir/redis"
    redis=127.0.0.1:$rport
    cl_names=(redis) cl_roles=(primary) cl_procs=("$redis_pid") cl_primaries=("$rport")
  else
    cluster_start "$dir"
    redis=$(IFS=,; echo "${cl_nodes[*]}")
    conf=$(printf '%s\n' "redis_shards = 16" "redis_replica_acks = 1")
    for i in 0 1 2 3 4 5; do
      cl_names+=("redis:${cl_nodes[i]##*:}")
      cl_roles+=("$(cluster_role "${cl_nodes[i]##*:}")")
      cl_procs+=("${cl_node_pids[i]}")
      [ "${cl_roles[i]}" = primary ] && cl_primaries+=("${cl_nodes[i]##*:}")
    done
    [ "${#cl_primaries[@]}" = 3 ] || die "the cluster has ${#cl_primaries[@]} primaries, not 3"
  fi
  gateway_launch "$dir" "$redis" "$conf"
  worker_launch "$dir" "$redis"
  say "cluster case $name: gateway on 127.0.0.1:$gport ($gw_conf), worker, redis $redis"
}

# cluster_ticks: "name role ticks kernel-ticks" of the gateway, the worker (its children
# added) and every Redis process of the case.
cluster_ticks() {
  local i
  echo "gateway gateway $(proc_ticks "$gw_pid") $(kernel_ticks "$gw_pid")"
  echo "worker worker $(tree_ticks "$wk_pid") 0"
  for i in "${!cl_procs[@]}"; do
    echo "${cl_names[i]} ${cl_roles[i]} $(proc_ticks "${cl_procs[i]}") $(kernel_ticks "${cl_procs[i]}")"
  done
}

# cluster_per_report BEFORE AFTER N: "name role µs kernel-µs" per report from two cluster_ticks.
cluster_per_report() {
  awk -v t="$ticks" -v n="$3" 'NR == FNR { a[FNR] = $3; k[FNR] = $4; next }
    { printf "%s %s %.1f %.1f\n", $1, $2, ($3 - a[FNR]) / t * 1e6 / n, ($4 - k[FNR]) / t * 1e6 / n }' "$1" "$2"
}

# cluster_wrk_ok RUN DIR: dies when wrk-RUN saw an answer other than 202 or a socket error.
cluster_wrk_ok() {
  local non202 errs
  non202=$(field "$1" non202)
  errs=$(($(field "$1" connect_err) + $(field "$1" read_err) + $(field "$1" write_err) + $(field "$1" timeout_err)))
  [ "$non202" = 0 ] && [ "$errs" = 0 ] && return 0
  grep '^JB_FIRST_BAD' "$tmp/wrk-$1.txt" >&2 || true
  tail -n 20 "$2/gateway.log" >&2
  die "$1: $non202 answers other than 202, $errs socket errors"
}

# cluster_case NAME ROUND: one measured case (single or cluster): 1. up, 2. warm-up until the
# worker routed it, 3. CPU at rest, 4. the measured run, 5. until the worker routed it, 6. CPU
# per report; its results go to R[cl_NAME_*] and $tmp/cl-NAME-*.txt when its reports/s are
# the best of the rounds so far.
cluster_case() {
  local name=$1 run=$1-$2 i before n idle wrk_job wrk_pid w=0 secs=${duration%s}
  local dir=$tmp/cl-$run
  mkdir -p "$dir"
  cluster_up "$name" "$dir"                                                        # 1
  say "cluster case $name: warm-up $warmup"
  run_wrk "cl-$run-warmup" "http://127.0.0.1:$gport" "$warmup" warmup              # 2
  before=$(field "cl-$run-warmup" requests)
  wait_routed "$before" "${cl_primaries[@]}"
  quiet "the $name case"
  idle=$(cluster_idle 3 "${cl_procs[@]}")                                          # 3
  say "cluster case $name: CPU with no load: $idle"
  for i in "${cl_primaries[@]}"; do redis-cli -p "$i" config resetstat >/dev/null; done
  cluster_ticks >"$tmp/cl-$run-ticks0"
  say "cluster case $name: wrk -t$wrk_threads -c$conns -d$duration --latency"      # 4
  run_wrk "cl-$run" "http://127.0.0.1:$gport" "$duration" main &
  wrk_job=$!
  sleep 1
  wrk_pid=$(pgrep -n -x wrk -P "$wrk_job" 2>/dev/null || true)
  [ -n "$wrk_pid" ] && w=$(proc_ticks "$wrk_pid")
  # Every process of the case, and the warning when other work took the cores meanwhile.
  # shellcheck disable=SC2046 # the worker's children
  cpu_sample "the $name case" $((secs > 4 ? secs - 3 : 1)) "$gw_pid" "${cl_procs[@]}" "$wk_pid" \
    $(pgrep -P "$wk_pid" 2>/dev/null) ${wrk_pid:+"$wrk_pid"} >"$tmp/cpu-cl-$run.txt" 2>/dev/null || true
  [ -n "$wrk_pid" ] && w=$(($(proc_ticks "$wrk_pid") - w))
  wait "$wrk_job" || die "wrk ($name case) failed"
  alive "$gw_pid" jubao-gateway "$dir/gateway.log"
  cat "$tmp/wrk-cl-$run.txt" "$tmp/cpu-cl-$run.txt"
  cluster_wrk_ok "cl-$run" "$dir"
  n=$(field "cl-$run" requests)
  # Every 202 a case, and every case routed by the worker: its CPU for them is in the count.
  wait_routed $((before + n)) "${cl_primaries[@]}"                                # 5
  alive "$wk_pid" jubao-worker "$dir/worker.log"
  cluster_ticks >"$tmp/cl-$run-ticks1"                                             # 6
  {
    cluster_per_report "$tmp/cl-$run-ticks0" "$tmp/cl-$run-ticks1" "$n"
    # wrk's CPU was read over the sampled middle of the run only: scaled to the whole run.
    [ "$w" -gt 0 ] && awk -v d="$w" -v t="$ticks" -v s=$((secs > 4 ? secs - 3 : 1)) \
      -v r="$(field "cl-$run" rps)" 'BEGIN{ printf "wrk load %.1f\n", d / t / s * 1e6 / r }'
  } >"$tmp/cl-$run-cpu.txt"
  cluster_cmdstats "$n" "${cl_primaries[@]}" >"$tmp/cl-$run-cmds.txt"
  echo "  redis commands per report, all primaries ($name case): $(cluster_cmdline "$tmp/cl-$run-cmds.txt")"
  say "cluster case $name: $n reports, every one routed; CPU µs per report: $(awk '{ printf "%s=%s ", $1, $3 }' "$tmp/cl-$run-cpu.txt")"
  cluster_keep "$name" "$2" "$idle"
  stop_pid "$wk_pid"
  stop_pid "$gw_pid"
  for i in "${cl_procs[@]}"; do stop_pid "$i"; done
}

# cluster_keep NAME ROUND IDLE: round ROUND's results become case NAME's when its reports/s
# are the best so far.
cluster_keep() {
  local run=$1-$2
  awk -v a="$(field "cl-$run" rps)" -v b="${R[cl_$1_rps]:-0}" 'BEGIN{ exit !(a > b) }' || return 0
  R[cl_$1_rps]=$(field "cl-$run" rps)
  R[cl_$1_p50]=$(field "cl-$run" p50_us)
  R[cl_$1_p99]=$(field "cl-$run" p99_us)
  R[cl_$1_idle]=$3
  R[cl_$1_conf]=$gw_conf
  R[cl_$1_round]=$2
  cp "$tmp/cl-$run-cpu.txt" "$tmp/cl-$1-cpu.txt"
  cp "$tmp/cl-$run-cmds.txt" "$tmp/cl-$1-cmds.txt"
}

# cluster_cmdstats N PORT...: "command calls usec" per report (N reports), INFO commandstats
# summed over the primaries at PORT..., most time first: where the Redis CPU of a report goes
# (the time inside commands; reading, writing and replicating them are the rest).
cluster_cmdstats() {
  local n=$1 p
  shift
  for p in "$@"; do redis-cli -p "$p" info commandstats | tr -d '\r'; done |
    sed -n 's/^cmdstat_\([^:]*\):calls=\([0-9]*\),usec=\([0-9]*\),.*/\1 \2 \3/p' |
    awk -v n="$n" '{ c[$1] += $2; u[$1] += $3 }
      END { for (k in c) printf "%s %.2f %.1f\n", k, c[k] / n, u[k] / n }' | sort -k3,3 -gr
}

cluster_cmdline() {  # cluster_cmdline FILE: its first 6 lines on one line
  head -n 6 "$1" | awk '{ printf "%s%s %s calls %s µs", (NR > 1 ? ", " : ""), $1, $2, $3 }'
}

# cluster_idle SECONDS PID...: the CPU the gateway, the worker and the Redis PIDs use with no
# load (cluster bus, replication pings, the worker's blocking reads over every shard): a cost
# per second, not per report.
cluster_idle() {
  local secs=$1 p g0 w0 r0=0 r1=0
  shift
  g0=$(proc_ticks "$gw_pid") w0=$(tree_ticks "$wk_pid")
  for p in "$@"; do r0=$((r0 + $(proc_ticks "$p"))); done
  sleep "$secs"
  for p in "$@"; do r1=$((r1 + $(proc_ticks "$p"))); done
  awk -v g=$(($(proc_ticks "$gw_pid") - g0)) -v w=$(($(tree_ticks "$wk_pid") - w0)) \
    -v r=$((r1 - r0)) -v t="$ticks" -v s="$secs" \
    'BEGIN{ printf "gateway %.1f%%, worker %.1f%%, Redis (all nodes) %.1f%% of a core\n", g / t / s * 100, w / t / s * 100, r / t / s * 100 }'
}

# cluster_run: JB_BENCH_CLUSTER_ROUNDS (default 2) rounds, single and cluster in turns; the
# best round of each is kept (the other work on a shared machine only ever slows a run down).
cluster_run() {
  local r
  for r in $(seq "${JB_BENCH_CLUSTER_ROUNDS:-2}"); do
    cluster_case single "$r"
    cluster_case cluster "$r"
  done
}

# cluster_table: reports/s, p50/p99 and CPU µs per report by part, single against cluster.
cluster_table() {
  local c
  echo
  echo "== the cluster case: one gateway and one worker, the same wrk load, on one Redis and on 3 primaries + 3 replicas"
  echo "   single: ${R[cl_single_conf]:-(not run)}; cluster: ${R[cl_cluster_conf]:-(not run)}"
  echo "   the best of ${JB_BENCH_CLUSTER_ROUNDS:-2} rounds in turns (single: round ${R[cl_single_round]:-}, cluster: round ${R[cl_cluster_round]:-})"
  printf '%-10s %12s %10s %10s  %s\n' "" "reports/s" "p50 ms" "p99 ms" "CPU µs per report"
  for c in single cluster; do
    [ -n "${R[cl_${c}_rps]:-}" ] || continue
    printf '%-10s %12s %10s %10s  %s\n' "$c" "$(num "${R[cl_${c}_rps]}")" "$(ms "${R[cl_${c}_p50]}")" \
      "$(ms "${R[cl_${c}_p99]}")" "$(awk '
        $2 == "primary" { p += $3; pk += $4; np++; pl = pl sprintf(" %s", $3) }
        $2 == "replica" { r += $3; nr++; rl = rl sprintf(" %s", $3) }
        $2 == "gateway" || $2 == "worker" || $2 == "load" { o = o sprintf("%s %s, ", $1, $3) }
        END { printf "%sRedis primaries %.1f", o, p; if (np > 1) printf " (%s)", substr(pl, 2);
              printf " of which kernel %.1f", pk;
              if (nr) printf ", replicas %.1f (%s)", r, substr(rl, 2) }' "$tmp/cl-$c-cpu.txt")"
  done
  for c in single cluster; do
    [ -n "${R[cl_${c}_idle]:-}" ] || continue
    echo "   $c, Redis commands per report (all primaries): $(cluster_cmdline "$tmp/cl-$c-cmds.txt")"
    echo "   $c with no load: ${R[cl_${c}_idle]}"
  done
}
