"""Arithmetic of the QQP relabel audit: agreement counts, noise rates, label-noise correction.

Pure functions on plain numbers and lists (no model, no data files), so `tests/test_qqp_relabel.py`
checks them on synthetic inputs. Conventions:
- a *verdict* is "yes" (serving A's answer to B is correct), "no" or "unsure";
- q0 = share of QQP-negative (label 0) served pairs that are judged duplicates ("yes");
- q1 = share of QQP-positive (label 1) served pairs judged not duplicates ("no");
- rates exclude "unsure" from numerator and denominator (point estimate); `rate(...,
  unsure_as=...)` counts them on one side instead, for the sensitivity bounds.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

VERDICTS = ("yes", "no", "unsure")
Z95 = 1.959963984540054


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for k successes in n trials ((0, 1) when n == 0)."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    den = 1 + z * z / n
    mid = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return max(0.0, mid - half), min(1.0, mid + half)


@dataclass(frozen=True)
class Rate:
    """k of n, with its Wilson 95% interval."""

    k: int
    n: int

    @property
    def value(self) -> float:
        return self.k / self.n if self.n else float("nan")

    def as_dict(self) -> dict[str, float | int | list[float]]:
        lo, hi = wilson(self.k, self.n)
        return {"k": self.k, "n": self.n, "rate": self.value, "wilson95": [lo, hi]}


def tally(verdicts: Iterable[str]) -> dict[str, int]:
    """Counts per verdict (every verdict present, zero if unseen); unknown verdicts raise."""
    counts = Counter(verdicts)
    unknown = set(counts) - set(VERDICTS)
    if unknown:
        raise ValueError(f"unknown verdicts: {sorted(unknown)}")
    return {v: counts.get(v, 0) for v in VERDICTS}


def rate(verdicts: Iterable[str], hit: str, *, unsure_as: str | None = None) -> Rate:
    """Share of verdicts equal to `hit` ("yes" or "no"); "unsure" dropped, or counted as
    `unsure_as` when given."""
    c = tally(verdicts)
    k, n = c[hit], c["yes"] + c["no"]
    if unsure_as is not None:
        n += c["unsure"]
        k += c["unsure"] if unsure_as == hit else 0
    return Rate(k, n)


def corrected_precision(tp: float, fp: float, q0: float, q1: float, w: float = 1.0) -> float:
    """Precision of a served set with `tp` label-1 and `fp` label-0 pairs once labels are
    replaced by judgments: correct = tp (1 - q1) + fp q0. `w` reweights the label-0 stratum
    (w = positives / negatives gives the balanced precision of `cache_quality`)."""
    served = tp + w * fp
    if served <= 0:
        return float("nan")
    return (tp * (1 - q1) + w * fp * q0) / served


def precision_box(tp: float, fp: float, r0: Rate, r1: Rate, w: float = 1.0) -> dict[str, float]:
    """Corrected precision at the point estimates, and its range over the box of the two Wilson
    intervals (precision rises with q0 and falls with q1, so the corners are the extremes)."""
    (lo0, hi0), (lo1, hi1) = wilson(r0.k, r0.n), wilson(r1.k, r1.n)
    return {
        "estimate": corrected_precision(tp, fp, r0.value, r1.value, w),
        "low": corrected_precision(tp, fp, lo0, hi1, w),
        "high": corrected_precision(tp, fp, hi0, lo1, w),
    }


def agreement(labels: Iterable[int], verdicts: Iterable[str]) -> dict[str, dict[str, int]]:
    """QQP label x judgment counts: {"label_0": {"yes": .., "no": .., "unsure": ..}, ...}."""
    rows: dict[int, list[str]] = {0: [], 1: []}
    for y, v in zip(labels, verdicts, strict=True):
        rows[int(y)].append(v)
    return {f"label_{y}": tally(vs) for y, vs in rows.items()}
