"""Privacy: no contact detail, receipt secret or client address is kept in clear text, in
Redis or in the log; the sealed copy opens with the operator's key and holds them. Phone
numbers and e-mail addresses inside a title or description reach Redis only redacted, in the
reviewers' copy; names there are the report's content (a defamation report names its victim)
and are kept in that copy, as API.md's list of redacted data says."""

import json
import re
import uuid

from jubao_testlib import Reviewer, start_stack, unique_url, wait_queued

CLIENT_IP = "127.0.0.77"      # the reporter's address: a loopback alias, not the listen address
EMAIL = "zhang.wei.%s@example.cn" % uuid.uuid4().hex[:6]
PHONE = "13812345678"
NAME_ZH = "张伟"
NAME_EN = "Zhang Wei"
WECHAT = "wxid_" + uuid.uuid4().hex[:10]
CONTACT_NAME = "Reporter-%s" % uuid.uuid4().hex[:8]   # appears only in contact fields


def test_nothing_personal_in_redis_or_log(gateway, redis_factory):
    r = redis_factory()
    g = gateway(redis=r, config="log_level = debug\n")
    key = g.apikey()
    reports = [
        ({"url": unique_url("priv"), "category": "fraud",
          "contact": "%s %s %s %s" % (CONTACT_NAME, PHONE, EMAIL, WECHAT),
          "title": "%s 的电话 %s" % (NAME_ZH, PHONE),
          "description": "联系人 %s，手机 %s，邮箱 %s。%s called me." % (
              NAME_ZH, PHONE, EMAIL, NAME_EN)}, None, {}),
        ({"url": unique_url("priv"), "category": "privacy_violation",
          "contact": "%s %s" % (CONTACT_NAME, EMAIL),
          "description": "+86 %s / %s" % (PHONE, NAME_EN)}, key,
         {"Idempotency-Key": "priv-" + uuid.uuid4().hex}),
        ({"url": unique_url("priv"), "category": "rumor",
          "contact": "tel:%s %s" % (PHONE, CONTACT_NAME), "title": NAME_EN}, None, {"Idempotency-Key": "priv-anon-" + uuid.uuid4().hex}),
    ]
    receipts = []
    for body, k, h in reports:
        headers = dict(h)
        if k:
            headers["Authorization"] = "Bearer " + k
        status, _, text = g.post_from(CLIENT_IP, "/api/v1/reports", body, headers)
        assert status == 202, text
        rec = json.loads(text)
        receipts.append(rec)
        if h:   # replay once, so that the idempotency record is read back too
            status, _, text = g.post_from(CLIENT_IP, "/api/v1/reports", body, headers)
            assert (status, json.loads(text)["secret"]) == (202, rec["secret"])
    # a batch and a status lookup from the same client
    status, _, text = g.post_from(CLIENT_IP, "/api/v1/reports/batch", {"reports": [
        {"url": unique_url("priv"), "category": "fraud", "contact": PHONE}]},
        {"Authorization": "Bearer " + key})
    assert status == 200, text
    # read with a pattern, not a JSON parser: the batch answer is tested in test_batch.py
    m = re.search(r'"id":"(R-[0-9A-Z-]{14})".*"secret":"([0-9a-z]{26})"', text)
    assert m, text
    receipts.append({"id": m.group(1), "secret": m.group(2)})
    for rec in receipts:
        assert g.status(rec["id"], secret=rec["secret"]).status_code == 200

    # the reviewers' copy of the first report: the content, with phone and e-mail redacted
    first = r.report(receipts[0]["id"])
    desc = first["description_redacted"]
    assert "[PHONE]" in desc and "[EMAIL]" in desc and NAME_ZH in desc, desc
    assert first["title_redacted"] == "%s 的电话 [PHONE]" % NAME_ZH, first

    needles = [EMAIL, PHONE, CONTACT_NAME, WECHAT, CLIENT_IP, "127.0.0.1", key]
    needles += [rec["secret"] for rec in receipts]
    dump = r.dump_everything()
    assert len(dump) > 10, dump
    found = []
    for k, t, vals in dump:
        for blob in [k] + vals:
            for n in needles:
                if n.encode() in blob:
                    found.append((k.decode(errors="replace"), t, n))
    assert found == []

    # the log, at debug level, after a clean stop
    rc = g.stop()
    assert rc == 0
    log = g.log_text()
    assert log.strip(), "empty log"
    in_log = [n for n in needles if n in log and n != "127.0.0.1"]
    assert in_log == [], in_log
    # 127.0.0.1 only as the gateway's own listen (public and metrics) and Redis addresses
    own = ["127.0.0.1:%d" % g.port, "127.0.0.1:%d" % g.metrics_port,
           "connected to 127.0.0.1"] + r.addr.split(",")     # a cluster's: every node
    stripped = log
    for o in own:
        stripped = stripped.replace(o, "")
    assert "127.0.0.1" not in stripped, [l for l in stripped.splitlines() if "127.0.0.1" in l]

    # privacy by sealing, not by loss
    c = r.client()
    for rec, (body, _, _) in zip(receipts, reports):
        sealed = c.hget(r.report_key(rec["id"]), "sealed")
        assert sealed, rec
        opened = json.loads(g.admin("unseal", stdin=sealed + "\n").stdout)
        assert opened["report"] == rec["id"]
        assert opened["contact"] == body["contact"]
        for f in ("title", "description"):
            assert opened.get(f) == body.get(f), (f, opened)


def test_userinfo_of_a_reported_url_is_never_stored(redis_factory, gateway, worker):
    # "user:password@" may carry credentials: the canonical form drops it, and so must the
    # copy of the URL as typed, whichever door the report came in by
    from test_web import Browser, receipt
    r, g, _ = start_stack(redis_factory, gateway, worker)
    user, password = "u-" + uuid.uuid4().hex[:10], "pw-" + uuid.uuid4().hex[:12]
    urls = ["https://%s:%s@example.com/ui/%s?x=1#top" % (user, password, uuid.uuid4().hex)
            for _ in range(3)]
    api = g.report({"url": urls[0], "category": "fraud"})
    assert api.status_code == 202, api.text
    batch = g.post("/api/v1/reports/batch", {"reports": [{"url": urls[1], "category": "fraud"}]},
                   key=g.apikey())
    assert batch.status_code == 200 and batch.json()["results"][0]["status"] == 202, batch.text
    web_id, _ = receipt(Browser(g).post({"url": urls[2], "category": "fraud"}))
    ids = [api.json()["id"], batch.json()["results"][0]["id"], web_id]
    for rid, url in zip(ids, urls):
        assert r.report(rid)["url"] == url.replace("%s:%s@" % (user, password), ""), r.report(rid)
    cases = {r.report(rid)["case"] for rid in ids}
    wait_queued(r, cases)
    rev = Reviewer(g)
    seen = [rev.claim().text for _ in cases]
    for text in seen:
        assert '"case"' in text and user not in text and password not in text, text
    found = [(k, t) for k, t, vals in r.dump_everything() for blob in [k] + vals
             if user.encode() in blob or password.encode() in blob]
    assert found == []
