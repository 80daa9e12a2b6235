"""What the three OpenAI dialects share: error shapes, usage, finish reasons, streams.

Chat completions and legacy completions stream ``data: {chunk}`` events ending in
``data: [DONE]``; ``sidecar.sse.Assembler`` rebuilds the non-streamed answer from them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from classifier.escalation import escalation_reason
from sidecar.dialect import StreamReader, Usage
from sidecar.errors import SidecarError
from sidecar.request import UNSCOPED, Endpoint, Fields, ParsedRequest, field
from sidecar.sse import Assembler, event_data, replay

if TYPE_CHECKING:
    from sidecar.target import Target

CACHEABLE_FINISH = frozenset({"stop", "length", "tool_calls", "function_call"})


class ChunkReader:
    """A chat/completions stream: relays every event, drops the usage-only chunk on request."""

    def __init__(self, *, chat: bool, strip_usage: bool) -> None:
        self._asm = Assembler()
        self._chat, self._strip_usage = chat, strip_usage

    def feed(self, event: bytes) -> bool:
        """Record one event; False for the usage chunk the client did not ask for."""
        payload = event_data(event)
        chunk = self._asm.add(payload) if payload is not None else None
        # The sidecar asks upstream for usage (to account spend); the client may not have.
        return not (self._strip_usage and chunk is not None and not chunk.get("choices"))

    def fail(self) -> None:
        """Mark the stream broken."""
        self._asm.failed = True

    @property
    def complete(self) -> bool:
        """[DONE] seen, every choice finished, nothing failed."""
        return self._asm.complete

    def answer(self) -> dict[str, Any]:
        """The assembled ``chat.completion`` / ``text_completion``."""
        return self._asm.result(chat=self._chat)


class OpenAIDialect:
    """Shared behaviour; each subclass sets its paths and reads its own body (``read``)."""

    endpoint: Endpoint
    path: str
    upstream_path: str
    api = "openai"
    routable = True

    def upstream_body(self, req: ParsedRequest) -> dict[str, Any]:
        """The client's body as sent (unknown fields survive)."""
        return dict(req.body)

    def render(self, stored: bytes, req: ParsedRequest) -> bytes:
        """Stored answers are this API's JSON already."""
        return stored

    def replay(self, stored: bytes, req: ParsedRequest) -> Iterator[bytes]:
        """OpenAI chunks ending in ``[DONE]`` (usage chunk if the client asked)."""
        return replay(orjson.loads(stored), include_usage=req.include_usage)

    def reader(self, req: ParsedRequest) -> StreamReader:
        """Chunk reader; chat strips the usage chunk the client did not ask for."""
        chat = self.endpoint == Endpoint.CHAT
        return ChunkReader(chat=chat, strip_usage=chat and not req.include_usage)

    def answered(self, answer: dict[str, Any], req: ParsedRequest, target: Target) -> None:
        """Nothing to remember: these APIs keep no server-side state."""

    def usage(self, answer: dict[str, Any]) -> Usage | None:
        """``usage.prompt_tokens`` / ``usage.completion_tokens``; None when not reported."""
        usage = answer.get("usage")
        if not isinstance(usage, dict):
            return None
        return Usage(int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0))

    def cacheable(self, answer: dict[str, Any]) -> bool:
        """Every choice finished normally and said something (an empty answer is never kept)."""
        choices = answer.get("choices")
        if not isinstance(choices, list) or not choices:
            return False
        return all(
            isinstance(c, dict) and c.get("finish_reason") in CACHEABLE_FINISH and not _empty(c)
            for c in choices
        )

    def escalation(self, answer: dict[str, Any], req: ParsedRequest) -> str | None:
        """Empty, refusal, truncated, or invalid JSON when JSON was asked for. A truncation the
        client asked for (its own ``max_tokens``) is not a failure: it is not paid for twice."""
        reason = escalation_reason(answer, wants_json=req.wants_json)
        if reason == "length" and any(
            isinstance(req.body.get(k), int) for k in ("max_tokens", "max_completion_tokens")
        ):
            return None
        return reason

    def error_body(self, err: SidecarError) -> bytes:
        """``{"error": {"message", "type", "param", "code"}}``."""
        return err.body()

    def stream_error(self, err: SidecarError) -> bytes:
        """A ``data:`` event with the error object (what OpenAI sends mid-stream)."""
        return b"data: " + err.body() + b"\n\n"


def _empty(choice: dict[str, Any]) -> bool:
    """No text, no tool or function call and no refusal in this choice."""
    message = choice.get("message")
    if not isinstance(message, dict):
        text = choice.get("text")
        return not (isinstance(text, str) and text.strip())
    if message.get("tool_calls") or message.get("function_call") or message.get("refusal"):
        return False
    content = message.get("content")
    if isinstance(content, list):
        content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return not (isinstance(content, str) and content.strip())


def scoped(body: dict[str, Any], matched: str | None = None) -> dict[str, Any]:
    """The body without unscoped fields and without the matched field ``matched``."""
    return {k: v for k, v in body.items() if k not in UNSCOPED and k != matched}


@dataclass(frozen=True, slots=True)
class Head:
    """The fields every OpenAI request body shares, type-checked."""

    model: str
    stream: bool
    n: int | None  # with temperature: decides whether the answer is cacheable
    temperature: float | None
    include_usage: bool
    wants_json: bool

    def fields(self, text: str, scoped: dict[str, Any]) -> Fields:
        """The request's fields, given the text the cache matches and what scopes it."""
        return Fields(
            model=self.model,
            stream=self.stream,
            text=text,
            fuzzy=bool(text),
            scoped=scoped,
            include_usage=self.include_usage,
            wants_json=self.wants_json,
            n=self.n,
            temperature=self.temperature,
        )


def read_head(body: dict[str, Any]) -> Head:
    """Validate model, stream, sampling, stream_options and response_format."""
    model = field(body, "model", str, required=True)
    stream = bool(field(body, "stream", bool) or False)
    temperature = field(body, "temperature", (int, float))
    n = field(body, "n", int)
    stream_options = field(body, "stream_options", dict) or {}
    response_format = field(body, "response_format", dict) or {}
    return Head(
        model=model,
        stream=stream,
        n=n,
        temperature=None if temperature is None else float(temperature),
        include_usage=bool(stream_options.get("include_usage")),
        wants_json=response_format.get("type") in ("json_object", "json_schema"),
    )
