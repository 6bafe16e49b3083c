"""The events pipeline through the real binary: a plugin's events land in a real Redis Stream
(named connection), /metrics counts them, and `gatehouse events tail` prints them (human and
JSON), resuming with its consumer group."""
from __future__ import annotations

import json
import select
import subprocess
import time

import requests

from configs import simple_config


def node_settings(tmp_path, port: int, extra: str = "") -> str:
    path = tmp_path / "node.yml"
    path.write_text(
        "redis_connections:\n"
        f"  main:\n    host: 127.0.0.1\n    port: {port}\n"
        "events:\n  enabled: true\n  store: redis\n  connection: main\n"
        "  batch_size: 5\n  flush_interval_ms: 50\n" + extra)
    return str(path)


def limited_config(upstream_url: str) -> str:
    return simple_config(upstream_url) + (
        "plugins:\n- name: rate-limiting\n  config:\n    minute: 1\n    policy: local\n"
        "    limit_by: service\n")


def xlen(port: int, stream: str = "gatehouse:events") -> int:
    out = subprocess.run(["redis-cli", "-p", str(port), "XLEN", stream], capture_output=True,
                         text=True, timeout=10).stdout.strip()
    return int(out or 0)


def test_plugin_events_land_in_the_redis_stream_and_events_tail_prints_them(
        gatehouse, gatehouse_bin, upstream, redis_server, tmp_path):
    _, port = redis_server
    settings = node_settings(tmp_path, port)
    gw = gatehouse(limited_config(upstream.url), extra_args=["--config", settings], workers=2)
    codes = [requests.get(gw.proxy_url + "/", timeout=5).status_code for _ in range(8)]
    assert codes == [200] + [429] * 7
    deadline = time.monotonic() + 5
    while xlen(port) < 7:
        assert time.monotonic() < deadline, f"only {xlen(port)} events in the stream"
        time.sleep(0.05)
    metrics = requests.get(gw.admin_url + "/metrics", timeout=5).text
    assert "gatehouse_events_written_total 7" in metrics
    assert "gatehouse_events_dropped_total 0" in metrics
    print(f"\n7 refused requests -> {xlen(port)} events in the stream, 0 lost")

    tail = [str(gatehouse_bin), "events", "tail", "--config", settings, "--connection", "main",
            "--group", "it", "--consumer", "c1"]
    human = subprocess.run(tail + ["--count", "3"], capture_output=True, text=True, timeout=20)
    assert human.returncode == 0, human.stderr
    lines = human.stdout.splitlines()
    assert len(lines) == 3
    assert all("rate-limiting.exceeded" in l and "period=minute" in l for l in lines)
    # Same group and consumer: resumes after the three acknowledged entries.
    rest = subprocess.run(tail + ["--json", "--count", "4"], capture_output=True, text=True,
                          timeout=20)
    assert rest.returncode == 0, rest.stderr
    events = [json.loads(l) for l in rest.stdout.splitlines()]
    assert len(events) == 4
    ids = [l.rsplit("[", 1)[1].rstrip("]") for l in lines] + [e["id"] for e in events]
    assert len(set(ids)) == 7 and ids == sorted(ids, key=lambda i: tuple(map(int, i.split("-"))))
    assert all(e["fields"]["type"] == "rate-limiting.exceeded" for e in events)


def test_events_tail_follows_new_events_until_interrupted(gatehouse, gatehouse_bin, upstream,
                                                          redis_server, tmp_path):
    _, port = redis_server
    settings = node_settings(tmp_path, port)
    tail = subprocess.Popen([str(gatehouse_bin), "events", "tail", "--redis", f"127.0.0.1:{port}",
                             "--new-only", "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # --new-only: the group starts at the end, so wait for it before producing.
        deadline = time.monotonic() + 10
        while "gatehouse-tail" not in subprocess.run(
                ["redis-cli", "-p", str(port), "XINFO", "GROUPS", "gatehouse:events"],
                capture_output=True, text=True, timeout=10).stdout:
            assert time.monotonic() < deadline, "events tail did not create its group"
            time.sleep(0.05)
        gw = gatehouse(limited_config(upstream.url), extra_args=["--config", settings])
        requests.get(gw.proxy_url + "/", timeout=5)
        requests.get(gw.proxy_url + "/", timeout=5)  # 429 -> one event
        ready, _, _ = select.select([tail.stdout], [], [], 10)
        assert ready, "events tail printed nothing within 10 s"
        line = tail.stdout.readline()
        assert json.loads(line)["fields"]["type"] == "rate-limiting.exceeded"
    finally:
        tail.terminate()
        assert tail.wait(10) == 0
