"""The intake writes into the shards (issue 12; docs/SCALING.md, "The intake in two calls"): with redis_shards = 4
on the real test cluster, reports posted through the API (with a platform key and an
Idempotency-Key) and through the web form are stored in their case's shard, the one their ids
name (jb_admit on the reporter's slot, then jb_report on the case's: each call in one slot, or
the cluster would refuse it); status finds them, the worker routes them, a reviewer claims and
decides them, and a platform's report on a case already decided reaches the platform's feed."""

from jubao_testlib import Reviewer, unique_url
from test_decisions import feed_ok
from test_shard_workers import SHARDS, node_client, shard_of_id, shard_prefix
from test_web import Browser, receipt


def stored_in_its_shard(c, rid):
    """The report rid and its case are in the shard rid names; returns the case id."""
    p = shard_prefix(shard_of_id(rid))
    n = node_client(c, p)
    cid = n.hget(p + "report:" + rid, "case")
    assert cid and shard_of_id(cid) == shard_of_id(rid), (rid, cid)
    assert n.exists(p + "case:" + cid) == 1
    return cid


def test_reports_through_api_and_web_form_land_in_their_shards_on_the_cluster(
        redis_cluster_factory, gateway, worker):
    c = redis_cluster_factory()
    g = gateway(redis=c, config="redis_shards = %d\n" % SHARDS)
    worker(g)
    key = g.apikey("p-intake")
    api, urls, seen = [], [], set()
    for i in range(64):     # until every shard was reached (random URLs: 12 miss one 1 in 8)
        if seen == set(range(SHARDS)):
            break
        body = {"url": unique_url("si-%d" % i), "category": "fraud", "platform_ref": "r%d" % i}
        idem = {"Idempotency-Key": "k-%d" % i}
        x = g.report(body, key=key, headers=idem)
        assert x.status_code == 202, x.text
        again = g.report(body, key=key, headers=idem)     # the retry: the same report
        assert again.status_code == 202 and again.json() == x.json(), (x.text, again.text)
        api.append(x.json())
        urls.append(body["url"])
        seen.add(shard_of_id(x.json()["id"]))
    assert seen == set(range(SHARDS)), seen
    rid, secret = receipt(Browser(g).post({"url": unique_url("si-web"), "category": "gambling",
                                           "description": "shards", "lang": "en"}))
    cases = {stored_in_its_shard(c, a["id"]): a for a in api}
    web_case = stored_in_its_shard(c, rid)
    for a in api:
        st = g.status(a["id"], secret=a["secret"])
        assert st.status_code == 200 and st.json()["case"] == a["case"], st.text
    assert g.status(rid, secret=secret).json()["category"] == "gambling"

    rv = Reviewer(g)
    want = set(cases) | {web_case}
    decided = set()
    while decided != want:
        x = rv.claim()
        if x.status_code == 204:
            continue
        assert x.status_code == 200, x.text
        # the first case cleared: it stays open, so a later report joins it (below)
        verdict = "no_violation" if x.json()["case"] == api[0]["case"] else "actioned"
        d = rv.decide(x.json()["case"], verdict, "fraud")
        assert d.status_code == 200, d.text
        decided.add(x.json()["case"])
    assert rv.claim().status_code == 204
    feed = feed_ok(g, key)["decisions"]
    assert sorted(e["id"] for e in feed) == sorted(a["id"] for a in api), feed

    # the platform reports the cleared case again: it joins it, and the case's decision reaches
    # the platform's feed for that report too (a global key: the intake's third call)
    late = g.report({"url": urls[0], "category": "fraud", "platform_ref": "late"}, key=key)
    assert late.status_code == 202, late.text
    assert late.json()["case"] == api[0]["case"] and late.json()["duplicate"], late.json()
    assert any((e["id"], e["platform_ref"]) == (late.json()["id"], "late")
               for e in feed_ok(g, key)["decisions"])
