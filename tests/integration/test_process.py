"""The programs as an operator meets them: configuration check, key creation, SIGTERM."""

import json
import os
import signal
import subprocess
import threading
import time

import pytest

from jubao_testlib import (ADMIN_BIN, GATEWAY_BIN, JSON, read_response, sanitizer_findings,
                           spare_port, unique_url)


def run(cmd, tmp_path, env=None, stdin=None):
    e = {k: v for k, v in os.environ.items() if not k.startswith("JUBAO_")}
    e.update({"JUBAO_DATA_DIR": str(tmp_path / "data"),
              "JUBAO_REDIS": "127.0.0.1:%d" % spare_port()})
    e.update(env or {})
    p = subprocess.run([str(c) for c in cmd], env=e, input=stdin, capture_output=True,
                       text=True, timeout=30, cwd=tmp_path)
    assert sanitizer_findings(p.stdout + p.stderr) == [], p.stderr
    return p


GOOD = """# a good configuration
listen = 127.0.0.1:18181
redis = 127.0.0.1:16399
threads = 4
body_max = 1048576
rate_anon = 3   # trailing comment
"""


def test_check_good_config(tmp_path):
    f = tmp_path / "good.conf"
    f.write_text(GOOD)
    p = run([GATEWAY_BIN, "-n", "-c", f], tmp_path)
    assert (p.returncode, p.stderr) == (0, "")


def test_check_defaults(tmp_path):
    p = run([GATEWAY_BIN, "-n"], tmp_path)
    assert p.returncode == 0, p.stderr


@pytest.mark.parametrize("line", [
    "threads = 0",
    "threads = 65",
    "threads = abc",
    "threads = 2x",
    "threads =",
    "no_such_option = 1",
    "just some words",
    "rate_anon = -1",
    "log_level = loud",
    "listen = nowhere",
    "body_max = 99999999999999999999",
])
def test_check_bad_config(tmp_path, line):
    f = tmp_path / "bad.conf"
    f.write_text("# comment\nthreads = 2\n%s\nrate_anon = 5\n" % line)
    p = run([GATEWAY_BIN, "-n", "-c", f], tmp_path)
    assert p.returncode != 0, (line, p.stdout)
    first = p.stderr.strip().splitlines()[0] if p.stderr.strip() else ""
    if line.startswith(("log_level", "listen")):
        # checked after the whole file is read: no line, but the option's name
        assert line.split()[0] in first, first
    else:
        assert "%s:3: " % f in first, first


def test_check_missing_file(tmp_path):
    p = run([GATEWAY_BIN, "-n", "-c", tmp_path / "nope.conf"], tmp_path)
    assert p.returncode != 0
    assert "nope.conf" in p.stderr


def test_bad_environment(tmp_path):
    p = run([GATEWAY_BIN, "-n"], tmp_path, env={"JUBAO_RATE_LIMIT": "2"})
    assert p.returncode != 0
    assert "JUBAO_RATE_LIMIT" in p.stderr


def test_help_lists_the_options(tmp_path):
    p = run([GATEWAY_BIN, "--help"], tmp_path)
    assert p.returncode == 0
    for opt in ["rate_anon", "rate_anon_window", "rate_platform", "rate_platform_window",
                "body_max", "batch_max", "url_max", "title_max", "description_max",
                "contact_max", "json_depth_max", "redis_timeout_ms", "threads"]:
        assert opt in p.stdout, opt


def test_admin_init_twice_changes_nothing(tmp_path):
    p = run([ADMIN_BIN, "init"], tmp_path)
    assert p.returncode == 0, p.stderr
    data = tmp_path / "data"
    files = sorted(x.name for x in data.iterdir())
    assert files, "init made no files"
    before = {n: (data / n).read_bytes() for n in files}
    modes = {n: (data / n).stat().st_mode for n in files}
    p = run([ADMIN_BIN, "init"], tmp_path)
    assert p.returncode == 0, p.stderr
    assert sorted(x.name for x in data.iterdir()) == files
    assert {n: (data / n).read_bytes() for n in files} == before
    assert {n: (data / n).stat().st_mode for n in files} == modes
    # secret keys are readable by the owner only
    for n in files:
        if n.endswith(".key"):
            assert modes[n] & 0o077 == 0, (n, oct(modes[n]))


def test_admin_apikey_lifecycle(gateway):
    g = gateway()
    key = g.apikey("lifecycle")
    assert key.startswith("jbk_"), key
    assert g.report(key=key).status_code == 202
    again = g.admin("apikey", "create", "lifecycle", check=False)
    assert again.returncode != 0, again.stdout
    assert key not in again.stdout
    assert g.report(key=key).status_code == 202   # the refused create changed nothing
    assert g.admin("apikey", "revoke", "nobody-" + unique_url()[-8:], check=False).returncode != 0
    g.admin("apikey", "revoke", "lifecycle")
    assert g.report(key=key).status_code == 401
    new = g.apikey("lifecycle")                  # a new key after the revocation
    assert new != key
    assert g.report(key=new).status_code == 202
    assert g.report(key=key).status_code == 401


def body_bytes():
    return json.dumps({"url": unique_url("term"), "category": "fraud"}).encode()


def test_sigterm_finishes_a_request_in_flight(gateway):
    g = gateway()
    body = body_bytes()
    s = g.connect(timeout=10)
    s.sendall(b"POST /api/v1/reports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              b"Content-Length: %d\r\n\r\n" % len(body) + body[:10])
    time.sleep(0.3)
    g.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    assert g.alive(), "the gateway exited with a request in flight"
    s.sendall(body[10:])
    resp = read_response(s, timeout=10)
    s.close()
    assert resp.status == 202, resp
    assert resp.json()["id"].startswith("R-")
    rc = g.stop(timeout=15)
    assert rc == 0, g.log_text()[-2000:]


def test_sigterm_waits_for_redis(gateway, redis_factory):
    # The request is inside the store (Redis stopped) when SIGTERM arrives.
    r = redis_factory()
    g = gateway(redis=r, config="redis_timeout_ms = 3000\n")   # wide margin for the pause
    out = {}

    def post():
        out["r"] = g.report(timeout=15)
    r.stop_process()
    try:
        t = threading.Thread(target=post)
        t.start()
        time.sleep(0.2)
        g.send_signal(signal.SIGTERM)
        time.sleep(0.2)
    finally:
        r.continue_process()
    t.join(15)
    assert out["r"].status_code == 202, out["r"].text
    assert r.report(out["r"].json()["id"]), "answered 202 but not stored"
    assert g.stop(timeout=15) == 0


def test_sigterm_idle_exits_zero(gateway):
    g = gateway()
    assert g.report().status_code == 202
    t0 = time.monotonic()
    assert g.stop(timeout=15) == 0
    assert time.monotonic() - t0 < 5
