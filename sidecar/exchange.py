"""One request on its way through the pipeline: the ``Exchange``.

It carries what the steps share — the HTTP request, its dialect, the parsed request (scope and
policy), the live config read once at the start, the route and the embedding once known, and
the ``Outcome`` (timings, cache result, headers, log line) — so steps take ``(x, deps)``
instead of long parameter lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from aiohttp import web

from cache.text import normalize
from sidecar.config import Settings
from sidecar.dialect import Dialect
from sidecar.live import LiveConfig
from sidecar.outcome import Outcome
from sidecar.request import ParsedRequest
from sidecar.routing import NOT_ROUTED, Route
from sidecar.singleflight import Key


@dataclass(slots=True)
class Exchange:
    """One proxied request and what the pipeline learned about it so far."""

    http: web.Request
    dialect: Dialect
    req: ParsedRequest
    live: LiveConfig
    out: Outcome
    route: Route = NOT_ROUTED
    vec: np.ndarray | None = None  # the embedded cache text, once embedded
    # A near-miss candidate to compare with this miss's fresh answer (sidecar/audit_service).
    audit_candidate: tuple[Any, float] | None = None

    @property
    def settings(self) -> Settings:
        """The settings this request runs under (a reload mid-request does not change them)."""
        return self.live.settings

    @property
    def routed(self) -> bool:
        """The request names the routing alias (``model: "auto"``)."""
        return self.req.model == self.live.settings.routing.alias

    @property
    def flight_key(self) -> Key:
        """Singleflight key: trivially different duplicates (case, spacing) share a flight."""
        return self.req.scope, normalize(self.req.text)
