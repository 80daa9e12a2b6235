"""Cache entries with an exact layer, a per-scope semantic layer, TTL and LRU bounds.

Contract (docs/CONTRACTS.md, cache/store.py):
- Exact layer: a dict keyed by (scope, text) -> entry id. Python hashes the tuple and compares
  both strings on a hash match, so unlike a bare digest a collision can never serve another
  prompt's answer. An exact hit never touches vectors.
- Semantic layer: one `ScopeIndex` per scope (see cache/index.py for the isolation argument).
- Expired entries are never returned: lookups drop them lazily and `purge_expired()` (called
  periodically by the app) drops the rest in O(expired * log n) through an expiry heap.
- Bounds: `max_entries` and `max_bytes` (Entry.nbytes: body + text + vector), LRU eviction;
  an evicted, expired, replaced or removed entry's vector leaves its scope index.
- Listeners (the shared Redis tier) hear `on_put` / `on_remove(entry_id, reason)` for local
  changes; `apply_remote_*` mutate without notifying, so replicas never echo each other.
- Threading: every method must be called from one thread (the event loop). Lookups are cheap:
  an exact hit is a dict probe, a semantic lookup one flat or HNSW search of k=4.
  `export_snapshot()` is the only O(n) step that must stay on that thread; writing the file
  (`cache.snapshot.write_snapshot`) may then run in a worker thread.
- Loading a snapshot re-attaches each HNSW scope's saved graph to its vectors (no rebuild);
  a scope whose graph is missing (version 1, flat) or does not fit is built from its vectors,
  with `load_threads` faiss threads since nothing is served from the cache yet.
"""

from __future__ import annotations

import asyncio
import builtins
import functools
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

from cache.decision import OFFLOAD_CHARS, Decision, decide
from cache.entry import Entry, Lookup, LookupResult
from cache.index import DEFAULT_EF_SEARCH, ScopeIndex, faiss_threads
from cache.snapshot import (
    Graph,
    SnapshotData,
    collect_vectors,
    read_snapshot,
    select_entries,
    write_snapshot,
)
from cache.text import normalize
from cache.verifier import HitVerifier

__all__ = ["ChangeListener", "Entry", "Lookup", "SemanticCache"]

log = logging.getLogger("cache.store")
TIE = 1e-5  # cosines this close are one point to the index (float32 rounding)


def _exact_key(scope: str, text: str) -> tuple[str, str]:
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


class SemanticCache:
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
        sibling_k: int = 8,
        ef_search: int = DEFAULT_EF_SEARCH,
        rebuild_executor: Executor | None = None,
        load_threads: int = 2,
        lower_tier_margin: float | None = 0.05,
        keep_bodies: bool = True,
    ) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.default_ttl = default_ttl
        self.hnsw_min_size = hnsw_min_size
        self.verifier = verifier
        self.model_family = model_family
        self.dim = dim
        self.top_k = top_k
        # Entries near the query read by the sibling check (cache/siblings.py): more siblings
        # show more of a template's slots; each costs one short word alignment on a hit.
        # 0 turns the check off.
        self.sibling_k = sibling_k
        self.ef_search = ef_search
        # Where large index rebuilds run (see cache/index.py); None means inline.
        self.rebuild_executor = rebuild_executor
        # faiss threads for index builds while loading a snapshot (before serving).
        self.load_threads = load_threads
        # A candidate stored by a lower tier than the route asks for is served only when the
        # verifier scores it >= its threshold + this margin (None: never; see cache/decision.py).
        # 0.05 keeps routed recall on unseen QQP within 0.6 points of a fixed model (0.402 vs
        # 0.408; refusing lower tiers: 0.386) at equal precision (benchmarks/cache_quality.py).
        self.lower_tier_margin = lower_tier_margin
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

    def lookup_exact(self, scope: str, text: str, min_tier_rank: int = 0) -> Entry | None:
        """Return the live entry stored for exactly (scope, text), bumping it in LRU order."""
        entry_id = self._exact.get(_exact_key(scope, text))
        if entry_id is None:
            return None
        slot = self._slots[entry_id]
        if slot.entry.expires <= self._clock():
            self._drop(entry_id, "expired", notify=True)
            return None
        if slot.entry.tier_rank < min_tier_rank:
            return None
        self._slots.move_to_end(entry_id)
        return self._full(slot)

    def lookup(
        self, scope: str, text: str, vec: np.ndarray, threshold: float, min_tier_rank: int = 0
    ) -> Lookup:
        """Serve the best candidate in the scope with cosine >= threshold that the slot guard,
        the verifier and the sibling check accept, else a miss or the rejection's reason
        (cache/decision.py)."""
        plan, best, near = self._plan(scope, vec, threshold, min_tier_rank)
        first: tuple[Decision, Entry, float] | None = None
        for entry, sim, min_score in plan:
            others = [n for n in near if n[0].id != entry.id]
            found = self._judge(text, vec, entry, sim, min_score, others)()
            if found.accepted:
                return self._serve(entry, sim, found)
            first = first or (found, entry, sim)
            self._carrier(plan, found, sim, others, threshold, min_tier_rank)
        return self._rejected(first, best)

    async def lookup_async(
        self, scope: str, text: str, vec: np.ndarray, threshold: float, min_tier_rank: int = 0
    ) -> Lookup:
        """`lookup`, with the guard and verifier of long pairs run in a worker thread so a
        4 MiB message never stalls the event loop. Call from the loop's thread."""
        plan, best, near = self._plan(scope, vec, threshold, min_tier_rank)
        first: tuple[Decision, Entry, float] | None = None
        for entry, sim, min_score in plan:
            others = [n for n in near if n[0].id != entry.id]
            judge = self._judge(text, vec, entry, sim, min_score, others)
            if len(text) + len(entry.text) > OFFLOAD_CHARS:
                found = await asyncio.to_thread(judge)
            else:
                found = judge()
            if found.accepted and entry.id in self._slots:  # still stored after the hop
                return self._serve(entry, sim, found)
            first = first or (found, entry, sim)
            self._carrier(plan, found, sim, others, threshold, min_tier_rank)
        return self._rejected(first, best)

    def _judge(
        self,
        text: str,
        vec: np.ndarray,
        entry: Entry,
        sim: float,
        min_score: float | None,
        others: list[tuple[Entry, float]],
    ) -> functools.partial[Decision]:
        """`decide` for one planned candidate, ready to call here or in a worker thread."""
        assert entry.vector is not None  # found through the index, so it has a vector
        return functools.partial(
            decide,
            text,
            vec,
            entry.text,
            entry.vector,
            sim,
            self.verifier,
            min_score=min_score,
            siblings=[n[0].text for n in others] if self.sibling_k else (),
        )

    def _carrier(
        self,
        plan: list[tuple[Entry, float, float | None]],
        found: Decision,
        sim: float,
        others: list[tuple[Entry, float]],
        threshold: float,
        min_tier_rank: int,
    ) -> None:
        """After a veto, judge one more entry when the veto itself points to it (once):
        - a sibling veto that found the entry carrying the query's slot value: the query asks
          that entry's question in other words;
        - another entry ties on cosine: the embedding cannot tell the two apart (long
          documents that differ only in their middle, code that differs only in case), so
          the index's order among them is arbitrary.
        Not a fall-through to any runner-up (that measured replay precision 0.83, see
        `_plan`): only the entry the query's own words, or a tie, single out."""
        if len(plan) > 1:
            return
        if found.sibling is not None:
            picks = [others[found.sibling]]
        else:  # every tie at once (a document stored in 12 versions ties 12 ways)
            picks = [o for o in others if abs(o[1] - sim) <= TIE]
        for entry, cos in picks:
            if cos >= threshold and entry.tier_rank >= min_tier_rank and entry.id in self._slots:
                plan.append((self._full(self._slots[entry.id]), cos, None))

    def _plan(
        self, scope: str, vec: np.ndarray, threshold: float, min_tier_rank: int
    ) -> tuple[list[tuple[Entry, float, float | None]], float | None, list[tuple[Entry, float]]]:
        """Candidates to judge, in order, each with its verifier bar (None = the usual one),
        the best live candidate's cosine, and every live entry found near the query (the
        candidates' siblings, `sibling_k` of them at most).

        Only the best candidate at or above the route's tier is judged: falling through to the
        runners-up after a rejection measured replay precision 0.83 instead of 0.955
        (docs/cache_quality.md). A better candidate from a lower tier is judged first, at the
        stricter bar: one question answered by a cheaper tier is still the same question.
        """
        index = self._indexes.get(scope)
        if index is None:
            return [], None, []
        now = self._clock()
        best: float | None = None
        plan: list[tuple[Entry, float, float | None]] = []
        near: list[tuple[Entry, float]] = []
        done = False
        for i, (label, sim) in enumerate(index.search(vec, max(self.top_k, self.sibling_k))):
            entry_id = self._ids_by_label[label]
            slot = self._slots[entry_id]
            if slot.entry.expires <= now:
                self._drop(entry_id, "expired", notify=True)
                continue
            near.append((slot.entry, sim))
            best = sim if best is None else best  # results come best first
            if done or sim < threshold or i >= self.top_k:
                done = True
            elif slot.entry.tier_rank >= min_tier_rank:
                plan.append((self._full(slot), sim, None))
                done = True
            elif not plan and (bar := self._lower_tier_bar()) is not None:
                plan.append((self._full(slot), sim, bar))
        return plan, best, near

    def _lower_tier_bar(self) -> float | None:
        threshold = getattr(self.verifier, "threshold", None)
        if self.lower_tier_margin is None or threshold is None:
            return None
        return float(threshold) + self.lower_tier_margin

    def _serve(self, entry: Entry, sim: float, found: Decision) -> Lookup:
        self._slots.move_to_end(entry.id)
        return Lookup(LookupResult.SEMANTIC, entry, sim, found.rule, found.score, entry.id)

    @staticmethod
    def _rejected(first: tuple[Decision, Entry, float] | None, best: float | None) -> Lookup:
        if first is None:
            return Lookup(LookupResult.MISS, None, best)
        found, entry, _ = first
        return Lookup(LookupResult(found.result), None, best, found.rule, found.score, entry.id)

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

    def export_snapshot(self) -> SnapshotData:
        """Collect the live entries (LRU order, oldest first) and their vectors."""
        now = self._clock()
        slots = [s for s in self._slots.values() if s.entry.expires > now]
        labels = np.fromiter((s.label for s in slots), np.int64, len(slots))
        dumps = [(scope, index.dump()) for scope, index in self._indexes.items()]
        rows, vectors, graphs = collect_vectors(labels, dumps, self.dim)
        entries = [s.entry for s in slots]
        return SnapshotData(self.model_family, self.dim, entries, rows, vectors, graphs)

    def snapshot(self, path: str) -> None:
        """Write a snapshot atomically (temp file in the same dir, fsync, os.replace)."""
        write_snapshot(path, self.export_snapshot())

    def load_snapshot(self, path: str) -> int:
        """Replace the contents with a snapshot; return entries loaded (0 if unusable)."""
        data = read_snapshot(path, self.model_family, self.dim)
        if data is None:
            return 0
        fresh = SemanticCache(
            self.max_entries,
            self.max_bytes,
            self.default_ttl,
            self.hnsw_min_size,
            clock=self._clock,
            dim=self.dim,
            ef_search=self.ef_search,
        )
        with faiss_threads(self.load_threads):
            fresh._bulk_load(data)  # builds inline: loading happens before serving
        for index in fresh._indexes.values():
            index.executor = self.rebuild_executor
            index.compact()  # entries expired while we were down leave tombstones
        # Swap in only after the whole snapshot was built: no partial loads.
        for name in ("_slots", "_exact", "_indexes", "_ids_by_label", "_expiry", "_seq", "_bytes"):
            setattr(self, name, getattr(fresh, name))
        return self.entries

    def _bulk_load(self, data: SnapshotData) -> None:
        """Fill an empty cache from snapshot data: restore saved graphs, else add per scope."""
        chosen = select_entries(data, self._clock(), self.max_entries, self.max_bytes)
        per_scope: dict[str, tuple[list[int], list[int]]] = {}
        for entry, row, size in chosen:
            label = self._store_slot(entry, size, has_vector=row >= 0)
            if row >= 0:
                labels, rows = per_scope.setdefault(entry.scope, ([], []))
                labels.append(label)
                rows.append(row)
        graphs = {g.scope: g for g in data.graphs}
        for scope, (labels, rows) in per_scope.items():
            keys, at = np.array(labels, np.int64), np.array(rows, np.int64)
            graph = graphs.get(scope)
            if graph is None or not self._restore(scope, graph, keys, at, data.vectors):
                self._index_for(scope).add_many(keys, data.vectors[at])

    def _restore(
        self, scope: str, graph: Graph, keys: np.ndarray, rows: np.ndarray, vectors: np.ndarray
    ) -> bool:
        """Give a scope its saved graph if its rows are distinct and all inside the graph's."""
        pos = rows - graph.start
        if pos.min() < 0 or pos.max() >= graph.rows or len(np.unique(pos)) != len(pos):
            log.warning("snapshot graph of a scope does not match its entries; rebuilding")
            return False
        row_keys = np.full(graph.rows, -1, np.int64)
        row_keys[pos] = keys
        rows_of_graph = vectors[graph.start : graph.start + graph.rows]
        return self._index_for(scope).restore(graph.blob, rows_of_graph, row_keys)

    def _insert(self, entry: Entry, *, notify: bool) -> None:
        """Store a full entry, replacing same id or same (scope, text), then enforce bounds."""
        if entry.expires <= self._clock() or entry.nbytes > self.max_bytes:
            return
        self._drop(entry.id, "replaced", notify=notify)
        old_id = self._exact.get(_exact_key(entry.scope, entry.text))
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
        self._exact[_exact_key(stored.scope, entry.text)] = entry.id
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
        key = _exact_key(entry.scope, entry.text)
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
