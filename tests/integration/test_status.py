"""GET /api/v1/reports/{id}: the receipt's secret or the filing platform's key shows the
status; anything else is the same 404."""

import json
from datetime import datetime, timezone

import pytest

from jubao_testlib import ISO_RE, assert_error, unique_url


@pytest.fixture(scope="module")
def filed(gw):
    k1 = gw.apikey()
    k2 = gw.apikey()
    r = gw.report({"url": unique_url("status"), "category": "gambling"}, key=k1)
    assert r.status_code == 202, r.text
    anon = gw.report({"url": unique_url("status-anon"), "category": "rumor"})
    assert anon.status_code == 202, anon.text
    return {"k1": k1, "k2": k2, "platform": r.json(), "anon": anon.json()}


def check_status_body(r, receipt, category):
    assert r.status_code == 200, r.text
    body = r.json()
    assert "secret" not in body, body
    assert body["id"] == receipt["id"]
    assert body["case"] == receipt["case"]
    assert body["category"] == category
    assert body["status"] == "received"
    for f in ("received_at", "updated_at"):
        assert ISO_RE.match(body[f]), body
        t = datetime.strptime(body[f], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        assert abs((datetime.now(timezone.utc) - t).total_seconds()) < 600, body
    assert "decision" not in body
    assert secret_free(r.text, receipt["secret"])
    assert r.headers.get("X-Request-Id")


def secret_free(text, secret):
    return secret not in text


def test_secret_shows_status(gw, filed):
    a = filed["anon"]
    check_status_body(gw.status(a["id"], secret=a["secret"]), a, "rumor")
    p = filed["platform"]
    check_status_body(gw.status(p["id"], secret=p["secret"]), p, "gambling")


def test_status_url_of_the_receipt_works(gw, filed):
    a = filed["anon"]
    r = gw.get(a["status_url"], headers={"X-Report-Secret": a["secret"]})
    assert r.status_code == 200, r.text


def test_filing_platform_key_shows_status(gw, filed):
    p = filed["platform"]
    check_status_body(gw.status(p["id"], key=filed["k1"]), p, "gambling")


def not_found_cases(filed):
    a, p = filed["anon"], filed["platform"]
    wrong = a["secret"][:-1] + ("0" if a["secret"][-1] != "0" else "1")
    return [
        ("wrong secret", a["id"], dict(secret=wrong)),
        ("other report's secret", a["id"], dict(secret=p["secret"])),
        ("empty secret", a["id"], dict(secret="")),
        ("no secret", a["id"], dict()),
        ("unknown id", "R-0000-0000-0000", dict(secret=a["secret"])),
        ("unknown id, no secret", "R-ZZZZ-ZZZZ-ZZZZ", dict()),
        ("malformed id", "R-0000-0000-000", dict(secret=a["secret"])),
        ("lower-case id", a["id"].lower(), dict(secret=a["secret"])),
        ("case id", a["case"], dict(secret=a["secret"])),
        ("junk id", "R-@@@@-%FF%FE-0000", dict(secret=a["secret"])),
        ("other platform's key", p["id"], dict(key=filed["k2"])),
        ("a platform key on an anonymous report", a["id"], dict(key=filed["k1"])),
    ]


def test_everything_else_is_the_same_404(gw, filed):
    bodies = {}
    for name, rid, kw in not_found_cases(filed):
        r = gw.status(rid, **kw)
        assert (name, r.status_code) == (name, 404)
        assert_error(r, 404, "not_found")
        bodies[name] = r.content
        headers = {k.lower(): v for k, v in r.headers.items()
                   if k.lower() not in ("x-request-id", "date")}
        bodies[name + " headers"] = json.dumps(sorted(headers.items()))
    reference = bodies["unknown id"]
    for name, rid, kw in not_found_cases(filed):
        assert (name, bodies[name]) == (name, reference)
    ref_h = bodies["unknown id headers"]
    for name, rid, kw in not_found_cases(filed):
        assert (name, bodies[name + " headers"]) == (name, ref_h)


def test_secret_and_key_together(gw, filed):
    p = filed["platform"]
    r = gw.status(p["id"], secret=p["secret"], key=filed["k1"])
    assert r.status_code == 200, r.text
    r = gw.status(p["id"], secret="x" * 26, key=filed["k1"])
    assert_error(r, 404, "not_found")


def test_revoked_key_is_401(gateway):
    g = gateway()
    key = g.apikey("revoked-platform")
    r = g.report({"url": unique_url("status-rev"), "category": "fraud"}, key=key)
    assert r.status_code == 202
    rec = r.json()
    assert g.status(rec["id"], key=key).status_code == 200
    g.admin("apikey", "revoke", "revoked-platform")
    assert_error(g.status(rec["id"], key=key), 401, "unauthorized")
    # the reporter's secret still works
    assert g.status(rec["id"], secret=rec["secret"]).status_code == 200


def test_unknown_key_is_401(gw, filed):
    p = filed["platform"]
    assert_error(gw.status(p["id"], key="jbk_" + "0" * 43), 401, "unauthorized")


@pytest.mark.parametrize("suffix", ["0000", "X", "-", "%20"])
def test_id_with_trailing_characters_is_404(gw, filed, suffix):
    # Only the exact id names the report: a longer path is a malformed id, even with the
    # right secret.
    a = filed["anon"]
    assert_error(gw.status(a["id"] + suffix, secret=a["secret"]), 404, "not_found")
