"""Anthropic Messages (``POST /v1/messages``): the dialect and its pure parts.

Contract:
- ``read(body)`` validates ``model``, ``max_tokens``, ``messages`` (content string or blocks),
  ``system`` (string or text blocks), ``tools``, ``temperature``, ``metadata``, ``stream`` and
  raises ``BadRequest`` naming the field; ``error_body`` renders any sidecar error in the
  Anthropic shape ``{"type": "error", "error": {"type", "message"}}``.
- The matched text is the last message's text when it is a plain-text user turn; the scope is
  everything else (``scope_rest``) plus the ``anthropic-version``/``anthropic-beta`` headers.
- ``cacheable``, ``usage`` and ``escalation_view`` read a message. Streams: ``anthropic_sse``.
- ``Messages`` is the dialect; it is served only by deployments with ``api: anthropic``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from classifier.escalation import escalation_reason
from sidecar.dialect import StreamReader, Usage
from sidecar.dialects.anthropic_sse import MessageAssembler, replay_events
from sidecar.dialects.reader import EventReader
from sidecar.errors import BadRequest, SidecarError
from sidecar.request import Endpoint, Fields, ParsedRequest, has_type

if TYPE_CHECKING:
    from sidecar.target import Target

UNSCOPED = ("stream", "metadata", "service_tier")
SCOPED_HEADERS = ("anthropic-version", "anthropic-beta")
CACHEABLE_STOP = frozenset({"end_turn", "max_tokens", "stop_sequence", "tool_use"})
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
    if not has_type(value, types):
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


class Messages:
    """``/v1/messages``: JSON or the Messages event stream, Anthropic error shapes."""

    endpoint = Endpoint.MESSAGES
    path = "/v1/messages"
    upstream_path = "/messages"
    api = "anthropic"
    routable = True

    def read(self, body: dict[str, Any], headers: Mapping[str, str]) -> Fields:
        """Validate; the last plain-text user turn is matched, everything else scopes."""
        f = read(body)
        temperature = body.get("temperature")
        return Fields(
            model=f.model,
            stream=f.stream,
            text=f.text,
            fuzzy=f.fuzzy,
            scoped=scope_rest(body, f.fuzzy, headers),
            temperature=None if temperature is None else float(temperature),
        )

    def upstream_body(self, req: ParsedRequest) -> dict[str, Any]:
        """The client's body as sent (unknown fields survive)."""
        return dict(req.body)

    def render(self, stored: bytes, req: ParsedRequest) -> bytes:
        """Stored answers are Messages JSON already."""
        return stored

    def replay(self, stored: bytes, req: ParsedRequest) -> Iterator[bytes]:
        """``message_start`` … ``message_stop`` for the stored message."""
        return replay_events(orjson.loads(stored))

    def reader(self, req: ParsedRequest) -> StreamReader:
        """Relays every event; assembles the message."""
        return EventReader(MessageAssembler())

    def answered(self, answer: dict[str, Any], req: ParsedRequest, target: Target) -> None:
        """Nothing to remember: the Messages API keeps no server-side state."""

    def usage(self, answer: dict[str, Any]) -> Usage | None:
        """Input (with cache reads and writes) and output tokens; None when not reported."""
        if not isinstance(answer.get("usage"), dict):
            return None
        return Usage(*usage(answer))

    def cacheable(self, answer: dict[str, Any]) -> bool:
        """end_turn, max_tokens, stop_sequence or tool_use, with content."""
        return cacheable(answer)

    def escalation(self, answer: dict[str, Any], req: ParsedRequest) -> str | None:
        """Empty, refusal (``stop_reason`` or text) or truncated (``max_tokens``)."""
        return escalation_reason(escalation_view(answer), wants_json=False)

    def error_body(self, err: SidecarError) -> bytes:
        """``{"type": "error", "error": {"type", "message"}}``, typed by status."""
        return error_body(err.status, err.message)

    def stream_error(self, err: SidecarError) -> bytes:
        """``event: error`` as the Messages API sends it mid-stream."""
        return b"event: error\ndata: " + error_body(err.status, err.message) + b"\n\n"
