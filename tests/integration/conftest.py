"""Fixtures for the integration tests: the real gatehouse binary, a real HTTP/1.1 echo upstream
and a real redis-server, all on loopback port 0.

Run: /usr/bin/python3 -m pytest -q tests/integration   (GATEHOUSE_BIN=path/to/gatehouse)
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from echo_upstream import EchoUpstream
from gateway_process import GatewayProcess, free_port, raw_exchange, raw_request  # noqa: F401

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("GATEHOUSE_SHARED_DIR", REPO.parent / "shared"))


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: long-running (1 GB bodies); still part of make test")


@pytest.fixture(scope="session")
def gatehouse_bin() -> Path:
    path = Path(os.environ.get("GATEHOUSE_BIN", REPO / "build" / "gatehouse"))
    if not path.is_file() or not os.access(path, os.X_OK):
        pytest.fail(f"gatehouse binary not found at {path} (set GATEHOUSE_BIN)")
    return path


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    return SHARED


# Modules whose tests count exact admissions within one fixed window of a minute.
_WINDOW_COUNTING_MODULES = ("test_rate_limiting", "test_redis_rate_limiting", "test_consumer_flow",
                            "test_redis_failover")


@pytest.fixture(autouse=True)
def _clear_of_minute_boundary(request):
    """A fixed window restarts on the minute: a test that counts admissions against a
    per-minute limit and straddles the boundary sees two windows admit (twice the limit
    for a burst, seen once as 200 admitted of a limit of 100). Such tests start at least
    8 s before the next minute (waiting at most that long)."""
    if request.module.__name__.rsplit(".", 1)[-1] in _WINDOW_COUNTING_MODULES:
        into_minute = time.time() % 60
        if into_minute > 52:
            time.sleep(60.2 - into_minute)
    yield


@pytest.fixture
def upstream():
    server = EchoUpstream().start()
    yield server
    server.stop()


@pytest.fixture
def gatehouse(gatehouse_bin, tmp_path):
    """Factory: gatehouse(config_yaml, extra_args=[], env={}, workers=1) -> GatewayProcess.

    Every process started here is stopped with SIGTERM at teardown, and must exit 0 within 10 s
    (unless the test already stopped it itself)."""
    started: list[GatewayProcess] = []

    def start(config_yaml: str | None, extra_args=(), env=None, workers: int | None = 1,
              **kwargs) -> GatewayProcess:
        workdir = tmp_path / f"gw{len(started)}"
        workdir.mkdir()
        gw = GatewayProcess(gatehouse_bin, workdir, config_yaml, extra_args, env, workers, **kwargs)
        started.append(gw)
        return gw

    yield start

    failures = []
    for gw in started:
        if gw.returncode is not None:
            continue  # the test stopped it and checked the exit itself
        code = gw.stop()
        if code != 0:
            failures.append(f"gatehouse exited with {code} on SIGTERM\n{gw.diagnostics()}")
    if failures:
        pytest.fail("\n".join(failures))


@pytest.fixture
def redis_server(tmp_path):
    """A real redis-server on a free loopback port; yields (host, port)."""
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                if s.recv(64).startswith(b"+PONG"):
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail("redis-server did not start")
        time.sleep(0.05)
    yield ("127.0.0.1", port)
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()

