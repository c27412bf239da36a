"""Review across shards (issue 12; docs/SCALING.md, review across shards): with redis_shards = 4,
on one Redis and on a real Redis Cluster, a claim takes the oldest case of the highest band
whatever its shard, and the lease calls and the decision find the case's shard from its id.
A decision writes its case in the case's shard and its audit entry and feed entries on the
chain's slot (two calls, "Decisions on several shards"): every decision is in the feed and the
chain verifies, also when a gateway stopped between the two calls.

The cases are written in their shards as the sharded jb_report will write them
(test_shard_workers.file_in_shard), then routed by the worker."""

import time

from jubao_testlib import PREFIX, Reviewer, metric_sum, wait_until
from test_decisions import feed_ok
from test_shard_workers import SHARDS, file_in_shard, report_secret_hash, node_client, routed, shard_prefix

ORDER = (3, 1, 0, 2)        # the shards the cases are filed in, oldest first


def file_for_platform(g, r, platform, order):
    """Files a case in each shard of order, one after the other, each report marked as filed by
    platform (as the sharded intake will). Returns [(shard, report id, case id)] and the
    status secret of the reports."""
    first = g.report({"url": "https://shards.example/review-first", "category": "fraud"})
    assert first.status_code == 202, first.text
    secret = first.json()["secret"]
    secret_hash = report_secret_hash(r, first.json()["id"])
    # the intake writes into the shards: that report is a case in the queue like any other,
    # decided here so that the queue holds only the cases filed below (one audit entry more)
    donor = Reviewer(g)
    wait_until(lambda: metric_sum(g.metrics(), "jubao_review_queue_length") == 1, 30,
               interval=0.1, what="the first report's case queued")
    assert donor.claim().json()["case"] == first.json()["case"]
    assert donor.decide(first.json()["case"], "no_violation", "fraud").status_code == 200
    filed = []
    for i in order:      # one after the other: their queue entries in this order
        rid, cid = file_in_shard(r, i, secret_hash, "https://shards.example/review-%d-%s"
                                 % (i, time.monotonic_ns()))
        p, c = shard_prefix(i), node_client(r, shard_prefix(i))
        c.hset(p + "report:" + rid, mapping={"platform": platform, "platform_ref": "ref-" + rid})
        c.rpush(p + "case:" + cid + ":platform_reports", rid)
        wait_until(lambda: routed(r, i, cid), 30, interval=0.1, what="case routed in %d" % i)
        filed.append((i, rid, cid))
    return filed, secret


def check_chain(g, r, decided):
    """The audit chain verifies and holds decided entries, and no record waits for its entry."""
    assert node_client(r, PREFIX).xlen(PREFIX + "audit") == decided
    p = g.admin("audit", "verify", check=False)
    assert p.returncode == 0, (p.stdout, p.stderr)
    for i in range(SHARDS):
        assert node_client(r, shard_prefix(i)).zcard(shard_prefix(i) + "audit_pending") == 0


def check_review(g, r):
    """Claims the cases filed in ORDER: each in turn, renewed and decided; each decision in
    its platform's feed and in the audit chain."""
    key = g.apikey("p-shards")
    filed, secret = file_for_platform(g, r, "p-shards", ORDER)
    a = Reviewer(g)
    m = g.metrics()
    assert metric_sum(m, "jubao_review_queue_length") == SHARDS, m
    for i, rid, cid in filed:   # oldest first across the shards, each renewed and decided
        resp = a.claim()
        assert resp.status_code == 200, resp.text
        assert resp.json()["case"] == cid, (i, resp.json())
        renew = a.renew(cid)
        assert renew.status_code == 200, renew.text
        d = a.decide(cid, "actioned", "fraud")
        assert d.status_code == 200, d.text
        st = g.status(rid, secret=secret)
        assert st.json()["status"] == "actioned", st.json()
    assert a.claim().status_code == 204
    m = g.metrics()
    assert metric_sum(m, "jubao_review_queue_length") == 0, m
    assert m['jubao_review_decisions_total{verdict="actioned"}'] == SHARDS, m
    feed = feed_ok(g, key)["decisions"]
    assert [(e["id"], e["case"], e["platform_ref"]) for e in feed] == [
        (rid, cid, "ref-" + rid) for _, rid, cid in filed], feed
    check_chain(g, r, SHARDS + 1)


def decide_and_stop(r, i, cid, name):
    """The first of a decision's two calls, as a gateway makes it that then stops: the case is
    decided in its shard, its audit entry not written yet."""
    iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    out = node_client(r, shard_prefix(i)).execute_command(
        "FCALL", "jb_decide", 0, shard_prefix(i), cid, "actioned", "fraud", "", iso, name)
    assert out[0] == "ok", out


def check_stopped_between_the_calls(g, r):
    """A decision whose gateway stopped after writing the case gets its audit and feed entries:
    by the same reviewer's retry (200, not 409: the decision made), or else by any gateway's
    auditor a few seconds later. Neither writes the case again nor an entry twice."""
    key = g.apikey("p-stop")
    filed, _ = file_for_platform(g, r, "p-stop", (2, 1))
    a = Reviewer(g)
    for i, _, cid in filed:
        assert a.claim().json()["case"] == cid
        decide_and_stop(r, i, cid, a.name)
    (i0, rid0, cid0), (i1, rid1, cid1) = filed
    decided_ms = node_client(r, shard_prefix(i0)).hget(shard_prefix(i0) + "case:" + cid0,
                                                       "decided_ms")
    d = a.decide(cid0, "actioned", "fraud")     # the retry of the one answered 503
    assert d.status_code == 200, d.text
    assert (d.json()["case"], d.json()["verdict"]) == (cid0, "actioned"), d.json()
    assert node_client(r, shard_prefix(i0)).hget(shard_prefix(i0) + "case:" + cid0,
                                                  "decided_ms") == decided_ms
    wait_until(lambda: len(feed_ok(g, key)["decisions"]) == 2, 30, interval=0.2,
               what="the auditor completes the other decision")
    assert [e["id"] for e in feed_ok(g, key)["decisions"]] == [rid0, rid1]
    assert a.decide(cid0, "actioned", "fraud").status_code == 409   # done: as before the split
    assert len(feed_ok(g, key)["decisions"]) == 2
    check_chain(g, r, 2 + 1)


def test_review_takes_the_oldest_case_across_shards_on_one_redis(redis_factory, gateway, worker):
    r = redis_factory()
    g = gateway(redis=r, config="redis_shards = %d\n" % SHARDS)
    worker(g)
    check_review(g, r)


def test_review_takes_the_oldest_case_across_shards_on_the_cluster(redis_cluster_factory,
                                                                    gateway, worker):
    c = redis_cluster_factory()
    g = gateway(redis=c, config="redis_shards = %d\n" % SHARDS)
    worker(g)
    check_review(g, c)


def test_a_decision_whose_gateway_stopped_between_its_calls_gets_its_entry_on_one_redis(
        redis_factory, gateway, worker):
    r = redis_factory()
    g = gateway(redis=r, config="redis_shards = %d\n" % SHARDS)
    worker(g)
    check_stopped_between_the_calls(g, r)


def test_a_decision_whose_gateway_stopped_between_its_calls_gets_its_entry_on_the_cluster(
        redis_cluster_factory, gateway, worker):
    c = redis_cluster_factory()
    g = gateway(redis=c, config="redis_shards = %d\n" % SHARDS)
    worker(g)
    check_stopped_between_the_calls(g, c)
