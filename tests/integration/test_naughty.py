"""The Big List of Naughty Strings in every text field and in a URL path: each report is
taken or refused with a 4xx error body, never a 5xx, and the gateway stays clean."""

import json
import urllib.parse
import uuid

from jubao_testlib import DATA_DIR, assert_error

STRINGS = json.loads((DATA_DIR / "naughty-strings" / "blns.json").read_text("utf-8"))
FIELD_CODES = {"control_characters", "too_long"}


def has_c0(s, multiline):
    return any((ord(c) < 0x20 and not (multiline and c in "\t\r\n")) or c == "\x7f" for c in s)


def test_corpus_is_present():
    assert len(STRINGS) > 400, len(STRINGS)


def test_naughty_text_fields(gw):
    problems = []
    for s in STRINGS:
        body = {"url": "https://example.com/naughty/" + uuid.uuid4().hex, "category": "other",
                "title": s[:300], "description": s, "contact": s[:64],
                "platform_ref": s[:32]}
        r = gw.report(body)
        if has_c0(s, multiline=False) or "\x00" in s:
            # title and contact do not take control characters (or NUL, in any field)
            if r.status_code != 400:
                problems.append((s, r.status_code, r.text[:200]))
            continue
        if r.status_code != 202:
            problems.append((s, r.status_code, r.text[:200]))
            continue
        rec = r.json()
        st = gw.status(rec["id"], secret=rec["secret"])
        if st.status_code != 200:
            problems.append((s, "status", st.status_code))
    assert problems == []


def test_naughty_url_paths(gw):
    problems = []
    for s in STRINGS:
        url = "https://example.com/n/%s/%s" % (uuid.uuid4().hex[:8], urllib.parse.quote(s))
        r1 = gw.report({"url": url, "category": "other"})
        if r1.status_code >= 500 or r1.status_code not in (202, 400, 422):
            problems.append((s, r1.status_code, r1.text[:200]))
            continue
        if r1.status_code != 202:
            assert_error(r1, r1.status_code, None, None)
            continue
        # the same spelling again joins the same case
        r2 = gw.report({"url": url, "category": "other"})
        if (r2.status_code, r2.json().get("case"), r2.json().get("duplicate")) != (
                202, r1.json()["case"], True):
            problems.append((s, "again", r2.status_code, r2.text[:200]))
    assert problems == []


def test_naughty_idempotency_keys_and_secrets(gw):
    run = uuid.uuid4().hex[:8].encode()
    for i, s in enumerate(STRINGS):
        raw = s.encode("utf-8")
        if not raw or raw.strip() != raw or b"\r" in raw or b"\n" in raw or b"\x00" in raw:
            continue   # not sendable as one header value
        raw = b"%s-%d-%s" % (run, i, raw)  # the list repeats some strings: keys must differ
        printable = all(0x20 <= b <= 0x7e for b in raw) and len(raw) <= 128
        r = gw.report({"url": "https://example.com/k/" + uuid.uuid4().hex,
                       "category": "other"}, headers={"Idempotency-Key": raw})
        if printable:
            assert r.status_code == 202, (s, r.text)
        else:
            assert_error(r, 400, "invalid_idempotency_key", "Idempotency-Key")
        st = gw.status("R-0000-0000-0000", secret=raw)
        assert_error(st, 404, "not_found")
