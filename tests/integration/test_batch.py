"""POST /api/v1/reports/batch: platform key required; each report taken or refused alone."""

import json
import uuid

import pytest

from jubao_testlib import CASE_RE, ID_RE, SECRET_RE, assert_error, unique_url

BATCH = "/api/v1/reports/batch"


@pytest.fixture(scope="module")
def key(gw):
    return gw.apikey()


def test_batch_mixed_results(gw, redis, key):
    dup_url = unique_url("batch-dup")
    reports = [
        {"url": dup_url, "category": "fraud"},
        {"url": "ftp://x", "category": "fraud"},
        {"category": "fraud"},
        {"url": dup_url + "#again", "category": "fraud"},
        {"url": unique_url("batch"), "category": "spam"},
        {"url": unique_url("batch"), "category": "rumor", "bogus": 1},
        "not an object",
        {"url": unique_url("batch"), "category": "rumor", "description": "中" * 5001},
        {"url": unique_url("batch"), "category": "other", "title": "fine"},
    ]
    r = gw.post(BATCH, {"reports": reports}, key=key)
    assert r.status_code == 200, r.text
    assert r.headers.get("X-Request-Id")
    results = r.json()["results"]
    assert [x["index"] for x in results] == list(range(len(reports)))
    assert [x["status"] for x in results] == [202, 422, 400, 202, 422, 400, 400, 400, 202]
    codes = [x.get("error", {}).get("code") for x in results]
    assert codes == [None, "invalid_url", "missing_field", None, "invalid_category",
                     "unknown_field", "wrong_type", "too_long", None]
    assert results[1]["error"]["field"] == "url"
    assert results[7]["error"]["field"] == "description"
    for x in results:
        if x["status"] == 202:
            assert ID_RE.match(x["id"]) and CASE_RE.match(x["case"]), x
            assert SECRET_RE.match(x["secret"]), x
            assert isinstance(x["duplicate"], bool)
            assert "error" not in x
            # each receipt works on its own
            s = gw.status(x["id"], secret=x["secret"])
            assert s.status_code == 200, s.text
            assert s.json()["case"] == x["case"]
            assert redis.report(x["id"]), x
        else:
            assert "id" not in x and "secret" not in x, x
            assert set(x["error"]) <= {"code", "message", "field"}
    assert (results[0]["duplicate"], results[3]["duplicate"]) == (False, True)
    assert results[0]["case"] == results[3]["case"]
    assert len(redis.intake_entries_for_case(results[0]["case"])) == 1


def test_batch_reports_visible_with_the_platform_key(gw, key):
    r = gw.post(BATCH, {"reports": [{"url": unique_url("bk"), "category": "fraud"}]}, key=key)
    x = r.json()["results"][0]
    assert x["status"] == 202
    assert gw.status(x["id"], key=key).status_code == 200


def test_batch_of_100(gw, redis, key):
    t = uuid.uuid4().hex
    reports = [{"url": "https://example.com/b100/%s/%d" % (t, i), "category": "fraud"}
               for i in range(100)]
    r = gw.post(BATCH, {"reports": reports}, key=key)
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [x["status"] for x in results] == [202] * 100
    assert len({x["id"] for x in results}) == 100
    c = redis.client()
    assert all(c.exists(redis.report_key(x["id"])) for x in results)


def test_batch_of_101_is_too_large(gw, key):
    reports = [{"url": unique_url("b101"), "category": "fraud"} for _ in range(101)]
    assert_error(gw.post(BATCH, {"reports": reports}, key=key), 413, "batch_too_large", None)


@pytest.mark.parametrize("body", [
    {"reports": []},
    {"reports": {}},
    {"reports": "x"},
    {"reports": None},
    {},
    {"reports": [{"url": "https://example.com/", "category": "fraud"}], "extra": 1},
    {"items": [{"url": "https://example.com/", "category": "fraud"}]},
], ids=json.dumps)
def test_invalid_batch(gw, key, body):
    assert_error(gw.post(BATCH, body, key=key), 400, "invalid_batch", None)


@pytest.mark.parametrize("raw", [b"[]", b"{", b'{"reports":[],"reports":[]}'])
def test_batch_invalid_json(gw, key, raw):
    err = assert_error(gw.post(BATCH, raw, key=key), 400, None, None)
    assert err["code"] in ("invalid_json", "invalid_batch"), err


def test_batch_needs_a_key(gw):
    body = {"reports": [{"url": unique_url("nokey"), "category": "fraud"}]}
    assert_error(gw.post(BATCH, body), 401, "unauthorized")
    assert_error(gw.post(BATCH, body, key="jbk_" + "z" * 43), 401, "unauthorized")
    assert_error(gw.post(BATCH, body, headers={"Authorization": "Basic eDp5"}), 401,
                 "unauthorized")


def test_batch_with_revoked_key(gateway):
    g = gateway()
    k = g.apikey("batch-revoke")
    body = {"reports": [{"url": unique_url("rk"), "category": "fraud"}]}
    assert g.post(BATCH, body, key=k).status_code == 200
    g.admin("apikey", "revoke", "batch-revoke")
    assert_error(g.post(BATCH, body, key=k), 401, "unauthorized")


def test_batch_content_type(gw, key):
    body = {"reports": [{"url": unique_url("ct"), "category": "fraud"}]}
    r = gw.post(BATCH, body, key=key, headers={"Content-Type": "text/plain"})
    assert_error(r, 415, "unsupported_media_type")


def test_batch_idempotency(gw, redis, key):
    body = json.dumps({"reports": [{"url": unique_url("bi"), "category": "fraud"},
                                   {"url": "ftp://x", "category": "fraud"},
                                   {"url": unique_url("bi"), "category": "fraud"}]})
    h = {"Idempotency-Key": uuid.uuid4().hex}
    a = gw.post(BATCH, body, key=key, headers=h).json()["results"]
    b = gw.post(BATCH, body, key=key, headers=h).json()["results"]
    assert [(x["status"], x.get("id"), x.get("case"), x.get("secret")) for x in a] == \
        [(x["status"], x.get("id"), x.get("case"), x.get("secret")) for x in b]
    for x in a:
        if x["status"] == 202:
            assert redis.case(x["case"])["reports"] == "1"
