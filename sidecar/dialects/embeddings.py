"""OpenAI embeddings (``POST /v1/embeddings``).

Embeddings are deterministic: they are cached exactly only (the whole body scopes the entry,
nothing is matched fuzzily), never streamed, never escalated.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sidecar.dialects.openai import OpenAIDialect, read_head, scoped
from sidecar.errors import BadRequest
from sidecar.request import Endpoint, Fields, ParsedRequest


class Embeddings(OpenAIDialect):
    """``/v1/embeddings``: JSON only."""

    endpoint = Endpoint.EMBEDDINGS
    path = "/v1/embeddings"
    upstream_path = "/embeddings"
    routable = False  # the tiers are chat models: "auto" must not send them an embedding call

    def read(self, body: dict[str, Any], headers: Mapping[str, str]) -> Fields:
        """Validate the shared fields and input; streaming is refused."""
        head = read_head(body)
        if head.stream:
            raise BadRequest("'stream' is not supported for embeddings", param="stream")
        inputs = body.get("input")
        if not isinstance(inputs, str | list) or not inputs:
            raise BadRequest("'input' must be a non-empty string or list", param="input")
        return head.fields("", scoped(body))  # never matched fuzzily

    def cacheable(self, answer: dict[str, Any]) -> bool:
        """Any answer with data."""
        return bool(answer.get("data"))

    def escalation(self, answer: dict[str, Any], req: ParsedRequest) -> str | None:
        """Never: an embedding has no quality signal to act on."""
        return None


EMBEDDINGS = Embeddings()
