"""Handlers and referrals (issue 13; docs/API.md, "Handlers"): an actioned case is referred to
the handlers that take it (platforms by their registrable domains, agencies by category), each
pulls its own referrals and reports an outcome once; the outcome reaches the reporter's status
(API and page) and the filing platform's decisions feed; not_ours routes the case again, to
the supervisors' unrouted list when no handler is left; overdue referrals are counted and
listed; every referral and outcome is in the audit chain.

Every test runs on its own Redis, gateway and worker."""

import re
import time
import uuid

import requests

from jubao_testlib import (ISO_RE, Reviewer, assert_error, start_stack, wait_until)
from test_shard_workers import node_client

REFERRALS = "/api/v1/referrals"
REFERRAL_FIELDS = {"cursor", "referral", "case", "urls", "category", "severity", "note",
                   "descriptions", "deadline_at"}
DEADLINES = {"critical": 7200, "high": 86400, "medium": 259200, "low": 604800}


def domain():
    """A registrable domain no other test uses."""
    return "h%s.com" % uuid.uuid4().hex[:12]


def add_handler(g, name, domains=None, categories=None, check=True):
    """jubao-admin handler add; returns the key (the last line of stdout), or the process."""
    args = ["handler", "add", name]
    if domains:
        args += ["--domains", domains]
    if categories:
        args += ["--categories", categories]
    p = g.admin(*args, check=check)
    return p.stdout.strip().splitlines()[-1] if check else p


def auth(key):
    return {"Authorization": "Bearer " + key}


def referrals(g, key, **params):
    x = g.get(REFERRALS, params=params, headers=auth(key))
    assert x.status_code == 200, x.text
    body = x.json()
    assert set(body) == {"referrals", "next"}, body
    for e in body["referrals"]:
        assert set(e) == REFERRAL_FIELDS, e
    return body


def outcome(g, key, referral, what, note="done"):
    return g.post("%s/%s/outcome" % (REFERRALS, referral), {"outcome": what, "note": note},
                  key=key)


def actioned_case(g, url, category="fraud", key=None, description=None):
    """Reports url (by platform key when given), claims and actions its case. Returns (the
    report's answer, the reviewer)."""
    body = {"url": url, "category": category}
    if description:
        body["description"] = description
    if key:
        body["platform_ref"] = "ticket-" + uuid.uuid4().hex[:6]
    x = g.report(body, key=key)
    assert x.status_code == 202, x.text
    rep = x.json()
    rev = Reviewer(g)
    claimed = wait_until(lambda: (lambda c: c if c.status_code == 200 else None)(rev.claim()),
                         30, interval=0.2, what="the case in the queue")
    assert claimed.json()["case"] == rep["case"], claimed.text
    d = rev.decide(rep["case"], "actioned", category, note="take it down")
    assert d.status_code == 200, d.text
    return rep, rev


def supervisor_list(g, sup, which):
    x = sup.call("GET", "/api/v1/review/referrals/" + which, None)
    assert x.status_code == 200, x.text
    return x.json()


def audit_verdicts(r):
    return [f["verdict"] for _, f in r.client().xrange("jb:{0}:audit")]


def test_referral_outcome_reaches_reporter_page_and_feed(redis_factory, gateway, worker):
    r, g, _ = start_stack(redis_factory, gateway, worker)
    dom = domain()
    host_key = add_handler(g, "host-" + dom[:8], domains=dom)
    agency_key = add_handler(g, "anti-gambling", categories="gambling")
    platform = g.apikey()
    url = "https://www.%s/post/%s" % (dom, uuid.uuid4().hex)
    anon = g.report({"url": url, "category": "fraud", "contact": "me@example.org",
                     "description": "冒充客服 13812345678 骗钱"})
    assert anon.status_code == 202, anon.text
    anon = anon.json()
    rep, _ = actioned_case(g, url, key=platform)
    assert rep["case"] == anon["case"]
    case = rep["case"]
    # the platform's handler pulls it; the agency (another category) gets nothing
    assert referrals(g, agency_key)["referrals"] == []
    page = referrals(g, host_key)
    assert len(page["referrals"]) == 1, page
    ref = page["referrals"][0]
    assert ref["case"] == case and ref["urls"] == [url] and ref["category"] == "fraud", ref
    assert ref["note"] == "take it down" and page["next"] == ref["cursor"], ref
    assert any("冒充客服" in d for d in ref["descriptions"]), ref
    assert "13812345678" not in str(ref) and "me@example.org" not in str(ref), ref
    left = time.mktime(time.strptime(ref["deadline_at"], "%Y-%m-%dT%H:%M:%SZ")) - time.mktime(
        time.gmtime())
    assert abs(left - DEADLINES[ref["severity"]]) < 120, (ref, left)
    assert referrals(g, host_key, after=page["next"])["referrals"] == []
    # what the handlers' slot keeps of the case goes with the case (retention_days)
    hp = "jb:{0}:" if r.shards() == 1 else "jb:{h}:"      # the handlers' slot (lib/global.h)
    # (read one after the other: the second may be a second later)
    assert 0 < r.client().ttl(hp + "rcase:" + case) <= r.client().ttl(r.case_key(case)) + 2
    # bad input, another's referral, a key that is no handler's
    x = g.post("%s/%s/outcome" % (REFERRALS, ref["referral"]), {"outcome": "deleted"},
               key=host_key)
    assert_error(x, 422, "invalid_outcome", "outcome")
    x = g.post("%s/%s/outcome" % (REFERRALS, ref["referral"]), {"outcome": "removed", "x": 1},
               key=host_key)
    assert x.status_code == 400 and x.json()["error"]["code"] == "unknown_field", x.text
    assert_error(referrals_raw(g, host_key, after="junk"), 400, "invalid_cursor", "after")
    assert_error(referrals_raw(g, host_key, limit="101"), 400, "invalid_limit", "limit")
    assert_error(outcome(g, agency_key, ref["referral"], "removed"), 404, "not_found")
    assert_error(outcome(g, host_key, "999999", "removed"), 404, "not_found")
    assert g.get(REFERRALS, headers=auth(platform)).status_code == 403
    # the outcome: once
    x = outcome(g, host_key, ref["referral"], "removed", note="gone at 10:02")
    assert x.status_code == 200, x.text
    assert x.json()["outcome"] == "removed" and ISO_RE.match(x.json()["at"]), x.text
    assert_error(outcome(g, host_key, ref["referral"], "no_action"), 409, "outcome_final")
    # the reporter's status: API and page
    st = wait_until(lambda: (lambda j: j if j.get("outcomes") else None)(
        g.status(anon["id"], secret=anon["secret"]).json()), 15, interval=0.1,
        what="the outcome on the reporter's status")
    assert st["outcomes"] == [{"outcome": "removed", "by": "platform", "at": x.json()["at"]}]
    page = requests.post(g.url + "/status", data={"id": anon["id"], "secret": anon["secret"]},
                         timeout=10)
    assert page.status_code == 200 and 'data-outcome="removed"' in page.text, page.text
    assert "平台已删除该内容" in page.text
    en = requests.post(g.url + "/status?lang=en",
                       data={"id": anon["id"], "secret": anon["secret"], "lang": "en"},
                       headers={"Accept-Language": "en"}, timeout=10)
    assert "Removed by the platform on" in en.text, en.text
    # the platform's feed: the decision, then the outcome
    feed = g.get("/api/v1/decisions", headers=auth(platform)).json()["decisions"]
    assert [e.get("verdict") or e.get("outcome") for e in feed] == ["actioned", "removed"]
    assert feed[1]["id"] == rep["id"] and feed[1]["case"] == case, feed
    assert feed[1]["outcome_at"] == x.json()["at"] and feed[1]["platform_ref"], feed
    # the audit chain: the decisions, the referral and the outcome, and it verifies
    assert audit_verdicts(r)[-2:] == ["referred", "outcome:removed"], audit_verdicts(r)
    g.admin("audit", "verify")
    # handler list and disable
    listed = g.admin("handler", "list").stdout
    assert re.search(r"host-\S+\s+enabled\s+0\s+" + re.escape(dom), listed), listed
    g.admin("handler", "disable", "anti-gambling")
    assert g.get(REFERRALS, headers=auth(agency_key)).status_code == 401


def referrals_raw(g, key, **params):
    return g.get(REFERRALS, params=params, headers=auth(key))


def test_handler_add_checks_its_lists(redis_factory, gateway, worker):
    _, g, _ = start_stack(redis_factory, gateway, worker, with_worker=False)
    for args in ([], ["--domains", "www.example.com"], ["--domains", "com"],
                 ["--categories", "nonsense"], ["--domains", "a.com/x"]):
        p = g.admin("handler", "add", "h-" + uuid.uuid4().hex[:6], *args, check=False)
        assert p.returncode == 2, (args, p.stdout, p.stderr)
    key = add_handler(g, "idn", domains="微博.cn,Example.ORG", categories="fraud,gambling")
    assert key.startswith("jbk_") and len(key) == 47
    assert "xn--9krt00a.cn,example.org" in g.admin("handler", "list").stdout
    p = add_handler(g, "idn", domains="x.com", check=False)
    assert p.returncode == 1 and "exists" in p.stderr
    # a handler's key files no report and reads no feed
    x = g.report({"url": "https://x.com/a", "category": "fraud"}, key=key)
    assert x.status_code == 401, x.text
    assert g.get("/api/v1/decisions", headers=auth(key)).status_code == 401
    # --platform: one key for both
    both = g.admin("handler", "add", "weibo", "--domains", "weibo.com", "--platform")
    both = both.stdout.strip().splitlines()[-1]
    assert g.report({"url": "https://x.com/b", "category": "fraud"}, key=both).status_code == 202
    assert g.get("/api/v1/decisions", headers=auth(both)).status_code == 200
    assert referrals(g, both)["referrals"] == []
    # a platform that has a key already: refused before anything is written
    g.apikey("busy")
    p = g.admin("handler", "add", "busy", "--domains", "busy.com", "--platform", check=False)
    assert p.returncode == 1 and "revoke" in p.stderr, p.stderr
    assert "busy" not in g.admin("handler", "list").stdout


def test_not_ours_routes_again_then_to_unrouted(redis_factory, gateway, worker):
    _, g, _ = start_stack(redis_factory, gateway, worker)
    dom = domain()
    first = add_handler(g, "first", domains=dom)
    sup = Reviewer(g, role="supervisor")
    rep, rev = actioned_case(g, "https://%s/a/%s" % (dom, uuid.uuid4().hex))
    ref = referrals(g, first)["referrals"][0]
    # a handler added since, for the case's category on its domain, takes it when first
    # says it is not theirs
    second = add_handler(g, "second", domains=dom, categories="fraud")
    assert referrals(g, second)["referrals"] == []
    assert outcome(g, first, ref["referral"], "not_ours").status_code == 200
    again = referrals(g, second)["referrals"]
    assert [e["case"] for e in again] == [rep["case"]], again
    assert again[0]["deadline_at"] == ref["deadline_at"]
    assert supervisor_list(g, sup, "unrouted")["cases"] == []
    # nobody is left: the supervisors' unrouted list
    assert outcome(g, second, again[0]["referral"], "not_ours").status_code == 200
    cases = supervisor_list(g, sup, "unrouted")["cases"]
    assert [c["case"] for c in cases] == [rep["case"]], cases
    assert ISO_RE.match(cases[0]["since"]) and cases[0]["category"] == "fraud", cases
    # a case no handler takes at all goes there at once; a reviewer may not see the list
    lone, _ = actioned_case(g, "https://%s/b" % domain())
    cases = supervisor_list(g, sup, "unrouted")["cases"]
    assert [c["case"] for c in cases] == [rep["case"], lone["case"]], cases
    assert rev.call("GET", "/api/v1/review/referrals/unrouted", None).status_code == 403
    # not_ours is no outcome the reporter sees
    st = g.status(rep["id"], secret=rep["secret"]).json()
    assert "outcomes" not in st, st


def test_overdue_referrals_are_counted_and_listed(redis_factory, gateway, worker):
    conf = "".join("referral_deadline_%s = 1\n" % s for s in DEADLINES)
    _, g, _ = start_stack(redis_factory, gateway, worker, config=conf)
    dom = domain()
    key = add_handler(g, "slow", domains=dom)
    sup = Reviewer(g, role="supervisor")
    rep, _ = actioned_case(g, "https://%s/late" % dom)
    ref = referrals(g, key)["referrals"][0]
    time.sleep(2.2)
    m = g.metrics()
    assert m.get('jubao_referrals_overdue{handler="slow"}') == 1, m
    over = supervisor_list(g, sup, "overdue")["referrals"]
    assert [(o["referral"], o["handler"], o["case"]) for o in over] == [
        (ref["referral"], "slow", rep["case"])], over
    assert over[0]["overdue_seconds"] >= 1 and over[0]["deadline_at"] == ref["deadline_at"]
    assert outcome(g, key, ref["referral"], "restricted").status_code == 200
    assert supervisor_list(g, sup, "overdue")["referrals"] == []
    assert 'jubao_referrals_overdue{handler="slow"}' not in g.metrics()


def test_a_decision_whose_gateway_stopped_is_referred_once(redis_factory, gateway, worker):
    """jb_decide written, the gateway gone before its audit entry: the auditor's sweep writes
    the entry and the referral, once."""
    r, g, _ = start_stack(redis_factory, gateway, worker)
    dom = domain()
    key = add_handler(g, "sweep", domains=dom)
    x = g.report({"url": "https://%s/s" % dom, "category": "fraud"})
    case = x.json()["case"]
    rev = Reviewer(g)
    wait_until(lambda: rev.claim().status_code == 200, 30, interval=0.2, what="a claim")
    iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    p = r.prefix_of(case)
    out = node_client(r, p).execute_command("FCALL", "jb_decide", 0, p, case, "actioned",
                                            "fraud", "", iso, rev.name)
    assert out[0] == "ok", out
    wait_until(lambda: referrals(g, key)["referrals"], 30, interval=0.2,
               what="the sweep refers the case")
    time.sleep(6)     # another sweep round: nothing twice
    assert len(referrals(g, key)["referrals"]) == 1
    assert audit_verdicts(r).count("referred") == 1
    g.admin("audit", "verify")


def test_referrals_on_the_cluster_with_four_shards(redis_cluster, gateway, worker):
    g = gateway(redis=redis_cluster, config="redis_shards = 4\n")
    worker(g)
    dom = domain()
    key = add_handler(g, "clustered", domains=dom)
    reps = [actioned_case(g, "https://%s/%d" % (dom, i))[0] for i in range(3)]
    got = referrals(g, key, limit=2)
    assert len(got["referrals"]) == 2
    rest = referrals(g, key, after=got["next"])["referrals"]
    refs = got["referrals"] + rest
    assert sorted(e["case"] for e in refs) == sorted(x["case"] for x in reps)
    for e in refs:
        assert outcome(g, key, e["referral"], "removed").status_code == 200
    for x in reps:
        wait_until(lambda: g.status(x["id"], secret=x["secret"]).json().get("outcomes"), 15,
                   interval=0.1, what="the outcome in the case's shard")
    g.admin("audit", "verify")
