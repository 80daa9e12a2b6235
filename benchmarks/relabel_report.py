"""The join step of the QQP relabel audit (`benchmarks.qqp_relabel`): labels meet judgments.

`join(setup, sample, judged)` returns the JSON written to `benchmarks/results/qqp_relabel.json`:
per-stratum verdict counts, the label x judgment agreement matrix of served pairs, the noise
rates q0/q1 with Wilson intervals, precision and balanced precision corrected with them at the
two operating points (three treatments of "unsure"), label noise among misses, the whole served
curve with judged labels in place of QQP's (`benchmarks.relabel_curve`), and the served pairs
judged "no" grouped by what differs. Arithmetic lives in
`benchmarks.relabel_stats`; this module only selects which verdicts feed which rate.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from benchmarks.cache_quality import balanced_precision
from benchmarks.relabel_curve import CURVE_KEYS, Stratum, best_at, bootstrap, judged_curve
from benchmarks.relabel_stats import agreement, precision_box, rate, tally
from cache.train_verifier import pr_at

DUP = {"yes": 1.0, "no": 0.0, "unsure": float("nan")}
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
    curve_bars: list[float]  # the verifier bars of cache_quality's served curve


Sample = dict[str, np.ndarray]  # stratum -> positions into Setup.pairs
STRATA = ("served_label0", "served_label1", "missed_label1", "missed_label0")


def strata(s: Setup) -> Sample:
    """Positions (into the unseen subset) of each stratum at the R>=0.55 point."""
    at = s.served["recall_0.55"]
    return {
        "served_label0": np.flatnonzero(at & (s.y == 0)),
        "served_label1": np.flatnonzero(at & (s.y == 1)),
        "missed_label1": np.flatnonzero(~at & (s.y == 1)),
        "missed_label0": np.flatnonzero(~at & (s.y == 0)),
    }


def verdicts(s: Setup, verdict: dict[int, str], positions: Iterable[Any]) -> list[str]:
    return [verdict[int(s.keys[p])] for p in positions]


def join(s: Setup, sample: Sample, judged: dict[int, dict[str, str]]) -> dict[str, Any]:
    """Agreement, noise rates, corrected precision at both points, wrong hits by category."""
    verdict = {
        int(s.keys[p]): judged[int(s.keys[p])]["verdict"] for v in sample.values() for p in v
    }
    at = s.served["recall_0.55"]
    out: dict[str, Any] = {"bars": s.bars, "sample": {k: len(v) for k, v in sample.items()}}
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
    out["misses"] = miss_rates(s, sample, verdict)
    out["judged_labels"] = judged_section(s, sample, verdict)
    out["wrong_hits"] = wrong_hits(s, served_pos, judged)
    return out


def point_summary(
    s: Setup, sample: Sample, verdict: dict[int, str], at: np.ndarray, w: float
) -> dict[str, Any]:
    """Measured and label-corrected precision / balanced precision where `at` is served.

    The rates come from the sampled pairs served here: a random sample of its served label-0 /
    label-1 pairs whenever `at` serves a subset of the R>=0.55 point (any bar at or above it)."""
    tp, fp = int((at & (s.y == 1)).sum()), int((at & (s.y == 0)).sum())
    v0 = verdicts(s, verdict, [p for p in sample["served_label0"] if at[p]])
    v1 = verdicts(s, verdict, [p for p in sample["served_label1"] if at[p]])
    p, r = pr_at(at, s.y)
    out: dict[str, Any] = {"served": tp + fp, "label1_served": tp, "label0_served": fp}
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


def miss_rates(s: Setup, sample: Sample, verdict: dict[int, str]) -> dict[str, Any]:
    """Label noise among the pairs not served at the R>=0.55 point."""
    return {
        "missed_label1_judged_not_duplicate": rate(
            verdicts(s, verdict, sample["missed_label1"]), "no"
        ).as_dict(),
        "missed_label0_judged_duplicate": rate(
            verdicts(s, verdict, sample["missed_label0"]), "yes"
        ).as_dict(),
    }


def judged_strata(
    s: Setup, sample: Sample, verdict: dict[int, str], masks: np.ndarray
) -> list[Stratum]:
    """The four strata for `judged_curve`; `masks` is (bars, pairs): served at each bar."""
    pools, out = strata(s), []
    for name in STRATA:
        pos = sample[name]
        dup = np.array([DUP[v] for v in verdicts(s, verdict, pos)])
        out.append(Stratum(len(pools[name]), masks[:, pools[name]].sum(axis=1), masks[:, pos], dup))
    return out


def with_interval(curve: dict[str, Any], ci: dict[str, Any], i: int) -> dict[str, list[float]]:
    """[estimate, 2.5%, 97.5%] per curve key at row i."""
    return {k: [float(curve[k][i]), float(ci[k][0, i]), float(ci[k][1, i])] for k in CURVE_KEYS}


def judged_section(s: Setup, sample: Sample, verdict: dict[int, str]) -> dict[str, Any]:
    """The served curve and both points with judged labels (`benchmarks.relabel_curve`)."""
    bars = np.array(s.curve_bars)
    masks = np.stack([s.mask_at(float(b)) for b in bars])
    st = judged_strata(s, sample, verdict, masks)
    curve, ci = judged_curve(st), bootstrap(st)
    rows = []
    for i, bar in enumerate(bars):
        p, r = pr_at(masks[i], s.y)
        measured = {"precision": p, "balanced_precision": balanced_precision(masks[i], s.y)}
        rows.append({"bar": float(bar), "qqp_labels": measured | {"recall": r}})
        rows[-1]["judged"] = with_interval(curve, ci, i)
    two = np.stack([s.served["shipped"], s.served["recall_0.55"]])
    pst = judged_strata(s, sample, verdict, two)
    pcurve, pci = judged_curve(pst), bootstrap(pst)
    ok = curve["balanced_precision"] >= 0.97
    return {
        "judged_duplicates_in_subset": curve["judged_duplicates"],
        "points": {
            name: with_interval(pcurve, pci, i) for i, name in enumerate(("shipped", "recall_0.55"))
        },
        "best_balanced_precision_at_judged_recall_0.55": best_at(curve, bars, min_recall=0.55),
        "judged_recall_at_balanced_precision_0.97": float(curve["recall"][ok].max())
        if ok.any()
        else None,
        "rows": rows,
    }


def wrong_hits(
    s: Setup, served_pos: np.ndarray, judged: dict[int, dict[str, str]]
) -> dict[str, list[dict[str, Any]]]:
    """Served pairs (R>=0.55 point) judged "no", grouped by what differs."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
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
