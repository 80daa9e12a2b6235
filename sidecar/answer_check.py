"""What counts as a usable upstream answer, and the failure each unusable one is.

``Retryable`` is the failure of one attempt (``sidecar.upstream`` retries it, then falls back):
a 429 (with its ``Retry-After``), a 5xx, or a 200 that is not a JSON object (an HTML page from a
CDN, truncated JSON) -- ``bad_answer``. ``shape`` fingerprints a request body so the breaker
counts distinct failing requests, not one request's repeats.
"""

from __future__ import annotations

import hashlib
from typing import Any

import aiohttp
import orjson

from sidecar.target import ErrorKind, Reply


class Retryable(Exception):
    """One failed attempt: its kind, the Retry-After it asked for, the reply if there was one."""

    def __init__(
        self, kind: ErrorKind, retry_after: float | None = None, reply: Reply | None = None
    ) -> None:
        super().__init__(kind)
        self.kind, self.retry_after, self.reply = kind, retry_after, reply


def judge(reply: Reply) -> Reply:
    """The reply, or the retryable failure it is (429 with its Retry-After, 5xx)."""
    if reply.status == 429:
        wait = retry_after(reply.headers.get("Retry-After"))
        raise Retryable(ErrorKind.RATE_LIMITED, wait, reply)
    if reply.status >= 500:
        raise Retryable(ErrorKind.SERVER_ERROR, None, reply)
    return reply


def is_event_stream(resp: aiohttp.ClientResponse) -> bool:
    """An SSE answer (or one without a type, as some servers send); JSON and HTML are not."""
    kind = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
    return kind in ("text/event-stream", "")


def json_object(data: bytes) -> dict[str, Any]:
    """The 200 body as a JSON object; an HTML page or truncated JSON is a bad answer."""
    try:
        answer = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise Retryable(ErrorKind.BAD_ANSWER) from exc
    if not isinstance(answer, dict):
        raise Retryable(ErrorKind.BAD_ANSWER)
    return answer


def shape(body: bytes) -> str:
    """A short fingerprint of a request body (the breaker counts distinct failing requests)."""
    return hashlib.blake2b(body, digest_size=8).hexdigest()


def retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (None when absent or an HTTP date)."""
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff
