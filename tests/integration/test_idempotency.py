"""Idempotency-Key: the same key and body answer the first receipt again; a different body is
409; keys are scoped per platform key or per anonymous client."""

import json
import uuid

from jubao_testlib import assert_error, unique_url


def counts(redis, case_id):
    c = redis.case(case_id)
    return c.get("reports"), c.get("reporters"), len(redis.intake_entries_for_case(case_id))


def test_replay_returns_the_first_receipt(gw, redis):
    body = json.dumps({"url": unique_url("idem"), "category": "fraud"})
    h = {"Idempotency-Key": "order-" + uuid.uuid4().hex}
    first = gw.report(body, headers=h)
    assert first.status_code == 202, first.text
    a = first.json()
    before = counts(redis, a["case"])
    assert before == ("1", "1", 1)
    for _ in range(3):
        again = gw.report(body, headers=h)
        assert again.status_code == 202, again.text
        b = again.json()
        assert (b["id"], b["case"], b["secret"], b["duplicate"]) == (
            a["id"], a["case"], a["secret"], a["duplicate"])
        assert again.headers.get("Location") == first.headers.get("Location")
    assert counts(redis, a["case"]) == before
    # the replayed secret works
    r = gw.status(a["id"], secret=b["secret"])
    assert r.status_code == 200, r.text


def test_replay_of_a_duplicate_report(gw, redis):
    url = unique_url("idem-dup")
    assert gw.report({"url": url, "category": "fraud"}).status_code == 202
    body = json.dumps({"url": url, "category": "fraud", "title": "second"})
    h = {"Idempotency-Key": uuid.uuid4().hex}
    a = gw.report(body, headers=h).json()
    assert a["duplicate"] is True
    before = counts(redis, a["case"])
    b = gw.report(body, headers=h).json()
    assert (b["id"], b["case"], b["secret"], b["duplicate"]) == (
        a["id"], a["case"], a["secret"], True)
    assert counts(redis, a["case"]) == before == ("2", "1", 1)


def test_same_key_different_body_conflicts(gw, redis):
    h = {"Idempotency-Key": uuid.uuid4().hex}
    url = unique_url("idem-conflict")
    a = gw.report({"url": url, "category": "fraud"}, headers=h)
    assert a.status_code == 202
    before = counts(redis, a.json()["case"])
    assert_error(gw.report({"url": url, "category": "rumor"}, headers=h), 409,
                 "idempotency_conflict")
    assert_error(gw.report({"url": unique_url("other"), "category": "fraud"}, headers=h), 409,
                 "idempotency_conflict")
    assert counts(redis, a.json()["case"]) == before


def test_keys_are_scoped(gateway, redis):
    g = gateway()
    k1, k2 = g.apikey(), g.apikey()
    body = json.dumps({"url": unique_url("idem-scope"), "category": "fraud"})
    h = {"Idempotency-Key": "shared-" + uuid.uuid4().hex}
    anon = g.report(body, headers=h).json()
    p1 = g.report(body, headers=h, key=k1).json()
    p2 = g.report(body, headers=h, key=k2).json()
    assert len({anon["id"], p1["id"], p2["id"]}) == 3, (anon, p1, p2)
    assert anon["case"] == p1["case"] == p2["case"]
    assert (p1["duplicate"], p2["duplicate"]) == (True, True)
    # each scope replays its own answer
    assert g.report(body, headers=h, key=k1).json()["id"] == p1["id"]
    assert g.report(body, headers=h).json()["id"] == anon["id"]
    assert g.report(body, headers=h, key=k2).json()["id"] == p2["id"]
    assert counts(redis, anon["case"]) == ("3", "3", 1)
    # a different body under the same key is a conflict in one scope only
    other = json.dumps({"url": unique_url("idem-scope2"), "category": "fraud"})
    assert_error(g.report(other, headers=h, key=k1), 409, "idempotency_conflict")


def test_without_key_every_post_is_a_new_report(gw):
    body = json.dumps({"url": unique_url("noidem"), "category": "fraud"})
    a = gw.report(body).json()
    b = gw.report(body).json()
    assert a["id"] != b["id"] and a["case"] == b["case"] and b["duplicate"] is True


def test_metrics_count_replays_not_as_accepted(gateway):
    g = gateway()
    body = json.dumps({"url": unique_url("idem-m"), "category": "fraud"})
    h = {"Idempotency-Key": uuid.uuid4().hex}
    m0 = g.metrics()["jubao_reports_accepted_total"]
    for _ in range(3):
        assert g.report(body, headers=h).status_code == 202
    assert g.metrics()["jubao_reports_accepted_total"] - m0 == 1


def test_refused_body_does_not_use_up_the_key(gw):
    h = {"Idempotency-Key": uuid.uuid4().hex}
    assert gw.report({"url": "ftp://x", "category": "fraud"}, headers=h).status_code == 422
    assert gw.report({"url": unique_url("idem-fix")}, headers=h).status_code == 400
    r = gw.report({"url": unique_url("idem-fix"), "category": "fraud"}, headers=h)
    assert r.status_code == 202, r.text
