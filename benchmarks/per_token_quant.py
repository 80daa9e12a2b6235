"""Per-token int8 activations: batch invariance, quality, decisions and CPU against today's int8.

`python -m benchmarks.per_token_quant` writes `benchmarks/results/per_token_quant.json`. Models:
`dynamic` is the served int8 (one activation scale per tensor, so it is run one text per call),
`per_token` is `cache.onnx_export.per_token_graph` of the same weights (one scale per token row),
`fp32` the unquantized export. Reported, on the first N qqp_dev pairs:

- invariance: every text alone vs inside shuffled padded batches of 2..32 (mixed lengths):
  bit-identical rows and max |diff| per batch size;
- quality: qqp_dev AUC of plain cosine per model (vectors of texts encoded alone);
- decisions: cosine gate + shipped verifier on per-token vs served vectors (flips, P/R);
- CPU: thread CPU per short text (< 120 chars, arrival order) one per call vs batches of
  8/16/32 cut into padding-bounded runs (`plan_runs`, as the micro-batcher does), one intra-op
  thread, modes interleaved round by round in one process; medians over rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.batch_invariance import _decisions, _pr
from benchmarks.embed_bench import auc
from cache.embedder import plan_runs
from cache.encoders import OnnxEncoder
from cache.onnx_export import FP32_FILE, export, export_per_token
from cache.pair_data import DATA_DIR, load_qqp
from cache.verifier import PairVerifier
from sidecar.config import configured_model_dir

RESULTS = Path(__file__).resolve().parent / "results" / "per_token_quant.json"
BATCHES = (2, 4, 8, 16, 32)


def _alone(enc: OnnxEncoder, texts: list[str]) -> dict[str, np.ndarray]:
    return {t: enc._run([t])[0] for t in texts}


def invariance(enc: OnnxEncoder, alone: dict[str, np.ndarray], seed: int) -> dict[str, Any]:
    """Alone vs shuffled padded batches of every size in BATCHES."""
    texts = list(alone)
    out: dict[str, Any] = {}
    for b in BATCHES:
        order = texts[:]
        random.Random(seed + b).shuffle(order)
        same, worst = 0, 0.0
        for i in range(0, len(order), b):
            chunk = order[i : i + b]
            for t, v in zip(chunk, enc._run(chunk), strict=True):
                same += bool(np.array_equal(v, alone[t]))
                worst = max(worst, float(np.abs(v - alone[t]).max()))
        out[str(b)] = {"bit_identical": same, "of": len(order), "max_abs_diff": worst}
    return out


def decisions(
    pairs: list[tuple[str, str, int]],
    new: dict[str, np.ndarray],
    served: dict[str, np.ndarray],
    verifier: PairVerifier,
) -> dict[str, Any]:
    """Accept decisions with per-token vectors vs the served ones, and what the flips are.

    A flip's margin is how far the served decision was from the gate that made it (cosine
    threshold, or the nearer of the two once the cosine gate passed): flips of borderline pairs
    are the new vectors' noise, flips far from both gates would be a real change.
    """
    labels = [y for *_, y in pairs]
    d_new, d_old = _decisions(pairs, new, verifier), _decisions(pairs, served, verifier)
    flips = [(n, y) for n, o, y in zip(d_new, d_old, labels, strict=True) if n != o]
    margins = np.array([_margin(a, b, served, verifier) for a, b, _ in pairs])
    flipped = np.array([n != o for n, o in zip(d_new, d_old, strict=True)])
    return {
        "flipped": len(flips),
        "newly_accepted_duplicates": sum(n and y for n, y in flips),
        "newly_accepted_non_duplicates": sum(n and not y for n, y in flips),
        "newly_rejected_duplicates": sum(not n and y for n, y in flips),
        "newly_rejected_non_duplicates": sum(not n and not y for n, y in flips),
        "served_margin_median": {
            "flipped": float(np.median(margins[flipped])) if flipped.any() else None,
            "all_pairs": float(np.median(margins)),
        },
        "accepted": {"per_token": sum(d_new), "served": sum(d_old)},
        "per_token": _pr(d_new, labels),
        "served": _pr(d_old, labels),
    }


def _margin(a: str, b: str, vecs: dict[str, np.ndarray], verifier: PairVerifier) -> float:
    cos = float(vecs[a] @ vecs[b])
    to_cos = abs(cos - verifier.cosine_threshold)
    if cos < verifier.cosine_threshold:
        return to_cos
    score = float(verifier.score(a, vecs[a], b, vecs[b], cos))
    return min(to_cos, abs(score - verifier.threshold))


def _cpu_round(enc: OnnxEncoder, texts: list[str], batch: int) -> float:
    """Thread CPU ms per text for one pass (batches cut into runs like the micro-batcher)."""
    t0 = time.thread_time()
    for i in range(0, len(texts), batch):
        chunk = texts[i : i + batch]
        if batch == 1:
            enc._run(chunk)
            continue
        for run in plan_runs(enc.pieces(chunk)):
            enc._run([chunk[k] for k in run])
    return (time.thread_time() - t0) * 1000 / len(texts)


def cpu(encoders: dict[str, OnnxEncoder], texts: list[str], rounds: int) -> dict[str, Any]:
    """Median thread CPU per text per (model, batch), modes interleaved in each round."""
    modes = [(m, b) for m in encoders for b in (1, 8, 16, 32)]
    samples: dict[tuple[str, int], list[float]] = {m: [] for m in modes}
    for enc in encoders.values():
        _cpu_round(enc, texts[:32], 8)  # warm-up
    for r in range(rounds):
        for mode in random.Random(r).sample(modes, len(modes)):
            samples[mode].append(_cpu_round(encoders[mode[0]], texts, mode[1]))
    return {
        f"{m} batch {b}": {"median_ms": float(np.median(v)), "rounds": [round(x, 3) for x in v]}
        for (m, b), v in samples.items()
    }


def run(n_pairs: int, n_invariance: int, n_cpu: int, rounds: int, seed: int) -> dict[str, Any]:
    """All four measurements; see the module docstring."""
    pairs = load_qqp(DATA_DIR / "pairs" / "qqp_dev.jsonl")[:n_pairs]
    texts = list(dict.fromkeys(t for a, b, _ in pairs for t in (a, b)))
    model_dir = configured_model_dir(os.environ)
    int8 = export(model_dir)
    encs = {
        "dynamic": OnnxEncoder(int8, per_row=False),
        "per_token": OnnxEncoder(export_per_token(model_dir), per_row=False),
        "fp32": OnnxEncoder(int8.with_name(FP32_FILE), per_row=False),
    }
    result: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} vCPUs shared with other agents",
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "pairs": len(pairs),
        "texts": len(texts),
    }
    alone = {name: _alone(enc, texts) for name, enc in encs.items()}
    labels = np.array([y for *_, y in pairs])
    result["qqp_dev_auc"] = {
        name: auc(np.array([float(v[a] @ v[b]) for a, b, _ in pairs]), labels)
        for name, v in alone.items()
    }
    sample = random.Random(seed).sample(texts, min(n_invariance, len(texts)))
    result["invariance"] = {
        name: invariance(encs[name], {t: alone[name][t] for t in sample}, seed)
        for name in ("per_token", "dynamic", "fp32")
    }
    result["cosine_vs_fp32"] = {
        name: _cos_stats(alone[name], alone["fp32"]) for name in ("dynamic", "per_token")
    }
    result["decisions_vs_served"] = decisions(
        pairs, alone["per_token"], alone["dynamic"], PairVerifier.load()
    )
    short = [t for t in texts if len(t) < 120][:n_cpu]
    result["cpu_ms_per_short_text"] = cpu(encs, short, rounds)
    return result


def _cos_stats(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> dict[str, float]:
    cos = np.array([float(a[t] @ b[t]) for t in a])
    return {"mean": float(cos.mean()), "min": float(cos.min())}


def main(argv: list[str] | None = None) -> None:
    """CLI entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=3000, help="first N qqp_dev pairs")
    parser.add_argument("--invariance-texts", type=int, default=1024)
    parser.add_argument("--cpu-texts", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    result = run(args.pairs, args.invariance_texts, args.cpu_texts, args.rounds, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "cpu_ms_per_short_text"}, indent=1))
    for k, v in result["cpu_ms_per_short_text"].items():
        print(f"{k:24s} {v['median_ms']:.3f} ms/text")


if __name__ == "__main__":
    main()
