"""What happened to one request: stage timings, cache result, route, upstream status.

It renders the ``X-Sidecar-*`` response headers and the one JSON log line per request.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class CacheResult(StrEnum):
    """How the cache took part in a request (metric label and log value)."""

    EXACT = "exact"
    SEMANTIC = "semantic"
    MISS = "miss"
    BYPASS = "bypass"  # the policy forbade a lookup
    # A miss whose best candidate was refused, by reason (cache.entry.LookupResult):
    GUARD_SLOT = "guard_slot"
    GUARD_POLARITY = "guard_polarity"
    GUARD_QUALIFIER = "guard_qualifier"
    GUARD_ROLE = "guard_role"
    GUARD_LENGTH = "guard_length"
    VERIFIER_REJECTED = "verifier_rejected"
    BUDGET_REJECTED = "budget_rejected"  # verified, but its cosine band is over the budget
    BUDGET_UNFUNDED = "budget_unfunded"  # verified, band on probation, error budget spent
    SHARED = "shared"  # a miss answered by an identical in-flight miss's upstream call

    @property
    def header(self) -> str:
        """The ``X-Sidecar-Cache`` value: a refused candidate or a shared flight is a miss to
        the client (neither answer came from the cache)."""
        served = (CacheResult.EXACT, CacheResult.SEMANTIC, CacheResult.BYPASS)
        return self.value if self in served else "miss"


def _ignore(stage: str, seconds: float) -> None:
    """Default stage observer (an Outcome made outside the app)."""


@dataclass
class Outcome:
    """Mutable record of one request, filled in along the pipeline."""

    request_id: str
    endpoint: str = ""
    # Called with (stage, seconds) as each stage ends: the app passes its stage histogram.
    observe: Callable[[str, float], None] = _ignore
    started: float = field(default_factory=time.perf_counter)
    cache: CacheResult = CacheResult.MISS
    similarity: float | None = None
    tier: str | None = None
    model: str | None = None
    score: float | None = None
    upstream_status: int | None = None
    upstream_seconds: float = 0.0
    escalated: str | None = None
    scope: str | None = None
    stages: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time a pipeline stage into the histogram and the log line."""
        t0 = time.perf_counter()
        try:
            yield
        finally:
            dt = time.perf_counter() - t0
            self.stages[name] = self.stages.get(name, 0.0) + dt
            self.observe(name, dt)

    def headers(self) -> dict[str, str]:
        """The ``X-Sidecar-*`` and ``X-Request-Id`` response headers."""
        cache = self.cache.header
        out = {"X-Request-Id": self.request_id, "X-Sidecar-Cache": cache}
        if self.similarity is not None and cache == CacheResult.SEMANTIC:
            out["X-Sidecar-Similarity"] = f"{self.similarity:.4f}"
        if self.tier:
            out["X-Sidecar-Tier"] = self.tier
        if self.model:
            out["X-Sidecar-Model"] = self.model
        if self.score is not None:
            out["X-Sidecar-Route-Score"] = f"{self.score:.4f}"
        if self.escalated:
            out["X-Sidecar-Escalated"] = self.escalated
        return out

    def log_record(self, status: int, *, prompt: str | None = None) -> dict[str, Any]:
        """The fields of the per-request JSON log line."""
        total = time.perf_counter() - self.started
        record: dict[str, Any] = {
            "request_id": self.request_id,
            "endpoint": self.endpoint,
            "status": status,
            "cache": str(self.cache),
            "similarity": _round(self.similarity),
            "tier": self.tier,
            "model": self.model,
            "route_score": _round(self.score),
            "upstream_status": self.upstream_status,
            "scope": (self.scope or "")[:12] or None,
            "escalated": self.escalated,
            "total_ms": round(total * 1000, 3),
            "upstream_ms": round(self.upstream_seconds * 1000, 3),
            "stages_ms": {k: round(v * 1000, 3) for k, v in self.stages.items()},
        }
        if prompt is not None:
            record["prompt"] = prompt
        return record


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
