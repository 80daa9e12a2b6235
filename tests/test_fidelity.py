"""Upstreams that behave like real providers and the proxies in front of them (issue 13 items
1, 2, 3, 5, 6, 7, 10, 11, 14, 15), through the sidecar with the mock's real shapes."""

from __future__ import annotations

import asyncio

import aiohttp
import orjson
import pytest

from sidecar import lifecycle
from sidecar.sse import EventSplitter, event_data
from tests.conftest import chat, deps_of, metric

URL = "/v1/chat/completions"
FAST = {"SIDECAR_UPSTREAM_BACKOFF_BASE_S": "0", "SIDECAR_UPSTREAM_BACKOFF_MAX_S": "0"}


def _concrete(text: str, **extra) -> dict:
    """A request naming one model (one deployment, no fallback) instead of the alias."""
    return {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": text}], **extra}


async def _events(resp) -> list[dict | str]:
    """The data payloads of an SSE answer: dicts, or "[DONE]"."""
    splitter, out = EventSplitter(), []
    for event in splitter.feed(await resp.read()):
        data = event_data(event)
        if data is not None:
            out.append("[DONE]" if data == b"[DONE]" else orjson.loads(data))
    return out


def _text(events: list) -> str:
    return "".join(
        (c["choices"][0]["delta"].get("content") or "")
        for c in events
        if isinstance(c, dict) and c.get("choices")
    )


# -- item 1: compression --------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
async def test_compressed_json_is_decoded_cached_and_billed(sidecar, mock, encoding):
    """Item 1: an answer compressed anyway reaches the client as plain JSON, and is cached."""
    client = await sidecar()
    mock.push(encoding)
    resp = await client.post(URL, json=chat("squeeze me"))
    assert resp.status == 200 and "Content-Encoding" not in resp.headers
    answer = orjson.loads(await resp.read())
    assert answer["choices"][0]["message"]["content"] == "echo: squeeze me"
    assert mock.headers[-1]["Accept-Encoding"] == "gzip, deflate"
    assert metric(client, "sidecar_tokens_total", {"model": answer["model"], "direction": "out"})
    again = await client.post(URL, json=chat("squeeze me"))
    assert again.headers["X-Sidecar-Cache"] == "exact"


@pytest.mark.parametrize("encoding", ["gzip", "br"])
async def test_compressed_stream_is_decoded_and_stored(sidecar, mock, encoding):
    """Item 1, streams: identity is asked for; a stream compressed anyway is decoded."""
    client = await sidecar()
    mock.push(encoding)
    resp = await client.post(URL, json=chat("squeeze the stream", stream=True))
    assert resp.status == 200
    events = await _events(resp)
    assert _text(events) == "echo: squeeze the stream" and events[-1] == "[DONE]"
    assert mock.headers[-1]["Accept-Encoding"] == "identity"
    again = await client.post(URL, json=chat("squeeze the stream"))
    assert again.headers["X-Sidecar-Cache"] == "exact"


# -- item 2: a 200 that is HTML or truncated JSON -------------------------------------------


@pytest.mark.parametrize("bad", ["html", "truncated"])
async def test_bad_200_is_retried(sidecar, mock, bad):
    """Item 2: a 200 HTML page or truncated JSON is retried like a 5xx; the good answer wins."""
    client = await sidecar(env=FAST)
    mock.push(bad)
    resp = await client.post(URL, json=_concrete("try again"))
    assert resp.status == 200
    assert (await resp.json())["choices"][0]["message"]["content"] == "echo: try again"
    assert mock.count == 2
    assert (
        metric(
            client,
            "sidecar_upstream_errors_total",
            {"deployment": "small/gpt-4o-mini", "kind": "bad_answer"},
        )
        == 1
    )


async def test_bad_200s_end_in_502_and_count_for_the_breaker(sidecar, mock):
    """Item 2: only bad 200s -> 502 in OpenAI's shape, never cached; the breaker counts them."""
    env = {**FAST, "SIDECAR_UPSTREAM_BREAKER_FAILURES": "2", "SIDECAR_UPSTREAM_RETRIES": "1"}
    client = await sidecar(env=env)
    mock.push(*["html"] * 4)
    for text in ("first", "second"):
        resp = await client.post(URL, json=_concrete(text))
        assert resp.status == 502
        assert (await resp.json())["error"]["type"] == "upstream_error"
    assert mock.count == 4
    assert deps_of(client).upstream.breakers["small/gpt-4o-mini"].opened_at is not None
    resp = await client.post(URL, json=_concrete("third"))
    assert resp.status == 502 and mock.count == 4  # open: no upstream call


# -- item 3: broken streams ------------------------------------------------------------------


async def test_stream_without_done_ends_with_an_error_event(sidecar, mock):
    """Item 3: a stream closed cleanly halfway gets an SSE error event and is never stored."""
    client = await sidecar()
    mock.push("no_done")
    resp = await client.post(URL, json=chat("half a story please", stream=True))
    events = await _events(resp)
    assert isinstance(events[-1], dict) and events[-1]["error"]["type"] == "upstream_error"
    assert "[DONE]" not in events
    again = await client.post(URL, json=chat("half a story please"))
    assert again.headers["X-Sidecar-Cache"] == "miss"


async def test_json_answer_to_a_stream_request_is_converted(sidecar, mock):
    """Item 3: a JSON reply to ``stream: true`` reaches the client as proper SSE events."""
    client = await sidecar()
    mock.push("json_stream")
    resp = await client.post(URL, json=chat("json instead", stream=True))
    assert resp.headers["Content-Type"].startswith("text/event-stream")
    events = await _events(resp)
    assert _text(events) == "echo: json instead" and events[-1] == "[DONE]"
    assert all(c["object"] == "chat.completion.chunk" for c in events if isinstance(c, dict))


# -- item 5: stream_options the client did not send -----------------------------------------


async def test_refused_stream_options_is_never_the_clients_error(sidecar, mock):
    """Item 5: a server rejecting the injected stream_options still streams; not asked again."""
    client = await sidecar()
    mock.config.default = "reject_stream_options"
    resp = await client.post(URL, json=_concrete("count me", stream=True))
    assert resp.status == 200
    assert _text(await _events(resp)) == "echo: count me"
    assert "stream_options" in mock.requests[0] and "stream_options" not in mock.requests[1]
    resp = await client.post(URL, json=_concrete("count me again", stream=True))
    assert resp.status == 200 and "stream_options" not in mock.requests[-1]
    assert mock.count == 3
    # a client that sends the field itself gets the server's answer to it
    own = _concrete("mine", stream=True, stream_options={"include_usage": True})
    assert (await client.post(URL, json=own)).status == 400


async def test_stream_usage_false_never_sends_the_field(sidecar, mock, tmp_path):
    """Item 5: the per-deployment setting."""
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        f'tiers: [{{name: only, deployments: [{{base_url: "{mock.base_url}", model: m, '
        "stream_usage: false}]}]\nrouting: {default_tier: only}\n"
    )
    client = await sidecar(config=str(cfg), point_at_mock=False)
    mock.config.default = "reject_stream_options"
    resp = await client.post(URL, json={**_concrete("x", stream=True), "model": "m"})
    assert resp.status == 200 and mock.count == 1


# -- item 6: a cancelled half-open probe ----------------------------------------------------


async def test_cancelled_probe_releases_the_breaker(sidecar, mock):
    """Item 6: the probe's client disconnects; the next request still reaches the upstream."""
    env = {
        **FAST,
        "SIDECAR_UPSTREAM_RETRIES": "0",
        "SIDECAR_UPSTREAM_BREAKER_FAILURES": "1",
        "SIDECAR_UPSTREAM_BREAKER_COOLDOWN_S": "0.05",
    }
    client = await sidecar(env=env)
    mock.push("500", "hang")
    assert (await client.post(URL, json=_concrete("opens it"))).status == 502
    await asyncio.sleep(0.1)  # half-open now
    with pytest.raises(asyncio.TimeoutError):
        await client.post(
            URL, json=_concrete("the probe"), timeout=aiohttp.ClientTimeout(total=0.3)
        )
    for _ in range(50):  # the server notices the disconnect and cancels the handler
        if mock.cancelled:
            break
        await asyncio.sleep(0.05)
    resp = await client.post(URL, json=_concrete("after the probe"))
    assert resp.status == 200, await resp.text()


# -- item 7: one poison request ---------------------------------------------------------------


async def test_one_poison_request_does_not_open_the_breaker(sidecar, mock):
    """Item 7: one request failing 5 times (3 attempts each) leaves others served."""
    client = await sidecar(env={**FAST, "SIDECAR_UPSTREAM_BREAKER_FAILURES": "3"})
    mock.push(*["500"] * 15)
    for _ in range(5):
        assert (await client.post(URL, json=_concrete("poison"))).status == 502
    assert mock.count == 15
    resp = await client.post(URL, json=_concrete("healthy"))
    assert resp.status == 200


async def test_an_outage_still_opens_the_breaker(sidecar, mock):
    """Item 7: distinct requests failing is an outage: the breaker opens as before."""
    client = await sidecar(
        env={**FAST, "SIDECAR_UPSTREAM_BREAKER_FAILURES": "3", "SIDECAR_UPSTREAM_RETRIES": "0"}
    )
    mock.config.default = "500"
    for i in range(3):
        assert (await client.post(URL, json=_concrete(f"request {i}"))).status == 502
    assert mock.count == 3
    assert (await client.post(URL, json=_concrete("another"))).status == 502
    assert mock.count == 3  # refused by the open breaker


# -- item 10: the cache fails to load -------------------------------------------------------


async def test_cache_that_fails_to_load_degrades_to_misses(sidecar, mock, monkeypatch):
    """Item 10: embedder loaded, cache failed: answers are misses, /readyz says not ready."""

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(lifecycle, "_build_cache", broken)
    client = await sidecar(cache=None)
    for _ in range(50):
        if deps_of(client).readiness.parts.get("index") is False and not any(
            t.get_name() == "sidecar-load" and not t.done() for t in asyncio.all_tasks()
        ):
            break
        await asyncio.sleep(0.02)
    for _ in range(2):
        resp = await client.post(URL, json=chat("cache is down"))
        assert resp.status == 200 and resp.headers["X-Sidecar-Cache"] == "miss"
    ready = await client.get("/readyz")
    assert ready.status == 503 and (await ready.json())["parts"]["index"] is False


# -- item 11: routing with the cache off ----------------------------------------------------


@pytest.mark.model
@pytest.mark.timeout(120)
async def test_routing_works_with_the_cache_off(sidecar, mock):
    """Item 11: cache.enabled false still loads the embedder the router needs."""
    client = await sidecar(env={"SIDECAR_CACHE_ENABLED": "false"}, embedder=None, cache=None)
    for _ in range(600):
        if (await client.get("/readyz")).status == 200:
            break
        await asyncio.sleep(0.1)
    assert deps_of(client).embedder is not None
    resp = await client.post(URL, json=chat("Prove that there are infinitely many primes."))
    assert resp.status == 200
    assert "X-Sidecar-Route-Score" in resp.headers
    assert (
        metric(
            client,
            "sidecar_route_decisions_total",
            {"tier": resp.headers["X-Sidecar-Tier"], "source": "classifier"},
        )
        == 1
    )


# -- item 14: singleflight after a failed leader --------------------------------------------


async def test_failed_leader_does_not_release_a_stampede(sidecar, mock):
    """Item 14: the leader fails; one follower leads the next flight, the rest share it."""
    client = await sidecar(env={**FAST, "SIDECAR_UPSTREAM_RETRIES": "0"})
    mock.config.ttft_s = 0.2
    mock.push("500")
    results = await asyncio.gather(*[client.post(URL, json=_concrete("herd")) for _ in range(10)])
    statuses = sorted(r.status for r in results)
    assert statuses == [200] * 9 + [502]
    assert mock.count == 2  # the failed leader, then one shared flight
    assert metric(client, "sidecar_cache_lookups_total", {"result": "shared"}) == 8
    assert metric(client, "sidecar_cache_lookups_total", {"result": "exact"}) == 0


# -- item 15: escalation and empty answers ---------------------------------------------------


async def test_client_max_tokens_truncation_is_not_escalated(sidecar, mock):
    """Item 15: a short answer the client asked for is not paid for twice."""
    client = await sidecar()
    mock.push("length")
    resp = await client.post(URL, json=chat("be brief", max_tokens=2))
    assert resp.status == 200 and mock.count == 1
    assert (
        metric(
            client,
            "sidecar_escalations_total",
            {"tier": resp.headers["X-Sidecar-Tier"], "reason": "length"},
        )
        == 0
    )
    # without a client cap, a truncated cheap answer still escalates
    mock.push("length")
    resp = await client.post(URL, json=chat("be long"))
    assert mock.count == 3


@pytest.mark.parametrize("model", ["gpt-4o-mini", "some-unknown-model"])
async def test_empty_answers_are_never_cached(sidecar, mock, model):
    """Item 15: an empty answer (for a non-routed model: no cascade) is not stored."""
    client = await sidecar()
    mock.push("empty")
    body = {"model": model, "messages": [{"role": "user", "content": "say nothing"}]}
    first = await client.post(URL, json=body)
    assert first.status == 200
    again = await client.post(URL, json=body)
    assert again.headers["X-Sidecar-Cache"] == "miss" and mock.count == 2


# -- real provider shapes through the sidecar ------------------------------------------------


@pytest.mark.parametrize(
    "shape", ["openai_full", "sse_nospace", "sse_crlf", "sse_keepalive", "sse_usage_last"]
)
async def test_real_stream_shapes_are_relayed_assembled_and_replayed(sidecar, mock, shape):
    """Every SSE variant reaches the SDK whole, is stored, and replays with the same text."""
    import openai

    client = await sidecar()
    sdk = openai.AsyncOpenAI(base_url=str(client.make_url("/v1")), api_key="k", max_retries=0)
    mock.push(shape)

    async def streamed() -> str:
        parts = []
        stream = await sdk.chat.completions.create(
            model="auto", messages=chat(f"shape {shape}")["messages"], stream=True
        )
        async for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                parts.append(chunk.choices[0].delta.content)
        return "".join(parts)

    assert await streamed() == f"echo: shape {shape}"
    assert await streamed() == f"echo: shape {shape}"  # replayed from the cache
    assert mock.count == 1
    usage = metric(client, "sidecar_tokens_total", {"model": "gpt-4o-mini", "direction": "out"})
    assert (
        usage
        + metric(client, "sidecar_tokens_total", {"model": "gpt-4.1-mini", "direction": "out"})
        + metric(client, "sidecar_tokens_total", {"model": "gpt-4o", "direction": "out"})
        > 0
    )
    await sdk.close()


async def test_full_openai_json_fields_survive_and_usage_details_are_read(sidecar, mock):
    """system_fingerprint, service_tier, logprobs, refusal, usage details: passed through."""
    client = await sidecar()
    mock.push("openai_full")
    resp = await client.post(URL, json=chat("all the fields", logprobs=True))
    answer = await resp.json()
    assert answer["system_fingerprint"].startswith("fp_") and answer["service_tier"] == "default"
    assert answer["choices"][0]["logprobs"]["content"][0]["token"] == "echo:"
    assert answer["choices"][0]["message"]["refusal"] is None
    assert answer["usage"]["completion_tokens_details"]["reasoning_tokens"] == 0


async def test_streamed_tool_call_deltas_are_assembled_and_replayed(sidecar, mock):
    """Tool-call arguments arriving in pieces are assembled, cached, replayed whole."""
    client = await sidecar()
    mock.push("tool_stream")
    body = chat("Paris", stream=True, tools=[{"type": "function", "function": {"name": "w"}}])
    first = await _events(await client.post(URL, json=body))
    args = "".join(
        c["choices"][0]["delta"].get("tool_calls", [{}])[0].get("function", {}).get("arguments")
        or ""
        for c in first
        if isinstance(c, dict) and c.get("choices")
    )
    assert orjson.loads(args) == {"location": "echo: Paris"}
    hit = await client.post(URL, json={**body, "stream": False})
    assert hit.headers["X-Sidecar-Cache"] == "exact"
    call = (await hit.json())["choices"][0]["message"]["tool_calls"][0]
    assert call["function"]["name"] == "get_weather"
    assert orjson.loads(call["function"]["arguments"]) == {"location": "echo: Paris"}
    assert (await hit.json())["choices"][0]["finish_reason"] == "tool_calls"


async def test_refusal_and_no_usage_shapes(sidecar, mock):
    """A refusal (content null) escalates like a refusal; a stream without usage still works."""
    client = await sidecar()
    mock.push("refusal")
    resp = await client.post(URL, json=chat("something forbidden"))
    assert resp.status == 200 and resp.headers.get("X-Sidecar-Escalated") == "refusal"
    mock.push("sse_no_usage")
    events = await _events(await client.post(URL, json=chat("no usage at all", stream=True)))
    assert _text(events) == "echo: no usage at all" and events[-1] == "[DONE]"
