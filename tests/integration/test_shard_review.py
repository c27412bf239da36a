"""Review across shards (issue 12; docs/SCALING.md, review across shards): with redis_shards = 4,
on one Redis and on a real Redis Cluster, a claim takes the oldest case of the highest band
whatever its shard, and the lease calls and the decision find the case's shard from its id.

The cases are written in their shards as the sharded jb_report will write them
(test_shard_workers.file_in_shard), then routed by the worker."""

from jubao_testlib import PREFIX, Reviewer, metric_sum, wait_until
from test_shard_workers import SHARDS, file_in_shard, node_client, routed

ORDER = (3, 1, 0, 2)        # the shards the cases are filed in, oldest first


def check_review(g, r, decide=True):
    """Claims the cases filed in ORDER: each in turn, renewed, and decided when decide (not
    on the cluster yet: jb_decide writes the case and the audit chain, in two slots there)."""
    first = g.report({"url": "https://shards.example/review-first", "category": "fraud"})
    assert first.status_code == 202, first.text
    secret = first.json()["secret"]
    secret_hash = node_client(r, PREFIX).hget(PREFIX + "report:" + first.json()["id"], "secret")
    a = Reviewer(g)
    filed = []
    for i in ORDER:      # one after the other: their queue entries in this order
        rid, cid = file_in_shard(r, i, secret_hash, "https://shards.example/review-%d" % i)
        wait_until(lambda: routed(r, i, cid), 30, interval=0.1, what="case routed in %d" % i)
        filed.append((i, rid, cid))
    m = g.metrics()
    assert metric_sum(m, "jubao_review_queue_length") == SHARDS, m
    for i, rid, cid in filed:   # oldest first across the shards, each renewed and decided
        resp = a.claim()
        assert resp.status_code == 200, resp.text
        assert resp.json()["case"] == cid, (i, resp.json())
        renew = a.renew(cid)
        assert renew.status_code == 200, renew.text
        if not decide:
            continue
        d = a.decide(cid, "actioned", "fraud")
        assert d.status_code == 200, d.text
        st = g.status(rid, secret=secret)
        assert st.json()["status"] == "actioned", st.json()
    assert a.claim().status_code == 204
    if not decide:
        return
    m = g.metrics()
    assert metric_sum(m, "jubao_review_queue_length") == 0, m
    assert m['jubao_review_decisions_total{verdict="actioned"}'] == SHARDS, m


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
    check_review(g, c, decide=False)
