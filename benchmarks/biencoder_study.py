"""Study: does contrastive fine-tuning of the packaged MiniLM buy precision/recall on unseen pairs?

`python -m benchmarks.biencoder_study --label base` (the packaged all-MiniLM-L6-v2) and
`--label tuned --model DIR` (a directory written by `cache/train_biencoder.py`) each merge one
block into `benchmarks/results/biencoder_study.json`. Both run the packaged torch fp32 encoding
(mean pooling, L2-normalized, 1 thread), so the only difference is the weights. Per model:
- cosine alone on qqp_dev, its unseen-question subset (no question in qqp_train) and the PAWS
  held-out part (`paws_split`, never trained on): ROC AUC, [threshold, precision, balanced
  precision, recall] rows, balanced precision at recall 0.55 and recall at balanced precision
  0.97 (cache_quality's `pr_curve` / `balanced_precision`), and the PAWS negatives clearing the
  cosine threshold that gives recall 0.55 on the unseen subset;
- with `--verifier-pairs N`: the hit verifier retrained on this model's embeddings with
  `cache/train_verifier.py`'s data (a fixed sample of N pairs: the full set takes ~1 h to
  embed on one shared core), fit and average (weights under `$SIDECAR_BENCH_CACHE`, never
  `cache/data`), evaluated by cache_quality's `pair_report` / `served_curve` (gate 0.74, slot
  guard, anchor bonus) at the shipped bar;
- the app-shaped suite's trials (`cache_adversarial.trials`): cosine of each rewording to its own
  stored prompt vs best cosine of each slot-differing prompt to any stored prompt (AUC);
- encode time per text (one short question, one call, 1 thread).
Embeddings are cached under `$SIDECAR_BENCH_CACHE` (`emb-<encoder name>.npz`).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.cache_quality import balanced_precision, pair_report, pr_curve, served_curve
from benchmarks.embed_bench import auc
from cache.encoders import DIM, FAMILY, MAX_LENGTH, Encoder, TorchEncoder
from cache.pair_data import (
    DATA_DIR,
    Pair,
    bench_cache_dir,
    embed_texts,
    load_paws,
    load_qqp,
    paws_split,
)
from cache.text import cache_text
from cache.train_synthetic import SEED
from cache.train_verifier import (
    COSINE_GATE,
    HARD,
    SHIP_THRESHOLD,
    average,
    featurize,
    fit,
    pr_at,
    training_pairs,
)
from cache.verifier import FEATURE_VERSION, PairVerifier

RESULTS = Path(__file__).resolve().parent / "results" / "biencoder_study.json"
GRID = np.round(np.arange(0.30, 1.0, 0.005), 3)
GATE = COSINE_GATE  # the shipped cosine gate (0.74)


class TunedEncoder:
    """A fine-tuned sentence-transformers directory, encoded exactly like `TorchEncoder`."""

    family = FAMILY
    dim = DIM
    per_row = False

    def __init__(self, path: Path) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(1)
        digest = hashlib.sha1((path / "model.safetensors").read_bytes()).hexdigest()[:10]
        self.name = f"{FAMILY}/torch-fp32-tuned-{digest}"
        self._model = SentenceTransformer(str(path), device="cpu")
        self._model.max_seq_length = MAX_LENGTH

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Encode a batch into normalized float32 vectors."""
        out = self._model.encode(
            list(texts), batch_size=max(1, len(texts)), normalize_embeddings=True
        )
        return np.asarray(out, dtype=np.float32)


def eval_sets(data: Path) -> dict[str, list[Pair]]:
    """qqp_dev, its subset sharing no question with qqp_train, and the PAWS held-out part."""
    pairs = data / "pairs"
    dev = load_qqp(pairs / "qqp_dev.jsonl")
    train_q = {t for a, b, _ in load_qqp(pairs / "qqp_train.jsonl") for t in (a, b)}
    unseen = [p for p in dev if p[0] not in train_q and p[1] not in train_q]
    _, paws_held = paws_split(load_paws(pairs / "paws_qqp_train.tsv"))
    return {"qqp_dev": dev, "qqp_dev_unseen_questions": unseen, "paws_heldout": paws_held}


def cosine_report(cos: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """Cosine alone: AUC, curve rows [t, P, balanced P, R] and the two issue-12 summaries."""
    rows = [[t, p, balanced_precision(cos >= t, y), r] for t, p, r in pr_curve(cos, y, GRID)]
    at_recall = [row for row in rows if row[3] >= 0.55]
    at_precision = [row[3] for row in rows if row[2] >= 0.97]
    best = max(at_recall, key=lambda row: row[2], default=None)
    return {
        "pairs": len(y),
        "positives": int(y.sum()),
        "auc": auc(cos, y),
        "balanced_precision_at_recall_0.55": best[2] if best else None,
        "threshold_of_that": best[0] if best else None,
        "recall_at_balanced_precision_0.97": max(at_precision, default=None),
        "at_gate_0.74": dict(zip(("precision", "recall"), pr_at(cos >= GATE, y), strict=True)),
        "curve": rows,
    }


def cosine_block(sets: dict[str, list[Pair]], vecs: dict[str, np.ndarray]) -> dict[str, Any]:
    """`cosine_report` per evaluation set, plus PAWS negatives served at the unseen R0.55 point."""
    out: dict[str, Any] = {}
    for name, pairs in sets.items():
        y, cos = _labels_cos(pairs, vecs)
        out[name] = cosine_report(cos, y)
    t = out["qqp_dev_unseen_questions"]["threshold_of_that"]
    y, cos = _labels_cos(sets["paws_heldout"], vecs)
    out["paws_negatives_served_at_unseen_r055_threshold"] = (
        float((cos[y == 0] >= t).mean()) if t is not None else None
    )
    return out


def _labels_cos(pairs: Sequence[Pair], vecs: dict[str, np.ndarray]) -> tuple[np.ndarray, ...]:
    y = np.array([label for _, _, label in pairs])
    cos = np.array([float(vecs[a] @ vecs[b]) for a, b, _ in pairs], dtype=np.float32)
    return y, cos


def retrain_verifier(
    encoder: Encoder, vecs: dict[str, np.ndarray], train: list[Pair], out: Path
) -> PairVerifier:
    """The hit verifier refit on this encoder's vectors (train_verifier's data, fit, average)."""
    t0 = time.perf_counter()
    x, y, _ = featurize(train, vecs)
    weights = average([fit(x, y, hidden=h) for h in (64, 128)])
    print(f"verifier fit on {x.shape} in {time.perf_counter() - t0:.0f} s")
    meta: dict[str, Any] = {
        "feature_version": np.int64(FEATURE_VERSION),
        "family": np.str_(encoder.family),
        "encoder": np.str_(encoder.name),
        "cosine_threshold": np.float32(GATE),
        "threshold": np.float32(SHIP_THRESHOLD or 0.82),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, **{k: v.astype(np.float32) for k, v in weights.items()}, **meta)
    return PairVerifier({**weights, **meta})


def verifier_block(
    sets: dict[str, list[Pair]], vecs: dict[str, np.ndarray], verifier: PairVerifier
) -> dict[str, Any]:
    """cache_quality's served report and served curve (gate 0.74, guard, bonus, the bar)."""
    out: dict[str, Any] = {}
    tc, tv = verifier.cosine_threshold, verifier.threshold
    for name, pairs in sets.items():
        report, score, cos, y = pair_report(pairs, vecs, verifier, tc, tv)
        report.pop("_served"), report.pop("_bar")
        curve = served_curve(pairs, score, cos, y, tc)
        report["served_curve"] = curve
        out[name] = report
    return out


def app_suite(encoder: Encoder) -> dict[str, Any]:
    """Cosine of rewordings to their own stored prompt vs slot-differing prompts' best cosine."""
    from benchmarks.adversarial_families import FAMILIES
    from benchmarks.cache_adversarial import SEEDS, trials

    scopes = []
    for family in FAMILIES:
        for seed in SEEDS:
            texts, asked = trials(family, seed, 12)
            scopes.append((texts, list(asked)))
    every = [cache_text(t) for texts, items in scopes for t in texts + [q for _, q, _ in items]]
    vecs = embed_texts(encoder, every)
    pos: list[float] = []
    neg: list[float] = []
    top1 = 0
    for texts, items in scopes:
        stored = np.stack([vecs[cache_text(t)] for t in texts])
        for _, query, own in items:
            sims = stored @ vecs[cache_text(query)]
            if own is None:
                neg.append(float(sims.max()))
                continue
            pos.append(float(sims[own]))
            top1 += int(np.argmax(sims) == own)
    p, n = np.array(pos), np.array(neg)
    y = np.r_[np.ones(len(p)), np.zeros(len(n))]
    return {
        "rewordings": len(p),
        "slot_differing": len(n),
        "auc": auc(np.r_[p, n], y),
        "rewording_own_prompt_is_top1": top1 / len(p),
        "rewording_cosine_ge_0.74": float((p >= GATE).mean()),
        "slot_differing_best_cosine_ge_0.74": float((n >= GATE).mean()),
        "rewording_cosine_median": float(np.median(p)),
        "slot_differing_best_cosine_median": float(np.median(n)),
    }


def encode_ms(encoder: Encoder, texts: Sequence[str]) -> dict[str, float]:
    """One text per call, torch fp32, 1 thread: p50 / p90 milliseconds."""
    encoder.encode(list(texts[:4]))
    times = []
    for text in texts:
        t0 = time.perf_counter()
        encoder.encode([text])
        times.append((time.perf_counter() - t0) * 1000)
    return {"p50_ms": float(np.percentile(times, 50)), "p90_ms": float(np.percentile(times, 90))}


def evaluate(encoder: Encoder, data: Path, verifier_pairs: int | None) -> dict[str, Any]:
    """Every evaluation of one encoder; the verifier is retrained on a fixed random sample of
    `verifier_pairs` training pairs (0: not retrained; the same sample for every encoder)."""
    sets = eval_sets(data)
    train = training_pairs(data, HARD) if verifier_pairs != 0 else []
    if verifier_pairs and verifier_pairs < len(train):
        train = random.Random(SEED).sample(train, verifier_pairs)
    texts = [t for rows in (*sets.values(), train) for a, b, _ in rows for t in (a, b)]
    vecs = embed_texts(encoder, texts)
    out: dict[str, Any] = {"encoder": encoder.name, "cosine_only": cosine_block(sets, vecs)}
    if train:
        path = bench_cache_dir() / "biencoder" / f"verifier-{encoder.name.replace('/', '_')}.npz"
        verifier = retrain_verifier(encoder, vecs, train, path)
        out["verifier_retrained"] = {
            "weights": str(path),
            "training_pairs": len(train),
            **verifier_block(sets, vecs, verifier),
        }
    out["app_suite"] = app_suite(encoder)
    out["encode_one_text"] = encode_ms(encoder, [a for a, _, _ in sets["qqp_dev"][:300]])
    return out


def loss_summary(log: list[list[float]], every: int = 50) -> list[list[float]]:
    """[first step, seconds at its end, mean CoSENT, mean MNRL] per `every` training steps."""
    out = []
    for i in range(0, len(log), every):
        chunk = np.array(log[i : i + every])
        out.append([int(chunk[0, 0]), float(chunk[-1, 1]), *map(float, chunk[:, 2:].mean(0))])
    return out


def paws_matched(block: dict[str, Any], paws_served: float) -> dict[str, float] | None:
    """The retrained verifier at its lowest bar serving at most `paws_served` of the PAWS
    held-out negatives: that bar and the unseen-question subset's P / balanced P / R there."""
    v = block.get("verifier_retrained")
    if not v:
        return None
    paws = v["paws_heldout"]
    pos, neg = paws["positives"], paws["pairs"] - paws["positives"]
    unseen = {row[0]: row for row in v["qqp_dev_unseen_questions"]["served_curve"]["rows"]}
    for bar, p, _, r in paws["served_curve"]["rows"]:  # bars ascending
        served = r * pos / p if p > 0 else 0.0
        if (served - r * pos) / neg <= paws_served + 1e-9:  # float noise of the derivation
            _, up, ubp, ur = unseen[bar]
            return {"bar": bar, "precision": up, "balanced_precision": ubp, "recall": ur}
    return None


def compare(base: dict[str, Any], tuned: dict[str, Any]) -> dict[str, Any]:
    """Both retrained verifiers at the PAWS-served level of the base one at the shipped bar."""
    if "verifier_retrained" not in base or "verifier_retrained" not in tuned:
        return {}
    level = base["verifier_retrained"]["paws_heldout"]["served_guard_and_verifier"]
    share = level["negatives_served_share"]
    return {
        "paws_negatives_served": share,
        "base": paws_matched(base, share),
        "tuned": paws_matched(tuned, share),
    }


def main(argv: list[str] | None = None) -> None:
    """Evaluate one model and merge its block into the results file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label", required=True, help="key of this model's block, e.g. base")
    parser.add_argument("--model", type=Path, default=None, help="tuned model dir (else base)")
    parser.add_argument(
        "--verifier-pairs",
        type=int,
        default=0,
        help="retrain the verifier on this many sampled training pairs (0: skip, -1: all)",
    )
    parser.add_argument("--data", type=Path, default=DATA_DIR)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    encoder: Encoder = TunedEncoder(args.model) if args.model else TorchEncoder()
    t0 = time.perf_counter()
    n = args.verifier_pairs
    block = evaluate(encoder, args.data, None if n < 0 else n)
    block["eval_seconds"] = round(time.perf_counter() - t0)
    if args.model and (args.model / "train_log.json").exists():
        log = json.loads((args.model / "train_log.json").read_text())
        log["log"] = loss_summary(log["log"])
        block["training"] = log
    result = json.loads(args.out.read_text()) if args.out.exists() else {}
    result["machine"] = "2 cores shared with 4-5 other agents; torch fp32, 1 thread, nice 19"
    result[args.label] = block
    if "base" in result and "tuned" in result:
        result["verifier_at_equal_paws_served"] = compare(result["base"], result["tuned"])
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    for name, rep in block["cosine_only"].items():
        brief = {k: v for k, v in rep.items() if k != "curve"} if isinstance(rep, dict) else rep
        print(name, brief)
    print("app_suite", block["app_suite"], "encode", block["encode_one_text"])
    print(f"wrote {args.out} [{args.label}]")


if __name__ == "__main__":
    main()
