"""OpenAI legacy completions (``POST /v1/completions``).

A string ``prompt`` is matched by the cache; a list prompt (batch or token ids) is cached
exactly only. Everything else in the body scopes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sidecar.dialects.openai import OpenAIDialect, read_head, scoped
from sidecar.errors import BadRequest
from sidecar.request import Endpoint, Fields


class Completions(OpenAIDialect):
    """``/v1/completions``: JSON or ``text_completion`` SSE."""

    endpoint = Endpoint.COMPLETIONS
    path = "/v1/completions"
    upstream_path = "/completions"

    def read(self, body: dict[str, Any], headers: Mapping[str, str]) -> Fields:
        """Validate the shared fields and prompt; a non-empty string prompt is matched."""
        head = read_head(body)
        prompt = body.get("prompt")
        if prompt is None:
            raise BadRequest("missing required field 'prompt'", param="prompt")
        if not isinstance(prompt, str | list):
            raise BadRequest("'prompt' must be a string or a list", param="prompt")
        text = prompt if isinstance(prompt, str) else ""
        return head.fields(text, scoped(body, "prompt" if text else None))


COMPLETIONS = Completions()
