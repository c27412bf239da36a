"""Reviewers and their sessions: jubao-admin adds reviewers with Argon2id password hashes,
POST /api/v1/session gives a token stored only as a keyed hash, failed logins are limited."""

import re
import uuid

from jubao_testlib import ISO_RE, assert_error

PASSWORD = "correct horse battery staple"


def add(g, name, password=PASSWORD, role=None, check=True):
    args = ["reviewer", "add", name] + (["--role", role] if role else [])
    return g.admin(*args, stdin=password + "\n", check=check)


def login(g, user, password=PASSWORD):
    return g.post("/api/v1/session", {"user": user, "password": password})


def test_login_gives_a_token_stored_only_as_a_hash(gw, redis):
    g = gw
    name = "alice-" + uuid.uuid4().hex[:6]
    assert add(g, name, role="supervisor").stdout.strip() == "added supervisor " + name
    r = login(g, name)
    assert r.status_code == 200, r.text
    body = r.json()
    assert re.fullmatch(r"[0-9a-hjkmnp-tv-z]{43}", body["token"]), body
    assert ISO_RE.match(body["expires_at"]), body
    assert r.headers["Cache-Control"] == "no-store"
    c = redis.client()
    # the reviewer's record and sessions are in the reviewer's slot (lib/global.h)
    [rkey] = [k for k in c.scan_iter("jb:*:reviewer:" + name)]
    rev = c.hgetall(rkey)
    assert rev["pwhash"].startswith("$argon2id$") and rev["role"] == "supervisor", rev
    assert PASSWORD not in str(rev)
    # the token itself is nowhere in Redis; its session expires by itself
    sessions = [k for k in c.scan_iter("jb:*:session:*")]
    assert sessions and all(body["token"] not in k for k in sessions), sessions
    found = [k for k in c.scan_iter("*") if c.type(k) == "hash"
             and body["token"] in str(c.hgetall(k))]
    assert found == []
    assert all(0 < c.ttl(k) <= 8 * 3600 for k in sessions), [c.ttl(k) for k in sessions]


def test_wrong_password_unknown_user_and_disabled_look_the_same(gw):
    g = gw
    name = "bob-" + uuid.uuid4().hex[:6]
    add(g, name)
    wrong = login(g, name, "not the password")
    unknown = login(g, "nobody-" + uuid.uuid4().hex[:6])
    impossible = login(g, "no such/name")
    for r in (wrong, unknown, impossible):
        assert_error(r, 401, "invalid_credentials")
    assert wrong.json() == unknown.json() == impossible.json()
    assert login(g, name).status_code == 200
    assert g.admin("reviewer", "disable", name).stdout.strip() == "disabled reviewer " + name
    assert_error(login(g, name), 401, "invalid_credentials")


def test_failed_logins_are_limited(gw):
    g = gw
    name = "carol-" + uuid.uuid4().hex[:6]
    add(g, name)
    for _ in range(10):
        assert_error(login(g, name, "guess guess guess"), 401, "invalid_credentials")
    r = login(g, name)                      # even the right password, while locked
    assert_error(r, 429, "rate_limited")
    assert 0 < int(r.headers["Retry-After"]) <= 900, r.headers
    # another reviewer is not affected
    other = "dave-" + uuid.uuid4().hex[:6]
    add(g, other)
    assert login(g, other).status_code == 200


def test_session_body_is_validated(gw):
    g = gw
    assert_error(g.post("/api/v1/session", {"user": "x"}), 400, "missing_field", "password")
    assert_error(g.post("/api/v1/session", {"user": 1, "password": "p"}), 400, "wrong_type",
                 "user")
    assert_error(g.post("/api/v1/session", {"user": "x", "password": "p", "otp": "1"}), 400,
                 "unknown_field", "otp")
    assert_error(g.post("/api/v1/session", {"user": "x" * 65, "password": "p"}), 400,
                 "too_long", "user")
    assert_error(g.post("/api/v1/session", data=b"{", headers={"Content-Type":
                                                                "application/json"}),
                 400, "invalid_json")
    assert_error(g.post("/api/v1/session", data=b"user=x", headers={"Content-Type":
                                                                     "text/plain"}),
                 415, "unsupported_media_type")
    assert g.get("/api/v1/session").status_code == 405


def test_admin_refuses_bad_reviewers(gw):
    g = gw
    name = "erin-" + uuid.uuid4().hex[:6]
    add(g, name)
    p = add(g, name, check=False)
    assert p.returncode == 1 and "exists already" in p.stderr, p.stderr
    p = add(g, "frank", password="short", check=False)
    assert p.returncode == 2 and "10 to 1024" in p.stderr, p.stderr
    p = add(g, "grace", role="admin", check=False)
    assert p.returncode == 2, p.stderr
    p = g.admin("reviewer", "disable", "nobody-" + uuid.uuid4().hex[:6], check=False)
    assert p.returncode == 1 and "no reviewer" in p.stderr, p.stderr
