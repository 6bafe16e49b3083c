"""Header handling through the real binary: X-Forwarded-*, X-Real-IP (with and without
trusted_ips), X-Request-Id, Via, hop-by-hop removal both ways, duplicates, WebSocket upgrade.

Kong's rules (kong/runloop/handler.lua): X-Forwarded-For appends the peer address to what the
client sent; X-Forwarded-Proto/Host/Port from an untrusted peer are replaced by the gateway's
own view, from a trusted peer (trusted_ips) they are passed on.
"""
from __future__ import annotations

import http.client
import json
import socket

import pytest
import requests

from configs import simple_config
from echo_upstream import header_values
from gateway_process import HttpReader


@pytest.fixture
def gw(gatehouse, upstream):
    return gatehouse(simple_config(upstream.url))


def forwarded(r, name):
    return header_values(r.json()["headers"], name)


def test_forwarded_headers_from_untrusted_client_are_overwritten(gw):
    r = requests.get(gw.proxy_url + "/f", timeout=10, headers={
        "Host": "api.example:9000",
        "X-Forwarded-For": "1.2.3.4",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "evil.example",
        "X-Forwarded-Port": "1",
        "X-Real-IP": "9.9.9.9",
    })
    assert forwarded(r, "X-Forwarded-For") == ["1.2.3.4, 127.0.0.1"]
    assert forwarded(r, "X-Forwarded-Proto") == ["http"]
    assert forwarded(r, "X-Forwarded-Host") == ["api.example"]
    assert forwarded(r, "X-Forwarded-Port") == [str(gw.proxy_port)]
    assert forwarded(r, "X-Real-IP") == ["127.0.0.1"]


def test_forwarded_for_is_the_peer_when_client_sent_none(gw):
    r = requests.get(gw.proxy_url + "/f", timeout=10)
    assert forwarded(r, "X-Forwarded-For") == ["127.0.0.1"]
    assert forwarded(r, "X-Real-IP") == ["127.0.0.1"]


def test_forwarded_headers_from_trusted_client_are_kept(gatehouse, upstream):
    gw = gatehouse(simple_config(upstream.url), env={"GATEHOUSE_TRUSTED_IPS": "127.0.0.1"})
    r = requests.get(gw.proxy_url + "/f", timeout=10, headers={
        "X-Forwarded-For": "1.2.3.4",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "public.example",
        "X-Forwarded-Port": "443",
    })
    assert forwarded(r, "X-Forwarded-For") == ["1.2.3.4, 127.0.0.1"]
    assert forwarded(r, "X-Forwarded-Proto") == ["https"]
    assert forwarded(r, "X-Forwarded-Host") == ["public.example"]
    assert forwarded(r, "X-Forwarded-Port") == ["443"]


def test_request_id_is_generated_sent_upstream_and_returned(gw):
    r1 = requests.get(gw.proxy_url + "/id", timeout=10)
    r2 = requests.get(gw.proxy_url + "/id", timeout=10)
    ids = []
    for r in (r1, r2):
        sent = forwarded(r, "X-Request-Id")
        assert len(sent) == 1 and sent[0]
        assert r.headers["X-Request-Id"] == sent[0]
        ids.append(sent[0])
    assert ids[0] != ids[1]


def test_client_request_id_is_propagated(gw):
    r = requests.get(gw.proxy_url + "/id", headers={"X-Request-Id": "client-id-123"}, timeout=10)
    assert forwarded(r, "X-Request-Id") == ["client-id-123"]
    assert r.headers["X-Request-Id"] == "client-id-123"


def test_response_carries_via(gw):
    r = requests.get(gw.proxy_url + "/via", timeout=10)
    assert r.headers["Via"].startswith("1.1 ")


KONG_RESPONSE_HEADERS = ("Via", "X-Kong-Upstream-Latency", "X-Kong-Proxy-Latency",
                         "X-Kong-Request-Id", "X-Kong-Upstream-Status")


def kong_headers_of(r):
    return {h for h in KONG_RESPONSE_HEADERS if h in r.headers}


def local_answer(gw):
    """A response the gateway makes itself: no route matches /nowhere."""
    return requests.get(gw.proxy_url + "/nowhere", timeout=10)


def test_kong_headers_by_default(gatehouse, upstream):
    gw = gatehouse(simple_config(upstream.url, route_paths=("/p",)))
    r = requests.get(gw.proxy_url + "/p", timeout=10)
    assert kong_headers_of(r) == {"Via", "X-Kong-Upstream-Latency", "X-Kong-Proxy-Latency",
                                  "X-Kong-Request-Id"}
    miss = local_answer(gw)
    assert miss.status_code == 404
    assert miss.headers["Server"].startswith("gatehouse/")
    assert int(miss.headers["X-Kong-Response-Latency"]) >= 0
    assert miss.headers["X-Kong-Request-Id"] == miss.json()["request_id"]
    admin = requests.get(gw.admin_url + "/status", timeout=10)
    assert int(admin.headers["X-Kong-Admin-Latency"]) >= 0


def test_kong_headers_off_keeps_only_x_request_id(gatehouse, upstream):
    gw = gatehouse(simple_config(upstream.url, route_paths=("/p",)),
                   env={"GATEHOUSE_HEADERS": "off"})
    r = requests.get(gw.proxy_url + "/p", timeout=10)
    assert r.status_code == 200
    assert kong_headers_of(r) == set()
    assert r.headers["X-Request-Id"] == forwarded(r, "X-Request-Id")[0]
    miss = local_answer(gw)
    assert miss.status_code == 404
    for h in ("Server", "X-Kong-Response-Latency", "X-Kong-Request-Id"):
        assert h not in miss.headers
    assert miss.headers["X-Request-Id"] == miss.json()["request_id"]
    admin = requests.get(gw.admin_url + "/status", timeout=10)
    assert "X-Kong-Admin-Latency" not in admin.headers and "Server" not in admin.headers


def test_kong_headers_list_chooses_them(gatehouse, upstream):
    gw = gatehouse(simple_config(upstream.url, route_paths=("/p",)),
                   extra_args=["--set", "headers=via, X-Kong-Upstream-Status"])
    r = requests.get(gw.proxy_url + "/p", timeout=10, headers={"Via": "1.0 edge"})
    assert kong_headers_of(r) == {"Via", "X-Kong-Upstream-Status"}
    assert r.headers["X-Kong-Upstream-Status"] == "200"
    assert r.headers["Via"].endswith("1.1 gatehouse")


def test_bad_kong_headers_setting_is_refused_at_start(gatehouse_bin):
    import subprocess
    out = subprocess.run([str(gatehouse_bin), "run", "--set", "headers=off, via"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode != 0
    assert "headers: 'off' cannot be combined" in out.stderr


def test_hop_by_hop_request_headers_are_not_forwarded(gw):
    r = requests.get(gw.proxy_url + "/hop", timeout=10, headers={
        "Connection": "keep-alive, X-Drop-Me",
        "X-Drop-Me": "secret-hop",
        "Keep-Alive": "timeout=5",
        "TE": "gzip",
        "Trailer": "X-Checksum",
        "Upgrade": "h2c",
        "Proxy-Connection": "keep-alive",
        "Proxy": "http://attacker.example",
        "X-Keep-Me": "yes",
    })
    assert r.status_code == 200
    sent = {k.lower() for k, _ in r.json()["headers"]}
    for hop in ("x-drop-me", "keep-alive", "te", "trailer", "upgrade", "proxy-connection", "proxy"):
        assert hop not in sent, f"hop-by-hop header {hop} reached the upstream"
    assert forwarded(r, "X-Keep-Me") == ["yes"]


def test_te_trailers_is_forwarded_other_te_values_are_not(gw):
    # Kong sets the upstream TE to "trailers" only when the client asked for trailers (gRPC).
    r = requests.get(gw.proxy_url + "/te", headers={"TE": "gzip, trailers"}, timeout=10)
    assert forwarded(r, "TE") == ["trailers"]


def test_proxy_authorization_is_not_forwarded(gw):
    # Kong clears Proxy-Authorization before proxying (kong/runloop/handler.lua, access.after:
    # "clear the proxy-authorization header only in case the plugin didn't specify it"):
    # credentials meant for a proxy must not leak to the upstream.
    r = requests.get(gw.proxy_url + "/pa", timeout=10,
                     headers={"Proxy-Authorization": "Basic dXNlcjpwYXNz"})
    assert r.status_code == 200
    assert forwarded(r, "Proxy-Authorization") == []


def test_hop_by_hop_response_headers_are_not_returned(gw):
    path = ("/response-headers?Connection=X-Hop&X-Hop=1&Keep-Alive=timeout%3D99"
            "&Upgrade=h2c&Proxy-Authenticate=Basic&Trailer=X-Sum&X-Keep=yes")
    r = requests.get(gw.proxy_url + path, timeout=10)
    assert r.status_code == 200
    assert "X-Hop" not in r.headers
    assert r.headers.get("Keep-Alive") != "timeout=99"
    assert "Upgrade" not in r.headers
    assert "Proxy-Authenticate" not in r.headers  # Kong header_filter clears it
    assert "Trailer" not in r.headers  # the client did not send TE: trailers
    assert r.headers["X-Keep"] == "yes"


def test_repeated_request_headers_all_reach_upstream(gw):
    conn = http.client.HTTPConnection("127.0.0.1", gw.proxy_port, timeout=10)
    conn.putrequest("GET", "/dup")
    conn.putheader("X-Multi", "a")
    conn.putheader("X-Multi", "b")
    conn.endheaders()
    r = conn.getresponse()
    values = header_values(json.loads(r.read())["headers"], "X-Multi")
    conn.close()
    assert values in (["a", "b"], ["a, b"])


def test_repeated_set_cookie_headers_stay_separate(gw):
    s = socket.create_connection(("127.0.0.1", gw.proxy_port), timeout=10)
    s.sendall(b"GET /response-headers?Set-Cookie=a%3D1&Set-Cookie=b%3D2 HTTP/1.1\r\nHost: x\r\n\r\n")
    status, headers, _ = HttpReader(s).response()
    s.close()
    assert status == 200
    assert headers["set-cookie"] == ["a=1", "b=2"]


def test_websocket_upgrade_is_tunnelled_both_ways(gw, upstream):
    s = socket.create_connection(("127.0.0.1", gw.proxy_port), timeout=10)
    s.sendall(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    reader = HttpReader(s)
    status, headers, _ = reader.response(skip_interim=False)
    assert status == 101
    assert headers["sec-websocket-accept"] == ["s3pPLMBiTxaQ9kYGzzhZRbK+xOo="]
    assert headers["upgrade"][0].lower() == "websocket"
    frame = b"\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58"  # masked "Hello" (RFC 6455 5.7)
    s.sendall(frame)
    assert reader.exact(len(frame)) == frame
    s.sendall(b"second message")
    assert reader.exact(14) == b"second message"
    s.close()
    rec = [r for r in upstream.requests if r["path"] == "/ws"][0]
    assert header_values(rec["headers"], "Upgrade") == ["websocket"]


@pytest.mark.parametrize("recursive,client_ip", [("off", "10.0.0.5"), ("on", "1.2.3.4")])
def test_real_ip_recursive_skips_trusted_proxies_in_x_forwarded_for(gatehouse, upstream, recursive, client_ip):
    gw = gatehouse(simple_config(upstream.url),
                   extra_args=["--trusted-ips", "127.0.0.1,10.0.0.0/8",
                               "--set", f"real_ip_recursive={recursive}"])
    r = requests.get(gw.proxy_url + "/rip", timeout=10,
                     headers={"X-Forwarded-For": "1.2.3.4, 10.0.0.5"})
    assert forwarded(r, "X-Real-IP") == [client_ip]
    assert forwarded(r, "X-Forwarded-For") == ["1.2.3.4, 10.0.0.5, 127.0.0.1"]
