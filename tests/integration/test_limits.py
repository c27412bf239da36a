"""What one stranger can hold of the gateway: memory for request bodies (the body budget, in
total and per address), and time (a header block or body trickled in). Each test is an attack
as an attacker would run it, against the real gateway, and asserts the bounded answer."""

import os
import socket
import threading
import time

import pytest
import requests

from jubao_testlib import assert_error, read_response, unique_url

MIB = 1024 * 1024
COOKIE = "jb_csrf=" + "ab" * 16
ASAN = "asan" in os.environ.get("JUBAO_BUILD", "")


def rss_mib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def form_head(port, length, cookie=COOKIE):
    h = ("POST /report HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
         "Content-Type: multipart/form-data; boundary=xyz\r\n"
         "Content-Length: %d\r\n" % (port, length))
    if cookie:
        h += "Cookie: %s\r\n" % cookie
    return (h + "\r\n").encode()


def closed(sock, timeout):
    """True when the peer closes sock (or resets it) within timeout seconds."""
    sock.settimeout(timeout)
    try:
        while True:
            if not sock.recv(65536):
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def test_http11_without_host_is_refused(gw):
    r = gw.raw(b"GET /healthz HTTP/1.1\r\n\r\n")
    assert_error(r, 400, "bad_request")
    assert gw.raw(b"GET /healthz HTTP/1.0\r\n\r\n").status == 200
    assert gw.raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").status == 200


def test_a_forged_upload_is_refused_before_its_body(gw):
    """No cookie, or a foreign Origin: the answer comes after the headers alone."""
    for extra, cookie in (("", None), ("Origin: https://evil.example\r\n", COOKIE)):
        s = gw.connect()
        try:
            head = form_head(gw.port, 5 * MIB, cookie)
            s.sendall(head[:-2] + extra.encode() + b"\r\n")
            r = read_response(s, timeout=3)   # no byte of the 5 MiB was sent
            assert r.status == 403 and b"<form" in r.body, r
        finally:
            s.close()


def test_trickled_headers_are_cut(gateway):
    g = gateway(config="header_timeout = 2\nconnection_timeout = 60\n")
    socks = []
    for _ in range(50):
        s = g.connect()
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        socks.append(s)
    t0 = time.monotonic()
    open_ = list(socks)
    while open_ and time.monotonic() - t0 < 8:
        for s in list(open_):
            try:
                s.sendall(b"X-Slow: 1\r\n")   # never silent: only a deadline can end it
            except OSError:
                open_.remove(s)
        time.sleep(0.3)
        # an ordinary request is served meanwhile
        assert requests.get(g.url + "/healthz", timeout=2).status_code == 200
    assert not open_, "%d trickling connections still open after 8 s" % len(open_)
    assert time.monotonic() - t0 > 1.5
    for s in socks:
        s.close()


def test_a_stalled_body_is_cut_at_the_request_deadline(gateway):
    """Headers in, then a byte now and then, then silence: the request deadline ends it, not
    the (long) timeout of silence."""
    g = gateway(config="request_deadline = 2\nconnection_timeout = 60\n")
    s = g.connect()
    s.sendall(b"POST /api/v1/reports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              b"Content-Length: 1000\r\n\r\n{")
    t0 = time.monotonic()
    assert closed(s, 8)
    assert 1.5 < time.monotonic() - t0 < 6
    s.close()


class Flood:
    """conns connections from the given source addresses, each POSTing a form body of
    size bytes in chunks every pause seconds; a connection that is answered or closed
    reconnects, until stop()."""

    def __init__(self, g, sources, conns, size, chunk=64 * 1024, pause=0.05):
        self.g, self.sources, self.size, self.chunk, self.pause = g, sources, size, chunk, pause
        self.stopping = threading.Event()
        self.statuses = {}
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run, args=(i,), daemon=True)
                        for i in range(conns)]
        for t in self.threads:
            t.start()

    def count(self, status):
        with self.lock:
            self.statuses[status] = self.statuses.get(status, 0) + 1

    def one(self, src):
        s = socket.create_connection(("127.0.0.1", self.g.port), timeout=10,
                                     source_address=(src, 0))
        try:
            s.sendall(form_head(self.g.port, self.size))
            sent = 0
            s.setblocking(False)
            while sent < self.size and not self.stopping.is_set():
                try:
                    if s.recv(4096):
                        self.count("answered early")
                        time.sleep(0.1)   # as a client on its own machine: no CPU of ours
                        return
                    self.count("closed")
                    return
                except BlockingIOError:
                    pass
                n = min(self.chunk, self.size - sent)
                try:
                    s.setblocking(True)
                    s.settimeout(5)
                    s.sendall(b"x" * n)
                    s.setblocking(False)
                except OSError:
                    self.count("closed")
                    return
                sent += n
                time.sleep(self.pause)
            self.count("sent")
        finally:
            s.close()

    def run(self, i):
        src = self.sources[i % len(self.sources)]
        while not self.stopping.is_set():
            try:
                self.one(src)
            except OSError:
                self.count("connect failed")
                time.sleep(0.05)

    def stop(self):
        self.stopping.set()
        for t in self.threads:
            t.join(15)


def timed_report(g):
    t0 = time.monotonic()
    r = requests.post(g.url + "/api/v1/reports", json={"url": unique_url("bud"),
                                                       "category": "fraud"}, timeout=5)
    return r, time.monotonic() - t0


@pytest.mark.parametrize("per_addr,budget", [(8, 256 * MIB), (1000, 64 * MIB)])
def test_an_upload_flood_stays_in_the_body_budget(gateway, per_addr, budget):
    """500 connections from two addresses send 5 MiB forms slowly (and reconnect when
    refused): the gateway stays under body_budget + 64 MiB, an ordinary report gets its 202
    within a second meanwhile, and the memory returns after the flood. First with the
    defaults; then with 1000 uploads per address allowed, so that the budget alone bounds it."""
    g = gateway(config="body_budget = %d\nupload_per_addr = %d\nper_ip_connection_limit = 300\n"
                % (budget, per_addr))
    base = rss_mib(g.proc.pid)
    flood = Flood(g, ["127.0.0.1", "127.0.0.2"], 500, 5 * MIB)
    peak, slowest = 0, 0
    try:
        t0 = time.monotonic()
        while time.monotonic() - t0 < 12:
            peak = max(peak, rss_mib(g.proc.pid))
            r, took = timed_report(g)
            assert r.status_code == 202, r.text
            slowest = max(slowest, took)
            time.sleep(0.2)
    finally:
        flood.stop()
    print("rss base %.0f MiB, peak %.0f MiB, slowest report %.3f s, %r"
          % (base, peak, slowest, flood.statuses))
    assert flood.statuses.get("answered early", 0) > 0    # refused: 503 before the body
    assert slowest < 1.0
    if not ASAN:   # ASan's allocator keeps freed memory in quarantine
        assert peak < base + budget / MIB + 64, (base, peak)
        wait = time.monotonic() + 10
        while rss_mib(g.proc.pid) > base + 32 and time.monotonic() < wait:
            time.sleep(0.2)
        assert rss_mib(g.proc.pid) <= base + 32, (base, rss_mib(g.proc.pid))


def test_uploads_past_the_budget_get_503_and_small_requests_go_on(gateway):
    g = gateway(config="body_budget = 8388608\nupload_per_addr = 1000\n")
    socks = []
    try:
        # 2 MiB uploads that never finish: three fit in 7/8 of 8 MiB, the fourth does not
        for i in range(3):
            s = g.connect()
            s.sendall(form_head(g.port, 2 * MIB))
            socks.append(s)
        time.sleep(0.3)
        s = g.connect()
        s.sendall(form_head(g.port, 2 * MIB))
        r = read_response(s, timeout=3)
        s.close()
        assert r.status == 503 and r.header("Retry-After"), r
        # a chunked upload is charged as it comes, and refused when it passes the budget
        s = g.connect()
        s.sendall(b"POST /report HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; "
                  b"boundary=xyz\r\nCookie: " + COOKIE.encode() +
                  b"\r\nTransfer-Encoding: chunked\r\n\r\n")
        for _ in range(32):
            s.sendall(b"10000\r\n" + b"x" * 0x10000 + b"\r\n")
        s.sendall(b"0\r\n\r\n")
        r = read_response(s, timeout=5)
        s.close()
        assert r.status == 503, r
        # small JSON reports are still taken
        r, took = timed_report(g)
        assert r.status_code == 202 and took < 1.0
    finally:
        for s in socks:
            s.close()


@pytest.mark.single_redis("it sets the one Redis's maxmemory")
def test_a_full_redis_gets_503_and_loses_nothing_acknowledged(redis_factory, gateway):
    """Redis at maxmemory (noeviction, as deploy/redis.conf sets it) refuses writes: the
    gateway answers 503 with Retry-After, counts it, and every report it took before is still
    there; once there is room again, reports are taken again."""
    rs = redis_factory()
    g = gateway(redis=rs)
    c = rs.client()
    assert c.config_get("maxmemory-policy")["maxmemory-policy"] == "noeviction"
    taken = []
    for _ in range(20):
        r = g.report()
        assert r.status_code == 202
        taken.append(r.json())
    full_before = g.metrics().get("jubao_redis_full_total", 0)
    c.config_set("maxmemory", int(c.info("memory")["used_memory"]) - 1024)
    try:
        for _ in range(5):
            assert_error(g.report(), 503, "unavailable")
        assert g.metrics()["jubao_redis_full_total"] == full_before + 5
        for t in taken:
            assert g.status(t["id"], secret=t["secret"]).status_code == 200
    finally:
        c.config_set("maxmemory", 0)
    assert g.report().status_code == 202
    assert "OOM" in g.log_text()


# ---- past the rate limit: what proofs of work buy, and evidence bytes per day -------------

def random_png(side=96):
    """A PNG of random pixels (does not compress, so its size barely changes when the
    gateway re-encodes it without metadata)."""
    import struct
    import zlib

    def chunk(kind, data):
        c = kind + data
        return struct.pack(">I", len(data)) + c + struct.pack(">I", zlib.crc32(c))
    rows = b"".join(b"\0" + os.urandom(side * 3) for _ in range(side))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 0)) + chunk(b"IEND", b""))


def challenge_of(page):
    import re
    m = re.search(r'id="pow"[^>]*data-challenge="([^"]+)" data-bits="(\d+)"', page)
    return (m.group(1), int(m.group(2))) if m else (None, 0)


def test_proofs_of_work_buy_a_bounded_number_of_reports(gateway):
    """A client that solves every challenge it is given gets rate_anon + pow_extra reports in
    a window, each bought report asking one bit more; then challenges stop. Solutions sent at
    once buy no more than that either."""
    from test_web import Browser, solve
    g = gateway(env={"JUBAO_RATE_LIMIT": None},
                config="rate_anon = 2\nrate_anon_window = 3600\npow_bits = 6\npow_extra = 3\n")
    b = Browser(g)
    stored, bits_seen = 0, []
    answer = None
    for _ in range(12):
        fields = {"url": unique_url("pow"), "category": "fraud"}
        if answer:
            fields["pow"] = answer
        r = b.post(fields)
        if r.status_code == 200:
            stored += 1
            answer = None
            continue
        assert r.status_code == 429, r.text[:500]
        challenge, bits = challenge_of(r.text)
        if not challenge:
            break
        bits_seen.append(bits)
        answer = solve(challenge, bits)
    assert stored == 2 + 3
    assert bits_seen == [6, 7, 8], bits_seen
    r = b.post({"url": unique_url("pow"), "category": "fraud"})
    assert r.status_code == 429 and challenge_of(r.text)[0] is None

    # A fresh client: four solved challenges of the first difficulty sent together buy one
    # (the next asks one bit more), never four.
    g2 = gateway(env={"JUBAO_RATE_LIMIT": None},
                 config="rate_anon = 1\nrate_anon_window = 3600\npow_bits = 6\npow_extra = 3\n")
    c = Browser(g2)
    assert c.post({"url": unique_url("pow"), "category": "fraud"}).status_code == 200
    answers = []
    for _ in range(4):
        challenge, bits = challenge_of(c.post({"url": unique_url("pow"),
                                               "category": "fraud"}).text)
        answers.append(solve(challenge, bits))
    results = []
    threads = [threading.Thread(target=lambda a=a: results.append(c.post(
        {"url": unique_url("pow"), "category": "fraud", "pow": a}).status_code))
        for a in answers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200, 429, 429, 429], results


def test_evidence_bytes_are_budgeted_per_client_and_day(gateway):
    from test_web import Browser, field_errors
    png = random_png()
    g = gateway(env={"JUBAO_RATE_LIMIT": None},
                config="rate_anon = 1000\nevidence_budget_daily = %d\n" % int(len(png) * 2.5))
    b = Browser(g)

    def post(with_image):
        return b.post({"url": unique_url("evb"), "category": "fraud"},
                      files={"evidence": ("shot.png", png, "image/png")} if with_image else None)
    assert post(True).status_code == 200
    assert post(True).status_code == 200
    over = post(True)
    assert over.status_code == 429 and over.headers["Retry-After"]
    assert "evidence" in field_errors(over.text)
    assert post(False).status_code == 200      # the report itself is still taken
