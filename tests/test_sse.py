"""SSE splitting, assembling (content, tool calls, completeness) and replay round trips."""

from __future__ import annotations

import orjson
from hypothesis import given
from hypothesis import strategies as st

from sidecar.sse import Assembler, EventSplitter, event_data, replay


def _events(answer: dict) -> list[bytes]:
    return list(replay(answer, include_usage=True, piece_chars=3))


ANSWER = {
    "id": "c1",
    "object": "chat.completion",
    "created": 1,
    "model": "m",
    "choices": [
        {
            "index": 0,
            "finish_reason": "stop",
            "logprobs": None,
            "message": {"role": "assistant", "content": "hello there, world"},
        }
    ],
    "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7},
}


@given(
    st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=50),
    st.sampled_from([b"\n", b"\r\n", b"\r"]),  # the three line endings SSE allows
)
def test_any_chunking_and_line_ending_gives_the_same_events(cuts, eol):
    stream = b"".join(_events(ANSWER)).replace(b"\n", eol)
    splitter, got, pos = EventSplitter(), [], 0
    for size in cuts * (len(stream) // max(1, sum(cuts)) + 1):
        got += splitter.feed(stream[pos : pos + size])
        pos += size
        if pos >= len(stream):
            break
    # Events come out with LF line endings whatever the upstream used.
    assert got == _events(ANSWER) and splitter.rest() == b""


def test_replay_then_assemble_round_trips():
    asm = Assembler()
    for event in _events(ANSWER):
        payload = event_data(event)
        assert payload is not None
        asm.add(payload)
    assert asm.complete
    result = asm.result(chat=True)
    assert result["choices"][0]["message"]["content"] == "hello there, world"
    assert result["usage"] == ANSWER["usage"]


def test_tool_call_deltas_are_merged():
    asm = Assembler()
    chunks = [
        {
            "choices": [
                {
                    "index": 0,
                    "delta": {
                        "role": "assistant",
                        "tool_calls": [
                            {
                                "index": 0,
                                "id": "call_1",
                                "type": "function",
                                "function": {"name": "get_", "arguments": '{"ci'},
                            }
                        ],
                    },
                }
            ]
        },
        {
            "choices": [
                {
                    "index": 0,
                    "delta": {
                        "tool_calls": [
                            {
                                "index": 0,
                                "function": {"name": "weather", "arguments": 'ty": "Oslo"}'},
                            }
                        ]
                    },
                }
            ]
        },
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]},
    ]
    for c in chunks:
        asm.add(orjson.dumps(c))
    assert not asm.complete  # no [DONE] yet
    asm.add(b"[DONE]")
    assert asm.complete
    call = asm.result(chat=True)["choices"][0]["message"]["tool_calls"][0]
    assert call["id"] == "call_1" and call["function"]["name"] == "get_weather"
    assert orjson.loads(call["function"]["arguments"]) == {"city": "Oslo"}


def test_incomplete_or_errored_streams_are_not_complete():
    asm = Assembler()
    asm.add(orjson.dumps({"choices": [{"index": 0, "delta": {"content": "hi"}}]}))
    asm.add(b"[DONE]")
    assert not asm.complete  # no finish_reason
    asm = Assembler()
    asm.add(orjson.dumps({"error": {"message": "boom"}}))
    asm.add(b"[DONE]")
    assert not asm.complete
