"""POST /api/v1/reports: the receipt, validation, error bodies, routing and operations."""

import json

import pytest
import requests

from jubao_testlib import (CASE_RE, ID_RE, SECRET_RE, assert_error, unique_url)

REPORTS = "/api/v1/reports"


def ok_body(**extra):
    b = {"url": unique_url("intake"), "category": "fraud"}
    b.update(extra)
    return b


# ---- the receipt ----------------------------------------------------------------------------


def test_receipt_shape(gw):
    r = gw.report(ok_body(title="标题", description="描述 text", language="zh-CN",
                          platform_ref="ref-1"))
    assert r.status_code == 202, r.text
    body = r.json()
    assert set(body) == {"id", "secret", "case", "duplicate", "status", "status_url"}, body
    assert ID_RE.match(body["id"]), body["id"]
    assert SECRET_RE.match(body["secret"]), body["secret"]
    assert CASE_RE.match(body["case"]), body["case"]
    assert body["duplicate"] is False
    assert body["status"] == "received"
    assert body["status_url"] == REPORTS + "/" + body["id"]
    assert r.headers.get("Cache-Control") == "no-store"
    assert r.headers.get("Location") == REPORTS + "/" + body["id"]
    assert r.headers.get("X-Request-Id")
    assert r.headers.get("Content-Type", "").startswith("application/json")


def test_ids_secrets_and_request_ids_are_distinct(gw):
    seen_ids, seen_secrets, seen_rids = set(), set(), set()
    for _ in range(20):
        r = gw.report(ok_body())
        assert r.status_code == 202, r.text
        seen_ids.add(r.json()["id"])
        seen_secrets.add(r.json()["secret"])
        seen_rids.add(r.headers["X-Request-Id"])
    assert (len(seen_ids), len(seen_secrets), len(seen_rids)) == (20, 20, 20)


@pytest.mark.parametrize("ctype", [
    "application/json",
    "application/json; charset=utf-8",
    "application/json; charset=UTF-8",
    "application/json;charset=utf-8",
])
def test_json_content_types_accepted(gw, ctype):
    r = gw.report(ok_body(), headers={"Content-Type": ctype})
    assert r.status_code == 202, r.text


@pytest.mark.parametrize("ctype", [
    "text/plain",
    "application/x-www-form-urlencoded",
    "application/jsonx",
    "application/json; charset=latin-1",
    "application/json; charset=utf-16",
    "",
])
def test_other_content_types_refused(gw, ctype):
    r = gw.report(ok_body(), headers={"Content-Type": ctype})
    assert_error(r, 415, "unsupported_media_type")


def test_missing_content_type_refused(gw):
    r = gw.request("POST", REPORTS, data=json.dumps(ok_body()).encode())
    assert "Content-Type" not in r.request.headers
    assert_error(r, 415, "unsupported_media_type")


# ---- 400: the body ------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [
    b'{"url":',
    b'{"url": "https://example.com/a", "category": "fraud",}',
    b"{'url': 'https://example.com/a'}",
    b'',
    b'   ',
    b'{"url":"https://example.com/\xff","category":"fraud"}',          # invalid UTF-8
    b'{"url":"https://example.com/a","category":"fraud","description":"\xc3\x28"}',
    b'{"url":"https://example.com/a","category":"fraud","description":"\xed\xa0\x80"}',
    b'{"url":"https://example.com/a","category":"fraud","title":"\xc0\xaf"}',       # overlong
    b'{"url":"https://example.com/a","category":"fraud","title":"\xf4\x90\x80\x80"}',
    b'{"url":"https://example.com/a","category":"fraud","title":"\\ud800"}',  # lone surrogate
    b'{"url":"https://example.com/a","category":"fraud","\xff":"x"}',        # in a key
    b'{"url":"https://example.com/a","category":"fraud","category":"rumor"}',  # duplicate keys
    b'{"url":"https://example.com/a","category":"fraud","url":"https://example.com/a"}',
    b'[{"url":"https://example.com/a","category":"fraud"}]',             # not an object
    b'"https://example.com/a"',
    b'42',
    b'null',
    b'{"url":"https://example.com/a","category":"fraud"} {}',            # trailing data
], ids=lambda b: repr(b[:40]))
def test_invalid_json(gw, raw):
    assert_error(gw.report(raw), 400, "invalid_json")


def nest(depth):
    """A body whose nesting (the top-level object included) is `depth`."""
    inner = "[" * (depth - 1) + "]" * (depth - 1)
    return '{"url":"https://example.com/nest","category":"fraud","title":%s}' % inner


def test_nesting_at_the_limit_is_parsed(gw):
    # 16 levels: parsed, then refused for the type of title, not as invalid JSON.
    assert_error(gw.report(nest(16)), 400, "wrong_type", "title")


def test_nesting_past_the_limit_is_invalid_json(gw):
    assert_error(gw.report(nest(17)), 400, "invalid_json")
    assert_error(gw.report(nest(5000)), 400, "invalid_json")


@pytest.mark.parametrize("field,value", [
    ("url", 1), ("url", None), ("url", ["https://example.com/a"]),
    ("category", True), ("category", {"code": "fraud"}),
    ("title", 3), ("description", ["a"]), ("contact", {}), ("platform_ref", 1.5),
    ("language", False),
])
def test_wrong_type(gw, field, value):
    body = ok_body()
    body[field] = value
    assert_error(gw.report(body), 400, "wrong_type", field)


def test_unknown_field(gw):
    err = assert_error(gw.report(ok_body(reporter_ip="1.2.3.4")), 400, "unknown_field", None)
    assert err.get("field") in (None, "reporter_ip"), err


@pytest.mark.parametrize("body,field", [
    ({"category": "fraud"}, "url"),
    ({"url": "", "category": "fraud"}, "url"),
    ({"url": "https://example.com/m"}, "category"),
    ({"url": "https://example.com/m", "category": ""}, "category"),
    ({}, None),
])
def test_missing_field(gw, body, field):
    assert_error(gw.report(body), 400, "missing_field", field)


def test_url_length_limit_in_bytes(gw):
    base = "https://example.com/long/"
    ok = base + "a" * (2048 - len(base))
    assert len(ok.encode()) == 2048
    assert gw.report({"url": ok, "category": "fraud"}).status_code == 202
    assert_error(gw.report({"url": ok + "a", "category": "fraud"}), 400, "too_long", "url")
    # bytes, not characters: 2000 bytes of which most are 3-byte characters
    wide = base + "页" * 675
    assert len(wide) < 2048 < len(wide.encode())
    assert_error(gw.report({"url": wide, "category": "fraud"}), 400, "too_long", "url")


def test_title_limit_in_characters(gw):
    assert gw.report(ok_body(title="标" * 300)).status_code == 202
    assert_error(gw.report(ok_body(title="标" * 301)), 400, "too_long", "title")
    assert_error(gw.report(ok_body(title="a" * 301)), 400, "too_long", "title")


def test_description_limit_in_characters(gw):
    r = gw.report(ok_body(description="中" * 5000))
    assert r.status_code == 202, r.text
    assert gw.report(ok_body(description="😀" * 5000)).status_code == 202
    assert_error(gw.report(ok_body(description="中" * 5001)), 400, "too_long", "description")
    assert_error(gw.report(ok_body(description="a" * 5001)), 400, "too_long", "description")


def test_contact_limit_in_bytes(gw):
    assert gw.report(ok_body(contact="a" * 256)).status_code == 202
    assert_error(gw.report(ok_body(contact="a" * 257)), 400, "too_long", "contact")
    # 86 Chinese characters are 258 bytes
    assert_error(gw.report(ok_body(contact="中" * 86)), 400, "too_long", "contact")


@pytest.mark.parametrize("ch", ["\u0001", "\u0007", "\u001b", "\u001f", "\u000b", "\u000c"])
def test_control_characters_in_description(gw, ch):
    assert_error(gw.report(ok_body(description="a" + ch + "b")), 400, "control_characters",
                 "description")


def test_nul_in_description_is_control_characters(gw):
    # "\u0000" is valid JSON (RFC 8259); it is a C0 control like the others.
    assert_error(gw.report(ok_body(description="a\u0000b")), 400, "control_characters",
                 "description")


def test_tab_cr_lf_inside_the_url_are_removed(gw, redis):
    # a link copied across a line break: WHATWG and Safe Browsing drop tab, CR and LF
    url = unique_url("wrapped")
    cut = url.index("/wrapped/")
    typed = url[:cut] + "\r\n" + url[cut:cut + 5] + "\t" + url[cut + 5:] + "\n"
    r = gw.report(ok_body(url=typed))
    assert r.status_code == 202, r.text
    same = gw.report(ok_body(url=url))
    assert same.status_code == 202 and same.json()["case"] == r.json()["case"], same.text
    stored = redis.report(r.json()["id"])
    assert stored["url"] == url and stored["canonical"] == url, stored


@pytest.mark.parametrize("ch", ["\u0000", "\u0001", "\u000b", "\u000c", "\u001b", "\u007f"])
def test_other_control_characters_in_the_url_are_refused(gw, ch):
    assert_error(gw.report(ok_body(url="https://example.com/a" + ch + "b")), 400,
                 "control_characters", "url")


def test_tab_cr_lf_allowed_in_description(gw):
    r = gw.report(ok_body(description="line 1\r\nline 2\n\tindented"))
    assert r.status_code == 202, r.text


@pytest.mark.parametrize("key", ["a" * 129, "a\x7fb", "ключ", "a\tb"])
def test_invalid_idempotency_key(gw, key):
    r = gw.report(ok_body(), headers={"Idempotency-Key": key.encode("utf-8")})
    assert_error(r, 400, "invalid_idempotency_key", "Idempotency-Key")


def test_idempotency_key_of_128_is_fine(gw):
    r = gw.report(ok_body(), headers={"Idempotency-Key": "k" * 128})
    assert r.status_code == 202, r.text


# ---- 422 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [
    "ftp://x", "javascript:alert(1)", "http://", "https://", "mailto:a@example.com",
    "file:///etc/passwd", "data:text/html,hi", "http://[::1/", "http://.../x",
    "http://256.1.1.1/", "http://example.com:99999/", "http://example.com:abc/",
])
def test_invalid_url(gw, url):
    assert_error(gw.report({"url": url, "category": "fraud"}), 422, "invalid_url", "url")


@pytest.mark.parametrize("url", [
    "https://exa mple.com/", "https://exa<mple.com/", "https://exa>mple.com/",
    "https://exa%20mple.com/", "https://exa\"mple.com/",
])
def test_host_with_forbidden_characters_is_invalid_url(gw, url):
    # A space, <, > or " cannot be in a host name (WHATWG forbidden host code points): such
    # a URL has no usable host.
    assert_error(gw.report({"url": url, "category": "fraud"}), 422, "invalid_url", "url")


@pytest.mark.parametrize("cat", ["spam", "Fraud", "FRAUD", "fraud ", "诈骗"])
def test_invalid_category(gw, cat):
    assert_error(gw.report(ok_body(category=cat)), 422, "invalid_category", "category")


@pytest.mark.parametrize("lang", ["zh_CN", "zh-CN!", "-zh", "中文", "toolongsubtag-x"])
def test_invalid_language(gw, lang):
    assert_error(gw.report(ok_body(language=lang)), 422, "invalid_language", "language")


@pytest.mark.parametrize("lang", ["zh-CN", "en", "zh-Hans-CN", "en-US"])
def test_valid_language(gw, lang):
    r = gw.report(ok_body(language=lang))
    assert r.status_code == 202, r.text


# ---- 413 ------------------------------------------------------------------------------------


def test_body_too_large(gw):
    r = gw.report(ok_body(description="a" * 70000))
    assert_error(r, 413, "body_too_large")


def test_body_just_under_the_limit_is_read(gw):
    # 64 KiB of JSON is read and parsed (then refused for its description, not its size)
    body = ok_body(description="")
    base = len(json.dumps(body))
    body["description"] = "a" * (65536 - base)
    raw = json.dumps(body).encode()
    assert len(raw) == 65536
    assert_error(gw.report(raw), 400, "too_long", "description")


# ---- 401 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("auth", [
    "Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Bearer short", "jbk_abc", "Bearer  jbk_x",
])
def test_malformed_authorization(gw, auth):
    assert_error(gw.report(ok_body(), headers={"Authorization": auth}), 401, "unauthorized")


def test_unknown_key(gw):
    key = "jbk_" + "a" * 43
    assert_error(gw.report(ok_body(), key=key), 401, "unauthorized")


def test_platform_key_accepted_and_revoked_at_once(gateway):
    g = gateway()
    g.admin("apikey", "create", "acme")
    key = g.apikey("acme2")
    assert g.report(ok_body(), key=key).status_code == 202
    g.admin("apikey", "revoke", "acme2")
    assert_error(g.report(ok_body(), key=key), 401, "unauthorized")
    # the other platform is not touched
    assert g.report(ok_body()).status_code == 202


# ---- routing ----------------------------------------------------------------------------------


@pytest.mark.parametrize("method,path", [
    ("GET", "/nope"), ("POST", "/api/v1/report"), ("GET", "/api/v2/reports"),
    ("GET", "/api/v1/reports/R-0000-0000-0000/extra"), ("POST", "/healthz/x"),
])
def test_unknown_path(gw, method, path):
    assert_error(gw.request(method, path, headers={"Content-Type": "application/json"}), 404,
                 "not_found")


@pytest.mark.parametrize("method,path,allow", [
    ("GET", "/api/v1/reports", "POST"),
    ("PUT", "/api/v1/reports", "POST"),
    ("GET", "/api/v1/reports/batch", "POST"),
    ("DELETE", "/api/v1/reports/R-0000-0000-0000", "GET"),
    ("POST", "/api/v1/categories", "GET"),
    ("POST", "/healthz", "GET"),
    ("DELETE", "/readyz", "GET"),
    ("PUT", "/metrics", "GET"),
])
def test_wrong_method(gw, method, path, allow):
    r = gw.metrics_get(method=method) if path == "/metrics" else gw.request(method, path)
    assert_error(r, 405, "method_not_allowed")
    allowed = [m.strip() for m in r.headers.get("Allow", "").split(",")]
    assert allow in allowed, r.headers


# ---- categories and operations --------------------------------------------------------------

CATEGORIES = {
    "rumor": "谣言", "pornography": "淫秽色情", "violence_terrorism": "暴力恐怖",
    "gambling": "网络赌博", "fraud": "电信网络诈骗", "cult_superstition": "邪教迷信",
    "defamation": "网络诽谤", "privacy_violation": "侵犯个人信息", "hacking": "攻击窃密",
    "minors": "侵害未成年人", "ip_infringement": "侵犯知识产权",
    "financial_crime": "网络金融犯罪", "other": "其他",
}


def test_categories(gw):
    r = gw.get("/api/v1/categories")
    assert r.status_code == 200, r.text
    assert r.headers.get("X-Request-Id")
    cats = r.json()["categories"]
    assert [c["code"] for c in cats] == list(CATEGORIES)
    assert {c["code"]: c["zh"] for c in cats} == CATEGORIES
    for c in cats:
        assert isinstance(c.get("en"), str) and c["en"].strip(), c


@pytest.mark.parametrize("code", list(CATEGORIES))
def test_every_category_accepted(gw, code):
    r = gw.report(ok_body(category=code))
    assert r.status_code == 202, r.text


def test_healthz(gw):
    r = gw.get("/healthz")
    assert r.status_code == 200
    assert r.headers.get("X-Request-Id")


def test_readyz(gw):
    r = gw.get("/readyz")
    assert r.status_code == 200, r.text
    assert r.headers.get("X-Request-Id")


def test_metrics_move(gateway):
    g = gateway()
    before = g.metrics()
    url = unique_url("metrics")
    for _ in range(3):
        assert g.report({"url": url, "category": "fraud"}).status_code == 202
    assert g.report({"url": url}).status_code == 400
    r = g.metrics_get()
    assert r.status_code == 200
    assert r.headers.get("Content-Type", "").startswith("text/plain"), r.headers
    text = r.text
    for name in ["jubao_http_request_duration_seconds_bucket", "jubao_reports_accepted_total",
                 "jubao_duplicates_total", "jubao_redis_errors_total", "jubao_rate_limited_total"]:
        assert name in text
    after = g.metrics()
    k202 = 'jubao_http_requests_total{route="/api/v1/reports",status="202"}'
    k400 = 'jubao_http_requests_total{route="/api/v1/reports",status="400"}'
    assert after.get(k202, 0) - before.get(k202, 0) == 3, text
    assert after.get(k400, 0) - before.get(k400, 0) == 1, text
    assert after["jubao_reports_accepted_total"] - before.get("jubao_reports_accepted_total", 0) == 3
    assert after["jubao_duplicates_total"] - before.get("jubao_duplicates_total", 0) == 2
    assert after["jubao_rate_limited_total"] == before.get("jubao_rate_limited_total", 0) == 0
    buckets = [k for k in after if k.startswith("jubao_http_request_duration_seconds_bucket")
               and 'route="/api/v1/reports"' in k and 'le="+Inf"' in k]
    assert len(buckets) == 1 and after[buckets[0]] >= 4, buckets


def test_metrics_are_not_on_the_public_listener(gateway):
    # the queue figures reviewers get 403 for, and which rules fire on which words, are the
    # operator's: /metrics answers only on metrics_listen (loopback by default)
    g = gateway()
    assert g.report(ok_body(description="日结返利 刷单")).status_code == 202
    for method in ("GET", "HEAD", "POST"):
        r = g.request(method, "/metrics")
        assert r.status_code == 404, (method, r.status_code, r.text[:300])
        assert "jubao_" not in r.text
    assert_error(g.get("/metrics"), 404, "not_found")
    private = g.metrics_get()
    assert private.status_code == 200 and "jubao_review_queue" in private.text, private.text[:300]
    assert "jubao_rule_hits_total" in private.text, private.text[:300]
    # the metrics listener serves nothing else
    for path in ("/", "/healthz", "/api/v1/categories", "/metrics/"):
        assert_error(g.metrics_get(path), 404, "not_found")
    assert g.metrics_get(method="HEAD").status_code == 200


def test_metrics_listen_empty_means_none(gateway):
    g = gateway(env={"JUBAO_METRICS_LISTEN": ""})
    assert g.get("/metrics").status_code == 404
    with pytest.raises(requests.ConnectionError):
        g.metrics_get(timeout=2)


@pytest.mark.single_redis("it kills the one Redis")
def test_redis_errors_metric_moves(gateway, redis_factory):
    r = redis_factory()
    g = gateway(redis=r)
    before = g.metrics()["jubao_redis_errors_total"]
    r.kill()
    assert_error(g.report(ok_body(), timeout=5), 503, None)
    assert g.metrics()["jubao_redis_errors_total"] == before + 1


def test_every_answer_has_a_request_id(gw):
    answers = [
        gw.get("/healthz"), gw.get("/readyz"), gw.metrics_get(), gw.get("/api/v1/categories"),
        gw.request("HEAD", "/healthz"), gw.get("/nope"), gw.get("/api/v1/reports"),
        gw.report(), gw.report(b"{"), gw.report({"url": "ftp://x", "category": "fraud"}),
        gw.status("R-0000-0000-0000", secret="x"),
        gw.post("/api/v1/reports/batch", {"reports": []}),
    ]
    ids = [a.headers.get("X-Request-Id") for a in answers]
    assert all(ids), list(zip([a.request.url for a in answers], ids))
    assert len(set(ids)) == len(ids), ids
