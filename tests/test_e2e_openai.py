"""End to end with the real ``openai`` SDK (sync and async, streaming and not): the sidecar's
answers equal the mock's direct answers, and cached replays parse identically."""

from __future__ import annotations

import asyncio

import openai
import pytest

from tests.conftest import chat


def _content(completion) -> str:
    return completion.choices[0].message.content


async def test_async_sdk_json_and_stream_match_direct(sidecar, mock):
    client = await sidecar()
    base = str(client.make_url("/v1"))
    via = openai.AsyncOpenAI(base_url=base, api_key="sk-test", max_retries=0)
    direct = openai.AsyncOpenAI(base_url=mock.base_url, api_key="sk-test", max_retries=0)
    msgs = chat("Tell me about the moon")["messages"]
    a = await via.chat.completions.create(model="auto", messages=msgs)
    b = await direct.chat.completions.create(model="gpt-4o-mini", messages=msgs)
    assert _content(a) == _content(b) == "echo: Tell me about the moon"

    async def streamed(c, model, text):
        parts = []
        stream = await c.chat.completions.create(
            model=model, messages=chat(text)["messages"], stream=True
        )
        async for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                parts.append(chunk.choices[0].delta.content)
        return "".join(parts)

    assert await streamed(via, "auto", "stream the sea") == await streamed(
        direct, "gpt-4o-mini", "stream the sea"
    )
    # cached replays: the SDK reads a replayed SSE stream and a cached JSON the same way
    assert await streamed(via, "auto", "Tell me about the moon") == "echo: Tell me about the moon"
    raw = await via.chat.completions.with_raw_response.create(model="auto", messages=msgs)
    assert raw.headers["X-Sidecar-Cache"] == "exact"
    assert _content(raw.parse()) == _content(a)
    await via.close()
    await direct.close()


async def test_sync_sdk_json_stream_usage_and_errors(sidecar, mock):
    client = await sidecar()
    base = str(client.make_url("/v1"))

    def run() -> tuple[str, str, int, int]:
        c = openai.OpenAI(base_url=base, api_key="sk-test", max_retries=0)
        msgs = chat("sync please")["messages"]
        first = _content(c.chat.completions.create(model="auto", messages=msgs))
        parts, usage = [], None
        for chunk in c.chat.completions.create(
            model="auto", messages=msgs, stream=True, stream_options={"include_usage": True}
        ):
            if chunk.usage:
                usage = chunk.usage.completion_tokens
            if chunk.choices and chunk.choices[0].delta.content:
                parts.append(chunk.choices[0].delta.content)
        with pytest.raises(openai.BadRequestError) as err:
            c.chat.completions.create(model="auto", messages="not a list")  # type: ignore
        completion = c.completions.create(model="auto", prompt="legacy prompt")
        assert completion.choices[0].text == "echo: legacy prompt"
        emb = c.embeddings.create(model="gpt-4o-mini", input="vector me")
        return first, "".join(parts), usage or 0, err.value.status_code + len(emb.data)

    first, streamed, usage, status = await asyncio.to_thread(run)
    assert first == streamed == "echo: sync please"
    assert usage == 3
    assert status == 401


async def test_sdk_sees_upstream_failure_as_api_error(sidecar, mock):
    client = await sidecar(env={"SIDECAR_UPSTREAM_RETRIES": "0"})
    mock.push("500", "500", "500")
    via = openai.AsyncOpenAI(base_url=str(client.make_url("/v1")), api_key="k", max_retries=0)
    with pytest.raises(openai.APIStatusError) as err:
        await via.chat.completions.create(model="auto", messages=chat("x")["messages"])
    assert err.value.status_code == 502
    await via.close()
