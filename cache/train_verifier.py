"""Train the hit verifier: `python -m cache.train_verifier [--data DIR] [--out FILE]`.

Trains only on `pairs/*train*`: QQP train (minus pairs that share a question with qqp_dev, so dev
stays an honest proxy for the unseen split), PAWS-QQP train (minus a fixed held-out 20%, split by
sentence bag-of-words so word-swap siblings never straddle it), MRPC train, plus synthetic hard
negatives made from the training questions (changed number, inserted negation, swapped entity)
and gibberish / random-word pairs. Reproducible (fixed seed). Embeddings come from the serving
encoder and are cached under `$SIDECAR_BENCH_CACHE` (default `/work/.bench-cache`). The operating
point (cosine + verifier threshold) is chosen on qqp_dev and the PAWS held-out part and stored
with the weights, together with the feature version and model family. The data sets are read by
`cache/pair_data.py`, the synthetic pairs made by `cache/train_synthetic.py` and
`cache/train_templates.py`; this module trains, picks the operating point and writes the file.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from cache.pair_data import (
    DATA_DIR,
    Pair,
    embed_texts,
    load_mrpc,
    load_paws,
    load_qqp,
    offline_encoder,
    paws_split,
)
from cache.train_synthetic import SEED, synthetic_pairs, vocab_words
from cache.train_templates import question_pairs, template_pairs
from cache.verifier import DEFAULT_PATH, FEATURE_VERSION, PairVerifier, pair_features

HARD = (400, 5000, 2500)  # training-template pairs per family, class-word swaps, synonym swaps
COSINE_GATE = 0.74  # fixed: reworded app templates often embed at cosine 0.74-0.85
# The verifier bar shipped (None = `choose_operating_point`'s pick). Rule (feature version 4):
# the lowest bar with no wrong hit on the app-shaped suite (benchmarks/cache_adversarial.py,
# replayed by benchmarks/verifier_sweep.py) plus a 0.03 margin: 0.77 + 0.03. The blind suite
# (benchmarks/blind_families.py) was not looked at while choosing.
SHIP_THRESHOLD: float | None = 0.80


def featurize(pairs: Sequence[Pair], vecs: dict[str, np.ndarray]) -> tuple[np.ndarray, ...]:
    """(X, y, cosine) for pairs whose texts are all in `vecs`."""
    rows, labels, cosines = [], [], []
    for a, b, label in pairs:
        u, v = vecs[a], vecs[b]
        cos = float(u @ v)
        rows.append(pair_features(a, u, b, v, cos))
        labels.append(label)
        cosines.append(cos)
    return np.stack(rows), np.asarray(labels), np.asarray(cosines, dtype=np.float32)


def training_pairs(data: Path, hard: tuple[int, int, int] = (0, 0, 0)) -> list[Pair]:
    """All training pairs: QQP (dev questions removed), PAWS train part, MRPC, synthetic;
    `hard` = (pairs per training template family, class-word swaps, synonym swaps) from
    `cache/train_templates.py`."""
    pairs = data / "pairs"
    dev_questions = {t for a, b, _ in load_qqp(pairs / "qqp_dev.jsonl") for t in (a, b)}
    qqp = [
        p
        for p in load_qqp(pairs / "qqp_train.jsonl")
        if p[0] not in dev_questions and p[1] not in dev_questions
    ]
    paws_train, _ = paws_split(load_paws(pairs / "paws_qqp_train.tsv"))
    mrpc = load_mrpc(pairs / "mrpc_train.tsv")
    questions = sorted({t for a, b, _ in qqp for t in (a, b)})
    synth = synthetic_pairs(questions, vocab_words())
    rng = random.Random(SEED + 1)
    synth += template_pairs(rng, hard[0]) + question_pairs(questions, rng, hard[1], hard[2])
    print(
        f"train pairs: qqp {len(qqp)}, paws {len(paws_train)}, mrpc {len(mrpc)}, "
        f"synthetic {len(synth)}"
    )
    return qqp + paws_train + mrpc + synth


def fit(
    x: np.ndarray, y: np.ndarray, *, hidden: int = 64, seed: int = SEED
) -> dict[str, np.ndarray]:
    """Standardize + one-hidden-layer MLP (sklearn at train time); return numpy weights."""
    from sklearn.neural_network import MLPClassifier

    mean = x.mean(axis=0)
    scale = np.maximum(x.std(axis=0), 1e-6)
    mlp = MLPClassifier(
        hidden_layer_sizes=(hidden,),
        alpha=1e-3,
        batch_size=256,
        learning_rate_init=1e-3,
        max_iter=40,
        early_stopping=True,
        n_iter_no_change=4,
        random_state=seed,
    )
    mlp.fit((x - mean) / scale, y)
    return {
        "mean": mean,
        "scale": scale,
        "w1": mlp.coefs_[0],
        "b1": mlp.intercepts_[0],
        "w2": mlp.coefs_[1],
        "b2": mlp.intercepts_[1],
    }


def average(models: Sequence[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """One one-hidden-layer MLP whose logit is the mean of the given MLPs' logits (same
    standardization): their hidden layers side by side, output weights divided by their count.
    The serving code stays one numpy forward pass."""
    n = len(models)
    return {
        "mean": models[0]["mean"],
        "scale": models[0]["scale"],
        "w1": np.concatenate([m["w1"] for m in models], axis=1),
        "b1": np.concatenate([m["b1"] for m in models]),
        "w2": np.concatenate([m["w2"] / n for m in models], axis=0),
        "b2": np.mean([m["b2"] for m in models], axis=0),
    }


def pr_at(accept: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(precision, recall) of accepted pairs against labels."""
    tp = float((accept & (y == 1)).sum())
    return tp / max(float(accept.sum()), 1.0), tp / max(float((y == 1).sum()), 1.0)


def choose_operating_point(
    dev: tuple[np.ndarray, np.ndarray, np.ndarray],
    paws: tuple[np.ndarray, np.ndarray, np.ndarray],
    *,
    min_precision: float = 0.96,
    min_recall: float = 0.40,
    min_paws_reject: float = 0.90,
    cosine_gates: Sequence[float] = (COSINE_GATE,),
) -> tuple[float, float]:
    """The (cosine, verifier) thresholds to ship, from qqp_dev and the PAWS held-out part.

    Each argument is (verifier score, cosine, label). With PAWS-negative rejection held at
    `min_paws_reject` (margin over the 0.80 target) and recall >= `min_recall`: max recall at
    precision >= `min_precision` if any point reaches it; else (QQP's label noise caps
    precision near 0.9, see docs/cache_quality.md) max precision. The cosine gate is fixed
    (`COSINE_GATE`): a higher gate bought QQP precision with app-template rewordings.
    """
    by_recall: tuple[float, float, float] = (-1.0, 0.0, 0.0)
    by_precision: tuple[float, float, float] = (-1.0, 0.80, 0.5)
    for tc in cosine_gates:
        paws_neg = (paws[1] >= tc) & (paws[2] == 0)
        for tv in np.round(np.arange(0.30, 0.995, 0.01), 2):
            reject = float((paws[0][paws_neg] < tv).mean()) if paws_neg.any() else 1.0
            if reject < min_paws_reject:
                continue
            precision, recall = pr_at((dev[1] >= tc) & (dev[0] >= tv), dev[2])
            if recall < min_recall:
                continue
            if precision >= min_precision and recall > by_recall[0]:
                by_recall = (recall, float(tc), float(tv))
            if precision > by_precision[0]:
                by_precision = (precision, float(tc), float(tv))
    best = by_recall if by_recall[0] >= 0 else by_precision
    return best[1], best[2]


def main(argv: list[str] | None = None) -> None:
    """Train, pick the operating point, write the weights file."""
    parser = argparse.ArgumentParser(description="train the cache hit verifier")
    parser.add_argument("--data", type=Path, default=DATA_DIR)
    parser.add_argument("--out", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--backend", default="onnx", help="encoder: onnx (serving) or torch")
    parser.add_argument("--hidden", type=int, nargs="+", default=[64, 128])
    parser.add_argument("--threshold", type=float, default=SHIP_THRESHOLD)
    parser.add_argument(
        "--hard", type=int, nargs=3, default=HARD, metavar=("PER_FAMILY", "SWAPS", "SYNONYMS")
    )
    args = parser.parse_args(argv)
    np.random.seed(SEED)
    encoder = offline_encoder(args.backend)
    train = training_pairs(args.data, tuple(args.hard))
    dev = load_qqp(args.data / "pairs" / "qqp_dev.jsonl")
    _, paws_held = paws_split(load_paws(args.data / "pairs" / "paws_qqp_train.tsv"))
    vecs = embed_texts(encoder, (t for a, b, _ in train + dev + paws_held for t in (a, b)))
    t0 = time.perf_counter()
    x, y, _ = featurize(train, vecs)
    print(f"features {x.shape} in {time.perf_counter() - t0:.0f} s")
    t0 = time.perf_counter()
    weights = average([fit(x, y, hidden=h) for h in args.hidden])
    print(f"fit in {time.perf_counter() - t0:.0f} s")
    meta: dict[str, Any] = {
        "feature_version": np.int64(FEATURE_VERSION),
        "family": np.str_(encoder.family),
        "encoder": np.str_(encoder.name),
        "seed": np.int64(SEED),
        "cosine_threshold": np.float32(0.0),
        "threshold": np.float32(0.5),
    }
    model = PairVerifier({**weights, **meta})
    scored = []
    for pairs in (dev, paws_held):
        xs, ys, cs = featurize(pairs, vecs)
        scored.append((model.score_features(xs), cs, ys))
    tc, tv = choose_operating_point(scored[0], scored[1])
    print(f"chosen by the qqp_dev/PAWS rule: cosine >= {tc}, verifier >= {tv}")
    tv = tv if args.threshold is None else args.threshold
    p, r = pr_at((scored[0][1] >= tc) & (scored[0][0] >= tv), scored[0][2])
    print(f"operating point: cosine >= {tc}, verifier >= {tv}: qqp_dev P {p:.3f} R {r:.3f}")
    meta.update(cosine_threshold=np.float32(tc), threshold=np.float32(tv))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, Any] = {k: np.asarray(v, dtype=np.float32) for k, v in weights.items()}
    np.savez_compressed(args.out, **arrays, **meta)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
