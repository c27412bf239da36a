"""Pseudonyms of client addresses: random per-day keys shared by the gateways through Redis and
gone 48 hours after their day began, so that no key that still exists (master.key included)
can turn an old pseudonym back into an address; and limits and retries that hold across
midnight, when a client's pseudonym changes."""

import email.utils
import os
import time
import uuid

from jubao_testlib import PREFIX, assert_error, unique_url, wait_until

FAKETIME_LIB = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"


def day_keys(c):
    return sorted(c.scan_iter(match=PREFIX + "daykey:*"))


def test_day_keys_are_shared_random_and_expire(gateway, redis):
    c = redis.client()
    g1 = gateway()
    g2 = gateway(env={"JUBAO_DATA_DIR": str(g1.data_dir)})   # the same master.key
    url = unique_url("pseudo")
    for g in (g1, g2):
        assert g.report({"url": url, "category": "fraud"}).status_code == 202
    r = g1.report({"url": url, "category": "fraud"}).json()
    ck = redis.case_key(r["case"])
    assert c.hget(ck, "reporters") == "1"      # one address through two gateways: one reporter

    keys = day_keys(c)
    today = int(time.time()) // 86400
    mine = [k for k in keys if k.endswith(":%d" % today) or k.endswith(":%d" % (today + 1))]
    assert len(mine) >= 2
    for k in mine:
        ttl = c.ttl(k)
        day = int(k.rsplit(":", 1)[1])
        assert 0 < ttl <= (day * 86400 + 172800) - int(time.time()) + 5, (k, ttl)
        assert len(c.get(k)) > 40                 # a wrapped key, not 32 raw bytes

    # Once the day's key is gone, master.key alone does not give the same pseudonym again.
    for k in keys:
        c.delete(k)
    g3 = gateway(env={"JUBAO_DATA_DIR": str(g1.data_dir)})
    assert g3.report({"url": url, "category": "fraud"}).status_code == 202
    assert c.hget(ck, "reporters") == "2"


def gateway_clock(g):
    return email.utils.parsedate_to_datetime(g.get("/healthz").headers["Date"]).timestamp()


def test_limits_and_retries_hold_across_midnight(gateway):
    """A gateway whose clock reaches 00:00 UTC a few seconds after it starts (libfaketime):
    a retry after midnight with the same Idempotency-Key gets the first answer again, and the
    rate limit taken before midnight still holds after it."""
    day = int(time.time()) // 86400 + 1
    start = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(day * 86400 - 6))
    # (under ASan, libfaketime comes before its runtime: tell ASan that is meant)
    asan = os.environ.get("ASAN_OPTIONS", "")
    g = gateway(env={"LD_PRELOAD": FAKETIME_LIB, "FAKETIME": "@" + start,
                     "FAKETIME_DONT_FAKE_MONOTONIC": "1", "JUBAO_RATE_LIMIT": None,
                     "ASAN_OPTIONS": (asan + ":" if asan else "") + "verify_asan_link_order=0"},
                config="rate_anon = 2\nrate_anon_window = 3600\n")
    assert gateway_clock(g) < day * 86400
    body = {"url": unique_url("midnight"), "category": "fraud"}
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = g.report(body, headers=key)
    assert first.status_code == 202
    assert g.report().status_code == 202                   # the bucket is empty now
    wait_until(lambda: gateway_clock(g) >= day * 86400 + 1, 15, what="the gateway's midnight")
    again = g.report(body, headers=key)
    assert again.status_code == 202
    assert (again.json()["id"], again.json()["secret"]) == (first.json()["id"],
                                                            first.json()["secret"])
    assert_error(g.report(), 429, "rate_limited")
