"""The join step of the QQP relabel audit (`benchmarks.qqp_relabel`): labels meet judgments.

`join(setup, sample, judged)` returns the JSON written to `benchmarks/results/qqp_relabel.json`:
per-stratum verdict counts, the label x judgment agreement matrix of served pairs, the noise
rates q0/q1 with Wilson intervals, precision and balanced precision corrected with them at the
two operating points (three treatments of "unsure"), a corrected curve over higher bars, the
recall side, and the served pairs judged "no" grouped by what differs. Arithmetic lives in
`benchmarks.relabel_stats`; this module only selects which verdicts feed which rate.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from benchmarks.cache_quality import balanced_precision
from benchmarks.relabel_stats import (
    agreement,
    corrected_precision,
    corrected_recall,
    precision_box,
    rate,
    tally,
)
from cache.train_verifier import pr_at

UNSURE_TREATMENTS = (("unsure_dropped", None), ("unsure_against", "no"), ("unsure_for", "yes"))


@dataclass
class Setup:
    """The unseen-question dev subset and what the cache serves on it."""

    keys: np.ndarray  # 1-based line numbers in qqp_dev.jsonl
    pairs: list[tuple[str, str, int]]
    y: np.ndarray
    bars: dict[str, float]  # "shipped", "recall_0.55", "cosine_gate"
    served: dict[str, np.ndarray]  # served mask at "shipped" and "recall_0.55"
    mask_at: Callable[[float], np.ndarray]  # served mask at any verifier bar
    higher_bars: list[float]  # served-curve bars from the R>=0.55 bar up


Sample = dict[str, np.ndarray]  # stratum -> positions into Setup.pairs


def verdicts(s: Setup, verdict: dict[int, str], positions: Sequence[int]) -> list[str]:
    return [verdict[int(s.keys[p])] for p in positions]


def join(s: Setup, sample: Sample, judged: dict[int, dict]) -> dict:
    """Agreement, noise rates, corrected precision at both points, wrong hits by category."""
    verdict = {
        int(s.keys[p]): judged[int(s.keys[p])]["verdict"] for v in sample.values() for p in v
    }
    at = s.served["recall_0.55"]
    out: dict = {"bars": s.bars, "sample": {k: len(v) for k, v in sample.items()}}
    out["population"] = {
        "served_label0": int((at & (s.y == 0)).sum()),
        "served_label1": int((at & (s.y == 1)).sum()),
        "missed_label1": int((~at & (s.y == 1)).sum()),
        "missed_label0": int((~at & (s.y == 0)).sum()),
    }
    out["verdicts_per_stratum"] = {
        name: tally(verdicts(s, verdict, pos)) for name, pos in sample.items()
    }
    served_pos = np.concatenate([sample["served_label0"], sample["served_label1"]])
    out["agreement_served"] = agreement(s.y[served_pos], verdicts(s, verdict, served_pos))
    w = float((s.y == 1).sum() / (s.y == 0).sum())
    out["negative_weight_for_balanced_precision"] = w
    out["points"] = {
        point: point_summary(s, sample, verdict, s.served[point], w)
        for point in ("shipped", "recall_0.55")
    }
    out["recall_side"] = recall_side(s, sample, verdict)
    judged_positives = out["recall_side"]["judged_duplicates_in_subset"]
    out["corrected_curve"] = corrected_curve(s, sample, verdict, w, judged_positives)
    out["wrong_hits"] = wrong_hits(s, served_pos, judged)
    return out


def point_summary(
    s: Setup, sample: Sample, verdict: dict[int, str], at: np.ndarray, w: float
) -> dict:
    """Measured and label-corrected precision / balanced precision where `at` is served.

    The rates come from the sampled pairs served here: a random sample of its served label-0 /
    label-1 pairs whenever `at` serves a subset of the R>=0.55 point (any bar at or above it)."""
    tp, fp = int((at & (s.y == 1)).sum()), int((at & (s.y == 0)).sum())
    v0 = verdicts(s, verdict, [p for p in sample["served_label0"] if at[p]])
    v1 = verdicts(s, verdict, [p for p in sample["served_label1"] if at[p]])
    p, r = pr_at(at, s.y)
    out: dict = {"served": tp + fp, "label1_served": tp, "label0_served": fp}
    out["measured"] = {
        "precision": p,
        "balanced_precision": balanced_precision(at, s.y),
        "recall": r,
    }
    for name, unsure in UNSURE_TREATMENTS:
        r0 = rate(v0, "yes", unsure_as=unsure)
        r1 = rate(v1, "no", unsure_as=unsure)  # "no" raises q1, "yes" lowers it
        out[name] = {
            "q0": r0.as_dict(),
            "q1": r1.as_dict(),
            "precision": precision_box(tp, fp, r0, r1),
            "balanced_precision": precision_box(tp, fp, r0, r1, w),
        }
    return out


def recall_side(s: Setup, sample: Sample, verdict: dict[int, str]) -> dict:
    """How many duplicates (by judgment) the subset holds, and the judged recall at R>=0.55.

    Estimated per stratum from its sample: served label-1 pairs times (1 - q1), missed label-1
    times (1 - q1 of misses), missed label-0 times their judged-duplicate share."""
    at, y = s.served["recall_0.55"], s.y
    n = {
        "tp": int((at & (y == 1)).sum()),
        "fp": int((at & (y == 0)).sum()),
        "m1": int((~at & (y == 1)).sum()),
        "m0": int((~at & (y == 0)).sum()),
    }
    q1s = rate(verdicts(s, verdict, sample["served_label1"]), "no")
    q0s = rate(verdicts(s, verdict, sample["served_label0"]), "yes")
    q1m = rate(verdicts(s, verdict, sample["missed_label1"]), "no")
    q0m = rate(verdicts(s, verdict, sample.get("missed_label0", np.array([], int))), "yes")
    q0m_value = q0m.value if q0m.n else 0.0
    dup = (
        n["tp"] * (1 - q1s.value)
        + n["fp"] * q0s.value
        + n["m1"] * (1 - q1m.value)
        + n["m0"] * q0m_value
    )
    return {
        "missed_label1_judged_not_duplicate": q1m.as_dict(),
        "missed_label0_judged_duplicate": q0m.as_dict(),
        "judged_duplicates_in_subset": dup,
        "judged_recall_at_recall_0.55_point": corrected_recall(
            n["tp"], n["fp"], q0s.value, q1s.value, n["m1"], q1m.value, n["m0"], q0m_value
        ),
    }


def corrected_curve(
    s: Setup, sample: Sample, verdict: dict[int, str], w: float, judged_positives: float
) -> list[dict]:
    """Per bar from the R>=0.55 bar up: corrected balanced precision (unsure dropped, with its
    Wilson box) and judged recall = judged duplicates served / judged duplicates in the subset.
    The sample thins as the bar rises (n0, n1 say how many sampled pairs are still served)."""
    rows = []
    for bar in s.higher_bars:
        at = s.mask_at(bar)
        tp, fp = int((at & (s.y == 1)).sum()), int((at & (s.y == 0)).sum())
        r0 = rate(verdicts(s, verdict, [p for p in sample["served_label0"] if at[p]]), "yes")
        r1 = rate(verdicts(s, verdict, [p for p in sample["served_label1"] if at[p]]), "no")
        good = tp * (1 - r1.value) + fp * r0.value
        rows.append(
            {
                "bar": bar,
                "n0": r0.n,
                "n1": r1.n,
                "measured_balanced_precision": balanced_precision(at, s.y),
                "balanced_precision": precision_box(tp, fp, r0, r1, w),
                "precision": corrected_precision(tp, fp, r0.value, r1.value),
                "judged_recall": good / judged_positives,
            }
        )
    return rows


def wrong_hits(s: Setup, served_pos: np.ndarray, judged: dict[int, dict]) -> dict[str, list]:
    """Served pairs (R>=0.55 point) judged "no", grouped by what differs."""
    groups: dict[str, list] = defaultdict(list)
    for p in served_pos:
        key = int(s.keys[p])
        j = judged[key]
        if j["verdict"] == "no":
            groups[j["category"]].append(
                {
                    "key": key,
                    "qqp_label": int(s.y[p]),
                    "served_at_shipped_bar": bool(s.served["shipped"][p]),
                    "reason": j["reason"],
                }
            )
    return dict(sorted(groups.items(), key=lambda kv: -len(kv[1])))
