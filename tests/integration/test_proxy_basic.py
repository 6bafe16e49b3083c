"""Proxying through the real binary: routing, upstream URI composition, Kong error bodies,
keep-alive, bodyless responses, streamed bodies, Expect: 100-continue, timeouts and retries.

Expected values follow Kong 3.x (router_flavor traditional_compatible, path_handling v0) as
described in issue 2 and Kong's documentation; header handling lives in test_proxy_headers.py.
"""
from __future__ import annotations

import http.client
import json
import socket
import threading
import time

import pytest
import requests

from configs import simple_config
from gateway_process import free_port, raw_exchange, read_response

KONG_404 = "no Route matched with those values"
KONG_502 = "An invalid response was received from the upstream server"
KONG_504 = "The upstream server is timing out"
KONG_503_NO_PEER = "failure to get a peer from the ring-balancer"


def routing_config(up: str) -> str:
    return f"""_format_version: "3.0"
services:
- name: svc-a
  url: {up}/svc-a
  routes:
  - name: r-prefix
    paths: [/api]
  - name: r-regex
    paths: ['~/items/\\d+$']
    strip_path: false
- name: svc-b
  url: {up}/svc-b
  routes:
  - name: r-longer-prefix
    paths: [/api/v2]
- name: svc-c
  url: {up}/svc-c
  routes:
  - name: r-host
    hosts: [foo.test]
- name: svc-d
  url: {up}/svc-d
  routes:
  - name: r-wildcard-host
    hosts: ['*.wild.test']
- name: svc-e
  url: {up}/svc-e
  routes:
  - name: r-method
    paths: [/m]
    methods: [POST]
- name: svc-f
  url: {up}/svc-f
  routes:
  - name: r-host-and-path
    hosts: [foo.test]
    paths: [/api]
- name: svc-h
  url: {up}/svc-h
  routes:
  - name: r-regex-high
    paths: ['~/rp/.*']
    regex_priority: 10
    strip_path: false
- name: svc-i
  url: {up}/svc-i
  routes:
  - name: r-regex-low
    paths: ['~/rp/x']
    regex_priority: 0
    strip_path: false
- name: svc-j
  url: {up}/svc-j
  routes:
  - name: r-header
    paths: [/hdr]
    headers:
      x-version: ['2']
- name: svc-k
  url: {up}/svc-k
  routes:
  - name: r-no-header
    paths: [/hdr]
"""


@pytest.fixture
def routed(gatehouse, upstream):
    return gatehouse(routing_config(upstream.url))


def upstream_path(gw, path, method="GET", host=None, headers=None):
    h = dict(headers or {})
    if host:
        h["Host"] = host
    r = requests.request(method, gw.proxy_url + path, headers=h, timeout=10)
    assert r.status_code == 200, (path, r.status_code, r.text)
    return r.json()["path"]


@pytest.mark.parametrize("path,host,method,expected", [
    ("/api/x", None, "GET", "/svc-a/x"),                 # prefix, strip_path defaults to true
    ("/api/v2/x", None, "GET", "/svc-b/x"),              # the longest prefix wins
    ("/anything", "foo.test", "GET", "/svc-c/anything"),  # host-only route
    ("/api/x", "foo.test", "GET", "/svc-f/x"),           # host+path beats path-only and host-only
    ("/y", "a.wild.test", "GET", "/svc-d/y"),            # wildcard host
    ("/y", "a.wild.test:8080", "GET", "/svc-d/y"),       # the port in Host is ignored for matching
    ("/m", None, "POST", "/svc-e"),                      # method route
    ("/items/42", None, "GET", "/svc-a/items/42"),       # regex path (not stripped by v0)
    ("/rp/x", None, "GET", "/svc-h/rp/x"),               # higher regex_priority wins
])
def test_request_is_routed_by_kong_precedence(routed, path, host, method, expected):
    assert upstream_path(routed, path, method, host) == expected


def test_route_with_matching_header_beats_route_without(routed):
    assert upstream_path(routed, "/hdr", headers={"X-Version": "2"}) == "/svc-j"
    assert upstream_path(routed, "/hdr", headers={"X-Version": "1"}) == "/svc-k"


@pytest.mark.parametrize("path,method,host", [
    ("/nothing", "GET", None),       # no prefix matches
    ("/m", "GET", None),             # path matches but method does not
    ("/items/abc", "GET", None),     # regex anchored with $
    ("/x", "GET", "bar.wild.other"),  # wildcard does not match another domain
])
def test_unmatched_request_gets_kong_404_with_request_id(routed, upstream, path, method, host):
    headers = {"Host": host} if host else {}
    r = requests.request(method, routed.proxy_url + path, headers=headers, timeout=10)
    assert r.status_code == 404
    assert r.headers["Content-Type"].startswith("application/json")
    body = r.json()
    assert body["message"] == KONG_404
    assert isinstance(body["request_id"], str) and body["request_id"]
    # Kong 3.x returns the id as X-Kong-Request-Id; gatehouse may also send X-Request-Id.
    assert body["request_id"] == (r.headers.get("X-Kong-Request-Id") or r.headers.get("X-Request-Id"))
    assert upstream.requests == []


# Kong documentation, "path handling algorithms" table (v0 rows; service.path = /s).
@pytest.mark.parametrize("request_path,expected", [
    ("/fv0req", "/s/fv0req"),
    ("/fv0", "/s/fv0"),
    ("/fv0/req", "/s/fv0/req"),
    ("/fv0/", "/s/fv0/"),
    ("/tv0req", "/s/req"),
    ("/tv0", "/s"),
    ("/tv0/req", "/s/req"),
    ("/tv0/", "/s/"),
])
def test_upstream_uri_follows_kong_path_handling_v0(gatehouse, upstream, request_path, expected):
    cfg = f"""_format_version: "3.0"
services:
- name: s
  url: {upstream.url}/s
  routes:
  - {{name: fv0, paths: [/fv0], strip_path: false}}
  - {{name: fv0-slash, paths: [/fv0/], strip_path: false}}
  - {{name: tv0, paths: [/tv0], strip_path: true}}
  - {{name: tv0-slash, paths: [/tv0/], strip_path: true}}
"""
    gw = gatehouse(cfg)
    assert upstream_path(gw, request_path) == expected


@pytest.mark.parametrize("request_path,strip,expected", [
    ("/pre/a/b", True, "/a/b"),
    ("/pre", True, "/"),
    ("/pre/a/b", False, "/pre/a/b"),
])
def test_strip_path_with_service_without_path(gatehouse, upstream, request_path, strip, expected):
    gw = gatehouse(simple_config(upstream.url, ["/pre"], route_extra=f"    strip_path: {str(strip).lower()}\n"))
    assert upstream_path(gw, request_path) == expected


def test_query_string_is_forwarded_verbatim(gatehouse, upstream):
    gw = gatehouse(simple_config(upstream.url))
    r = requests.get(gw.proxy_url + "/q?b=2&a=1&a=3&empty=&enc=%2F%20", timeout=10)
    assert r.json()["query"] == "b=2&a=1&a=3&empty=&enc=%2F%20"


def upstream_host_header(r):
    return [v for k, v in r.json()["headers"] if k.lower() == "host"]


def test_upstream_host_is_service_host_and_port_without_preserve_host(gatehouse, upstream):
    gw = gatehouse(simple_config(upstream.url))
    r = requests.get(gw.proxy_url + "/", headers={"Host": "client.example"}, timeout=10)
    assert upstream_host_header(r) == [f"127.0.0.1:{upstream.port}"]


def test_preserve_host_forwards_client_host(gatehouse, upstream):
    gw = gatehouse(simple_config(upstream.url, route_extra="    preserve_host: true\n"))
    r = requests.get(gw.proxy_url + "/", headers={"Host": "client.example:8443"}, timeout=10)
    assert upstream_host_header(r) == ["client.example:8443"]


def test_client_connection_is_kept_alive_across_requests(gatehouse, upstream):
    gw = gatehouse(simple_config(upstream.url))
    conn = http.client.HTTPConnection("127.0.0.1", gw.proxy_port, timeout=10)
    conn.request("GET", "/one")
    r1 = conn.getresponse()
    r1.read()
    sock = conn.sock
    assert not r1.will_close
    conn.request("GET", "/two")
    r2 = conn.getresponse()
    assert r2.status == 200 and json.loads(r2.read())["path"] == "/two"
    assert conn.sock is sock, "the gateway closed a keep-alive connection"
    conn.close()


def test_upstream_connections_are_pooled_and_reused(gatehouse, upstream):
    gw = gatehouse(simple_config(upstream.url))
    for i in range(5):
        assert requests.get(f"{gw.proxy_url}/pool/{i}", timeout=10).status_code == 200
    peers = {r["peer"] for r in upstream.requests}
    assert len(peers) == 1, f"sequential requests used {len(peers)} upstream connections"


def test_client_connection_close_is_honoured(gatehouse, upstream):
    gw = gatehouse(simple_config(upstream.url))
    res = raw_exchange("127.0.0.1", gw.proxy_port,
                       b"GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", timeout=5)
    assert res.status == 200 and res.closed


def test_http10_client_gets_complete_response_and_close(gatehouse, upstream):
    gw = gatehouse(simple_config(upstream.url))
    res = raw_exchange("127.0.0.1", gw.proxy_port, b"GET /old HTTP/1.0\r\nHost: x\r\n\r\n", timeout=5)
    assert res.status == 200 and res.closed
    head, _, body = res.data.partition(b"\r\n\r\n")
    assert b"transfer-encoding: chunked" not in head.lower()
    assert json.loads(body)["path"] == "/old"


@pytest.mark.parametrize("method,path,status", [
    ("HEAD", "/head", 200),
    ("HEAD", "/bytes/5000?chunked=1", 200),
    ("GET", "/status/204", 204),
    ("GET", "/status/304", 304),
])
def test_bodyless_responses_keep_the_connection_framed(gatehouse, upstream, method, path, status):
    gw = gatehouse(simple_config(upstream.url))
    conn = http.client.HTTPConnection("127.0.0.1", gw.proxy_port, timeout=10)
    conn.request(method, path)
    r = conn.getresponse()
    assert r.status == status
    assert r.read() == b""
    if status in (204, 304):
        assert r.getheader("Transfer-Encoding") is None
        assert r.getheader("Content-Length") in (None, "0")
    # A stray body byte would corrupt the next response on this connection.
    conn.request("GET", "/after")
    r2 = conn.getresponse()
    assert r2.status == 200 and json.loads(r2.read())["path"] == "/after"
    conn.close()


def test_upstream_error_status_passes_through_unchanged(gatehouse, upstream):
    gw = gatehouse(simple_config(upstream.url))
    r = requests.get(gw.proxy_url + "/status/503", timeout=10)
    assert r.status_code == 503
    assert r.json()["path"] == "/status/503"  # the upstream's body, not a gateway error


def test_chunked_upload_is_forwarded_complete(gatehouse, upstream):
    gw = gatehouse(simple_config(upstream.url))
    pieces = [b"a" * 1000, b"b" * 70000, b"c" * 3]

    r = requests.post(gw.proxy_url + "/up", data=iter(pieces), timeout=20)
    assert r.status_code == 200
    assert r.json()["body_len"] == 71003
    assert r.json()["body"] == "".join(p.decode() for p in pieces)


@pytest.mark.parametrize("chunked", ["0", "1"])
def test_download_is_forwarded_complete(gatehouse, upstream, chunked):
    gw = gatehouse(simple_config(upstream.url))
    r = requests.get(f"{gw.proxy_url}/bytes/300000?chunked={chunked}", timeout=20)
    assert r.status_code == 200 and len(r.content) == 300000


def test_streamed_response_reaches_client_before_upstream_finishes(gatehouse, upstream):
    gw = gatehouse(simple_config(upstream.url))
    start = time.monotonic()
    with requests.get(gw.proxy_url + "/sse?n=3&interval_ms=700", stream=True, timeout=10) as r:
        assert r.headers["Content-Type"].startswith("text/event-stream")
        # One iterator, byte-sized reads: a larger chunk_size would make requests itself
        # wait for the whole body.
        lines = r.iter_lines(chunk_size=1)
        first = next(lines)
        first_at = time.monotonic() - start
        rest = b"\n".join(lines)
    assert first == b"id: 0"
    assert b"data: event 2" in rest
    assert first_at < 1.2, f"first event arrived after {first_at:.2f}s: the gateway buffered"


def test_expect_100_continue_gets_interim_response_before_body(gatehouse, upstream):
    gw = gatehouse(simple_config(upstream.url))
    s = socket.create_connection(("127.0.0.1", gw.proxy_port), timeout=5)
    s.sendall(b"POST /expect HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
    interim = s.recv(4096)
    assert interim.startswith(b"HTTP/1.1 100"), interim
    s.sendall(b"hello")
    status, _, body = read_response(s)
    s.close()
    assert status == 200
    assert json.loads(body)["body"] == "hello"


def kong_error(r, status, message):
    assert r.status_code == status, (r.status_code, r.text)
    body = r.json()
    assert body["message"] == message
    assert body["request_id"]


def test_unreachable_upstream_gives_502_after_retries_quickly(gatehouse):
    dead = f"http://127.0.0.1:{free_port()}"
    gw = gatehouse(simple_config(dead, service_extra="  retries: 5\n  connect_timeout: 1000\n"))
    start = time.monotonic()
    r = requests.get(gw.proxy_url + "/", timeout=15)
    kong_error(r, 502, KONG_502)
    assert time.monotonic() - start < 3.0


def test_upstream_closing_without_response_gives_502(gatehouse, upstream):
    gw = gatehouse(simple_config(upstream.url, service_extra="  retries: 0\n"))
    kong_error(requests.get(gw.proxy_url + "/close", timeout=10), 502, KONG_502)


def test_upstream_read_timeout_gives_504(gatehouse, upstream):
    gw = gatehouse(simple_config(upstream.url, service_extra="  retries: 0\n  read_timeout: 300\n"))
    start = time.monotonic()
    kong_error(requests.get(gw.proxy_url + "/delay/3000", timeout=10), 504, KONG_504)
    assert time.monotonic() - start < 2.5


def test_upstream_entity_without_targets_gives_503(gatehouse):
    cfg = """_format_version: "3.0"
upstreams:
- name: empty-upstream
services:
- name: s
  host: empty-upstream
  routes:
  - name: r
    paths: [/]
"""
    gw = gatehouse(cfg)
    kong_error(requests.get(gw.proxy_url + "/", timeout=10), 503, KONG_503_NO_PEER)


class ClosingServer:
    """Accepts connections, reads a little, closes without answering; counts the attempts."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.attempts = 0
        self._lock = threading.Lock()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            with self._lock:
                self.attempts += 1
            c.settimeout(2)
            try:
                c.recv(65536)
            except OSError:
                pass
            c.close()

    def close(self):
        self.sock.close()


@pytest.mark.parametrize("retries", [0, 2])
def test_idempotent_request_is_retried_service_retries_times(gatehouse, retries):
    srv = ClosingServer()
    try:
        gw = gatehouse(simple_config(f"http://127.0.0.1:{srv.port}",
                                     service_extra=f"  retries: {retries}\n"))
        kong_error(requests.get(gw.proxy_url + "/", timeout=10), 502, KONG_502)
        assert srv.attempts == retries + 1
    finally:
        srv.close()


def test_non_idempotent_request_is_not_retried_after_it_was_sent(gatehouse):
    # nginx (and so Kong) does not pass a POST to the next try once it was sent upstream.
    srv = ClosingServer()
    try:
        gw = gatehouse(simple_config(f"http://127.0.0.1:{srv.port}", service_extra="  retries: 3\n"))
        kong_error(requests.post(gw.proxy_url + "/", data=b"x" * 10, timeout=10), 502, KONG_502)
        assert srv.attempts == 1
    finally:
        srv.close()


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_body_over_client_max_body_size_is_413_and_never_reaches_upstream(gatehouse, upstream, framing):
    gw = gatehouse(simple_config(upstream.url), extra_args=["--set", "client_max_body_size=1k"])
    body = b"x" * 2000
    if framing == "content-length":
        head = b"POST /limited HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\n"
        payload = head + body
    else:
        head = b"POST /limited HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        payload = head + b"7d0\r\n" + body + b"\r\n0\r\n\r\n"
    res = raw_exchange("127.0.0.1", gw.proxy_port, payload, 5.0)
    assert res.status == 413, res
    assert b"Request size limit exceeded" in res.data or b"Payload too large" in res.data
    assert not [r for r in upstream.requests if r["path"] == "/limited"]
    # A body under the limit still passes.
    r = requests.post(gw.proxy_url + "/limited", data=b"y" * 500, timeout=5)
    assert r.status_code == 200 and r.json()["body_len"] == 500
