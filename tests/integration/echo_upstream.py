"""A real HTTP/1.1 upstream for the integration tests.

It answers every method with a JSON echo of what it received, so a test can check exactly what
the gateway forwarded (request line, headers in order and with duplicates, body). Special paths
produce the upstream behaviours a proxy must cope with:

    /status/<code>          answer with that status (no body for 1xx/204/304 and HEAD)
    /delay/<ms>             wait, then echo
    /bytes/<n>[?chunked=1]  stream n bytes (Content-Length, or chunked), never held in memory
    /sse[?n=3&interval_ms=200]  a few Server-Sent Events, flushed one by one
    /close                  close the connection without any response
    /sink                   count and discard the request body (any size), answer {body_len, crc32}
    /response-headers?k=v   echo, with each query pair added as a response header
    /ws                     WebSocket upgrade (101), then echo raw bytes until the peer closes

A request is recorded in `.requests` only once its body has been read completely, so a request
the gateway aborted half-way (bad chunk, client gone) never shows up as received.
"""
from __future__ import annotations

import base64
import hashlib
import json
import socket
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

BLOCK = bytes(range(256)) * 256  # 64 KiB pattern reused for every streamed body


class BodyError(Exception):
    pass


def read_chunked(rfile, sink):
    """Decodes a chunked body from rfile, passing each piece to sink. Raises BodyError."""
    while True:
        line = rfile.readline(1024)
        if not line.endswith(b"\r\n"):
            raise BodyError("bad chunk size line")
        size_text = line[:-2].split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise BodyError("bad chunk size") from None
        if size == 0:
            while True:  # trailers
                t = rfile.readline(8192)
                if t == b"\r\n":
                    return
                if not t.endswith(b"\r\n"):
                    raise BodyError("bad trailer")
        while size:
            piece = rfile.read(min(size, 1 << 16))
            if not piece:
                raise BodyError("truncated chunk")
            sink(piece)
            size -= len(piece)
        if rfile.read(2) != b"\r\n":
            raise BodyError("missing CRLF after chunk")


class EchoHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 60
    server_version = "echo-upstream"
    sys_version = ""

    def log_message(self, fmt, *args):  # keep test output clean
        pass

    def __getattr__(self, name):
        # BaseHTTPRequestHandler dispatches do_<METHOD>; accept every method token.
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)

    # ---- body reading -------------------------------------------------------------------
    def _read_body(self, keep):
        """Returns (body_bytes_kept, total_len, crc32). keep: max bytes kept in memory."""
        kept = bytearray()
        state = {"len": 0, "crc": 0}

        def sink(piece):
            state["len"] += len(piece)
            state["crc"] = zlib.crc32(piece, state["crc"])
            if len(kept) < keep:
                kept.extend(piece[: keep - len(kept)])

        te = self.headers.get("Transfer-Encoding")
        cl = self.headers.get("Content-Length")
        if te is not None:
            if te.strip().lower() != "chunked":
                raise BodyError("unsupported transfer-encoding " + te)
            read_chunked(self.rfile, sink)
        elif cl is not None:
            n = int(cl)
            while n:
                piece = self.rfile.read(min(n, 1 << 16))
                if not piece:
                    raise BodyError("truncated body")
                sink(piece)
                n -= len(piece)
        return bytes(kept), state["len"], state["crc"]

    # ---- responses ----------------------------------------------------------------------
    def _send(self, code, body=b"", ctype="application/json", extra=()):
        self.send_response(code)
        for k, v in extra:
            self.send_header(k, v)
        no_body = code in (204, 304) or code < 200
        if not no_body:
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not no_body and self.command != "HEAD":
            self.wfile.write(body)

    def _handle(self):
        url = urlsplit(self.path)
        path = url.path
        query = parse_qsl(url.query, keep_blank_values=True)
        srv = self.server
        srv.note_arrival(self.command, path)

        if path == "/close":
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            srv.record(self, path, url.query, b"", 0)
            return

        keep = 0 if path == "/sink" else 1 << 20
        try:
            body, body_len, crc = self._read_body(keep)
        except (BodyError, ValueError, OSError):
            self.close_connection = True
            return
        srv.record(self, path, url.query, body, body_len)

        if path == "/ws" and self.headers.get("Upgrade", "").lower() == "websocket":
            return self._websocket()
        if path == "/sink":
            return self._send(200, json.dumps({"body_len": body_len, "crc32": crc}).encode())
        if path.startswith("/bytes/"):
            return self._stream_bytes(int(path.split("/")[2]), dict(query).get("chunked") == "1")
        if path == "/sse":
            q = dict(query)
            return self._sse(int(q.get("n", "3")), int(q.get("interval_ms", "200")))
        if path.startswith("/delay/"):
            time.sleep(int(path.split("/")[2]) / 1000.0)

        code = 200
        extra = []
        if path.startswith("/status/"):
            code = int(path.split("/")[2])
        if path == "/response-headers":
            extra = list(query)
        echo = {
            "method": self.command,
            "path": path,
            "query": url.query,
            "headers": [[k, v] for k, v in self.headers.items()],
            "body": body.decode("utf-8", "replace"),
            "body_len": body_len,
        }
        self._send(code, json.dumps(echo).encode(), extra=extra)

    def _stream_bytes(self, n, chunked):
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(n))
        self.end_headers()
        if self.command == "HEAD":
            return
        left = n
        while left:
            piece = BLOCK[: min(left, len(BLOCK))]
            if chunked:
                self.wfile.write(b"%x\r\n" % len(piece) + piece + b"\r\n")
            else:
                self.wfile.write(piece)
            left -= len(piece)
        if chunked:
            self.wfile.write(b"0\r\n\r\n")

    def _sse(self, n, interval_ms):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for i in range(n):
            event = f"id: {i}\ndata: event {i}\n\n".encode()
            self.wfile.write(b"%x\r\n" % len(event) + event + b"\r\n")
            self.wfile.flush()
            if i + 1 < n:
                time.sleep(interval_ms / 1000.0)
        self.wfile.write(b"0\r\n\r\n")

    def _websocket(self):
        key = self.headers.get("Sec-WebSocket-Key", "")
        accept = base64.b64encode(
            hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()
        ).decode()
        self.send_response(101)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept)
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        conn = self.connection
        while True:  # raw echo: the gateway must tunnel bytes both ways untouched
            try:
                data = conn.recv(65536)
            except OSError:
                return
            if not data:
                return
            conn.sendall(data)


class EchoUpstream(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), EchoHandler)
        self.requests: list[dict] = []
        self.arrivals: list[tuple[str, str]] = []
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def host(self):
        return "127.0.0.1"

    @property
    def port(self):
        return self.server_address[1]

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self.shutdown()
        self.server_close()

    def note_arrival(self, method, path):
        with self._cond:
            self.arrivals.append((method, path))
            self._cond.notify_all()

    def record(self, handler, path, query, body, body_len):
        entry = {
            "method": handler.command,
            "path": path,
            "query": query,
            "headers": [(k, v) for k, v in handler.headers.items()],
            "body": body,
            "body_len": body_len,
            "peer": handler.client_address,
        }
        with self._cond:
            self.requests.append(entry)
            self._cond.notify_all()

    def clear(self):
        with self._cond:
            self.requests.clear()
            self.arrivals.clear()

    def wait_for_arrival(self, path, timeout=10.0):
        """Blocks until a request for `path` has arrived (headers read), or raises."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not any(p == path for _, p in self.arrivals):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"upstream never received {path}")
                self._cond.wait(left)


def header_values(headers, name):
    """All values of header `name` (case-insensitive) from a [(name, value)] list."""
    return [v for k, v in headers if k.lower() == name.lower()]
