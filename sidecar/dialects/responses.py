"""OpenAI Responses (``POST /v1/responses``): the dialect and its pure parts.

Contract:
- ``read(body)`` validates the fields the sidecar uses (``input`` string or item list,
  ``instructions``, ``tools``, ``text.format``, ``max_output_tokens``, ``temperature``,
  ``previous_response_id``, ``store``, ``stream``) and raises ``BadRequest`` naming the field.
- The matched text is the last input item's text when it is a plain-text user message (or the
  whole ``input`` string); the scope is everything else (``scope_rest``), so instructions,
  earlier items, tools, text format, sampling and ``previous_response_id`` must match exactly.
- ``cacheable``, ``usage`` and ``escalation_view`` read a response object (the latter maps it
  onto the chat shape that ``classifier.escalation`` reads). Streams: ``responses_sse``.
- ``Responses`` is the dialect: ids of replayed answers are re-issued and remembered, and
  re-issued ids are expanded when continued (rules in ``sidecar.dialects.response_state``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from classifier.escalation import escalation_reason
from sidecar.dialect import StreamReader, Usage
from sidecar.dialects.openai import OpenAIDialect
from sidecar.dialects.reader import EventReader
from sidecar.dialects.response_state import (
    Produced,
    Replayed,
    ResponseIds,
    expand,
    is_reissued,
    reissue,
    replay_record,
    strip_reissued,
)
from sidecar.dialects.responses_sse import ResponseAssembler, replay_events, sse
from sidecar.errors import BadRequest, NotFound, SidecarError
from sidecar.request import Endpoint, Fields, ParsedRequest, credential_of, field

if TYPE_CHECKING:
    from sidecar.target import Target

# Fields that do not change the answer, left out of the scope hash.
UNSCOPED = (
    "stream",
    "stream_options",
    "user",
    "metadata",
    "store",
    "service_tier",
    "safety_identifier",
    "prompt_cache_key",
)
CACHEABLE_STATUS = frozenset({"completed"})


@dataclass(frozen=True, slots=True)
class ResponsesFields:
    """What the sidecar reads from a Responses request body."""

    model: str
    stream: bool
    text: str  # matched fuzzily; "" when the last item is not a plain-text user message
    fuzzy: bool
    wants_json: bool
    previous_response_id: str | None
    store: bool  # the provider keeps the response (the API's default is true)


def read(body: dict[str, Any]) -> ResponsesFields:
    """Validate a Responses body; raise BadRequest naming the first bad field."""
    model = field(body, "model", str)
    if not model:
        raise BadRequest("missing required field 'model'", param="model")
    items = body.get("input")
    if not isinstance(items, str | list) or not items:
        raise BadRequest("'input' must be a non-empty string or list of items", param="input")
    if isinstance(items, list):
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise BadRequest(f"input[{i}] must be an object", param=f"input[{i}]")
    field(body, "instructions", (str, list))
    field(body, "tools", list)
    field(body, "temperature", (int, float))
    field(body, "top_p", (int, float))
    if (limit := field(body, "max_output_tokens", int)) is not None and limit < 1:
        raise BadRequest("'max_output_tokens' must be at least 1", param="max_output_tokens")
    text_cfg = field(body, "text", dict) or {}
    fmt = text_cfg.get("format") or {}
    if not isinstance(fmt, dict):
        raise BadRequest("'text.format' must be an object", param="text.format")
    prev = field(body, "previous_response_id", str)
    store = field(body, "store", bool)
    text, fuzzy = last_user_text(items)
    return ResponsesFields(
        model=model,
        stream=bool(field(body, "stream", bool)),
        text=text,
        fuzzy=fuzzy,
        wants_json=fmt.get("type") in ("json_object", "json_schema"),
        previous_response_id=prev,
        store=store is not False,
    )


def _plain_text(content: Any) -> str | None:
    if isinstance(content, str):
        return content
    if isinstance(content, list) and content:
        texts = [
            p.get("text")
            for p in content
            if isinstance(p, dict) and p.get("type") in ("input_text", "text")
        ]
        if len(texts) == len(content) and all(isinstance(t, str) for t in texts):
            return "\n".join(texts)  # type: ignore[arg-type]
    return None


def last_user_text(items: str | list[Any]) -> tuple[str, bool]:
    """The text matched fuzzily and whether fuzzy matching is allowed at all."""
    if isinstance(items, str):
        return (items, True) if items else ("", False)
    last = items[-1]
    if last.get("type", "message") != "message" or last.get("role") != "user":
        return "", False
    text = _plain_text(last.get("content"))
    return (text, True) if text else ("", False)


def scope_rest(body: dict[str, Any], fuzzy: bool) -> dict[str, Any]:
    """The part of the body that must match exactly (everything but the matched text)."""
    rest = {k: v for k, v in body.items() if k not in UNSCOPED}
    if fuzzy:
        # A string input and a one-item user list are the same request: both leave [].
        items = rest["input"]
        rest["input"] = [] if isinstance(items, str) else items[:-1]
    return rest


def output_text(answer: dict[str, Any]) -> tuple[str, str | None, bool]:
    """(answer text, refusal text or None, has tool calls) of a response object."""
    texts, refusals, tools = [], [], False
    for item in answer.get("output") or []:
        if not isinstance(item, dict):
            continue
        if item.get("type") != "message":
            tools = tools or item.get("type") != "reasoning"
            continue
        for part in item.get("content") or []:
            if isinstance(part, dict) and part.get("type") == "output_text":
                texts.append(str(part.get("text") or ""))
            elif isinstance(part, dict) and part.get("type") == "refusal":
                refusals.append(str(part.get("refusal") or ""))
    return "".join(texts), ("".join(refusals) or None) if refusals else None, tools


def truncated(answer: dict[str, Any]) -> bool:
    """The answer stopped at ``max_output_tokens``."""
    details = answer.get("incomplete_details") or {}
    return answer.get("status") == "incomplete" and details.get("reason") == "max_output_tokens"


def cacheable(answer: dict[str, Any]) -> bool:
    """A finished answer with output: completed, or cut at ``max_output_tokens`` (as chat's
    ``finish_reason: length`` is cached)."""
    ok = answer.get("status") in CACHEABLE_STATUS or truncated(answer)
    return ok and not answer.get("error") and bool(answer.get("output"))


def usage(answer: dict[str, Any]) -> tuple[int, int]:
    """(input tokens, output tokens) of a response object."""
    used = answer.get("usage") or {}
    if not isinstance(used, dict):
        return 0, 0
    return int(used.get("input_tokens") or 0), int(used.get("output_tokens") or 0)


def escalation_view(answer: dict[str, Any]) -> dict[str, Any]:
    """The answer in the chat shape ``classifier.escalation.escalation_reason`` reads."""
    text, refusal, tools = output_text(answer)
    message: dict[str, Any] = {"role": "assistant", "content": text, "refusal": refusal}
    if tools:
        message["tool_calls"] = [{"type": "function"}]
    finish = "length" if truncated(answer) else "stop"
    return {"choices": [{"index": 0, "message": message, "finish_reason": finish}]}


class Responses(OpenAIDialect):
    """``/v1/responses``: JSON or the Responses event stream; hits get re-issued ids."""

    endpoint = Endpoint.RESPONSES
    path = "/v1/responses"
    upstream_path = "/responses"

    def __init__(self, ids: ResponseIds | None = None) -> None:
        self.ids = ids if ids is not None else ResponseIds()

    def read(self, body: dict[str, Any], headers: Mapping[str, str]) -> Fields:
        """Validate; the last plain-text user item is matched, everything else scopes.

        A ``previous_response_id`` the sidecar issued is expanded into explicit input first
        (404 for another client); a stateful request is also scoped by the caller's key.
        """
        credential = credential_of(headers)
        forwarded = self._expand(body, credential)
        f = read(forwarded)
        scoped = scope_rest(forwarded, f.fuzzy)
        if f.previous_response_id is not None:
            scoped["credential"] = credential
        temperature = forwarded.get("temperature")
        return Fields(
            model=f.model,
            stream=f.stream,
            text=f.text,
            fuzzy=f.fuzzy,
            scoped=scoped,
            wants_json=f.wants_json,
            temperature=None if temperature is None else float(temperature),
            body=None if forwarded is body else forwarded,
        )

    def _expand(self, body: dict[str, Any], credential: str) -> dict[str, Any]:
        prev = body.get("previous_response_id")
        if isinstance(prev, str) and is_reissued(prev):
            record = self.ids.find(prev, credential)
            if not isinstance(record, Replayed):
                msg = f"Previous response with id '{prev}' not found."
                raise NotFound(msg, param="previous_response_id")
            body = expand(body, record)
        items = body.get("input")
        if isinstance(items, list) and any(
            isinstance(i, dict) and is_reissued(str(i.get("id", ""))) for i in items
        ):
            body = {**body, "input": strip_reissued(items)}
        return body

    def render(self, stored: bytes, req: ParsedRequest) -> bytes:
        """The stored response with fresh ids (remembered for GET and continuation)."""
        return orjson.dumps(self._reissue(stored, req))

    def replay(self, stored: bytes, req: ParsedRequest) -> Iterator[bytes]:
        """The full Responses event sequence of the stored response, with fresh ids."""
        return replay_events(self._reissue(stored, req))

    def _reissue(self, stored: bytes, req: ParsedRequest) -> dict[str, Any]:
        overrides = {
            "store": req.body.get("store", True),
            "metadata": req.body.get("metadata") or {},
        }
        answer = reissue(orjson.loads(stored), now=time.time(), overrides=overrides)
        record = replay_record(req.body, answer, orjson.dumps(answer), req.credential)
        if record is not None:
            self.ids.remember(str(answer["id"]), record)
        return answer

    def answered(self, answer: dict[str, Any], req: ParsedRequest, target: Target) -> None:
        """Remember where a provider's response id lives (for GET/DELETE by id)."""
        rid = answer.get("id")
        if isinstance(rid, str) and answer.get("store", True) is not False:
            self.ids.remember(rid, Produced(target, req.credential))

    def reader(self, req: ParsedRequest) -> StreamReader:
        """Relays every event; assembles the final response object."""
        return EventReader(ResponseAssembler())

    def usage(self, answer: dict[str, Any]) -> Usage | None:
        """``usage.input_tokens`` / ``usage.output_tokens``; None when not reported."""
        if not isinstance(answer.get("usage"), dict):
            return None
        return Usage(*usage(answer))

    def cacheable(self, answer: dict[str, Any]) -> bool:
        """Completed (or cut at max_output_tokens) with output."""
        return cacheable(answer)

    def escalation(self, answer: dict[str, Any], req: ParsedRequest) -> str | None:
        """The chat checks on the response's text, refusal, tool calls and truncation."""
        return escalation_reason(escalation_view(answer), wants_json=req.wants_json)

    def stream_error(self, err: SidecarError) -> bytes:
        """``event: error`` carrying the Responses error event."""
        data = {"type": "error", "code": err.code, "message": err.message, "param": err.param}
        return sse("error", {**data, "sequence_number": 0})
