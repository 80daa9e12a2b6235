"""The proxy core against the bundled mock: endpoints, errors, headers, metrics, logs."""

from __future__ import annotations

import asyncio

import orjson
import pytest

from tests.conftest import chat, deps_of, metric


async def test_chat_json_passes_through_with_headers(sidecar, mock):
    client = await sidecar()
    resp = await client.post(
        "/v1/chat/completions", json=chat("hello there"), headers={"X-Request-Id": "rid-1"}
    )
    assert resp.status == 200
    body = await resp.json()
    assert body["choices"][0]["message"]["content"] == "echo: hello there"
    assert resp.headers["X-Request-Id"] == "rid-1"
    assert resp.headers["X-Sidecar-Cache"] == "miss"
    assert resp.headers["X-Sidecar-Tier"] == "small"
    assert resp.headers["X-Sidecar-Model"] == "gpt-4o-mini"
    assert float(resp.headers["X-Sidecar-Route-Score"]) == pytest.approx(11 / 200, abs=1e-4)
    # Only `model` was rewritten on the way out.
    assert mock.requests[-1]["model"] == "gpt-4o-mini"
    assert mock.requests[-1]["messages"] == chat("hello there")["messages"]


async def test_unknown_fields_survive_forwarding(sidecar, mock):
    client = await sidecar()
    body = chat("x", seed=7, logit_bias={"50256": -100}, some_future_field={"a": [1, 2]})
    assert (await client.post("/v1/chat/completions", json=body)).status == 200
    sent = mock.requests[-1]
    assert sent["seed"] == 7 and sent["some_future_field"] == {"a": [1, 2]}


async def test_concrete_model_is_not_routed(sidecar, mock):
    client = await sidecar()
    resp = await client.post(
        "/v1/chat/completions",
        json={"model": "gpt-4o", "messages": [{"role": "user", "content": "q"}]},
    )
    assert resp.status == 200
    assert resp.headers["X-Sidecar-Model"] == "gpt-4o"
    assert resp.headers["X-Sidecar-Tier"] == "large"
    assert "X-Sidecar-Route-Score" not in resp.headers
    assert mock.requests[-1]["model"] == "gpt-4o"


async def test_unknown_model_goes_to_default_tier_unchanged(sidecar, mock):
    client = await sidecar()
    resp = await client.post(
        "/v1/chat/completions",
        json={"model": "my-finetune", "messages": [{"role": "user", "content": "q"}]},
    )
    assert resp.status == 200
    assert mock.requests[-1]["model"] == "my-finetune"
    assert resp.headers["X-Sidecar-Model"] == "my-finetune"


async def test_completions_embeddings_models(sidecar, mock):
    client = await sidecar()
    resp = await client.post("/v1/completions", json={"model": "auto", "prompt": "say hi"})
    assert resp.status == 200
    assert (await resp.json())["choices"][0]["text"] == "echo: say hi"
    resp = await client.post("/v1/embeddings", json={"model": "gpt-4o-mini", "input": ["a", "b"]})
    assert resp.status == 200
    assert len((await resp.json())["data"]) == 2
    resp = await client.get("/v1/models")
    ids = [m["id"] for m in (await resp.json())["data"]]
    assert ids == [
        "auto",
        "gpt-4o-mini",
        "claude-haiku-4-5",
        "gpt-4.1-mini",
        "claude-sonnet-4-5",
        "gpt-4o",
        "claude-opus-4-5",
    ]


async def test_routing_alias_on_embeddings_is_a_clear_400(sidecar, mock):
    """The tiers are chat models: "auto" must not send a chat model an embedding call."""
    client = await sidecar()
    sent = len(mock.requests)
    resp = await client.post("/v1/embeddings", json={"model": "auto", "input": "a"})
    assert resp.status == 400
    error = (await resp.json())["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == "model"
    assert len(mock.requests) == sent  # nothing went upstream


@pytest.mark.parametrize(
    ("raw", "status", "fragment"),
    [
        (b"{not json", 400, "not valid JSON"),
        (b"[1, 2]", 400, "JSON object"),
        (b'{"messages": []}', 400, "model"),
        (b'{"model": "auto", "messages": "hi"}', 400, "messages"),
        (b'{"model": "auto", "messages": []}', 400, "non-empty"),
        (b'{"model": "auto", "messages": [{"content": "x"}]}', 400, "role"),
        (b'{"model": 5, "messages": [{"role": "user", "content": "x"}]}', 400, "model"),
        (
            b'{"model": "auto", "stream": "yes", "messages": [{"role": "user", "content": "x"}]}',
            400,
            "stream",
        ),
        (
            b'{"model": "auto", "temperature": "hot", '
            b'"messages": [{"role": "user", "content": "x"}]}',
            400,
            "temperature",
        ),
    ],
)
async def test_bad_input_is_400_and_nothing_goes_upstream(sidecar, mock, raw, status, fragment):
    client = await sidecar()
    resp = await client.post(
        "/v1/chat/completions", data=raw, headers={"Content-Type": "application/json"}
    )
    assert resp.status == status
    err = (await resp.json())["error"]
    assert fragment in err["message"] and err["type"] == "invalid_request_error"
    assert mock.count == 0
    # The process keeps serving.
    assert (await client.post("/v1/chat/completions", json=chat("ok"))).status == 200


async def test_oversized_body_is_413(sidecar, mock):
    client = await sidecar(env={"SIDECAR_SERVER_MAX_BODY_BYTES": "1000"})
    resp = await client.post("/v1/chat/completions", json=chat("x" * 5000))
    assert resp.status == 413
    assert (await resp.json())["error"]["code"] == "request_too_large"
    assert mock.count == 0


async def test_404_and_405_are_openai_errors(sidecar):
    client = await sidecar()
    resp = await client.get("/v1/nope")
    assert resp.status == 404 and "error" in await resp.json()
    resp = await client.get("/v1/chat/completions")
    assert resp.status == 405
    assert (await resp.json())["error"]["code"] == "method_not_allowed"


async def test_upstream_4xx_passes_through_unchanged(sidecar, mock):
    client = await sidecar()
    mock.push("400")
    resp = await client.post("/v1/chat/completions", json=chat("x"))
    assert resp.status == 400
    assert (await resp.json())["error"]["message"] == "mock bad request"
    assert mock.count == 1  # not retried


async def test_metrics_endpoint_and_request_counters(sidecar):
    client = await sidecar()
    await client.post("/v1/chat/completions", json=chat("count me"))
    text = await (await client.get("/metrics")).text()
    for name in (
        "sidecar_requests_total",
        "sidecar_stage_seconds_bucket",
        "sidecar_overhead_seconds_bucket",
        "sidecar_tokens_total",
        "sidecar_spend_usd_total",
        "sidecar_cache_entries",
        "sidecar_breaker_state",
    ):
        assert name in text
    assert (
        metric(
            client,
            "sidecar_requests_total",
            {"endpoint": "/v1/chat/completions", "status_class": "2xx"},
        )
        == 1
    )
    # usage 9 in / 4 out at gpt-4o-mini prices
    assert metric(client, "sidecar_tokens_total", {"model": "gpt-4o-mini", "direction": "in"}) > 0
    assert metric(client, "sidecar_spend_usd_total", {"model": "gpt-4o-mini"}) > 0


async def test_health_and_readiness(sidecar):
    client = await sidecar()
    assert (await client.get("/healthz")).status == 200
    assert (await client.get("/readyz")).status == 200
    deps_of(client).readiness.draining = True
    assert (await client.get("/readyz")).status == 503


def _json_lines(caplog) -> str:
    """The log records as the process writes them (JSON lines, fields merged in)."""
    from sidecar.logs import JsonFormatter

    return "\n".join(JsonFormatter().format(r) for r in caplog.records)


def _keyed_client(mock, tmp_path, key_env: str, key: str, cache: bool = True):
    """A sidecar whose one deployment (at the mock) sends the provider key from ``key_env``."""
    from aiohttp.test_utils import TestClient, TestServer
    from prometheus_client import CollectorRegistry

    from sidecar.app import create_app
    from sidecar.config import load_settings

    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"""
tiers:
  - name: only
    deployments:
      - {{base_url: "{mock.base_url}", model: m1, api_key_env: {key_env}}}
routing: {{default_tier: only}}
cache: {{enabled: {str(cache).lower()}}}
""")
    app = create_app(
        load_settings(cfg, {}), registry=CollectorRegistry(), environ={key_env: key}, router=None
    )
    return TestClient(TestServer(app))


async def test_one_json_log_line_per_request_without_keys(mock, caplog, tmp_path):
    secret = "sk-live-THIS-MUST-NOT-LEAK-1234567890"
    async with _keyed_client(mock, tmp_path, "OPENAI_API_KEY", secret) as client:
        caplog.clear()
        resp = await client.post(
            "/v1/chat/completions",
            json=chat("log me"),
            headers={"Authorization": "Bearer sk-client-SECRET-abc"},
        )
        assert resp.status == 200
        # The provider key was loaded and used: there was something to leak.
        assert mock.headers[-1]["Authorization"] == f"Bearer {secret}"
        records = [r for r in caplog.records if r.name == "sidecar.access"]
        assert len(records) == 1
        fields = records[0].fields  # type: ignore[attr-defined]
        assert fields["request_id"] == resp.headers["X-Request-Id"]
        assert fields["cache"] == "miss" and fields["status"] == 200
        assert f'"request_id":"{fields["request_id"]}"' in _json_lines(caplog)
        everything = _json_lines(caplog) + str([r.__dict__ for r in caplog.records])
        everything += await (await client.get("/metrics")).text()
    assert "SECRET" not in everything and "THIS-MUST-NOT-LEAK" not in everything


async def test_client_authorization_forwarded_unless_deployment_has_key(sidecar, mock):
    client = await sidecar()
    await client.post(
        "/v1/chat/completions", json=chat("a"), headers={"Authorization": "Bearer client-key"}
    )
    assert mock.headers[-1]["Authorization"] == "Bearer client-key"


async def test_deployment_key_replaces_client_key(mock, tmp_path):
    async with _keyed_client(mock, tmp_path, "MY_KEY", "provider-key", cache=False) as client:
        resp = await client.post(
            "/v1/chat/completions", json=chat("a"), headers={"Authorization": "Bearer client-key"}
        )
        assert resp.status == 200
    assert mock.headers[-1]["Authorization"] == "Bearer provider-key"


async def test_stream_relays_chunks_and_strips_injected_usage(sidecar, mock):
    client = await sidecar()
    resp = await client.post("/v1/chat/completions", json=chat("one two three", stream=True))
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("text/event-stream")
    events = [e for e in (await resp.read()).split(b"\n\n") if e]
    assert events[-1] == b"data: [DONE]"
    chunks = [orjson.loads(e[6:]) for e in events[:-1]]
    assert all(c["choices"] for c in chunks)  # the usage-only chunk we asked for is dropped
    assert mock.requests[-1]["stream_options"] == {"include_usage": True}
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks)
    assert text == "echo: one two three"
    assert metric(client, "sidecar_tokens_total", {"model": "gpt-4o-mini", "direction": "out"}) == 4


async def test_stream_keeps_usage_when_client_asked(sidecar):
    client = await sidecar()
    resp = await client.post(
        "/v1/chat/completions", json=chat("u", stream=True, stream_options={"include_usage": True})
    )
    events = [e for e in (await resp.read()).split(b"\n\n") if e]
    last = orjson.loads(events[-2][6:])
    assert last["choices"] == [] and last["usage"]["completion_tokens"] == 2


async def test_classifier_failure_falls_back_to_default_tier(sidecar, caplog):
    from tests.conftest import FakeRouter

    client = await sidecar(router=FakeRouter(fail=True))
    resp = await client.post("/v1/chat/completions", json=chat("hello"))
    assert resp.status == 200
    assert resp.headers["X-Sidecar-Tier"] == "medium"
    assert metric(client, "sidecar_classifier_failures_total") == 1
    assert "classifier failed" in caplog.text


async def test_tier_override_header(sidecar, mock):
    client = await sidecar()
    resp = await client.post(
        "/v1/chat/completions", json=chat("short"), headers={"X-Sidecar-Tier": "large"}
    )
    assert resp.headers["X-Sidecar-Tier"] == "large"
    assert mock.requests[-1]["model"] == "gpt-4o"
    resp = await client.post(
        "/v1/chat/completions", json=chat("short"), headers={"X-Sidecar-Tier": "huge"}
    )
    assert resp.status == 400


async def test_routing_by_score(sidecar, mock):
    client = await sidecar()
    long_prompt = "word " * 60  # 300 chars -> score 1.0 -> large
    resp = await client.post("/v1/chat/completions", json=chat(long_prompt))
    assert resp.headers["X-Sidecar-Tier"] == "large"
    resp = await client.post("/v1/chat/completions", json=chat("x" * 100))  # 0.5 -> medium
    assert resp.headers["X-Sidecar-Tier"] == "medium"


async def test_escalation_on_refusal(sidecar, mock):
    client = await sidecar()
    mock.push("refuse")
    resp = await client.post("/v1/chat/completions", json=chat("tiny"))
    assert resp.status == 200
    assert resp.headers["X-Sidecar-Tier"] == "medium"
    assert resp.headers["X-Sidecar-Escalated"] == "refusal"
    assert [r["model"] for r in mock.requests] == ["gpt-4o-mini", "gpt-4.1-mini"]
    assert metric(client, "sidecar_escalations_total", {"tier": "small", "reason": "refusal"}) == 1


async def test_escalation_on_length_and_invalid_json(sidecar, mock):
    client = await sidecar()
    mock.push("length")
    resp = await client.post("/v1/chat/completions", json=chat("tiny"))
    assert resp.headers["X-Sidecar-Escalated"] == "length"
    resp = await client.post(
        "/v1/chat/completions", json=chat("json please", response_format={"type": "json_object"})
    )
    assert resp.headers["X-Sidecar-Escalated"] == "invalid_json"  # echo text is not JSON


async def test_health_endpoints_survive_many_errors(sidecar, mock):
    client = await sidecar()
    await asyncio.gather(*[client.post("/v1/chat/completions", data=b"{") for _ in range(20)])
    assert (await client.get("/healthz")).status == 200


async def test_log_prompts_off_by_default(sidecar, caplog):
    client = await sidecar()
    caplog.clear()
    await client.post("/v1/chat/completions", json=chat("very private words"))
    assert '"request_id"' in _json_lines(caplog)  # the access line was written
    assert "very private words" not in _json_lines(caplog)
    # With log_prompts on, the same line carries the prompt: the check above can see it.
    client = await sidecar(env={"SIDECAR_SERVER_LOG_PROMPTS": "true"})
    caplog.clear()
    await client.post("/v1/chat/completions", json=chat("very private words"))
    assert '"prompt":"very private words"' in _json_lines(caplog)
