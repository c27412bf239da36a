"""High availability on a real Redis Cluster (issue 12, "Done when"): six nodes on loopback (3
primaries, 3 replicas: redis_cluster_factory), two gateways on the same data and two workers,
all with redis_shards = 16 set explicitly (not the default, which may change).

- The spread: a fixed set of URLs (https://dist.example/<i>, i < DIST_N) posted through the
  batch API of both gateways lands on the primaries as the shards' slots predict, each within
  ±15% of an even third. 16 shards fall 6/5/5 on three primaries, so one primary's share is
  12.5% above a third before any noise; with this fixed set the noise is small and always the
  same (the shard is the URL hash's first 8 hex digits mod 16, docs/SCALING.md): 1507, 1264
  and 1229 of 4000 (+13.0%, -5.2%, -7.8%), so the test cannot flake.
- `kill -9` of a primary while clients post through both gateways (one that holds only
  shards, and the one that also holds the global tag {0}): its replica takes over, the
  gateways answer only 202 or 503 (with Retry-After), the other primaries' shards keep taking
  reports (when the global keys live on), and the lost shards take them again by themselves
  once the killed node is back as a replica (redis_replica_acks = 1 waits for it).
- `kill -9` of a worker while it holds pending intake entries: the other worker's reaper takes
  them over; `kill -9` of a gateway while clients post: its clients see connection errors, the
  other gateway keeps answering 202.

After each: every report answered 202 is found by its secret, stored once (its case, new for
each report of the flow, counts one report) and queued once (one entry in the review streams of
all shards), and no intake entry is left pending.
"""

import hashlib
import os
import signal
import time

import pytest
from redis.crc import key_slot

from jubao_testlib import PREFIX, QUEUES, pid_gone, wait_until
from test_cluster_store import Flow
from test_shard_workers import shard_of_id, shard_prefix

SHARDS = 16
DIST_N = 4000       # reports of the spread test: 40 batches of 100
BATCH = 100
# redis_replica_acks = 1: a 202 only once a replica has the report. worker_idle_ms short, so
# that the reaper takes over a killed worker's entries within seconds.
CONFIG = ("redis_shards = %d\nredis_replica_acks = 1\nredis_replica_timeout = 1000\n"
          "worker_idle_ms = 3000\n" % SHARDS)
PREFIXES = [shard_prefix(i, SHARDS) for i in range(SHARDS)]


def ha_stack(c, gateway, worker, config=CONFIG, workers=2):
    """Two gateways on cluster c with the same data (keys of one installation) and `workers`
    jubao-workers: ([g1, g2], [w...])."""
    g1 = gateway(redis=c, config=config)
    g2 = gateway(redis=c, config=config, data_from=g1.data_dir)
    return [g1, g2], [worker(g1) for _ in range(workers)]


def shard_primaries(c):
    """{shard: the primary that serves its slot}, from the cluster's slot map."""
    slots = c.slots()
    out = {}
    for i, p in enumerate(PREFIXES):
        s = key_slot(p.encode())
        out[i] = next(node for a, b, node, _ in slots if a <= s <= b)
    return out


def url_shard(url):
    """The shard of a URL's case (lib/shard.c shards_of_url over lib/crypto.c crypto_digest:
    unkeyed BLAKE2b-256 of the canonical URL, its first 8 hex digits mod the shards)."""
    return int(hashlib.blake2b(url.encode(), digest_size=32).hexdigest()[:8], 16) % SHARDS


def report_keys(node):
    """The report keys of the shards a node holds (jb:{s<k>}:report:<id>)."""
    return [k for k in node.client().scan_iter(match="jb:{s*}:report:*", count=1000)
            if k.count(":") == 3]


def shard_client(c, i):
    return c.node_for_key(PREFIXES[i]).client()


def pending_entries(c):
    """[(shard, entry id, consumer, idle ms)] of every shard's intake stream."""
    out = []
    for i, p in enumerate(PREFIXES):
        r = shard_client(c, i)
        if not r.exists(p + "intake"):
            continue
        for e in r.xpending_range(p + "intake", "workers", "-", "+", 10000):
            out.append((i, e["message_id"], e["consumer"], e["time_since_delivered"]))
    return out


def review_counts(c):
    """{case: entries} over the review streams of every shard."""
    counts = {}
    for i, p in enumerate(PREFIXES):
        r = shard_client(c, i)
        for s in ["review:%s:%d" % (q, b) for q in QUEUES for b in range(4)]:
            for _, f in r.xrange(p + s):
                counts[f.get("case")] = counts.get(f.get("case"), 0) + 1
    return counts


def assert_every_202_kept_once(c, g, flow):
    """Every report flow got a 202 for is found through gateway g by its secret, its case
    (new for that report) counts it once, and the workers queued that case once; no intake
    entry is left pending."""
    acked = [(r[4], r[5], r[6]) for r in flow.results if r[2] == 202]
    assert acked
    lost = [rid for rid, secret, _ in acked if g.status(rid, secret=secret).status_code != 200]
    assert lost == [], "%d of %d acknowledged reports lost: %s" % (len(lost), len(acked),
                                                                   lost[:10])
    twice = []
    for rid, _, case in acked:
        i = shard_of_id(rid, SHARDS)
        if shard_client(c, i).hget(PREFIXES[i] + "case:" + case, "reports") != "1":
            twice.append(rid)
    assert twice == [], "reports not stored exactly once: %s" % twice[:10]
    cases = {case for _, _, case in acked}
    wait_until(lambda: cases <= set(review_counts(c)), 60, interval=0.5,
               what="%d cases in the review queues" % len(cases))
    wait_until(lambda: pending_entries(c) == [], 60, interval=0.5,
               what="no intake entry pending")
    counts = review_counts(c)
    wrong = [(case, counts[case]) for case in cases if counts[case] != 1]
    assert wrong == [], "cases not queued exactly once: %s" % wrong[:10]


def assert_answers(flow, allowed):
    statuses = flow.statuses()
    assert set(statuses) <= allowed, statuses
    bad_retry = [r for r in flow.results
                 if r[2] == 503 and not (r[3] and r[3].isdigit() and int(r[3]) > 0)]
    assert bad_retry == [], bad_retry[:5]
    return statuses


def test_reports_spread_over_the_primaries_as_their_shards_predict(redis_cluster_factory,
                                                                   gateway, worker):
    c = redis_cluster_factory()
    gs, _ = ha_stack(c, gateway, worker, workers=0)
    key = gs[0].apikey("p-dist")
    urls = ["https://dist.example/%d" % i for i in range(DIST_N)]
    ids = []
    for n, start in enumerate(range(0, DIST_N, BATCH)):
        body = {"reports": [{"url": u, "category": "fraud"} for u in urls[start:start + BATCH]]}
        x = gs[n % 2].post("/api/v1/reports/batch", body, key=key, timeout=60)
        assert x.status_code == 200, x.text
        results = x.json()["results"]
        assert [r["status"] for r in results] == [202] * len(body["reports"]), results[:3]
        ids += [r["id"] for r in results]
    # each case is in the shard of its URL's hash, and the report's id names that shard
    assert [shard_of_id(i, SHARDS) for i in ids] == [url_shard(u) for u in urls]

    owner = shard_primaries(c)
    primaries = c.primaries()
    assert len(primaries) == 3 and set(owner.values()) == set(primaries)
    assert sorted(list(owner.values()).count(p) for p in primaries) == [5, 5, 6]
    predicted = {p: 0 for p in primaries}
    for i in ids:
        predicted[owner[shard_of_id(i, SHARDS)]] += 1
    measured = {p: len(report_keys(p)) for p in primaries}
    print("spread of %d reports over the primaries (shards): %s" % (DIST_N, ", ".join(
        "%d (%d)" % (measured[p], list(owner.values()).count(p)) for p in primaries)))
    assert measured == predicted
    for p in primaries:
        share = measured[p] / (DIST_N / 3)
        assert 0.85 <= share <= 1.15, (p.port, measured[p], share)


@pytest.mark.parametrize("global_keys", [False, True], ids=["shards-only", "global-keys"])
def test_a_primary_killed_under_load_answers_503_and_loses_no_202(redis_cluster_factory,
                                                                  gateway, worker, global_keys):
    """global_keys: kill the primary that also holds the global tag {0} (the audit chain, the
    feeds, the day keys of the pseudonyms; jb_admit runs on the reporter's own slot), else
    another one, whose loss only its shards feel."""
    c = redis_cluster_factory()
    gs, _ = ha_stack(c, gateway, worker)
    holder = c.node_for_key(PREFIX)
    victim = holder if global_keys else next(p for p in c.primaries() if p is not holder)
    lost = {i for i, p in shard_primaries(c).items() if p is victim}
    assert 5 <= len(lost) <= 6

    flow = Flow(gs)
    try:
        wait_until(lambda: flow.count(202) >= 100, 30, what="100 reports before the kill")
        t_kill = time.monotonic()
        new = c.kill_primary(victim)        # SIGKILL; returns when its replica took over
        assert all(c.node_for_key(PREFIXES[i]) is new for i in lost)
        # as systemd would: the node comes back and follows the new primary, which then has
        # the replica redis_replica_acks = 1 waits for
        victim.start()
        wait_until(lambda: c.role(victim)[0] == "slave", 60, what="the old primary to rejoin")
        t_back = time.monotonic()

        def recovered():
            with flow.lock:
                return sum(1 for r in flow.results if r[2] == 202 and r[0] > t_back
                           and shard_of_id(r[4], SHARDS) in lost) >= 20
        wait_until(recovered, 60, interval=0.2, what="202s in the lost shards again")
    finally:
        flow.stop()
    statuses = assert_answers(flow, {202, 503})
    assert flow.errors == [], flow.errors[:5]
    assert statuses.get(503, 0) > 0, statuses
    # meanwhile the other primaries' shards kept taking reports, unless every report's first
    # call (jb_admit) was on the lost primary
    others = [r for r in flow.results if r[2] == 202 and t_kill < r[0] and r[1] < t_back
              and shard_of_id(r[4], SHARDS) not in lost]
    print("primary killed (%s): answers %s, %d 202s in other shards during the %.1f s outage"
          % ("global keys" if global_keys else "shards only", statuses, len(others),
             t_back - t_kill))
    if not global_keys:
        assert others, "no shard took reports while one primary was down"
    for g in gs:
        assert g.alive() and g.get("/readyz").status_code == 200
    assert_every_202_kept_once(c, gs[0], flow)


def hold_pending(c, w, tries=20):
    """SIGSTOPs worker w's consumers until they hold intake entries they read and did not
    acknowledge (stopped in the middle of a batch, or blocked in XREADGROUP, which Redis
    still serves): returns those entries [(shard, id)], the consumers left stopped."""
    for _ in range(tries):
        pids = w.consumer_pids()
        for p in pids:
            _signal(p, signal.SIGSTOP)
        time.sleep(1.0)
        # the other worker acknowledges its entries in milliseconds: an entry idle for most
        # of the second is one a stopped consumer holds
        held = [(i, e) for i, e, _, idle in pending_entries(c) if idle >= 800]
        if held:
            return held
        for p in pids:
            _signal(p, signal.SIGCONT)
        time.sleep(0.3)
    raise AssertionError("the worker's consumers never held an entry")


def _signal(pid, sig):
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def test_a_worker_killed_holding_entries_loses_and_repeats_nothing(redis_cluster_factory,
                                                                   gateway, worker):
    c = redis_cluster_factory()
    gs, (w1, w2) = ha_stack(c, gateway, worker)
    flow = Flow(gs)
    try:
        wait_until(lambda: flow.count(202) >= 100, 30, what="100 reports before the kill")
        held = hold_pending(c, w1)
        kids = w1.children()
        # kill -9 of the supervisor first (so that it restarts none), then of its children
        # (on its death they would get SIGTERM and end gracefully: not a crash)
        w1.kill()
        for p in kids:
            _signal(p, signal.SIGKILL)
        wait_until(lambda: all(pid_gone(p) for p in kids), 10, what="w1's children gone")
        t_kill = time.monotonic()
        # the other worker's reaper takes them over once idle for worker_idle_ms
        still = lambda: {(i, e) for i, e, _, _ in pending_entries(c)} & set(held)
        wait_until(lambda: not still(), 30, interval=0.2, what="the held entries taken over")
        wait_until(lambda: flow.count(202, after=t_kill) >= 50, 30, what="reports after")
    finally:
        flow.stop()
    print("worker killed holding %d entries: answers %s" % (len(held), flow.statuses()))
    assert flow.errors == [], flow.errors[:5]
    assert set(flow.statuses()) == {202}, flow.statuses()
    assert w2.alive()
    assert_every_202_kept_once(c, gs[0], flow)


def test_a_gateway_killed_under_load_loses_no_202(redis_cluster_factory, gateway, worker):
    c = redis_cluster_factory()
    (g1, g2), _ = ha_stack(c, gateway, worker)
    flow = Flow([g1, g2])
    try:
        wait_until(lambda: flow.count(202) >= 100, 30, what="100 reports before the kill")
        t_kill = time.monotonic()
        g1.stop(signal.SIGKILL)             # its clients' requests in flight are cut
        wait_until(lambda: len(flow.errors) >= 10, 30, what="g1's clients to see the refusal")
        wait_until(lambda: flow.count(202, after=t_kill) >= 100, 30,
                   what="g2 answering after the kill")
    finally:
        flow.stop()
    print("gateway killed: answers %s, %d connection errors" % (flow.statuses(),
                                                              len(flow.errors)))
    assert set(flow.statuses()) == {202}, flow.statuses()
    assert all(e.startswith("ConnectionError(") for e in flow.errors), flow.errors[:5]
    assert g2.alive() and g2.get("/readyz").status_code == 200
    assert_every_202_kept_once(c, g2, flow)
