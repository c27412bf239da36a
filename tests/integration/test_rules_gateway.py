"""The rule engine at intake: rule results are stored with the case, reviewers' copies are
redacted, SIGHUP reloads the rules (a broken file changes nothing), and a catastrophic regex
costs a request nothing but its budget."""

import pathlib
import signal
import threading
import time

from jubao_testlib import REPO, unique_url, wait_until

PACKS = REPO / "rules" / "packs"

RULE = """rule test.{name}
category:    {category}
severity:    high
pattern:     {pattern}
action:      suggest
description: test rule
match:       {match}
nomatch:     ordinary text
"""


def rule(name, category, pattern, match):
    return RULE.format(name=name, category=category, pattern=pattern, match=match)


def case_of(g, r, report_id):
    rep = r.report(report_id)
    return rep, r.case(rep["case"])


def test_rule_results_stored_with_case_and_merged(gateway, redis):
    g = gateway(env={"JUBAO_RULES": str(PACKS)})
    url = unique_url("rules")
    a = g.report({"url": url, "category": "other",
                  "description": "招聘兼职刷单，一单一结，日结返利300元，联系13812345678"})
    assert a.status_code == 202, a.text
    rep, case = case_of(g, redis, a.json()["id"])
    # the regex rule comes first (severity high); the fraud lexicon rules add their hits after it
    assert rep["rule_hits"].split(",")[0] == "fraud.task_rebate", rep
    assert rep["suggested"] == "fraud", rep
    assert case["suggested"] == "fraud" and case["severity"] == "3", case
    assert rep["description_redacted"] == "招聘兼职刷单，一单一结，日结返利300元，联系[PHONE]"
    # a second report about the same target with another rule's words: the case keeps both
    b = g.report({"url": url, "category": "other",
                  "description": "自称公安局民警，说我涉嫌洗钱，要求把钱转到安全账户配合调查"})
    assert b.status_code == 202 and b.json()["duplicate"] is True, b.text
    _, case = case_of(g, redis, b.json()["id"])
    assert case["rule_hits"].split(",")[0] == "fraud.task_rebate", case
    assert "fraud.safe_account" in case["rule_hits"].split(","), case
    assert case["severity"] == "4", case            # the higher one wins
    # ordinary news fires nothing
    c = g.report({"url": unique_url("rules"), "category": "rumor",
                  "description": "警方提醒：谨防刷单返利类诈骗，公安机关不存在安全账户"})
    rep, _ = case_of(g, redis, c.json()["id"])
    assert (rep["rule_hits"], rep["suggested"]) == ("", ""), rep
    m = g.metrics()
    assert m['jubao_rule_hits_total{rule="fraud.task_rebate"}'] >= 1, m
    assert m["jubao_rules_loaded"] > 100, m


def test_reload_under_load_and_broken_file(gateway, redis, tmp_path):
    d = tmp_path / "rules"
    d.mkdir()
    (d / "a.rules").write_text(rule("alpha", "gambling", "alpha-word", "an alpha-word here"))
    g = gateway(env={"JUBAO_RULES": str(d)})

    def hits(text):
        r = g.report({"url": unique_url("reload"), "category": "other", "description": text})
        assert r.status_code == 202, r.text
        return case_of(g, redis, r.json()["id"])[0]["rule_hits"]

    assert hits("an alpha-word here") == "test.alpha"
    assert hits("a beta-word here") == ""

    # post continuously while the rules are swapped several times: nothing may fail
    failures, done, count = [], threading.Event(), [0]

    def post():
        while not done.is_set():
            r = g.report({"url": unique_url("reload"), "category": "other",
                          "description": "alpha-word beta-word"})
            count[0] += 1
            if r.status_code != 202:
                failures.append((r.status_code, r.text))
    threads = [threading.Thread(target=post) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        for i in range(5):
            word = "beta-word" if i % 2 == 0 else "alpha-word"
            (d / "a.rules").write_text(rule("swap%d" % i, "gambling", word, "a %s here" % word))
            g.send_signal(signal.SIGHUP)
            time.sleep(0.3)
    finally:
        done.set()
        for t in threads:
            t.join(10)
    assert failures == [] and count[0] > 20, (failures[:3], count[0])
    wait_until(lambda: hits("a beta-word here") == "test.swap4", 5, what="last reload in force")

    # a broken file: logged with file:line, and the rules in force stay
    (d / "a.rules").write_text(rule("broken", "gambling", "(unclosed", "x"))
    g.send_signal(signal.SIGHUP)
    wait_until(lambda: "a.rules:4:" in g.log_text(), 5, what="file:line of the broken rule")
    assert "previous rules stay in force" in g.log_text()
    assert hits("a beta-word here") == "test.swap4"
    assert g.alive()


def test_gateway_refuses_to_start_with_broken_rules(gateway, tmp_path):
    d = tmp_path / "rules"
    d.mkdir()
    (d / "bad.rules").write_text(rule("bad", "gambling", "a{2,1}", "aa"))
    try:
        gateway(env={"JUBAO_RULES": str(d)})
    except Exception:
        pass
    else:
        raise AssertionError("a gateway started with a broken rule file")
    logs = list(tmp_path.parent.glob("**/gateway.log"))
    assert any("bad.rules:4:" in p.read_text() for p in logs), logs


def test_catastrophic_regex_is_bounded(gateway, redis, tmp_path):
    d = tmp_path / "rules"
    d.mkdir()
    (d / "redos.rules").write_text(rule("redos", "other", "(a+)+$", "aaaa"))
    g = gateway(env={"JUBAO_RULES": str(d)})
    t0 = time.monotonic()
    r = g.report({"url": unique_url("redos"), "category": "other",
                  "description": "a" * 30 + "!"})
    elapsed = time.monotonic() - t0
    assert r.status_code == 202, r.text
    assert elapsed < 2.0, elapsed     # 2^30 steps unbounded; the match limit stops it early
    m = g.metrics()
    assert m['jubao_rule_limit_total{rule="test.redos"}'] == 1, m
    assert "test.redos" in g.log_text()
