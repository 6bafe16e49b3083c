"""The admin listener of the real binary: GET /, /status, /metrics, GET/POST /config, SIGHUP
reloads, and reloads under load (no request may fail while snapshots are swapped).

Shapes follow Kong 3.x (kong/api/routes/kong.lua, config.lua; prometheus exporter.lua).
"""
from __future__ import annotations

import json
import re
import threading
import time

import pytest
import requests
import yaml

from configs import simple_config

KONG_LATENCY_BUCKETS = [1, 2, 5, 7, 10, 15, 20, 30, 50, 75, 100, 200, 500, 750, 1000, 3000, 6000]
UPSTREAM_LATENCY_BUCKETS = [25, 50, 80, 100, 250, 400, 700, 1000, 2000, 5000, 10000, 30000, 60000]


@pytest.fixture
def gw(gatehouse, upstream):
    return gatehouse(simple_config(upstream.url, ["/old"], service_name="echo", route_name="old-route"))


def wait_until(predicate, timeout=5.0, what="condition"):
    """Polls a side-effect-free predicate; for effects the gateway does not announce."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def status_of(url, **kw):
    try:
        return requests.get(url, timeout=5, **kw).status_code
    except requests.RequestException:
        return None


# ---- GET / and /status ----------------------------------------------------------------------

def test_root_reports_version_node_and_configuration(gw):
    r = requests.get(gw.admin_url + "/", timeout=5)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/json")
    body = r.json()
    assert re.match(r"\d+\.\d+\.\d+", body["version"])
    assert body["node_id"] and body["hostname"]
    assert isinstance(body["configuration"], dict)


def test_status_has_kong_shape_and_counts_requests(gw):
    before = requests.get(gw.admin_url + "/status", timeout=5).json()
    for key in ("connections_accepted", "connections_active", "connections_handled",
                "connections_reading", "connections_writing", "connections_waiting",
                "total_requests"):
        assert isinstance(before["server"][key], int), key
    assert before["database"]["reachable"] is True
    assert isinstance(before["memory"], dict)
    for _ in range(3):
        requests.get(gw.proxy_url + "/old/x", timeout=5)
    after = requests.get(gw.admin_url + "/status", timeout=5).json()
    assert after["server"]["total_requests"] >= before["server"]["total_requests"] + 3
    assert after["server"]["connections_accepted"] >= before["server"]["connections_accepted"] + 3


def test_unknown_admin_path_is_kong_404(gw):
    r = requests.get(gw.admin_url + "/no-such-endpoint", timeout=5)
    assert r.status_code == 404 and r.json() == {"message": "Not found"}


# ---- /metrics -------------------------------------------------------------------------------
_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text):
    out = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        assert m, f"not Prometheus text format: {line!r}"
        out.append((m.group(1), dict(_LABEL.findall(m.group(2) or "")), float(m.group(3))))
    return out


def samples(metrics, name, **labels):
    return [(lab, v) for n, lab, v in metrics if n == name
            and all(lab.get(k) == val for k, val in labels.items())]


def test_metrics_count_proxied_requests_with_kong_labels(gw):
    assert requests.get(gw.proxy_url + "/old/a", timeout=5).status_code == 200
    assert requests.get(gw.proxy_url + "/old/status/418", timeout=5).status_code == 418
    assert requests.get(gw.proxy_url + "/unrouted", timeout=5).status_code == 404

    def scrape():
        r = requests.get(gw.admin_url + "/metrics", timeout=5)
        assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/plain")
        m = parse_metrics(r.text)
        ok = samples(m, "kong_http_requests_total", service="echo", route="old-route", code="200")
        return m if ok else None

    m = wait_until(scrape, what="kong_http_requests_total for the proxied request")
    (labels, value), = samples(m, "kong_http_requests_total", service="echo", route="old-route",
                              code="200")
    assert value == 1
    assert labels["source"] == "service"
    assert {"service", "route", "code", "source", "workspace", "consumer"} <= labels.keys()
    (_, teapot), = samples(m, "kong_http_requests_total", route="old-route", code="418")
    assert teapot == 1
    # Kong's exporter records nothing for a request that matched no service
    # (prometheus/exporter.lua: "do not record any stats if the service is not present").
    assert not samples(m, "kong_http_requests_total", code="404")


@pytest.mark.parametrize("name,buckets", [
    ("kong_kong_latency_ms", KONG_LATENCY_BUCKETS),
    ("kong_upstream_latency_ms", UPSTREAM_LATENCY_BUCKETS),
    ("kong_request_latency_ms", UPSTREAM_LATENCY_BUCKETS),
])
def test_latency_histograms_use_kong_names_and_buckets(gw, name, buckets):
    for _ in range(2):
        assert requests.get(gw.proxy_url + "/old/lat", timeout=5).status_code == 200

    def scrape():
        m = parse_metrics(requests.get(gw.admin_url + "/metrics", timeout=5).text)
        count = samples(m, name + "_count", service="echo", route="old-route")
        return m if count and count[0][1] >= 2 else None

    m = wait_until(scrape, what=f"{name}_count >= 2")
    bucket_samples = samples(m, name + "_bucket", service="echo", route="old-route")
    les = [lab["le"] for lab, _ in bucket_samples]
    assert "+Inf" in les
    assert sorted(float(le) for le in les if le != "+Inf") == [float(b) for b in buckets]
    ordered = sorted(bucket_samples, key=lambda s: float("inf") if s[0]["le"] == "+Inf" else float(s[0]["le"]))
    values = [v for _, v in ordered]
    assert values == sorted(values), "buckets must be cumulative"
    assert values[-1] == 2
    assert samples(m, name + "_sum", service="echo", route="old-route")


# ---- GET/POST /config ----------------------------------------------------------------------

def test_get_config_returns_current_declarative_config(gw):
    body = requests.get(gw.admin_url + "/config", timeout=5).json()
    cfg = yaml.safe_load(body["config"])
    assert [s["name"] for s in cfg["services"]] == ["echo"]


def new_config(upstream, path="/new", marker="new"):
    return simple_config(upstream.url, [path], service_name=marker, route_name=marker + "-route")


@pytest.mark.parametrize("form", ["json-config-field", "yaml-body", "json-body"])
def test_post_config_switches_routing(gw, upstream, form):
    text = new_config(upstream)
    if form == "json-config-field":
        r = requests.post(gw.admin_url + "/config", json={"config": text}, timeout=10)
    elif form == "yaml-body":
        r = requests.post(gw.admin_url + "/config", data=text,
                          headers={"Content-Type": "text/yaml"}, timeout=10)
    else:
        r = requests.post(gw.admin_url + "/config", json=yaml.safe_load(text), timeout=10)
    assert r.status_code == 201, r.text
    assert status_of(gw.proxy_url + "/new/x") == 200
    assert status_of(gw.proxy_url + "/old/x") == 404
    cfg = yaml.safe_load(requests.get(gw.admin_url + "/config", timeout=5).json()["config"])
    assert [s["name"] for s in cfg["services"]] == ["new"]


def test_post_invalid_config_is_refused_with_errors_and_old_config_serves(gw, upstream):
    bad = f"""_format_version: "3.0"
services:
- name: broken
  url: {upstream.url}
  colour: blue
  routes:
  - name: bad-route
    paths: [no-leading-slash]
"""
    r = requests.post(gw.admin_url + "/config", json={"config": bad}, timeout=10)
    assert r.status_code == 400
    body = r.json()
    assert body["code"] == 14 and body["name"] == "invalid declarative configuration"
    text = json.dumps(body["fields"])
    assert "colour" in text and "paths" in text  # every problem is listed at once
    assert status_of(gw.proxy_url + "/old/x") == 200


# ---- SIGHUP ---------------------------------------------------------------------------------

def test_sighup_reloads_declarative_config_file(gw, upstream):
    gw.write_config(new_config(upstream))
    gw.reload()
    wait_until(lambda: status_of(gw.proxy_url + "/new/x") == 200, what="reloaded route")
    assert status_of(gw.proxy_url + "/old/x") == 404


def test_sighup_with_invalid_file_keeps_old_config(gw, upstream):
    gw.write_config("_format_version: \"3.0\"\nservices:\n- name: x\n  port: 99999999\n")
    gw.reload()
    # A later good reload proves the bad one was processed (signals are handled in order).
    gw.write_config(simple_config(upstream.url, ["/old", "/later"], route_name="old-route"))
    gw.reload()
    wait_until(lambda: status_of(gw.proxy_url + "/later/x") == 200, what="later good reload")
    assert gw.proc.poll() is None
    assert status_of(gw.proxy_url + "/old/x") == 200


def test_no_request_fails_during_reloads_under_load(gw, upstream):
    stop = threading.Event()
    results = {"ok": 0, "failed": []}

    def load(keep_alive):
        session = requests.Session() if keep_alive else requests
        while not stop.is_set():
            try:
                r = session.get(gw.proxy_url + "/old/load", timeout=5)
                if r.status_code == 200:
                    results["ok"] += 1
                else:
                    results["failed"].append(r.status_code)
            except requests.RequestException as e:
                results["failed"].append(repr(e))

    threads = [threading.Thread(target=load, args=(ka,)) for ka in (True, False)]
    for t in threads:
        t.start()
    try:
        for i in range(10):
            cfg = simple_config(upstream.url, ["/old", f"/v{i}"], route_name="old-route")
            r = requests.post(gw.admin_url + "/config", json={"config": cfg}, timeout=10)
            assert r.status_code == 201, r.text
            time.sleep(0.1)  # let requests run on each snapshot
        for i in range(5):
            gw.write_config(simple_config(upstream.url, ["/old", f"/hup{i}"], route_name="old-route"))
            gw.reload()
        wait_until(lambda: status_of(gw.proxy_url + "/hup4/x") == 200, what="last SIGHUP reload")
    finally:
        stop.set()
        for t in threads:
            t.join(10)
    assert results["failed"] == []
    assert results["ok"] >= 20, "the load generator barely ran; the test proves nothing"
