"""The Anthropic Messages dialect's pure parts: validation, matched text and scope, the error
shape, assembling a relayed stream, and replaying a stored message through the real
``anthropic`` SDK's ``messages.stream`` helper."""

from __future__ import annotations

from typing import Any

import anthropic
import httpx2
import orjson
import pytest

from sidecar.dialects import anthropic as ad
from sidecar.dialects import anthropic_sse as asse
from sidecar.errors import BadRequest
from sidecar.sse import EventSplitter, event_data


def message(text: str = "echo: hi", stop: str = "end_turn", **extra: Any) -> dict[str, Any]:
    return {
        "id": "msg_01",
        "type": "message",
        "role": "assistant",
        "model": "claude-haiku",
        "content": [{"type": "text", "text": text}],
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {"input_tokens": 7, "output_tokens": 3},
        **extra,
    }


def body(**extra: Any) -> dict[str, Any]:
    return {
        "model": "auto",
        "max_tokens": 100,
        "messages": [{"role": "user", "content": "hi"}],
        **extra,
    }


@pytest.mark.parametrize(
    ("bad", "param"),
    [
        ({"model": None}, "model"),
        ({"max_tokens": None}, "max_tokens"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"max_tokens": "10"}, "max_tokens"),
        ({"messages": []}, "messages"),
        ({"messages": [{"role": "system", "content": "x"}]}, "messages.0"),
        ({"messages": [{"role": "user", "content": 5}]}, "messages.0"),
        ({"system": 3}, "system"),
        ({"system": ["x"]}, "system"),
        ({"tools": "none"}, "tools"),
        ({"temperature": "warm"}, "temperature"),
        ({"metadata": "x"}, "metadata"),
    ],
)
def test_bad_bodies_name_the_field(bad, param):
    with pytest.raises(BadRequest) as err:
        ad.read({k: v for k, v in body(**bad).items() if v is not None})
    assert err.value.param == param


def test_error_shape_by_status():
    for status, kind in [
        (400, "invalid_request_error"),
        (404, "not_found_error"),
        (413, "request_too_large"),
        (429, "rate_limit_error"),
        (502, "api_error"),
        (504, "api_error"),
    ]:
        err = orjson.loads(ad.error_body(status, "why"))
        assert err == {"type": "error", "error": {"type": kind, "message": "why"}}


def test_matched_text_and_scope():
    fields = ad.read(body(system="Be brief"))
    assert (fields.text, fields.fuzzy, fields.model) == ("hi", True, "auto")
    blocks = [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]
    assert ad.read(body(messages=[{"role": "user", "content": blocks}])).text == "a\nb"
    image = [{"type": "image", "source": {}}, {"type": "text", "text": "what is this"}]
    assert not ad.read(body(messages=[{"role": "user", "content": image}])).fuzzy
    turns = [{"role": "user", "content": "q"}, {"role": "assistant", "content": "prefill"}]
    assert not ad.read(body(messages=turns)).fuzzy
    base = ad.scope_rest(body(), True, {})
    assert base == ad.scope_rest(body(stream=True, metadata={"user_id": "u"}), True, {})
    assert base != ad.scope_rest(body(system="pirate"), True, {})
    assert base != ad.scope_rest(body(), True, {"anthropic-version": "2023-06-01"})
    assert base != ad.scope_rest(body(max_tokens=5), True, {})


def test_cacheable_usage_and_escalation_view():
    assert ad.cacheable(message()) and ad.cacheable(message(stop="max_tokens"))
    assert not ad.cacheable(message(stop="refusal")) and not ad.cacheable(message(stop=None))
    assert ad.usage(
        message(usage={"input_tokens": 2, "cache_read_input_tokens": 5, "output_tokens": 1})
    ) == (7, 1)
    assert ad.escalation_view(message(stop="max_tokens"))["choices"][0]["finish_reason"] == "length"
    assert ad.escalation_view(message(stop="refusal"))["choices"][0]["message"]["refusal"]
    tool = message(content=[{"type": "tool_use", "id": "t", "name": "f", "input": {}}])
    assert ad.escalation_view(tool)["choices"][0]["message"]["tool_calls"]


def _payloads(stream: bytes) -> list[bytes]:
    return [d for e in EventSplitter().feed(stream) if (d := event_data(e)) is not None]


def test_replay_assembles_back_to_the_stored_message():
    stored = message("x" * 150)
    stored["content"].append(
        {"type": "tool_use", "id": "toolu_1", "name": "get", "input": {"city": "Paris"}}
    )
    asm = asse.MessageAssembler()
    for data in _payloads(b"".join(asse.replay_events(stored))):
        asm.add(data)
    assert asm.complete and asm.result() == stored
    cut = asse.MessageAssembler()
    for data in _payloads(b"".join(asse.replay_events(stored)))[:-1]:
        cut.add(data)
    assert not cut.complete
    broken = asse.MessageAssembler()
    broken.add(b'{"type": "content_block_delta", "index": 3, "delta": {}}')
    assert broken.failed
    errored = asse.MessageAssembler()
    for data in _payloads(b"".join(asse.replay_events(stored))):
        errored.add(data)
        errored.add(b'{"type": "error", "error": {"type": "overloaded_error", "message": "x"}}')
    assert not errored.complete


def test_real_sdk_stream_helper_reads_a_replay():
    stored = message("echo: " + "token " * 30)

    def handler(request: httpx2.Request) -> httpx2.Response:
        payload = b"".join(asse.replay_events(stored))
        return httpx2.Response(200, content=payload, headers={"content-type": "text/event-stream"})

    http = httpx2.Client(transport=httpx2.MockTransport(handler))
    client = anthropic.Anthropic(base_url="http://test", api_key="k", http_client=http)
    with client.messages.stream(
        model="m", max_tokens=10, messages=[{"role": "user", "content": "x"}]
    ) as s:
        text = "".join(s.text_stream)
        final = s.get_final_message()
    assert text == final.content[0].text == stored["content"][0]["text"]
    assert final.stop_reason == "end_turn" and final.usage.output_tokens == 3
    assert final.usage.input_tokens == 7 and final.id == "msg_01"
