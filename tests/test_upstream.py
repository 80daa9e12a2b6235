"""Retries, Retry-After, fallbacks, breaker, timeouts, broken streams, client disconnects."""

from __future__ import annotations

import asyncio

import aiohttp
import orjson
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry

from sidecar.app import create_app
from sidecar.breaker import Breaker, BreakerState
from sidecar.config import load_settings
from sidecar.mock_upstream import MockConfig, start_mock
from tests.conftest import chat, deps_of, metric

FAST_RETRY = {"SIDECAR_UPSTREAM_BACKOFF_BASE_S": "0.001", "SIDECAR_UPSTREAM_BACKOFF_MAX_S": "0.002"}


async def test_retry_on_500_then_success(sidecar, mock):
    client = await sidecar(env=FAST_RETRY)
    mock.push("500", "500")
    resp = await client.post("/v1/chat/completions", json=chat("x"))
    assert resp.status == 200
    assert mock.count == 3
    assert (
        metric(client, "sidecar_upstream_retries_total", {"deployment": "small/gpt-4o-mini"}) == 2
    )


async def test_429_honours_retry_after(sidecar, mock):
    client = await sidecar(env=FAST_RETRY)
    mock.config.retry_after_s = 0.3
    mock.push("429")
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    resp = await client.post("/v1/chat/completions", json=chat("x"))
    assert resp.status == 200
    assert loop.time() - t0 >= 0.3  # waited what the upstream asked for, not our 1-2 ms backoff
    assert mock.count == 2


async def test_fallback_to_next_tier_after_retries(sidecar, mock):
    client = await sidecar(env={**FAST_RETRY, "SIDECAR_UPSTREAM_RETRIES": "1"})
    mock.push("500", "500")  # small: first try + 1 retry fail
    resp = await client.post("/v1/chat/completions", json=chat("x"))
    assert resp.status == 200
    assert [r["model"] for r in mock.requests] == ["gpt-4o-mini", "gpt-4o-mini", "gpt-4.1-mini"]
    assert resp.headers["X-Sidecar-Tier"] == "medium"
    assert metric(client, "sidecar_upstream_fallbacks_total", {"kind": "tier"}) == 1


async def test_fallback_to_second_deployment_of_tier(mock, tmp_path):
    dead = "http://127.0.0.1:9/v1"  # nothing listens on the discard port
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"""
upstream: {{retries: 0, connect_timeout_s: 1}}
routing: {{default_tier: t}}
cache: {{enabled: false}}
tiers:
  - name: t
    deployments:
      - {{base_url: "{dead}", model: a}}
      - {{base_url: "{mock.base_url}", model: b}}
""")
    app = create_app(load_settings(cfg, {}), registry=CollectorRegistry(), environ={})
    async with TestClient(TestServer(app)) as client:
        resp = await client.post("/v1/chat/completions", json=chat("x"))
        assert resp.status == 200
        assert resp.headers["X-Sidecar-Model"] == "b"
        assert metric(client, "sidecar_upstream_fallbacks_total", {"kind": "deployment"}) == 1
        assert (
            metric(
                client, "sidecar_upstream_errors_total", {"deployment": "t/a", "kind": "connect"}
            )
            == 1
        )


async def test_502_when_everything_fails_and_process_stays_up(sidecar, mock):
    client = await sidecar(env={**FAST_RETRY, "SIDECAR_UPSTREAM_RETRIES": "0"})
    mock.push("500", "500", "500")
    resp = await client.post("/v1/chat/completions", json=chat("x"))
    assert resp.status == 502
    err = (await resp.json())["error"]
    assert err["type"] == "upstream_error" and err["code"] == "upstream_unavailable"
    assert (await client.post("/v1/chat/completions", json=chat("y"))).status == 200


async def test_502_when_upstream_unreachable(sidecar):
    client = await sidecar(
        upstream="http://127.0.0.1:9/v1", env={**FAST_RETRY, "SIDECAR_UPSTREAM_RETRIES": "0"}
    )
    resp = await client.post("/v1/chat/completions", json=chat("x"))
    assert resp.status == 502
    assert (await client.get("/healthz")).status == 200


async def test_504_on_upstream_timeout(sidecar, mock):
    client = await sidecar(
        env={"SIDECAR_UPSTREAM_RETRIES": "0", "SIDECAR_UPSTREAM_READ_TIMEOUT_S": "0.2"}
    )
    mock.push("hang", "hang", "hang")
    resp = await client.post("/v1/chat/completions", json=chat("x"))
    assert resp.status == 504
    assert (await resp.json())["error"]["code"] == "upstream_timeout"


async def test_429_everywhere_is_passed_back(sidecar, mock):
    client = await sidecar(env={**FAST_RETRY, "SIDECAR_UPSTREAM_RETRIES": "0"})
    mock.config.retry_after_s = 0.0
    mock.push("429", "429", "429")
    resp = await client.post("/v1/chat/completions", json=chat("x"))
    assert resp.status == 429
    assert "Retry-After" in resp.headers


def test_breaker_opens_and_probes():
    now = [0.0]
    b = Breaker(3, 10.0, clock=lambda: now[0])
    for _ in range(3):
        assert b.allow()
        b.failure()
    assert b.state == BreakerState.OPEN and not b.allow()
    now[0] = 10.5
    assert b.state == BreakerState.HALF_OPEN
    assert b.allow() and not b.allow()  # exactly one probe
    b.failure()
    assert b.state == BreakerState.OPEN
    now[0] = 21.0
    assert b.allow()
    b.success()
    assert b.state == BreakerState.CLOSED and b.allow()


async def test_breaker_skips_a_failing_deployment(sidecar, mock):
    client = await sidecar(
        env={
            **FAST_RETRY,
            "SIDECAR_UPSTREAM_RETRIES": "0",
            "SIDECAR_UPSTREAM_BREAKER_FAILURES": "2",
        }
    )
    mock.push("500", "500", model="gpt-4o-mini")  # small fails twice, medium answers
    for i in range(2):
        assert (await client.post("/v1/chat/completions", json=chat(f"x{i}"))).status == 200
    state = metric(client, "sidecar_breaker_state", {"deployment": "small/gpt-4o-mini"})
    assert state == BreakerState.OPEN
    before = mock.count
    resp = await client.post("/v1/chat/completions", json=chat("fresh prompt"))
    assert resp.status == 200 and resp.headers["X-Sidecar-Tier"] == "medium"
    assert mock.count == before + 1  # the open breaker's deployment was not called
    assert [r["model"] for r in mock.requests[-1:]] == ["gpt-4.1-mini"]


async def test_stream_dropped_mid_way_sends_error_event_and_is_not_cached(sidecar, mock):
    client = await sidecar()
    mock.config.reply_tokens = 20
    mock.push("drop")
    resp = await client.post("/v1/chat/completions", json=chat("drop me please", stream=True))
    raw = await resp.read()
    assert b"[DONE]" not in raw
    assert b'"upstream_error"' in raw
    assert deps_of(client).cache.entries == 0
    # The same request again goes upstream (nothing half-written was stored).
    resp = await client.post("/v1/chat/completions", json=chat("drop me please"))
    assert resp.headers["X-Sidecar-Cache"] == "miss"


async def test_client_disconnect_mid_stream_cancels_upstream():
    mock, runner, base = await start_mock(config=MockConfig(token_delay_s=0.05, reply_tokens=200))
    settings = load_settings(None, {}, upstream=base)
    app = create_app(settings, registry=CollectorRegistry(), environ={}, router=None)
    server = TestServer(app, handler_cancellation=True)
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as session:
            resp = await session.post(
                server.make_url("/v1/chat/completions"), json=chat("long answer", stream=True)
            )
            await resp.content.readline()  # first bytes arrived
            assert mock.active == 1
            resp.close()  # client goes away
        for _ in range(100):
            if mock.active == 0:
                break
            await asyncio.sleep(0.02)
        assert mock.active == 0 and mock.cancelled == 1
        assert mock.completed == 0
    finally:
        await server.close()
        await runner.cleanup()


async def test_sidecar_ttfb_tracks_upstream(sidecar, mock):
    client = await sidecar()
    mock.config.token_delay_s = 0.2
    mock.config.reply_tokens = 5
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    resp = await client.post("/v1/chat/completions", json=chat("slow stream", stream=True))
    first = await resp.content.readuntil(b"\n\n")
    ttfb = loop.time() - t0
    assert orjson.loads(first[6:])["choices"][0]["delta"]["role"] == "assistant"
    await resp.read()
    total = loop.time() - t0
    # the role chunk is sent before any token delay: first bytes arrive long before the end
    assert ttfb < total / 2
