"""Cross-encoder hit verifier quality, on the same evaluations as `benchmarks.cache_quality`.

`python -m benchmarks.cross_verifier_quality` writes
`benchmarks/results/cross_verifier_quality.json`:
- qqp_dev (all 10,000 pairs; and the subset sharing no question with qqp_train): candidates are
  pairs with cosine >= the stored cosine threshold, a hit is a candidate the cross-encoder
  accepts; precision / recall against the labels, plus the curve over the cross threshold;
- PAWS held-out (never trained on): share of non-paraphrases clearing the cosine gate rejected;
- GPTCache mock replay (top-1 and fall-through top-4) and the gibberish test, reusing the
  functions of `benchmarks.cache_quality`;
- per-pair latency of `CrossVerifier.accept` (int8 ONNX, one intra-op thread, one pass);
- hand-written easy paraphrases and hard non-paraphrases with their scores;
- the current `PairVerifier` on the same pairs (reference) and "both must accept".
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from benchmarks.cache_quality import RESULTS, gibberish_test, gptcache_replay, pr_curve
from cache.cross_verifier import MODEL_FILE, CrossVerifier
from cache.train_verifier import (
    DATA_DIR,
    Pair,
    embed_texts,
    featurize,
    load_paws,
    load_qqp,
    offline_encoder,
    paws_split,
    pr_at,
)
from cache.verifier import PairVerifier

HAND_PAIRS: list[tuple[str, str, int]] = [
    ("What is the capital of France?", "What is the capital city of France?", 1),
    ("How do I reset my iPhone to factory settings?", "How can I factory reset my iPhone?", 1),
    ("How do I improve at drawing?", "How can I improve my drawing?", 1),
    ("What is the best way to learn Python?", "How should I learn Python?", 1),
    ("Flights from New York to London", "Flights from London to New York", 0),
    ("How do I convert Celsius to Fahrenheit?", "How do I convert Fahrenheit to Celsius?", 0),
    ("What is 15% of 200?", "What is 25% of 200?", 0),
    ("Is coffee bad for you?", "Is coffee not bad for you?", 0),
    ("What is the capital of France?", "What is the capital of Germany?", 0),
    ("How do buffalo meat and cow beef differ?", "How are buffalo meat and cow beef similar?", 0),
]


def gated(verifier: CrossVerifier, pairs: Sequence[Pair], cos: np.ndarray, tc: float) -> np.ndarray:
    """Cross scores of the candidates (cosine >= tc); -1 for pairs that are never candidates."""
    idx = np.flatnonzero(cos >= tc)
    out = np.full(len(pairs), -1.0, dtype=np.float32)
    out[idx] = verifier.score_pairs([(pairs[i][0], pairs[i][1]) for i in idx])
    return out


def _pr(accept: np.ndarray, y: np.ndarray) -> dict[str, float]:
    return dict(zip(("precision", "recall"), pr_at(accept, y), strict=True))


def pair_report(
    pairs: Sequence[Pair], vecs: dict, cross: CrossVerifier, pair_verifier: PairVerifier
) -> dict:
    """P/R of cross (serving policy and model alone), PairVerifier and both, with curves.

    Each verifier is gated by its own stored cosine threshold. "cross" is the serving policy
    (pairs over `max_length` word pieces are judged by the PairVerifier); "cross_model_only"
    scores the truncated pair instead. "both" requires cross and PairVerifier to accept.
    """
    tc, tv = cross.cosine_threshold, cross.threshold
    x, y, cos = featurize(pairs, vecs)
    cand = cos >= tc
    score = gated(cross, pairs, cos, tc)
    trunc = np.array(
        [bool(c) and cross.truncated(a, b) for (a, b, _), c in zip(pairs, cand, strict=True)]
    )
    pv = pair_verifier.score_features(x)
    pv_ok = pv >= pair_verifier.threshold
    pv_cand = cos >= pair_verifier.cosine_threshold
    serve = cand & np.where(trunc, pv_ok, score >= tv)
    neg_clear = cand & (y == 0)
    grid = np.round(np.arange(0.05, 1.0, 0.01), 3)
    cross_at_gate = np.where(cand, np.where(trunc, np.where(pv_ok, 1.0, -1.0), score), -1.0)
    return {
        "pairs": len(pairs),
        "positives": int(y.sum()),
        "candidates": int(cand.sum()),
        "candidates_truncated": int(trunc.sum()),
        "cosine_only_at_threshold": _pr(cand, y),
        "cross": _pr(serve, y),
        "cross_model_only": _pr(cand & (score >= tv), y),
        "pair_verifier_default": _pr(pv_cand & pv_ok, y),
        "cross_and_pair_verifier": _pr(serve & pv_ok, y),
        "negatives_clearing_cosine": int(neg_clear.sum()),
        "cross_rejects_of_those": float((~serve[neg_clear]).mean()) if neg_clear.any() else None,
        "pair_rejects_of_those": float((~pv_ok[neg_clear]).mean()) if neg_clear.any() else None,
        # [threshold, precision, recall]; the cross curves sweep the cross threshold.
        "cross_curve": pr_curve(cross_at_gate, y, grid),
        "pair_verifier_curve": pr_curve(np.where(pv_cand, pv, -1.0), y, grid),
        "both_curve_pair_at_default": pr_curve(np.where(pv_ok, cross_at_gate, -1.0), y, grid),
    }


def latency_ms(verifier: CrossVerifier, pairs: Sequence[Pair], vecs: dict, n: int = 500) -> dict:
    """p50 / p99 / mean of one `accept()` call (tokenize + one forward pass) in milliseconds."""
    times = []
    for a, b, _ in pairs[:n]:
        t0 = time.perf_counter()
        verifier.accept(a, vecs[a], b, vecs[b], float(vecs[a] @ vecs[b]))
        times.append(time.perf_counter() - t0)
    arr = np.array(times) * 1e3
    return {
        "pairs": len(arr),
        "p50": float(np.percentile(arr, 50)),
        "p99": float(np.percentile(arr, 99)),
        "mean": float(arr.mean()),
    }


def main(argv: list[str] | None = None) -> None:
    """Run all evaluations, write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--threshold", type=float, default=None, help="override cross threshold")
    args = parser.parse_args(argv)
    pair_verifier = PairVerifier.load()
    # Serving policy: pairs longer than the model's max_length go to the PairVerifier.
    bulk = CrossVerifier.load(threshold=args.threshold, threads=2, fallback=pair_verifier)
    serving = CrossVerifier.load(threshold=args.threshold, threads=1, fallback=pair_verifier)
    tc, tv = bulk.cosine_threshold, bulk.threshold
    encoder = offline_encoder("onnx")
    pairs_dir = DATA_DIR / "pairs"
    dev = load_qqp(pairs_dir / "qqp_dev.jsonl")
    train_q = {t for a, b, _ in load_qqp(pairs_dir / "qqp_train.jsonl") for t in (a, b)}
    dev_clean = [p for p in dev if p[0] not in train_q and p[1] not in train_q]
    _, paws_held = paws_split(load_paws(pairs_dir / "paws_qqp_train.tsv"))
    mock = json.loads((pairs_dir / "gptcache_mock_data.json").read_text())
    texts = [t for a, b, _ in dev + paws_held + HAND_PAIRS for t in (a, b)]
    vecs = embed_texts(encoder, texts + [t for m in mock for t in (m["origin"], m["similar"])])
    result: dict = {
        "model": {**bulk.meta, "file_mb": None},
        "operating_point": {"cosine_threshold": tc, "cross_threshold": tv},
    }
    result["model"]["file_mb"] = round(MODEL_FILE.stat().st_size / 1e6, 1)
    t0 = time.perf_counter()
    for name, pairs in (
        ("qqp_dev", dev),
        ("qqp_dev_unseen_questions", dev_clean),
        ("paws_heldout", paws_held),
    ):
        report = pair_report(pairs, vecs, bulk, pair_verifier)
        result[name] = report
        print(name, json.dumps({k: v for k, v in report.items() if "curve" not in k}), flush=True)
    result["scoring_seconds"] = round(time.perf_counter() - t0)
    result["gptcache_replay"] = gptcache_replay(bulk, tc, vecs)  # type: ignore[arg-type]
    real = list(
        dict.fromkeys([t for a, b, _ in dev for t in (a, b)][:6000] + [m["origin"] for m in mock])
    )
    result["gibberish"] = gibberish_test(bulk, tc, real, encoder)  # type: ignore[arg-type]
    result["latency_ms_int8_1thread"] = latency_ms(serving, dev, vecs)
    result["hand_pairs"] = [
        {
            "a": a,
            "b": b,
            "label": label,
            "cosine": round(float(vecs[a] @ vecs[b]), 3),
            "cross": round(serving.score(a, vecs[a], b, vecs[b], float(vecs[a] @ vecs[b])), 3),
            "pair_verifier": round(
                pair_verifier.score(a, vecs[a], b, vecs[b], float(vecs[a] @ vecs[b])), 3
            ),
        }
        for a, b, label in HAND_PAIRS
    ]
    print(
        json.dumps(
            {
                k: result[k]
                for k in ("gptcache_replay", "gibberish", "latency_ms_int8_1thread", "hand_pairs")
            },
            indent=1,
        )
    )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "cross_verifier_quality.json").write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {args.out / 'cross_verifier_quality.json'}")


if __name__ == "__main__":
    main()
