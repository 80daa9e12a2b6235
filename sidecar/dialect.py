"""The seam between the one request pipeline and the APIs it serves.

Everything that differs between APIs lives behind ``Dialect``, one small module per API under
``sidecar/dialects/``: reading and validating a body (which text the cache matches, what else
scopes it, model and stream flags), the body sent upstream, a stored answer rendered as JSON or
replayed as that API's SSE events, reading a relayed stream into a complete answer, usage and
finish reasons, escalation signals, and the error body shape. The pipeline never branches on
the API. A stored answer is the API's own complete JSON answer (a stream is stored assembled).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from sidecar.errors import SidecarError
from sidecar.request import Endpoint, Fields, ParsedRequest

if TYPE_CHECKING:
    from sidecar.target import Target


@dataclass(frozen=True, slots=True)
class Usage:
    """Tokens an upstream answer reports."""

    input_tokens: int = 0
    output_tokens: int = 0


class StreamReader(Protocol):
    """Reads one relayed stream event by event and assembles the complete answer."""

    def feed(self, event: bytes) -> bool:
        """Record one whole SSE event; True when it is relayed to the client."""
        ...

    def fail(self) -> None:
        """The stream broke: the answer is not complete."""
        ...

    @property
    def complete(self) -> bool:
        """The stream ended normally with every part finished (only then is it stored)."""
        ...

    def answer(self) -> dict[str, Any]:
        """The assembled answer in the API's non-streamed JSON form."""
        ...


class Dialect(Protocol):
    """One API served by the sidecar (OpenAI chat completions, completions, embeddings, ...)."""

    endpoint: Endpoint  # bounded label; part of every cache scope
    path: str  # served here, e.g. "/v1/chat/completions"
    upstream_path: str  # appended to a deployment's base URL, e.g. "/chat/completions"
    api: str  # the deployments that may serve it: those with this ``api`` ("openai", ...)
    routable: bool  # the routing alias (``model: "auto"``) may pick a tier for it

    def read(self, body: dict[str, Any], headers: Mapping[str, str]) -> Fields:
        """Validate the API-specific fields; raise BadRequest naming the bad one.

        ``headers`` only for what scopes the answer (e.g. an API version) or owns state.
        """
        ...

    def upstream_body(self, req: ParsedRequest) -> dict[str, Any]:
        """The body sent upstream (``model`` is set per target by the caller)."""
        ...

    def render(self, stored: bytes, req: ParsedRequest) -> bytes:
        """A stored answer as this API's JSON response body."""
        ...

    def replay(self, stored: bytes, req: ParsedRequest) -> Iterator[bytes]:
        """A stored answer as this API's SSE events, for a streaming client."""
        ...

    def reader(self, req: ParsedRequest) -> StreamReader:
        """A reader for one relayed upstream stream."""
        ...

    def answered(self, answer: dict[str, Any], req: ParsedRequest, target: Target) -> None:
        """An upstream answer reached the client (e.g. remember where its id lives)."""
        ...

    def usage(self, answer: dict[str, Any]) -> Usage | None:
        """Tokens reported by a JSON (or assembled) answer; None when it reports none."""
        ...

    def cacheable(self, answer: dict[str, Any]) -> bool:
        """The answer is complete (finish reasons) and worth storing."""
        ...

    def escalation(self, answer: dict[str, Any], req: ParsedRequest) -> str | None:
        """Why a cheap tier's answer should go to the next tier (refusal, empty, ...), or None."""
        ...

    def error_body(self, err: SidecarError) -> bytes:
        """An error in this API's JSON error shape."""
        ...

    def stream_error(self, err: SidecarError) -> bytes:
        """An SSE event carrying an error, for a stream that broke after bytes were sent."""
        ...
