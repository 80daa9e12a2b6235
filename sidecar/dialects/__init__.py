"""The dialects the sidecar serves, and parsing a request through its dialect.

``create_app`` registers one POST route per dialect of ``default_dialects()``; adding an API is
one module here plus one entry. Each app gets its own instances: the Responses dialect keeps
the ids it has seen (``sidecar.dialects.response_state``).
"""

from __future__ import annotations

from collections.abc import Mapping

from sidecar.config_sections import CacheSettings
from sidecar.dialect import Dialect
from sidecar.dialects.anthropic import Messages
from sidecar.dialects.chat import CHAT
from sidecar.dialects.completions import COMPLETIONS
from sidecar.dialects.embeddings import EMBEDDINGS
from sidecar.dialects.responses import Responses
from sidecar.request import ParsedRequest, build, decode

__all__ = ["CHAT", "COMPLETIONS", "DIALECTS", "EMBEDDINGS", "default_dialects", "parse"]


def default_dialects() -> tuple[Dialect, ...]:
    """Every API the sidecar serves, with fresh per-app state."""
    return (CHAT, COMPLETIONS, EMBEDDINGS, Responses(), Messages())


DIALECTS: tuple[Dialect, ...] = default_dialects()  # for listing paths; apps build their own


def parse(
    dialect: Dialect, raw: bytes, headers: Mapping[str, str], cfg: CacheSettings
) -> ParsedRequest:
    """Validate ``raw`` for ``dialect``; raise BadRequest naming the bad field."""
    body = decode(raw)
    return build(dialect.endpoint, body, dialect.read(body, headers), headers, cfg)
