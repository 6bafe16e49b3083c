"""aws-masker through the real gatehouse binary: masking on the way up, restoring on the way
down (JSON and Anthropic SSE split across TCP writes), refusals (413/415), header masking, the
`gatehouse mask` / `unmask` CLI, and the official Anthropic TypeScript SDK end to end.

The upstream is tests/e2e/anthropic_sdk/fake_messages_upstream.py: it records every body it
receives, so each test can check that no original identifier ever reached it.
"""
from __future__ import annotations

import gzip
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from gateway_process import HttpReader  # noqa: F401  (same harness as the other tests)

REPO = Path(__file__).resolve().parents[2]
SDK_DIR = REPO / "tests" / "e2e" / "anthropic_sdk"
sys.path.insert(0, str(SDK_DIR))
from fake_messages_upstream import TOKEN_RE, FakeMessagesUpstream  # noqa: E402

ORIGINALS = [
    "i-0a1b2c3d4e5f60718",
    "vpc-0123456789abcdef0",
    "subnet-0fedcba9876543210",
    "sg-0badc0ffee1234567",
    "10.0.3.17",
    "54.210.33.9",
    "123456789012",
    "arn:aws:iam::123456789012:role/prod-deployer",
    "prod-logs-bucket-77",
    "AKIAIOSFODNN7EXAMPL3",
    "2600:1f18:4a3:6e00::17",
]

PROMPT = (
    "Why can't i-0a1b2c3d4e5f60718 (vpc-0123456789abcdef0, subnet-0fedcba9876543210, "
    "sg-0badc0ffee1234567) reach 54.210.33.9? Its private IP is 10.0.3.17, IPv6 "
    "2600:1f18:4a3:6e00::17. It runs as arn:aws:iam::123456789012:role/prod-deployer "
    "in account 123456789012 and writes to s3://prod-logs-bucket-77/app/. "
    "Key AKIAIOSFODNN7EXAMPL3 was rotated.\n"
    '{"Reservations": [{"Instances": [{"InstanceId": "i-0a1b2c3d4e5f60718", '
    '"PrivateIpAddress": "10.0.3.17"}]}]}'
)


def masker_config(upstream_url: str, plugin_config: dict | None = None) -> str:
    return json.dumps({
        "_format_version": "3.0",
        "services": [{
            "name": "anthropic",
            "url": upstream_url,
            "routes": [{"name": "messages", "paths": ["/"], "strip_path": False}],
            "plugins": [{"name": "aws-masker", "config": plugin_config or {}}],
        }],
    })


@pytest.fixture
def fake():
    server = FakeMessagesUpstream().start()
    yield server
    server.stop()


def assert_no_original(payload: bytes | str, originals=ORIGINALS):
    text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else payload
    leaked = [o for o in originals if o in text]
    assert not leaked, f"upstream saw originals {leaked}: {text[:500]}"


def messages_body(stream: bool = False, prompt: str = PROMPT) -> dict:
    return {"model": "claude-sonnet-4-5", "max_tokens": 256, "stream": stream,
            "messages": [{"role": "user", "content": prompt}]}


# ---- requests ----------------------------------------------------------------------------------

def test_json_request_reaches_upstream_masked_with_a_correct_content_length(gatehouse, fake):
    gw = gatehouse(masker_config(fake.url))
    r = requests.post(gw.proxy_url + "/echo", json=messages_body(), timeout=10)
    assert r.status_code == 200
    seen = fake.requests[-1]
    assert_no_original(seen["body"])
    assert int(seen["headers"]["content-length"]) == len(seen["body"])
    sent = json.loads(seen["body"])  # still valid JSON
    content = sent["messages"][0]["content"]
    for token in ("AWS_EC2_001", "AWS_VPC_001", "AWS_PRIVATE_IP_001", "AWS_PUBLIC_IP_001",
                  "AWS_IAM_ROLE_001", "AWS_BUCKET_001", "AWS_ACCESS_KEY_001", "AWS_IPV6_001"):
        assert token in content, content
    # The same instance in prose and in the pasted JSON gets one token.
    assert content.count("AWS_EC2_001") == 2
    assert seen["headers"].get("accept-encoding") == "identity"


def test_non_streaming_json_response_is_restored_byte_for_byte(gatehouse, fake):
    gw = gatehouse(masker_config(fake.url))
    body = json.dumps(messages_body()).encode()
    r = requests.post(gw.proxy_url + "/echo", data=body,
                      headers={"Content-Type": "application/json"}, timeout=10)
    assert r.status_code == 200
    assert r.content == body  # the echo of the masked body, restored exactly
    assert_no_original(fake.bodies()[-1])


def test_large_body_arriving_in_pieces_after_the_head_is_masked_whole_and_restored(gatehouse, fake):
    """The body (~330 KB) comes after the head in separate, paced TCP writes, so the
    gateway gathers it over many reads: the upstream must still get all of it masked, with
    the right length, and the client the original back."""
    gw = gatehouse(masker_config(fake.url))
    prompt = "\n".join(f"{i}: {PROMPT}" for i in range(700))  # ~330 KB
    body = json.dumps(messages_body(prompt=prompt)).encode()
    head = (f"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", gw.proxy_port), timeout=10) as sock:
        sock.sendall(head)
        time.sleep(0.2)
        step = len(body) // 5 + 1
        for at in range(0, len(body), step):
            sock.sendall(body[at:at + step])
            time.sleep(0.05)
        status, headers, echoed = HttpReader(sock).response()
    assert status == 200
    assert echoed == body  # the echo of the masked body, restored exactly
    seen = fake.requests[-1]
    assert_no_original(seen["body"])
    assert int(seen["headers"]["content-length"]) == len(seen["body"])
    assert "AWS_EC2_001" in json.loads(seen["body"])["messages"][0]["content"]


def test_anthropic_sse_is_restored_with_tokens_split_across_deltas_and_tcp_writes(gatehouse, fake):
    fake.text_split, fake.json_split, fake.tcp_split = 3, 2, 5
    gw = gatehouse(masker_config(fake.url))
    r = requests.post(gw.proxy_url + "/v1/messages", json=messages_body(stream=True), stream=True,
                      timeout=20)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/event-stream")
    raw = b"".join(r.iter_content(chunk_size=None)).decode()
    text, partial, types = "", "", []
    for event in raw.split("\n\n"):
        data = [line[6:] for line in event.split("\n") if line.startswith("data: ")]
        if not data:
            continue
        ev = json.loads(data[0])
        types.append(ev["type"])
        if ev["type"] == "content_block_delta" and ev["delta"]["type"] == "text_delta":
            text += ev["delta"]["text"]
        if ev["type"] == "content_block_delta" and ev["delta"]["type"] == "input_json_delta":
            partial += ev["delta"]["partial_json"]
    assert types[0] == "message_start" and types[-1] == "message_stop"
    assert not TOKEN_RE.search(text), text
    for original in ORIGINALS:
        if original != "123456789012":  # the account is inside the role ARN: one token
            assert original in text, (original, text)
    tool = json.loads(partial)
    assert "i-0a1b2c3d4e5f60718" in tool["instances"]
    assert "arn:aws:iam::123456789012:role/prod-deployer" in tool["instances"]
    assert_no_original(fake.bodies()[-1])


def test_a_token_the_client_was_never_issued_comes_back_unchanged(gatehouse):
    server = FakeMessagesUpstream(extra_tokens=("AWS_EC2_777", "AWS_SECRET_KEY_001")).start()
    try:
        gw = gatehouse(masker_config(server.url))
        r = requests.post(gw.proxy_url + "/v1/messages", json=messages_body(), timeout=10)
        assert r.status_code == 200
        text = r.json()["content"][0]["text"]
        assert "AWS_EC2_777" in text and "AWS_SECRET_KEY_001" in text
        assert "i-0a1b2c3d4e5f60718" in text
        # Request scope: a second request does not get the first request's originals back.
        r2 = requests.post(gw.proxy_url + "/echo", json={"t": "AWS_EC2_001 AWS_VPC_001"}, timeout=10)
        assert r2.json() == {"t": "AWS_EC2_001 AWS_VPC_001"}
    finally:
        server.stop()


def test_consumer_scope_restores_tokens_from_earlier_requests_but_never_another_consumers(gatehouse, fake):
    config = json.loads(masker_config(fake.url, {"scope": "consumer"}))
    config["services"][0]["plugins"].append({"name": "key-auth", "config": {}})
    config["consumers"] = [{"username": "alice", "keyauth_credentials": [{"key": "alice-key"}]},
                           {"username": "bob", "keyauth_credentials": [{"key": "bob-key"}]}]
    gw = gatehouse(json.dumps(config))

    def post(key, body):
        r = requests.post(gw.proxy_url + "/echo", json=body, headers={"apikey": key}, timeout=10)
        assert r.status_code == 200, r.text
        return r.json(), json.loads(fake.requests[-1]["body"])

    _, sent = post("alice-key", {"q": "i-0a1b2c3d4e5f60718 in vpc-0123456789abcdef0"})
    assert sent == {"q": "AWS_EC2_001 in AWS_VPC_001"}
    # A later request of alice without those values: the echoed tokens are hers, restored.
    got, sent = post("alice-key", {"q": "AWS_EC2_001 and AWS_VPC_001 again?"})
    assert got == {"q": "i-0a1b2c3d4e5f60718 and vpc-0123456789abcdef0 again?"}
    # Bob sends the same token text: it was never issued to him, so it stays a token.
    got, _ = post("bob-key", {"q": "AWS_EC2_001"})
    assert got == {"q": "AWS_EC2_001"}
    # Alice's value keeps its token in her scope.
    _, sent = post("alice-key", {"q": "vpc-0123456789abcdef0"})
    assert sent == {"q": "AWS_VPC_001"}
    assert all(b"i-0a1b2c3d4e5f60718" not in b and b"vpc-0123456789abcdef0" not in b for b in fake.bodies())


# ---- refusals and encodings --------------------------------------------------------------------

def test_gzip_request_is_decoded_then_masked(gatehouse, fake):
    gw = gatehouse(masker_config(fake.url))
    body = json.dumps(messages_body()).encode()
    r = requests.post(gw.proxy_url + "/echo", data=gzip.compress(body), timeout=10,
                      headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})
    assert r.status_code == 200
    seen = fake.requests[-1]
    assert "content-encoding" not in seen["headers"]
    assert_no_original(seen["body"])
    assert b"AWS_EC2_001" in seen["body"]
    assert r.content == body


def test_unsupported_or_broken_encoding_is_refused_with_415_and_never_forwarded(gatehouse, fake):
    gw = gatehouse(masker_config(fake.url))
    for enc, payload in (("br", b"\x1b\x00i-0a1b2c3d4e5f60718"), ("gzip", b"not gzip i-0a1b2c3d4e5f60718")):
        r = requests.post(gw.proxy_url + "/echo", data=payload, timeout=10,
                          headers={"Content-Type": "text/plain", "Content-Encoding": enc})
        assert r.status_code == 415, (enc, r.text)
        assert "request_id" in r.json()
    assert fake.requests == []


def test_body_over_max_body_size_is_refused_with_413(gatehouse, fake):
    gw = gatehouse(masker_config(fake.url, {"max_body_size": 1024}))
    r = requests.post(gw.proxy_url + "/echo", data=b"x" * 2048 + b" i-0a1b2c3d4e5f60718", timeout=10,
                      headers={"Content-Type": "text/plain"})
    assert r.status_code == 413
    assert fake.requests == []
    ok = requests.post(gw.proxy_url + "/echo", data=b"i-0a1b2c3d4e5f60718", timeout=10,
                       headers={"Content-Type": "text/plain"})
    assert ok.status_code == 200 and ok.content == b"i-0a1b2c3d4e5f60718"


def test_listed_headers_are_masked_too(gatehouse, fake):
    gw = gatehouse(masker_config(fake.url, {"mask_headers": ["x-aws-instance", "x-aws-account"]}))
    r = requests.post(gw.proxy_url + "/echo", data=b"about i-0a1b2c3d4e5f60718", timeout=10,
                      headers={"Content-Type": "text/plain", "X-AWS-Instance": "i-0a1b2c3d4e5f60718",
                               "X-AWS-Account": "123456789012", "X-Other": "i-0a1b2c3d4e5f60718"})
    assert r.status_code == 200
    seen = fake.requests[-1]["headers"]
    assert seen["x-aws-instance"] == "AWS_EC2_001"
    assert seen["x-aws-account"] == "AWS_ACCOUNT_001"
    assert seen["x-other"] == "i-0a1b2c3d4e5f60718"  # not listed: untouched
    assert fake.requests[-1]["body"] == b"about AWS_EC2_001"


# ---- CLI ---------------------------------------------------------------------------------------

def test_cli_mask_prints_masked_text_explains_on_stderr_and_unmask_round_trips(gatehouse_bin, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEHOUSE_")}
    map_file = tmp_path / "map.json"
    masked = subprocess.run([str(gatehouse_bin), "mask", "--explain", "--map-out", str(map_file)],
                            input=PROMPT.encode(), capture_output=True, timeout=30, env=env)
    assert masked.returncode == 0, masked.stderr
    out = masked.stdout.decode()
    assert_no_original(out)
    assert "AWS_EC2_001" in out and "AWS_IAM_ROLE_001" in out
    explain = [line.split("\t") for line in masked.stderr.decode().splitlines() if line.count("\t") == 3]
    assert ["EC2", "AWS_EC2_001"] in [e[2:] for e in explain]
    first = next(e for e in explain if e[2] == "EC2")
    assert PROMPT.encode()[int(first[0]):int(first[1])] == b"i-0a1b2c3d4e5f60718"
    restored = subprocess.run([str(gatehouse_bin), "unmask", "--map", str(map_file)],
                              input=masked.stdout, capture_output=True, timeout=30, env=env)
    assert restored.returncode == 0, restored.stderr
    assert restored.stdout.decode() == PROMPT


# ---- the official Anthropic TypeScript SDK ------------------------------------------------------

def ensure_sdk() -> str | None:
    """None when the SDK is installed (npm ci if needed), else why it cannot be."""
    if (SDK_DIR / "node_modules" / "@anthropic-ai" / "sdk").is_dir():
        return None
    npm, node = shutil.which("npm"), shutil.which("node")
    if npm is None or node is None:
        return "node/npm not installed"
    try:
        r = subprocess.run([npm, "ci", "--prefer-offline", "--no-audit", "--no-fund"], cwd=SDK_DIR,
                           capture_output=True, timeout=300)
    except subprocess.TimeoutExpired:
        return "npm ci timed out"
    if r.returncode != 0:
        return "npm ci failed: " + r.stderr.decode(errors="replace")[-500:]
    return None


def test_official_anthropic_sdk_gets_every_original_back_and_upstream_sees_none(gatehouse, fake, tmp_path):
    why = ensure_sdk()
    if why is not None:
        pytest.skip(f"@anthropic-ai/sdk unavailable ({why}); node_modules missing and npm ci failed")
    fake.text_split, fake.json_split, fake.tcp_split = 4, 3, 6
    gw = gatehouse(masker_config(fake.url))
    prompt_file = tmp_path / "prompt.txt"
    prompt_file.write_text(PROMPT)
    r = subprocess.run([shutil.which("node"), str(SDK_DIR / "run_sdk.mjs"), gw.proxy_url, str(prompt_file)],
                       capture_output=True, timeout=60, cwd=SDK_DIR)
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    got = json.loads(r.stdout)

    # The upstream got two Messages requests (non-streaming, streaming), both fully masked.
    bodies = [req["body"] for req in fake.requests if req["path"].startswith("/v1/messages")]
    assert len(bodies) == 2
    for body in bodies:
        assert_no_original(body)
        assert TOKEN_RE.search(body.decode())

    expected = [o for o in ORIGINALS if o != "123456789012"]  # inside the role ARN's token
    tokens_sent = list(dict.fromkeys(TOKEN_RE.findall(bodies[0].decode())))
    for mode in ("nonstream", "stream"):
        res = got[mode]
        texts = [res["text"]] + ([res["final_text"]] if mode == "stream" else [])
        for text in texts:
            assert not TOKEN_RE.search(text), (mode, text)
            for original in expected:
                assert original in text, (mode, original, text)
        instances = res["input"]["instances"]
        assert len(instances) == len(tokens_sent)
        assert not any(TOKEN_RE.fullmatch(i) for i in instances), instances
        for original in expected:
            assert original in instances, (mode, original, instances)
        assert res["stop_reason"] == "tool_use"
    # Exactly: the streamed text equals the non-streamed text.
    assert got["stream"]["text"] == got["nonstream"]["text"]
    assert got["stream"]["input"] == got["nonstream"]["input"]
