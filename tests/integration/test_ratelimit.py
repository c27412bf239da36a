"""Rate limits: anonymous clients and platform keys have their own buckets, for reports and
for status lookups; invalid requests cost nothing; 429 carries Retry-After and code rate_limited."""

import http.client

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


# ---- status lookups -------------------------------------------------------------------------

STATUS_LIMITS = """
rate_status_anon = 3
rate_status_anon_window = 600
rate_status_platform = 5
rate_status_platform_window = 600
"""


def status_from(g, source_ip, report_id, secret):
    """GET /api/v1/reports/{id} from a chosen loopback address: (status, body text)."""
    conn = http.client.HTTPConnection("127.0.0.1", g.port, timeout=10,
                                      source_address=(source_ip, 0))
    try:
        conn.request("GET", "/api/v1/reports/" + report_id, headers={"X-Report-Secret": secret})
        resp = conn.getresponse()
        return resp.status, resp.read().decode()
    finally:
        conn.close()


def test_status_lookups_are_limited_per_client_across_gateways(gateway):
    g = gateway(env={"JUBAO_RATE_LIMIT": None}, config=STATUS_LIMITS)
    # a second gateway on the same Redis and keys: the bucket is in Redis, not in a process
    g2 = gateway(env={"JUBAO_RATE_LIMIT": None, "JUBAO_DATA_DIR": str(g.data_dir)},
                 config=STATUS_LIMITS)
    rec = ok(g).json()
    rid, secret = rec["id"], rec["secret"]
    m0 = g.metrics()["jubao_status_rate_limited_total"]
    assert g.status(rid, secret=secret).status_code == 200
    assert g.status(rid, secret="x" * 26).status_code == 404    # a wrong guess costs a token too
    assert g2.status(rid, secret=secret).status_code == 200
    for gw_ in (g2, g):
        r = gw_.status(rid, secret=secret)
        assert_error(r, 429, "rate_limited")
        assert 1 <= int(r.headers["Retry-After"]) <= 600, r.headers
        assert rid not in r.text and rec["case"] not in r.text
    # the web page shares the client's bucket, and says why
    page = g.session.post(g.url + "/status", data={"id": rid, "secret": secret}, timeout=10)
    assert page.status_code == 429 and int(page.headers["Retry-After"]) >= 1, page.text[:500]
    assert 'id="error-summary"' in page.text and "data-status" not in page.text, page.text[:2000]
    assert g.metrics()["jubao_status_rate_limited_total"] - m0 == 2
    # another client has its own bucket
    assert status_from(g, "127.0.0.93", rid, secret)[0] == 200
    # reports are limited apart from lookups
    assert ok(g).status_code == 202


def test_platform_keys_have_their_own_status_limit(gateway):
    g = gateway(env={"JUBAO_RATE_LIMIT": None}, config=STATUS_LIMITS)
    key = g.apikey()
    rec = ok(g, key).json()
    rid, secret = rec["id"], rec["secret"]
    assert [g.status(rid, key=key).status_code for _ in range(5)] == [200] * 5
    r = g.status(rid, key=key)
    assert_error(r, 429, "rate_limited")
    assert int(r.headers["Retry-After"]) >= 1
    # the client's own bucket was not touched by the platform's lookups ...
    assert [g.status(rid, secret=secret).status_code for _ in range(3)] == [200] * 3
    # ... and a made-up key buys no fresh bucket: it counts as the client
    fake = "jbk_" + "a" * 43
    assert_error(g.status(rid, secret=secret, key=fake), 429, "rate_limited")


def test_rate_limit_env_zero_turns_status_limits_off(gateway):
    g = gateway(config=STATUS_LIMITS)    # JUBAO_RATE_LIMIT=0
    rec = ok(g).json()
    assert [g.status(rec["id"], secret=rec["secret"]).status_code
            for _ in range(10)] == [200] * 10
