"""Reliability of the Redis-backed state through the real binary, under load (issue 5, item 6):
a Sentinel master failover, a Cluster slot migration (MOVED/ASK) and Redis killed and
restarted. Each test prints (pytest -s) and puts in its assertion messages the number of failed
requests and of lost events.

Every gateway runs rate-limiting policy redis on two routes sharing one named connection:
/ok (a limit never reached: every request should pass) and /limited (1 per hour: every request
after the first is refused, and each refusal is one `rate-limiting.exceeded` event written by
the events pipeline to the same Redis). Lost events = refusals - events the gateway wrote;
the gateway must account for each of them (gatehouse_events_failed_total + dropped)."""
from __future__ import annotations

import http.client
import re
import subprocess
import threading
import time
from pathlib import Path

import requests

from test_redis_rate_limiting import (REDIS_CLI, REDIS_SERVER, RedisProcess,  # noqa: F401
                                      redis_cluster)

MASTER_NAME = "gh-master"


# ---- configuration ---------------------------------------------------------------------------
def two_routes_config(upstream_url: str, fault_tolerant: bool) -> str:
    def service(name: str, path: str, limit: int) -> str:
        return (f"- name: {name}\n  url: {upstream_url}\n"
                f"  routes:\n  - name: {name}-route\n    paths:\n    - {path}\n"
                f"  plugins:\n  - name: rate-limiting\n    config:\n"
                f"      hour: {limit}\n      policy: redis\n      limit_by: service\n"
                f"      fault_tolerant: {'true' if fault_tolerant else 'false'}\n"
                f"      redis:\n        connection: main\n")
    return ('_format_version: "3.0"\nservices:\n' + service("ok", "/ok", 10 ** 9)
            + service("limited", "/limited", 1))


def node_settings(tmp_path: Path, connection_yaml: str) -> str:
    """connection_yaml: the fields of the named connection `main`, indented by 4 spaces."""
    path = tmp_path / "node.yml"
    path.write_text("redis_connections:\n  main:\n" + connection_yaml +
                    "events:\n  enabled: true\n  store: redis\n  connection: main\n"
                    "  batch_size: 20\n  flush_interval_ms: 50\n")
    return str(path)


# ---- load --------------------------------------------------------------------------------------
class Load:
    """Client threads on keep-alive connections, alternating /ok and /limited until stopped."""

    def __init__(self, port: int, clients: int = 6):
        self.port = port
        self.lock = threading.Lock()
        self.counts: dict[tuple[str, int], int] = {}
        self.stop_flag = threading.Event()
        self.threads = [threading.Thread(target=self._client) for _ in range(clients)]

    def _client(self):
        conn = None
        i = 0
        while not self.stop_flag.is_set():
            path = "/ok" if i % 2 == 0 else "/limited"
            i += 1
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", path)
                resp = conn.getresponse()
                resp.read()
                code = resp.status
            except (OSError, http.client.HTTPException):
                code = 0
                if conn is not None:
                    conn.close()
                conn = None
            with self.lock:
                self.counts[(path, code)] = self.counts.get((path, code), 0) + 1
        if conn is not None:
            conn.close()

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop_flag.set()
        for t in self.threads:
            t.join()

    def summary(self) -> dict:
        with self.lock:
            c = dict(self.counts)
        ok = sum(v for (p, s), v in c.items() if p == "/ok" and s == 200)
        failed = sum(v for (p, s), v in c.items()
                     if (p == "/ok" and s != 200) or (p == "/limited" and s not in (200, 429)))
        refused = sum(v for (p, s), v in c.items() if p == "/limited" and s == 429)
        return {"total": sum(c.values()), "ok": ok, "failed": failed, "refused": refused}


def events_metrics(gw) -> dict[str, int]:
    text = requests.get(gw.admin_url + "/metrics", timeout=5).text
    out = {}
    for name in ("submitted", "written", "failed", "dropped", "sampled_out"):
        m = re.search(rf"^gatehouse_events_{name}_total (\d+)", text, re.M)
        out[name] = int(m.group(1)) if m else 0
    m = re.search(r"^gatehouse_events_queued (\d+)", text, re.M)
    out["queued"] = int(m.group(1)) if m else 0
    return out


def settled_events(gw, refused: int) -> dict[str, int]:
    """The events counters once every refusal's event left the queue (written or lost)."""
    deadline = time.monotonic() + 10
    while True:
        m = events_metrics(gw)
        if (m["submitted"] + m["dropped"] >= refused and m["queued"] == 0
                and m["written"] + m["failed"] >= m["submitted"]):
            return m
        assert time.monotonic() < deadline, f"events still queued: {m}, {refused} refusals"
        time.sleep(0.05)


def report_line(name: str, load: dict, events: dict, in_stream: int, why_gone: str) -> str:
    """Lost events = refusals whose event is not in the stream at the end: not written by the
    gateway (counted by it as failed/dropped) or written and then lost by Redis (`why_gone`)."""
    not_written = load["refused"] - events["written"]
    gone = events["written"] - in_stream
    line = (f"{name}: {load['total']} requests, {load['failed']} failed requests; "
            f"{load['refused']} refusals -> {in_stream} events in the stream, "
            f"{not_written + gone} lost events ({not_written} not written: failed "
            f"{events['failed']}, dropped {events['dropped']}; {gone} written then {why_gone})")
    print("\n" + line)
    return line


def cli(port: int, *args, cluster: bool = False) -> str:
    return subprocess.run([REDIS_CLI, *(["-c"] if cluster else []), "-p", str(port), *args],
                          capture_output=True, text=True, timeout=20).stdout.strip()


def wait_until(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def sequential_statuses(gw, path: str, n: int) -> list[int]:
    return [requests.get(gw.proxy_url + path, timeout=5).status_code for _ in range(n)]


# ---- Sentinel --------------------------------------------------------------------------------
class SentinelProcess(RedisProcess):
    def __init__(self, workdir: Path, master_port: int):
        self.master_port = master_port
        super().__init__(workdir)

    def start(self):
        self.workdir.mkdir(parents=True, exist_ok=True)
        conf = self.workdir / "sentinel.conf"
        conf.write_text(f"port {self.port}\nbind 127.0.0.1\ndir {self.workdir}\n"
                        f"sentinel monitor {MASTER_NAME} 127.0.0.1 {self.master_port} 2\n"
                        f"sentinel down-after-milliseconds {MASTER_NAME} 1000\n"
                        f"sentinel failover-timeout {MASTER_NAME} 5000\n"
                        f"sentinel parallel-syncs {MASTER_NAME} 1\n")
        self.proc = subprocess.Popen([REDIS_SERVER, str(conf), "--sentinel"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not self.ping():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"sentinel on {self.port} did not start")
            time.sleep(0.02)

    def master_port_reported(self) -> int:
        out = cli(self.port, "SENTINEL", "get-master-addr-by-name", MASTER_NAME).split()
        return int(out[1]) if len(out) == 2 else 0


def test_sentinel_failover_under_load_keeps_requests_going_and_rate_limiting_recovers(
        gatehouse, upstream, tmp_path):
    master = RedisProcess(tmp_path / "master")
    replica = RedisProcess(tmp_path / "replica", extra=["--replicaof", "127.0.0.1",
                                                        str(master.port)])
    sentinels = []
    try:
        sentinels = [SentinelProcess(tmp_path / f"sentinel{i}", master.port) for i in range(3)]
        wait_until(lambda: str(replica.port) in cli(sentinels[0].port, "SENTINEL", "replicas",
                                                    MASTER_NAME)
                   and "master_link_status:up" in replica.cli("INFO", "replication"),
                   20, "the sentinels never saw the replica in sync")
        nodes = "".join(f"    - host: 127.0.0.1\n      port: {s.port}\n" for s in sentinels)
        settings = node_settings(tmp_path, f"    sentinel_master: {MASTER_NAME}\n"
                                           f"    timeout: 500\n    sentinel_nodes:\n{nodes}")
        gw = gatehouse(two_routes_config(upstream.url, fault_tolerant=False),
                       extra_args=["--config", settings], workers=2)
        with Load(gw.proxy_port) as load:
            time.sleep(0.5)
            assert "OK" in cli(sentinels[0].port, "SENTINEL", "FAILOVER", MASTER_NAME)
            wait_until(lambda: sentinels[0].master_port_reported() == replica.port, 15,
                       "Sentinel did not promote the replica")
            switched_at = load.summary()["total"]
            time.sleep(1.0)
        summary = load.summary()
        events = settled_events(gw, summary["refused"])
        in_new_master = int(replica.cli("XLEN", "gatehouse:events").strip() or 0)
        line = report_line("Sentinel failover under load", summary, events, in_new_master,
                           "lost by the failover (acknowledged by the old master, not "
                           "replicated: asynchronous replication)")
        assert summary["total"] > switched_at, line  # requests kept going after the switch
        # Recovered without a restart: the counters and the events are on the new master now.
        def ok_count() -> int:  # the /ok counter: the largest of the two services' counts
            keys = replica.cli("--scan", "--pattern", "ratelimit:*").split()
            return max((int(replica.cli("HGET", k, "c").strip() or 0) for k in keys), default=0)

        before = ok_count()
        assert sequential_statuses(gw, "/ok", 10) == [200] * 10, line
        assert ok_count() == before + 10, line  # counted on the new master
        assert sequential_statuses(gw, "/limited", 3) == [429] * 3, line
        wait_until(lambda: int(replica.cli("XLEN", "gatehouse:events").strip() or 0)
                   >= in_new_master + 3, 5, "events after the failover did not reach the new master")
        # Every event the gateway did not write is counted by it, never silently lost.
        lost = summary["refused"] - events["written"]
        assert lost == events["failed"] + events["dropped"], line
    finally:
        for p in sentinels + [replica, master]:
            p.kill()


# ---- Cluster -----------------------------------------------------------------------------------
def node_id(port: int) -> str:
    return cli(port, "CLUSTER", "MYID")


def test_cluster_slot_migration_under_load_keeps_counts_exact(gatehouse, upstream, redis_cluster,
                                                               tmp_path):
    seeds = "".join(f"    - ip: 127.0.0.1\n      port: {n.port}\n" for n in redis_cluster)
    settings = node_settings(tmp_path, f"    cluster_nodes:\n{seeds}")
    gw = gatehouse(two_routes_config(upstream.url, fault_tolerant=False),
                   extra_args=["--config", settings], workers=2)
    assert sequential_statuses(gw, "/ok", 1) == [200]
    # Find the /ok counter (the service's hour window) and its slot's owner.
    key, source = None, None
    for n in redis_cluster:
        for k in n.cli("--scan", "--pattern", "ratelimit:*").split():
            key, source = k, n
    assert key is not None, "no rate-limiting key in the cluster"
    slot = int(cli(source.port, "CLUSTER", "KEYSLOT", key))
    target = next(n for n in redis_cluster if n is not source)
    src_id, dst_id = node_id(source.port), node_id(target.port)
    with Load(gw.proxy_port) as load:
        time.sleep(0.5)
        assert cli(target.port, "CLUSTER", "SETSLOT", str(slot), "IMPORTING", src_id) == "OK"
        assert cli(source.port, "CLUSTER", "SETSLOT", str(slot), "MIGRATING", dst_id) == "OK"
        time.sleep(0.3)  # requests meet the MIGRATING state (the key is still at the source)
        keys = cli(source.port, "CLUSTER", "GETKEYSINSLOT", str(slot), "100").split()
        assert cli(source.port, "MIGRATE", "127.0.0.1", str(target.port), "", "0", "5000",
                   "KEYS", *keys) == "OK"
        time.sleep(0.3)  # ... then ASK redirections (the key moved, the slot not yet)
        for n in redis_cluster:
            assert cli(n.port, "CLUSTER", "SETSLOT", str(slot), "NODE", dst_id) == "OK"
        time.sleep(0.7)  # ... then MOVED, and the new owner
    summary = load.summary()
    events = settled_events(gw, summary["refused"])
    counted = int(cli(target.port, "HGET", key, "c") or 0)
    in_stream = int(cli(target.port, "XLEN", "gatehouse:events", cluster=True) or 0)
    line = report_line("Cluster slot migration under load", summary, events, in_stream,
                       "lost") + f"; /ok: {summary['ok'] + 1} admitted, {counted} counted"
    print(line.rsplit(";", 1)[1])
    assert "ratelimit" in cli(target.port, "CLUSTER", "GETKEYSINSLOT", str(slot), "10"), line
    assert summary["failed"] == 0, line
    assert counted == summary["ok"] + 1, line  # exact: every admitted request counted once
    assert events["written"] == summary["refused"] == in_stream, line


# ---- Redis killed and restarted ------------------------------------------------------------
def test_redis_killed_and_restarted_under_load_requests_pass_and_lost_events_are_counted(
        gatehouse, upstream, tmp_path):
    redis = RedisProcess(tmp_path / "redis")
    try:
        settings = node_settings(tmp_path, f"    host: 127.0.0.1\n    port: {redis.port}\n")
        gw = gatehouse(two_routes_config(upstream.url, fault_tolerant=True),
                       extra_args=["--config", settings], workers=2)
        with Load(gw.proxy_port) as load:
            time.sleep(0.5)
            redis.kill()
            time.sleep(1.5)
            redis.start()
            wait_until(lambda: redis.cli("--scan", "--pattern", "ratelimit:*").split(), 10,
                       "the gateway did not reconnect to Redis")
            restarted_at = load.summary()["refused"]
            # The events pipeline has its own connection, whose reconnect backoff (up to 2 s,
            # jittered) may still be running when rate-limiting's is back.
            wait_until(lambda: int(redis.cli("XLEN", "gatehouse:events").strip() or 0) > 0, 10,
                       "events did not flow again after the restart")
            time.sleep(0.3)
        summary = load.summary()
        events = settled_events(gw, summary["refused"])
        in_stream = int(redis.cli("XLEN", "gatehouse:events").strip() or 0)
        line = report_line("Redis killed 1.5 s and restarted under load (fault_tolerant true)",
                           summary, events, in_stream,
                           "lost with the killed Redis (no persistence in this test)")
        assert summary["failed"] == 0, line  # fault_tolerant: every request passes
        assert summary["refused"] > restarted_at, line  # refusing again after the restart
        assert in_stream > 0, line  # events flow again
        lost = summary["refused"] - events["written"]
        assert lost == events["failed"] + events["dropped"], line  # every loss is counted
    finally:
        redis.kill()
