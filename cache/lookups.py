"""Lookups on a `Storage`: the exact probe, and the semantic plan -> judge -> serve loop.

Contract (the lookup half of `cache.store.SemanticCache`, which subclasses `Lookups`):
- `lookup_exact` is one dict probe; an exact hit never touches vectors. A hit from a tier
  below `min_tier_rank` is not served.
- `lookup` searches the scope's index once (k = max(`top_k`, `sibling_k`)) and plans which
  candidates to judge (`_plan`): only the best live candidate with cosine >= threshold among
  the first `top_k` at or above the route's tier, preceded by a better one from a lower tier
  judged at a stricter verifier bar. Each is judged by `cache.decision.decide` with the other
  entries found near the query as its siblings (`sibling_k` = 0: no sibling check). After a
  veto, at most one more round judges the entries the veto itself singles out (`_carrier`):
  the sibling carrying the query's value, cosine ties, or after a guard veto the runners-up
  among the first `top_k` that share more of the query's words than the vetoed entry.
- The first accepted candidate is served and bumped in LRU order; otherwise the first
  rejection's reason (or a miss) is returned with the best live cosine, so every decision has
  a countable reason (`cache.entry.Lookup`).
- Expired entries met on the way are dropped (listeners hear "expired"), never returned.
- `lookup_async` decides the same, running pairs longer than `OFFLOAD_CHARS` in a worker thread
  (the decision is pure); a candidate removed meanwhile is not served.
"""

from __future__ import annotations

import asyncio
import functools
from collections import Counter

import numpy as np

from cache.decision import OFFLOAD_CHARS, Decision, decide
from cache.entry import Entry, Lookup, LookupResult
from cache.guard import REASONS as GUARD_VETOES
from cache.slots import words_of
from cache.storage import Storage, exact_key
from cache.verifier import HitVerifier

TIE = 1e-5  # cosines this close are one point to the index (float32 rounding)
# (entry, cosine, verifier bar or None for the verifier's own): one candidate to judge.
Planned = tuple[Entry, float, float | None]


class Lookups(Storage):
    """Exact and semantic lookups (set `verifier`, `top_k`, `sibling_k`, `lower_tier_margin`)."""

    verifier: HitVerifier | None
    top_k: int  # candidates the plan may choose among
    sibling_k: int  # entries near the query read by the sibling check (0: off)
    lower_tier_margin: float | None  # a lower tier's extra verifier bar (None: never served)

    def lookup_exact(self, scope: str, text: str, min_tier_rank: int = 0) -> Entry | None:
        """Return the live entry stored for exactly (scope, text), bumping it in LRU order."""
        entry_id = self._exact.get(exact_key(scope, text))
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
            self._carrier(text, plan, found, sim, others, threshold, min_tier_rank)
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
            self._carrier(text, plan, found, sim, others, threshold, min_tier_rank)
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
        text: str,
        plan: list[Planned],
        found: Decision,
        sim: float,
        others: list[tuple[Entry, float]],
        threshold: float,
        min_tier_rank: int,
    ) -> None:
        """After a veto, judge more entries when the veto itself points to them (once):
        - a sibling veto that found the entry carrying the query's slot value: the query asks
          that entry's question in other words;
        - another entry ties on cosine: the embedding cannot tell the two apart (long
          documents that differ only in their middle, code that differs only in case), so
          the index's order among them is arbitrary;
        - a guard veto (a value, polarity, qualifier, role or length the two texts disagree
          on): the runners-up among the first `top_k` that share more of the query's words
          than the vetoed entry (`_closer`). A rewording embeds near every stored prompt of
          its template, so the one with the query's values often ranks second or third.
        Not a fall-through to any runner-up after a verifier rejection (that measured replay
        precision 0.83, see `_plan`): only entries the query's own words, or a tie, single
        out. Each is judged in full (guard, verifier, siblings)."""
        if len(plan) > 1:
            return
        if found.sibling is not None:
            picks = [others[found.sibling]]
        elif ties := [o for o in others if abs(o[1] - sim) <= TIE]:
            picks = ties  # every tie at once (a document stored in 12 versions ties 12 ways)
        elif found.result in GUARD_VETOES:
            picks = _closer(text, plan[0][0].text, others[: self.top_k - 1])
        else:
            picks = []
        for entry, cos in picks:
            if cos >= threshold and entry.tier_rank >= min_tier_rank and entry.id in self._slots:
                plan.append((self._full(self._slots[entry.id]), cos, None))

    def _plan(
        self, scope: str, vec: np.ndarray, threshold: float, min_tier_rank: int
    ) -> tuple[list[Planned], float | None, list[tuple[Entry, float]]]:
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
        plan: list[Planned] = []
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


def _closer(
    text: str, vetoed: str, runners: list[tuple[Entry, float]]
) -> list[tuple[Entry, float]]:
    """The runners-up sharing strictly more of the query's words (as a multiset) than the
    vetoed entry does. Pairs long enough to be judged off the loop are not read here (the
    reads are linear, but this runs on the event loop): no runner-up for them."""
    if len(text) + len(vetoed) > OFFLOAD_CHARS:
        return []
    query = Counter(words_of(text))
    bar = _shared(query, vetoed)
    return [
        (entry, cos)
        for entry, cos in runners
        if len(text) + len(entry.text) <= OFFLOAD_CHARS and _shared(query, entry.text) > bar
    ]


def _shared(query: Counter[str], other: str) -> int:
    return sum((query & Counter(words_of(other))).values())
