"""Server-sent events: split a relayed stream into events, assemble it, and replay a stored answer.

``Assembler`` rebuilds the complete ``chat.completion`` (or ``text_completion``) JSON from the
chunks it sees; it is complete only when a ``finish_reason`` arrived *and* ``[DONE]`` was seen,
so truncated or errored streams are never stored. ``replay`` turns a stored JSON answer back
into OpenAI-format chunks for a ``stream: true`` client.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

DONE = b"data: [DONE]\n\n"


class EventSplitter:
    """Buffers bytes and yields whole SSE events (each ending in a blank line)."""

    def __init__(self) -> None:
        self._buf = b""
        self._after_cr = False

    def feed(self, data: bytes) -> list[bytes]:
        """Add bytes; return the complete events now available (with their terminator)."""
        if self._after_cr and data.startswith(b"\n"):
            data = data[1:]  # the LF of a CRLF split across reads: its CR ended the line
        if data:
            self._after_cr = data.endswith(b"\r")
        # SSE lines end in CRLF, LF or CR; events are relayed with LF.
        self._buf += data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        events = []
        while (end := self._buf.find(b"\n\n")) >= 0:
            events.append(self._buf[: end + 2])
            self._buf = self._buf[end + 2 :]
        return events

    def rest(self) -> bytes:
        """Bytes of an unfinished event (relayed as-is at the end)."""
        return self._buf


def event_data(event: bytes) -> bytes | None:
    """The joined ``data:`` payload of one event, or None."""
    lines = [line[5:].lstrip(b" ") for line in event.split(b"\n") if line.startswith(b"data:")]
    return b"\n".join(lines) if lines else None


def json_object(data: bytes) -> dict[str, Any] | None:
    """An event payload parsed as a JSON object, or None (not JSON, or not an object)."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


class Assembler:
    """Accumulates chunks of one streamed answer into its non-streamed JSON form."""

    def __init__(self) -> None:
        self.done = False
        self.failed = False
        self.usage: dict[str, Any] | None = None
        self._head: dict[str, Any] = {}
        self._choices: dict[int, dict[str, Any]] = {}

    def add(self, data: bytes) -> dict[str, Any] | None:
        """Record one event payload; return the parsed chunk (None for [DONE] or garbage)."""
        if data.strip() == b"[DONE]":
            self.done = True
            return None
        chunk = json_object(data)
        if chunk is None or "error" in chunk:
            self.failed = True
            return None
        for key in ("id", "created", "model", "system_fingerprint", "object"):
            if key in chunk:
                self._head.setdefault(key, chunk[key])
        if chunk.get("usage"):
            self.usage = chunk["usage"]
        for choice in chunk.get("choices") or []:
            self._merge(choice)
        return chunk

    def _merge(self, choice: dict[str, Any]) -> None:
        slot = self._choices.setdefault(
            int(choice.get("index", 0)), {"content": [], "text": [], "tool_calls": {}}
        )
        if choice.get("finish_reason"):
            slot["finish_reason"] = choice["finish_reason"]
        if "text" in choice:
            slot["text"].append(choice["text"] or "")
        delta = choice.get("delta") or {}
        if delta.get("role"):
            slot["role"] = delta["role"]
        if delta.get("content"):
            slot["content"].append(delta["content"])
        for call in delta.get("tool_calls") or []:
            into = slot["tool_calls"].setdefault(
                int(call.get("index", 0)),
                {"id": None, "type": "function", "function": {"name": "", "arguments": ""}},
            )
            into["id"] = call.get("id") or into["id"]
            fn = call.get("function") or {}
            into["function"]["name"] += fn.get("name") or ""
            into["function"]["arguments"] += fn.get("arguments") or ""

    @property
    def complete(self) -> bool:
        """Reached [DONE], every choice finished, nothing failed."""
        return (
            self.done
            and not self.failed
            and bool(self._choices)
            and all("finish_reason" in c for c in self._choices.values())
        )

    def result(self, *, chat: bool) -> dict[str, Any]:
        """The assembled answer as a non-streamed response object."""
        choices = []
        for index, slot in sorted(self._choices.items()):
            out: dict[str, Any] = {
                "index": index,
                "finish_reason": slot.get("finish_reason"),
                "logprobs": None,
            }
            if chat:
                msg: dict[str, Any] = {
                    "role": slot.get("role", "assistant"),
                    "content": "".join(slot["content"]) or None,
                }
                if slot["tool_calls"]:
                    msg["tool_calls"] = [slot["tool_calls"][i] for i in sorted(slot["tool_calls"])]
                out["message"] = msg
            else:
                out["text"] = "".join(slot["text"])
            choices.append(out)
        obj = "chat.completion" if chat else "text_completion"
        return {**self._head, "object": obj, "choices": choices, "usage": self.usage}


def replay(
    answer: dict[str, Any], *, include_usage: bool, piece_chars: int = 64
) -> Iterator[bytes]:
    """OpenAI-format SSE events for a stored answer, ending in ``[DONE]``."""
    chat = answer.get("object") == "chat.completion"
    head = {
        "id": answer.get("id", "cached"),
        "created": answer.get("created", 0),
        "model": answer.get("model", ""),
        "object": "chat.completion.chunk" if chat else "text_completion",
    }

    def event(choices: list[dict[str, Any]], usage: Any = None) -> bytes:
        chunk = {**head, "choices": choices}
        if include_usage:
            chunk["usage"] = usage
        return b"data: " + orjson.dumps(chunk) + b"\n\n"

    for choice in answer.get("choices") or []:
        index = choice.get("index", 0)
        if chat:
            msg = choice.get("message") or {}
            yield event(
                [
                    {
                        "index": index,
                        "delta": {"role": msg.get("role", "assistant"), "content": ""},
                        "finish_reason": None,
                    }
                ]
            )
            text = msg.get("content") or ""
            if msg.get("tool_calls"):
                calls = [{**c, "index": i} for i, c in enumerate(msg["tool_calls"])]
                yield event(
                    [{"index": index, "delta": {"tool_calls": calls}, "finish_reason": None}]
                )
        else:
            text = choice.get("text") or ""
        for start in range(0, len(text), piece_chars):
            piece = text[start : start + piece_chars]
            delta: dict[str, Any] = {"delta": {"content": piece}} if chat else {"text": piece}
            yield event([{"index": index, **delta, "finish_reason": None}])
        end: dict[str, Any] = {"delta": {}} if chat else {"text": ""}
        yield event([{"index": index, **end, "finish_reason": choice.get("finish_reason")}])
    if include_usage:
        yield event([], answer.get("usage"))
    yield DONE
