"""jubao on a real Redis Cluster through the store's cluster client (lib/store_pipe.c, issue
12): gateways and workers started with the seed list serve reports, receipts, status, routing,
claims, decisions and the feed; a slot migration under load loses nothing and answers no 5xx;
with redis_replica_acks = 1 the loss of the primary that holds the data answers 503 (never a
202 for a report that is then lost) and the gateway recovers by itself. And on one Redis with a
replica: a write its replica did not acknowledge is a 503, and the retry with the same
Idempotency-Key returns the report.

The gateways here keep the one-shard layout (ONE: redis_shards = 1), every key under the tag
{0}: on the cluster all of jubao's data sits on one slot of one primary, the one a test moves or
kills. The sharded layout on the cluster: test_shard_*.py and `make integration-cluster`."""

import re
import threading
import time
import uuid

import requests

from jubao_testlib import (INTAKE, PREFIX, Reviewer, RedisServer, assert_error, queued_cases,
                           unique_url, wait_queued, wait_until)
from test_decisions import feed_ok
from test_web import Browser, receipt

ONE = "redis_shards = 1\n"   # the data on one slot


def functions_loaded(node):
    """FUNCTION LIST names the library "jubao" (RESP2: [name, value, ...] per library)."""
    libs = node.client().execute_command("FUNCTION", "LIST", "LIBRARYNAME", "jubao")
    return any(dict(zip(lib[0::2], lib[1::2])).get("library_name") == "jubao" for lib in libs)


def test_the_whole_path_runs_on_the_cluster(redis_cluster, gateway, worker):
    c = redis_cluster
    g = gateway(redis=c, config=ONE)
    assert g.env["JUBAO_REDIS"] == c.seeds and "," in c.seeds
    worker(g)
    key = g.apikey()
    api = g.report({"url": unique_url("cl-api"), "category": "fraud", "platform_ref": "t-1"},
                   key=key)
    assert api.status_code == 202, api.text
    api = api.json()
    st = g.status(api["id"], secret=api["secret"])
    assert st.status_code == 200 and st.json()["status"] == "received", st.text
    rid, secret = receipt(Browser(g).post({"url": unique_url("cl-web"), "category": "gambling",
                                           "description": "cluster", "lang": "en"}))
    web = g.status(rid, secret=secret).json()
    assert web["status"] == "received" and web["category"] == "gambling", web

    # the data sits on the primary of {0}; the Functions are on every primary
    holder = c.node_for_key(PREFIX)
    assert holder.client().exists(PREFIX + "report:" + api["id"], PREFIX + "report:" + rid) == 2
    assert all(functions_loaded(p) for p in c.primaries())
    # the log names each node the gateway loaded the Functions on (and nothing else)
    raw = g.log_path.read_bytes()
    raw.decode("utf-8")
    assert b"connected to 127.0.0.1:%d, functions loaded" % holder.port in raw, \
        raw[-2000:]

    # the worker routes both, a reviewer claims and decides them, the platform's feed has its
    cases = {api["case"], web["case"]}
    wait_queued(c, cases)
    rv = Reviewer(g)
    decided = {}
    for _ in cases:
        x = rv.claim()
        assert x.status_code == 200, x.text
        d = rv.decide(x.json()["case"], "actioned", "fraud")
        assert d.status_code == 200, d.text
        decided[x.json()["case"]] = d.json()["decided_at"]
    assert set(decided) == cases and rv.claim().status_code == 204
    st = g.status(api["id"], secret=api["secret"]).json()
    assert st["status"] == "actioned" and st["decision"]["decided_at"] == decided[api["case"]]
    [e] = feed_ok(g, key)["decisions"]
    assert (e["id"], e["platform_ref"], e["verdict"]) == (api["id"], "t-1", "actioned"), e
    assert g.get("/readyz").status_code == 200


class Flow:
    """Clients posting reports to the gateways until stop(); every answer is kept as
    (start, end, status, Retry-After, id, secret, case, body)."""

    def __init__(self, gateways, clients=4):
        self.results, self.errors = [], []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._client, args=(gateways[n % len(gateways)],
                                                                    n))
                        for n in range(clients)]
        for t in self.threads:
            t.start()

    def _client(self, g, n):
        s = requests.Session()
        i = 0
        while not self.stopping.is_set():
            i += 1
            body = {"url": "https://example.com/flow/%d/%d/%s" % (n, i, uuid.uuid4().hex),
                    "category": "fraud"}
            t0 = time.monotonic()
            try:
                x = s.post(g.url + "/api/v1/reports", json=body, timeout=30)
            except requests.RequestException as e:
                with self.lock:
                    self.errors.append(repr(e))
                time.sleep(0.02)    # a gateway killed on purpose: no busy loop of refusals
                continue
            j = x.json() if x.status_code == 202 else {}
            with self.lock:
                self.results.append((t0, time.monotonic(), x.status_code,
                                     x.headers.get("Retry-After"), j.get("id"), j.get("secret"),
                                     j.get("case"), x.text[:200]))
            if x.status_code != 202:
                time.sleep(0.02)

    def count(self, status, after=0.0):
        with self.lock:
            return sum(1 for r in self.results if r[2] == status and r[0] > after)

    def stop(self):
        self.stopping.set()
        for t in self.threads:
            t.join(60)

    def statuses(self):
        out = {}
        for r in self.results:
            out[r[2]] = out.get(r[2], 0) + 1
        return out


def assert_every_202_kept_once(c, g, flow, worker_ran=False):
    """Every report answered 202 is found by its secret, and was queued once: one intake entry,
    or (worker_ran: the worker may have trimmed the intake stream) its case, new for each
    report of the flow, once in the review queues."""
    acked = [(r[4], r[5], r[6]) for r in flow.results if r[2] == 202]
    lost = [rid for rid, secret, _ in acked if g.status(rid, secret=secret).status_code != 200]
    assert lost == [], "%d of %d acknowledged reports are lost: %s" % (len(lost), len(acked),
                                                                       lost[:10])
    if worker_ran:
        wait_queued(c, {case for _, _, case in acked}, timeout=60)
        queued = queued_cases(c)
        wrong = [(case, queued[case]) for _, _, case in acked if len(queued[case]) != 1]
    else:
        per_report = {}
        for _, f in c.client().xrange(INTAKE):
            per_report[f.get("report")] = per_report.get(f.get("report"), 0) + 1
        wrong = [(rid, per_report.get(rid, 0)) for rid, _, _ in acked
                 if per_report.get(rid, 0) != 1]
    assert wrong == [], "reports not queued exactly once: %s" % wrong[:10]


def fill_slot(node, nkeys):
    """nkeys small keys in the slot of PREFIX (they carry its hash tag) on node: a slot that
    holds many keys takes seconds to move, as the data slot of a deployment that has run a
    while."""
    r = node.client()
    for start in range(0, nkeys, 1000):
        p = r.pipeline(transaction=False)
        for i in range(start, min(start + 1000, nkeys)):
            p.set(PREFIX + "fill:%d" % i, "x" * 100)
        p.execute()


def test_the_data_slot_moves_under_load(redis_cluster_factory, gateway):
    """While a slot moves, jb_report (keys split between the two nodes) gets TRYAGAIN until
    every key of the slot has moved: with 8000 keys that outlasts redis_timeout_ms, and the
    store keeps trying (lib/store_pipe.c, STORE_MIGRATE_WAIT_MS) instead of answering 503."""
    c = redis_cluster_factory()
    g = gateway(redis=c, config=ONE + "redis_timeout_ms = 2000\n")
    slot = c.keyslot(PREFIX)
    src = c.node_for_slot(slot)
    dst = next(p for p in c.primaries() if p is not src)
    fill_slot(src, 8000)
    flow = Flow([g])
    try:
        wait_until(lambda: flow.count(202) >= 100, 30, what="100 reports before the move")
        # redis-cli moves a primary's lowest slots first: move them up to {0}'s slot included
        first = min(s for s, _, p, _ in c.slots() if p is src)
        c.reshard(src, dst, slot - first + 1)
        assert c.node_for_slot(slot) is dst
        t_moved = time.monotonic()
        wait_until(lambda: flow.count(202, after=t_moved) >= 50, 30,
                   what="reports after the move")
    finally:
        flow.stop()
    longest = max(r[1] - r[0] for r in flow.results)
    print("slot move: answers %s, longest %.1f s" % (flow.statuses(), longest))
    assert flow.errors == [], flow.errors[:5]
    assert set(flow.statuses()) == {202}, flow.statuses()
    assert longest > 2.0, "the slot moved too quickly to outlast redis_timeout_ms"
    # every key of the moved slots left the source (global keys such as jb:meta have slots of
    # their own, which may stay there)
    moved = range(first, slot + 1)
    assert sum(src.client().execute_command("CLUSTER", "COUNTKEYSINSLOT", s) for s in moved) == 0
    assert dst.client().exists(INTAKE)
    assert_every_202_kept_once(c, g, flow)
    assert functions_loaded(dst)
    assert "a job failed" not in g.log_text()


def test_losing_the_data_primary_answers_503_and_loses_no_202(redis_cluster_factory, gateway,
                                                              worker):
    c = redis_cluster_factory()
    g = gateway(redis=c, config=ONE + "redis_replica_acks = 1\nredis_replica_timeout = 1000\n")
    g2 = gateway(redis=c, config=ONE + "redis_replica_acks = 1\nredis_replica_timeout = 1000\n",
                 data_from=g.data_dir)
    worker(g)
    holder = c.node_for_key(PREFIX)
    flow = Flow([g, g2])
    try:
        wait_until(lambda: flow.count(202) >= 100, 30, what="100 reports before the kill")
        t_kill = time.monotonic()
        new = c.kill_primary(holder)        # SIGKILL; returns when the replica took over
        assert c.node_for_key(PREFIX) is new
        # the new primary has no replica: with redis_replica_acks = 1 nothing is acknowledged
        # until the killed node is back (as systemd restarts it) and follows the new primary
        holder.start()
        wait_until(lambda: c.role(holder)[0] == "slave", 60, what="the old primary to rejoin")
        t_back = time.monotonic()
        wait_until(lambda: flow.count(202, after=t_back) >= 50, 60, what="the gateways recover")
    finally:
        flow.stop()
    statuses = flow.statuses()
    print("failover: answers %s" % statuses)
    assert flow.errors == [], flow.errors[:5]
    assert set(statuses) <= {202, 503}, statuses
    assert statuses.get(503, 0) > 0, statuses
    bad_retry = [r for r in flow.results
                 if r[2] == 503 and not (r[3] and r[3].isdigit() and int(r[3]) > 0)]
    assert bad_retry == [], bad_retry[:5]
    for x in (g, g2):
        assert x.alive() and x.get("/readyz").status_code == 200
    assert_every_202_kept_once(c, g, flow, worker_ran=True)
    # and the worker still routes what comes now
    fresh = g.report({"url": unique_url("after"), "category": "fraud"})
    assert fresh.status_code == 202, fresh.text
    wait_queued(c, {fresh.json()["case"]})


def test_a_write_no_replica_acknowledged_is_503_and_the_retry_returns_it(redis_factory,
                                                                         gateway):
    r = redis_factory()
    replica = RedisServer(r.dir.parent / ("replica-" + uuid.uuid4().hex[:8]),
                          args=["--replicaof", "127.0.0.1", str(r.port)])
    try:
        wait_until(lambda: replica.client().info("replication").get("master_link_status")
                   == "up", 20, what="the replica linked")
        g = gateway(redis=r, config=ONE + "redis_replica_acks = 1\nredis_replica_timeout = 300\n")
        ok = g.report()
        assert ok.status_code == 202, ok.text       # the replica acknowledges: stored
        body = {"url": unique_url("wait"), "category": "fraud"}
        h = {"Idempotency-Key": "wait-" + uuid.uuid4().hex}
        replica.stop_process()
        try:
            t0 = time.monotonic()
            x = g.report(body, headers=h, timeout=10)
            assert_error(x, 503, "unavailable")
            assert time.monotonic() - t0 >= 0.3     # it waited for the replica
        finally:
            replica.continue_process()
        # the write itself happened: the retry returns that report, not a second one
        again = g.report(body, headers=h)
        assert again.status_code == 202, again.text
        case = again.json()["case"]
        assert r.case(case)["reports"] == "1"
        assert [f["report"] for _, f in r.intake_entries_for_case(case)] == [again.json()["id"]]
    finally:
        replica.close()


def test_a_failed_store_job_is_logged_with_why(redis_factory, gateway):
    """A 503 because the store job failed leaves a warning saying why in the gateway's log (the
    slot move's 503s left none): here Redis stops answering and the deadline passes."""
    r = redis_factory()
    g = gateway(redis=r, config=ONE + "redis_timeout_ms = 300\n")
    assert g.report().status_code == 202
    r.stop_process()
    try:
        x = g.report(timeout=10)
        assert_error(x, 503, "unavailable")
    finally:
        r.continue_process()
    wait_until(lambda: "redis: a job failed after" in g.log_text(), 5,
               what="the failed job in the log")
    line = next(l for l in g.log_text().splitlines() if "redis: a job failed after" in l)
    assert re.search(r" warn: redis: a job failed after \d+ ms: (no answer before its deadline|"
                     r"its connection was lost or timed out|no server answered INFO) ", line), line
