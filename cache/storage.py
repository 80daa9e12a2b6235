"""The cache's entries: exact layer, per-scope indexes, LRU and byte bounds, expiry, listeners.

Contract (the storage half of `cache.store.SemanticCache`, which subclasses `Storage`):
- Exact layer: a dict keyed by (scope, text) -> entry id. Python hashes the tuple and compares
  both strings on a hash match, so unlike a bare digest a collision can never serve another
  prompt's answer.
- Semantic layer: one `ScopeIndex` per scope (see cache/index.py for the isolation argument);
  a stored entry's vector lives in its scope index only (`_Slot.entry.vector` is None,
  `_full` puts it back).
- Expired entries are never returned: readers drop them lazily and `purge_expired()` drops the
  rest in O(expired * log n) through an expiry heap.
- Bounds: `max_entries` and `max_bytes` (Entry.nbytes: body + text + vector), LRU eviction;
  an evicted, expired, replaced or removed entry's vector leaves its scope index, and every
  removal has a reason ("evicted", "expired", "replaced", "removed") counted and told to
  listeners.
- Listeners hear `on_put` / `on_remove(entry_id, reason)` for local changes; a listener's
  failure is logged and never breaks the cache. `apply_remote_*` mutate without notifying, so
  replicas never echo each other.
- Threading: every method must be called from one thread (the event loop).
"""

from __future__ import annotations

import builtins
import heapq
import logging
import sys
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

from cache.entry import Entry
from cache.index import DEFAULT_EF_SEARCH, ScopeIndex
from cache.text import normalize

log = logging.getLogger("cache.store")
# The structures `_reset` creates: what a fully built storage hands over in `_adopt`.
_STRUCTURES = ("_slots", "_exact", "_indexes", "_ids_by_label", "_expiry", "_seq", "_bytes")


def exact_key(scope: str, text: str) -> tuple[str, str]:
    """The exact layer's key: scope + normalized text, reusing `text` itself when it is
    already normalized (then the key costs no second copy of the prompt)."""
    key = normalize(text)
    return scope, text if key == text else key


class ChangeListener(Protocol):
    """Hears local changes, e.g. to mirror them into a shared store."""

    def on_put(self, entry: Entry) -> None: ...
    def on_remove(self, entry_id: str, reason: str) -> None: ...


@dataclass(slots=True)
class _Slot:
    """A stored entry: `entry.vector` is None because its scope index owns the vector."""

    entry: Entry
    label: int  # faiss label, -1 without a vector
    nbytes: int


class Storage:
    """Entries with an exact layer, per-scope vector indexes, TTL, LRU bounds and listeners."""

    def __init__(
        self,
        max_entries: int = 100_000,
        max_bytes: int = 512 * 2**20,
        default_ttl: float = 86400.0,
        hnsw_min_size: int = 4096,
        clock: Callable[[], float] = time.time,
        *,
        dim: int = 384,
        ef_search: int = DEFAULT_EF_SEARCH,
        rebuild_executor: Executor | None = None,
        keep_bodies: bool = True,
    ) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.default_ttl = default_ttl
        self.hnsw_min_size = hnsw_min_size
        self.dim = dim
        self.ef_search = ef_search
        # Where large index rebuilds run (see cache/index.py); None means inline.
        self.rebuild_executor = rebuild_executor
        # False: answer bodies live in the shared tier (Redis) only; slots keep b"" and the
        # caller fetches the body on a hit, so memory is bounded by vectors, texts and ids.
        self.keep_bodies = keep_bodies
        self._clock = clock
        self._listeners: list[ChangeListener] = []
        self.evictions = 0
        self.expirations = 0
        self._reset()

    def _reset(self) -> None:
        """Empty all storage (counters and listeners are kept)."""
        self._slots: OrderedDict[str, _Slot] = OrderedDict()  # LRU order, newest last
        self._exact: dict[tuple[str, str], str] = {}
        self._indexes: dict[str, ScopeIndex] = {}
        self._ids_by_label: dict[int, str] = {}
        self._expiry: list[tuple[float, int, str]] = []  # (expires, seq, id); stale items skipped
        self._seq = 0
        self._bytes = 0

    def _adopt(self, other: Storage) -> None:
        """Take over `other`'s structures whole (counters and listeners are kept)."""
        for name in _STRUCTURES:
            setattr(self, name, getattr(other, name))

    @property
    def entries(self) -> int:
        """Number of stored entries."""
        return len(self._slots)

    @property
    def bytes(self) -> int:
        """Sum of the stored entries' `nbytes`."""
        return self._bytes

    def add_listener(self, listener: ChangeListener) -> None:
        """Register a listener for local puts and removals."""
        self._listeners.append(listener)

    def get(self, entry_id: str) -> Entry | None:
        """Return a live entry by id without touching LRU order."""
        slot = self._slots.get(entry_id)
        if slot is None or slot.entry.expires <= self._clock():
            return None
        return self._full(slot)

    # builtins.bytes: inside this class body `bytes` names the byte-count property.
    def put(
        self,
        scope: str,
        text: str,
        vec: np.ndarray | None,
        *,
        body: builtins.bytes,
        model: str,
        tier: str,
        tier_rank: int,
        ttl: float | None = None,
        prompt_tokens: int = 0,
        completion_tokens: int = 0,
        cost_usd: float = 0.0,
    ) -> Entry:
        """Store an answer (replacing the one for the same scope and text) and return it.

        Not stored when already expired (ttl <= 0) or larger than `max_bytes` on its own.
        """
        now = self._clock()
        vector = None if vec is None else np.ascontiguousarray(vec, np.float32).reshape(-1)
        if vector is not None and vector.shape[0] != self.dim:
            raise ValueError(f"expected a vector of dim {self.dim}, got {vector.shape}")
        entry = Entry(
            id=uuid.uuid4().hex,
            scope=scope,
            text=text,
            vector=vector,
            body=body,
            model=model,
            tier=tier,
            tier_rank=tier_rank,
            created=now,
            expires=now + (self.default_ttl if ttl is None else ttl),
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            cost_usd=cost_usd,
        )
        self._insert(entry, notify=True)
        return entry

    def remove(self, entry_id: str) -> None:
        """Remove an entry by id (no-op if absent)."""
        self._drop(entry_id, "removed", notify=True)

    def purge_expired(self) -> int:
        """Drop every expired entry; return how many were dropped."""
        now = self._clock()
        dropped = 0
        while self._expiry and self._expiry[0][0] <= now:
            expires, _, entry_id = heapq.heappop(self._expiry)
            slot = self._slots.get(entry_id)
            if slot is not None and slot.entry.expires == expires:
                self._drop(entry_id, "expired", notify=True)
                dropped += 1
        return dropped

    def apply_remote_put(self, entry: Entry) -> None:
        """Store an entry made by another replica, without notifying listeners."""
        self._insert(entry, notify=False)

    def apply_remote_remove(self, entry_id: str) -> None:
        """Remove an entry another replica removed, without notifying listeners."""
        self._drop(entry_id, "removed", notify=False)

    def _insert(self, entry: Entry, *, notify: bool) -> None:
        """Store a full entry, replacing same id or same (scope, text), then enforce bounds."""
        if entry.expires <= self._clock() or entry.nbytes > self.max_bytes:
            return
        self._drop(entry.id, "replaced", notify=notify)
        old_id = self._exact.get(exact_key(entry.scope, entry.text))
        if old_id is not None:
            self._drop(old_id, "replaced", notify=notify)
        label = self._store_slot(entry, entry.nbytes, has_vector=entry.vector is not None)
        if entry.vector is not None:
            self._index_for(entry.scope).add(label, entry.vector)
        self._enforce_bounds(notify=notify)
        if notify:
            for listener in self._listeners:
                self._call(listener.on_put, entry)

    def _store_slot(self, entry: Entry, nbytes: int, *, has_vector: bool) -> int:
        """Record an entry in the LRU, exact and expiry structures; return its label or -1."""
        self._seq += 1
        label = self._seq if has_vector else -1
        if has_vector:
            self._ids_by_label[label] = entry.id
        # One string object per scope, not per entry (a scope hash is ~110 bytes as a str).
        stored = replace(entry, vector=None, scope=sys.intern(entry.scope))
        if not self.keep_bodies and stored.body:
            nbytes -= len(stored.body)
            stored = replace(stored, body=b"")
        self._slots[entry.id] = _Slot(stored, label, nbytes)
        self._exact[exact_key(stored.scope, entry.text)] = entry.id
        self._bytes += nbytes
        heapq.heappush(self._expiry, (entry.expires, self._seq, entry.id))
        if len(self._expiry) > 2 * len(self._slots) + 1024:
            self._compact_expiry()
        return label

    def _compact_expiry(self) -> None:
        """Rebuild the expiry heap from live slots; replaced entries leave stale items."""
        self._expiry = [(s.entry.expires, i, k) for i, (k, s) in enumerate(self._slots.items())]
        heapq.heapify(self._expiry)

    def _enforce_bounds(self, *, notify: bool) -> None:
        """Evict least recently used entries until both bounds hold."""
        while self._slots and (len(self._slots) > self.max_entries or self._bytes > self.max_bytes):
            self._drop(next(iter(self._slots)), "evicted", notify=notify)

    def _drop(self, entry_id: str, reason: str, *, notify: bool) -> None:
        """Remove an entry from every structure; `reason` feeds counters and listeners."""
        slot = self._slots.pop(entry_id, None)
        if slot is None:
            return
        entry = slot.entry
        key = exact_key(entry.scope, entry.text)
        if self._exact.get(key) == entry_id:
            del self._exact[key]
        if slot.label >= 0:
            del self._ids_by_label[slot.label]
            index = self._indexes[entry.scope]
            index.remove(slot.label)
            if len(index) == 0:
                del self._indexes[entry.scope]
        self._bytes -= slot.nbytes
        if reason == "evicted":
            self.evictions += 1
        elif reason == "expired":
            self.expirations += 1
        if notify:
            for listener in self._listeners:
                self._call(listener.on_remove, entry_id, reason)

    def _index_for(self, scope: str) -> ScopeIndex:
        """The scope's index, created on first use."""
        index = self._indexes.get(scope)
        if index is None:
            index = ScopeIndex(
                self.dim,
                hnsw_min_size=self.hnsw_min_size,
                ef_search=self.ef_search,
                executor=self.rebuild_executor,
            )
            self._indexes[scope] = index
        return index

    def _full(self, slot: _Slot) -> Entry:
        """The entry with its vector put back from the scope index."""
        if slot.label < 0:
            return slot.entry
        return replace(slot.entry, vector=self._indexes[slot.entry.scope].vector(slot.label))

    @staticmethod
    def _call(method: Callable[..., None], *args: object) -> None:
        """Call a listener; its failure must never break the cache."""
        try:
            method(*args)
        except Exception:
            log.exception("cache listener %r failed", method)
