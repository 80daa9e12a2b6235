"""The bundled mock speaks Responses and Messages well enough for the real SDKs: echo answers
with usage, JSON and SSE, scripted errors in each API's shape, and kept responses by id."""

from __future__ import annotations

import anthropic
import openai
import pytest


async def test_responses_json_stream_and_ids(mock):
    c = openai.AsyncOpenAI(base_url=mock.base_url, api_key="k", max_retries=0)
    r = await c.responses.create(model="m", input="hello world", instructions="be nice")
    assert r.output_text == "echo: hello world" and r.status == "completed"
    assert r.usage is not None and (r.usage.input_tokens, r.usage.output_tokens) == (4, 3)
    items = [{"role": "user", "content": [{"type": "input_text", "text": "streamed hi"}]}]
    async with c.responses.stream(model="m", input=items) as s:
        deltas = [e.delta async for e in s if e.type == "response.output_text.delta"]
        final = await s.get_final_response()
    assert "".join(deltas) == final.output_text == "echo: streamed hi"
    events = [
        e
        async for e in await c.responses.create(
            model="m", input="cut me short", max_output_tokens=2, stream=True
        )
    ]
    last = events[-1]
    assert last.type == "response.incomplete" and last.response.output_text == "echo: cut"
    assert (await c.responses.retrieve(r.id)).output_text == r.output_text
    follow = await c.responses.create(model="m", input="next", previous_response_id=r.id)
    assert follow.previous_response_id == r.id
    await c.responses.delete(r.id)
    with pytest.raises(openai.NotFoundError):
        await c.responses.retrieve(r.id)
    with pytest.raises(openai.NotFoundError):
        await c.responses.create(model="m", input="x", previous_response_id=r.id)
    mock.push("429")
    with pytest.raises(openai.RateLimitError) as err:
        await c.responses.create(model="m", input="x")
    assert err.value.body["type"] == "rate_limit_error"
    with pytest.raises(openai.BadRequestError):
        await c.responses.create(model="m", input=5)  # type: ignore[arg-type]
    await c.close()


async def test_messages_json_stream_errors_and_headers(mock):
    base = mock.base_url.removesuffix("/v1")
    a = anthropic.AsyncAnthropic(base_url=base, api_key="sk-ant", max_retries=0)
    msgs = [{"role": "user", "content": "hi claude"}]
    m = await a.messages.create(model="claude", max_tokens=100, messages=msgs, system="terse")
    assert m.content[0].text == "echo: hi claude" and m.stop_reason == "end_turn"
    assert (m.usage.input_tokens, m.usage.output_tokens) == (6, 3)
    headers = {k.lower(): v for k, v in mock.headers[-1].items()}
    # SDKs send the key as x-api-key (older) or a bearer token (this one)
    key = headers.get("x-api-key") or headers["authorization"].removeprefix("Bearer ")
    assert key == "sk-ant" and headers["anthropic-version"]
    more = [{"role": "user", "content": "stream claude please now"}]
    async with a.messages.stream(model="claude", max_tokens=3, messages=more) as s:
        text = "".join([t async for t in s.text_stream])
        final = await s.get_final_message()
    assert text == final.content[0].text == "echo: stream claude"
    assert final.stop_reason == "max_tokens" and final.usage.output_tokens == 3
    for behavior, exc, kind in [
        ("429", anthropic.RateLimitError, "rate_limit_error"),
        ("500", anthropic.InternalServerError, "api_error"),
        ("400", anthropic.BadRequestError, "invalid_request_error"),
    ]:
        mock.push(behavior)
        with pytest.raises(exc) as err:
            await a.messages.create(model="claude", max_tokens=10, messages=msgs)
        assert err.value.body == {
            "type": "error",
            "error": {"type": kind, "message": err.value.body["error"]["message"]},
        }
    mock.push("refuse")
    refused = await a.messages.create(model="claude", max_tokens=100, messages=msgs)
    assert refused.content[0].text.startswith("I'm sorry")
    await a.close()
