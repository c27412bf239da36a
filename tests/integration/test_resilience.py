"""Redis down, killed, stopped or restarted: never a 202 that is not stored, never a hang,
and the gateway comes back by itself."""

import threading
import time
import uuid

import requests

from jubao_testlib import assert_error, unique_url, wait_until

ANSWER_WITHIN = 2.5     # seconds: no request may take longer, Redis up or down


def test_readyz_follows_redis(gateway, redis_factory):
    r = redis_factory()
    g = gateway(redis=r)
    assert g.get("/readyz").status_code == 200
    r.kill()
    t0 = time.monotonic()
    resp = g.get("/readyz", timeout=10)
    assert time.monotonic() - t0 < ANSWER_WITHIN
    assert_error(resp, 503, None)
    assert g.get("/healthz").status_code == 200
    r.restart()
    wait_until(lambda: g.get("/readyz", timeout=10).status_code == 200, 10,
               what="/readyz 200 after the restart")


def test_gateway_starts_with_redis_down(gateway, redis_factory):
    r = redis_factory()
    r.kill()
    g = gateway(redis=r, wait_ready=False)
    assert g.get("/healthz").status_code == 200
    assert_error(g.get("/readyz", timeout=10), 503, None)
    assert_error(g.report(timeout=10), 503, None)
    r.start()
    wait_until(lambda: g.report().status_code == 202, 10, what="a 202 once Redis is up")


def test_sigstop_redis_answers_503_in_time(gateway, redis_factory):
    r = redis_factory()
    g = gateway(redis=r)
    assert g.report().status_code == 202
    r.stop_process()
    try:
        for _ in range(3):
            t0 = time.monotonic()
            resp = g.report(timeout=10)
            took = time.monotonic() - t0
            assert_error(resp, 503, None)
            assert took < ANSWER_WITHIN, took
        t0 = time.monotonic()
        ready = g.get("/readyz", timeout=10)
        assert ready.status_code == 503 and time.monotonic() - t0 < ANSWER_WITHIN
    finally:
        r.continue_process()
    wait_until(lambda: g.report(timeout=10).status_code == 202, 10,
               what="a 202 after SIGCONT")
    assert g.get("/readyz").status_code == 200


def test_durability_redis_killed_mid_load(gateway, redis_factory):
    r = redis_factory()
    g = gateway(redis=r, config="threads = 4\n")
    stop = threading.Event()
    results = []            # (start, end, status, retry_after, id)
    errors = []
    lock = threading.Lock()

    def client(n):
        s = requests.Session()
        i = 0
        while not stop.is_set():
            i += 1
            body = {"url": "https://example.com/dur/%d/%d/%s" % (n, i, uuid.uuid4().hex),
                    "category": "fraud"}
            t0 = time.monotonic()
            try:
                resp = s.post(g.url + "/api/v1/reports", json=body, timeout=10)
            except requests.RequestException as e:
                with lock:
                    errors.append((t0, time.monotonic(), repr(e)))
                continue
            t1 = time.monotonic()
            rid = resp.json().get("id") if resp.status_code == 202 else None
            with lock:
                results.append((t0, t1, resp.status_code, resp.headers.get("Retry-After"), rid,
                                resp.text[:200]))
            if resp.status_code != 202:
                time.sleep(0.01)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    try:
        time.sleep(1.5)
        t_kill = time.monotonic()
        r.kill()
        t_dead = time.monotonic()           # kill() returns once the process is gone
        time.sleep(2.0)
        t_restart = time.monotonic()        # before the new process exists
        r.start()
        t_up = time.monotonic()

        def recovered():
            with lock:
                return any(s == 202 and t0 > t_up for t0, _, s, _, _, _ in results)
        wait_until(recovered, 15, what="202s after the restart")
        time.sleep(0.5)
    finally:
        stop.set()
        for t in threads:
            t.join(30)

    assert not errors, errors[:5]
    assert g.alive(), "the gateway died"
    assert g.get("/healthz").status_code == 200

    statuses = {}
    for _, _, s, _, _, _ in results:
        statuses[s] = statuses.get(s, 0) + 1
    print("durability: answers %s; kill at +%.2fs, restart at +%.2fs; slowest %.3fs" % (
        statuses, t_kill - results[0][0], t_restart - results[0][0],
        max(t1 - t0 for t0, t1, _, _, _, _ in results)))
    assert set(statuses) <= {202, 503}, statuses
    before = [x for x in results if x[1] < t_kill and x[2] == 202]
    assert len(before) > 20, "too few 202s before the kill: %s" % statuses
    assert statuses.get(503, 0) > 0, statuses

    slow = [(round(t1 - t0, 2), s) for t0, t1, s, _, _, _ in results if t1 - t0 > ANSWER_WITHIN]
    assert slow == [], slow
    bad_retry = [(s, ra) for _, _, s, ra, _, _ in results
                 if s == 503 and not (ra and ra.isdigit() and int(ra) > 0)]
    assert bad_retry == [], bad_retry

    # no 202 for a request that started once Redis was dead and ended before the restart
    # (between t_kill and t_dead Redis may still answer: other threads run while kill() waits)
    impossible = [(round(t0 - t_dead, 3), round(t1 - t_dead, 3), rid)
                  for t0, t1, s, _, rid, _ in results
                  if s == 202 and t0 > t_dead and t1 < t_restart]
    assert impossible == [], impossible

    # every 202 is stored (the AOF was fsynced before the answer)
    c = r.client()
    acked = [rid for _, _, s, _, rid, _ in results if s == 202]
    pipe = c.pipeline(transaction=False)
    for rid in acked:
        pipe.exists(r.report_key(rid))
    missing = [rid for rid, e in zip(acked, pipe.execute()) if not e]
    assert missing == [], "%d of %d acknowledged reports are not in Redis: %s" % (
        len(missing), len(acked), missing[:10])


def test_retry_with_the_same_idempotency_key_after_503(gateway, redis_factory):
    r = redis_factory()
    g = gateway(redis=r)
    body = {"url": unique_url("retry"), "category": "fraud"}
    h = {"Idempotency-Key": "retry-" + uuid.uuid4().hex}
    r.kill()
    assert_error(g.report(body, headers=h, timeout=10), 503, None)
    r.start()
    first = wait_until(lambda: (lambda x: x if x.status_code == 202 else None)(
        g.report(body, headers=h, timeout=10)), 10, what="a 202 after the restart")
    again = g.report(body, headers=h)
    assert again.status_code == 202
    assert (again.json()["id"], again.json()["secret"]) == (first.json()["id"],
                                                            first.json()["secret"])
    c = r.case(first.json()["case"])
    assert c["reports"] == "1", c


def test_full_redis_is_503_and_nothing_half_written(gateway, redis_factory):
    r = redis_factory()
    g = gateway(redis=r)
    c = r.client()
    url = unique_url("full")
    assert g.report({"url": url, "category": "fraud"}).status_code == 202
    keys_before = sorted(c.keys("*"))
    xlen = sum(c.xlen(s) for s in r.intake_streams())
    c.config_set("maxmemory", "1")      # noeviction: every write is refused
    try:
        for body in ({"url": url, "category": "fraud"},
                     {"url": unique_url("full"), "category": "fraud"}):
            assert_error(g.report(body, timeout=10), 503, None)
    finally:
        c.config_set("maxmemory", "0")
    assert sorted(c.keys("*")) == keys_before
    assert sum(c.xlen(s) for s in r.intake_streams()) == xlen
    assert g.report({"url": url, "category": "fraud"}).status_code == 202
