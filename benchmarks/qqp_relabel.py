"""Blind relabel audit of unseen-style QQP: how much of the precision gap is label noise?

Two steps, run in order (the labels are never shown before the judgments exist):

    python -m benchmarks.qqp_relabel draw   # -> $SIDECAR_BENCH_CACHE/qqp_relabel/to_judge.jsonl
    (judge every pair into benchmarks/results/qqp_relabel_judgments.json)
    python -m benchmarks.qqp_relabel join   # -> benchmarks/results/qqp_relabel.json

`draw` reproduces the served decision of `benchmarks.cache_quality` (its `pair_report`,
`served_curve`, `guard_masks`, `served_mask`) on `qqp_dev_unseen_questions` at the shipped
verifier bar and at the served-curve point that gives `balanced_precision_at_recall_0.55` (the
highest bar whose recall is still >= 0.55). With a fixed seed it samples served label-0 pairs,
served label-1 pairs and not-served label-1 pairs at that point, and writes them shuffled as
{"key", "a", "b"} only: no label, no stratum, no score. Key = 1-based line number in
`pairs/qqp_dev.jsonl`. The file holds QQP text, so it stays outside the repo.

`join` refuses to run unless every sampled key is judged ("yes" / "no" / "unsure", with a
category and a reason for no/unsure; see docs/cache_quality.md "QQP label audit"), recomputes
the same sample, and writes the agreement matrix, the noise rates q0/q1 with Wilson intervals,
precision and balanced precision corrected with those rates at both points, and the served
pairs judged "no" grouped by category. Arithmetic: `benchmarks.relabel_stats`.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.cache_quality import (
    RESULTS,
    balanced_precision,
    guard_masks,
    pair_report,
    served_curve,
    served_mask,
    unseen_indices,
)
from benchmarks.relabel_stats import (
    VERDICTS,
    agreement,
    corrected_recall,
    precision_box,
    rate,
    tally,
)
from cache.train_verifier import (
    DATA_DIR,
    bench_cache_dir,
    embed_texts,
    load_qqp,
    offline_encoder,
    pr_at,
)
from cache.verifier import PairVerifier

SEED = 20261129
SAMPLE = {"served_label0": 150, "served_label1": 150, "missed_label1": 100}
RECALL_TARGET = 0.55
JUDGMENTS = RESULTS / "qqp_relabel_judgments.json"
CATEGORIES = ("entity", "scope", "asker", "intent", "relation", "time", "unclear")


@dataclass
class Setup:
    """The unseen-question dev subset and what the cache serves on it at both points."""

    keys: np.ndarray  # 1-based line numbers in qqp_dev.jsonl
    pairs: list[tuple[str, str, int]]
    y: np.ndarray
    bars: dict[str, float]
    served: dict[str, np.ndarray]


def evaluate() -> Setup:
    """Score the unseen subset exactly as `cache_quality.main` does and pick the two points."""
    verifier = PairVerifier.load()
    tc, tv = verifier.cosine_threshold, verifier.threshold
    pairs_dir = DATA_DIR / "pairs"
    dev = load_qqp(pairs_dir / "qqp_dev.jsonl")
    train_q = {t for a, b, _ in load_qqp(pairs_dir / "qqp_train.jsonl") for t in (a, b)}
    idx = unseen_indices(dev, train_q)
    pairs = [dev[i] for i in idx]
    vecs = embed_texts(offline_encoder("onnx"), [t for a, b, _ in pairs for t in (a, b)])
    report, score, cos, y = pair_report(pairs, vecs, verifier, tc, tv)
    curve = served_curve(pairs, score, cos, y, tc)
    row = max((r for r in curve["rows"] if r[3] >= RECALL_TARGET), key=lambda r: r[0])
    if row[2] != curve["balanced_precision_at_recall_0.55"]:
        raise RuntimeError("the R>=0.55 row is not the one served_curve reports")
    passed, bonus = guard_masks(pairs)
    served = {
        "shipped": report["_served"],
        "recall_0.55": served_mask(cos, passed, bonus, score, tc, row[0]),
    }
    if (served["shipped"] & ~served["recall_0.55"]).any():
        raise RuntimeError("the shipped bar serves a pair the lower bar does not")
    if balanced_precision(served["recall_0.55"], y) != row[2]:
        raise RuntimeError("served mask does not reproduce the served_curve row")
    bars = {"shipped": float(tv), "recall_0.55": float(row[0]), "cosine_gate": float(tc)}
    return Setup(np.array(idx) + 1, pairs, y, bars, served)


def strata(s: Setup) -> dict[str, np.ndarray]:
    """Positions (into the unseen subset) of each stratum at the R>=0.55 point."""
    at = s.served["recall_0.55"]
    return {
        "served_label0": np.flatnonzero(at & (s.y == 0)),
        "served_label1": np.flatnonzero(at & (s.y == 1)),
        "missed_label1": np.flatnonzero(~at & (s.y == 1)),
    }


def draw(s: Setup) -> dict[str, np.ndarray]:
    """The fixed-seed stratified sample (positions per stratum)."""
    rng = np.random.default_rng(SEED)
    return {
        name: np.sort(rng.choice(pos, size=min(SAMPLE[name], len(pos)), replace=False))
        for name, pos in strata(s).items()
    }


def write_to_judge(s: Setup, sample: dict[str, np.ndarray], path: Path) -> int:
    """Shuffled {"key", "a", "b"} lines: nothing that reveals a label or a stratum."""
    positions = [int(p) for pos in sample.values() for p in pos]
    random.Random(SEED).shuffle(positions)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for p in positions:
            a, b, _ = s.pairs[p]
            fh.write(json.dumps({"key": int(s.keys[p]), "a": a, "b": b}) + "\n")
    return len(positions)


def load_judgments(path: Path, keys: set[int]) -> dict[int, dict]:
    """Judgments for every sampled key, validated; a clear error otherwise."""
    if not path.exists():
        sys.exit(f"{path} does not exist: judge the pairs first (labels stay hidden until then)")
    raw = {int(k): v for k, v in json.loads(path.read_text())["judgments"].items()}
    missing, extra = keys - raw.keys(), raw.keys() - keys
    if missing or extra:
        sys.exit(f"judgments do not match the sample: {len(missing)} missing, {len(extra)} extra")
    for k, j in raw.items():
        if j["verdict"] not in VERDICTS:
            sys.exit(f"key {k}: verdict {j['verdict']!r} not in {VERDICTS}")
        if j["verdict"] != "yes" and (j.get("category") not in CATEGORIES or not j.get("reason")):
            sys.exit(f"key {k}: a no/unsure needs a category in {CATEGORIES} and a reason")
    return raw


def join(s: Setup, sample: dict[str, np.ndarray], judged: dict[int, dict]) -> dict:
    """Agreement, noise rates, corrected precision at both points, wrong hits by category."""
    verdict = {
        int(s.keys[p]): judged[int(s.keys[p])]["verdict"] for pos in sample.values() for p in pos
    }
    out: dict = {
        "seed": SEED,
        "bars": s.bars,
        "population": {k: len(v) for k, v in strata(s).items()},
    }
    out["sample"] = {k: len(v) for k, v in sample.items()}
    out["verdicts_per_stratum"] = {
        name: tally(verdict[int(s.keys[p])] for p in pos) for name, pos in sample.items()
    }
    served_pos = np.concatenate([sample["served_label0"], sample["served_label1"]])
    out["agreement_served"] = agreement(
        s.y[served_pos], [verdict[int(s.keys[p])] for p in served_pos]
    )
    w = float((s.y == 1).sum() / (s.y == 0).sum())
    out["points"] = {
        point: point_summary(s, sample, verdict, point, w) for point in ("shipped", "recall_0.55")
    }
    miss = [verdict[int(s.keys[p])] for p in sample["missed_label1"]]
    out["missed_label1_judged_not_duplicate"] = rate(miss, "no").as_dict()
    out["wrong_hits"] = wrong_hits(s, served_pos, judged)
    return out


def point_summary(
    s: Setup, sample: dict[str, np.ndarray], verdict: dict[int, str], point: str, w: float
) -> dict:
    """Measured and label-corrected precision / balanced precision at one operating point.

    The rates come from the sampled pairs served at this point (a random sample of its served
    label-0 / label-1 pairs, since the shipped bar serves a subset of the R>=0.55 point)."""
    at = s.served[point]
    tp, fp = int((at & (s.y == 1)).sum()), int((at & (s.y == 0)).sum())
    v0 = [verdict[int(s.keys[p])] for p in sample["served_label0"] if at[p]]
    v1 = [verdict[int(s.keys[p])] for p in sample["served_label1"] if at[p]]
    p, r = pr_at(at, s.y)
    out: dict = {"bar": s.bars[point], "served": tp + fp, "label1_served": tp, "label0_served": fp}
    out["measured"] = {
        "precision": p,
        "balanced_precision": balanced_precision(at, s.y),
        "recall": r,
    }
    for name, unsure in (("unsure_dropped", None), ("unsure_against", "no"), ("unsure_for", "yes")):
        r0 = rate(v0, "yes", unsure_as=unsure)
        r1 = rate(v1, "no", unsure_as=unsure)  # "no" raises q1, "yes" lowers it
        out[name] = {
            "q0": r0.as_dict(),
            "q1": r1.as_dict(),
            "precision": precision_box(tp, fp, r0, r1),
            "balanced_precision": precision_box(tp, fp, r0, r1, w),
        }
    if point == "recall_0.55":
        q1s = rate(v1, "no").value
        q1m = rate([verdict[int(s.keys[p])] for p in sample["missed_label1"]], "no").value
        missed = int((~at & (s.y == 1)).sum())
        out["recall_among_judged_duplicate_qqp_positives"] = corrected_recall(tp, missed, q1s, q1m)
    return out


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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=("draw", "join"))
    parser.add_argument(
        "--to-judge", type=Path, default=bench_cache_dir() / "qqp_relabel" / "to_judge.jsonl"
    )
    parser.add_argument("--judgments", type=Path, default=JUDGMENTS)
    parser.add_argument("--out", type=Path, default=RESULTS / "qqp_relabel.json")
    args = parser.parse_args(argv)
    s = evaluate()
    sample = draw(s)
    if args.step == "draw":
        n = write_to_judge(s, sample, args.to_judge)
        print(f"bars {s.bars}; wrote {n} unlabelled pairs to {args.to_judge}")
        return
    keys = {int(s.keys[p]) for pos in sample.values() for p in pos}
    result = join(s, sample, load_judgments(args.judgments, keys))
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps({k: result[k] for k in ("bars", "sample", "points")}, indent=1))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
