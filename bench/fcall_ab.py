#!/usr/bin/python3
"""bench/fcall_ab.py BUILD_A BUILD_B — Redis's CPU per report's two calls (`FCALL jb_admit`, then
`FCALL jb_report`: docs/SCALING.md "The intake in two calls"), two builds in turns.

For each build: its gateway (rate limits off) sends one report of bench/report.lua's shape to a
private Redis under `redis-cli MONITOR`; bench/fcall.py turns the two calls it caught into calls
whose ids are fresh each time. Then, ROUNDS times and alternating A, B, A, B, ...: a fresh
redis-server (deploy/redis.conf: AOF, appendfsync always) with that build's Function library,
N jb_admit calls, then N jb_report calls (every one opens a new case), each pipelined DEPTH
deep; for each Function INFO commandstats' usec_per_call of fcall and Redis's user-space CPU
time per call (/proc). Prints one line per round and the medians per build.

Knobs (environment): JB_AB_N=15000  JB_AB_DEPTH=50  JB_AB_ROUNDS=3
  JB_AB_JOIN=1   every jb_report about the same URL, so that all but the first join one case
                 (the reporter is the same each time: what a flood of duplicates costs)
  JB_AB_REDIS_ARGS="--opt value"   more redis-server options
The machine's other work moves single numbers by 20% and more: compare medians of turns.
"""

import os
import pathlib
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import redis
import requests

import benchlib  # bench/benchlib.py (the script's own folder)
from benchlib import free_port

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
import fcall  # noqa: E402  (bench/fcall.py: MONITOR line -> arguments)

N = int(os.environ.get("JB_AB_N", "15000"))
DEPTH = int(os.environ.get("JB_AB_DEPTH", "50"))
ROUNDS = int(os.environ.get("JB_AB_ROUNDS", "3"))
FUNCTIONS = ("jb_admit", "jb_report")  # a report's two calls, in their order
JOIN = os.environ.get("JB_AB_JOIN") == "1"  # every call about the same URL: joins one case
DESCRIPTION = (
    "本人于2024年3月在某社交平台看到一则投资理财广告，声称每日收益百分之五，保本无风险。"
    "对方通过即时通讯软件联系我，要求下载名为“鑫盛财富”的应用并充值。"
    "The site asked for a deposit of 20,000 CNY through a personal bank account, then "
    "blocked withdrawals and demanded a further 'unfreezing fee' of 5,000 CNY. "
    "客服人员自称是证券公司员工，提供的营业执照照片经查询为伪造。"
    "Screenshots of the chat, the transfer receipts and the app's download page are kept. "
    "该网站目前仍在运营，并在多个群组中继续招揽受害者，请尽快核查处理。"
    "The same operator also runs look-alike domains that redirect to this page. "
    "如需完整的转账记录和聊天记录，请通过邮件联系我。I can send the full records by email. 谢谢！")


def wait_until(pred, secs, what):
    benchlib.wait_until(pred, secs, what, 'fcall_ab: ')


def start_redis(workdir):
    port = free_port()
    p = subprocess.Popen(["redis-server", str(ROOT / "deploy/redis.conf"), "--port", str(port),
                          "--dir", str(workdir), "--daemonize", "no",
                          "--logfile", str(workdir / "redis.log")]
                         + os.environ.get("JB_AB_REDIS_ARGS", "").split(),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    c = redis.Redis(port=port)
    wait_until(c.ping, 10, "redis on %d" % port)
    return p, port, c


def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def capture(build, workdir):
    """{name: arguments} of the FCALL jb_admit and FCALL jb_report that build's gateway sends
    for one report."""
    workdir.mkdir(parents=True)
    rp, rport, _ = start_redis(workdir)
    gport = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUBAO_")}
    env.update(JUBAO_LISTEN="127.0.0.1:%d" % gport, JUBAO_METRICS_LISTEN="127.0.0.1:%d" % free_port(),
               JUBAO_REDIS="127.0.0.1:%d" % rport, JUBAO_DATA_DIR=str(workdir / "data"),
               JUBAO_RATE_LIMIT="0")
    subprocess.run([str(build / "jubao-admin"), "init"], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    gw = subprocess.Popen([str(build / "jubao-gateway")], env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)
    mon = None
    out = open(workdir / "monitor.txt", "wb")
    try:
        url = "http://127.0.0.1:%d" % gport
        wait_until(lambda: requests.get(url + "/readyz", timeout=2).ok, 15, "gateway ready")
        # To a file, not a pipe: each store connection's FUNCTION LOAD is echoed whole, and a
        # pipe read only at the end would fill (64 KB) and stall MONITOR before the calls.
        mon = subprocess.Popen(["redis-cli", "-p", str(rport), "monitor"],
                               stdout=out)
        time.sleep(0.5)
        body = {"url": "https://example.com/post/capture-t1-0", "category": "fraud",
                "title": "虚假投资理财平台诈骗 fake investment app", "description": DESCRIPTION,
                "contact": "someone@example.com", "language": "zh-CN"}
        r = requests.post(url + "/api/v1/reports", json=body, timeout=5)
        assert r.status_code == 202, r.text
        time.sleep(0.5)
    finally:
        if mon:
            mon.terminate()
            mon.wait()
        out.close()
        stop(gw)
        stop(rp)
    lines = (workdir / "monitor.txt").read_bytes().decode("utf-8", "replace").splitlines(True)
    return {name: fcall.parse(lines, name) for name in FUNCTIONS}


def user_cpu_us(pid):
    """The user-space CPU time a process has used so far, in microseconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) * 1e6 / os.sysconf("SC_CLK_TCK")


def calls(c, pid, args):
    """Redis's usec_per_call of N calls of args (ids made new in each), pipelined DEPTH deep,
    and the user-space CPU time Redis spent per call meanwhile (which, unlike usec_per_call,
    does not count the time Redis was preempted by other processes mid-call)."""
    c.config_resetstat()
    slots = [i for i, a in enumerate(args) if b"__rand_int__" in a]
    sent = 0
    cpu0 = user_cpu_us(pid)
    while sent < N:
        p = c.pipeline(transaction=False)
        for _ in range(min(DEPTH, N - sent)):
            sent += 1
            tag = b"%012d" % sent
            call = list(args)
            for i in slots:
                call[i] = call[i].replace(b"__rand_int__", tag)
            p.execute_command(*call)
        for reply in p.execute(raise_on_error=True):
            assert reply[0] == b"ok", reply
    cpu = (user_cpu_us(pid) - cpu0) / N
    st = c.info("commandstats")["cmdstat_fcall"]
    assert st["calls"] >= N, st
    return st["usec_per_call"], cpu


def one_round(build, args, workdir):
    """{name: (usec_per_call, user CPU per call)} of N calls of each of a report's two calls,
    in their order, on a fresh Redis with build's Functions."""
    workdir.mkdir(parents=True)
    rp, _, c = start_redis(workdir)
    try:
        c.execute_command("FUNCTION", "LOAD", "REPLACE", (build / "gen/functions.lua").read_bytes())
        return {name: calls(c, rp.pid, args[name]) for name in FUNCTIONS}
    finally:
        stop(rp)
        shutil.rmtree(workdir, ignore_errors=True)


def main():
    builds = [pathlib.Path(b).resolve() for b in sys.argv[1:3]]
    if len(builds) != 2:
        raise SystemExit(__doc__)
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="fcall-ab."))
    try:
        args = [capture(b, tmp / ("capture%d" % i)) for i, b in enumerate(builds)]
        if JOIN:  # the case-URL key (KEYS[1]) the same for every jb_report
            for a in args:
                a["jb_report"][3] = a["jb_report"][3].replace(b"__rand_int__", b"000000000000")
        for name, b, a in zip("AB", builds, args):
            print("%s: %s: %s" % (name, b, "; ".join(
                "%s %d arguments after FCALL's name, %d bytes" % (f, len(a[f]) - 2,
                                                                    sum(len(x) for x in a[f]))
                for f in FUNCTIONS)), flush=True)
        got = {(i, f): [] for i in (0, 1) for f in FUNCTIONS}
        cpu = {(i, f): [] for i in (0, 1) for f in FUNCTIONS}
        for r in range(ROUNDS):
            for i in (0, 1):
                res = one_round(builds[i], args[i], tmp / ("round%d-%d" % (r, i)))
                for f in FUNCTIONS:
                    got[i, f].append(res[f][0])
                    cpu[i, f].append(res[f][1])
                print("round %d %s: %s" % (r + 1, "AB"[i], "; ".join(
                    "%s %.2f us (usec_per_call), Redis user CPU %.2f us per call"
                    % (f, res[f][0], res[f][1]) for f in FUNCTIONS)), flush=True)
        for i in (0, 1):
            for f in FUNCTIONS:
                print("%s median %s: usec_per_call %.2f (%s); user CPU per call %.2f (%s)" % (
                    "AB"[i], f, statistics.median(got[i, f]),
                    " ".join("%.2f" % x for x in got[i, f]),
                    statistics.median(cpu[i, f]), " ".join("%.2f" % x for x in cpu[i, f])))
            print("%s median per report (both calls): usec_per_call %.2f; user CPU %.2f" % (
                "AB"[i], sum(statistics.median(got[i, f]) for f in FUNCTIONS),
                sum(statistics.median(cpu[i, f]) for f in FUNCTIONS)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
