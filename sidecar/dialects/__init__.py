"""The dialects the sidecar serves, and parsing a request through its dialect.

``create_app`` registers one POST route per dialect in ``DIALECTS``; adding an API is one
module here plus one entry.
"""

from __future__ import annotations

from collections.abc import Mapping

from sidecar.config import CacheSettings
from sidecar.dialect import Dialect
from sidecar.dialects.chat import CHAT
from sidecar.dialects.completions import COMPLETIONS
from sidecar.dialects.embeddings import EMBEDDINGS
from sidecar.request import ParsedRequest, build, decode

__all__ = ["CHAT", "COMPLETIONS", "DIALECTS", "EMBEDDINGS", "parse"]

DIALECTS: tuple[Dialect, ...] = (CHAT, COMPLETIONS, EMBEDDINGS)


def parse(
    dialect: Dialect, raw: bytes, headers: Mapping[str, str], cfg: CacheSettings
) -> ParsedRequest:
    """Validate ``raw`` for ``dialect``; raise BadRequest naming the bad field."""
    body = decode(raw)
    return build(dialect.endpoint, body, dialect.read(body), headers, cfg)
