"""Anthropic Messages (``POST /v1/messages``): the pure parts of the dialect.

Contract:
- ``read(body)`` validates ``model``, ``max_tokens``, ``messages`` (content string or blocks),
  ``system`` (string or text blocks), ``tools``, ``temperature``, ``metadata``, ``stream`` and
  raises ``BadRequest`` naming the field; ``error_body`` renders any sidecar error in the
  Anthropic shape ``{"type": "error", "error": {"type", "message"}}``.
- The matched text is the last message's text when it is a plain-text user turn; the scope is
  everything else (``scope_rest``) plus the ``anthropic-version``/``anthropic-beta`` headers.
- ``MessageAssembler`` rebuilds the message from a relayed stream (complete only after
  ``message_stop``); ``replay_events`` renders a stored message as ``message_start`` …
  ``content_block_delta`` … ``message_stop`` for the SDK's ``messages.stream`` helper.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from sidecar.errors import BadRequest

UNSCOPED = ("stream", "metadata", "service_tier")
SCOPED_HEADERS = ("anthropic-version", "anthropic-beta")
CACHEABLE_STOP = frozenset({"end_turn", "max_tokens", "stop_sequence", "tool_use"})
PIECE_CHARS = 64
# Anthropic's error type for each HTTP status the sidecar itself can return.
ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    413: "request_too_large",
    429: "rate_limit_error",
    503: "overloaded_error",
    529: "overloaded_error",
}


@dataclass(frozen=True, slots=True)
class MessagesFields:
    """What the sidecar reads from a Messages request body."""

    model: str
    stream: bool
    text: str  # matched fuzzily; "" when the last turn is not plain user text
    fuzzy: bool


def error_body(status: int, message: str) -> bytes:
    """An error in the Anthropic shape, typed by HTTP status (5xx = ``api_error``)."""
    kind = ERROR_TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")
    return orjson.dumps({"type": "error", "error": {"type": kind, "message": message}})


def _typed(body: dict[str, Any], name: str, types: type | tuple[type, ...]) -> Any:
    value = body.get(name)
    if value is None:
        return None
    numeric = types in (int, float) or types == (int, float)
    if not isinstance(value, types) or (isinstance(value, bool) and numeric):
        raise BadRequest(f"{name}: wrong type ({type(value).__name__})", param=name)
    return value


def read(body: dict[str, Any]) -> MessagesFields:
    """Validate a Messages body; raise BadRequest naming the first bad field."""
    model = _typed(body, "model", str)
    if not model:
        raise BadRequest("model: Field required", param="model")
    limit = _typed(body, "max_tokens", int)
    if limit is None or limit < 1:
        raise BadRequest("max_tokens: Field required (an integer >= 1)", param="max_tokens")
    messages = _typed(body, "messages", list)
    if not messages:
        raise BadRequest("messages: Field required (a non-empty list)", param="messages")
    for i, msg in enumerate(messages):
        ok = isinstance(msg, dict) and msg.get("role") in ("user", "assistant")
        if not ok or not isinstance(msg.get("content"), str | list):
            raise BadRequest(
                f"messages.{i}: needs role 'user' or 'assistant' and string or block content",
                param=f"messages.{i}",
            )
    system = _typed(body, "system", (str, list))
    if isinstance(system, list) and not all(isinstance(b, dict) for b in system):
        raise BadRequest("system: must be a string or a list of text blocks", param="system")
    _typed(body, "tools", list)
    _typed(body, "temperature", (int, float))
    _typed(body, "metadata", dict)
    text, fuzzy = last_user_text(messages)
    return MessagesFields(model, bool(_typed(body, "stream", bool)), text, fuzzy)


def last_user_text(messages: list[dict[str, Any]]) -> tuple[str, bool]:
    """The text matched fuzzily and whether fuzzy matching is allowed at all."""
    last = messages[-1]
    content = last.get("content")
    if last.get("role") != "user":
        return "", False
    if isinstance(content, str):
        return (content, True) if content else ("", False)
    if not isinstance(content, list):
        return "", False
    texts = [b.get("text") for b in content if isinstance(b, dict) and b.get("type") == "text"]
    if not texts or len(texts) != len(content) or not all(isinstance(t, str) for t in texts):
        return "", False  # images, documents, tool results: exact matching only
    text = "\n".join(texts)  # type: ignore[arg-type]
    return (text, True) if text else ("", False)


def scope_rest(body: dict[str, Any], fuzzy: bool, headers: Mapping[str, str]) -> dict[str, Any]:
    """The part of the request that must match exactly (everything but the matched text)."""
    rest = {k: v for k, v in body.items() if k not in UNSCOPED}
    if fuzzy:
        rest["messages"] = rest["messages"][:-1]
    for name in SCOPED_HEADERS:
        if value := headers.get(name):
            rest[f"header:{name}"] = value
    return rest


def usage(answer: dict[str, Any]) -> tuple[int, int]:
    """(input tokens incl. cache reads/writes, output tokens) of a message."""
    used = answer.get("usage") or {}
    if not isinstance(used, dict):
        return 0, 0
    inp = sum(
        int(used.get(k) or 0)
        for k in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
    )
    return inp, int(used.get("output_tokens") or 0)


def cacheable(answer: dict[str, Any]) -> bool:
    """A finished message (end_turn, max_tokens, stop_sequence or tool_use) with content."""
    return answer.get("stop_reason") in CACHEABLE_STOP and bool(answer.get("content"))


def escalation_view(answer: dict[str, Any]) -> dict[str, Any]:
    """The answer in the chat shape ``classifier.escalation.escalation_reason`` reads."""
    blocks = [b for b in answer.get("content") or [] if isinstance(b, dict)]
    text = "".join(str(b.get("text") or "") for b in blocks if b.get("type") == "text")
    stop = answer.get("stop_reason")
    message: dict[str, Any] = {"role": "assistant", "content": text}
    if stop == "refusal":
        message["refusal"] = text or "refusal"
    if any(b.get("type") == "tool_use" for b in blocks):
        message["tool_calls"] = [{"type": "function"}]
    finish = "length" if stop == "max_tokens" else "stop"
    return {"choices": [{"index": 0, "message": message, "finish_reason": finish}]}


class MessageAssembler:
    """Accumulates one relayed Messages stream into the non-streamed message."""

    def __init__(self) -> None:
        self.failed = False
        self.done = False
        self.message: dict[str, Any] | None = None
        self._json: dict[int, str] = {}

    def add(self, data: bytes) -> dict[str, Any] | None:
        """Record one SSE data payload; return the parsed event (None for garbage)."""
        try:
            event = orjson.loads(data)
        except orjson.JSONDecodeError:
            self.failed = True
            return None
        if not isinstance(event, dict):
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
