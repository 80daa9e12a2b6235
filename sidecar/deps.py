"""What the request path depends on: small Protocols, their bundle ``Deps``, and readiness.

The proxy talks to the cache, the embedder and the router only through these Protocols, so a
test can pass a fake and the app can run with any part switched off (``None``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from sidecar.config import Settings
from sidecar.metrics import Metrics
from sidecar.upstream import UpstreamClient

if TYPE_CHECKING:
    from sidecar.audit import Auditor


class Embedder(Protocol):
    async def embed(self, text: str) -> np.ndarray: ...


class Router(Protocol):
    def score(self, vec: np.ndarray, text: str) -> float: ...


class Cache(Protocol):
    entries: int
    bytes: int
    evictions: int

    def lookup_exact(self, scope: str, text: str) -> Any: ...

    def lookup(
        self, scope: str, text: str, vec: np.ndarray, threshold: float, min_tier_rank: int = 0
    ) -> Any: ...

    def put(
        self,
        scope: str,
        text: str,
        vec: np.ndarray | None,
        *,
        body: bytes,
        model: str,
        tier: str,
        tier_rank: int,
        ttl: float,
        prompt_tokens: int,
        completion_tokens: int,
        cost_usd: float,
    ) -> Any: ...


@dataclass
class Readiness:
    """``/readyz`` is 200 only when every named part is up and no drain has started."""

    parts: dict[str, bool] = field(default_factory=dict)
    draining: bool = False

    def set(self, part: str, up: bool = True) -> None:
        """Mark one part (model, classifier, index, upstreams) up or down."""
        self.parts[part] = up

    @property
    def ready(self) -> bool:
        """All parts up and not draining."""
        return not self.draining and all(self.parts.values())


class Singleflight:
    """Identical concurrent misses share one upstream call: followers await the leader's entry."""

    def __init__(self) -> None:
        self._flights: dict[tuple[str, str], asyncio.Future[Any]] = {}

    def follow(self, key: tuple[str, str]) -> asyncio.Future[Any] | None:
        """The leader's future if an identical miss is in flight, else None."""
        return self._flights.get(key)

    def lead(self, key: tuple[str, str]) -> asyncio.Future[Any]:
        """Become the leader for ``key``; call ``land`` with the stored entry (or None)."""
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._flights[key] = fut
        return fut

    def land(self, key: tuple[str, str], entry: Any) -> None:
        """Finish the flight; followers get ``entry`` (None: they go upstream themselves)."""
        fut = self._flights.pop(key, None)
        if fut is not None and not fut.done():
            fut.set_result(entry)


@dataclass
class Deps:
    """Everything a request handler needs, built once by the app factory."""

    settings: Settings
    metrics: Metrics
    upstream: UpstreamClient
    cache: Cache | None = None
    embedder: Embedder | None = None
    router: Router | None = None
    thresholds: Sequence[float] = ()
    singleflight: Singleflight = field(default_factory=Singleflight)
    readiness: Readiness = field(default_factory=Readiness)
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("sidecar.access"))
    # The hit audit and its false-hit budget (sidecar/audit_lifecycle.py); None = off.
    auditor: Auditor | None = None
