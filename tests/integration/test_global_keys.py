"""Global keys spread by their own names (issue 12; lib/global.h; docs/SCALING.md, "What is
global, spread by its own key"):
with redis_shards = 4 on the real test cluster, the API keys, reviewers' sessions, rate-limit
buckets and idempotency records of several platforms and clients sit in their owners' slots,
which land on more than one primary, none under the old tag {0}; and with two gateways on the
cluster, a platform's and a client's rate limit and an Idempotency-Key hold whichever gateway
a request reaches, and a session made through one gateway serves on the other."""
import http.client
import json

from jubao_testlib import Reviewer, assert_error, unique_url

SHARDS = 4
OWNERS = 9      # per kind: all of them on one of three primaries by chance, 1 in 3^8
LIMITS = """redis_shards = %d
rate_anon = 3
rate_anon_window = 600
rate_platform = 4
rate_platform_window = 600
""" % SHARDS


def post_from(g, source_ip, body, key=None, idem=None):
    """POST /api/v1/reports from a chosen loopback address: (status, parsed body)."""
    conn = http.client.HTTPConnection("127.0.0.1", g.port, timeout=15,
                                      source_address=(source_ip, 0))
    h = {"Content-Type": "application/json"}
    if key:
        h["Authorization"] = "Bearer " + key
    if idem:
        h["Idempotency-Key"] = idem
    try:
        conn.request("POST", "/api/v1/reports", body=json.dumps(body), headers=h)
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read().decode() or "null")
    finally:
        conn.close()


def where(c, pattern):
    """{key: the port of the primary holding it} for every key matching pattern."""
    return {k: n.port for n in c.primaries() for k in n.client().scan_iter(match=pattern)}


def assert_spread(c, pattern, at_least):
    found = where(c, pattern)
    assert len(found) >= at_least, (pattern, found)
    assert not [k for k in found if k.startswith("jb:{0}:")], (pattern, found)
    assert len(set(found.values())) > 1, ("all on one primary", pattern, found)
    return found


def test_global_keys_spread_and_limits_hold_across_two_gateways_on_the_cluster(
        redis_cluster_factory, gateway):
    c = redis_cluster_factory()
    env = {"JUBAO_RATE_LIMIT": None}       # unset: the configured limits apply
    g1 = gateway(redis=c, env=env, config=LIMITS)
    g2 = gateway(redis=c, env=env, config=LIMITS, data_from=g1.data_dir)
    gs = (g1, g2)

    # platforms: a report and its retry with the same Idempotency-Key on the other gateway
    # (the same receipt), then the bucket of 4 spent across both gateways
    for i in range(OWNERS):
        key = g1.apikey("p-global-%d" % i)
        body = {"url": unique_url("gk-p%d" % i), "category": "fraud"}
        first = g1.report(body, key=key, headers={"Idempotency-Key": "once"})
        assert first.status_code == 202, first.text
        again = g2.report(body, key=key, headers={"Idempotency-Key": "once"})
        assert again.status_code == 202 and again.json() == first.json(), again.text
        got = [gs[n % 2].report(key=key).status_code for n in range(4)]
        assert got == [202, 202, 202, 429], (i, got)
        assert g1.status(first.json()["id"], key=key).status_code == 200

    # anonymous clients, each from its own address: the same for a bucket of 3
    for i in range(OWNERS):
        ip = "127.0.0.%d" % (20 + i)
        body = {"url": unique_url("gk-c%d" % i), "category": "fraud"}
        s1, first = post_from(g1, ip, body, idem="once-%d" % i)
        s2, again = post_from(g2, ip, body, idem="once-%d" % i)
        assert (s1, s2) == (202, 202) and again == first, (first, again)
        got = [post_from(gs[n % 2], ip, {"url": unique_url("gk"), "category": "fraud"})[0]
               for n in range(3)]
        assert got == [202, 202, 429], (ip, got)
    # the clients' buckets were their own: a fresh address still reports
    assert post_from(g2, "127.0.0.99", {"url": unique_url("gk"), "category": "fraud"})[0] == 202

    # sessions: made through one gateway, used through the other, ended through the first
    reviewers = [Reviewer(g1) for _ in range(OWNERS)]
    for rv in reviewers:
        rv.g = g2
        assert rv.queues().status_code == 403         # a reviewer, known on g2: not a 401
    rv.g = g1
    assert rv.call("DELETE", "/api/v1/session", None).status_code == 204
    rv.g = g2
    assert_error(rv.queues(), 401, "unauthorized")

    assert_spread(c, "*apikey:*", OWNERS)
    assert_spread(c, "*apikeyname:*", OWNERS)
    assert_spread(c, "*reviewer:*", OWNERS)
    assert_spread(c, "*session:*", OWNERS - 1)
    assert_spread(c, "*rl:p:*", OWNERS)
    assert_spread(c, "*rl:[0-9a-f]*", OWNERS + 1)
    idem = assert_spread(c, "*idem:*", 2 * OWNERS)
    # a platform's key record, bucket and idempotency records share its slot
    key_slots = {c.keyslot(k) for k in where(c, "*apikey:*")}
    assert {c.keyslot(k) for k in idem} & key_slots
