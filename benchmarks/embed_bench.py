"""Torch vs ONNX int8 MiniLM: latency, throughput, agreement and QQP AUC.

`python -m benchmarks.embed_bench` writes `benchmarks/results/embed_bench.json`: per short prompt
latency p50/p99 at batch 1 (one intra-op thread, as served), throughput at batch 32, cosine of
int8 vs fp32 torch vectors of the same text, and the qqp_dev AUC of plain cosine per backend.
Serving rule: ONNX int8 if its AUC is within 0.01 of torch.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from cache.encoders import Encoder, OnnxEncoder, TorchEncoder
from cache.onnx_export import FP32_FILE, export
from cache.pair_data import DATA_DIR, embed_texts, load_qqp
from sidecar.config import configured_model_dir

RESULTS = Path(__file__).resolve().parent / "results" / "embed_bench.json"


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """ROC AUC via the rank-sum statistic (ties get average ranks)."""
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    i = 0
    while i < len(scores):
        j = i
        while j + 1 < len(scores) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    pos = labels == 1
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def latency(encoder: Encoder, texts: list[str]) -> dict[str, float]:
    """Per-call latency of one short prompt (ms)."""
    encoder.encode(texts[:4])
    times = []
    for text in texts:
        t0 = time.perf_counter()
        encoder.encode([text])
        times.append((time.perf_counter() - t0) * 1000)
    return {"p50_ms": float(np.percentile(times, 50)), "p99_ms": float(np.percentile(times, 99))}


def throughput(encoder: Encoder, texts: list[str], batch: int = 32) -> float:
    """Texts per second encoding batches of `batch`."""
    t0 = time.perf_counter()
    n = 0
    for i in range(0, len(texts) - batch + 1, batch):
        encoder.encode(texts[i : i + batch])
        n += batch
    return n / (time.perf_counter() - t0)


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and write the JSON result."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-latency", type=int, default=300)
    parser.add_argument("--auc-pairs", type=int, default=3000, help="first N qqp_dev pairs")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    dev = load_qqp(DATA_DIR / "pairs" / "qqp_dev.jsonl")[: args.auc_pairs]
    questions = list(dict.fromkeys(t for a, b, _ in dev for t in (a, b)))
    short = [q for q in questions if len(q) < 120][: args.n_latency]
    int8_file = export(configured_model_dir(os.environ))  # reuses an exported model
    encoders: dict[str, Encoder] = {
        "torch-fp32": TorchEncoder(),
        "onnx-int8": OnnxEncoder(int8_file),
        "onnx-fp32": OnnxEncoder(int8_file.with_name(FP32_FILE)),
    }
    labels = np.array([y for _, _, y in dev])
    result: dict[str, object] = {
        "machine": platform.processor() or platform.machine(),
        "auc_pairs": len(dev),
        "threads": 1,
    }
    ref = encoders["torch-fp32"].encode(short)
    for key, enc in encoders.items():
        vecs = embed_texts(enc, questions)
        cos = np.array([float(vecs[a] @ vecs[b]) for a, b, _ in dev])
        row = {
            "name": enc.name,
            "batch1_short_prompt": latency(enc, short),
            "batch32_texts_per_s": throughput(enc, questions[:1024]),
            "qqp_dev_auc": auc(cos, labels),
        }
        if key != "torch-fp32":
            agree = (enc.encode(short) * ref).sum(axis=1)
            row["cosine_vs_torch_fp32"] = {"mean": float(agree.mean()), "min": float(agree.min())}
        result[key] = row
        print(key, json.dumps(row))
    gap = result["torch-fp32"]["qqp_dev_auc"] - result["onnx-int8"]["qqp_dev_auc"]  # type: ignore[index]
    result["serve_onnx_int8"] = bool(gap <= 0.01)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
