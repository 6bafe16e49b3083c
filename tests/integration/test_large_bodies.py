"""1 GB bodies through the real binary, both directions, Content-Length and chunked, with the
gateway's peak RSS (VmHWM) staying under 64 MB: bodies are streamed, never buffered whole.

Neither side of the test holds a body in memory: uploads come from a generator reusing one
64 KiB block, the echo upstream's /sink counts and discards, /bytes/<n> streams.
"""
from __future__ import annotations

import functools
import http.client
import json
import zlib

import pytest
import requests

from configs import simple_config
from echo_upstream import BLOCK

GB = 1 << 30
MAX_PEAK_RSS_KB = 64 * 1024


@pytest.fixture
def gw(gatehouse, upstream):
    return gatehouse(simple_config(upstream.url, service_extra="  read_timeout: 120000\n"
                                                               "  write_timeout: 120000\n"))


def blocks(total):
    left = total
    while left:
        piece = BLOCK if left >= len(BLOCK) else BLOCK[:left]
        yield piece
        left -= len(piece)


@functools.lru_cache(maxsize=None)
def expected_crc(total):
    crc = 0
    for piece in blocks(total):
        crc = zlib.crc32(piece, crc)
    return crc


def assert_flat_memory(gw):
    peak = gw.peak_rss_kb()
    assert peak < MAX_PEAK_RSS_KB, f"gatehouse peak RSS {peak / 1024:.1f} MB >= 64 MB"


@pytest.mark.slow
@pytest.mark.parametrize("size,framing", [(GB, "content-length"), (GB // 4, "chunked")])
def test_large_upload_streams_with_flat_memory(gw, size, framing):
    if framing == "chunked":
        r = requests.post(gw.proxy_url + "/sink", data=blocks(size), timeout=180)
        status, body = r.status_code, r.json()
    else:
        conn = http.client.HTTPConnection("127.0.0.1", gw.proxy_port, timeout=180)
        conn.putrequest("POST", "/sink")
        conn.putheader("Content-Length", str(size))
        conn.endheaders()
        for piece in blocks(size):
            conn.send(piece)
        resp = conn.getresponse()
        status, body = resp.status, json.loads(resp.read())
        conn.close()
    assert status == 200
    assert body["body_len"] == size
    assert body["crc32"] == expected_crc(size)
    assert_flat_memory(gw)


@pytest.mark.slow
@pytest.mark.parametrize("size,chunked", [(GB, "1"), (GB // 4, "0")])
def test_large_download_streams_with_flat_memory(gw, size, chunked):
    conn = http.client.HTTPConnection("127.0.0.1", gw.proxy_port, timeout=180)
    conn.request("GET", f"/bytes/{size}?chunked={chunked}")
    resp = conn.getresponse()
    assert resp.status == 200
    received = 0
    crc = 0
    while True:
        piece = resp.read(1 << 20)
        if not piece:
            break
        received += len(piece)
        crc = zlib.crc32(piece, crc)
    conn.close()
    assert received == size
    assert crc == expected_crc(size)
    assert_flat_memory(gw)


@pytest.mark.parametrize("size", [1, 2047, 2049, 43_000, 200_000])
def test_body_sent_with_its_head_reaches_the_upstream_exactly(gw, size):
    # Head and Content-Length body in one write, then a second request on the connection:
    # the body bytes read with the head leave in the head's own write upstream, the rest
    # are relayed from the client's buffer, and the next request is parsed after them.
    import os
    import socket

    body = os.urandom(size)
    head = (b"POST /sink HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n" % size)
    s = socket.create_connection(("127.0.0.1", gw.proxy_port), timeout=10)
    s.sendall(head + body + b"GET /sink HTTP/1.1\r\nHost: t\r\n\r\n")
    f = s.makefile("rb")
    answers = []
    for _ in range(2):
        status = int(f.readline().split()[1])
        length = 0
        while (line := f.readline()) not in (b"\r\n", b""):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        answers.append((status, json.loads(f.read(length))))
    s.close()
    assert answers[0] == (200, {"body_len": size, "crc32": zlib.crc32(body)})
    assert answers[1] == (200, {"body_len": 0, "crc32": 0})
