"""Reviewing: claim, renew, release and decide under exclusive leases; escalation to
supervisors; what a reviewer sees (no reporter, personal data redacted); the audit chain; what a
decision does to later reports about the same URL.

Every test runs on its own Redis, gateway and worker (start_stack), so that the review queues
hold only its own cases."""

import calendar
import json
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from jubao_testlib import (AUDIT, CASE_RE, ISO_RE, PREFIX, Reviewer, assert_error,
                           queued_cases, start_stack, unique_url, wait_queued)

NO_CASE = "C-0000-0000-0000"
REVIEW_FIELDS = {"case", "queue", "lease_expires_at", "category", "suggested_categories",
                 "rule_hits", "severity", "priority", "report_count", "reporter_count", "urls",
                 "titles", "descriptions", "first_reported_at"}


def iso_seconds(s):
    assert ISO_RE.match(s), s
    return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))


def file_reports(g, r, n, tag, category="fraud", key=None, wait=True, **fields):
    """Files n reports about n new URLs, in order, and (wait) waits until the worker queued
    each before filing the next, so that the queue holds them in that order (the workers read
    the shards in turn: cases filed within one round of each other may be queued in another
    order, docs/SCALING.md); returns the 202 bodies."""
    out = []
    for _ in range(n):
        body = dict(fields, url=unique_url(tag), category=category)
        x = g.report(body, key=key)
        assert x.status_code == 202, x.text
        out.append(x.json())
        if wait:
            wait_queued(r, {x.json()["case"]})
    return out


def claimed(resp):
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert CASE_RE.match(body["case"]), body
    return body


def test_claim_renew_decide(redis_factory, gateway, worker):
    r, g, _ = start_stack(redis_factory, gateway, worker)
    [rep] = file_reports(g, r, 1, "lifecycle", title="a title", description="a description")
    a = Reviewer(g)
    assert g.status(rep["id"], secret=rep["secret"]).json()["status"] == "received"
    resp = a.claim()
    body = claimed(resp)
    assert resp.headers["Content-Type"].startswith("application/json")
    assert REVIEW_FIELDS <= set(body), body
    assert body["case"] == rep["case"] and body["queue"] == "default"
    assert body["category"] == "fraud"
    assert body["report_count"] == 1 and body["reporter_count"] == 1
    assert body["urls"] == [r.case(rep["case"])["url"]]
    assert body["titles"] == ["a title"] and body["descriptions"] == ["a description"]
    assert body["severity"] in ("none", "low", "medium", "high", "critical")
    assert body["priority"] in (0, 1, 2, 3)
    assert isinstance(body["suggested_categories"], list)
    assert isinstance(body["rule_hits"], list)
    assert ISO_RE.match(body["first_reported_at"])
    lease = iso_seconds(body["lease_expires_at"])
    assert 800 < lease - time.time() < 1000, body          # review_lease 900 by default
    # the case is now in review for the reporter too
    assert g.status(rep["id"], secret=rep["secret"]).json()["status"] == "in_review"
    # nothing else to review: 204, no body (an empty claim body means the default queue)
    for none in (a.claim(), a.claim(queue=None), Reviewer(g).claim()):
        assert none.status_code == 204, none.text
        assert none.content == b""
    # renew, with {} and with an empty body
    for body_ in ("{}", None):
        x = a.renew(rep["case"], body=body_)
        assert x.status_code == 200, x.text
        assert x.json()["case"] == rep["case"]
        assert iso_seconds(x.json()["lease_expires_at"]) >= lease
    d = a.decide(rep["case"], "actioned", "fraud", note="confirmed fraud page")
    assert d.status_code == 200, d.text
    assert d.json()["case"] == rep["case"]
    assert (d.json()["verdict"], d.json()["category"]) == ("actioned", "fraud")
    assert ISO_RE.match(d.json()["decided_at"])
    # decided: the lease is gone, for everything
    assert_error(a.decide(rep["case"], "no_violation"), 409, "lease_not_held")
    assert_error(a.renew(rep["case"]), 409, "lease_not_held")
    assert_error(a.release(rep["case"]), 409, "lease_not_held")
    assert a.claim().status_code == 204
    # a case that does not exist
    assert_error(a.decide(NO_CASE, "actioned", "fraud"), 404, "not_found")
    assert_error(a.renew(NO_CASE), 404, "not_found")
    assert_error(a.release(NO_CASE), 404, "not_found")


def test_twenty_reviewers_at_once_never_share_a_case(redis_factory, gateway, worker):
    r, g, _ = start_stack(redis_factory, gateway, worker)
    reps = file_reports(g, r, 30, "crowd")
    all_cases = {x["case"] for x in reps}
    with ThreadPoolExecutor(20) as ex:
        reviewers = list(ex.map(lambda _: Reviewer(g), range(20)))
    start = threading.Barrier(20)
    lock = threading.Lock()
    first = {}          # reviewer index -> the case of its first claim
    decided = []        # (reviewer index, case)
    errors = []

    def review(i):
        me = reviewers[i]
        try:
            start.wait(30)
            c = claimed(me.claim())["case"]
            with lock:
                first[i] = c
            start.wait(30)      # everyone holds a lease now
            other = first[(i + 1) % 20]
            assert_error(me.decide(other, "no_violation"), 409, "lease_not_held")
            assert_error(me.renew(other), 409, "lease_not_held")
            assert_error(me.release(other), 409, "lease_not_held")
            start.wait(30)
            while True:
                verdict = "actioned" if ord(c[-1]) % 2 else "no_violation"
                d = me.decide(c, verdict, "fraud")
                assert d.status_code == 200, d.text
                with lock:
                    decided.append((i, c))
                assert_error(me.decide(c, verdict, "fraud"), 409, "lease_not_held")
                x = me.claim()
                if x.status_code == 204:
                    break
                c = claimed(x)["case"]
        except BaseException as e:       # noqa: B902 - reported below
            with lock:
                errors.append("reviewer %d: %r" % (i, e))
            start.abort()

    threads = [threading.Thread(target=review, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == [], errors
    assert len(set(first.values())) == 20, "a case was held by two: %r" % first
    cases = [c for _, c in decided]
    assert len(cases) == len(set(cases)) == 30, sorted(cases)
    assert set(cases) == all_cases
    for c in all_cases:
        assert r.case(c)["status"] in ("actioned", "no_violation"), r.case(c)
    assert reviewers[0].claim().status_code == 204
    for x in reviewers:
        x.close()


def test_an_expired_lease_goes_to_the_next_claimer(redis_factory, gateway, worker):
    r, g, _ = start_stack(redis_factory, gateway, worker, config="review_lease = 1\n")
    [rep] = file_reports(g, r, 1, "expire")
    a, b = Reviewer(g), Reviewer(g)
    body = claimed(a.claim())
    assert body["case"] == rep["case"]
    assert iso_seconds(body["lease_expires_at"]) - time.time() < 30
    assert b.claim().status_code == 204          # held
    time.sleep(2.5)
    assert claimed(b.claim())["case"] == rep["case"]
    # the old holder is too late for everything
    assert_error(a.decide(rep["case"], "actioned", "fraud"), 409, "lease_not_held")
    assert_error(a.renew(rep["case"]), 409, "lease_not_held")
    assert_error(a.release(rep["case"]), 409, "lease_not_held")
    d = b.decide(rep["case"], "no_violation", note="late but fine")
    assert d.status_code == 200, d.text
    assert r.case(rep["case"])["status"] == "no_violation"
    assert a.claim().status_code == 204


def test_release_puts_the_case_back_first(redis_factory, gateway, worker):
    r, g, _ = start_stack(redis_factory, gateway, worker)
    older, newer = file_reports(g, r, 2, "release", category="rumor")
    a, b = Reviewer(g), Reviewer(g)
    assert claimed(a.claim())["case"] == older["case"]
    x = a.release(older["case"], body=None)
    assert x.status_code == 204, x.text
    assert x.content == b""
    assert_error(a.decide(older["case"], "no_violation"), 409, "lease_not_held")
    assert_error(a.release(older["case"]), 409, "lease_not_held")
    # offered again, before the newer case
    assert claimed(b.claim())["case"] == older["case"]
    assert b.release(older["case"], body="{}").status_code == 204
    assert claimed(a.claim())["case"] == older["case"]
    assert claimed(b.claim())["case"] == newer["case"]
    assert b.claim().status_code == 204
    assert a.decide(older["case"], "no_violation").status_code == 200
    assert b.decide(newer["case"], "actioned", "rumor").status_code == 200


def test_cases_come_by_priority_then_age(redis_factory, gateway, worker):
    r, g, _ = start_stack(redis_factory, gateway, worker)
    plain1 = file_reports(g, r, 1, "prio-plain1", category="other",
                          description="nothing special about this page")[0]
    high = file_reports(g, r, 1, "prio-high", category="fraud",
                        description="招聘兼职刷单，一单一结，日结返利300元")[0]
    minors = file_reports(g, r, 1, "prio-minors", category="minors")[0]
    plain2 = file_reports(g, r, 1, "prio-plain2", category="other",
                          description="nothing special about this page")[0]
    a = Reviewer(g)
    order = []
    for want_priority in (3, 2, 0, 0):
        body = claimed(a.claim())
        assert body["priority"] == want_priority, body
        order.append(body["case"])
        assert a.decide(body["case"], "no_violation").status_code == 200
    assert order == [minors["case"], high["case"], plain1["case"], plain2["case"]]


def test_escalated_cases_are_for_supervisors(redis_factory, gateway, worker):
    r, g, _ = start_stack(redis_factory, gateway, worker)
    [rep] = file_reports(g, r, 1, "escalate", category="fraud")
    a, s = Reviewer(g), Reviewer(g, role="supervisor")
    assert claimed(a.claim())["case"] == rep["case"]
    d = a.decide(rep["case"], "escalate", note="needs a second look")
    assert d.status_code == 200, d.text
    assert d.json()["verdict"] == "escalate" and d.json()["case"] == rep["case"]
    assert r.case(rep["case"])["queue"] == "escalated"
    st = g.status(rep["id"], secret=rep["secret"]).json()
    assert st["status"] == "in_review" and "decision" not in st, st
    assert_error(a.decide(rep["case"], "actioned", "fraud"), 409, "lease_not_held")
    assert_error(a.claim("escalated"), 403, "forbidden")
    assert a.claim().status_code == 204
    assert s.claim().status_code == 204          # the default queue is empty
    body = claimed(s.claim("escalated"))
    assert body["case"] == rep["case"] and body["queue"] == "escalated"
    d = s.decide(rep["case"], "actioned", "gambling")
    assert d.status_code == 200, d.text
    st = g.status(rep["id"], secret=rep["secret"]).json()
    assert st["status"] == "actioned" and st["decision"]["category"] == "gambling", st
    assert s.claim("escalated").status_code == 204


def test_supervisor_sees_queues_and_breaks_leases(redis_factory, gateway, worker):
    r, g, _ = start_stack(redis_factory, gateway, worker)
    reps = file_reports(g, r, 3, "queues")
    a, b, s = Reviewer(g), Reviewer(g), Reviewer(g, role="supervisor")
    held = claimed(a.claim())["case"]
    assert held == reps[0]["case"]
    x = s.queues()
    assert x.status_code == 200, x.text
    body = x.json()
    qs = {q["queue"]: q for q in body["queues"]}
    assert set(qs) >= {"default", "escalated"}, body
    assert (qs["default"]["length"], qs["default"]["leased"]) == (3, 1), body
    assert isinstance(qs["default"]["oldest_age_seconds"], (int, float))
    assert qs["default"]["oldest_age_seconds"] >= 0
    assert (qs["escalated"]["length"], qs["escalated"]["leased"]) == (0, 0), body
    assert body["dead_letters"] == 0, body
    # reviewers may do neither
    assert_error(a.queues(), 403, "forbidden")
    assert_error(a.break_lease(held), 403, "forbidden")
    assert_error(b.break_lease(held), 403, "forbidden")
    # a broken lease ends at once and the case is offered again
    x = s.break_lease(held)
    assert x.status_code == 204, x.text
    assert_error(a.decide(held, "actioned", "fraud"), 409, "lease_not_held")
    assert_error(a.renew(held), 409, "lease_not_held")
    assert_error(s.break_lease(held, body=None), 409, "not_leased")
    assert_error(s.break_lease(reps[1]["case"]), 409, "not_leased")
    assert_error(s.break_lease(NO_CASE), 404, "not_found")
    qs = {q["queue"]: q for q in s.queues().json()["queues"]}
    assert (qs["default"]["length"], qs["default"]["leased"]) == (3, 0)
    assert claimed(b.claim())["case"] == held
    assert b.decide(held, "no_violation").status_code == 200
    qs = {q["queue"]: q for q in s.queues().json()["queues"]}
    assert (qs["default"]["length"], qs["default"]["leased"]) == (2, 0)
    # supervisors review the default queue too
    assert claimed(s.claim())["case"] == reps[1]["case"]


def test_review_calls_need_a_valid_token(redis_factory, gateway, worker):
    r, g, _ = start_stack(redis_factory, gateway, worker)
    [rep] = file_reports(g, r, 1, "auth")
    a = Reviewer(g)
    s = Reviewer(g, role="supervisor")
    key = g.apikey()
    c = rep["case"]
    calls = [lambda **kw: a.claim(**kw), lambda **kw: a.renew(c, **kw),
             lambda **kw: a.release(c, **kw),
             lambda **kw: a.decide(c, "actioned", "fraud", **kw),
             lambda **kw: s.queues(**kw), lambda **kw: s.break_lease(c, **kw)]
    for call in calls:
        for token in (None, "", "x" * 43, a.token[:-1] + ("a" if a.token[-1] != "a" else "b"),
                      key):
            x = call(token=token)
            assert_error(x, 401, "unauthorized")
            assert x.headers.get("WWW-Authenticate", "").startswith("Bearer"), x.headers
        x = call(token=None, headers={"Authorization": "Basic " + a.token})
        assert_error(x, 401, "unauthorized")
    # nothing happened meanwhile: the case is still there to claim
    assert claimed(a.claim())["case"] == c
    # a reviewer disabled after the login is out at once
    g.admin("reviewer", "disable", a.name)
    assert_error(a.renew(c), 401, "unauthorized")
    assert_error(a.decide(c, "actioned", "fraud"), 401, "unauthorized")


def test_claim_and_decision_bodies_are_validated(redis_factory, gateway, worker):
    r, g, _ = start_stack(redis_factory, gateway, worker)
    [rep] = file_reports(g, r, 1, "validate")
    a = Reviewer(g)
    assert_error(a.claim("urgent"), 400, "unknown_queue", "queue")
    assert_error(a.claim(body={"queue": 1}), 400, "wrong_type", "queue")
    assert_error(a.claim(body={"queue": "default", "all": "yes"}), 400, "unknown_field", "all")
    assert_error(a.claim(body="{"), 400, "invalid_json")
    x = a.call("POST", "/api/v1/review/claim", "queue=default",
               headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_error(x, 415, "unsupported_media_type")
    c = claimed(a.claim())["case"]
    assert c == rep["case"]
    assert_error(a.decide(c, "ban"), 422, "invalid_verdict", None)
    assert_error(a.decide(c, "actioned", "spam"), 422, "invalid_category", None)
    assert_error(a.decide(c, "actioned"), 400, "missing_field", "category")
    assert_error(a.decide(c, None, body={"category": "fraud"}), 400, "missing_field", "verdict")
    assert_error(a.decide(c, None, body={"verdict": 1}), 400, "wrong_type", "verdict")
    assert_error(a.decide(c, None, body={"verdict": "actioned", "category": "fraud",
                                        "reviewer": "x"}), 400, "unknown_field", "reviewer")
    assert_error(a.decide(c, "no_violation", note="长" * 2001), 400, "too_long", "note")
    assert_error(a.decide(c, None, body="[]"), 400, "invalid_json")
    assert a.call("GET", "/api/v1/review/claim", None).status_code == 405
    # none of that used the lease up
    d = a.decide(c, "no_violation", note="长" * 2000)
    assert d.status_code == 200, d.text


PII = ["13812345678", "wang.wei@example.com", "11010519491231002X", "11010519491231002x",
       "6225881234567898"]


def test_claim_carries_no_reporter_and_no_personal_data(redis_factory, gateway, worker):
    r, g, _ = start_stack(redis_factory, gateway, worker)
    platform = "plat-" + uuid.uuid4().hex[:10]
    key = g.apikey(platform)
    url = unique_url("privacy")
    contact_mail = "reporter.%s@example.org" % uuid.uuid4().hex[:8]
    contact_phone = "139%08d" % (uuid.uuid4().int % 10 ** 8)
    description = ("call me at 13812345678 or mail wang.wei@example.com, "
                   "ID 11010519491231002X")
    reps = [
        g.report({"url": url, "category": "fraud", "title": "wang.wei@example.com 13812345678",
                  "description": description, "contact": contact_mail}),
        g.report({"url": url, "category": "fraud", "description": "卡号 6225881234567898",
                  "contact": contact_phone, "platform_ref": "ref-" + platform}, key=key),
    ]
    for x in reps:
        assert x.status_code == 202, x.text
    reps = [x.json() for x in reps]
    case = reps[0]["case"]
    assert reps[1]["case"] == case
    wait_queued(r, {case})
    x = Reviewer(g).claim()
    body = claimed(x)
    assert body["case"] == case
    assert body["report_count"] == 2 and body["reporter_count"] == 2, body
    pseudonyms = r.client().smembers(r.case_key(case, ":reporters"))
    assert len(pseudonyms) == 2, pseudonyms
    texts = [x.text, json.dumps(body, ensure_ascii=False)]
    forbidden = PII + [contact_mail, contact_phone, platform, "ref-" + platform] + \
        list(pseudonyms) + [p.split(":", 1)[-1] for p in pseudonyms] + \
        [rep["secret"] for rep in reps]
    for text in texts:
        for s in forbidden:
            assert s not in text, "the claim answer shows %r: %s" % (s, text)
    for k in body:
        assert not any(w in k.lower() for w in ("contact", "secret", "platform", "reporters",
                                                 "email", "phone")), k
    # the reviewers' copies are there, redacted
    joined = " ".join(body["descriptions"] + body["titles"])
    assert "call me at" in joined and "[PHONE]" in joined and "[EMAIL]" in joined, body


def audit_entries(r):
    return r.client().xrange(AUDIT)


def rewrite_audit(r, entries):
    c = r.client()
    c.delete(AUDIT)
    for eid, f in entries:
        c.xadd(AUDIT, f, id=eid)


def verify(g):
    p = g.admin("audit", "verify", check=False)
    return p.returncode, p.stdout + p.stderr


def decide_some(g, r, n=3):
    """n cases decided (the second escalated first, then actioned by a supervisor); returns
    [(case, verdict, reviewer name)] in decision order."""
    reps = file_reports(g, r, n, "audit")
    a, s = Reviewer(g), Reviewer(g, role="supervisor")
    done = []
    for i, rep in enumerate(reps):
        c = claimed(a.claim())["case"]
        assert c == rep["case"]
        if i == 1:
            assert a.decide(c, "escalate", note="ask a supervisor").status_code == 200
            done.append((c, "escalate", a.name))
            assert claimed(s.claim("escalated"))["case"] == c
            assert s.decide(c, "actioned", "gambling", note="gambling").status_code == 200
            done.append((c, "actioned", s.name))
        else:
            verdict = "actioned" if i == 0 else "no_violation"
            assert a.decide(c, verdict, "fraud", note="entry %d" % i).status_code == 200
            done.append((c, verdict, a.name))
    return done


def test_audit_chain_holds_and_verify_finds_changes(redis_factory, gateway, worker):
    r, g, _ = start_stack(redis_factory, gateway, worker)
    done = decide_some(g, r, 3)
    entries = audit_entries(r)
    assert [(f["case"], f["verdict"], f["reviewer"]) for _, f in entries] == done
    assert [int(f["seq"]) for _, f in entries] == list(range(1, len(done) + 1))
    for (_, before), (_, after) in zip(entries, entries[1:]):
        assert after["prev"] == before["hash"], (before, after)
    assert len({f["hash"] for _, f in entries}) == len(entries)
    assert r.client().exists(PREFIX + "audit:last")
    rc, out = verify(g)
    assert rc == 0 and "intact" in out, out

    middle = entries[1][0]
    for field, value in (("verdict", "no_violation"), ("note", "nothing to see"),
                         ("reviewer", "someone-else"), ("at", "2020-01-01T00:00:00Z")):
        changed = [(eid, dict(f, **{field: value}) if eid == middle else f)
                   for eid, f in entries]
        rewrite_audit(r, changed)
        rc, out = verify(g)
        assert rc == 1 and "broken" in out and middle in out, (field, out)
        rewrite_audit(r, entries)
        rc, out = verify(g)
        assert rc == 0 and "intact" in out, out

    # an entry taken out of the middle
    r.client().xdel(AUDIT, middle)
    rc, out = verify(g)
    assert rc == 1 and "broken" in out, out
    assert middle in out or entries[2][0] in out, out


def test_audit_verify_finds_a_missing_last_entry(redis_factory, gateway, worker):
    r, g, _ = start_stack(redis_factory, gateway, worker)
    decide_some(g, r, 3)
    entries = audit_entries(r)
    assert verify(g)[0] == 0
    r.client().xdel(AUDIT, entries[-1][0])
    rc, out = verify(g)
    assert rc == 1 and "broken" in out, out


def test_no_violation_case_takes_later_reports_without_review(redis_factory, gateway, worker):
    r, g, _ = start_stack(redis_factory, gateway, worker)
    key = g.apikey()
    url = unique_url("nv")
    first = g.report({"url": url, "category": "rumor"}).json()
    case = first["case"]
    wait_queued(r, {case})
    a = Reviewer(g)
    assert claimed(a.claim())["case"] == case
    assert a.decide(case, "no_violation", note="satire").status_code == 200
    queued_before = len(queued_cases(r).get(case, []))
    # a later report about the same URL joins the decided case, decided at once
    x = g.report({"url": url + "#again", "category": "rumor", "platform_ref": "nv-1"}, key=key)
    assert x.status_code == 202, x.text
    later = x.json()
    assert later["duplicate"] is True and later["case"] == case, later
    st = g.status(later["id"], key=key).json()
    assert st["status"] == "no_violation", st
    assert st["decision"]["verdict"] == "no_violation" and ISO_RE.match(
        st["decision"]["decided_at"]), st
    assert r.case(case)["reports"] == "2"
    # and it does not come back to the queue: a report filed after it is the only thing there
    sentinel = file_reports(g, r, 1, "nv-sentinel")[0]
    assert claimed(a.claim())["case"] == sentinel["case"]
    assert a.claim().status_code == 204
    assert len(queued_cases(r).get(case, [])) == queued_before
    assert r.case(case)["status"] == "no_violation"


def test_a_graver_report_sends_a_cleared_url_back_to_review(redis_factory, gateway, worker):
    """Bait-and-switch: a page cleared as no_violation, then changed. A later report in an
    urgent category, or one whose rules fire more severely than any report of the case did,
    does not join the cleared case: it opens a new one, which the worker queues, first."""
    r, g, _ = start_stack(redis_factory, gateway, worker)
    a = Reviewer(g)
    grave = [{"category": "minors"}, {"category": "violence_terrorism"},
             {"category": "fraud", "description": "招聘兼职刷单，日结返利"}]   # fraud rule, high
    for n, later_fields in enumerate(grave):
        url = unique_url("bait-%d" % n)
        first = g.report({"url": url, "category": "rumor", "description": "a cat"}).json()
        wait_queued(r, {first["case"]})
        assert claimed(a.claim())["case"] == first["case"]
        assert a.decide(first["case"], "no_violation").status_code == 200
        # a report like the first still joins the cleared case and is closed at once
        mild = g.report({"url": url, "category": "rumor"}).json()
        assert mild["duplicate"] is True and mild["case"] == first["case"], mild
        later = g.report(dict(later_fields, url=url + "#now")).json()
        assert later["duplicate"] is False and later["case"] != first["case"], later
        st = g.status(later["id"], secret=later["secret"]).json()
        assert st["status"] == "received" and "decision" not in st, st
        assert r.case(later["case"])["reopens"] == first["case"], r.case(later["case"])
        wait_queued(r, {later["case"]})
        got = claimed(a.claim())
        assert got["case"] == later["case"] and got["priority"] >= 2, got
        assert g.status(later["id"], secret=later["secret"]).json()["status"] == "in_review"
        # what was decided stays decided; further reports about the URL join the new case
        assert g.status(first["id"], secret=first["secret"]).json()["status"] == "no_violation"
        again = g.report({"url": url, "category": "rumor"}).json()
        assert again["duplicate"] is True and again["case"] == later["case"], again
        assert a.decide(later["case"], "actioned", "fraud").status_code == 200
    assert a.claim().status_code == 204


def test_actioned_case_is_closed_for_later_reports(redis_factory, gateway, worker):
    r, g, _ = start_stack(redis_factory, gateway, worker)
    url = unique_url("closed")
    first = g.report({"url": url, "category": "fraud"}).json()
    wait_queued(r, {first["case"]})
    a = Reviewer(g)
    assert claimed(a.claim())["case"] == first["case"]
    assert a.decide(first["case"], "actioned", "fraud").status_code == 200
    x = g.report({"url": url, "category": "fraud"})
    assert x.status_code == 202, x.text
    later = x.json()
    assert later["duplicate"] is False and later["case"] != first["case"], later
    assert g.status(later["id"], secret=later["secret"]).json()["status"] == "received"
    wait_queued(r, {later["case"]})
    assert claimed(a.claim())["case"] == later["case"]
    # the first report keeps its own decision
    assert g.status(first["id"], secret=first["secret"]).json()["status"] == "actioned"


def test_no_violation_window_ends(redis_factory, gateway, worker):
    """With no_violation_window = 0 a cleared case takes nothing more: the next report about
    the URL opens a new case, which goes to review."""
    r, g, _ = start_stack(redis_factory, gateway, worker, config="no_violation_window = 0\n")
    url = unique_url("nv-window")
    first = g.report({"url": url, "category": "rumor"}).json()
    wait_queued(r, {first["case"]})
    a = Reviewer(g)
    assert claimed(a.claim())["case"] == first["case"]
    assert a.decide(first["case"], "no_violation").status_code == 200
    time.sleep(0.01)
    later = g.report({"url": url, "category": "rumor"}).json()
    assert later["duplicate"] is False and later["case"] != first["case"], later
    wait_queued(r, {later["case"]})
    assert claimed(a.claim())["case"] == later["case"]


def test_a_case_that_expired_under_its_lease_does_not_block_the_queue(redis_factory, gateway,
                                                                        worker):
    """Reports and cases expire after retention_days; one that goes while released (or
    leased) is dropped from the queue instead of breaking the next claim."""
    r, g, _ = start_stack(redis_factory, gateway, worker)
    first, second = file_reports(g, r, 2, "expired")
    a = Reviewer(g)
    held = claimed(a.claim())["case"]
    assert a.release(held).status_code == 204
    c = r.client()
    for k in list(c.scan_iter(r.case_key(held, "*"))):
        c.delete(k)
    other = ({first["case"], second["case"]} - {held}).pop()
    assert claimed(a.claim())["case"] == other
    assert a.claim().status_code == 204
    assert [m for p in r.shard_prefixes() for m in c.zrange(p + "leases:default", 0, -1)] \
        == [other]
