"""End to end with the real ``openai`` SDK on ``/v1/responses``: misses relayed, hits replayed as
JSON and through ``responses.stream``, scopes, server-side state (re-issued ids, continuation,
GET/DELETE routed home), escalation, and errors in the OpenAI shape."""

from __future__ import annotations

import openai
import pytest
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry

from cache.store import SemanticCache
from sidecar.app import create_app
from sidecar.config import load_settings
from sidecar.mock_upstream import start_mock
from tests.conftest import AcceptAll, FakeEmbedder, FakeRouter, metric

Q = "What is the capital of France?"


def sdk(client, key: str = "sk-a", **headers: str) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(
        base_url=str(client.make_url("/v1")),
        api_key=key,
        max_retries=0,
        default_headers=headers or None,
    )


async def create(c: openai.AsyncOpenAI, **kw):
    raw = await c.responses.with_raw_response.create(**{"model": "auto", **kw})
    return raw.headers, raw.parse()


async def test_miss_then_hit_json_and_stream_helper(sidecar, mock):
    c = sdk(await sidecar())
    h1, first = await create(c, input=Q, instructions="Be brief")
    assert h1["X-Sidecar-Cache"] == "miss" and first.output_text == f"echo: {Q}"
    assert h1["X-Sidecar-Tier"] and h1["X-Sidecar-Model"] == mock.requests[-1]["model"]
    assert not first.id.startswith("resp_sc_")  # a miss carries the provider's id
    h2, second = await create(c, input=Q, instructions="Be brief")
    assert h2["X-Sidecar-Cache"] == "exact" and second.output_text == first.output_text
    assert second.id.startswith("resp_sc_") and second.id != first.id  # re-issued
    assert second.usage is not None and second.usage.output_tokens == first.usage.output_tokens
    assert mock.count == 1
    # the SDK's streaming helper reads a replayed hit like a live stream
    async with c.responses.stream(model="auto", input=Q, instructions="Be brief") as stream:
        deltas = [e.delta async for e in stream if e.type == "response.output_text.delta"]
        final = await stream.get_final_response()
    assert "".join(deltas) == final.output_text == first.output_text
    assert final.id.startswith("resp_sc_") and mock.count == 1
    await c.close()


async def test_streamed_miss_is_relayed_stored_and_replayed(sidecar, mock):
    client = await sidecar()
    c = sdk(client)
    items = [{"role": "user", "content": [{"type": "input_text", "text": "stream the sea"}]}]
    async with c.responses.stream(model="auto", input=items) as stream:
        kinds = [e.type async for e in stream]
        live = await stream.get_final_response()
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
    assert live.output_text == "echo: stream the sea" and mock.count == 1
    headers, hit = await create(c, input="stream the sea")  # string input = one user item
    assert headers["X-Sidecar-Cache"] == "exact" and hit.output_text == live.output_text
    assert mock.count == 1
    lookups = {"result": "exact"}
    assert metric(client, "sidecar_cache_lookups_total", lookups) == 1
    labels = {"endpoint": "/v1/responses", "status_class": "2xx"}
    assert metric(client, "sidecar_requests_total", labels) == 2
    await c.close()


async def test_scope_isolation(sidecar, mock):
    client = await sidecar()
    a = sdk(client)
    await create(a, input=Q)
    for kw in (
        {"instructions": "Answer like a pirate"},
        {"text": {"format": {"type": "json_object"}}},
        {"max_output_tokens": 50},
        {"tools": [{"type": "function", "name": "f", "parameters": {}}]},
    ):
        headers, _ = await create(a, input=Q, **kw)
        assert headers["X-Sidecar-Cache"] == "miss", kw
    other = sdk(client, key="sk-other")  # another key is another tenant
    headers, _ = await create(other, input=Q)
    assert headers["X-Sidecar-Cache"] == "miss"
    await a.close()
    await other.close()


async def test_continuations_never_cross_credentials(sidecar, mock):
    # A trusted X-Tenant-Id is shared across keys: only the credential keeps state apart.
    client = await sidecar(env={"SIDECAR_CACHE_TRUST_TENANT_HEADER": "true"})
    a = sdk(client, key="sk-a", **{"X-Tenant-Id": "shared"})
    b = sdk(client, key="sk-b", **{"X-Tenant-Id": "shared"})
    _, first = await create(a, input="My account number is 1234. Remember it.")
    h, _ = await create(a, input="What is my account number?", previous_response_id=first.id)
    assert h["X-Sidecar-Cache"] == "miss"
    h, _ = await create(a, input="What is my account number?", previous_response_id=first.id)
    assert h["X-Sidecar-Cache"] == "exact"  # the same client continuing the same state
    h, _ = await create(b, input="My account number is 1234. Remember it.")
    assert h["X-Sidecar-Cache"] == "exact"  # stateless requests do share the trusted tenant
    # same tenant header, another key: never served A's continuation from the cache
    h, _ = await create(b, input="What is my account number?", previous_response_id=first.id)
    assert h["X-Sidecar-Cache"] == "miss"
    await a.close()
    await b.close()


async def test_reissued_ids_continue_get_and_delete(sidecar, mock):
    client = await sidecar()
    a, b = sdk(client), sdk(client, key="sk-b")
    await create(a, input=Q)
    _, hit = await create(a, input=Q)
    assert hit.id.startswith("resp_sc_")
    assert (await a.responses.retrieve(hit.id)).output_text == hit.output_text
    with pytest.raises(openai.NotFoundError) as err:
        await b.responses.retrieve(hit.id)
    assert err.value.body["type"] == "invalid_request_error"
    # continuing a replayed answer: its state goes upstream explicitly, no unknown id
    _, nxt = await create(a, input="And of Spain?", previous_response_id=hit.id)
    sent = mock.requests[-1]
    assert "previous_response_id" not in sent
    assert [i.get("role") for i in sent["input"]] == ["user", "assistant", "user"]
    assert sent["input"][0]["content"] == Q and nxt.output_text == "echo: And of Spain?"
    with pytest.raises(openai.NotFoundError):
        await create(b, input="And of Spain?", previous_response_id=hit.id)
    await a.responses.delete(hit.id)
    with pytest.raises(openai.NotFoundError):
        await a.responses.retrieve(hit.id)
    with pytest.raises(openai.NotFoundError):
        await a.responses.retrieve("resp_never_seen")
    assert mock.count == 2  # unknown and foreign ids never reach the upstream
    by_id = {"endpoint": "/v1/responses/{rid}", "status_class": "4xx"}  # the route, not the id
    assert metric(client, "sidecar_requests_total", by_id) == 3
    await a.close()
    await b.close()


async def test_provider_ids_are_routed_to_their_deployment(mock, tmp_path):
    other, runner, other_url = await start_mock()
    cfg = tmp_path / "two.yaml"
    cfg.write_text(
        f"""
routing: {{default_tier: small}}
tiers:
  - name: small
    deployments: [{{base_url: "{mock.base_url}", model: m-small}}]
  - name: large
    deployments: [{{base_url: "{other_url}", model: m-large}}]
"""
    )
    app = create_app(
        load_settings(cfg, {}),
        registry=CollectorRegistry(),
        environ={},
        embedder=FakeEmbedder(),
        cache=SemanticCache(verifier=AcceptAll()),
        router=FakeRouter(),
    )
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    try:
        c = sdk(client, **{"X-Sidecar-Tier": "large"})
        _, made = await create(c, input="kept at the large deployment")
        assert other.count == 1 and mock.count == 0
        got = await c.responses.retrieve(made.id)  # only `other` knows this id
        assert got.output_text == made.output_text
        await c.responses.delete(made.id)
        with pytest.raises(openai.NotFoundError):
            await c.responses.retrieve(made.id)
        stranger = sdk(client, key="sk-z")
        with pytest.raises(openai.NotFoundError):
            await stranger.responses.retrieve(made.id)
        await stranger.close()
        await c.close()
    finally:
        await client.close()
        await runner.cleanup()


async def test_escalation_and_errors(sidecar, mock):
    client = await sidecar()
    c = sdk(client, **{"X-Sidecar-Tier": "small"})
    mock.push("refuse", model="gpt-4o-mini")
    headers, ok = await create(c, input="Tell me a joke")
    assert headers["X-Sidecar-Escalated"] == "refusal" and ok.output_text == "echo: Tell me a joke"
    assert [r["model"] for r in mock.requests] == ["gpt-4o-mini", "gpt-4.1-mini"]
    with pytest.raises(openai.BadRequestError) as err:
        await c.responses.create(model="auto", input=42)  # type: ignore[arg-type]
    assert err.value.body["param"] == "input" and err.value.body["type"] == "invalid_request_error"
    with pytest.raises(openai.BadRequestError) as err:
        await c.responses.create(model="auto", input="x", temperature="hot")  # type: ignore[arg-type]
    assert err.value.body["param"] == "temperature"
    mock.push("400")
    with pytest.raises(openai.BadRequestError) as err:
        await c.responses.create(model="auto", input="upstream says no")
    assert err.value.body["message"] == "mock bad request"  # passed through unchanged
    await c.close()


async def test_broken_stream_is_never_stored_and_semantic_hits(sidecar, mock):
    client = await sidecar()
    mock.push("drop")
    body = {"model": "auto", "input": "a stream that breaks", "stream": True}
    resp = await client.post("/v1/responses", json=body, headers={"Authorization": "Bearer k"})
    raw = await resp.read()
    assert b"response.output_text.delta" in raw and b"response.completed" not in raw
    assert b'event: error\ndata: {"type":"error","code":"upstream_stream_failed"' in raw
    again = await client.post("/v1/responses", json=body, headers={"Authorization": "Bearer k"})
    assert (
        again.headers["X-Sidecar-Cache"] == "miss" and b"response.completed" in await again.read()
    )
    c = sdk(client)
    await create(c, input="capital city of France which is")
    headers, hit = await create(c, input="which is capital city of France")
    assert headers["X-Sidecar-Cache"] == "semantic" and float(headers["X-Sidecar-Similarity"]) > 0.9
    assert hit.output_text == "echo: capital city of France which is"  # the stored answer
    await c.close()
