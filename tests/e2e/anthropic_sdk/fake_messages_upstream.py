"""A fake Anthropic Messages API upstream for the aws-masker end-to-end and integration tests.

It records every request it receives (path, headers with lower-case names, raw body) in
`.requests`, and answers:

    POST /v1/messages   an Anthropic Messages response whose text and tool_use input echo every
                        masking token (AWS_<TYPE>_<NNN>) found in the request, in order of first
                        appearance. "stream": true gives Anthropic's exact SSE event sequence:
                        message_start, content_block_start, ping, content_block_delta (text_delta,
                        text split every `text_split` characters, so tokens straddle deltas),
                        content_block_stop, a tool_use block whose input arrives as
                        input_json_delta pieces of `json_split` characters, message_delta,
                        message_stop. The SSE bytes are written `tcp_split` bytes per chunked write
                        (TCP_NODELAY), so tokens and events are also split across TCP segments.
    POST /echo          the request body back, same Content-Type (non-streaming restore tests).

Tokens the request did not contain are appended when `extra_tokens` is set (a token the client
was never issued must come back as is).
"""
from __future__ import annotations

import json
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN_RE = re.compile(r"AWS_[A-Z0-9_]+?_\d{3,}")


def compact(obj) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def sse_events(text: str, tool_input: dict, text_split: int, json_split: int) -> list[str]:
    ev = []

    def add(name, data, raw=None):
        ev.append(f"event: {name}\ndata: {raw if raw is not None else compact(data)}\n\n")

    add("message_start", {"type": "message_start", "message": {
        "id": "msg_fake01", "type": "message", "role": "assistant", "content": [],
        "model": "claude-sonnet-4-5", "stop_reason": None, "stop_sequence": None,
        "usage": {"input_tokens": 25, "output_tokens": 1}}})
    add("content_block_start", {"type": "content_block_start", "index": 0,
                                "content_block": {"type": "text", "text": ""}})
    add("ping", None, raw='{"type": "ping"}')
    for i in range(0, len(text), text_split):
        add("content_block_delta", {"type": "content_block_delta", "index": 0,
                                    "delta": {"type": "text_delta", "text": text[i:i + text_split]}})
    add("content_block_stop", {"type": "content_block_stop", "index": 0})
    add("content_block_start", {"type": "content_block_start", "index": 1, "content_block": {
        "type": "tool_use", "id": "toolu_fake01", "name": "lookup", "input": {}}})
    partial = compact(tool_input)
    for i in range(0, len(partial), json_split):
        add("content_block_delta", {"type": "content_block_delta", "index": 1,
                                    "delta": {"type": "input_json_delta",
                                              "partial_json": partial[i:i + json_split]}})
    add("content_block_stop", {"type": "content_block_stop", "index": 1})
    add("message_delta", {"type": "message_delta",
                          "delta": {"stop_reason": "tool_use", "stop_sequence": None},
                          "usage": {"output_tokens": 42}})
    add("message_stop", {"type": "message_stop"})
    return ev


class FakeMessagesUpstream:
    def __init__(self, text_split: int = 5, json_split: int = 4, tcp_split: int = 7,
                 extra_tokens: tuple[str, ...] = ()):
        self.text_split = text_split
        self.json_split = json_split
        self.tcp_split = tcp_split
        self.extra_tokens = list(extra_tokens)
        self.requests: list[dict] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # ---- lifecycle --------------------------------------------------------------------------
    def start(self) -> "FakeMessagesUpstream":
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self._read_body()
                with owner._lock:
                    owner.requests.append({"path": self.path,
                                           "headers": {k.lower(): v for k, v in self.headers.items()},
                                           "body": body})
                if self.path.startswith("/echo"):
                    self._send(200, self.headers.get("Content-Type", "application/octet-stream"), body)
                elif self.path.startswith("/v1/messages"):
                    owner._messages(self, body)
                else:
                    self._send(404, "application/json", b'{"error":"not found"}')

            def _read_body(self) -> bytes:
                if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                    out = bytearray()
                    while True:
                        size = int(self.rfile.readline().split(b";")[0], 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b""):
                                pass
                            return bytes(out)
                        out += self.rfile.read(size)
                        self.rfile.readline()
                return self.rfile.read(int(self.headers.get("Content-Length", "0")))

            def _send(self, status, ctype, payload: bytes):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def bodies(self) -> list[bytes]:
        with self._lock:
            return [r["body"] for r in self.requests]

    # ---- /v1/messages ----------------------------------------------------------------------
    def _messages(self, handler, body: bytes):
        try:
            req = json.loads(body)
        except ValueError:
            handler._send(400, "application/json", b'{"type":"error","error":{"type":"invalid_request_error","message":"bad json"}}')
            return
        tokens = list(dict.fromkeys(TOKEN_RE.findall(body.decode("utf-8", "replace"))))
        tokens += self.extra_tokens
        text = "I saw " + ", ".join(tokens) + ". Summary: " + " / ".join(tokens) + "."
        tool_input = {"instances": tokens, "note": "ids: " + ";".join(tokens)}
        if not req.get("stream"):
            msg = {"id": "msg_fake01", "type": "message", "role": "assistant",
                   "model": req.get("model", "claude-sonnet-4-5"),
                   "content": [{"type": "text", "text": text},
                               {"type": "tool_use", "id": "toolu_fake01", "name": "lookup",
                                "input": tool_input}],
                   "stop_reason": "tool_use", "stop_sequence": None,
                   "usage": {"input_tokens": 25, "output_tokens": 42}}
            handler._send(200, "application/json", compact(msg).encode())
            return
        payload = "".join(sse_events(text, tool_input, self.text_split, self.json_split)).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream; charset=utf-8")
        handler.send_header("Cache-Control", "no-cache")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        handler.wfile.flush()
        handler.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for i in range(0, len(payload), self.tcp_split):
            piece = payload[i:i + self.tcp_split]
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            handler.wfile.flush()
            if i % (self.tcp_split * 16) == 0:
                time.sleep(0.0005)  # lets some pieces leave as their own TCP segments
        handler.wfile.write(b"0\r\n\r\n")
        handler.wfile.flush()
