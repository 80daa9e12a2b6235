"""Does a text's vector (and so a cache decision) depend on what it was batched with?

`python -m benchmarks.batch_invariance` writes `benchmarks/results/batch_invariance.json`: for the
first N qqp_dev pairs, every text is encoded alone and inside shuffled batches of 16, by the int8
ONNX encoder as served (`per_row=True`), as a padded int8 batch (`per_row=False`) and as a padded
fp32 batch. Reported per mode: cosine between the alone and batched vector of the same text, how
many rows are bit-identical, and how many accept decisions (cosine gate + shipped verifier)
differ, with precision/recall of both. (fp32 rows are compared with fp32 alone: its decisions
are not the served int8 ones, the verifier was fitted on int8 vectors.)
"""

from __future__ import annotations

import argparse
import json
import os
import random
from pathlib import Path
from typing import Any

import numpy as np

from cache.encoders import OnnxEncoder
from cache.onnx_export import FP32_FILE, export
from cache.pair_data import DATA_DIR, load_qqp
from cache.verifier import PairVerifier
from sidecar.config import configured_model_dir

RESULTS = Path(__file__).resolve().parent / "results" / "batch_invariance.json"


def _vectors(enc: OnnxEncoder, texts: list[str], batch: int, seed: int) -> dict[str, np.ndarray]:
    order = texts[:]
    random.Random(seed).shuffle(order)
    out: dict[str, np.ndarray] = {}
    for i in range(0, len(order), batch):
        chunk = order[i : i + batch]
        out.update(zip(chunk, enc.encode(chunk), strict=True))
    return out


def _decisions(
    pairs: list[tuple[str, str, int]], vecs: dict[str, np.ndarray], verifier: PairVerifier
) -> list[bool]:
    out = []
    for a, b, _ in pairs:
        cos = float(vecs[a] @ vecs[b])
        out.append(
            cos >= verifier.cosine_threshold and verifier.accept(a, vecs[a], b, vecs[b], cos)
        )
    return out


def _pr(decisions: list[bool], labels: list[int]) -> dict[str, float]:
    tp = sum(d and y for d, y in zip(decisions, labels, strict=True))
    fp = sum(d and not y for d, y in zip(decisions, labels, strict=True))
    return {"precision": tp / max(1, tp + fp), "recall": tp / max(1, sum(labels))}


def run(n_pairs: int, batch: int, seed: int) -> dict[str, Any]:
    """Alone vs batched vectors and decisions for both encoder modes."""
    pairs = load_qqp(DATA_DIR / "pairs" / "qqp_dev.jsonl")[:n_pairs]
    labels = [y for *_, y in pairs]
    texts = sorted({t for a, b, _ in pairs for t in (a, b)})
    model = export(configured_model_dir(os.environ))  # reuses an exported model
    verifier = PairVerifier.load()
    result: dict[str, Any] = {"pairs": len(pairs), "texts": len(texts), "batch": batch}
    modes = (
        ("per_row (served)", model, True),
        ("padded batch", model, False),
        ("padded fp32 batch", model.with_name(FP32_FILE), False),
    )
    for mode, path, per_row in modes:
        enc = OnnxEncoder(path, per_row=per_row)
        alone = {t: enc.encode([t])[0] for t in texts}
        batched = _vectors(enc, texts, batch, seed)
        cos = np.array([float(alone[t] @ batched[t]) for t in texts])
        d_alone = _decisions(pairs, alone, verifier)
        d_batch = _decisions(pairs, batched, verifier)
        result[mode] = {
            "cosine_alone_vs_batched": {"min": float(cos.min()), "mean": float(cos.mean())},
            "bit_identical_rows": sum(np.array_equal(alone[t], batched[t]) for t in texts),
            "decisions_flipped": sum(x != y for x, y in zip(d_alone, d_batch, strict=True)),
            "accepted_alone": sum(d_alone),
            "accepted_batched": sum(d_batch),
            "alone": _pr(d_alone, labels),
            "batched": _pr(d_batch, labels),
        }
    return result


def main(argv: list[str] | None = None) -> None:
    """CLI entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=3000, help="first N qqp_dev pairs")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    result = run(args.pairs, args.batch, args.seed)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
