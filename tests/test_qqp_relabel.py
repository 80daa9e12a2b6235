"""The QQP relabel audit's arithmetic and blindness, on synthetic inputs (no model, no data)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from benchmarks import qqp_relabel
from benchmarks.cache_quality import balanced_precision
from benchmarks.relabel_curve import Stratum, best_at, bootstrap, judged_curve
from benchmarks.relabel_report import Setup, strata
from benchmarks.relabel_stats import (
    Rate,
    agreement,
    corrected_precision,
    precision_box,
    rate,
    tally,
    wilson,
)


def test_wilson_matches_known_intervals() -> None:
    lo, hi = wilson(5, 10)
    assert lo == pytest.approx(0.2366, abs=1e-4) and hi == pytest.approx(0.7634, abs=1e-4)
    lo, hi = wilson(0, 10)
    assert lo == 0.0 and hi == pytest.approx(0.2775, abs=1e-4)
    assert wilson(0, 0) == (0.0, 1.0)


def test_rate_drops_unsure_or_counts_it_on_one_side() -> None:
    v = ["yes", "yes", "no", "unsure"]
    assert rate(v, "yes") == Rate(2, 3)
    assert rate(v, "yes", unsure_as="no") == Rate(2, 4)
    assert rate(v, "yes", unsure_as="yes") == Rate(3, 4)
    assert rate(v, "no", unsure_as="no") == Rate(2, 4)
    assert rate(v, "no", unsure_as="yes") == Rate(1, 4)
    with pytest.raises(ValueError, match="unknown verdicts"):
        tally(["yes", "maybe"])


def test_corrected_precision_swaps_labels_for_judgments() -> None:
    # 80 label-1 served (10% not duplicates), 20 label-0 served (half are duplicates)
    assert corrected_precision(80, 20, q0=0.5, q1=0.1) == pytest.approx((72 + 10) / 100)
    assert corrected_precision(80, 20, q0=0.5, q1=0.1, w=0.5) == pytest.approx((72 + 5) / 90)
    box = precision_box(80, 20, Rate(10, 20), Rate(8, 80))
    assert box["low"] < box["estimate"] < box["high"]
    assert box["estimate"] == pytest.approx(corrected_precision(80, 20, 0.5, 0.1))


def test_no_noise_reproduces_cache_quality_balanced_precision() -> None:
    rng = np.random.default_rng(1)
    y = rng.random(500) < 0.3
    accept = rng.random(500) < np.where(y, 0.6, 0.1)
    tp, fp = int((accept & y).sum()), int((accept & ~y).sum())
    w = y.sum() / (~y).sum()
    expected = balanced_precision(accept, y.astype(int))
    assert corrected_precision(tp, fp, 0.0, 0.0, w) == pytest.approx(expected)


def test_agreement_counts_label_by_verdict() -> None:
    m = agreement([0, 0, 1, 1, 1], ["yes", "no", "yes", "yes", "unsure"])
    assert m == {
        "label_0": {"yes": 1, "no": 1, "unsure": 0},
        "label_1": {"yes": 2, "no": 0, "unsure": 1},
    }


def population(n: int = 400, seed: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scores, QQP labels and true duplicates (labels 15% wrong), masks at 5 bars."""
    rng = np.random.default_rng(seed)
    dup = rng.random(n) < 0.4
    y = np.where(rng.random(n) < 0.15, ~dup, dup)
    score = np.clip(rng.normal(np.where(dup, 0.7, 0.4), 0.2), 0, 1)
    masks = np.stack([score >= b for b in (0.3, 0.5, 0.6, 0.7, 0.9)])
    return masks, y, dup


def full_strata(masks: np.ndarray, y: np.ndarray, dup: np.ndarray, ref: int) -> list[Stratum]:
    """Four strata at bar `ref`, each 'sampled' completely (judgment = the truth)."""
    out = []
    for served in (True, False):
        for label in (False, True):
            pos = np.flatnonzero((masks[ref] == served) & (y == label))
            d = dup[pos].astype(float)
            out.append(Stratum(len(pos), masks[:, pos].sum(axis=1), masks[:, pos], d))
    return out


def test_judged_curve_is_exact_when_every_pair_is_judged() -> None:
    masks, y, dup = population()
    curve = judged_curve(full_strata(masks, y, dup, ref=2))
    for b, at in enumerate(masks):
        tp = (at & dup).sum()
        assert curve["precision"][b] == pytest.approx(tp / at.sum())
        assert curve["recall"][b] == pytest.approx(tp / dup.sum())
        assert curve["balanced_precision"][b] == pytest.approx(
            balanced_precision(at, dup.astype(int))
        )
    assert curve["judged_duplicates"] == pytest.approx(dup.sum())


def test_judged_curve_drops_unsure_and_bootstrap_brackets() -> None:
    masks, y, dup = population()
    st = full_strata(masks, y, dup, ref=2)
    st[0].dup[:3] = np.nan  # unsure verdicts leave the rates, not the population
    curve = judged_curve(st)
    ci = bootstrap(st, reps=200, seed=0)
    assert ci["precision"].shape == (2, masks.shape[0])
    assert (ci["recall"][0] <= ci["recall"][1]).all()
    assert np.isfinite(curve["balanced_precision"]).all()
    best = best_at(curve, np.array([0.3, 0.5, 0.6, 0.7, 0.9]), min_recall=0.5)
    assert best is not None and best["recall"] >= 0.5
    ok = curve["recall"] >= 0.5
    assert best["balanced_precision"] == pytest.approx(curve["balanced_precision"][ok].max())
    assert best_at(curve, np.arange(5.0), min_recall=1.01) is None


def synthetic_setup(n: int = 60) -> Setup:
    rng = np.random.default_rng(7)
    y = (rng.random(n) < 0.4).astype(int)
    at = rng.random(n) < 0.5
    pairs = [(f"question a{i}", f"question b{i}", int(y[i])) for i in range(n)]
    served = {"shipped": at & (rng.random(n) < 0.7), "recall_0.55": at}
    bars = {"shipped": 0.82, "recall_0.55": 0.67, "cosine_gate": 0.74}
    return Setup(np.arange(n) + 101, pairs, y, bars, served, lambda b: at, [0.67])


def test_rounds_are_disjoint_and_files_hold_no_labels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        qqp_relabel,
        "ROUNDS",
        ({"served_label0": 5, "missed_label1": 4}, {"missed_label1": 4, "missed_label0": 6}),
    )
    s = synthetic_setup()
    first, second = qqp_relabel.draw(s)
    assert set(first["missed_label1"]).isdisjoint(second["missed_label1"])
    again = qqp_relabel.draw(s)[0]
    assert all((first[k] == again[k]).all() for k in first)  # fixed seed
    pools = strata(s)
    assert set(first["served_label0"]) <= set(pools["served_label0"])
    path = tmp_path / "to_judge.jsonl"
    n = qqp_relabel.write_to_judge(s, first, 1, path)
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert n == len(rows) == 9
    assert all(set(r) == {"key", "a", "b"} for r in rows)


def test_join_refuses_incomplete_or_unexplained_judgments(tmp_path: Path) -> None:
    path = tmp_path / "j.json"
    with pytest.raises(SystemExit, match="does not exist"):
        qqp_relabel.load_judgments(path, {1, 2})
    path.write_text(json.dumps({"judgments": {"1": {"verdict": "yes"}}}))
    with pytest.raises(SystemExit, match="1 missing"):
        qqp_relabel.load_judgments(path, {1, 2})
    path.write_text(json.dumps({"judgments": {"1": {"verdict": "yes"}, "2": {"verdict": "no"}}}))
    with pytest.raises(SystemExit, match="needs a category"):
        qqp_relabel.load_judgments(path, {1, 2})
    ok = {"1": {"verdict": "yes"}, "2": {"verdict": "no", "category": "scope", "reason": "x"}}
    path.write_text(json.dumps({"judgments": ok}))
    assert set(qqp_relabel.load_judgments(path, {1, 2})) == {1, 2}
