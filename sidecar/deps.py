"""What the request path depends on: small Protocols, their bundle ``Deps``, and readiness.

The proxy talks to the cache, the embedder and the router only through these Protocols, so a
test can pass a fake and the app can run with any part switched off (``None``). Who writes
what at runtime: ``sidecar.lifecycle`` sets ``cache``/``embedder``/``router`` once each part
has loaded; ``live`` is swapped only through its own methods (see ``sidecar.live``).
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np

from cache.entry import Entry, Lookup
from sidecar.config import Settings
from sidecar.live import Live
from sidecar.metrics import Metrics
from sidecar.shadow import Evaluation
from sidecar.singleflight import Singleflight
from sidecar.upstream import UpstreamClient

if TYPE_CHECKING:  # types only: faiss and the verifier load in the background
    from cache.snapshot_data import SnapshotData
    from cache.store import ChangeListener
    from cache.verifier import HitVerifier
    from sidecar.audit import Auditor


class Embedder(Protocol):
    async def embed(self, text: str) -> np.ndarray: ...


class BodySource(Protocol):
    """Where answer bodies live when the cache keeps none (``redis.bodies_in_redis``)."""

    async def fetch_body(self, entry: Entry) -> bytes | None: ...


class Router(Protocol):
    @property
    def thresholds(self) -> tuple[float, ...]:
        """The shipped cut points (may be empty)."""
        ...

    def score(self, vec: np.ndarray, text: str) -> float: ...


class Cache(Protocol):
    """What the app uses of the cache (``cache.store.SemanticCache`` implements it)."""

    # Read at scrape time (sidecar_cache_* metrics).
    @property
    def entries(self) -> int: ...
    @property
    def bytes(self) -> int: ...

    evictions: int
    expirations: int
    verifier: HitVerifier | None  # its cosine_threshold is the default similarity threshold
    # For the shared Redis tier (cache.shared_ports.ReplicaCache).
    dim: int
    model_family: str
    max_entries: int

    def lookup_exact(self, scope: str, text: str) -> Entry | None: ...

    def lookup(
        self, scope: str, text: str, vec: np.ndarray, threshold: float, min_tier_rank: int = 0
    ) -> Lookup: ...

    async def lookup_async(
        self, scope: str, text: str, vec: np.ndarray, threshold: float, min_tier_rank: int = 0
    ) -> Lookup: ...

    def put(
        self,
        scope: str,
        text: str,
        vec: np.ndarray | None,
        *,
        body: builtins.bytes,  # `bytes` in this class body is the property above
        model: str,
        tier: str,
        tier_rank: int,
        ttl: float,
        prompt_tokens: int,
        completion_tokens: int,
        cost_usd: float,
    ) -> Entry: ...

    def purge_expired(self) -> int: ...
    def export_snapshot(self) -> SnapshotData: ...
    def add_listener(self, listener: ChangeListener) -> None: ...
    def get(self, entry_id: str) -> Entry | None: ...
    def apply_remote_put(self, entry: Entry) -> None: ...
    def apply_remote_remove(self, entry_id: str) -> None: ...
    def remove(self, entry_id: str) -> None: ...


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


@dataclass
class Deps:
    """Everything a request handler needs, built once by the app factory."""

    live: Live
    metrics: Metrics
    upstream: UpstreamClient
    cache: Cache | None = None
    embedder: Embedder | None = None
    router: Router | None = None
    bodies: BodySource | None = None  # set while the shared tier holds the answer bodies
    singleflight: Singleflight = field(default_factory=Singleflight)
    readiness: Readiness = field(default_factory=Readiness)
    evaluation: Evaluation = field(default_factory=Evaluation)  # shadows and the policy file
    # The hit audit and its false-hit budget (sidecar/audit_lifecycle.py); None = off.
    auditor: Auditor | None = None

    @property
    def settings(self) -> Settings:
        """The live settings (a request should read ``Exchange.settings``: one view)."""
        return self.live.current.settings
