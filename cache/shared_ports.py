"""What the shared cache tier needs from its surroundings: the local cache and metrics.

Contract: ``ReplicaCache`` is the part of ``SemanticCache`` the replicator and follower call
(listener registration, get, remote put/remove, remove); ``SharedMetrics`` is four callbacks,
no-ops by default, so ``cache/`` never imports prometheus or the sidecar.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from cache.entry import Entry
from cache.store import ChangeListener


@dataclass(frozen=True, slots=True)
class SharedMetrics:
    """Callbacks the replicator reports through (no-ops by default)."""

    error: Callable[[str], None] = lambda op: None  # a failed Redis operation, by op
    local_only: Callable[[bool], None] = lambda on: None
    lag: Callable[[float], None] = lambda seconds: None  # publish -> apply, remote events
    backlog: Callable[[int], None] = lambda events: None  # stream events not yet applied

    @classmethod
    def from_prometheus(cls, errors: Any, local_only: Any, lag: Any, backlog: Any) -> SharedMetrics:
        """Adapt a labelled Counter (op), a Gauge, a Histogram and a Gauge."""
        return cls(
            lambda op: errors.labels(op).inc(),
            lambda on: local_only.set(int(on)),
            lag.observe,
            backlog.set,
        )


class ReplicaCache(Protocol):
    """What the replicator needs from the local cache (SemanticCache implements it)."""

    dim: int
    model_family: str
    max_entries: int

    def add_listener(self, listener: ChangeListener) -> None: ...
    def get(self, entry_id: str) -> Entry | None: ...
    def apply_remote_put(self, entry: Entry) -> None: ...
    def apply_remote_remove(self, entry_id: str) -> None: ...
    def remove(self, entry_id: str) -> None: ...
