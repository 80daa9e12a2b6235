"""End to end with the real ``anthropic`` SDK on ``/v1/messages``: routed among the deployments
that speak the Anthropic API only, misses relayed, hits replayed as JSON and through
``messages.stream``, scopes, escalation, headers forwarded, errors in the Anthropic shape."""

from __future__ import annotations

import anthropic
import pytest

from tests.conftest import metric

MSGS = [{"role": "user", "content": "What is the capital of France?"}]


def sdk(client, key: str = "sk-ant-a", **headers: str) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(
        base_url=str(client.make_url("")).rstrip("/"),
        api_key=key,
        max_retries=0,
        default_headers=headers or None,
    )


async def create(a: anthropic.AsyncAnthropic, **kw):
    args = {"model": "auto", "max_tokens": 256, "messages": MSGS, **kw}
    raw = await a.messages.with_raw_response.create(**args)
    return raw.headers, await raw.parse()


async def test_miss_then_hit_json_and_stream_helper(sidecar, mock):
    client = await sidecar()
    a = sdk(client)
    h1, first = await create(a, system="Be brief")
    assert h1["X-Sidecar-Cache"] == "miss"
    assert first.content[0].text == "echo: What is the capital of France?"
    sent = mock.requests[-1]
    assert sent["model"].startswith("claude") and sent["system"] == "Be brief"
    assert h1["X-Sidecar-Model"] == sent["model"] and h1["X-Sidecar-Tier"]
    h2, second = await create(a, system="Be brief")
    assert h2["X-Sidecar-Cache"] == "exact" and second.content == first.content
    assert second.usage.output_tokens == first.usage.output_tokens and mock.count == 1
    args = {"model": "auto", "max_tokens": 256, "messages": MSGS, "system": "Be brief"}
    async with a.messages.stream(**args) as stream:
        text = "".join([t async for t in stream.text_stream])
        final = await stream.get_final_message()
    assert text == final.content[0].text == first.content[0].text
    assert final.stop_reason == "end_turn" and mock.count == 1
    labels = {"endpoint": "/v1/messages", "status_class": "2xx"}
    assert metric(client, "sidecar_requests_total", labels) == 3
    await a.close()


async def test_streamed_miss_is_relayed_stored_and_replayed(sidecar, mock):
    a = sdk(await sidecar())
    msgs = [{"role": "user", "content": [{"type": "text", "text": "stream the sea"}]}]
    async with a.messages.stream(model="auto", max_tokens=64, messages=msgs) as stream:
        live = "".join([t async for t in stream.text_stream])
        final = await stream.get_final_message()
    assert live == "echo: stream the sea" == final.content[0].text and mock.count == 1
    plain = [{"role": "user", "content": "stream the sea"}]
    headers, hit = await create(a, messages=plain, max_tokens=64)
    assert headers["X-Sidecar-Cache"] == "exact" and hit.content[0].text == live
    assert hit.usage.input_tokens == final.usage.input_tokens and mock.count == 1
    await a.close()


async def test_scope_isolation_and_forwarded_headers(sidecar, mock):
    client = await sidecar()
    a = sdk(client)
    await create(a)
    for kw in ({"system": "pirate"}, {"max_tokens": 10}, {"extra_body": {"temperature": 0.0}}):
        headers, _ = await create(a, **kw)
        assert headers["X-Sidecar-Cache"] == "miss", kw
    versioned = sdk(client, **{"anthropic-version": "2023-06-01"})
    headers, _ = await create(versioned)
    assert headers["X-Sidecar-Cache"] == "miss"  # another API version is another scope
    seen = {k.lower(): v for k, v in mock.headers[-1].items()}
    assert seen["anthropic-version"] == "2023-06-01"
    other = sdk(client, key="sk-ant-b")
    headers, _ = await create(other)
    assert headers["X-Sidecar-Cache"] == "miss"
    # x-api-key (what curl and older SDKs send) is forwarded and scopes the tenant too
    body = {"model": "auto", "max_tokens": 256, "messages": MSGS}
    for key in ("k1", "k2"):
        resp = await client.post(
            "/v1/messages", json=body, headers={"x-api-key": key, "anthropic-version": "2023-06-01"}
        )
        assert resp.status == 200 and resp.headers["X-Sidecar-Cache"] == "miss"
        assert {k.lower(): v for k, v in mock.headers[-1].items()}["x-api-key"] == key
    for c in (a, versioned, other):
        await c.close()


async def test_escalation_and_errors_in_anthropic_shape(sidecar, mock):
    client = await sidecar()
    a = sdk(client, **{"X-Sidecar-Tier": "small"})
    mock.push("refuse")
    headers, ok = await create(a, messages=[{"role": "user", "content": "Tell me a joke"}])
    assert headers["X-Sidecar-Escalated"] == "refusal" and ok.content[0].text.startswith("echo:")
    small, medium = (r["model"] for r in mock.requests[-2:])
    assert small != medium and small.startswith("claude") and medium.startswith("claude")
    with pytest.raises(anthropic.BadRequestError) as err:
        await a.messages.create(model="auto", max_tokens=0, messages=MSGS)
    assert err.value.status_code == 400
    assert err.value.body["type"] == "error"
    assert err.value.body["error"]["type"] == "invalid_request_error"
    assert "max_tokens" in err.value.body["error"]["message"]
    resp = await client.post("/v1/messages", data=b"{not json", headers={"x-api-key": "k"})
    assert resp.status == 400
    assert (await resp.json())["error"]["type"] == "invalid_request_error"
    mock.push("400")
    with pytest.raises(anthropic.BadRequestError) as err:
        await create(a, messages=[{"role": "user", "content": "upstream says no"}])
    assert err.value.body["error"]["message"] == "mock bad request"  # passed through
    await a.close()


async def test_sidecar_errors_in_anthropic_shape(sidecar, mock):
    client = await sidecar(env={"SIDECAR_UPSTREAM_RETRIES": "0"})
    a = sdk(client)
    mock.push("500", "500", "500")
    with pytest.raises(anthropic.APIStatusError) as err:
        await create(a, messages=[{"role": "user", "content": "everything is down"}])
    assert err.value.status_code == 502
    assert err.value.body["type"] == "error" and err.value.body["error"]["type"] == "api_error"
    assert all(r["model"].startswith("claude") for r in mock.requests)
    await a.close()


async def test_broken_stream_is_never_stored_and_semantic_hits(sidecar, mock):
    client = await sidecar()
    mock.push("drop")
    body = {
        "model": "auto",
        "max_tokens": 64,
        "stream": True,
        "messages": [{"role": "user", "content": "a stream that breaks"}],
    }
    headers = {"x-api-key": "k", "anthropic-version": "2023-06-01"}
    raw = await (await client.post("/v1/messages", json=body, headers=headers)).read()
    assert b"content_block_delta" in raw and b"message_stop" not in raw
    assert b'event: error\ndata: {"type":"error","error":{"type":"api_error"' in raw
    again = await client.post("/v1/messages", json=body, headers=headers)
    assert again.headers["X-Sidecar-Cache"] == "miss" and b"message_stop" in await again.read()
    a = sdk(client)
    await create(a, messages=[{"role": "user", "content": "capital city of France which is"}])
    h, hit = await create(
        a, messages=[{"role": "user", "content": "which is capital city of France"}]
    )
    assert h["X-Sidecar-Cache"] == "semantic" and float(h["X-Sidecar-Similarity"]) > 0.9
    assert hit.content[0].text == "echo: capital city of France which is"
    await a.close()


async def test_body_over_the_limit_is_a_413_in_anthropic_shape(sidecar, mock):
    client = await sidecar(env={"SIDECAR_SERVER_MAX_BODY_BYTES": "2000"})
    body = {
        "model": "auto",
        "max_tokens": 10,
        "messages": [{"role": "user", "content": "x" * 5000}],
    }
    resp = await client.post("/v1/messages", json=body, headers={"x-api-key": "k"})
    assert resp.status == 413
    assert (await resp.json())["error"]["type"] == "request_too_large"
    assert mock.count == 0
