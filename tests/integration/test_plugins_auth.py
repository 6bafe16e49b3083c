"""Kong's key-auth, acl, ip-restriction, cors, request-size-limiting, request-termination and
response-transformer plugins through the real binary, against the echo upstream.

Each test states the Kong behaviour it checks (kong/plugins/<name>/handler.lua, Kong 3.10).
Configs are written as JSON, which is valid YAML for the declarative loader.
"""
from __future__ import annotations

import json
import socket

import pytest
import requests

from echo_upstream import header_values


def kong_config(upstream_url: str, plugins: list, consumers: list | None = None) -> str:
    return json.dumps({
        "_format_version": "3.0",
        "services": [{
            "name": "echo",
            "url": upstream_url,
            "routes": [{"name": "echo-route", "paths": ["/"]}],
            "plugins": plugins,
        }],
        "consumers": consumers or [],
    })


CONSUMERS = [
    {"username": "alice", "custom_id": "alice-1",
     "keyauth_credentials": [{"key": "alice-key"}], "acls": [{"group": "admins"}]},
    {"username": "bob", "keyauth_credentials": [{"key": "bob-key"}], "acls": [{"group": "users"}]},
]


def upstream_header(r, name):
    return header_values(r.json()["headers"], name)


# --- key-auth -------------------------------------------------------------------------------

@pytest.fixture
def key_auth_gw(gatehouse, upstream):
    return gatehouse(kong_config(upstream.url, [{"name": "key-auth", "config": {"realm": "gh"}}], CONSUMERS))


def test_key_auth_missing_key_is_401_with_kong_body_and_www_authenticate(key_auth_gw):
    r = requests.get(key_auth_gw.proxy_url + "/x", timeout=10)
    assert r.status_code == 401
    assert r.json()["message"] == "No API key found in request"
    assert r.json()["request_id"]
    assert r.headers["WWW-Authenticate"] == 'Key realm="gh"'


def test_key_auth_unknown_key_is_401_unauthorized(key_auth_gw):
    r = requests.get(key_auth_gw.proxy_url + "/x", headers={"apikey": "nope"}, timeout=10)
    assert r.status_code == 401
    assert r.json()["message"] == "Unauthorized"


def test_key_auth_valid_header_key_sends_consumer_headers_upstream(key_auth_gw):
    r = requests.get(key_auth_gw.proxy_url + "/x", headers={"apikey": "alice-key"}, timeout=10)
    assert r.status_code == 200
    assert upstream_header(r, "X-Consumer-Username") == ["alice"]
    assert upstream_header(r, "X-Consumer-Custom-ID") == ["alice-1"]
    assert len(upstream_header(r, "X-Consumer-ID")) == 1
    assert len(upstream_header(r, "X-Credential-Identifier")) == 1
    assert upstream_header(r, "X-Anonymous-Consumer") == []


def test_key_auth_query_key_accepted_and_hidden_with_hide_credentials(gatehouse, upstream):
    gw = gatehouse(kong_config(upstream.url, [{"name": "key-auth", "config": {"hide_credentials": True}}],
                               CONSUMERS))
    r = requests.get(gw.proxy_url + "/x?a=1&apikey=bob-key", timeout=10)
    assert r.status_code == 200
    assert r.json()["query"] == "a=1"
    assert upstream_header(r, "X-Consumer-Username") == ["bob"]


def test_key_auth_key_in_form_body(gatehouse, upstream):
    gw = gatehouse(kong_config(upstream.url, [{"name": "key-auth", "config": {
        "key_in_body": True, "hide_credentials": True}}], CONSUMERS))
    r = requests.post(gw.proxy_url + "/x", data={"apikey": "bob-key", "n": "1"}, timeout=10)
    assert r.status_code == 200
    assert r.json()["body"] == "n=1"


def test_key_auth_anonymous_consumer_when_key_missing(gatehouse, upstream):
    consumers = CONSUMERS + [{"username": "guest"}]
    gw = gatehouse(kong_config(upstream.url, [{"name": "key-auth", "config": {"anonymous": "guest"}}], consumers))
    r = requests.get(gw.proxy_url + "/x", timeout=10)
    assert r.status_code == 200
    assert upstream_header(r, "X-Anonymous-Consumer") == ["true"]
    assert upstream_header(r, "X-Consumer-Username") == ["guest"]


# --- acl ------------------------------------------------------------------------------------

@pytest.fixture
def acl_gw(gatehouse, upstream):
    return gatehouse(kong_config(upstream.url, [
        {"name": "key-auth"}, {"name": "acl", "config": {"allow": ["admins"]}}], CONSUMERS))


def test_acl_allowed_group_passes_with_x_consumer_groups(acl_gw):
    r = requests.get(acl_gw.proxy_url + "/x", headers={"apikey": "alice-key"}, timeout=10)
    assert r.status_code == 200
    assert upstream_header(r, "X-Consumer-Groups") == ["admins"]


def test_acl_other_group_is_403_you_cannot_consume_this_service(acl_gw):
    r = requests.get(acl_gw.proxy_url + "/x", headers={"apikey": "bob-key"}, timeout=10)
    assert r.status_code == 403
    assert r.json()["message"] == "You cannot consume this service"


def test_acl_runs_after_key_auth_so_missing_key_is_still_401(acl_gw):
    r = requests.get(acl_gw.proxy_url + "/x", timeout=10)
    assert r.status_code == 401


# --- ip-restriction -------------------------------------------------------------------------

def test_ip_restriction_denied_client_gets_403_naming_its_address(gatehouse, upstream):
    gw = gatehouse(kong_config(upstream.url, [{"name": "ip-restriction", "config": {"deny": ["127.0.0.0/8"]}}]))
    r = requests.get(gw.proxy_url + "/x", timeout=10)
    assert r.status_code == 403
    assert r.json()["message"] == "IP address not allowed: 127.0.0.1"


def test_ip_restriction_uses_forwarded_address_only_from_trusted_peer(gatehouse, upstream):
    cfg = kong_config(upstream.url, [{"name": "ip-restriction", "config": {
        "allow": ["10.1.0.0/16"], "status": 401, "message": "nope"}}])
    untrusted = gatehouse(cfg)
    r = requests.get(untrusted.proxy_url + "/x", headers={"X-Forwarded-For": "10.1.2.3"}, timeout=10)
    assert r.status_code == 401
    assert r.json()["message"] == "nope"
    trusted = gatehouse(cfg, env={"GATEHOUSE_TRUSTED_IPS": "127.0.0.1"})
    r = requests.get(trusted.proxy_url + "/x", headers={"X-Forwarded-For": "10.1.2.3"}, timeout=10)
    assert r.status_code == 200


# --- cors -----------------------------------------------------------------------------------

@pytest.fixture
def cors_gw(gatehouse, upstream):
    return gatehouse(kong_config(upstream.url, [{"name": "cors", "config": {
        "origins": ["http://a.example", "https://.*\\.b\\.example"], "credentials": True,
        "max_age": 600, "exposed_headers": ["X-Total"]}}]))


def test_cors_preflight_is_answered_by_gateway_with_200(cors_gw, upstream):
    r = requests.options(cors_gw.proxy_url + "/x", headers={
        "Origin": "https://api.b.example", "Access-Control-Request-Method": "PUT"}, timeout=10)
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == "https://api.b.example"
    assert r.headers["Access-Control-Allow-Credentials"] == "true"
    assert r.headers["Access-Control-Max-Age"] == "600"
    assert "PUT" in r.headers["Access-Control-Allow-Methods"]
    assert upstream.requests == [] or all(q["method"] != "OPTIONS" for q in upstream.requests)


def test_cors_actual_request_gets_allow_origin_expose_and_vary(cors_gw):
    r = requests.get(cors_gw.proxy_url + "/x", headers={"Origin": "http://a.example"}, timeout=10)
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == "http://a.example"
    assert r.headers["Access-Control-Expose-Headers"] == "X-Total"
    assert "Origin" in r.headers["Vary"]


def test_cors_unlisted_origin_gets_no_allow_origin(cors_gw):
    r = requests.get(cors_gw.proxy_url + "/x", headers={"Origin": "http://evil.example"}, timeout=10)
    assert "Access-Control-Allow-Origin" not in r.headers


# --- request-size-limiting ------------------------------------------------------------------

@pytest.fixture
def size_gw(gatehouse, upstream):
    return gatehouse(kong_config(upstream.url, [{"name": "request-size-limiting", "config": {
        "allowed_payload_size": 1, "size_unit": "kilobytes"}}]))


def test_size_limit_content_length_over_limit_is_413(size_gw):
    r = requests.post(size_gw.proxy_url + "/x", data=b"x" * 1025, timeout=10)
    assert r.status_code == 413
    assert r.json()["message"] == "Request size limit exceeded"


def test_size_limit_at_limit_passes(size_gw):
    r = requests.post(size_gw.proxy_url + "/x", data=b"x" * 1024, timeout=10)
    assert r.status_code == 200


def send_all_then_read(port: int, payload: bytes) -> bytes:
    """Sends the whole request in one write (so the gateway never leaves unread bytes behind
    when it answers early), then reads until the gateway closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(payload)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    return data


def test_size_limit_chunked_body_over_limit_is_413_and_never_reaches_upstream(size_gw, upstream):
    body = b"3e8\r\n" + b"y" * 1000 + b"\r\n" + b"64\r\n" + b"z" * 100 + b"\r\n0\r\n\r\n"
    data = send_all_then_read(size_gw.proxy_port, b"POST /x HTTP/1.1\r\nHost: t\r\n"
                              b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + body)
    assert data.startswith(b"HTTP/1.1 413")
    assert b"Request size limit exceeded" in data
    assert [q for q in upstream.requests if q["path"] == "/x"] == []


def test_size_limit_chunked_body_under_limit_passes(size_gw):
    body = b"3e8\r\n" + b"y" * 1000 + b"\r\n0\r\n\r\n"
    data = send_all_then_read(size_gw.proxy_port, b"POST /x HTTP/1.1\r\nHost: t\r\n"
                              b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + body)
    assert data.startswith(b"HTTP/1.1 200")


def test_size_limit_expect_continue_over_limit_is_417_before_body_is_sent(size_gw):
    with socket.create_connection(("127.0.0.1", size_gw.proxy_port), timeout=10) as s:
        s.sendall(b"POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 2048\r\n"
                  b"Expect: 100-continue\r\nConnection: close\r\n\r\n")
        data = s.recv(65536)
    assert data.startswith(b"HTTP/1.1 417")


def test_size_limit_require_content_length_is_411(gatehouse, upstream):
    gw = gatehouse(kong_config(upstream.url, [{"name": "request-size-limiting", "config": {
        "require_content_length": True}}]))
    with socket.create_connection(("127.0.0.1", gw.proxy_port), timeout=10) as s:
        s.sendall(b"POST /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    assert data.startswith(b"HTTP/1.1 411")
    assert b"A valid Content-Length header is required" in data


# --- request-termination / response-transformer ---------------------------------------------

def test_request_termination_default_is_503_service_unavailable(gatehouse, upstream):
    gw = gatehouse(kong_config(upstream.url, [{"name": "request-termination"}]))
    r = requests.get(gw.proxy_url + "/x", timeout=10)
    assert r.status_code == 503
    assert r.json() == {"message": "Service unavailable"}
    assert upstream.requests == []


def test_request_termination_trigger_only_when_header_present(gatehouse, upstream):
    gw = gatehouse(kong_config(upstream.url, [{"name": "request-termination", "config": {
        "status_code": 418, "message": "teapot", "trigger": "X-Stop"}}]))
    assert requests.get(gw.proxy_url + "/x", timeout=10).status_code == 200
    r = requests.get(gw.proxy_url + "/x", headers={"X-Stop": "1"}, timeout=10)
    assert r.status_code == 418
    assert r.json() == {"message": "teapot"}


def test_response_transformer_edits_headers_and_json_body(gatehouse, upstream):
    gw = gatehouse(kong_config(upstream.url, [{"name": "response-transformer", "config": {
        "add": {"headers": ["X-Added:yes"], "json": ["added:1"], "json_types": ["number"]},
        "remove": {"json": ["headers"]},
        "rename": {"headers": ["Content-Type:X-Original-Type"]}}}]))
    r = requests.get(gw.proxy_url + "/x", timeout=10)
    assert r.status_code == 200
    assert r.headers["X-Added"] == "yes"
    assert r.headers["X-Original-Type"] == "application/json"
    assert "Content-Type" not in r.headers
    # Content-Type was renamed away in header_filter, so the body stays as the upstream sent it
    assert "headers" in json.loads(r.content)


def test_response_transformer_json_body_fields(gatehouse, upstream):
    gw = gatehouse(kong_config(upstream.url, [{"name": "response-transformer", "config": {
        "add": {"json": ["added:1"], "json_types": ["number"]},
        "remove": {"json": ["headers"]}}}]))
    r = requests.get(gw.proxy_url + "/x", timeout=10)
    body = r.json()
    assert body["added"] == 1
    assert "headers" not in body
    assert body["path"] == "/x"
