"""`SemanticCache`: an exact layer and a per-scope semantic layer with TTL, LRU bounds,
listeners and snapshots, assembled from three parts that each state their own contract:

- `cache/storage.py` (`Storage`): the entries and their structures -- exact layer, one
  `ScopeIndex` per scope, LRU and byte bounds, expiry heap, listeners, remote apply.
- `cache/lookups.py` (`Lookups`): `lookup_exact`, and `lookup` / `lookup_async`: which
  candidates are judged (`_plan`, `_carrier`), by `cache.decision.decide`, and what is served.
- `cache/persistence.py` (`Persistent`): snapshot export and whole-or-nothing load.

Contract (docs/CONTRACTS.md, cache/store.py):
- Expired entries are never returned; a wrong cached answer is worse than a miss, so every
  lookup returns a countable reason (`cache.entry.Lookup`).
- Threading: every method must be called from one thread (the event loop). Lookups are cheap:
  an exact hit is a dict probe, a semantic lookup one flat or HNSW search of k=4 (or
  `sibling_k`). `export_snapshot()` is the only O(n) step that must stay on that thread.
- `ChangeListener`, `Entry` and `Lookup` are re-exported here for callers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Executor

from cache.entry import Entry, Lookup
from cache.index import DEFAULT_EF_SEARCH
from cache.lookups import Lookups
from cache.persistence import Persistent
from cache.storage import ChangeListener
from cache.verifier import HitVerifier

__all__ = ["ChangeListener", "Entry", "Lookup", "SemanticCache"]


class SemanticCache(Lookups, Persistent):
    """Exact + per-scope semantic cache with TTL, LRU bounds, listeners and snapshots."""

    def __init__(
        self,
        max_entries: int = 100_000,
        max_bytes: int = 512 * 2**20,
        default_ttl: float = 86400.0,
        hnsw_min_size: int = 4096,
        verifier: HitVerifier | None = None,
        clock: Callable[[], float] = time.time,
        *,
        model_family: str = "",
        dim: int = 384,
        top_k: int = 4,
        sibling_k: int = 16,
        ef_search: int = DEFAULT_EF_SEARCH,
        rebuild_executor: Executor | None = None,
        load_threads: int = 2,
        lower_tier_margin: float | None = 0.05,
        keep_bodies: bool = True,
    ) -> None:
        super().__init__(
            max_entries,
            max_bytes,
            default_ttl,
            hnsw_min_size,
            clock,
            dim=dim,
            ef_search=ef_search,
            rebuild_executor=rebuild_executor,
            keep_bodies=keep_bodies,
        )
        self.verifier = verifier
        self.model_family = model_family
        self.top_k = top_k
        # Entries near the query read by the sibling check (cache/siblings.py): more siblings
        # show more of a template's slots; each costs one short word alignment on a hit.
        # 0 turns the check off.
        self.sibling_k = sibling_k
        # faiss threads for index builds while loading a snapshot (before serving).
        self.load_threads = load_threads
        # A candidate stored by a lower tier than the route asks for is served only when the
        # verifier scores it >= its threshold + this margin (None: never; see cache/decision.py).
        # 0.05 keeps routed recall on unseen QQP within 0.6 points of a fixed model (0.402 vs
        # 0.408; refusing lower tiers: 0.386) at equal precision (benchmarks/cache_quality.py).
        self.lower_tier_margin = lower_tier_margin
