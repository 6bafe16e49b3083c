"""Request smuggling and malformed requests, sent as raw bytes to the real binary.

Every malformed request must be answered with an error status (400, or 413/414/431/501 where
the case says so) and the connection must then be closed; nothing of it may reach the upstream.
After each attempt a well-formed sentinel request proves the gateway still serves, and the echo
upstream must have recorded exactly that sentinel (a request is recorded only once its body was
read completely, see echo_upstream.py).

Rules: RFC 9112 sections 2.2 (bare CR/LF), 3 (request line), 5.1-5.2 (field syntax, obs-fold),
6.1-6.3 (Transfer-Encoding / Content-Length), 7.1 (chunk sizes); nginx (Kong) behaviour for
duplicates and size limits.
"""
from __future__ import annotations

import socket
import time

import pytest
import requests

from configs import simple_config
from gateway_process import HttpReader, raw_exchange

H = b"Host: smuggle.test\r\n"


def post(headers: bytes, body: bytes = b"") -> bytes:
    return b"POST /smuggle HTTP/1.1\r\n" + H + headers + b"\r\n" + body


SMUGGLED = b"GET /smuggled HTTP/1.1\r\n" + H + b"\r\n"
CHUNKED = b"Transfer-Encoding: chunked\r\n"

CASES = [
    # --- Content-Length and Transfer-Encoding together (RFC 9112 6.1) ---
    ("cl-then-te", post(b"Content-Length: 5\r\n" + CHUNKED, b"0\r\n\r\n" + SMUGGLED), {400}),
    ("te-then-cl", post(CHUNKED + b"Content-Length: 5\r\n", b"0\r\n\r\n" + SMUGGLED), {400}),
    ("te-with-space-before-colon", post(b"Content-Length: 5\r\nTransfer-Encoding : chunked\r\n",
                                        b"0\r\n\r\n" + SMUGGLED), {400}),
    # --- Content-Length values (RFC 9112 6.3, nginx rejects duplicates) ---
    ("duplicate-cl-same", post(b"Content-Length: 5\r\nContent-Length: 5\r\n", b"hello"), {400}),
    ("duplicate-cl-differing", post(b"Content-Length: 5\r\nContent-Length: 6\r\n", b"hello!"), {400}),
    ("cl-list", post(b"Content-Length: 1,2\r\n", b"ab"), {400}),
    ("cl-plus-sign", post(b"Content-Length: +5\r\n", b"hello"), {400}),
    ("cl-negative", post(b"Content-Length: -1\r\n", b"hello"), {400}),
    ("cl-hex", post(b"Content-Length: 0x5\r\n", b"hello"), {400}),
    ("cl-inner-space", post(b"Content-Length: 5 5\r\n", b"hello"), {400}),
    ("cl-empty", post(b"Content-Length: \r\n", b"hello"), {400}),
    ("cl-overflow", post(b"Content-Length: 99999999999999999999999999\r\n", b"hello"), {400, 413}),
    # --- Transfer-Encoding values ---
    ("te-gzip", post(b"Transfer-Encoding: gzip\r\n", b"hello"), {400, 501}),
    ("te-chunked-identity", post(b"Transfer-Encoding: chunked, identity\r\n", b"0\r\n\r\n"), {400, 501}),
    ("te-identity", post(b"Transfer-Encoding: identity\r\n", b"hello"), {400, 501}),
    ("te-xchunked", post(b"Transfer-Encoding: xchunked\r\n", b"0\r\n\r\n"), {400, 501}),
    ("te-chunked-twice", post(CHUNKED + CHUNKED, b"0\r\n\r\n"), {400, 501}),
    ("te-obs-folded", post(b"Transfer-Encoding:\r\n chunked\r\n", b"0\r\n\r\n" + SMUGGLED), {400}),
    ("te-http10", b"POST /smuggle HTTP/1.0\r\n" + H + CHUNKED + b"\r\n5\r\nhello\r\n0\r\n\r\n", {400}),
    # --- chunk sizes (RFC 9112 7.1) ---
    ("chunk-size-not-hex", post(CHUNKED, b"zz\r\nhello\r\n0\r\n\r\n"), {400}),
    ("chunk-size-overflow", post(CHUNKED, b"fffffffffffffffffffff1\r\nhello\r\n0\r\n\r\n"), {400, 413}),
    ("chunk-size-negative", post(CHUNKED, b"-5\r\nhello\r\n0\r\n\r\n"), {400}),
    ("chunk-size-0x-prefix", post(CHUNKED, b"0x5\r\nhello\r\n0\r\n\r\n"), {400}),
    ("chunk-data-missing-crlf", post(CHUNKED, b"5\r\nhelloXX0\r\n\r\n"), {400}),
    ("chunk-size-bare-lf", post(CHUNKED, b"5\nhello\r\n0\r\n\r\n"), {400}),
    # --- field syntax (RFC 9112 5) ---
    ("obs-fold", b"GET /smuggle HTTP/1.1\r\n" + H + b"X-Folded: a\r\n b\r\n\r\n", {400}),
    ("space-before-colon", b"GET /smuggle HTTP/1.1\r\n" + H + b"X-Thing : v\r\n\r\n", {400}),
    ("whitespace-before-first-field", b"GET /smuggle HTTP/1.1\r\n " + H + b"\r\n", {400}),
    ("nul-in-value", b"GET /smuggle HTTP/1.1\r\n" + H + b"X-Nul: a\x00b\r\n\r\n", {400}),
    ("nul-in-name", b"GET /smuggle HTTP/1.1\r\n" + H + b"X-N\x00ul: ab\r\n\r\n", {400}),
    ("bare-cr-in-value", b"GET /smuggle HTTP/1.1\r\n" + H + b"X-Cr: a\rb\r\n\r\n", {400}),
    ("bare-lf-everywhere", b"GET /smuggle HTTP/1.1\nHost: smuggle.test\n\n", {400}),
    ("bare-lf-one-field", b"GET /smuggle HTTP/1.1\r\nHost: smuggle.test\nX-A: b\r\n\r\n", {400}),
    ("missing-host", b"GET /smuggle HTTP/1.1\r\nX-A: b\r\n\r\n", {400}),
    ("duplicate-host", b"GET /smuggle HTTP/1.1\r\n" + H + b"Host: other.test\r\n\r\n", {400}),
    # --- request line ---
    ("invalid-method-token", b"G(T /smuggle HTTP/1.1\r\n" + H + b"\r\n", {400}),
    ("nul-in-method", b"G\x00T /smuggle HTTP/1.1\r\n" + H + b"\r\n", {400}),
    ("request-line-too-long", b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\n" + H + b"\r\n", {400, 414}),
    # --- limits ---
    ("header-too-large", b"GET /smuggle HTTP/1.1\r\n" + H + b"X-Big: " + b"a" * 100_000 + b"\r\n\r\n",
     {400, 431}),
    ("too-many-headers", b"GET /smuggle HTTP/1.1\r\n" + H
     + b"".join(b"X-H-%d: v\r\n" % i for i in range(1000)) + b"\r\n", {400, 431}),
]


@pytest.fixture
def gw(gatehouse, upstream):
    return gatehouse(simple_config(upstream.url))


def assert_only_sentinel_reached_upstream(gw, upstream):
    r = requests.get(gw.proxy_url + "/sentinel", timeout=10)
    assert r.status_code == 200
    assert [q["path"] for q in upstream.requests] == ["/sentinel"], upstream.requests


@pytest.mark.parametrize("payload,allowed", [pytest.param(p, a, id=n) for n, p, a in CASES])
def test_malformed_request_is_rejected_and_connection_closed(gw, upstream, payload, allowed):
    res = raw_exchange("127.0.0.1", gw.proxy_port, payload, timeout=3)
    assert res.status in allowed, (
        f"expected one of {sorted(allowed)}; got {res!r}"
        + (" (connection reset before any response: drain or linger before closing)"
           if res.reset and not res.data else ""))
    assert res.closed or res.reset, f"connection left open after rejecting: {res!r}"
    assert res.data.count(b"HTTP/1.") == 1, f"more than one response: {res!r}"
    assert_only_sentinel_reached_upstream(gw, upstream)


def test_well_formed_chunked_request_and_next_request_share_a_connection(gw, upstream):
    # Control for the set above: correct framing is accepted and the connection stays usable.
    s = socket.create_connection(("127.0.0.1", gw.proxy_port), timeout=10)
    s.sendall(post(CHUNKED, b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n"))
    reader = HttpReader(s)
    status, _, body = reader.response()
    assert status == 200 and b'"body_len": 11' in body
    s.sendall(b"GET /second HTTP/1.1\r\n" + H + b"\r\n")
    status, _, body = reader.response()
    s.close()
    assert status == 200 and b'"path": "/second"' in body


def test_pipelined_requests_are_answered_in_order(gw, upstream):
    # The body of the first request must not be parsed as a request, and vice versa.
    s = socket.create_connection(("127.0.0.1", gw.proxy_port), timeout=10)
    inner = b"GET /inner HTTP/1.1\r\n"
    s.sendall(post(b"Content-Length: %d\r\n" % len(inner), inner)
              + b"GET /p2 HTTP/1.1\r\n" + H + b"\r\n")
    reader = HttpReader(s)
    s1, _, b1 = reader.response()
    s2, _, b2 = reader.response()
    s.close()
    assert s1 == 200 and b'"body_len": 21' in b1
    assert s2 == 200 and b'"path": "/p2"' in b2
    assert [q["path"] for q in upstream.requests] == ["/smuggle", "/p2"]


@pytest.mark.parametrize("framing", ["length", "chunked"])
def test_pipelined_request_after_a_body_sent_apart_from_its_head(gw, upstream, framing):
    # The head arrives alone (as from clients that write head and body separately), then
    # the body and the next request together: bytes read past the body belong to the
    # next request, whichever buffer the body was read into.
    s = socket.create_connection(("127.0.0.1", gw.proxy_port), timeout=10)
    if framing == "length":
        head, body = post(b"Content-Length: 5\r\n"), b"hello"
    else:
        head, body = post(CHUNKED), b"5\r\nhello\r\n0\r\n\r\n"
    s.sendall(head)
    time.sleep(0.2)
    s.sendall(body + b"GET /after HTTP/1.1\r\n" + H + b"\r\n")
    reader = HttpReader(s)
    s1, _, b1 = reader.response()
    s2, _, b2 = reader.response()
    s.close()
    assert s1 == 200 and b'"body_len": 5' in b1
    assert s2 == 200 and b'"path": "/after"' in b2
