"""Runs the real gatehouse binary for a test and talks to it over raw sockets.

`GatewayProcess` starts `gatehouse run` on port 0, learns its ports from the startup lines it
prints (`gatehouse: proxy listening on HOST:PORT`, `gatehouse: admin listening on HOST:PORT`,
`gatehouse: ready`), and stops it with SIGTERM. `raw_request` sends exact bytes, for the
malformed-request tests that no HTTP client library would produce.
"""
from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

READY_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0
_LISTEN_RE = re.compile(r"^gatehouse: (proxy|admin) listening on (\S+):(\d+)\s*$")


class StartupError(RuntimeError):
    pass


class GatewayProcess:
    def __init__(self, binary, workdir: Path, config_yaml: str | None, extra_args=(), env=None,
                 workers: int | None = 1, proxy_listen: str | None = "127.0.0.1:0",
                 admin_listen: str | None = "127.0.0.1:0"):
        self.binary = str(binary)
        self.workdir = Path(workdir)
        self.config_path = self.workdir / "kong.yml"
        if config_yaml is not None:
            self.config_path.write_text(config_yaml)
        self.stderr_path = self.workdir / "gatehouse.stderr"
        args = [self.binary, "run"]
        if config_yaml is not None:
            args += ["--declarative-config", str(self.config_path)]
        if proxy_listen is not None:
            args += ["--proxy-listen", proxy_listen]
        if admin_listen is not None:
            args += ["--admin-listen", admin_listen]
        if workers is not None:
            args += ["--workers", str(workers)]
        args += list(extra_args)
        self.args = args
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("GATEHOUSE_")}
        full_env.update(env or {})
        self._stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self._stderr,
                                     env=full_env, cwd=self.workdir)
        self.stdout_lines: list[str] = []
        self._lines: queue.Queue = queue.Queue()
        self._reader = threading.Thread(target=self._read_stdout, daemon=True)
        self._reader.start()
        self.proxy_ports: list[int] = []
        self.admin_port: int | None = None
        self.returncode: int | None = None
        self._wait_ready()

    # ---- startup --------------------------------------------------------------------------
    def _read_stdout(self):
        for raw in self.proc.stdout:  # keeps draining so the child never blocks on a full pipe
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self.stdout_lines.append(line)
            self._lines.put(line)
        self._lines.put(None)

    def _wait_ready(self):
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                raise StartupError(f"gatehouse not ready after {READY_TIMEOUT}s\n{self.diagnostics()}")
            try:
                line = self._lines.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                self.proc.wait(5)
                raise StartupError(
                    f"gatehouse exited with {self.proc.returncode} before ready\n{self.diagnostics()}")
            m = _LISTEN_RE.match(line)
            if m and m.group(1) == "proxy":
                self.proxy_ports.append(int(m.group(3)))
            elif m:
                self.admin_port = int(m.group(3))
            elif line.strip() == "gatehouse: ready":
                return

    # ---- addresses ------------------------------------------------------------------------
    @property
    def proxy_port(self) -> int:
        return self.proxy_ports[0]

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self.proxy_port}"

    @property
    def admin_url(self) -> str:
        return f"http://127.0.0.1:{self.admin_port}"

    @property
    def pid(self) -> int:
        return self.proc.pid

    # ---- control --------------------------------------------------------------------------
    def reload(self):
        """Asks for a reload of the declarative config file (SIGHUP)."""
        self.proc.send_signal(signal.SIGHUP)

    def write_config(self, config_yaml: str):
        tmp = self.config_path.with_suffix(".tmp")
        tmp.write_text(config_yaml)
        os.replace(tmp, self.config_path)  # atomic: a reload never reads half a file

    def peak_rss_kb(self) -> int:
        return _status_kb(self.pid, "VmHWM")

    def rss_kb(self) -> int:
        return _status_kb(self.pid, "VmRSS")

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT) -> int:
        """Sends `sig` and waits; returns the exit code (killed -> negative, after timeout)."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self.returncode = self.proc.returncode
        self._close_files()
        return self.returncode

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.returncode = self.proc.returncode
        self._close_files()

    def _close_files(self):
        if self.proc.stdout and self._reader.is_alive():
            self._reader.join(2)
        if not self._stderr.closed:
            self._stderr.close()

    def stderr_text(self) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")
        except OSError:
            return ""

    def diagnostics(self) -> str:
        tail = self.stderr_text()[-4000:]
        return (f"command: {' '.join(self.args)}\nstdout:\n" + "\n".join(self.stdout_lines[-40:])
                + f"\nstderr (tail):\n{tail}")


def _status_kb(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def free_port() -> int:
    """A port nobody listens on right now (bound, then released)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class RawResult:
    """What came back on a raw connection: bytes, and whether the peer closed or reset it."""

    def __init__(self, data: bytes, closed: bool, reset: bool):
        self.data = data
        self.closed = closed  # EOF (FIN) seen before the timeout
        self.reset = reset  # connection reset by peer

    @property
    def status(self) -> int | None:
        m = re.match(rb"HTTP/1\.[01] (\d{3})", self.data)
        return int(m.group(1)) if m else None

    def __repr__(self):
        return f"RawResult(status={self.status}, closed={self.closed}, reset={self.reset}, data={self.data[:300]!r})"


def raw_exchange(host: str, port: int, payload: bytes, timeout: float = 5.0) -> RawResult:
    """Sends payload, then reads until the peer closes or `timeout` passes without data."""
    s = socket.create_connection((host, port), timeout=timeout)
    data = bytearray()
    closed = reset = False
    try:
        try:
            s.sendall(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may reject early; still read what it answered
        while True:
            try:
                piece = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                reset = True
                break
            if not piece:
                closed = True
                break
            data.extend(piece)
    finally:
        s.close()
    return RawResult(bytes(data), closed, reset)


def raw_request(host: str, port: int, payload: bytes, timeout: float = 5.0) -> bytes:
    """Sends exact bytes and returns everything received until close or timeout."""
    return raw_exchange(host, port, payload, timeout).data


class HttpReader:
    """Reads HTTP/1.1 responses one by one from a socket (keeps bytes across responses)."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = bytearray()

    def _fill(self):
        piece = self.sock.recv(65536)
        if not piece:
            raise ConnectionError("connection closed mid-response")
        self.buf.extend(piece)

    def line(self) -> bytes:
        while b"\r\n" not in self.buf:
            self._fill()
        i = self.buf.index(b"\r\n")
        out = bytes(self.buf[:i])
        del self.buf[: i + 2]
        return out

    def exact(self, n: int) -> bytes:
        while len(self.buf) < n:
            self._fill()
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def response(self, head_request: bool = False, skip_interim: bool = True):
        """(status, {lower-name: [values]}, body). Skips 1xx except 101 when skip_interim.

        Handles Content-Length, chunked and bodyless statuses; a response framed by
        connection close is read to EOF."""
        while True:
            status = int(self.line().split(b" ", 2)[1])
            headers: dict[str, list[str]] = {}
            while True:
                line = self.line()
                if not line:
                    break
                name, _, value = line.decode("latin-1").partition(":")
                headers.setdefault(name.strip().lower(), []).append(value.strip())
            if skip_interim and 100 <= status < 200 and status != 101:
                continue
            break
        if head_request or status in (204, 304) or 100 <= status < 200:
            return status, headers, b""
        if "chunked" in ",".join(headers.get("transfer-encoding", [])).lower():
            body = bytearray()
            while True:
                size = int(self.line().split(b";")[0], 16)
                if size == 0:
                    while self.line():
                        pass
                    return status, headers, bytes(body)
                body.extend(self.exact(size))
                self.exact(2)
        if "content-length" in headers:
            return status, headers, self.exact(int(headers["content-length"][0]))
        while True:
            try:
                self._fill()
            except ConnectionError:
                break
        body = bytes(self.buf)
        self.buf.clear()
        return status, headers, body


def read_response(sock, head_request: bool = False):
    """Reads one response from sock: (status, {lower-name: [values]}, body)."""
    return HttpReader(sock).response(head_request)
