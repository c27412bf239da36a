"""jubao-worker: consumers move new cases from the intake stream into the review queues (once
each, whatever dies meanwhile), the reaper takes over what a dead consumer left and sends what
cannot be processed to the dead-letter stream, cases get their priority band, and SIGTERM ends
the whole family with exit status 0."""

import os
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import redis as redislib
import requests

from jubao_testlib import (JSON, WORKER_BIN, Reviewer, deadletters,
                           intake_pending, metric_sum, pid_gone, queued_cases, start_stack,
                           unique_url, wait_queued, wait_until)

BATCH = "/api/v1/reports/batch"


def post_batch(g, key, tag, http=None, n=100):
    """Posts one batch of n reports about n new URLs with a platform key; returns the
    per-report results."""
    reports = [{"url": unique_url(tag), "category": "other", "description": "item %d" % i}
               for i in range(n)]
    h = dict(JSON, Authorization="Bearer " + key)
    x = (http or requests).post(g.url + BATCH, json={"reports": reports}, headers=h,
                                timeout=60)
    assert x.status_code == 200, x.text
    return x.json()["results"]


def post_batches(g, key, n, tag, threads=2):
    """Posts n batches of 100 from `threads` threads at once, each on its own HTTP session."""
    def run(k):
        with requests.Session() as http:
            return [res for _ in range(k) for res in post_batch(g, key, tag, http)]
    shares = [n // threads + (1 if i < n % threads else 0) for i in range(threads)]
    with ThreadPoolExecutor(threads) as ex:
        return [res for part in ex.map(run, shares) for res in part]


def holding(r, w, pids):
    """{pid: intake entries it has read and not acknowledged} for the consumers pids."""
    roles = w.roles()
    held = {}
    for s in r.intake_streams():
        if r.client().exists(s):
            for c in r.client().xpending(s, "workers")["consumers"]:
                # a consumer's name in the group ends with its role: <host>/<pid>/consumer-1
                role = c["name"].rsplit("/", 1)[-1]
                held[role] = held.get(role, 0) + c["pending"]
    return {p: held.get(roles.get(p), 0) for p in pids}


def post_while_consumers_stopped(r, w, g, key, tag):
    """Stops every consumer (SIGSTOP), posts a batch, and waits until a stopped consumer
    holds some of it: a consumer blocked in XREADGROUP is handed new entries by Redis even while
    stopped. A consumer whose blocking read timed out meanwhile gets nothing; then they are
    continued and it is tried again with 20 more reports. Returns (results, pids stopped,
    {pid: entries held}); the caller continues them."""
    results = []
    attempts = 12   # on 16 shards a consumer blocks on one shard's stream at a time
    for attempt in range(attempts):
        pids = w.consumer_pids()
        assert pids, w.child_descriptions()
        for p in pids:
            os.kill(p, signal.SIGSTOP)
        try:
            results += post_batch(g, key, tag, n=100 if attempt == 0 else 20)
            try:
                wait_until(lambda: any(holding(r, w, pids).values()), 2,
                           what="a stopped consumer to hold entries")
            except AssertionError:
                if attempt < attempts - 1:
                    for p in pids:
                        os.kill(p, signal.SIGCONT)
                    time.sleep(0.05)
                    continue
            return results, pids, holding(r, w, pids)
        except BaseException:
            for p in pids:
                os.kill(p, signal.SIGCONT)
            raise


def kill_a_consumer_in_hand(r, w, g, key, tag):
    """Posts a batch while the consumers are stopped, SIGKILLs one that holds entries of it
    (else any), continues the others. Returns (results, pid killed, entries it held)."""
    results, pids, held = post_while_consumers_stopped(r, w, g, key, tag)
    victim = max(pids, key=lambda p: held[p])
    os.kill(victim, signal.SIGKILL)
    for p in pids:
        if p != victim:
            os.kill(p, signal.SIGCONT)
    return results, victim, held[victim]


def check_every_case_queued_once(r, results):
    # 1,000, and a few more when a consumer had to be caught holding entries more than once
    assert 1000 <= len(results) <= 1100, len(results)
    assert all(x["status"] == 202 and x["duplicate"] is False for x in results), [
        x for x in results if x["status"] != 202 or x["duplicate"]][:3]
    cases = {x["case"] for x in results}
    assert len(cases) == len(results)
    wait_queued(r, cases, timeout=60)
    wait_until(lambda: intake_pending(r) == 0, 30, interval=0.1, what="XPENDING intake 0")
    q = queued_cases(r)
    twice = {c: s for c, s in q.items() if len(s) != 1}
    assert not twice, "cases queued more than once: %r" % list(twice.items())[:5]
    assert set(q) == cases, "queued but never reported: %r" % list(set(q) - cases)[:5]
    assert deadletters(r) == []
    # the case hash agrees with the stream the case sits in
    c = r.client()
    pipe = c.pipeline(transaction=False)
    for case in sorted(cases):
        pipe.hmget(r.case_key(case), "queue", "band")
    for case, (queue, band) in zip(sorted(cases), pipe.execute()):
        assert q[case] == [r.prefix_of(case) + "review:%s:%s" % (queue, band)], (
            case, queue, band, q[case])
    assert intake_pending(r) == 0


def test_consumer_killed_while_reports_arrive_loses_nothing(redis_factory, gateway, worker):
    r, g, w = start_stack(redis_factory, gateway, worker, config="worker_idle_ms = 500\n")
    key = g.apikey()
    results = post_batches(g, key, 3, "kill-consumer")
    killed = []
    for more in (3, 2):
        before = set(w.children())
        got, victim, held = kill_a_consumer_in_hand(r, w, g, key, "kill-consumer")
        results += got
        killed.append((victim, held))
        # the supervisor starts another in its place
        wait_until(lambda: victim not in w.children() and len(w.children()) == len(before),
                   15, what="the supervisor to restart the consumer it lost")
        results += post_batches(g, key, more, "kill-consumer")
    assert any(held for _, held in killed), \
        "no consumer was killed with entries in hand: %r" % killed
    check_every_case_queued_once(r, results)
    assert w.alive()
    assert all(pid_gone(p) for p, _ in killed)


def test_supervisor_killed_and_started_again_loses_nothing(redis_factory, gateway, worker):
    r, g, w = start_stack(redis_factory, gateway, worker, config="worker_idle_ms = 500\n")
    key = g.apikey()
    results = post_batches(g, key, 4, "kill-supervisor")
    got, stopped, held = post_while_consumers_stopped(r, w, g, key, "kill-supervisor")
    results += got
    assert any(held.values()), "no stopped consumer holds entries: %r" % held
    children = w.children()
    assert w.kill() == -signal.SIGKILL
    for p in stopped:
        os.kill(p, signal.SIGCONT)
    # the children die with the supervisor
    wait_until(lambda: all(pid_gone(p) for p in children), 10,
               what="the children of a killed supervisor to exit")
    results += post_batches(g, key, 2, "kill-supervisor")      # nobody works meanwhile
    w2 = worker(g)
    results += post_batches(g, key, 3, "kill-supervisor")
    check_every_case_queued_once(r, results)
    assert w2.alive()


def test_report_whose_case_is_gone_goes_to_dead_letter(redis_factory, gateway, worker):
    r, g, _ = start_stack(redis_factory, gateway, worker, config="worker_idle_ms = 200\n",
                          with_worker=False)
    before = g.report({"url": unique_url("dl-before"), "category": "fraud"}).json()
    doomed = g.report({"url": unique_url("dl-gone"), "category": "fraud"}).json()
    after = g.report({"url": unique_url("dl-after"), "category": "fraud"}).json()
    [(entry, _)] = r.intake_entries_for_case(doomed["case"])
    assert r.client().delete(r.case_key(doomed["case"])) == 1
    assert metric_sum(g.metrics(), "jubao_dead_letters_total") == 0
    worker(g)
    wait_until(lambda: [d for d in deadletters(r) if d.get("case") == doomed["case"]], 15,
               what="a dead letter for the deleted case")
    [dl] = deadletters(r)
    assert dl["case"] == doomed["case"] and dl["report"] == doomed["id"], dl
    assert dl["entry"] == entry, dl
    assert dl["reason"].strip(), dl
    assert dl["deliveries"].isdigit() and int(dl["deliveries"]) >= 1, dl
    assert dl["at"].strip(), dl
    # the others go on as usual; the broken one is acknowledged, not queued
    wait_queued(r, {before["case"], after["case"]})
    assert doomed["case"] not in queued_cases(r)
    wait_until(lambda: intake_pending(r) == 0, 15, what="XPENDING intake 0")
    wait_until(lambda: metric_sum(g.metrics(), "jubao_dead_letters_total") == 1, 10,
               what="jubao_dead_letters_total 1")
    assert "jubao_dead_letters_total" in g.metrics_get().text


def test_entry_delivered_too_often_goes_to_dead_letter(redis_factory, gateway, worker):
    r, g, _ = start_stack(redis_factory, gateway, worker,
                          config="worker_idle_ms = 200\nworker_max_deliveries = 2\n",
                          with_worker=False)
    rep = g.report({"url": unique_url("dl-poison"), "category": "gambling"}).json()
    [(entry, _)] = r.intake_entries_for_case(rep["case"])
    c = r.client()
    intake = r.intake_of(rep["case"])
    try:
        c.xgroup_create(intake, "workers", id="0", mkstream=True)
    except redislib.exceptions.ResponseError as e:
        assert "BUSYGROUP" in str(e)
    # a consumer that takes the entry and never comes back, delivered again and again
    got = c.xreadgroup("workers", "ghost", {intake: ">"}, count=100)
    assert [eid for eid, _ in got[0][1]] == [entry], got
    for _ in range(3):
        assert c.xclaim(intake, "workers", "ghost", 0, [entry])
    [p] = c.xpending_range(intake, "workers", "-", "+", 10)
    assert p["times_delivered"] == 4, p
    worker(g)
    wait_until(lambda: deadletters(r), 15, what="a dead letter for the poison entry")
    [dl] = deadletters(r)
    assert dl["entry"] == entry and dl["case"] == rep["case"], dl
    assert dl["report"] == rep["id"], dl
    assert dl["reason"].strip(), dl
    assert int(dl["deliveries"]) > 2, dl
    wait_until(lambda: intake_pending(r) == 0, 15, what="XPENDING intake 0")
    assert rep["case"] not in queued_cases(r)
    wait_until(lambda: metric_sum(g.metrics(), "jubao_dead_letters_total") == 1, 10,
               what="jubao_dead_letters_total 1")
    # a supervisor sees it too
    assert sum(c.xlen(s) for s in r.deadletter_streams()) == 1


def test_priority_bands(redis_factory, gateway, worker):
    r, g, _ = start_stack(redis_factory, gateway, worker)
    key = g.apikey()
    cases = {}
    for name, category, description, band in [
            ("minors", "minors", "a page about a school trip", 3),
            ("violence", "violence_terrorism", "a page about a school trip", 3),
            ("suggested-minors", "other", "出售萝莉福利视频合集，网盘发货，私聊", 3),
            ("high", "fraud", "招聘兼职刷单，一单一结，日结返利300元", 2),
            ("low-hit", "defamation", "大家看清这个贱人的嘴脸，转发扩散", 1),
            ("plain", "other", "nothing special about this page", 0)]:
        x = g.report({"url": unique_url("band-" + name), "category": category,
                      "description": description}, key=key)
        assert x.status_code == 202, x.text
        cases[x.json()["case"]] = (name, band)
    worker(g)
    wait_queued(r, cases)
    q = queued_cases(r)
    got = {name: q[c] for c, (name, _) in cases.items()}
    want = {name: [r.prefix_of(c) + "review:default:%d" % band] for c, (name, band) in cases.items()}
    assert got == want
    for c, (name, band) in cases.items():
        h = r.case(c)
        assert (h["queue"], h["band"]) == ("default", str(band)), (name, h)
        assert h["status"] == "received", (name, h)
    plain = [c for c, (name, _) in cases.items() if name == "plain"][0]
    assert r.case(plain).get("rule_hits", "") == ""


def test_sigterm_ends_the_worker_and_its_children(redis_factory, gateway, worker):
    r, g, w = start_stack(redis_factory, gateway, worker, config="worker_consumers = 3\n")
    children = w.children()
    assert len(children) == 5, w.child_descriptions()  # 3 consumers, the reaper, the trainer
    x = g.report({"url": unique_url("term"), "category": "rumor"}).json()
    wait_queued(r, {x["case"]})
    assert w.stop(signal.SIGTERM, timeout=15) == 0, w.log_text()[-3000:]
    wait_until(lambda: all(pid_gone(p) for p in children), 10, what="the children to exit")


def test_sigint_ends_the_worker_too(redis_factory, gateway, worker):
    r, g, w = start_stack(redis_factory, gateway, worker)
    children = w.children()
    assert w.stop(signal.SIGINT, timeout=15) == 0, w.log_text()[-3000:]
    wait_until(lambda: all(pid_gone(p) for p in children), 10, what="the children to exit")


def test_configuration_check(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUBAO_")}

    def check(text):
        conf = tmp_path / "w.conf"
        conf.write_text(text)
        return subprocess.run([str(WORKER_BIN), "-c", str(conf), "-n"], env=env,
                              capture_output=True, text=True, timeout=15)
    ok = check("worker_consumers = 4\nworker_idle_ms = 100\nworker_max_deliveries = 3\n"
               "review_lease = 1\nno_violation_window = 7\n")
    assert ok.returncode == 0, ok.stderr
    for bad in ("worker_idle_ms = 99\n", "review_lease = 0\n", "worker_consumers = x\n",
                "no_such_option = 1\n"):
        p = check(bad)
        assert p.returncode != 0, (bad, p.stdout, p.stderr)
        assert p.stderr.strip(), bad


def test_reaper_trims_the_intake_stream_below_what_is_acknowledged(redis_factory, gateway,
                                                                     worker):
    r, g, _ = start_stack(redis_factory, gateway, worker)
    key = g.apikey()
    results = post_batch(g, key, "trim")
    wait_queued(r, {x["case"] for x in results})
    # every entry is acknowledged: all but the last delivered one go (XTRIM MINID keeps it)
    c = r.client()
    wait_until(lambda: all(c.xlen(s) <= 1 for s in r.intake_streams()), 10,
               what="the intake streams to be trimmed")
    # a second consumer group that has read nothing yet: what it has not read stays
    for s in r.intake_streams():
        c.xgroup_create(s, "mirror", id="$", mkstream=True)
    more = post_batch(g, key, "trim-kept", n=3)
    wait_queued(r, {x["case"] for x in more})
    time.sleep(1.5)    # the reaper trims about every second
    kept = {f["case"] for s in r.intake_streams() for _, f in c.xrange(s)}
    assert {x["case"] for x in more} <= kept, kept


def test_a_queued_case_moves_up_when_later_reports_raise_its_band(redis_factory, gateway,
                                                                  worker):
    """Priority counts reports and reporters: a case first queued in band 0 rises to band 1
    with its third report, and to band 3 when a report's text suggests harm to minors; it
    stays in the queue exactly once."""
    r, g, _ = start_stack(redis_factory, gateway, worker)
    url = unique_url("reweigh")
    first = g.report({"url": url, "category": "other"}).json()
    case = first["case"]
    wait_queued(r, {case})
    assert queued_cases(r)[case] == [r.prefix_of(case) + "review:default:0"]
    keys = [g.apikey() for _ in range(2)]
    for k in keys:      # a second and third reporter: three reports
        assert g.report({"url": url, "category": "other"}, key=k).json()["case"] == case
    wait_until(lambda: queued_cases(r).get(case) == [r.prefix_of(case) + "review:default:1"], 15,
               what="the case to move to band 1")
    g.report({"url": url, "category": "other", "description": "出售萝莉福利视频合集，网盘发货，私聊"})
    wait_until(lambda: queued_cases(r).get(case) == [r.prefix_of(case) + "review:default:3"], 15,
               what="the case to move to band 3")
    assert "minors" in r.case(case)["suggested"]
    wait_until(lambda: intake_pending(r) == 0, 10, what="XPENDING intake 0")
    assert deadletters(r) == []


def test_a_case_a_reviewer_has_seen_stays_where_it_is(redis_factory, gateway, worker):
    r, g, _ = start_stack(redis_factory, gateway, worker)
    url = unique_url("reweigh-seen")
    case = g.report({"url": url, "category": "other"}).json()["case"]
    wait_queued(r, {case})
    a = Reviewer(g)
    got = a.claim()
    assert got.status_code == 200 and got.json()["case"] == case
    assert a.release(case).status_code == 204
    g.report({"url": url, "category": "other", "description": "出售萝莉福利视频合集，网盘发货，私聊"})
    wait_until(lambda: "minors" in r.case(case).get("suggested", ""), 15,
               what="the new suggestion on the case")
    # released, not moved: the next claim gets it from where it was
    assert queued_cases(r)[case] == [r.prefix_of(case) + "review:default:0"]
    assert a.claim().json()["case"] == case
