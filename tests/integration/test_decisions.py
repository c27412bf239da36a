"""What a decision shows outside: the reporter (receipt and secret) and the platform (its key,
and the decisions feed) see the verdict, the category and when, never who decided; the feed
pages with opaque cursors and keeps each platform to its own reports; /metrics counts the
decisions.

Every test runs on its own Redis, gateway and worker (start_stack)."""

import uuid

from jubao_testlib import (ISO_RE, Reviewer, assert_error, start_stack, unique_url,
                           wait_queued)

FEED = "/api/v1/decisions"
# platform_ref too where the report had one
ENTRY_FIELDS = {"cursor", "id", "case", "verdict", "category", "decided_at"}


def feed(g, key, **params):
    h = {"Authorization": "Bearer " + key} if key is not None else {}
    return g.get(FEED, params=params, headers=h)


def feed_ok(g, key, **params):
    x = feed(g, key, **params)
    assert x.status_code == 200, x.text
    body = x.json()
    assert {"decisions", "next"} <= set(body), body
    assert isinstance(body["next"], str) and body["next"], body
    for e in body["decisions"]:
        assert ENTRY_FIELDS <= set(e), e
        assert isinstance(e["cursor"], str) and e["cursor"], e
    return body


def review_all(reviewer, plan):
    """Claims until the queue is empty and decides each case as plan[case] = (verdict,
    category) says; returns [(case, decision answer)] in decision order."""
    done = []
    while True:
        x = reviewer.claim()
        if x.status_code == 204:
            return done
        assert x.status_code == 200, x.text
        case = x.json()["case"]
        verdict, category = plan[case]
        d = reviewer.decide(case, verdict, category, note="note " + uuid.uuid4().hex)
        assert d.status_code == 200, d.text
        done.append((case, d.json()))


def report(g, url, category="fraud", key=None, **fields):
    x = g.report(dict(fields, url=url, category=category), key=key)
    assert x.status_code == 202, x.text
    return x.json()


def test_reporter_and_platform_see_the_decision_not_the_reviewer(redis_factory, gateway,
                                                                 worker):
    r, g, _ = start_stack(redis_factory, gateway, worker)
    key = g.apikey()
    url = unique_url("seen")
    anon = report(g, url, "fraud", contact="me@example.org")
    plat = report(g, url, "fraud", key=key, platform_ref="ticket-77")
    assert plat["case"] == anon["case"]
    case = anon["case"]
    for st in (g.status(anon["id"], secret=anon["secret"]), g.status(plat["id"], key=key)):
        assert st.status_code == 200, st.text
        assert st.json()["status"] == "received" and "decision" not in st.json()
    wait_queued(r, {case})
    judge = Reviewer(g, name="judge-" + uuid.uuid4().hex[:10])
    assert judge.claim().json()["case"] == case
    for st in (g.status(anon["id"], secret=anon["secret"]), g.status(plat["id"], key=key)):
        assert st.json()["status"] == "in_review" and "decision" not in st.json(), st.text
    assert feed_ok(g, key)["decisions"] == []
    note = "internal note " + uuid.uuid4().hex
    d = judge.decide(case, "actioned", "gambling", note=note)
    assert d.status_code == 200, d.text
    decided_at = d.json()["decided_at"]
    assert ISO_RE.match(decided_at)
    bodies = []
    for st in (g.status(anon["id"], secret=anon["secret"]), g.status(plat["id"], key=key)):
        assert st.status_code == 200, st.text
        body = st.json()
        assert body["status"] == "actioned", body
        assert body["category"] == "fraud", body          # what was reported stays
        assert body["decision"] == {"verdict": "actioned", "category": "gambling",
                                    "decided_at": decided_at}, body
        bodies.append(st.text)
    f = feed_ok(g, key)
    [e] = f["decisions"]
    assert (e["id"], e["case"], e["verdict"], e["category"], e["decided_at"],
            e["platform_ref"]) == (plat["id"], case, "actioned", "gambling", decided_at,
                                   "ticket-77"), e
    bodies.append(feed(g, key).text)
    for text in bodies:
        assert judge.name not in text, text
        assert note not in text, text
        assert "reviewer" not in text, text
    assert r.case(case)["status"] == "actioned"


def test_no_violation_is_shown_too(redis_factory, gateway, worker):
    r, g, _ = start_stack(redis_factory, gateway, worker)
    key = g.apikey()
    url = unique_url("nv-seen")
    anon = report(g, url, "rumor")
    plat = report(g, url, "rumor", key=key, platform_ref="nv-ref")
    wait_queued(r, {anon["case"]})
    judge = Reviewer(g)
    [(case, d)] = review_all(judge, {anon["case"]: ("no_violation", "rumor")})
    assert d["verdict"] == "no_violation"
    for st in (g.status(anon["id"], secret=anon["secret"]), g.status(plat["id"], key=key)):
        body = st.json()
        assert body["status"] == "no_violation", body
        assert body["decision"]["verdict"] == "no_violation", body
        assert body["decision"]["decided_at"] == d["decided_at"], body
        assert body["decision"]["category"] == "rumor", body
        assert judge.name not in st.text
    [e] = feed_ok(g, key)["decisions"]
    assert (e["id"], e["verdict"], e["platform_ref"]) == (plat["id"], "no_violation", "nv-ref")
    assert judge.name not in feed(g, key).text


def test_an_escalation_is_not_a_decision(redis_factory, gateway, worker):
    r, g, _ = start_stack(redis_factory, gateway, worker)
    key = g.apikey()
    plat = report(g, unique_url("esc-seen"), "fraud", key=key, platform_ref="esc")
    wait_queued(r, {plat["case"]})
    a, s = Reviewer(g), Reviewer(g, role="supervisor")
    assert a.claim().json()["case"] == plat["case"]
    assert a.decide(plat["case"], "escalate", note="not sure").status_code == 200
    st = g.status(plat["id"], key=key).json()
    assert st["status"] == "in_review" and "decision" not in st, st
    assert feed_ok(g, key)["decisions"] == []
    assert s.claim("escalated").json()["case"] == plat["case"]
    d = s.decide(plat["case"], "actioned", "fraud")
    assert d.status_code == 200, d.text
    st = g.status(plat["id"], key=key)
    assert st.json()["status"] == "actioned"
    assert st.json()["decision"]["decided_at"] == d.json()["decided_at"]
    [e] = feed_ok(g, key)["decisions"]
    assert (e["id"], e["verdict"]) == (plat["id"], "actioned")
    for who in (a.name, s.name):
        assert who not in st.text and who not in feed(g, key).text


def test_feed_pages_and_keeps_platforms_apart(redis_factory, gateway, worker):
    r, g, _ = start_stack(redis_factory, gateway, worker)
    p, q = g.apikey(), g.apikey()
    mine, theirs = [], []
    refs = {}
    for i in range(5):
        mine.append(report(g, unique_url("feed-p"), "fraud", key=p, platform_ref="p-%d" % i))
        refs[mine[-1]["id"]] = "p-%d" % i
    for i in range(2):
        theirs.append(report(g, unique_url("feed-q"), "fraud", key=q, platform_ref="q-%d" % i))
        refs[theirs[-1]["id"]] = "q-%d" % i
    url = unique_url("feed-shared")
    shared = [report(g, url, "fraud", key=p, platform_ref="p-shared"),
              report(g, url, "fraud", key=q, platform_ref="q-shared"),
              report(g, url, "fraud")]
    refs[shared[0]["id"]], refs[shared[1]["id"]] = "p-shared", "q-shared"
    anon_only = report(g, unique_url("feed-anon"), "fraud")
    cases = {x["case"] for x in mine + theirs + shared + [anon_only]}
    assert len(cases) == 9
    wait_queued(r, cases)
    plan = {c: ("actioned", "fraud") if n % 2 else ("no_violation", "fraud")
            for n, c in enumerate(sorted(cases))}
    done = review_all(Reviewer(g), plan)
    assert {c for c, _ in done} == cases
    order = [c for c, _ in done]

    full = feed_ok(g, p)
    got = full["decisions"]
    by_case = {x["case"]: x for x in mine + [shared[0]]}
    want = [by_case[c]["id"] for c in order if c in by_case]
    assert [e["id"] for e in got] == want               # oldest first, only P's reports
    for e in got:
        verdict, category = plan[e["case"]]
        assert (e["verdict"], e["category"]) == (verdict, category), e
        assert e["platform_ref"] == refs[e["id"]], e
        assert ISO_RE.match(e["decided_at"]), e
    assert len({e["cursor"] for e in got}) == len(got)
    assert feed_ok(g, p, after="0")["decisions"] == got
    assert feed_ok(g, p, limit=1000)["decisions"] == got

    # paging: limit, next, and nothing new at the end
    pages, after = [], None
    while True:
        params = {"limit": 2}
        if after is not None:
            params["after"] = after
        page = feed_ok(g, p, **params)
        assert len(page["decisions"]) <= 2
        if not page["decisions"]:
            assert page["next"] == after, page
            break
        pages.append(page["decisions"])
        after = page["next"]
    assert [len(x) for x in pages] == [2, 2, 2]
    assert [e for x in pages for e in x] == got
    # an entry's cursor reads on after that entry
    assert feed_ok(g, p, after=got[2]["cursor"])["decisions"] == got[3:]
    # nothing new: next is the after given
    end = feed_ok(g, p, after=full["next"])
    assert (end["decisions"], end["next"]) == ([], full["next"])

    # the other platform sees its own reports only
    other = feed_ok(g, q)["decisions"]
    by_case_q = {x["case"]: x for x in theirs + [shared[1]]}
    assert [e["id"] for e in other] == [by_case_q[c]["id"] for c in order if c in by_case_q]
    assert all(e["platform_ref"] == refs[e["id"]] for e in other), other
    assert not {e["id"] for e in other} & {e["id"] for e in got}
    assert shared[2]["id"] not in feed(g, p).text + feed(g, q).text
    assert anon_only["id"] not in feed(g, p).text + feed(g, q).text
    # a platform without decisions
    fresh = g.apikey()
    end = feed_ok(g, fresh, after="0")
    assert (end["decisions"], end["next"]) == ([], "0")
    assert feed_ok(g, fresh)["decisions"] == []


def test_feed_refuses_bad_requests(redis_factory, gateway, worker):
    r, g, _ = start_stack(redis_factory, gateway, worker)
    key = g.apikey()
    rep = report(g, unique_url("feed-bad"), "fraud", key=key)
    wait_queued(r, {rep["case"]})
    a = Reviewer(g)
    review_all(a, {rep["case"]: ("actioned", "fraud")})
    assert len(feed_ok(g, key)["decisions"]) == 1
    for bad in ("nonsense", "-1", "abc-def", "x" * 300, "0-0-0", " "):
        assert_error(feed(g, key, after=bad), 400, "invalid_cursor", "after")
    for bad in ("0", "1001", "-5", "ten"):
        assert_error(feed(g, key, limit=bad), 400, None, None)
    for k in (None, "", "not-a-key", a.token):
        x = feed(g, k)
        assert_error(x, 401, "unauthorized")
    revoked_name = "gone-" + uuid.uuid4().hex[:8]
    revoked = g.apikey(revoked_name)
    g.admin("apikey", "revoke", revoked_name)
    assert_error(feed(g, revoked), 401, "unauthorized")
    assert g.post(FEED, {}, key=key).status_code == 405


def test_metrics_count_decisions(redis_factory, gateway, worker):
    r, g, _ = start_stack(redis_factory, gateway, worker)

    def counts():
        m = g.metrics()
        return {v: m.get('jubao_review_decisions_total{verdict="%s"}' % v, 0)
                for v in ("actioned", "no_violation", "escalate")}
    assert counts() == {"actioned": 0, "no_violation": 0, "escalate": 0}
    reps = [report(g, unique_url("metrics"), "fraud") for _ in range(4)]
    wait_queued(r, {x["case"] for x in reps})
    a, b = Reviewer(g), Reviewer(g)
    plan = {reps[0]["case"]: ("actioned", "fraud"), reps[1]["case"]: ("actioned", "gambling"),
            reps[2]["case"]: ("no_violation", "fraud"), reps[3]["case"]: ("escalate", None)}
    for _ in range(4):
        c = a.claim().json()["case"]
        # a refused decision counts nothing
        assert_error(b.decide(c, "actioned", "fraud"), 409, "lease_not_held")
        verdict, category = plan[c]
        assert a.decide(c, verdict, category).status_code == 200
    assert counts() == {"actioned": 2, "no_violation": 1, "escalate": 1}


U64_MAX = "18446744073709551615"


def test_feed_refuses_cursors_past_stream_ids(gateway):
    """A part of a cursor past 2^64 - 1 is no stream id: 400 invalid_cursor, not a 503 from
    Redis (and no log line about the store)."""
    g = gateway()
    key = g.apikey()
    before = g.log_text()
    for bad in ("18446744073709551616-0", "0-18446744073709551616", "99999999999999999999-1",
                U64_MAX + "0-0", "1-" + "9" * 21, "007-1", "+1-1", "1-+1", "1-", "-"):
        assert_error(feed(g, key, after=bad), 400, "invalid_cursor", "after")
    assert g.log_text() == before


def test_feed_reads_on_from_any_stream_id_and_echoes_it_whole(redis_factory, gateway, worker):
    """Every stream id up to the largest is a cursor; with nothing after it, next is that
    cursor, all 41 characters of it."""
    r, g, _ = start_stack(redis_factory, gateway, worker)
    key = g.apikey()
    rep = report(g, unique_url("feed-edge"), "fraud", key=key)
    wait_queued(r, {rep["case"]})
    review_all(Reviewer(g), {rep["case"]: ("actioned", "fraud")})
    [e] = feed_ok(g, key)["decisions"]
    assert e["id"] == rep["id"]
    ms, seq = e["cursor"].split("-")
    for after in ("0-0", "1-" + U64_MAX, "%d-%s" % (int(ms) - 1, U64_MAX)):
        assert [x["id"] for x in feed_ok(g, key, after=after)["decisions"]] == [rep["id"]]
    for after in ("18446744073709551614-" + U64_MAX, U64_MAX + "-" + U64_MAX, U64_MAX + "-0",
                  e["cursor"], "%s-%d" % (ms, int(seq) + 1)):
        page = feed_ok(g, key, after=after)
        assert (page["decisions"], page["next"]) == ([], after), page
