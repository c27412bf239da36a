"""A Redis written by an earlier jubao is read by this one.

tests/data/redis-compat holds the keys that jubao-gateway, jubao-worker and jubao-admin of an
earlier build wrote for a few reports, decisions, a platform's feed, a reviewer with a session
and a lease, and a report the worker had not taken yet (make_fixture.py made them, with the
data directory's keys). Loaded into a fresh Redis, today's programs must find the receipts,
the decisions and the feed, join new reports to the open cases, route the waiting report,
let the stored reviewer claim and decide, and keep the audit chain whole.
"""
import json
import pathlib

import requests

from jubao_testlib import PREFIX, Reviewer, wait_queued, wait_until

FIXTURE = pathlib.Path(__file__).resolve().parents[1] / "data" / "redis-compat"


def test_a_redis_written_by_the_earlier_build_is_read(redis_factory, gateway, worker):
    fx = json.loads((FIXTURE / "receipts.json").read_text())
    rep, key = fx["reports"], fx["apikey"]
    r = redis_factory()
    r.load_json(FIXTURE / "redis.json")
    g = gateway(redis=r, data_from=FIXTURE / "data")

    # receipts: the reporter's secret and the platform's key, with the stored decisions
    a = g.status(rep["a"]["id"], secret=rep["a"]["secret"])
    assert a.status_code == 200, a.text
    assert a.json()["case"] == rep["a"]["case"] and a.json()["status"] == "actioned"
    assert a.json()["decision"]["verdict"] == "actioned"
    assert a.json()["decision"]["category"] == "fraud"
    assert g.status(rep["a"]["id"], secret=rep["b"]["secret"]).status_code == 404
    d = g.status(rep["d"]["id"], key=key)
    assert d.status_code == 200 and d.json()["decision"]["verdict"] == "no_violation", d.text
    c = g.status(rep["c"]["id"], secret=rep["c"]["secret"])
    assert c.status_code == 200 and c.json()["status"] == "received", c.text

    # the platform's feed: its two reports' decisions, in order
    feed = g.get("/api/v1/decisions?limit=10", headers={"Authorization": "Bearer " + key})
    assert feed.status_code == 200, feed.text
    got = [(x["id"], x["verdict"]) for x in feed.json()["decisions"]]
    assert got == [(rep["b"]["id"], "actioned"), (rep["d"]["id"], "no_violation")], feed.text
    assert feed.json()["decisions"][0]["platform_ref"] == "ref-b"

    # new reports: one joins the open case, one about the actioned URL opens a new case
    j = g.report({"url": "https://compat.example.org/gambling", "category": "gambling"})
    assert j.status_code == 202 and j.json()["case"] == rep["c"]["case"], j.text
    assert j.json()["duplicate"] is True
    n = g.report({"url": "https://compat.example.com/fraud", "category": "fraud"})
    assert n.status_code == 202 and n.json()["duplicate"] is False, n.text
    assert n.json()["case"] != rep["a"]["case"]
    assert r.case(rep["c"]["case"])["reports"] == "2"

    # the worker takes the entry the earlier one left in the intake stream
    worker(g)
    wait_queued(r, [rep["f"]["case"], n.json()["case"]])

    # the stored supervisor logs in, claims the leased case first (its lease ended) and the
    # others, and decides them all
    rev = Reviewer(g, name=fx["reviewer"], password=fx["password"], add=False)
    # ended now if it still runs (a fixture made less than review_lease ago): 409 once lapsed
    assert rev.break_lease(rep["e"]["case"]).status_code in (204, 409)
    open_cases = {rep["c"]["case"], rep["e"]["case"], rep["f"]["case"], n.json()["case"]}
    seen = []
    while True:
        got = rev.claim()
        if got.status_code == 204:
            break
        assert got.status_code == 200, got.text
        case = got.json()["case"]
        seen.append(case)
        res = rev.decide(case, "no_violation", note="compat")
        assert res.status_code == 200, res.text
    assert seen[0] == rep["e"]["case"], seen     # an ended lease comes first
    assert set(seen) == open_cases, seen
    e = g.status(rep["e"]["id"], secret=rep["e"]["secret"])
    assert e.json()["decision"]["verdict"] == "no_violation", e.text

    # the audit chain the earlier build began goes on unbroken
    assert g.admin("audit", "verify").returncode == 0
    assert r.client().xlen(PREFIX + "audit") == 2 + len(open_cases)
