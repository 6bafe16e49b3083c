"""Kong's prometheus plugin and the admin listener's GET /metrics, through the real binary.

Names, labels and buckets are those of kong/plugins/prometheus/exporter.lua (Kong 3.10):
kong_http_requests_total{service,route,code,source,workspace,consumer}, the three latency
histograms, kong_bandwidth_bytes{direction=ingress|egress}, kong_nginx_* gauges. Gatehouse keeps
one shard of series per worker and sums them at scrape time, which the 2-worker test checks.
"""
from __future__ import annotations

import json
import re
import socket
import time

import pytest
import requests

from gateway_process import HttpReader

KONG_LATENCY_BUCKETS = ["1", "2", "5", "7", "10", "15", "20", "30", "50", "75", "100", "200",
                        "500", "750", "1000", "3000", "6000", "+Inf"]
UPSTREAM_BUCKETS = ["25", "50", "80", "100", "250", "400", "700", "1000", "2000", "5000",
                    "10000", "30000", "60000", "+Inf"]

_SAMPLE_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
_LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


class Metrics:
    """A parsed Prometheus text exposition: samples and TYPE lines."""

    def __init__(self, text: str):
        self.text = text
        self.samples: list[tuple[str, dict, float]] = []
        self.types: dict[str, str] = {}
        for line in text.splitlines():
            if line.startswith("# TYPE "):
                _, _, name, kind = line.split(" ", 3)
                self.types[name] = kind
                continue
            if not line or line.startswith("#"):
                continue
            m = _SAMPLE_RE.match(line)
            assert m, f"malformed exposition line: {line!r}"
            labels = dict(_LABEL_RE.findall(m.group(2) or ""))
            self.samples.append((m.group(1), labels, float(m.group(3))))

    def find(self, name: str, **labels) -> list[tuple[dict, float]]:
        return [(l, v) for n, l, v in self.samples
                if n == name and all(l.get(k) == str(w) for k, w in labels.items())]

    def value(self, name: str, **labels) -> float:
        """The one sample matching; 0 when absent (a counter never incremented)."""
        found = self.find(name, **labels)
        assert len(found) <= 1, found
        return found[0][1] if found else 0.0

    def total(self, name: str, **labels) -> float:
        return sum(v for _, v in self.find(name, **labels))


def scrape(gw, routed: int | None = None) -> Metrics:
    """GET /metrics. With `routed`, first waits until that many routed requests are recorded
    (kong_request_latency_ms_count): like Kong's log phase, recording happens after the
    response went out, so a client can scrape before its last request is counted."""
    deadline = time.monotonic() + 10
    while True:
        r = requests.get(gw.admin_url + "/metrics", timeout=10)
        assert r.status_code == 200
        assert r.headers["Content-Type"].startswith("text/plain")
        m = Metrics(r.text)
        if routed is None or m.total("kong_request_latency_ms_count") >= routed \
                or time.monotonic() > deadline:
            return m
        time.sleep(0.01)


def kong_config(upstream_url: str, plugins: list, consumers: list | None = None,
                service_name: str | None = "echo", route_name: str | None = "echo-route") -> str:
    service = {"url": upstream_url, "routes": [{"paths": ["/"]}], "plugins": plugins}
    if service_name:
        service["name"] = service_name
    if route_name:
        service["routes"][0]["name"] = route_name
    return json.dumps({"_format_version": "3.0", "services": [service],
                       "consumers": consumers or []})


def prometheus(**config) -> dict:
    return {"name": "prometheus", "config": config}


CONSUMERS = [{"username": "alice", "keyauth_credentials": [{"key": "alice-key"}]},
             {"username": "bob", "keyauth_credentials": [{"key": "bob-key"}]}]
ROUTE = {"service": "echo", "route": "echo-route", "workspace": "default"}


# --- kong_http_requests_total -----------------------------------------------------------------

def test_http_requests_total_counts_by_code_and_source_with_kong_labels(gatehouse, upstream):
    gw = gatehouse(kong_config(upstream.url, [prometheus(status_code_metrics=True)]))
    for _ in range(3):
        assert requests.get(gw.proxy_url + "/x", timeout=10).status_code == 200
    for _ in range(2):
        assert requests.get(gw.proxy_url + "/status/404", timeout=10).status_code == 404
    m = scrape(gw, 5)
    assert m.types["kong_http_requests_total"] == "counter"
    assert m.value("kong_http_requests_total", code=200, source="service", consumer="", **ROUTE) == 3
    assert m.value("kong_http_requests_total", code=404, source="service", consumer="", **ROUTE) == 2
    assert m.total("kong_http_requests_total") == 5
    labels, _ = m.find("kong_http_requests_total", code=200)[0]
    assert list(labels) == ["service", "route", "code", "source", "workspace", "consumer"]


def test_plugin_answered_requests_have_source_kong(gatehouse, upstream):
    gw = gatehouse(kong_config(upstream.url, [prometheus(), {"name": "key-auth"}], CONSUMERS))
    assert requests.get(gw.proxy_url + "/x", timeout=10).status_code == 401
    assert requests.get(gw.proxy_url + "/x", headers={"apikey": "alice-key"}, timeout=10).status_code == 200
    m = scrape(gw, 2)
    assert m.value("kong_http_requests_total", code=401, source="kong", **ROUTE) == 1
    assert m.value("kong_http_requests_total", code=200, source="service", **ROUTE) == 1


def test_service_label_falls_back_to_host_and_route_label_to_route_id(gatehouse, upstream):
    gw = gatehouse(kong_config(upstream.url, [prometheus()], service_name=None, route_name=None))
    assert requests.get(gw.proxy_url + "/x", timeout=10).status_code == 200
    (labels, value), = scrape(gw, 1).find("kong_http_requests_total", code=200)
    assert value == 1
    assert labels["service"] == "127.0.0.1"
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", labels["route"])


def test_unrouted_requests_are_not_labelled_but_count_in_nginx_requests(gatehouse, upstream):
    cfg = json.dumps({"_format_version": "3.0", "services": [{
        "name": "echo", "url": upstream.url, "routes": [{"name": "only-a", "paths": ["/a"]}]}],
        "plugins": [prometheus()]})
    gw = gatehouse(cfg)
    with requests.Session() as client:  # one connection: the 404 is logged before the 200
        assert client.get(gw.proxy_url + "/nowhere", timeout=10).status_code == 404
        assert client.get(gw.proxy_url + "/a", timeout=10).status_code == 200
    m = scrape(gw, 1)
    assert [l["code"] for l, _ in m.find("kong_http_requests_total")] == ["200"]
    assert m.total("kong_nginx_requests_total", subsystem="http") >= 2


# --- per_consumer -----------------------------------------------------------------------------

def test_per_consumer_fills_the_consumer_label_with_the_username(gatehouse, upstream):
    gw = gatehouse(kong_config(upstream.url, [prometheus(per_consumer=True), {"name": "key-auth"}],
                               CONSUMERS))
    for key, n in (("alice-key", 2), ("bob-key", 1)):
        for _ in range(n):
            assert requests.get(gw.proxy_url + "/x", headers={"apikey": key}, timeout=10).status_code == 200
    assert requests.get(gw.proxy_url + "/x", timeout=10).status_code == 401
    m = scrape(gw, 4)
    assert m.value("kong_http_requests_total", code=200, consumer="alice", **ROUTE) == 2
    assert m.value("kong_http_requests_total", code=200, consumer="bob", **ROUTE) == 1
    assert m.value("kong_http_requests_total", code=401, source="kong", consumer="", **ROUTE) == 1


def test_without_per_consumer_the_consumer_label_stays_empty(gatehouse, upstream):
    gw = gatehouse(kong_config(upstream.url, [prometheus(), {"name": "key-auth"}], CONSUMERS))
    assert requests.get(gw.proxy_url + "/x", headers={"apikey": "alice-key"}, timeout=10).status_code == 200
    m = scrape(gw, 1)
    assert m.value("kong_http_requests_total", code=200, consumer="", **ROUTE) == 1
    assert "alice" not in m.text


# --- bandwidth --------------------------------------------------------------------------------

def test_bandwidth_metrics_count_ingress_and_egress_bytes(gatehouse, upstream):
    gw = gatehouse(kong_config(upstream.url, [prometheus(bandwidth_metrics=True)]))
    body = b"x" * 1000
    r = requests.post(gw.proxy_url + "/x", data=body, timeout=10)
    assert r.status_code == 200
    m = scrape(gw, 1)
    assert m.types["kong_bandwidth_bytes"] == "counter"
    ingress = m.value("kong_bandwidth_bytes", direction="ingress", consumer="", **ROUTE)
    egress = m.value("kong_bandwidth_bytes", direction="egress", consumer="", **ROUTE)
    assert 1000 <= ingress <= 1000 + 2048
    assert len(r.content) <= egress <= len(r.content) + 2048


def test_without_bandwidth_metrics_there_is_no_bandwidth_series(gatehouse, upstream):
    gw = gatehouse(kong_config(upstream.url, [prometheus()]))
    assert requests.post(gw.proxy_url + "/x", data=b"x" * 100, timeout=10).status_code == 200
    assert scrape(gw, 1).find("kong_bandwidth_bytes") == []


def test_bandwidth_includes_request_and_response_heads_as_kongs_request_length_and_bytes_sent(
        gatehouse, upstream):
    gw = gatehouse(kong_config(upstream.url, [prometheus(bandwidth_metrics=True)]))
    request = b"GET /x HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n"
    with socket.create_connection(("127.0.0.1", gw.proxy_port), timeout=10) as s:
        s.sendall(request)
        received = bytearray()
        while piece := s.recv(65536):
            received.extend(piece)
    assert received.startswith(b"HTTP/1.1 200")
    m = scrape(gw, 1)
    assert m.value("kong_bandwidth_bytes", direction="ingress", **ROUTE) == len(request)
    assert m.value("kong_bandwidth_bytes", direction="egress", **ROUTE) == len(received)


# --- latency histograms -----------------------------------------------------------------------

@pytest.mark.parametrize("family,buckets", [
    ("kong_kong_latency_ms", KONG_LATENCY_BUCKETS),
    ("kong_upstream_latency_ms", UPSTREAM_BUCKETS),
    ("kong_request_latency_ms", UPSTREAM_BUCKETS),
])
def test_latency_histograms_have_kongs_buckets_and_count_every_request(gatehouse, upstream, family, buckets):
    gw = gatehouse(kong_config(upstream.url, [prometheus(latency_metrics=True)]))
    for _ in range(4):
        assert requests.get(gw.proxy_url + "/x", timeout=10).status_code == 200
    m = scrape(gw, 4)
    assert m.types[family] == "histogram"
    rows = m.find(family + "_bucket", **ROUTE)
    assert [l["le"] for l, _ in rows] == buckets
    counts = [v for _, v in rows]
    assert counts == sorted(counts)  # cumulative
    assert counts[-1] == 4
    assert m.value(family + "_count", **ROUTE) == 4
    assert m.value(family + "_sum", **ROUTE) >= 0
    labels, _ = rows[0]
    assert set(labels) == {"service", "route", "workspace", "le"}


def test_upstream_and_request_latency_land_in_the_right_bucket(gatehouse, upstream):
    gw = gatehouse(kong_config(upstream.url, [prometheus(latency_metrics=True)]))
    assert requests.get(gw.proxy_url + "/delay/130", timeout=10).status_code == 200
    m = scrape(gw, 1)
    for family in ("kong_upstream_latency_ms", "kong_request_latency_ms"):
        assert m.value(family + "_bucket", le="100", **ROUTE) == 0, family
        assert m.value(family + "_bucket", le="250", **ROUTE) == 1, family
        assert 130 <= m.value(family + "_sum", **ROUTE) < 250, family
    # The gateway's own share is small: well below the upstream's 130 ms.
    assert m.value("kong_kong_latency_ms_bucket", le="100", **ROUTE) == 1


def test_request_answered_by_a_plugin_has_no_upstream_latency(gatehouse, upstream):
    gw = gatehouse(kong_config(upstream.url, [prometheus(), {"name": "key-auth"}], CONSUMERS))
    assert requests.get(gw.proxy_url + "/x", timeout=10).status_code == 401
    m = scrape(gw, 1)
    assert m.value("kong_request_latency_ms_count", **ROUTE) == 1
    assert m.value("kong_upstream_latency_ms_count", **ROUTE) == 0


# --- nginx gauges and worker aggregation ------------------------------------------------------

def test_nginx_connection_and_request_gauges_are_present(gatehouse, upstream):
    gw = gatehouse(kong_config(upstream.url, [prometheus()]))
    for _ in range(3):
        with socket.create_connection(("127.0.0.1", gw.proxy_port), timeout=10) as s:
            s.sendall(b"GET /x HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n")
            assert HttpReader(s).response()[0] == 200
    m = scrape(gw, 3)
    assert m.types["kong_nginx_connections_total"] == "gauge"
    assert m.types["kong_nginx_requests_total"] == "gauge"
    states = {l["state"]: v for l, v in m.find("kong_nginx_connections_total", subsystem="http")}
    assert set(states) == {"accepted", "active", "handled", "reading", "total", "waiting", "writing"}
    assert states["accepted"] >= 3 and states["handled"] >= 3
    assert all(l["node_id"] for l, _ in m.find("kong_nginx_connections_total"))
    assert m.total("kong_nginx_requests_total", subsystem="http") >= 3
    assert m.find("kong_node_info")[0][1] == 1


def test_metrics_are_summed_across_two_workers(gatehouse, upstream):
    gw = gatehouse(kong_config(upstream.url, [prometheus(bandwidth_metrics=True)]), workers=2)
    # One connection per request: the kernel spreads them over both workers' listeners, so a
    # scrape that read only one worker's shard would see about half.
    n = 200
    body = b"y" * 10
    for _ in range(n):
        with socket.create_connection(("127.0.0.1", gw.proxy_port), timeout=10) as s:
            s.sendall(b"POST /x HTTP/1.1\r\nHost: gw\r\nContent-Length: 10\r\n"
                      b"Connection: close\r\n\r\n" + body)
            assert HttpReader(s).response()[0] == 200
    m = scrape(gw, n)
    assert m.value("kong_http_requests_total", code=200, source="service", **ROUTE) == n
    assert m.value("kong_request_latency_ms_count", **ROUTE) == n
    assert m.value("kong_request_latency_ms_bucket", le="+Inf", **ROUTE) == n
    assert m.value("kong_bandwidth_bytes", direction="ingress", **ROUTE) >= n * len(body)
    assert m.total("kong_nginx_requests_total") >= n
    states = {l["state"]: v for l, v in m.find("kong_nginx_connections_total")}
    assert states["accepted"] >= n


# --- config validation ------------------------------------------------------------------------

@pytest.mark.parametrize("config,message", [
    ({"per_consumer": "yes"}, "expected a boolean"),
    ({"bandwidth_metrics": 1}, "expected a boolean"),
    ({"colour": True}, "unknown field"),
])
def test_post_config_refuses_invalid_prometheus_config(gatehouse, upstream, config, message):
    gw = gatehouse(kong_config(upstream.url, [prometheus()]))
    r = requests.post(gw.admin_url + "/config",
                      json={"config": kong_config(upstream.url, [prometheus(**config)])}, timeout=10)
    assert r.status_code == 400
    assert message in json.dumps(r.json()["fields"])


def test_consumer_label_values_are_escaped_in_the_exposition(gatehouse, upstream):
    # Kong's usernames are free strings: a quote, a backslash or a newline must not break the
    # text format (Prometheus would reject the whole scrape).
    username = 'ev"il\\user\nx'
    consumers = [{"username": username, "keyauth_credentials": [{"key": "evil-key"}]}]
    gw = gatehouse(kong_config(upstream.url, [prometheus(per_consumer=True), {"name": "key-auth"}],
                               consumers))
    assert requests.get(gw.proxy_url + "/x", headers={"apikey": "evil-key"}, timeout=10).status_code == 200
    m = scrape(gw, 1)  # Metrics() asserts that every line parses
    escaped = 'ev\\"il\\\\user\\nx'
    assert m.value("kong_http_requests_total", code=200, consumer=escaped, **ROUTE) == 1
