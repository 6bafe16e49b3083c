"""The consumer an auth plugin resolves flows through the request to every later consumer of it:
acl groups, rate-limiting by consumer, the upstream's X-Consumer-* headers, the access log and
the prometheus consumer label (issue 3, point 3) — and secrets never reach the process output.

One real gateway (2 workers, access log on stdout or in a file, debug logging so that any
careless log line would show) with key-auth + acl + rate-limiting + prometheus on one service.
"""
from __future__ import annotations

import json
import time

import pytest
import requests

from echo_upstream import header_values
from test_prometheus import scrape

CONSUMERS = [
    {"username": "alice", "custom_id": "alice-1",
     "keyauth_credentials": [{"key": "alice-key-9f3c"}], "acls": [{"group": "admins"}]},
    {"username": "carol", "keyauth_credentials": [{"key": "carol-key-77ab"}], "acls": [{"group": "admins"}]},
    {"username": "bob", "keyauth_credentials": [{"key": "bob-key-5e1d"}], "acls": [{"group": "users"}]},
]
ROUTE = {"service": "echo", "route": "echo-route", "workspace": "default"}
SECRETS = ("alice-key-9f3c", "carol-key-77ab", "bob-key-5e1d", "s3cr3t", "wrong-k3y-0000")


def flow_config(upstream_url: str) -> str:
    return json.dumps({
        "_format_version": "3.0",
        "services": [{
            "name": "echo", "url": upstream_url,
            "routes": [{"name": "echo-route", "paths": ["/"]}],
            "plugins": [
                {"name": "key-auth"},
                {"name": "acl", "config": {"allow": ["admins"]}},
                {"name": "rate-limiting", "config": {"minute": 2, "limit_by": "consumer"}},
                {"name": "prometheus", "config": {"per_consumer": True}},
            ],
        }],
        "consumers": CONSUMERS,
    })


def window_with_room(period_s: int, need_s: float):
    left = period_s - (time.time() % period_s)
    if left < need_s:
        time.sleep(left + 0.02)


def access_entries(read_lines, count: int) -> list[dict]:
    """The JSON access-log lines, once `count` are there (they are written after the response,
    in the log phase, so the last ones may trail the client's view a little)."""
    deadline = time.monotonic() + 10
    while True:
        entries = []
        for line in read_lines():
            line = line.strip()
            if line.startswith("{"):
                entries.append(json.loads(line))
        if len(entries) >= count or time.monotonic() > deadline:
            return entries
        time.sleep(0.01)


def get(gw, path="/x", **headers):
    return requests.get(gw.proxy_url + path, headers=headers, timeout=10)


def test_consumer_flows_to_acl_rate_limit_upstream_headers_access_log_and_metrics(gatehouse, upstream):
    gw = gatehouse(flow_config(upstream.url), ["--access-log", "stdout"], workers=2)
    window_with_room(60, 8)
    alice = [get(gw, apikey="alice-key-9f3c") for _ in range(3)]
    assert [r.status_code for r in alice] == [200, 200, 429]
    first = alice[0].json()["headers"]
    assert header_values(first, "X-Consumer-Username") == ["alice"]
    assert header_values(first, "X-Consumer-Custom-ID") == ["alice-1"]
    assert header_values(first, "X-Consumer-Groups") == ["admins"]
    assert alice[1].headers["X-RateLimit-Remaining-Minute"] == "0"
    assert alice[2].json()["message"] == "API rate limit exceeded"
    # carol has her own counter (limit_by consumer), bob is not in the allowed group, and a
    # request without a key never reaches acl or rate-limiting.
    carol = get(gw, apikey="carol-key-77ab")
    assert carol.status_code == 200 and carol.headers["X-RateLimit-Remaining-Minute"] == "1"
    bob = get(gw, apikey="bob-key-5e1d")
    assert bob.status_code == 403 and bob.json()["message"] == "You cannot consume this service"
    assert "X-RateLimit-Limit-Minute" not in bob.headers  # acl (950) runs before rate-limiting (910)
    assert get(gw).status_code == 401

    entries = access_entries(lambda: list(gw.stdout_lines), 6)
    seen = sorted((e["consumer"], e["status"]) for e in entries)
    assert seen == [("", 401), ("alice", 200), ("alice", 200), ("alice", 429), ("bob", 403),
                    ("carol", 200)]
    ids = {e["request_id"] for e in entries}
    assert alice[2].json()["request_id"] in ids
    assert all(e["route"] == "echo-route" and e["service"] == "echo" for e in entries)

    m = scrape(gw, 6)
    assert m.value("kong_http_requests_total", code=200, source="service", consumer="alice", **ROUTE) == 2
    assert m.value("kong_http_requests_total", code=200, source="service", consumer="carol", **ROUTE) == 1
    assert m.value("kong_http_requests_total", code=401, source="kong", consumer="", **ROUTE) == 1
    assert m.total("kong_http_requests_total", code=429) == 1
    assert m.total("kong_http_requests_total", code=403) == 1


def test_requests_refused_after_authentication_keep_the_consumer_label(gatehouse, upstream):
    gw = gatehouse(flow_config(upstream.url))
    window_with_room(60, 8)
    assert [get(gw, apikey="alice-key-9f3c").status_code for _ in range(3)] == [200, 200, 429]
    assert get(gw, apikey="bob-key-5e1d").status_code == 403
    m = scrape(gw, 4)
    assert m.value("kong_http_requests_total", code=429, source="kong", consumer="alice", **ROUTE) == 1
    assert m.value("kong_http_requests_total", code=403, source="kong", consumer="bob", **ROUTE) == 1


def send_secrets(gw):
    """Requests carrying every kind of secret: valid and invalid keys in header and query,
    an Authorization bearer token, a cookie, and a refused (429) request."""
    rs = [
        get(gw, apikey="alice-key-9f3c", Authorization="Bearer s3cr3t"),
        get(gw, "/x?apikey=alice-key-9f3c&q=1", Authorization="Bearer s3cr3t"),
        get(gw, "/x?apikey=carol-key-77ab"),
        get(gw, apikey="wrong-k3y-0000", Authorization="Bearer s3cr3t"),
        get(gw, "/x?apikey=wrong-k3y-0000"),
        get(gw, apikey="bob-key-5e1d", **{"Proxy-Authorization": "Basic s3cr3t"}),
        get(gw, apikey="alice-key-9f3c", Cookie="session=s3cr3t"),
    ]
    assert [r.status_code for r in rs] == [200, 200, 200, 401, 401, 403, 429]
    return rs


def test_no_secret_reaches_stdout_stderr_or_the_access_log(gatehouse, upstream):
    gw = gatehouse(flow_config(upstream.url), ["--access-log", "stdout", "--log-level", "debug"],
                   workers=2)
    window_with_room(60, 8)
    send_secrets(gw)
    entries = access_entries(lambda: list(gw.stdout_lines), 7)
    assert len(entries) == 7
    assert sorted(e["consumer"] for e in entries) == ["", "", "alice", "alice", "alice", "bob", "carol"]
    assert gw.stop() == 0  # flushes and closes stderr
    output = "\n".join(gw.stdout_lines) + "\n" + gw.stderr_text()
    for secret in SECRETS:
        assert secret not in output, f"{secret!r} found in the process output"


def test_access_log_file_has_the_consumer_and_no_secret(gatehouse, upstream, tmp_path):
    log_path = tmp_path / "access.log"
    gw = gatehouse(flow_config(upstream.url), ["--access-log", str(log_path), "--log-level", "debug"])
    window_with_room(60, 8)
    send_secrets(gw)
    entries = access_entries(lambda: log_path.read_text().splitlines() if log_path.exists() else [], 7)
    assert sorted(e["consumer"] for e in entries) == ["", "", "alice", "alice", "alice", "bob", "carol"]
    by_status = {e["status"] for e in entries}
    assert by_status == {200, 401, 403, 429}
    assert gw.stop() == 0
    everything = log_path.read_text() + "\n".join(gw.stdout_lines) + gw.stderr_text()
    for secret in SECRETS:
        assert secret not in everything, f"{secret!r} found in the logs"
