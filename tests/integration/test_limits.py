"""Descriptor limit: gatehouse raises its soft RLIMIT_NOFILE to the hard limit at start, so a
default soft limit (Debian: 1024) does not cap the clients and upstream connections it holds."""
from __future__ import annotations

import resource
import socket

from configs import simple_config

LOW_SOFT_LIMIT = 256
CLIENTS = 300  # with the upstream connections, far more descriptors than 256


def soft_nofile(pid: int) -> int:
    for line in open(f"/proc/{pid}/limits"):
        if line.startswith("Max open files"):
            return int(line.split()[3])
    raise AssertionError("no 'Max open files' line")


def test_soft_descriptor_limit_is_raised_so_hundreds_of_clients_are_served(gatehouse, upstream):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard < 4 * CLIENTS:
        import pytest
        pytest.skip(f"hard descriptor limit {hard} too low for this test")
    resource.setrlimit(resource.RLIMIT_NOFILE, (LOW_SOFT_LIMIT, hard))  # inherited by the child
    try:
        gw = gatehouse(simple_config(upstream.url))
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert soft_nofile(gw.pid) == hard

    # All clients connected at once, each with a request in flight before any is read.
    conns = [socket.create_connection(("127.0.0.1", gw.proxy_port), timeout=10)
             for _ in range(CLIENTS)]
    try:
        for i, c in enumerate(conns):
            c.sendall(f"GET /delay/300?c={i} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        statuses = []
        for c in conns:
            head = b""
            while b"\r\n" not in head:
                chunk = c.recv(4096)
                if not chunk:
                    break
                head += chunk
            statuses.append(head.split(b" ", 2)[1] if head else b"closed")
    finally:
        for c in conns:
            c.close()
    assert statuses == [b"200"] * CLIENTS
