"""OpenAI Responses streams: assembling a relayed stream and replaying a stored response.

``ResponseAssembler`` rebuilds the final response object from the events it sees; it is
complete only when ``response.completed`` or ``response.incomplete`` arrived and no ``error``
or ``response.failed`` did. ``replay_events`` renders a stored response as the full sequence
(``response.created``, ``response.in_progress``, per item ``output_item.added`` …
``output_text.delta`` … ``output_item.done``, ``response.completed`` with usage) that the
``openai`` SDK's ``responses.stream`` helper accepts.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from sidecar.sse import json_object

PIECE_CHARS = 64  # characters per replayed text delta


class ResponseAssembler:
    """Accumulates one relayed Responses stream into its final response object."""

    def __init__(self) -> None:
        self.failed = False
        self.final: dict[str, Any] | None = None
        self._items: dict[int, dict[str, Any]] = {}

    def add(self, data: bytes) -> dict[str, Any] | None:
        """Record one SSE data payload; return the parsed event (None for garbage)."""
        event = json_object(data)
        if event is None:
            self.failed = True
            return None
        kind = event.get("type")
        if kind in ("error", "response.failed"):
            self.failed = True
        elif kind == "response.output_item.done" and isinstance(event.get("item"), dict):
            self._items[int(event.get("output_index") or 0)] = event["item"]
        elif kind in ("response.completed", "response.incomplete"):
            final = event.get("response")
            if isinstance(final, dict):
                if not final.get("output"):  # some providers leave the items to the done events
                    final = {**final, "output": [self._items[i] for i in sorted(self._items)]}
                self.final = final
        return event

    @property
    def complete(self) -> bool:
        """The terminal event arrived and nothing failed."""
        return self.final is not None and not self.failed

    def result(self) -> dict[str, Any]:
        """The final response object (only meaningful when ``complete``)."""
        return self.final or {}


def sse(kind: str, data: dict[str, Any]) -> bytes:
    """One SSE event with its ``event:`` name, as the Responses API sends them."""
    return b"event: " + kind.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


def _item_events(index: int, item: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Events for one output item, from ``output_item.added`` to ``output_item.done``."""
    start = {**item, "status": "in_progress"}
    kind = item.get("type")
    if kind == "message":
        start["content"] = []
    elif kind == "function_call":
        start["arguments"] = ""
    yield {"type": "response.output_item.added", "output_index": index, "item": start}
    ids = {"item_id": item.get("id", ""), "output_index": index}
    if kind == "function_call":
        args = str(item.get("arguments") or "")
        yield {"type": "response.function_call_arguments.delta", **ids, "delta": args}
        yield {"type": "response.function_call_arguments.done", **ids, "arguments": args}
    for ci, part in enumerate((item.get("content") or []) if kind == "message" else []):
        yield from _part_events(ids, ci, part)
    yield {"type": "response.output_item.done", "output_index": index, "item": item}


def _part_events(ids: dict[str, Any], ci: int, part: dict[str, Any]) -> Iterator[dict[str, Any]]:
    where = {**ids, "content_index": ci}
    kind = part.get("type")
    empty = {**part, "text": ""} if kind == "output_text" else {**part, "refusal": ""}
    yield {"type": "response.content_part.added", **where, "part": empty}
    if kind == "output_text":
        text = str(part.get("text") or "")
        for start in range(0, len(text), PIECE_CHARS):
            piece = text[start : start + PIECE_CHARS]
            yield {"type": "response.output_text.delta", **where, "delta": piece, "logprobs": []}
        yield {"type": "response.output_text.done", **where, "text": text, "logprobs": []}
    elif kind == "refusal":
        refusal = str(part.get("refusal") or "")
        yield {"type": "response.refusal.delta", **where, "delta": refusal}
        yield {"type": "response.refusal.done", **where, "refusal": refusal}
    yield {"type": "response.content_part.done", **where, "part": part}


def replay_events(answer: dict[str, Any]) -> Iterator[bytes]:
    """The full Responses SSE sequence for a stored (already re-issued) response object."""
    start = {**answer, "status": "in_progress", "output": [], "usage": None}
    start["incomplete_details"] = None
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": start},
        {"type": "response.in_progress", "response": start},
    ]
    for index, item in enumerate(answer.get("output") or []):
        events.extend(_item_events(index, item))
    final = "response.incomplete" if answer.get("status") == "incomplete" else "response.completed"
    events.append({"type": final, "response": answer})
    for n, event in enumerate(events):
        yield sse(event["type"], {**event, "sequence_number": n})
