"""Rate limits: anonymous clients and platform keys have their own buckets; invalid requests
cost nothing; 429 carries Retry-After and code rate_limited."""

import pytest

from jubao_testlib import assert_error, unique_url

LIMITS = """
rate_anon = 3
rate_anon_window = 60
rate_platform = 5
rate_platform_window = 60
"""


@pytest.fixture
def limited(gateway):
    # JUBAO_RATE_LIMIT unset: the configured limits apply
    return gateway(env={"JUBAO_RATE_LIMIT": None}, config=LIMITS)


def ok(g, key=None):
    return g.report({"url": unique_url("rl"), "category": "fraud"}, key=key)


def test_anonymous_limit(limited):
    g = limited
    m0 = g.metrics()["jubao_rate_limited_total"]
    assert [ok(g).status_code for _ in range(3)] == [202, 202, 202]
    r = ok(g)
    assert_error(r, 429, "rate_limited")
    ra = int(r.headers["Retry-After"])
    # one token in a 60 s window of 3 comes back within 20 s
    assert 1 <= ra <= 20, ra
    assert_error(ok(g), 429, "rate_limited")
    assert g.metrics()["jubao_rate_limited_total"] - m0 == 2


def test_platform_key_has_its_own_bucket(limited):
    g = limited
    k1, k2 = g.apikey(), g.apikey()
    assert [ok(g).status_code for _ in range(4)] == [202, 202, 202, 429]
    # the anonymous bucket is empty; the platforms are not
    assert [ok(g, k1).status_code for _ in range(5)] == [202] * 5
    r = ok(g, k1)
    assert_error(r, 429, "rate_limited")
    assert int(r.headers["Retry-After"]) >= 1
    assert ok(g, k2).status_code == 202


def test_batch_items_take_tokens(limited):
    g = limited
    k = g.apikey()
    reports = [{"url": unique_url("rlb"), "category": "fraud"} for _ in range(7)]
    r = g.post("/api/v1/reports/batch", {"reports": reports}, key=k)
    assert r.status_code == 200, r.text
    statuses = [x["status"] for x in r.json()["results"]]
    assert statuses == [202] * 5 + [429] * 2, statuses
    assert r.json()["results"][6]["error"]["code"] == "rate_limited"
    # the refused items say when to come back, and so does the answer
    assert int(r.json()["results"][6]["retry_after"]) > 0, r.json()["results"][6]
    assert int(r.headers["Retry-After"]) >= int(r.json()["results"][6]["retry_after"]), r.headers


def test_invalid_requests_cost_nothing(limited):
    g = limited
    for _ in range(10):
        assert g.report({"url": "ftp://x", "category": "fraud"}).status_code == 422
        assert g.report(b"{").status_code == 400
        assert g.report({"url": unique_url("rl")}).status_code == 400
        assert g.report({"url": unique_url("rl"), "category": "fraud"},
                        headers={"Content-Type": "text/plain"}).status_code == 415
    assert [ok(g).status_code for _ in range(4)] == [202, 202, 202, 429]


def test_idempotent_replays_cost_nothing(limited):
    g = limited
    body = {"url": unique_url("rli"), "category": "fraud"}
    h = {"Idempotency-Key": "rl-replay"}
    first = g.report(body, headers=h).json()
    for _ in range(5):
        r = g.report(body, headers=h)
        assert r.status_code == 202, r.text
        assert r.json()["id"] == first["id"]
    assert [ok(g).status_code for _ in range(3)] == [202, 202, 429]


def test_rate_limit_env_zero_turns_limits_off(gateway):
    g = gateway(config=LIMITS)   # JUBAO_RATE_LIMIT=0 (the fixture's default)
    assert [ok(g).status_code for _ in range(10)] == [202] * 10
