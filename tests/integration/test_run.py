"""The README's first command: deploy/run.sh (what `make run` calls after building) starts a
private redis-server, the gateway and the worker, creates keys on first run, and stops all three
on SIGTERM."""

import os
import signal
import subprocess
import time

import redis as redislib
import requests

from jubao_testlib import (GATEWAY_BIN, JSON, shard_of_id, shard_prefix, spare_port, unique_url,
                           wait_until)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def group_members(pgid):
    found = []
    for d in os.listdir("/proc"):
        try:
            if d.isdigit() and os.getpgid(int(d)) == pgid:
                found.append((d, open("/proc/%s/comm" % d).read().strip()))
        except OSError:
            pass
    return found


def test_run_script_serves_and_stops(tmp_path):
    http, rport, mport = spare_port(), spare_port(), spare_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUBAO_")}
    env.update({"JUBAO_VAR": str(tmp_path / "var"), "JUBAO_LISTEN": "127.0.0.1:%d" % http,
                "JUBAO_METRICS_LISTEN": "127.0.0.1:%d" % mport, "JUBAO_REDIS_PORT": str(rport)})
    build = os.path.dirname(GATEWAY_BIN)
    log = open(tmp_path / "run.log", "w")
    p = subprocess.Popen(["bash", os.path.join(REPO, "deploy/run.sh"), build], env=env,
                         stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = "http://127.0.0.1:%d" % http

        def up():
            try:
                return requests.get(url + "/readyz", timeout=1).status_code == 200
            except requests.RequestException:
                return False
        wait_until(up, 20, what="run.sh to serve /readyz")
        r = requests.post(url + "/api/v1/reports", headers=JSON, timeout=5,
                          json={"url": unique_url("run"), "category": "fraud"})
        assert r.status_code == 202, r.text
        # the worker runs too: it puts the new case in the review queue
        c = redislib.Redis(host="127.0.0.1", port=rport, decode_responses=True)
        n = int(c.hget("jb:meta", "shards") or 1)     # the case in the shard its id names
        case_key = shard_prefix(shard_of_id(r.json()["case"], n), n) + "case:" + r.json()["case"]
        wait_until(lambda: c.hget(case_key, "queue") == "default", 20,
                   what="the worker to queue the case")
        # /metrics on its own listener only
        assert requests.get(url + "/metrics", timeout=5).status_code == 404
        m = requests.get("http://127.0.0.1:%d/metrics" % mport, timeout=5)
        assert m.status_code == 200 and "jubao_reports_accepted_total 1" in m.text, m.text[:500]
        # keys made on first run, Redis's append-only file under the var directory
        assert sorted(os.listdir(tmp_path / "var" / "data")) == ["master.key", "seal.key",
                                                                   "seal.pub"]
        assert os.path.isdir(tmp_path / "var" / "redis" / "appendonlydir")
        os.kill(p.pid, signal.SIGTERM)
        assert p.wait(timeout=15) == 0
        # every child is gone: no process left in the group, nothing listens on either port
        assert group_members(p.pid) == []
        time.sleep(0.2)
        for port in (http, rport, mport):
            try:
                requests.get("http://127.0.0.1:%d/" % port, timeout=1)
                raise AssertionError("port %d still answers after SIGTERM" % port)
            except requests.ConnectionError:
                pass
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
        log.close()
