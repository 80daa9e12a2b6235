"""Threshold calibration: score cut points that give a target traffic share per tier.

``calibrate_thresholds(scores, shares)`` is pure numpy. The CLI scores a prompt sample with the
shipped router and writes the result into a YAML config under ``routing.thresholds``::

    python -m classifier.calibrate --config sidecar.yaml --shares 0.5,0.3,0.2 [--prompts sample]

``--prompts sample`` (default) is a fixed mix of Arena-Hard prompts and held-out MMLU prompts;
otherwise a ``.jsonl`` (``prompt`` field) or ``.txt`` (one prompt a line) file.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np


def calibrate_thresholds(
    scores: Sequence[float] | np.ndarray, shares: Sequence[float]
) -> list[float]:
    """Ascending thresholds (len(shares) - 1) so tier i gets ~shares[i] of ``scores``."""
    s = np.sort(np.asarray(scores, dtype=np.float64))
    if s.size == 0:
        raise ValueError("need at least one score")
    w = np.asarray(shares, dtype=np.float64)
    if w.ndim != 1 or w.size < 2 or np.any(w < 0) or w.sum() <= 0:
        raise ValueError("shares: need >= 2 non-negative values")
    cum = np.cumsum(w / w.sum())[:-1]
    out: list[float] = []
    for c in cum:
        k = round(c * s.size)  # k scores fall below the cut (tier_for: score < t)
        if k <= 0:
            t = s[0]
        elif k >= s.size:
            t = min(float(np.nextafter(s[-1], np.inf)), 1.0)
        else:
            t = (s[k - 1] + s[k]) / 2.0  # midpoint: robust to small score drift
        out.append(float(t))
    return [max(out[: i + 1]) for i in range(len(out))]  # ascending even with ties


def sample_prompts(mmlu_n: int = 1250, seed: int = 0) -> list[str]:
    """Default calibration sample: all Arena-Hard prompts plus as many held-out MMLU ones."""
    from classifier import dataset

    _, held = dataset.split_mmlu(dataset.load_mmlu())
    rng = np.random.default_rng(seed)
    idx = np.sort(rng.choice(len(held.prompts), size=min(mmlu_n, len(held.prompts)), replace=False))
    return dataset.arena_prompts() + [held.prompts[i] for i in idx]


def read_prompts(spec: str) -> list[str]:
    """Prompts named by ``--prompts``: ``sample`` or a .jsonl/.txt file."""
    if spec == "sample":
        return sample_prompts()
    path = Path(spec)
    if path.suffix == ".jsonl":
        with path.open() as fh:
            return [json.loads(line)["prompt"] for line in fh if line.strip()]
    return [line for line in path.read_text().splitlines() if line.strip()]


def score_prompts(prompts: list[str], weights: str | None = None) -> np.ndarray:
    """Score prompts with the router (embeds them with MiniLM; training-time tooling)."""
    from classifier import dataset
    from classifier.features import feature_matrix
    from classifier.router import Router

    router = Router.load(weights)
    return router.score_many(dataset.embed(prompts), feature_matrix(prompts))


def write_thresholds(config: Path, thresholds: Sequence[float]) -> None:
    """Set ``routing.thresholds`` in a YAML file, leaving every other key as it was."""
    import yaml

    data = yaml.safe_load(config.read_text()) if config.exists() else None
    data = data if isinstance(data, dict) else {}
    routing = data.get("routing")
    data["routing"] = routing if isinstance(routing, dict) else {}
    data["routing"]["thresholds"] = [round(float(t), 6) for t in thresholds]
    config.write_text(yaml.safe_dump(data, sort_keys=False))


def main(argv: Sequence[str] | None = None) -> None:
    """CLI entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", type=Path, required=True)
    ap.add_argument("--shares", default="0.5,0.3,0.2")
    ap.add_argument("--prompts", default="sample")
    ap.add_argument("--weights", default=None)
    args = ap.parse_args(argv)
    shares = [float(x) for x in args.shares.split(",")]
    scores = score_prompts(read_prompts(args.prompts), args.weights)
    thresholds = calibrate_thresholds(scores, shares)
    write_thresholds(args.config, thresholds)
    tiers = np.bincount(
        np.searchsorted(thresholds, scores, side="right"), minlength=len(shares)
    ) / len(scores)
    print(
        json.dumps(
            {
                "thresholds": thresholds,
                "n": len(scores),
                "shares": [round(float(x), 4) for x in tiers],
            }
        )
    )


if __name__ == "__main__":
    main()
