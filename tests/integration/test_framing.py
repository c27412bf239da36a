"""HTTP framing on raw sockets: ambiguous or oversized bodies are refused before they are
read, with the gateway's JSON error body and X-Request-Id."""

import json
import socket
import time

import pytest

from jubao_testlib import assert_error, read_response, unique_url

HEAD = (b"POST /api/v1/reports HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\n")


def body():
    return json.dumps({"url": unique_url("framing"), "category": "fraud"}).encode()


def test_plain_request_works(gw):
    b = body()
    r = gw.raw(HEAD + b"Content-Length: %d\r\n\r\n" % len(b) + b)
    assert r.status == 202, r
    assert r.header("X-Request-Id")


def test_chunked_request_works(gw):
    b = body()
    r = gw.raw(HEAD + b"Transfer-Encoding: chunked\r\n\r\n%x\r\n" % len(b) + b + b"\r\n0\r\n\r\n")
    assert r.status == 202, r


def test_two_content_lengths(gw):
    b = body()
    r = gw.raw(HEAD + b"Content-Length: %d\r\nContent-Length: %d\r\n\r\n" % (len(b), len(b)) + b)
    assert_error(r, 400, "bad_framing")


def test_two_different_content_lengths(gw):
    b = body()
    r = gw.raw(HEAD + b"Content-Length: %d\r\nContent-Length: 5\r\n\r\n" % len(b) + b)
    assert_error(r, 400, "bad_framing")


def test_content_length_with_chunked(gw):
    b = body()
    chunked = b"%x\r\n" % len(b) + b + b"\r\n0\r\n\r\n"
    r = gw.raw(HEAD + b"Content-Length: %d\r\nTransfer-Encoding: chunked\r\n\r\n" % len(chunked)
               + chunked)
    assert_error(r, 400, "bad_framing")


NON_NUMERIC = [b"abc", b"-1", b"0x10", b"1e3", b"12 34"]


@pytest.mark.parametrize("value", NON_NUMERIC)
def test_non_numeric_content_length(gw, value):
    b = body()
    r = gw.raw(HEAD + b"Content-Length: " + value + b"\r\n\r\n" + b)
    # libmicrohttpd refuses these itself, before the gateway sees the request, so the answer
    # has neither the JSON error body nor X-Request-Id (recorded, not asserted).
    assert r.status == 400, r
    assert gw.get("/healthz").status_code == 200


@pytest.mark.xfail(strict=True, reason="libmicrohttpd 0.9.75 (Debian 12) sends its own 400 "
                   "for a bad Content-Length with the status line and headers twice; "
                   "reproduced with a minimal MHD server, so not the gateway's code")
@pytest.mark.parametrize("value", NON_NUMERIC)
def test_non_numeric_content_length_answer_is_well_formed(gw, value):
    b = body()
    r = gw.raw(HEAD + b"Content-Length: " + value + b"\r\n\r\n" + b)
    # one header block, then the body that Content-Length announces
    cl = r.header("Content-Length")
    assert cl is not None and int(cl) == len(r.body), r.raw
    assert not r.body.startswith(b"HTTP/"), r.raw


def test_huge_content_length_refused_before_the_body(gw):
    s = gw.connect(timeout=5)
    try:
        t0 = time.monotonic()
        s.sendall(HEAD + b"Content-Length: 10000000\r\n\r\n")
        r = read_response(s, timeout=5)
        assert time.monotonic() - t0 < 2
    finally:
        s.close()
    assert_error(r, 413, "body_too_large")


def test_content_length_just_over_the_limit(gw):
    s = gw.connect(timeout=5)
    try:
        s.sendall(HEAD + b"Content-Length: 65537\r\n\r\n")
        r = read_response(s, timeout=5)
    finally:
        s.close()
    assert_error(r, 413, "body_too_large")


def test_chunked_body_over_the_limit(gw):
    big = b"a" * 70000
    r = gw.raw(HEAD + b"Transfer-Encoding: chunked\r\n\r\n%x\r\n" % len(big) + big +
               b"\r\n0\r\n\r\n", timeout=10)
    assert_error(r, 413, "body_too_large")


def test_still_serving_after_bad_framing(gw):
    assert gw.get("/healthz").status_code == 200
    assert gw.report().status_code == 202


def test_keep_alive_two_requests(gw):
    s = gw.connect(timeout=5)
    try:
        for _ in range(2):
            b = body()
            s.sendall(HEAD + b"Content-Length: %d\r\n\r\n" % len(b) + b)
            r = read_response(s, timeout=5)
            assert r.status == 202, r
    finally:
        s.close()


def test_slow_body_is_cut_at_the_deadline(gateway):
    g = gateway(config="request_deadline = 1\nconnection_timeout = 30\n")
    b = body()
    s = g.connect(timeout=10)
    try:
        s.sendall(HEAD + b"Content-Length: %d\r\n\r\n" % len(b))
        closed = False
        t0 = time.monotonic()
        for i in range(len(b)):
            try:
                s.sendall(b[i:i + 1])
            except OSError:
                closed = True
                break
            time.sleep(0.1)
            if time.monotonic() - t0 > 4:
                break
        if not closed:
            s.settimeout(3)
            try:
                data = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                data = b""
            closed = data == b"" or not data.startswith(b"HTTP/1.1 202")
    finally:
        s.close()
    assert closed, "a body sent a byte every 0.1 s was still read after the 1 s deadline"
    assert g.get("/healthz").status_code == 200


def test_oversized_header_is_431(gw):
    r = gw.raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100000 + b"\r\n\r\n")
    # answered by libmicrohttpd itself (no JSON body, no X-Request-Id): recorded, not asserted
    assert r.status == 431, r
    assert gw.get("/healthz").status_code == 200
