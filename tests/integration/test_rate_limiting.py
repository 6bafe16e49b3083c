"""Kong's rate-limiting plugin (policy local) through the real binary, against the echo upstream.

Kong's behaviour is kong/plugins/rate-limiting/handler.lua and schema.lua (Kong 3.10): the
headers of every configured period, the most restrictive window in RateLimit-*, Retry-After on
a refusal, the 429 body, limit_by with the fallback to the forwarded client address, and the
schema's messages. Gatehouse differs on purpose in one place: admission is exact under
concurrency (Kong issue 5311), checked with 200 concurrent clients through 2 workers.

Fixed windows are aligned to the wall clock (UTC), so tests that count inside one window first
wait until the window has enough time left (`window_with_room`); that is a clock condition,
not synchronisation with the gateway.
"""
from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import threading
import time

import pytest
import requests

from gateway_process import HttpReader, StartupError

RL_HEADERS = ("X-RateLimit-Limit-Second", "X-RateLimit-Remaining-Second",
              "X-RateLimit-Limit-Minute", "X-RateLimit-Remaining-Minute",
              "X-RateLimit-Limit-Hour", "X-RateLimit-Remaining-Hour",
              "X-RateLimit-Limit-Day", "X-RateLimit-Remaining-Day",
              "X-RateLimit-Limit-Month", "X-RateLimit-Remaining-Month",
              "X-RateLimit-Limit-Year", "X-RateLimit-Remaining-Year",
              "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "Retry-After")


def kong_config(upstream_url: str, plugins: list, consumers: list | None = None,
                services: list | None = None, global_plugins: list | None = None) -> str:
    """One service "echo" (routes "/" unless `services` is given) carrying `plugins`."""
    if services is None:
        services = [{"name": "echo", "url": upstream_url,
                     "routes": [{"name": "echo-route", "paths": ["/"]}], "plugins": plugins}]
    return json.dumps({"_format_version": "3.0", "services": services,
                       "consumers": consumers or [], "plugins": global_plugins or []})


def rate_limiting(**config) -> dict:
    return {"name": "rate-limiting", "config": config}


CONSUMERS = [
    {"username": "alice", "keyauth_credentials": [{"key": "alice-key"}, {"key": "alice-key-2"}]},
    {"username": "bob", "keyauth_credentials": [{"key": "bob-key"}]},
]


def window_with_room(period_s: int, need_s: float):
    """Waits, if needed, until the current fixed window of `period_s` has `need_s` left."""
    left = period_s - (time.time() % period_s)
    if left < need_s:
        time.sleep(left + 0.02)


def start_of_next(period_s: float, offset_s: float = 0.02):
    """Waits until `offset_s` after the next multiple of `period_s` (wall clock)."""
    now = time.time()
    time.sleep(period_s - (now % period_s) + offset_s)


def get(gw, path="/x", **headers):
    return requests.get(gw.proxy_url + path, headers=headers, timeout=10)


def statuses(gw, n, path="/x", **headers):
    return [get(gw, path, **headers).status_code for _ in range(n)]


# --- headers and the 429 ----------------------------------------------------------------------

def test_admitted_requests_carry_kong_headers_with_remaining_after_this_request(gatehouse, upstream):
    gw = gatehouse(kong_config(upstream.url, [rate_limiting(minute=3)]))
    window_with_room(60, 5)
    seen = []
    for expected_remaining in (2, 1, 0):
        t0 = time.time()
        r = get(gw)
        t1 = time.time()
        assert r.status_code == 200
        assert r.headers["X-RateLimit-Limit-Minute"] == "3"
        assert r.headers["X-RateLimit-Remaining-Minute"] == str(expected_remaining)
        assert r.headers["RateLimit-Limit"] == "3"
        assert r.headers["RateLimit-Remaining"] == str(expected_remaining)
        # Kong: reset = window - floor(elapsed seconds in the window), at least 1.
        reset = int(r.headers["RateLimit-Reset"])
        assert 60 - math.floor(t1 % 60) - 1 <= reset <= 60 - math.floor(t0 % 60) + 1
        assert "Retry-After" not in r.headers
        assert "X-RateLimit-Limit-Second" not in r.headers  # only configured periods
        seen.append(r)
    assert seen[0].json()["path"] == "/x"  # the upstream really answered


def test_refused_request_is_429_with_kong_body_retry_after_and_zero_remaining(gatehouse, upstream):
    gw = gatehouse(kong_config(upstream.url, [rate_limiting(minute=2)]))
    window_with_room(60, 5)
    assert statuses(gw, 2) == [200, 200]
    r = get(gw)
    assert r.status_code == 429
    assert r.headers["Content-Type"].startswith("application/json")
    body = r.json()
    assert body["message"] == "API rate limit exceeded"
    assert body["request_id"]
    assert set(body) == {"message", "request_id"}
    assert r.headers["X-RateLimit-Limit-Minute"] == "2"
    assert r.headers["X-RateLimit-Remaining-Minute"] == "0"
    assert r.headers["RateLimit-Remaining"] == "0"
    assert r.headers["Retry-After"] == r.headers["RateLimit-Reset"]
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    assert len(upstream.requests) == 2  # the refused request never reached the upstream


def test_every_period_second_to_year_has_its_headers(gatehouse, upstream):
    gw = gatehouse(kong_config(upstream.url, [rate_limiting(
        second=100, minute=200, hour=300, day=400, month=500, year=600)]))
    r = get(gw)
    assert r.status_code == 200
    for period, limit in (("Second", 100), ("Minute", 200), ("Hour", 300), ("Day", 400),
                          ("Month", 500), ("Year", 600)):
        assert r.headers[f"X-RateLimit-Limit-{period}"] == str(limit)
        assert r.headers[f"X-RateLimit-Remaining-{period}"] == str(limit - 1)
    # The most restrictive window is the second (least remaining).
    assert r.headers["RateLimit-Limit"] == "100"
    assert r.headers["RateLimit-Remaining"] == "99"
    assert r.headers["RateLimit-Reset"] == "1"


def test_month_and_year_reset_points_at_the_end_of_the_calendar_period(gatehouse, upstream):
    gw = gatehouse(kong_config(upstream.url, [rate_limiting(month=5, year=5)]))
    t0 = time.time()
    r = get(gw)
    assert r.status_code == 200
    # Equal remaining: ties go to the longer period (year), as in Kong.
    assert r.headers["RateLimit-Limit"] == "5"
    reset = int(r.headers["RateLimit-Reset"])
    now = time.gmtime(t0)
    next_year = time.mktime((now.tm_year + 1, 1, 1, 0, 0, 0, 0, 0, 0)) - time.timezone
    assert abs(reset - (next_year - t0)) <= 2


def test_custom_error_code_and_message(gatehouse, upstream):
    gw = gatehouse(kong_config(upstream.url, [rate_limiting(
        minute=1, error_code=503, error_message="Slow down, please")]))
    window_with_room(60, 5)
    assert get(gw).status_code == 200
    r = get(gw)
    assert r.status_code == 503
    assert r.json()["message"] == "Slow down, please"
    assert r.json()["request_id"]
    assert "Retry-After" in r.headers


def test_hide_client_headers_removes_all_rate_limit_headers_even_on_429(gatehouse, upstream):
    gw = gatehouse(kong_config(upstream.url, [rate_limiting(minute=1, hide_client_headers=True)]))
    window_with_room(60, 5)
    ok = get(gw)
    refused = get(gw)
    assert (ok.status_code, refused.status_code) == (200, 429)
    for r in (ok, refused):
        present = [h for h in RL_HEADERS if h in r.headers]
        assert present == []
    assert refused.json()["message"] == "API rate limit exceeded"


def test_second_and_minute_together_refuse_by_the_tighter_window_and_charge_none(gatehouse, upstream):
    gw = gatehouse(kong_config(upstream.url, [rate_limiting(second=2, minute=4)]))
    window_with_room(60, 8)
    start_of_next(1)
    a, b, c = get(gw), get(gw), get(gw)
    assert [x.status_code for x in (a, b, c)] == [200, 200, 429]
    assert b.headers["X-RateLimit-Remaining-Second"] == "0"
    assert b.headers["X-RateLimit-Remaining-Minute"] == "2"
    # Refused by the second: it shows 0; the minute shows its room, uncharged.
    assert c.headers["X-RateLimit-Remaining-Second"] == "0"
    assert c.headers["X-RateLimit-Remaining-Minute"] == "2"
    assert c.headers["RateLimit-Limit"] == "2"
    assert c.headers["Retry-After"] == "1"
    start_of_next(1)
    d, e, f = get(gw), get(gw), get(gw)
    assert [x.status_code for x in (d, e, f)] == [200, 200, 429]
    assert e.headers["X-RateLimit-Remaining-Minute"] == "0"
    # Now the minute refuses: RateLimit-* and Retry-After describe the minute window.
    assert f.headers["X-RateLimit-Remaining-Minute"] == "0"
    assert f.headers["RateLimit-Limit"] == "4"
    assert f.headers["RateLimit-Remaining"] == "0"
    assert int(f.headers["Retry-After"]) > 1


# --- limit_by ---------------------------------------------------------------------------------

def test_limit_by_consumer_counts_each_consumer_apart_across_their_keys(gatehouse, upstream):
    gw = gatehouse(kong_config(upstream.url, [{"name": "key-auth"}, rate_limiting(
        minute=2, limit_by="consumer")], CONSUMERS))
    window_with_room(60, 5)
    assert get(gw, apikey="alice-key").status_code == 200
    assert get(gw, apikey="alice-key-2").status_code == 200  # same consumer, other key
    assert get(gw, apikey="alice-key").status_code == 429
    assert get(gw, apikey="alice-key-2").status_code == 429
    assert statuses(gw, 2, apikey="bob-key") == [200, 200]


def test_limit_by_credential_counts_each_key_apart(gatehouse, upstream):
    gw = gatehouse(kong_config(upstream.url, [{"name": "key-auth"}, rate_limiting(
        minute=1, limit_by="credential")], CONSUMERS))
    window_with_room(60, 5)
    assert statuses(gw, 2, apikey="alice-key") == [200, 429]
    assert statuses(gw, 2, apikey="alice-key-2") == [200, 429]


def test_limit_by_ip_uses_x_forwarded_for_only_from_trusted_peer(gatehouse, upstream):
    cfg = kong_config(upstream.url, [rate_limiting(minute=1, limit_by="ip")])
    window_with_room(60, 6)
    trusted = gatehouse(cfg, ["--trusted-ips", "127.0.0.1"])
    assert statuses(trusted, 2, **{"X-Forwarded-For": "10.0.0.1"}) == [200, 429]
    assert statuses(trusted, 2, **{"X-Forwarded-For": "10.0.0.2"}) == [200, 429]
    untrusted = gatehouse(cfg)
    assert get(untrusted, **{"X-Forwarded-For": "10.0.0.1"}).status_code == 200
    # Untrusted peer: X-Forwarded-For is ignored, both requests are 127.0.0.1's.
    assert get(untrusted, **{"X-Forwarded-For": "10.0.0.2"}).status_code == 429


def test_limit_by_service_counts_each_service_apart(gatehouse, upstream):
    services = [{"name": name, "url": upstream.url,
                 "routes": [{"name": f"{name}-route", "paths": [f"/{name}"]}]}
                for name in ("one", "two")]
    by_service = gatehouse(kong_config(upstream.url, [], services=services,
                                       global_plugins=[rate_limiting(minute=1, limit_by="service")]))
    window_with_room(60, 6)
    assert statuses(by_service, 2, "/one") == [200, 429]
    assert statuses(by_service, 2, "/two") == [200, 429]
    # Control: the same global plugin by ip counts both services in one counter (Kong's key
    # has the plugin's route/service, all zeros for a global plugin).
    by_ip = gatehouse(kong_config(upstream.url, [], services=services,
                                  global_plugins=[rate_limiting(minute=1, limit_by="ip")]))
    assert get(by_ip, "/one").status_code == 200
    assert get(by_ip, "/two").status_code == 429


def test_limit_by_header_counts_each_value_apart_and_falls_back_to_ip(gatehouse, upstream):
    gw = gatehouse(kong_config(upstream.url, [rate_limiting(
        minute=1, limit_by="header", header_name="X-Tenant")]))
    window_with_room(60, 5)
    assert statuses(gw, 2, **{"X-Tenant": "a"}) == [200, 429]
    assert statuses(gw, 2, **{"X-Tenant": "b"}) == [200, 429]
    assert statuses(gw, 2) == [200, 429]  # no header: the client address


def test_limit_by_path_shares_the_counter_of_the_path_and_falls_back_to_ip(gatehouse, upstream):
    gw = gatehouse(kong_config(upstream.url, [rate_limiting(minute=1, limit_by="path", path="/a")]),
                   ["--trusted-ips", "127.0.0.1"])
    window_with_room(60, 5)
    # /a: one counter for everybody.
    assert get(gw, "/a", **{"X-Forwarded-For": "10.0.0.1"}).status_code == 200
    assert get(gw, "/a", **{"X-Forwarded-For": "10.0.0.2"}).status_code == 429
    # Another path: Kong falls back to the (forwarded) client address.
    assert get(gw, "/b", **{"X-Forwarded-For": "10.0.0.1"}).status_code == 200
    assert get(gw, "/b", **{"X-Forwarded-For": "10.0.0.2"}).status_code == 200
    assert get(gw, "/c", **{"X-Forwarded-For": "10.0.0.2"}).status_code == 429


def test_limit_by_consumer_without_consumer_falls_back_to_forwarded_client_ip(gatehouse, upstream):
    gw = gatehouse(kong_config(upstream.url, [rate_limiting(minute=1)]),
                   ["--trusted-ips", "127.0.0.1"])
    window_with_room(60, 5)
    assert statuses(gw, 2, **{"X-Forwarded-For": "192.0.2.7"}) == [200, 429]
    assert statuses(gw, 2, **{"X-Forwarded-For": "192.0.2.8"}) == [200, 429]


# --- sliding windows (Gatehouse extra) --------------------------------------------------------

def test_sliding_window_refuses_the_burst_a_fixed_window_admits_at_the_boundary(gatehouse, upstream):
    fixed = gatehouse(kong_config(upstream.url, [rate_limiting(second=2)]))
    sliding = gatehouse(kong_config(upstream.url, [rate_limiting(second=2, algorithm="sliding")]))
    start_of_next(1)
    assert statuses(fixed, 2) == [200, 200]
    assert statuses(sliding, 2) == [200, 200]
    start_of_next(1, 0.03)
    # Fixed: a new window, full budget. Sliding: ~97% of the last second's 2 hits still count.
    assert get(fixed).status_code == 200
    refused = get(sliding)
    assert refused.status_code == 429
    assert refused.headers["X-RateLimit-Limit-Second"] == "2"
    assert refused.headers["Retry-After"] == "1"
    # Late in the same bucket most of the previous one has slid out: 2 x 0.25 + 1 <= 2 fits,
    # and nothing more (remaining 0 is what the next request then gets).
    time.sleep(max(0.0, 0.75 - time.time() % 1))
    r = get(sliding)
    assert r.status_code == 200
    assert r.headers["X-RateLimit-Remaining-Second"] == "0"
    assert get(sliding).status_code == 429


def test_sliding_minute_window_admits_the_limit_and_retry_after_waits_for_the_slide(gatehouse, upstream):
    gw = gatehouse(kong_config(upstream.url, [rate_limiting(minute=3, algorithm="sliding")]))
    window_with_room(60, 5)
    rs = [get(gw) for _ in range(3)]
    t0 = time.time()
    rs.append(get(gw))
    assert [r.status_code for r in rs] == [200, 200, 200, 429]
    assert [r.headers["X-RateLimit-Remaining-Minute"] for r in rs] == ["2", "1", "0", "0"]
    # The 3 hits of this bucket become the previous bucket's; one more fits once
    # 3 x (60 - t) / 60 + 1 <= 3, i.e. t = 20 s into the next bucket. A sliding window's
    # Retry-After can therefore exceed the period.
    expected = (60 - t0 % 60) + 20
    assert abs(int(rs[3].headers["Retry-After"]) - expected) <= 2


# --- exactness under concurrency (Kong issue 5311) --------------------------------------------

@pytest.mark.parametrize("algorithm,periods", [
    ("fixed", {"minute": 100}),
    ("sliding", {"minute": 100}),
    ("fixed", {"minute": 100, "hour": 1000}),  # two windows counted in one atomic step
], ids=["fixed", "sliding", "minute-and-hour"])
def test_two_hundred_concurrent_clients_through_two_workers_get_exactly_one_hundred(gatehouse, upstream,
                                                                                   algorithm, periods):
    gw = gatehouse(kong_config(upstream.url, [rate_limiting(algorithm=algorithm, **periods)]),
                   workers=2)
    clients = 200
    window_with_room(60, 20)
    socks = [socket.create_connection(("127.0.0.1", gw.proxy_port), timeout=20)
             for _ in range(clients)]
    barrier = threading.Barrier(clients)
    results: list = [None] * clients

    def client(i):
        s = socks[i]
        try:
            barrier.wait()
            s.sendall(b"GET /x HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n")
            status, headers, _ = HttpReader(s).response()
            results[i] = (status, headers.get("x-ratelimit-remaining-minute", [None])[0])
        except Exception as e:  # reported below, with the others
            results[i] = ("error", repr(e))
        finally:
            s.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    codes = [r[0] for r in results]
    assert codes.count(200) == 100, results
    assert codes.count(429) == 100, results
    # Each admitted request saw a distinct remaining count: the counter never double-admitted.
    remaining = sorted(int(r[1]) for r in results if r[0] == 200)
    assert remaining == list(range(100))
    assert len(upstream.requests) == 100


# --- config validation (Kong's schema messages) -----------------------------------------------

INVALID = [
    ({}, "at least one of these fields must be non-empty: 'config.second', 'config.minute', "
         "'config.hour', 'config.day', 'config.month', 'config.year'"),
    ({"second": 20, "hour": 10}, "The limit for hour(10.0) cannot be lower than the limit for second(20.0)"),
    ({"second": 10, "minute": 20, "hour": 30, "day": 40, "month": 60, "year": 50},
     "The limit for year(50.0) cannot be lower than the limit for month(60.0)"),
    ({"second": -1}, "value must be greater than 0"),
    ({"second": 10, "limit_by": "header"}, "required field missing"),
    ({"second": 10, "limit_by": "path"}, "required field missing"),
    ({"second": 10, "limit_by": "planet"},
     "expected one of: consumer, credential, ip, service, header, path"),
    ({"second": 10, "policy": "cluster"}, "expected one of: local, redis"),
    ({"second": 10, "sync_rate": 1}, "sync_rate can only be used with the redis policy"),
    ({"second": 10, "policy": "redis"}, "required field missing"),
    ({"second": 10, "algorithm": "leaky"}, "expected one of: fixed, sliding"),
    ({"second": "ten"}, "expected a number"),
    ({"second": 10, "colour": "red"}, "unknown field"),
    ({"second": 10, "limit_by": "header", "header_name": "bad header"},
     "bad header name 'bad header', allowed characters are A-Z, a-z, 0-9, '_', and '-'"),
    ({"second": 10, "limit_by": "path", "path": "a"}, "should start with: /"),
    ({"second": 10, "limit_by": "path", "path": "/a//b"}, "must not have empty segments"),
    ({"second": 10, "error_code": 0}, "value must be greater than 0"),
    ({"second": 10, "hide_client_headers": "no"}, "expected a boolean"),
    ({"second": 10, "policy": "redis", "redis": {"host": "h", "port": 70000}},
     "value should be between 0 and 65535"),
    ({"second": 10, "policy": "redis", "redis": {"host": "h"}, "sync_rate": 0.01},
     "sync_rate must be greater than 0.02, or -1 to disable"),
]
INVALID_IDS = ["no-period", "hour-below-second", "year-below-month", "negative", "header-no-name",
               "path-no-path", "bad-limit-by", "cluster-policy", "sync-rate-local",
               "redis-no-host", "bad-algorithm", "string-limit", "unknown-field", "bad-header-name",
               "relative-path", "empty-segment", "zero-error-code", "string-boolean",
               "redis-port-range", "sync-rate-too-small"]

FIELD_OF = {"header-no-name": "header_name", "path-no-path": "path", "redis-no-host": "host",
            "negative": "second", "bad-limit-by": "limit_by", "cluster-policy": "policy",
            "bad-algorithm": "algorithm", "string-limit": "second", "unknown-field": "colour",
            "bad-header-name": "header_name", "relative-path": "path", "empty-segment": "path",
            "zero-error-code": "error_code", "string-boolean": "hide_client_headers",
            "redis-port-range": "redis.port"}


def run_cli(gatehouse_bin, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEHOUSE_")}
    return subprocess.run([str(gatehouse_bin), *args], capture_output=True, text=True,
                          errors="replace", timeout=30, env=env)


@pytest.mark.parametrize("config,message", INVALID, ids=INVALID_IDS)
def test_config_check_reports_kongs_message_for_invalid_config(gatehouse_bin, tmp_path, config, message,
                                                               request):
    f = tmp_path / "kong.yml"
    f.write_text(kong_config("http://127.0.0.1:9", [rate_limiting(**config)]))
    p = run_cli(gatehouse_bin, "config", "check", str(f))
    out = p.stdout + p.stderr
    assert p.returncode == 1, out
    assert message in out
    assert "rate-limiting" in out
    field = FIELD_OF.get(request.node.callspec.id)
    if field:
        assert field in out


@pytest.mark.parametrize("config,message", INVALID, ids=INVALID_IDS)
def test_post_config_refuses_invalid_config_with_kongs_message(gatehouse, upstream, config, message):
    gw = gatehouse(kong_config(upstream.url, [rate_limiting(minute=5)]))
    r = requests.post(gw.admin_url + "/config",
                      json={"config": kong_config(upstream.url, [rate_limiting(**config)])}, timeout=10)
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["code"] == 14 and body["name"] == "invalid declarative configuration"
    assert message in json.dumps(body["fields"]), body
    # The running config is unchanged.
    assert get(gw).headers["X-RateLimit-Limit-Minute"] == "5"


def test_valid_configs_pass_config_check(gatehouse_bin, tmp_path):
    for i, config in enumerate([
            {"second": 10, "minute": 20, "hour": 30, "day": 40, "month": 50, "year": 60},
            {"second": 10, "limit_by": "header", "header_name": "X-App-Version"},
            {"minute": 1.5, "algorithm": "sliding", "hide_client_headers": True},
            {"minute": 5, "policy": "redis", "redis": {"host": "127.0.0.1"}, "sync_rate": -1}]):
        f = tmp_path / f"ok{i}.yml"
        f.write_text(kong_config("http://127.0.0.1:9", [rate_limiting(**config)]))
        p = run_cli(gatehouse_bin, "config", "check", str(f))
        assert p.returncode == 0, (config, p.stdout + p.stderr)


def test_fractional_limit_admits_its_ceiling_and_prints_the_configured_number(gatehouse, upstream):
    gw = gatehouse(kong_config(upstream.url, [rate_limiting(minute=1.5)]))
    window_with_room(60, 5)
    rs = [get(gw) for _ in range(3)]
    assert [r.status_code for r in rs] == [200, 200, 429]
    assert rs[0].headers["X-RateLimit-Limit-Minute"] == "1.5"
    # Kong would print 1.5 - 0 - 1 = "0.5"; Gatehouse counts whole requests left (documented).
    assert [r.headers["X-RateLimit-Remaining-Minute"] for r in rs] == ["1", "0", "0"]


def test_headers_are_added_to_upstream_error_responses_too(gatehouse, upstream):
    gw = gatehouse(kong_config(upstream.url, [rate_limiting(minute=5)]))
    window_with_room(60, 5)
    r = get(gw, "/status/503")
    assert r.status_code == 503
    assert r.headers["X-RateLimit-Remaining-Minute"] == "4"
    assert r.headers["RateLimit-Remaining"] == "4"


# --- counters across reloads, store failures --------------------------------------------------

def test_counters_survive_a_config_reload_through_post_config(gatehouse, upstream):
    cfg = kong_config(upstream.url, [rate_limiting(minute=2)])
    gw = gatehouse(cfg)
    window_with_room(60, 8)
    assert statuses(gw, 2) == [200, 200]
    # Same entities (ids derive from names, as Kong's declarative ids do): same counters.
    r = requests.post(gw.admin_url + "/config", json={"config": cfg}, timeout=10)
    assert r.status_code in (200, 201), r.text
    refused = get(gw)
    assert refused.status_code == 429
    assert refused.headers["X-RateLimit-Limit-Minute"] == "2"


def test_new_limit_after_reload_applies_to_the_running_window(gatehouse, upstream):
    gw = gatehouse(kong_config(upstream.url, [rate_limiting(minute=2)]))
    window_with_room(60, 8)
    assert statuses(gw, 2) == [200, 200]
    r = requests.post(gw.admin_url + "/config",
                      json={"config": kong_config(upstream.url, [rate_limiting(minute=3)])}, timeout=10)
    assert r.status_code in (200, 201), r.text
    again = get(gw)
    assert again.status_code == 200
    assert again.headers["X-RateLimit-Remaining-Minute"] == "0"
    assert get(gw).status_code == 429


def unreachable_redis(**extra) -> dict:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now: every store call fails
    return rate_limiting(minute=5, policy="redis", redis={"host": "127.0.0.1", "port": port,
                                                          "timeout": 200}, **extra)


def start_with_redis_policy(gatehouse, cfg):
    """policy redis needs the Redis store (issue 5); until the binary registers one, it refuses
    the config at startup and these store-failure tests cannot run."""
    try:
        return gatehouse(cfg)
    except StartupError as e:
        if "no Redis store registered" in str(e):
            pytest.skip("this build has no Redis store registered (policy redis)")
        raise


def test_fault_tolerant_store_failure_lets_requests_pass_without_headers(gatehouse, upstream):
    gw = start_with_redis_policy(gatehouse, kong_config(upstream.url, [unreachable_redis()]))
    for _ in range(2):
        r = get(gw)
        assert r.status_code == 200
        assert [h for h in RL_HEADERS if h in r.headers] == []
    # Logged, but at most once per 10 s, not once per request.
    assert gw.stderr_text().count("rate-limiting: failed to get usage") <= 1


def test_not_fault_tolerant_store_failure_is_500(gatehouse, upstream):
    gw = start_with_redis_policy(gatehouse, kong_config(upstream.url,
                                                        [unreachable_redis(fault_tolerant=False)]))
    r = get(gw)
    assert r.status_code == 500
    assert r.json()["message"] == "An unexpected error occurred"
    assert r.json()["request_id"]
    assert len(upstream.requests) == 0
