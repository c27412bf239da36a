"""Downstream of intake over several shards (issue 12; lib/shard.h): with redis_shards = 4 the
worker reads every shard's intake stream and routes each case in its own shard, dead letters
stay in their shard, and a report's status is found from its id, which names its shard — on
one Redis and on a real Redis Cluster.

The cases here are written by calling jb_report directly, with the shard's prefix and ids that
name the shard (as the gateway's intake does), so that each shard gets a case of its own."""

import random
import time

import jubao_testlib as lib
from jubao_testlib import wait_until

SHARDS = 4


def shard_prefix(i, n=SHARDS):
    return lib.shard_prefix(i, n)


def id_of_shard(letter, i, n=SHARDS):
    return lib.id_of_shard(letter, i, n)


def shard_of_id(i, n=SHARDS):
    return lib.shard_of_id(i, n)


def report_secret_hash(r, rid):
    """The keyed hash of a report's secret, from the report in the shard its id names."""
    p = shard_prefix(shard_of_id(rid))
    return node_client(r, p).hget(p + "report:" + rid, "secret")


def node_client(r, prefix):
    """A client of the server that holds prefix's slot (r itself on one Redis)."""
    return r.node_for_key(prefix).client() if hasattr(r, "node_for_key") else r.client()


def file_in_shard(r, i, secret_hash, url):
    """Calls jb_report (redis/reports.lua) on shard i as the sharded intake will: every key in
    the shard. Returns (report id, case id)."""
    p = shard_prefix(i)
    rid, cid = id_of_shard("R", i), id_of_shard("C", i)
    urlhash = "%064x" % random.getrandbits(256)
    keys = [p + "caseurl:" + urlhash, p + "report:" + rid, p + "intake", p + "rl:x",
            p + "idem:none", p + "apikey:none", p + "rl:x", p + "idem:none", p + "powx:x",
            p + "evb:x"]
    now = int(time.time() * 1000)
    iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    args = [p, rid, cid, now, iso, "fraud", url, "shards.example", url, "x", "0", "0", "60000",
            "", "0", secret_hash, "", "", "", "", "", "", "", "1", "0", "", "", "0", "", "",
            "86400", "0", "0", "0", "0", "0", ""]
    out = node_client(r, p).execute_command("FCALL", "jb_report", len(keys), *keys, *args)
    assert out[0] == "ok" and out[1] == rid and out[2] == cid, out
    return rid, cid


def routed(r, i, cid):
    """True when the worker queued case cid in shard i and acknowledged its intake entry."""
    p = shard_prefix(i)
    c = node_client(r, p)
    if c.hget(p + "case:" + cid, "queue") != "default":
        return False
    return c.xpending(p + "intake", "workers")["pending"] == 0


def check_shards(g, r):
    """Files a case in each of the SHARDS shards; the worker routes each in its own shard and
    the status API finds each report from its id."""
    # a real secret and its keyed hash, from one report the gateway stored
    first = g.report({"url": "https://shards.example/first", "category": "fraud"})
    assert first.status_code == 202, first.text
    secret = first.json()["secret"]
    secret_hash = report_secret_hash(r, first.json()["id"])
    filed = [(i,) + file_in_shard(r, i, secret_hash, "https://shards.example/%d" % i)
             for i in range(SHARDS)]
    assert len({shard_prefix(i) for i in range(SHARDS)}) == SHARDS
    for i, rid, cid in filed:
        wait_until(lambda: routed(r, i, cid), 30, interval=0.1, what="case routed in shard %d" % i)
        p = shard_prefix(i)
        assert node_client(r, p).xlen(p + "review:default:%s" % node_client(r, p).hget(
            p + "case:" + cid, "band")) >= 1
        st = g.status(rid, secret=secret)
        assert st.status_code == 200, st.text
        assert (st.json()["case"], st.json()["status"]) == (cid, "received"), st.json()
    # an entry naming no case goes to its own shard's dead-letter stream
    p = shard_prefix(2)
    c = node_client(r, p)
    c.xadd(p + "intake", {"case": id_of_shard("C", 2), "report": id_of_shard("R", 2)})
    wait_until(lambda: c.xlen(p + "deadletter") == 1, 30, interval=0.1, what="dead letter")
    assert c.xpending(p + "intake", "workers")["pending"] == 0


def test_the_worker_routes_every_shard_on_one_redis(redis_factory, gateway, worker):
    r = redis_factory()
    g = gateway(redis=r, config="redis_shards = %d\n" % SHARDS)
    worker(g)
    assert r.client().hget("jb:meta", "shards") == str(SHARDS)
    check_shards(g, r)


def test_the_worker_routes_every_shard_on_the_cluster(redis_cluster_factory, gateway, worker):
    c = redis_cluster_factory()
    g = gateway(redis=c, config="redis_shards = %d\n" % SHARDS)
    worker(g)
    # the shards' tags spread over the primaries
    assert len({c.node_for_key(shard_prefix(i)).port for i in range(SHARDS)}) == 3
    check_shards(g, c)
