"""Referral webhooks (issue 13; docs/API.md, "Webhooks"): a handler with a webhook gets each new
referral POSTed, signed with HMAC-SHA256 over "<timestamp>.<body>" under its own secret; a
receiver that fails gets it again after a backoff, and the failures and successes show in
/metrics by handler; an overdue referral is sent once more; two gateways on one Redis send it
once. The receiver is a loopback http.server in a thread that checks the signature itself.

Every test runs on its own Redis, gateway and worker."""

import hashlib
import hmac
import http.server
import json
import re
import threading
import time
import uuid

import pytest

from test_referrals import DEADLINES, actioned_case, domain, outcome, referrals
from jubao_testlib import start_stack, wait_until

REPLAY_WINDOW_S = 300       # docs/API.md: a receiver refuses older timestamps


class Receiver:
    """A webhook receiver on 127.0.0.1: answers `status` (with `headers`) to the first `fail`
    POSTs, then 204, each after `delay` seconds; keeps every POST as (headers, raw body)."""

    def __init__(self, fail=0, delay=0.0, status=500, headers=None):
        self.fail, self.delay, self.got, self.arrived = fail, delay, [], 0
        self.status, self.headers = status, headers or {}
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.arrived += 1
                time.sleep(outer.delay)
                with outer.lock:
                    outer.got.append((dict(self.headers), body))
                    failing = len(outer.got) <= outer.fail
                self.send_response(outer.status if failing else 204)
                for k, v in (outer.headers if failing else {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/hook/%s" % (self.server.server_port, uuid.uuid4().hex)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def posts(self):
        with self.lock:
            return list(self.got)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def make(**kw):
        made.append(Receiver(**kw))
        return made[-1]
    yield make
    for r in made:
        r.close()


def verify(secret, headers, body, now=None):
    """What a receiver does (docs/API.md): the timestamp within the replay window, and
    X-Jubao-Signature v1= the HMAC-SHA256 of "<timestamp>.<body>" under the secret, compared
    in constant time."""
    ts = headers.get("X-Jubao-Timestamp", "")
    sig = headers.get("X-Jubao-Signature", "")
    if not ts.isdigit() or abs((now or time.time()) - int(ts)) > REPLAY_WINDOW_S:
        return False
    want = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return sig.startswith("v1=") and hmac.compare_digest(sig[3:], want)


def add_hooked(g, name, dom, url):
    """jubao-admin handler add --webhook: (the webhook secret, the API key)."""
    lines = g.admin("handler", "add", name, "--domains", dom, "--webhook", url).stdout
    lines = lines.strip().splitlines()
    assert lines[-4].startswith("webhook secret for %s" % name), lines
    return lines[-3], lines[-1]


def delivered(rec, n, timeout=30):
    return wait_until(lambda: len(rec.posts()) >= n and rec.posts(), timeout, interval=0.1,
                      what="%d webhook POST(s)" % n)


def hook_metric(g, name, result):
    return g.metrics().get('jubao_webhook_deliveries_total{handler="%s",result="%s"}'
                           % (name, result))


def test_a_referral_arrives_signed_and_verified(redis_factory, gateway, worker, receiver):
    _, g, _ = start_stack(redis_factory, gateway, worker)
    rec = receiver()
    dom = domain()
    secret, key = add_hooked(g, "hooked", dom, rec.url)
    other_secret, _ = add_hooked(g, "other", domain(), rec.url)
    assert len(secret) == 64 and secret != other_secret and secret not in key
    rep, _ = actioned_case(g, "https://%s/p/%s" % (dom, uuid.uuid4().hex),
                           description="冒充客服 骗钱")
    headers, body = delivered(rec, 1)[0]
    assert headers["Content-Type"] == "application/json" and headers["X-Jubao-Event"] == "referral"
    assert verify(secret, headers, body)
    # the check can fail: another handler's secret, a changed body, a replayed old request
    assert not verify(other_secret, headers, body)
    assert not verify(secret, headers, body.replace(b"fraud", b"spam"))
    assert not verify(secret, headers, body, now=time.time() + REPLAY_WINDOW_S + 60)
    pushed = json.loads(body)
    pulled = referrals(g, key)["referrals"]
    assert pushed.pop("event") == "referral" and [pushed] == pulled, (pushed, pulled)
    assert pushed["case"] == rep["case"]
    wait_until(lambda: hook_metric(g, "hooked", "sent") == 1, 10, what="the success counted")
    assert hook_metric(g, "hooked", "failed") == 0
    time.sleep(1.5)
    assert len(rec.posts()) == 1        # sent once: nothing more after a 2xx


def test_a_failing_receiver_gets_it_on_a_retry(redis_factory, gateway, worker, receiver):
    _, g, _ = start_stack(redis_factory, gateway, worker)
    rec = receiver(fail=2)
    dom = domain()
    secret, key = add_hooked(g, "flaky", dom, rec.url)
    t0 = time.monotonic()
    actioned_case(g, "https://%s/x" % dom)
    posts = delivered(rec, 3)
    took = time.monotonic() - t0
    bodies = {b for _, b in posts}
    assert len(posts) == 3 and len({json.loads(b)["referral"] for b in bodies}) == 1
    assert all(verify(secret, h, b) for h, b in posts)
    assert took >= 3 - 0.5, took       # backoff: 1 s, then 2 s
    wait_until(lambda: hook_metric(g, "flaky", "sent") == 1, 10, what="the success counted")
    assert hook_metric(g, "flaky", "failed") == 2
    time.sleep(2)
    assert len(rec.posts()) == 3
    assert referrals(g, key)["referrals"][0]["referral"] == json.loads(posts[0][1])["referral"]


def test_an_overdue_referral_is_sent_again_once(redis_factory, gateway, worker, receiver):
    conf = "".join("referral_deadline_%s = 4\n" % s for s in DEADLINES)
    _, g, _ = start_stack(redis_factory, gateway, worker, config=conf)
    rec = receiver()
    dom = domain()
    secret, key = add_hooked(g, "late", dom, rec.url)
    actioned_case(g, "https://%s/late" % dom)
    posts = delivered(rec, 2)
    events = [h["X-Jubao-Event"] for h, _ in posts]
    assert events == ["referral", "overdue"], events
    first, again = (json.loads(b) for _, b in posts)
    assert again.pop("event") == "overdue" and first.pop("event") == "referral"
    assert again == first and verify(secret, *posts[1])
    # one answered in time is not pushed again
    actioned_case(g, "https://%s/answered" % dom)
    done = json.loads(delivered(rec, 3)[2][1])
    assert done["event"] == "referral" and done["referral"] != first["referral"]
    assert outcome(g, key, done["referral"], "removed").status_code == 200
    time.sleep(5.5)     # past its deadline
    assert len(rec.posts()) == 3        # once overdue, not on every sweep; none after an outcome


def test_two_gateways_send_each_referral_once(redis_factory, gateway, worker, receiver):
    r, g, _ = start_stack(redis_factory, gateway, worker)
    g2 = gateway(redis=r, data_from=g.data_dir)
    rec = receiver(delay=0.3)
    dom = domain()
    secret, key = add_hooked(g, "both", dom, rec.url)
    for i in range(4):
        actioned_case(g if i % 2 else g2, "https://%s/two/%d" % (dom, i))
    posts = delivered(rec, 4)
    time.sleep(2)
    posts = rec.posts()
    ids = sorted(json.loads(b)["referral"] for _, b in posts)
    assert ids == sorted(e["referral"] for e in referrals(g, key)["referrals"]), ids
    assert len(ids) == 4 and len(set(ids)) == 4, ids
    assert all(verify(secret, h, b) for h, b in posts)


def test_webhook_urls_are_checked_and_can_be_set_and_cleared(redis_factory, gateway, worker,
                                                              receiver):
    _, g, _ = start_stack(redis_factory, gateway, worker)
    dom = domain()
    for bad in ("http://example.com/hook", "https://user:pw@example.com/hook",
                "ftp://example.com/hook", "example.com/hook", "https://exa mple.com/"):
        p = g.admin("handler", "add", "bad", "--domains", dom, "--webhook", bad, check=False)
        assert p.returncode == 2 and "webhook URL is refused" in p.stderr, (bad, p.stderr)
    key = g.admin("handler", "add", "later", "--domains", dom).stdout.strip().splitlines()[-1]
    actioned_case(g, "https://%s/before" % dom)     # no webhook yet: nothing to push
    rec = receiver()
    out = g.admin("handler", "webhook", "later", rec.url).stdout.strip().splitlines()
    secret = out[-1]
    actioned_case(g, "https://%s/after" % dom)
    headers, body = delivered(rec, 1)[0]
    assert verify(secret, headers, body) and "/after" in json.loads(body)["urls"][0]
    assert re.search(r"^later\s.*\syes$", g.admin("handler", "list").stdout, re.M)
    g.admin("handler", "webhook", "later", "--clear")
    assert not re.search(r"^later\s.*\syes$", g.admin("handler", "list").stdout, re.M)
    actioned_case(g, "https://%s/cleared" % dom)
    assert len(referrals(g, key)["referrals"]) == 3
    time.sleep(2)
    assert len(rec.posts()) == 1
    p = g.admin("handler", "webhook", "nobody", rec.url, check=False)
    assert p.returncode == 1 and "no handler nobody" in p.stderr


def test_a_redirect_is_a_failure_and_not_followed(redis_factory, gateway, worker, receiver):
    _, g, _ = start_stack(redis_factory, gateway, worker)
    elsewhere = receiver()
    rec = receiver(fail=1, status=307, headers={"Location": elsewhere.url})
    dom = domain()
    add_hooked(g, "moved", dom, rec.url)
    actioned_case(g, "https://%s/r" % dom)
    delivered(rec, 2)
    wait_until(lambda: hook_metric(g, "moved", "sent") == 1, 10, what="the retry counted")
    assert hook_metric(g, "moved", "failed") == 1 and elsewhere.posts() == []


def test_a_hanging_receiver_holds_up_no_decision(redis_factory, gateway, worker, receiver):
    """The POST times out (10 s in all) on the webhook's own thread; reports and decisions
    meanwhile are answered as ever."""
    _, g, _ = start_stack(redis_factory, gateway, worker)
    rec = receiver(fail=1, delay=14)
    dom = domain()
    add_hooked(g, "stuck", dom, rec.url)
    actioned_case(g, "https://%s/first" % dom)
    wait_until(lambda: rec.arrived, 30, interval=0.1, what="the POST that hangs")
    t0 = time.monotonic()
    actioned_case(g, "https://%s/second" % dom)
    assert time.monotonic() - t0 < 8, "a decision waited for the webhook"
    wait_until(lambda: (hook_metric(g, "stuck", "failed") or 0) >= 1, 30, interval=0.5,
               what="the timed-out POST counted as failed")


def test_a_stopped_gateway_leaves_its_deliveries_to_another(redis_factory, gateway, worker,
                                                            receiver):
    r, g, _ = start_stack(redis_factory, gateway, worker)
    rec = receiver(fail=10 ** 6)
    dom = domain()
    secret, key = add_hooked(g, "kept", dom, rec.url)
    actioned_case(g, "https://%s/k" % dom)
    delivered(rec, 1)
    g.stop()
    rec.fail = 0        # the receiver is back; the first gateway is gone
    g2 = gateway(redis=r, data_from=g.data_dir)
    headers, body = wait_until(lambda: len(rec.posts()) >= 2 and rec.posts()[-1], 30,
                               interval=0.1, what="the delivery by the other gateway")
    assert verify(secret, headers, body)
    assert json.loads(body)["referral"] == referrals(g2, key)["referrals"][0]["referral"]
    assert hook_metric(g2, "kept", "sent") == 1
