"""Calibrate the embedding judge's threshold on labelled answer-like text pairs.

The embedding judge calls two answers "same" when the cosine of their MiniLM vectors clears a
threshold. We have no labelled pairs of LLM answers here, so the threshold is calibrated on the
closest labelled data we do have: MRPC (news sentences, declarative like answers, labelled
paraphrase / not by annotators). Split 70/30 with a fixed seed: the threshold maximizing
accuracy on the 70% is reported with its accuracy, and the precision of each verdict, on the
held-out 30%. `python -m benchmarks.judge_calibration` writes
`benchmarks/results/judge_calibration.json`.
"""

from __future__ import annotations

import csv
import json
import random
import time
from pathlib import Path

import numpy as np

from cache.encoders import load_encoder
from cache.pair_data import DATA_DIR

RESULTS = Path(__file__).resolve().parent / "results"
SEED = 15


def load_mrpc(path: Path | None = None) -> list[tuple[str, str, int]]:
    """(a, b, label) rows of MRPC train (label 1 = paraphrase)."""
    path = path or Path(DATA_DIR) / "pairs" / "mrpc_train.tsv"
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t"))
    return [(r[3], r[4], int(r[0])) for r in rows[1:] if len(r) == 5]


def _stats(cos: np.ndarray, y: np.ndarray, t: float) -> dict[str, float]:
    same = cos >= t
    acc = float(np.mean(same == (y == 1)))
    p_same = float(np.mean(y[same] == 1)) if same.any() else 0.0
    p_diff = float(np.mean(y[~same] == 0)) if (~same).any() else 0.0
    return {
        "threshold": t,
        "accuracy": acc,
        "precision_same": p_same,
        "precision_different": p_diff,
    }


def main() -> None:
    """Calibrate and write the results file."""
    rows = load_mrpc()
    random.Random(SEED).shuffle(rows)
    encoder = load_encoder("onnx")
    t0 = time.perf_counter()
    a = encoder.encode([r[0] for r in rows])
    b = encoder.encode([r[1] for r in rows])
    cos = np.sum(a * b, axis=1)
    y = np.array([r[2] for r in rows])
    cut = int(0.7 * len(rows))
    grid = [round(x, 3) for x in np.arange(0.50, 0.99, 0.005)]
    best = max(grid, key=lambda t: _stats(cos[:cut], y[:cut], t)["accuracy"])
    out = {
        "data": "mrpc_train.tsv (../shared/data/pairs), 70/30 split, seed 15",
        "encoder": encoder.name,
        "pairs": len(rows),
        "positive_share": float(y.mean()),
        "calibration": _stats(cos[:cut], y[:cut], best),
        "held_out": _stats(cos[cut:], y[cut:], best),
        "majority_baseline_held_out": float(max(y[cut:].mean(), 1 - y[cut:].mean())),
        "seconds": round(time.perf_counter() - t0, 1),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "judge_calibration.json").write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
