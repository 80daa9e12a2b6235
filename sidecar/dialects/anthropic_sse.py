"""Anthropic Messages streams: assembling a relayed stream and replaying a stored message.

``MessageAssembler`` rebuilds the non-streamed message (text, tool_use input JSON, thinking),
complete only after ``message_stop`` with no ``error`` event or delta it cannot rebuild.
``replay_events`` renders a stored message as ``message_start``, ``ping``, per block
``content_block_start`` / ``content_block_delta`` / ``content_block_stop``, ``message_delta``
(stop reason, usage) and ``message_stop`` — what the ``anthropic`` SDK's ``messages.stream``
helper accepts.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from sidecar.sse import json_object

PIECE_CHARS = 64  # characters per replayed text delta


class MessageAssembler:
    """Accumulates one relayed Messages stream into the non-streamed message."""

    def __init__(self) -> None:
        self.failed = False
        self.done = False
        self.message: dict[str, Any] | None = None
        self._json: dict[int, str] = {}

    def add(self, data: bytes) -> dict[str, Any] | None:
        """Record one SSE data payload; return the parsed event (None for garbage)."""
        event = json_object(data)
        if event is None:
            self.failed = True
            return None
        try:
            self._apply(event)
        except (KeyError, IndexError, TypeError, ValueError):
            self.failed = True  # out-of-order or malformed events: never stored
        return event

    def _apply(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "message_start":
            self.message = {**event["message"], "content": []}
        elif kind == "error" or self.message is None:
            self.failed = self.failed or kind not in ("ping",)
        elif kind == "content_block_start":
            self.message["content"].append(dict(event["content_block"]))
        elif kind == "content_block_delta":
            index = int(event["index"])
            self._delta(index, self.message["content"][index], event["delta"])
        elif kind == "content_block_stop":
            index = int(event["index"])
            if index in self._json:
                raw = self._json.pop(index)
                self.message["content"][index]["input"] = orjson.loads(raw) if raw else {}
        elif kind == "message_delta":
            self.message.update(event.get("delta") or {})
            self.message["usage"] = {**(self.message.get("usage") or {}), **event["usage"]}
        elif kind == "message_stop":
            self.done = True

    def _delta(self, index: int, block: dict[str, Any], delta: dict[str, Any]) -> None:
        kind = delta.get("type")
        if kind == "text_delta":
            block["text"] = block.get("text", "") + delta["text"]
        elif kind == "input_json_delta":
            self._json[index] = self._json.get(index, "") + delta["partial_json"]
        elif kind == "thinking_delta":
            block["thinking"] = block.get("thinking", "") + delta["thinking"]
        elif kind == "signature_delta":
            block["signature"] = delta["signature"]
        else:
            self.failed = True  # a delta we cannot rebuild: relay it, never store it

    @property
    def complete(self) -> bool:
        """``message_stop`` arrived after a ``message_start`` and nothing failed."""
        return self.done and self.message is not None and not self.failed

    def result(self) -> dict[str, Any]:
        """The assembled message (only meaningful when ``complete``)."""
        return self.message or {}


def sse(kind: str, data: dict[str, Any]) -> bytes:
    """One SSE event with its ``event:`` name, as the Messages API sends them."""
    return b"event: " + kind.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


def _block_events(index: int, block: dict[str, Any]) -> Iterator[dict[str, Any]]:
    kind = block.get("type")
    start, deltas = dict(block), []
    if kind == "text":
        text = str(block.get("text") or "")
        start["text"] = ""
        deltas = [
            {"type": "text_delta", "text": text[i : i + PIECE_CHARS]}
            for i in range(0, len(text), PIECE_CHARS)
        ]
    elif kind == "tool_use":
        start["input"] = {}
        deltas = [
            {
                "type": "input_json_delta",
                "partial_json": orjson.dumps(block.get("input") or {}).decode(),
            }
        ]
    elif kind == "thinking":
        start["thinking"], start["signature"] = "", ""
        deltas = [
            {"type": "thinking_delta", "thinking": str(block.get("thinking") or "")},
            {"type": "signature_delta", "signature": str(block.get("signature") or "")},
        ]
    yield {"type": "content_block_start", "index": index, "content_block": start}
    for delta in deltas:
        yield {"type": "content_block_delta", "index": index, "delta": delta}
    yield {"type": "content_block_stop", "index": index}


def replay_events(answer: dict[str, Any]) -> Iterator[bytes]:
    """The full Messages SSE sequence for a stored message."""
    used = answer.get("usage") or {}
    start_usage = {**used, "output_tokens": min(1, int(used.get("output_tokens") or 0))}
    start = {**answer, "content": [], "stop_reason": None, "stop_sequence": None}
    yield sse(
        "message_start", {"type": "message_start", "message": {**start, "usage": start_usage}}
    )
    yield sse("ping", {"type": "ping"})
    for index, block in enumerate(answer.get("content") or []):
        for event in _block_events(index, block):
            yield sse(event["type"], event)
    delta = {"stop_reason": answer.get("stop_reason"), "stop_sequence": answer.get("stop_sequence")}
    final_usage = {"output_tokens": int(used.get("output_tokens") or 0)}
    yield sse("message_delta", {"type": "message_delta", "delta": delta, "usage": final_usage})
    yield sse("message_stop", {"type": "message_stop"})
