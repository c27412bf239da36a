#!/usr/bin/python3
"""bench/review.py BUILD — the worker and review benchmark (`make bench`; docs/BENCHMARKS.md).

On loopback, with private processes in a temp dir that are all stopped on any exit:

  1. Worker throughput. For 1, 2 and 4 consumers: a fresh Redis (deploy/redis.conf: AOF,
     appendfsync always) and gateway; N new cases are posted through the batch endpoint with
     no worker running; then jubao-worker starts and the time from its first routed case to
     its last gives cases per second (the counter `routed` in Redis, read every 20 ms).
  2. Claim + decide. On the last run's queue, 10 reviewers, each on its own keep-alive
     connection (wrk -t10 -c10 with bench/review.lua), claim a case and decide it, again and
     again, for the duration: decisions per second (each one a claim and a decision).

Knobs (environment): JB_REVIEW_CASES=30000  JB_REVIEW_DURATION=8s  JB_REVIEW_CONSUMERS="1 2 4"
Exit status: 0 when every measurement ran, else non-zero.
"""

import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import redis
import requests

import benchlib  # bench/benchlib.py (the script's own folder)
from benchlib import free_port

ROOT = pathlib.Path(__file__).resolve().parent.parent
BUILD = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "build").resolve()
CASES = int(os.environ.get("JB_REVIEW_CASES", "30000"))
DURATION = os.environ.get("JB_REVIEW_DURATION", "8s")
CONSUMERS = [int(c) for c in os.environ.get("JB_REVIEW_CONSUMERS", "1 2 4").split()]
REVIEWERS = 10
PASSWORD = "bench password 1234"


def say(msg):
    print("bench-review: " + msg, file=sys.stderr, flush=True)


def wait_until(pred, secs, what):
    benchlib.wait_until(pred, secs, what, 'bench-review: FAILED: ')


class Run:
    """One Redis + gateway (+ worker) in a temp dir; stop() ends them all."""

    def __init__(self, tmp, name):
        self.dir = pathlib.Path(tmp) / name
        self.dir.mkdir()
        self.procs = []
        self.redis_port, self.port = free_port(), free_port()
        self.env = dict(os.environ, JUBAO_REDIS="127.0.0.1:%d" % self.redis_port,
                        JUBAO_DATA_DIR=str(self.dir / "data"), JUBAO_RATE_LIMIT="0",
                        JUBAO_LISTEN="127.0.0.1:%d" % self.port,
                        JUBAO_METRICS_LISTEN="127.0.0.1:%d" % free_port(),
                        JUBAO_RULES=str(ROOT / "rules" / "packs"))
        self.spawn(["redis-server", str(ROOT / "deploy" / "redis.conf"), "--port",
                    str(self.redis_port), "--dir", str(self.dir), "--daemonize", "no"], "redis")
        self.r = redis.Redis(host="127.0.0.1", port=self.redis_port, decode_responses=True)
        wait_until(self.r.ping, 10, "redis")
        subprocess.run([str(BUILD / "jubao-admin"), "init"], env=self.env, check=True,
                       stdout=subprocess.DEVNULL)
        self.spawn([str(BUILD / "jubao-gateway")], "gateway")
        self.url = "http://127.0.0.1:%d" % self.port
        wait_until(lambda: requests.get(self.url + "/readyz", timeout=2).ok, 15, "gateway")
        out = subprocess.run([str(BUILD / "jubao-admin"), "apikey", "create", "bench"],
                             env=self.env, check=True, capture_output=True, text=True).stdout
        self.key = out.strip().splitlines()[-1]

    def spawn(self, cmd, name):
        log = open(self.dir / (name + ".log"), "wb")
        p = subprocess.Popen(cmd, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL)
        self.procs.append(p)
        return p

    def preload(self, n):
        s = requests.Session()
        h = {"Authorization": "Bearer " + self.key}
        categories = ["fraud", "gambling", "rumor", "pornography", "other", "minors"]
        for start in range(0, n, 100):
            batch = [{"url": "https://bench-%d.example.com/p/%d" % (i % 97, i),
                      "category": categories[i % len(categories)],
                      "title": "bench case %d" % i,
                      "description": "网络赌博 代办信用卡 call 1381234%04d to claim" % (i % 10000)}
                     for i in range(start, min(n, start + 100))]
            r = s.post(self.url + "/api/v1/reports/batch", json={"reports": batch}, headers=h)
            if r.status_code != 200 or any(x["status"] != 202 for x in r.json()["results"]):
                raise SystemExit("bench-review: FAILED: preload: %d %s" % (r.status_code,
                                                                           r.text[:300]))

    def routed(self):
        return int(self.r.hget("jb:{0}:stats", "routed") or 0)

    def stop(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()


def worker_throughput(run, consumers):
    conf = run.dir / ("worker-%d.conf" % consumers)
    conf.write_text("worker_consumers = %d\n" % consumers)
    t0 = time.monotonic()
    worker = run.spawn([str(BUILD / "jubao-worker"), "-c", str(conf)], "worker")
    first = None
    while True:
        n = run.routed()
        now = time.monotonic()
        if n and first is None:
            first = (now, n)
        if n >= CASES:
            break
        if worker.poll() is not None:
            raise SystemExit("bench-review: FAILED: jubao-worker exited (%s)" % worker.returncode)
        if now - t0 > 600:
            raise SystemExit("bench-review: FAILED: %d of %d cases routed in 10 minutes" % (n, CASES))
        time.sleep(0.02)
    end = time.monotonic()
    pending = run.r.xpending("jb:{0}:intake", "workers")["pending"]
    if pending:
        raise SystemExit("bench-review: FAILED: %d intake entries still pending" % pending)
    return (CASES - first[1]) / (end - first[0]), end - t0


def claim_decide(run, tmp):
    tokens = []
    for i in range(REVIEWERS):
        name = "bench-rev-%d" % i
        subprocess.run([str(BUILD / "jubao-admin"), "reviewer", "add", name], env=run.env,
                       input=PASSWORD + "\n", text=True, check=True, stdout=subprocess.DEVNULL)
        r = requests.post(run.url + "/api/v1/session", json={"user": name, "password": PASSWORD})
        r.raise_for_status()
        tokens.append(r.json()["token"])
    tokfile = pathlib.Path(tmp) / "tokens"
    tokfile.write_text("\n".join(tokens) + "\n")
    env = dict(os.environ, JB_TOKENS=str(tokfile))
    out = subprocess.run(["wrk", "-t%d" % REVIEWERS, "-c%d" % REVIEWERS, "-d" + DURATION,
                          "--latency", "-s", str(ROOT / "bench" / "review.lua"), run.url],
                         env=env, capture_output=True, text=True, check=True).stdout
    m = re.search(r"decisions: (\d+) in ([\d.]+) s; empty claims: (\d+); errors: (\d+)", out)
    if not m:
        raise SystemExit("bench-review: FAILED: wrk said:\n" + out)
    decided, secs, empty, errors = int(m[1]), float(m[2]), int(m[3]), int(m[4])
    if errors:
        raise SystemExit("bench-review: FAILED: %d unexpected answers\n%s" % (errors, out[-3000:]))
    lat = re.search(r"99%\s+(\S+)", out)
    return decided / secs, empty, lat[1] if lat else "?"


def main():
    for tool in ("wrk", "redis-server"):
        if not shutil.which(tool):
            raise SystemExit("bench-review: FAILED: %s is missing (deploy/bootstrap.sh bench)" % tool)
    tmp = tempfile.mkdtemp(prefix="bench-review.")
    results, runs = [], []
    try:
        for k in CONSUMERS:
            run = Run(tmp, "consumers-%d" % k)
            runs.append(run)
            say("%d consumers: posting %d cases" % (k, CASES))
            run.preload(CASES)
            rate, total = worker_throughput(run, k)
            say("%d consumers: %.0f cases/s (%.1f s from start to the last case)" % (k, rate, total))
            results.append((k, rate, total))
            if k != CONSUMERS[-1]:
                run.stop()
        say("claim + decide: %d reviewers for %s" % (REVIEWERS, DURATION))
        rps, empty, p99 = claim_decide(runs[-1], tmp)
    finally:
        for run in runs:
            run.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print("\nworker throughput (%d cases, rules: rules/packs, Redis appendfsync always)" % CASES)
    print("| consumers | cases/s | start to last case |")
    print("|---|---|---|")
    for k, rate, total in results:
        print("| %d | %.0f | %.1f s |" % (k, rate, total))
    print("\nclaim + decide, %d reviewers, %s: %.0f round trips/s (a claim and a decision each; "
          "p99 of one request %s%s)" % (REVIEWERS, DURATION, rps, p99,
                                        "; %d claims found the queue empty" % empty if empty else ""))


if __name__ == "__main__":
    main()
