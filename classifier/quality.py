"""RouteLLM's router-quality metrics: accuracy vs strong-call share, PGR, APGR, CPT.

For a strong-call share ``s`` the ``round(s * n)`` highest-scored prompts go to the strong model;
accuracy is the mean of (strong_correct if routed strong else weak_correct).
PGR = (acc - weak_acc) / (strong_acc - weak_acc); APGR = area under PGR over s in [0, 1];
CPT(x) = smallest s with PGR >= x. A random router's expected PGR(s) is s (APGR 0.5).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Curve:
    """Accuracy and PGR at every share k/n, k = 0..n."""

    share: np.ndarray
    accuracy: np.ndarray
    pgr: np.ndarray
    weak_acc: float
    strong_acc: float

    def apgr(self, grid: int = 101) -> float:
        """Mean PGR over a uniform share grid (trapezoid area)."""
        s = np.linspace(0.0, 1.0, grid)
        return float(np.trapezoid(np.interp(s, self.share, self.pgr), s))

    def cpt(self, target: float) -> float:
        """Smallest strong-call share reaching PGR >= target (1.0 if never)."""
        hit = np.flatnonzero(self.pgr >= target - 1e-12)
        return float(self.share[hit[0]]) if hit.size else 1.0


def curve(scores: np.ndarray, weak: np.ndarray, strong: np.ndarray) -> Curve:
    """Threshold sweep of a router's scores on prompts with known weak/strong correctness."""
    weak_f = np.asarray(weak, dtype=np.float64)
    strong_f = np.asarray(strong, dtype=np.float64)
    n = len(weak_f)
    # Stable sort on -score: ties keep data order, so the curve is deterministic.
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")
    gain = np.concatenate([[0.0], np.cumsum(strong_f[order] - weak_f[order])])
    weak_acc, strong_acc = float(weak_f.mean()), float(strong_f.mean())
    acc = weak_acc + gain / n
    pgr = (acc - weak_acc) / (strong_acc - weak_acc)
    return Curve(np.arange(n + 1) / n, acc, pgr, weak_acc, strong_acc)


def random_curve(weak: np.ndarray, strong: np.ndarray) -> Curve:
    """Expected curve of a random router: accuracy linear in share, PGR(s) = s."""
    n = len(weak)
    share = np.arange(n + 1) / n
    weak_acc, strong_acc = float(np.mean(weak)), float(np.mean(strong))
    return Curve(
        share, weak_acc + share * (strong_acc - weak_acc), share.copy(), weak_acc, strong_acc
    )


def summary(c: Curve) -> dict[str, float]:
    """APGR and CPT(50%) / CPT(80%) of a curve, rounded for reports."""
    return {
        "apgr": round(c.apgr(), 4),
        "cpt50": round(c.cpt(0.5), 4),
        "cpt80": round(c.cpt(0.8), 4),
    }
