"""The Responses dialect's pure parts: validation, matched text and scope, assembling a relayed
stream, replaying a stored answer through the real ``openai`` SDK's stream helper, and the
server-side-state rules (re-issued ids, expansion, credential checks)."""

from __future__ import annotations

from typing import Any

import httpx2
import openai
import orjson
import pytest

from sidecar.dialects import response_state as state
from sidecar.dialects import responses as rd
from sidecar.dialects import responses_sse as rs
from sidecar.errors import BadRequest
from sidecar.request import credential_of
from sidecar.sse import EventSplitter, event_data


def answer(text: str = "echo: hi there", status: str = "completed", **extra: Any) -> dict:
    return {
        "id": "resp_abc",
        "object": "response",
        "created_at": 1,
        "status": status,
        "error": None,
        "incomplete_details": {"reason": "max_output_tokens"} if status == "incomplete" else None,
        "model": "gpt-4o-mini",
        "output": [
            {
                "id": "msg_1",
                "type": "message",
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": text, "annotations": []}],
            }
        ],
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "usage": {
            "input_tokens": 5,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": 3,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": 8,
        },
        **extra,
    }


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"input": "x"}, "model"),
        ({"model": "m"}, "input"),
        ({"model": "m", "input": ""}, "input"),
        ({"model": "m", "input": ["x"]}, "input[0]"),
        ({"model": "m", "input": "x", "temperature": "hot"}, "temperature"),
        ({"model": "m", "input": "x", "temperature": True}, "temperature"),
        ({"model": "m", "input": "x", "max_output_tokens": 0}, "max_output_tokens"),
        ({"model": "m", "input": "x", "text": {"format": "json"}}, "text.format"),
        ({"model": "m", "input": "x", "previous_response_id": 7}, "previous_response_id"),
        ({"model": "m", "input": "x", "store": "yes"}, "store"),
        ({"model": "m", "input": "x", "tools": {}}, "tools"),
    ],
)
def test_bad_bodies_name_the_field(body, param):
    with pytest.raises(BadRequest) as err:
        rd.read(body)
    assert err.value.param == param


def test_matched_text_and_scope():
    plain = rd.read({"model": "m", "input": "What is 2+2?", "instructions": "Be brief"})
    assert (plain.text, plain.fuzzy, plain.store) == ("What is 2+2?", True, True)
    items = [
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": "answer"},
        {"role": "user", "content": [{"type": "input_text", "text": "second"}]},
    ]
    listed = rd.read({"model": "m", "input": items, "store": False})
    assert (listed.text, listed.fuzzy, listed.store) == ("second", True, False)
    image = [{"role": "user", "content": [{"type": "input_image", "image_url": "x"}]}]
    assert rd.read({"model": "m", "input": image}).fuzzy is False
    tool_out = [{"type": "function_call_output", "call_id": "c", "output": "1"}]
    assert rd.read({"model": "m", "input": tool_out}).fuzzy is False
    fmt = {"format": {"type": "json_schema", "name": "x", "schema": {}}}
    assert rd.read({"model": "m", "input": "x", "text": fmt}).wants_json
    # a string input and a one-item list leave the same scope; metadata/store/stream don't count
    a = rd.scope_rest({"model": "m", "input": "q", "stream": True, "store": False}, True)
    b = rd.scope_rest({"model": "m", "input": [{"role": "user", "content": "q"}]}, True)
    assert a == b == {"model": "m", "input": []}
    c = rd.scope_rest({"model": "m", "input": "q", "instructions": "pirate"}, True)
    d = rd.scope_rest({"model": "m", "input": "q", "previous_response_id": "resp_1"}, True)
    assert c != a and d != a


def test_cacheable_usage_and_escalation_view():
    assert rd.cacheable(answer())
    assert rd.cacheable(answer(status="incomplete"))  # cut at max_output_tokens, like length
    assert not rd.cacheable(answer(status="failed"))
    assert not rd.cacheable({**answer(), "output": []})
    assert rd.usage(answer()) == (5, 3)
    view = rd.escalation_view(answer(status="incomplete"))
    assert view["choices"][0]["finish_reason"] == "length"
    refusal = answer()
    refusal["output"][0]["content"] = [{"type": "refusal", "refusal": "No."}]
    assert rd.escalation_view(refusal)["choices"][0]["message"]["refusal"] == "No."
    call = {**answer(), "output": [{"type": "function_call", "id": "fc", "arguments": "{}"}]}
    assert rd.escalation_view(call)["choices"][0]["message"]["tool_calls"]


def _events(stream: bytes) -> list[bytes]:
    splitter = EventSplitter()
    return [d for e in splitter.feed(stream) if (d := event_data(e)) is not None]


def test_replay_assembles_back_to_the_stored_answer():
    stored = answer("a long answer " * 20)
    stored["output"].append(
        {"id": "fc_1", "type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"}
    )
    asm = rs.ResponseAssembler()
    for data in _events(b"".join(rs.replay_events(stored))):
        asm.add(data)
    assert asm.complete and asm.result() == stored
    cut = rs.ResponseAssembler()
    for data in _events(b"".join(rs.replay_events(stored)))[:-1]:
        cut.add(data)
    assert not cut.complete  # no terminal event: never stored
    failed = rs.ResponseAssembler()
    failed.add(b'{"type": "error", "message": "boom"}')
    failed.add(orjson.dumps({"type": "response.completed", "response": stored}))
    assert not failed.complete


def _sdk_over(body: bytes, content_type: str) -> openai.OpenAI:
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, content=body, headers={"content-type": content_type})

    http = httpx2.Client(transport=httpx2.MockTransport(handler))
    return openai.OpenAI(base_url="http://test/v1", api_key="k", http_client=http, max_retries=0)


def test_real_sdk_stream_helper_reads_a_replay():
    stored = state.reissue(answer("echo: " + "word " * 40), now=5.0, overrides={})
    client = _sdk_over(b"".join(rs.replay_events(stored)), "text/event-stream")
    deltas = []
    with client.responses.stream(model="m", input="x") as stream:
        for event in stream:
            if event.type == "response.output_text.delta":
                deltas.append(event.delta)
        final = stream.get_final_response()
    assert "".join(deltas) == final.output_text == stored["output"][0]["content"][0]["text"]
    assert final.id == stored["id"] and final.usage is not None and final.usage.output_tokens == 3
    created = client.responses.create(model="m", input="x", stream=True)
    kinds = [e.type for e in created]
    assert kinds[:2] == ["response.created", "response.in_progress"]
    assert kinds[-1] == "response.completed"


def test_reissue_gives_fresh_ids_and_overrides():
    stored = answer()
    one = state.reissue(stored, now=10.0, overrides={"store": False, "metadata": {"a": "b"}})
    two = state.reissue(stored, now=11.0, overrides={})
    assert one["id"] != two["id"] and one["id"].startswith("resp_sc_")
    assert one["output"][0]["id"].startswith("msg_sc_") and stored["output"][0]["id"] == "msg_1"
    assert state.is_reissued(one["id"]) and not state.is_reissued(stored["id"])
    assert one["store"] is False and one["metadata"] == {"a": "b"} and one["created_at"] == 10


def test_replayed_ids_continue_only_for_their_credential():
    body = {"model": "auto", "input": "What is 2+2?", "previous_response_id": "resp_prev"}
    replayed = state.reissue(answer("4"), now=1.0, overrides={})
    record = state.replay_record(body, replayed, orjson.dumps(replayed), "cred-a")
    assert record is not None
    ids = state.ResponseIds(max_ids=2)
    ids.remember(replayed["id"], record)
    assert ids.find(replayed["id"], "cred-b") is None  # another client: 404
    found = ids.find(replayed["id"], "cred-a")
    assert isinstance(found, state.Replayed)
    nxt = {"model": "auto", "input": "and 3+3?", "previous_response_id": replayed["id"]}
    expanded = state.expand(nxt, found)
    assert expanded["previous_response_id"] == "resp_prev"  # the client's own earlier state
    assert expanded["input"][0] == {"role": "user", "content": "What is 2+2?"}
    assert expanded["input"][1]["type"] == "message" and "id" not in expanded["input"][1]
    assert expanded["input"][-1] == {"role": "user", "content": "and 3+3?"}
    # store: false answers are not continuable, as at the provider
    assert state.replay_record({**body, "store": False}, replayed, b"{}", "cred-a") is None
    ids.remember("resp_2", state.Produced(target="t", credential="cred-a"))
    ids.remember("resp_3", state.Produced(target="t", credential="cred-a"))
    assert len(ids) == 2 and ids.find(replayed["id"], "cred-a") is None  # bounded LRU
    ids.forget("resp_3")
    assert ids.find("resp_3", "cred-a") is None
    # the replayed state held is bounded in bytes too: the oldest ids go first
    small = state.ResponseIds(max_bytes=record.size * 2)
    for rid in ("r1", "r2", "r3"):
        small.remember(rid, record)
    assert small.bytes == record.size * 2 and small.find("r1", "cred-a") is None
    small.remember("r3", record)  # the same id again is not counted twice
    small.forget("r2")
    assert small.bytes == record.size and small.find("r3", "cred-a") is not None


def test_credential_hash_and_stripping_issued_ids():
    assert credential_of({}) == ""
    a = credential_of({"Authorization": "Bearer a"})
    assert a and a == credential_of({"x-api-key": "a"}) != credential_of({"x-api-key": "b"})
    items = [{"id": "msg_sc_1", "type": "message"}, {"id": "msg_real", "type": "message"}]
    assert state.strip_reissued(items) == [{"type": "message"}, items[1]]
