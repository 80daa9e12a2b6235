"""The served curve with judged labels instead of QQP labels (post-stratified, bootstrapped).

The QQP relabel sample covers four strata that together hold every pair of the subset: served
and not served at the R>=0.55 point, times QQP label 0 / 1. For any verifier bar, the pairs it
serves are known exactly per stratum (`counts[s][b]`); the share of them that are duplicates by
judgment is estimated from that stratum's sampled pairs the bar also serves (falling back to
the stratum's whole sample where none is served). So per bar:

    duplicates served   D_b = sum_s counts[s][b] * f[s][b]
    judged duplicates   P   = sum_s total[s] * f[s]          (the recall denominator)
    recall_b = D_b / P;  precision_b = D_b / served_b;
    balanced precision_b = D_b / (D_b + (served_b - D_b) * P / (N - P))   (N = all pairs)

"Unsure" verdicts are dropped (nan). Intervals: percentile bootstrap, resampling each stratum's
sample with replacement. Pure numpy on arrays; no model, no data files.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

CURVE_KEYS = ("precision", "balanced_precision", "recall")


@dataclass
class Stratum:
    """One stratum: its population and its judged sample."""

    total: int  # pairs in the stratum
    counts: np.ndarray  # (bars,) pairs of the stratum served at each bar
    served: np.ndarray  # (bars, n) bool: sampled pair i served at bar b
    dup: np.ndarray  # (n,) 1.0 duplicate, 0.0 not, nan unsure


def _share(served: np.ndarray, dup: np.ndarray) -> tuple[np.ndarray, float]:
    """Duplicate share per bar among judged sampled pairs served there, and overall."""
    judged = ~np.isnan(dup)
    d = np.where(judged, dup, 0.0)
    k, n = (served * d).sum(axis=1), (served & judged).sum(axis=1)
    overall = d.sum() / max(judged.sum(), 1)
    return np.where(n > 0, k / np.maximum(n, 1), overall), float(overall)


def judged_curve(strata: list[Stratum], idx: list[np.ndarray] | None = None) -> dict[str, Any]:
    """Precision, balanced precision and recall per bar with judged labels. `idx` picks (with
    repetition) which sampled pairs of each stratum to use (the bootstrap); default all."""
    bars = strata[0].counts.shape[0]
    dups, served, positives = np.zeros(bars), np.zeros(bars), 0.0
    population = sum(s.total for s in strata)
    for i, s in enumerate(strata):
        pick = np.arange(len(s.dup)) if idx is None else idx[i]
        share, overall = _share(s.served[:, pick], s.dup[pick])
        dups = dups + s.counts * share
        served = served + s.counts
        positives += s.total * overall
    negatives = max(population - positives, 1e-12)
    wrong = served - dups
    return {
        "precision": dups / np.maximum(served, 1e-12),
        "balanced_precision": dups / np.maximum(dups + wrong * positives / negatives, 1e-12),
        "recall": dups / max(positives, 1e-12),
        "judged_duplicates": positives,
    }


def bootstrap(strata: list[Stratum], reps: int = 2000, seed: int = 0) -> dict[str, Any]:
    """2.5 / 97.5 percentiles per bar of each curve, resampling within strata."""
    rng = np.random.default_rng(seed)
    draws: dict[str, list[np.ndarray]] = {k: [] for k in CURVE_KEYS}
    for _ in range(reps):
        idx = [rng.integers(0, len(s.dup), len(s.dup)) for s in strata]
        curve = judged_curve(strata, idx)
        for k in CURVE_KEYS:
            draws[k].append(curve[k])
    return {k: np.percentile(np.stack(v), [2.5, 97.5], axis=0) for k, v in draws.items()}


def best_at(curve: dict[str, Any], bars: np.ndarray, *, min_recall: float) -> dict[str, Any] | None:
    """The bar with the highest balanced precision among those with recall >= min_recall."""
    ok = np.flatnonzero(curve["recall"] >= min_recall)
    if not len(ok):
        return None
    i = int(ok[np.argmax(curve["balanced_precision"][ok])])
    return {"bar": float(bars[i]), **{k: float(curve[k][i]) for k in CURVE_KEYS}}
