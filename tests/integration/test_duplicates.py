"""Cases: other spellings of one target join one case; Redis holds the counts and one queue
entry per case."""

import uuid

import pytest

from jubao_testlib import CASE_RE


def post(g, url, key=None, **kw):
    r = g.report({"url": url, "category": "fraud"}, key=key, **kw)
    assert r.status_code == 202, (url, r.text)
    return r.json()


SPELLINGS = [
    # (first spelling, other spellings of the same target); {t} makes the target unique
    ("https://example.com/p/{t}", [
        "HTTPS://EXAMPLE.COM/p/{t}",
        "https://Example.Com/p/{t}",
        "https://example.com:443/p/{t}",
        "https://example.com/p/{t}?utm_source=wechat&utm_medium=share",
        "https://example.com/p/{t}?fbclid=IwAR0abc",
        "https://example.com/p/{t}#comments",
        "https://example.com/a/../p/{t}",
        "https://example.com/./p/{t}",
        "https://example.com/%70/{t}",
        "https://example.com./p/{t}",
        "https://example。com/p/{t}",
    ]),
    ("http://例子.测试/{t}", [
        "http://xn--fsqu00a.xn--0zwm56d/{t}",
        "http://例子。测试/{t}",
        "http://XN--FSQU00A.XN--0ZWM56D:80/{t}",
    ]),
    ("https://%70ost.example.com/{t}", [
        "https://post.example.com/{t}",
    ]),
]


@pytest.mark.parametrize("first,others", SPELLINGS, ids=[s[0] for s in SPELLINGS])
def test_spellings_join_one_case(gw, redis, first, others):
    t = uuid.uuid4().hex
    a = post(gw, first.format(t=t))
    assert a["duplicate"] is False
    for o in others:
        b = post(gw, o.format(t=t))
        assert (o, b["case"], b["duplicate"]) == (o, a["case"], True)
    case = redis.case(a["case"])
    assert int(case["reports"]) == 1 + len(others), case
    # every spelling came from the same anonymous client
    assert int(case["reporters"]) == 1, case
    assert len(redis.intake_entries_for_case(a["case"])) == 1


@pytest.mark.parametrize("a,b", [
    ("https://example.com/p/{t}", "https://example.com/q/{t}"),
    ("https://example.com/p/{t}", "https://example.com/p/{t}/x"),
    ("https://example.com/p/{t}", "https://example.org/p/{t}"),
    ("https://example.com/p/{t}", "https://example.com/p/{t}?id=2"),
    ("https://example.com/p/{t}", "https://example.com:8443/p/{t}"),
    ("https://example.com/p/{t}", "https://www.example.com/p/{t}"),
])
def test_different_targets_different_cases(gw, redis, a, b):
    t = uuid.uuid4().hex
    x = post(gw, a.format(t=t))
    y = post(gw, b.format(t=t))
    assert y["duplicate"] is False, (a, b)
    assert x["case"] != y["case"], (a, b)
    assert len(redis.intake_entries_for_case(x["case"])) == 1
    assert len(redis.intake_entries_for_case(y["case"])) == 1


def test_case_counts_in_redis(gateway, redis):
    g = gateway()
    k1, k2 = g.apikey(), g.apikey()
    url = "https://example.com/counts/" + uuid.uuid4().hex
    first = post(g, url)                        # anonymous
    assert first["duplicate"] is False and CASE_RE.match(first["case"])
    cid = first["case"]
    assert post(g, url)["case"] == cid          # the same anonymous client again
    c = redis.case(cid)
    assert (c["reports"], c["reporters"]) == ("2", "1"), c

    r = post(g, url + "#x", key=k1)             # a platform
    assert (r["case"], r["duplicate"]) == (cid, True)
    c = redis.case(cid)
    assert (c["reports"], c["reporters"]) == ("3", "2"), c

    assert post(g, url, key=k1)["case"] == cid  # the same platform again
    assert post(g, url, key=k2)["case"] == cid  # another platform
    c = redis.case(cid)
    assert (c["reports"], c["reporters"]) == ("5", "3"), c
    assert c["status"] == "received"

    entries = redis.intake_entries_for_case(cid)
    assert len(entries) == 1, entries
    assert entries[0][1]["report"] == first["id"]


def test_a_new_case_writes_only_its_own_keys(gateway, redis):
    """Every key a report writes is work Redis does per report (issue 11: Redis CPU per
    jb_report): a new case is its URL key, the case, its list of reports and the report. Its
    one reporter waits in the case; the set of reporters comes with the second one."""
    g = gateway()
    c = redis.client()
    post(g, "https://example.com/keys/" + uuid.uuid4().hex)    # the stream, the client's bucket
    while not all(c.exists(s) for s in redis.intake_streams()):   # every shard's stream
        post(g, "https://example.com/keys/" + uuid.uuid4().hex)
    before = set(c.keys("*"))
    cid = post(g, "https://example.com/keys/" + uuid.uuid4().hex)["case"]
    new = sorted(k for k in set(c.keys("*")) - before)
    rid = [k for k in new if ":report:" in k]
    assert len(new) == 4 and len(rid) == 1, new
    assert set(new) - set(rid) == {redis.case_key(cid), redis.case_key(cid, ":reports"),
                                   [k for k in new if ":caseurl:" in k][0]}, new
    assert all(0 < c.ttl(k) for k in new), [(k, c.ttl(k)) for k in new]


def test_two_platforms_count_two_reporters(gateway, redis):
    g = gateway()
    k1, k2 = g.apikey(), g.apikey()
    url = "https://example.com/two/" + uuid.uuid4().hex
    a = post(g, url, key=k1)
    b = post(g, url.upper().replace("HTTPS://EXAMPLE.COM", "https://example.com"), key=k2)
    # the path is case-sensitive: that upper-cased path is another target
    assert b["case"] != a["case"]
    b = post(g, url + "?utm_campaign=x", key=k2)
    assert (b["case"], b["duplicate"]) == (a["case"], True)
    c = redis.case(a["case"])
    assert (c["reports"], c["reporters"]) == ("2", "2"), c
    assert len(redis.intake_entries_for_case(a["case"])) == 1


def test_stream_one_entry_per_case(gateway, redis):
    g = gateway()
    t = uuid.uuid4().hex
    cases = set()
    for i in range(5):
        for spelling in ("https://example.com/s/%s/%d", "HTTPS://example.COM/s/%s/%d#f"):
            cases.add(post(g, spelling % (t, i))["case"])
    assert len(cases) == 5
    xlen_cases = [f["case"] for s in redis.intake_streams() for _, f in redis.client().xrange(s)
                  if f["case"] in cases]
    assert sorted(xlen_cases) == sorted(cases)


def test_concurrent_reports_of_one_target_make_one_case(gw, redis):
    import threading

    import requests
    url = "https://example.com/concurrent/" + uuid.uuid4().hex
    out, lock = [], threading.Lock()

    def post_one(i):
        r = requests.post(gw.url + "/api/v1/reports", timeout=10,
                          json={"url": url + ("#%d" % i), "category": "fraud"})
        with lock:
            out.append((r.status_code, r.json()))
    threads = [threading.Thread(target=post_one, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert [s for s, _ in out] == [202] * 20, out
    cases = {b["case"] for _, b in out}
    assert len(cases) == 1, cases
    assert sorted(b["duplicate"] for _, b in out) == [False] + [True] * 19
    cid = cases.pop()
    c = redis.case(cid)
    assert (c["reports"], c["reporters"]) == ("20", "1"), c
    assert len(redis.intake_entries_for_case(cid)) == 1
    assert redis.client().llen(redis.case_key(cid, ":reports")) == 20
