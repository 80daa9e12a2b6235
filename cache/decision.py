"""Whether a semantic candidate may be served: the slot guard, the hit verifier, the siblings.

Contract:
- `decide(query, qvec, cand, cvec, similarity, verifier, min_score=None, siblings=())` is a
  pure function of two texts, their vectors and the texts of the other entries the index found
  near the query (thread-safe, no cache state): it returns a `Decision` whose `result` is
  "semantic" (serve) or a rejection in `REJECTIONS`, the guard `rule` that fired (the sibling
  check's "sibling_missing" / "sibling_other" count as `guard_slot`), the verifier's score, and
  for "sibling_other" the index of the sibling carrying the query's slot value. Its cost is
  linear in the text lengths (the sibling check runs only on an accepted pair, one short word
  alignment per sibling); callers run pairs longer than `OFFLOAD_CHARS` off the event loop
  (`SemanticCache.lookup_async`).
- `cache.entry.Lookup` is what `SemanticCache.lookup` returns: `result` is one of `RESULTS`
  (`LookupResult`, a bounded set: the `sidecar_cache_lookups_total{result}` label and the
  request log line's `cache` field), plus the entry served, the best candidate's cosine, and
  the judged candidate's id, guard rule and verifier score (for the live audit and logs).
- The verifier bar is its shipped threshold, `ANCHOR_BONUS` lower for pairs anchored on a
  shared slot value (`guard.anchored`): the guard has confirmed that every such value agrees.
- A candidate stored by a lower tier than the request's route is served only when the verifier
  scores it at least `min_score` (a stricter bar); without a verifier it is never served.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from cache import guard
from cache.entry import LookupResult
from cache.siblings import sibling_confirms, sibling_veto

VERIFIER_REJECTED = LookupResult.VERIFIER_REJECTED.value
REJECTIONS = (*guard.REASONS, VERIFIER_REJECTED)
RESULTS = tuple(r.value for r in LookupResult)
# A pair that passed the guard and shares a name, number, ID or rare word ("Tokyo") is held to
# a verifier bar this much lower: on qqp_dev, guard + this bonus (0.82 -> 0.78) kept precision
# (0.819 vs 0.818 without guard) and recall (0.402 vs 0.400) with the first verifier. A larger
# bonus for shared numbers / IDs (0.10) was tried with the 2026-11-29 verifier: suite rewordings
# 0.605 -> 0.647, but two more held-out wrong hits (SQL on another table, same id), so no.
ANCHOR_BONUS = 0.04
# A pair the verifier rejects but scores at least this is served when >= 2 stored siblings of
# the candidate confirm it (cache/siblings.py, `sibling_confirms`): the query has the
# candidate's value on every slot they reveal and none of theirs. On the held-out and blind
# suites (seen, in process) 0.70 served 0.11-0.17 more of the rewordings for 3 more wrong
# hits in 27,636 trials; 0.60 served about twice as many, for 14 (docs/cache_quality.md).
CONFIRMED_BAR = 0.70
# Above this many characters (query + candidate) the decision runs in a worker thread: the guard
# alone costs ~0.13 ms per 1,000 characters of the pair here, the verifier as much again.
OFFLOAD_CHARS = 8_000


@dataclass(frozen=True, slots=True)
class Decision:
    """Serve or not, and why: `result` "semantic" or one of `REJECTIONS`."""

    result: str
    rule: str = ""  # the guard rule that vetoed (e.g. "number", "negation", "whole_text")
    score: float | None = None  # the verifier's P(same meaning), when it ran
    sibling: int | None = None  # sibling rules: the index in `siblings` carrying the query's value

    @property
    def accepted(self) -> bool:
        """True when the candidate may be served."""
        return self.result == "semantic"


def decide(
    query: str,
    query_vec: np.ndarray,
    cand: str,
    cand_vec: np.ndarray,
    similarity: float,
    verifier: Any,
    *,
    min_score: float | None = None,
    siblings: Sequence[str] = (),
) -> Decision:
    """Guard, then verifier (at its own threshold, or at least `min_score` when given), then
    the sibling check against the scope's other nearby `siblings` texts: it may veto an
    accepted pair, or confirm one the verifier rejected at >= `CONFIRMED_BAR` (not under a
    lower tier's `min_score`)."""
    found = _judge(query, query_vec, cand, cand_vec, similarity, verifier, min_score)
    if not siblings:
        return found
    if not found.accepted:
        score = found.score
        if found.result != VERIFIER_REJECTED or score is None or min_score is not None:
            return found  # a guard veto, no score, or a lower tier's stricter bar: no rescue
        if score >= CONFIRMED_BAR and sibling_confirms(query, cand, siblings):
            return Decision("semantic", "sibling_confirmed", score)
        return found
    veto = sibling_veto(query, cand, siblings)
    if veto is None:
        return found
    carrier = veto.index if veto.carries else None
    return Decision(guard.SLOT, veto.rule, found.score, carrier)


def _judge(
    query: str,
    query_vec: np.ndarray,
    cand: str,
    cand_vec: np.ndarray,
    similarity: float,
    verifier: Any,
    min_score: float | None,
) -> Decision:
    veto = guard.check(query, cand)
    if not veto.passed:
        return Decision(veto.reason, veto.rule)
    if verifier is None:
        return Decision("semantic" if min_score is None else VERIFIER_REJECTED)
    score_fn = getattr(verifier, "score", None)
    if score_fn is None:  # a verifier with accept() only (e.g. test fakes)
        if min_score is not None:
            return Decision(VERIFIER_REJECTED)
        ok = verifier.accept(query, query_vec, cand, cand_vec, similarity)
        return Decision("semantic" if ok else VERIFIER_REJECTED)
    score = float(score_fn(query, query_vec, cand, cand_vec, similarity))
    bar = float(verifier.threshold) if min_score is None else max(min_score, verifier.threshold)
    if bar - ANCHOR_BONUS <= score < bar:
        bar -= anchor_bonus(query, cand)
    return Decision("semantic" if score >= bar else VERIFIER_REJECTED, score=score)


def anchor_bonus(query: str, cand: str) -> float:
    """How much lower the verifier bar is for this pair: `ANCHOR_BONUS` when both texts share
    a slot value (`guard.anchored`), else 0."""
    return ANCHOR_BONUS if guard.anchored(query, cand) else 0.0
