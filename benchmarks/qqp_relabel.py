"""Blind relabel audit of unseen-style QQP: how much of the precision gap is label noise?

Steps, run in order (the labels are never shown before the judgments exist):

    python -m benchmarks.qqp_relabel draw --round 1   # -> $SIDECAR_BENCH_CACHE/qqp_relabel/
    python -m benchmarks.qqp_relabel draw --round 2   #    to_judge_round{1,2}.jsonl
    (judge every pair into benchmarks/results/qqp_relabel_judgments.json)
    python -m benchmarks.qqp_relabel join             # -> benchmarks/results/qqp_relabel.json

`draw` reproduces the served decision of `benchmarks.cache_quality` (its `pair_report`,
`served_curve`, `guard_masks`, `served_mask`) on `qqp_dev_unseen_questions` at the shipped
verifier bar and at the served-curve point that gives `balanced_precision_at_recall_0.55` (the
highest bar whose recall is still >= 0.55). With fixed seeds it samples, at that point, served
label-0 pairs (QQP "false hits"), served label-1 pairs and not-served label-1 pairs (round 1),
then more not-served label-1 and not-served label-0 pairs (round 2, for the recall side), and
writes each round shuffled as {"key", "a", "b"} only: no label, stratum or score. Key = 1-based
line number in `pairs/qqp_dev.jsonl`. The files hold QQP text, so they stay outside the repo.

`join` refuses to run unless every sampled key is judged ("yes" / "no" / "unsure", with a
category and a reason for no/unsure; guidelines in docs/cache_quality.md "QQP label audit"),
recomputes the same sample and writes `benchmarks.relabel_report.join`'s result.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
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
from benchmarks.relabel_report import Sample, Setup, join, strata
from benchmarks.relabel_stats import VERDICTS
from cache.pair_data import DATA_DIR, bench_cache_dir, embed_texts, load_qqp, offline_encoder
from cache.verifier import PairVerifier

SEED = 20261129
ROUNDS = (  # per round: stratum -> pairs drawn (round 2 draws from what round 1 left)
    {"served_label0": 150, "served_label1": 150, "missed_label1": 100},
    {"missed_label1": 100, "missed_label0": 100},
)
RECALL_TARGET = 0.55
JUDGMENTS = RESULTS / "qqp_relabel_judgments.json"
CATEGORIES = ("entity", "scope", "asker", "intent", "relation", "time", "unclear", "unrelated")


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

    def mask_at(bar: float) -> np.ndarray:
        return served_mask(cos, passed, bonus, score, tc, bar)

    served = {"shipped": report["_served"], "recall_0.55": mask_at(row[0])}
    if (served["shipped"] & ~served["recall_0.55"]).any():
        raise RuntimeError("the shipped bar serves a pair the lower bar does not")
    if balanced_precision(served["recall_0.55"], y) != row[2]:
        raise RuntimeError("served mask does not reproduce the served_curve row")
    bars = {"shipped": float(tv), "recall_0.55": float(row[0]), "cosine_gate": float(tc)}
    curve_bars = [r[0] for r in curve["rows"]]
    return Setup(np.array(idx) + 1, pairs, y, bars, served, mask_at, curve_bars)


def draw(s: Setup) -> list[Sample]:
    """The fixed-seed stratified sample of each round (positions per stratum); a round never
    redraws a pair an earlier round took."""
    pools, rounds = strata(s), []
    for r, sizes in enumerate(ROUNDS):
        rng = np.random.default_rng(SEED + r)
        drawn: Sample = {}
        for name, size in sizes.items():
            pick = rng.choice(pools[name], size=min(size, len(pools[name])), replace=False)
            drawn[name] = np.sort(pick)
            pools[name] = np.setdiff1d(pools[name], pick)
        rounds.append(drawn)
    return rounds


def merged(rounds: list[Sample]) -> Sample:
    """All rounds' positions per stratum."""
    out: dict[str, list[np.ndarray]] = {}
    for drawn in rounds:
        for name, pos in drawn.items():
            out.setdefault(name, []).append(pos)
    return {name: np.sort(np.concatenate(parts)) for name, parts in out.items()}


def write_to_judge(s: Setup, drawn: Sample, seed: int, path: Path) -> int:
    """Shuffled {"key", "a", "b"} lines: nothing that reveals a label or a stratum."""
    positions = [int(p) for pos in drawn.values() for p in pos]
    random.Random(seed).shuffle(positions)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for p in positions:
            a, b, _ = s.pairs[p]
            fh.write(json.dumps({"key": int(s.keys[p]), "a": a, "b": b}) + "\n")
    return len(positions)


def load_judgments(path: Path, keys: set[int]) -> dict[int, dict[str, str]]:
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=("draw", "join"))
    parser.add_argument("--round", type=int, default=1, choices=range(1, len(ROUNDS) + 1))
    parser.add_argument("--to-judge-dir", type=Path, default=bench_cache_dir() / "qqp_relabel")
    parser.add_argument("--judgments", type=Path, default=JUDGMENTS)
    parser.add_argument("--out", type=Path, default=RESULTS / "qqp_relabel.json")
    args = parser.parse_args(argv)
    s = evaluate()
    rounds = draw(s)
    if args.step == "draw":
        path = args.to_judge_dir / f"to_judge_round{args.round}.jsonl"
        n = write_to_judge(s, rounds[args.round - 1], SEED + args.round - 1, path)
        print(f"bars {s.bars}; wrote {n} unlabelled pairs to {path}")
        return
    sample = merged(rounds)
    keys = {int(s.keys[p]) for pos in sample.values() for p in pos}
    result = {"seed": SEED, "rounds": [{k: len(v) for k, v in r.items()} for r in rounds]}
    result |= join(s, sample, load_judgments(args.judgments, keys))
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps({k: result[k] for k in ("bars", "sample", "points")}, indent=1))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
