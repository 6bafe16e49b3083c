"""aws-masker store-backed scopes over Redis across two gateway nodes (issue 5, item 4): a token
issued by node A is restored by node B, and with Redis down the request gets 503, never
forwarded unmasked."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import requests

from test_redis_rate_limiting import RedisProcess

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "e2e" / "anthropic_sdk"))
from fake_messages_upstream import FakeMessagesUpstream  # noqa: E402

INSTANCE = "i-0a1b2c3d4e5f60718"
VPC = "vpc-0123456789abcdef0"


def masker_config(upstream_url: str, redis_port: int) -> str:
    return json.dumps({
        "_format_version": "3.0",
        "services": [{
            "name": "anthropic", "url": upstream_url,
            "routes": [{"name": "messages", "paths": ["/"], "strip_path": False}],
            # A fixed plugin id: both nodes must name the same scope keys.
            "plugins": [{"name": "aws-masker", "id": "6b2f0c44-1d3e-4c55-9a9b-0d6f1e2a3b4c",
                         "config": {"scope": "global",
                                    "redis": {"host": "127.0.0.1", "port": redis_port,
                                              "timeout": 500}}}],
        }],
    })


@pytest.fixture
def fake():
    server = FakeMessagesUpstream().start()
    yield server
    server.stop()


def test_token_issued_by_node_a_is_restored_by_node_b(gatehouse, fake, redis_server):
    _, port = redis_server
    cfg = masker_config(fake.url, port)
    a, b = gatehouse(cfg), gatehouse(cfg)
    r = requests.post(a.proxy_url + "/echo", json={"q": f"{INSTANCE} in {VPC}"}, timeout=10)
    assert r.status_code == 200, r.text
    sent = json.loads(fake.requests[-1]["body"])
    assert INSTANCE not in sent["q"] and VPC not in sent["q"]
    token = sent["q"].split()[0]
    # Node B never saw the value: the token's original comes from Redis.
    r = requests.post(b.proxy_url + "/echo", json={"q": f"what is {token}?"}, timeout=10)
    assert r.status_code == 200, r.text
    assert r.json() == {"q": f"what is {INSTANCE}?"}
    # And node B gives the same value the same token.
    requests.post(b.proxy_url + "/echo", json={"q": INSTANCE}, timeout=10)
    assert json.loads(fake.requests[-1]["body"]) == {"q": token}


def test_redis_down_answers_503_and_never_forwards_an_unmasked_request(gatehouse, fake, tmp_path):
    redis = RedisProcess(tmp_path / "redis")
    try:
        gw = gatehouse(masker_config(fake.url, redis.port))
        assert requests.post(gw.proxy_url + "/echo", json={"q": INSTANCE},
                             timeout=10).status_code == 200
        redis.kill()
        seen = len(fake.requests)
        statuses = [requests.post(gw.proxy_url + "/echo", json={"q": f"{INSTANCE} {VPC}"},
                                  timeout=10).status_code for _ in range(20)]
        print(f"\naws-masker, Redis down: {statuses.count(503)} x 503 of {len(statuses)}, "
              f"{len(fake.requests) - seen} requests reached the upstream")
        assert statuses == [503] * 20
        assert len(fake.requests) == seen  # nothing forwarded, masked or not
        assert all(INSTANCE.encode() not in body for body in fake.bodies())
    finally:
        redis.kill()
