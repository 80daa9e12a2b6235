"""Serving-side router: numpy heads over [MiniLM embedding, text features] -> score in [0, 1].

Contract (docs/CONTRACTS.md): ``Router.load(path=None)`` reads the shipped weights
(``classifier/data/router.npz``); ``score(vec, text)`` is deterministic, higher = needs a
stronger model; ``tier_for(score, thresholds)`` maps a score to a tier index. No torch, no
sklearn: the head is a tiny MLP (or a single logistic layer) evaluated with numpy.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from classifier.features import FEATURE_NAMES, text_features

DEFAULT_WEIGHTS = Path(__file__).with_name("data") / "router.npz"
EMBED_DIM = 384
# Standardized inputs are clipped: prompts far outside the training distribution (a 50 kB
# paste, a page of LaTeX) must not push a linear score to an extreme on one feature alone.
_CLIP = 6.0


def tier_for(score: float, thresholds: Sequence[float]) -> int:
    """Tier index: score < thresholds[0] -> 0, < thresholds[1] -> 1, ..., else len(thresholds)."""
    return bisect_right(list(thresholds), score)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # overflow-free logistic


Layers = tuple[tuple[np.ndarray, np.ndarray], ...]  # (weight, bias) per dense layer


def _logit(layers: Layers, h: np.ndarray) -> np.ndarray:
    """Dense layers with ReLU between them; returns the last layer's single output column."""
    for i, (w, b) in enumerate(layers):
        h = h @ w + b
        if i < len(layers) - 1:
            h = np.maximum(h, 0.0)
    return h[:, 0].astype(np.float64)


@dataclass(frozen=True)
class Router:
    """Numpy scorer: standardize -> one or two heads (logistic or MLP) -> score in [0, 1].

    ``combine="single"``: score = P(head 0). ``combine="gain"``: head 0 is q = P(the two models
    disagree), head 1 is p = P(the strong one is right | they disagree); the score is
    (1 + q * (2p - 1)) / 2, a monotone map of the expected accuracy gain from escalating.
    With ``knots`` the raw score is then mapped to its percentile on the reference sample.
    """

    mean: np.ndarray
    scale: np.ndarray
    heads: tuple[Layers, ...]
    combine: str = "single"
    # Monotone piecewise-linear map raw score -> share of the reference sample scoring lower,
    # so a score reads as a traffic percentile (0.8 = harder than 80% of the sample).
    knots: np.ndarray | None = None
    thresholds: tuple[float, ...] = ()  # shipped defaults for 3 tiers (config may override)
    meta: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path | None = None) -> Router:
        """Load a head saved by :meth:`save` (default: the shipped ``data/router.npz``)."""
        with np.load(Path(path) if path else DEFAULT_WEIGHTS, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            if tuple(meta.get("features", ())) != FEATURE_NAMES:
                raise ValueError("router weights were trained on a different feature set")
            heads = tuple(
                tuple(
                    (z[f"h{j}_w{i}"].astype(np.float32), z[f"h{j}_b{i}"].astype(np.float32))
                    for i in range(int(n))
                )
                for j, n in enumerate(z["layers"])
            )
            return cls(
                mean=z["mean"].astype(np.float32),
                scale=z["scale"].astype(np.float32),
                heads=heads,
                combine=str(z["combine"]),
                knots=z["knots"].astype(np.float64) if "knots" in z.files else None,
                thresholds=tuple(float(t) for t in z["thresholds"]),
                meta=meta,
            )

    def save(self, path: str | Path) -> None:
        """Write the head as a compressed ``.npz`` (arrays plus a JSON ``meta`` string)."""
        arrays: dict[str, np.ndarray] = {}
        for j, layers in enumerate(self.heads):
            for i, (w, b) in enumerate(layers):
                arrays[f"h{j}_w{i}"], arrays[f"h{j}_b{i}"] = w, b
        meta = {**self.meta, "features": list(FEATURE_NAMES)}
        arrays.update(
            mean=self.mean,
            scale=self.scale,
            layers=np.asarray([len(h) for h in self.heads], dtype=np.int64),
            combine=np.asarray(self.combine),
            thresholds=np.asarray(self.thresholds, dtype=np.float64),
            meta=np.asarray(json.dumps(meta)),
        )
        if self.knots is not None:
            arrays["knots"] = self.knots
        np.savez_compressed(path, allow_pickle=False, **arrays)

    def inputs(self, vecs: np.ndarray, feats: np.ndarray) -> np.ndarray:
        """Model input rows: re-normalized embeddings next to text features."""
        vecs = np.atleast_2d(np.asarray(vecs, dtype=np.float32))
        if vecs.shape[1] != EMBED_DIM:
            raise ValueError(f"expected {EMBED_DIM}-d embeddings, got {vecs.shape[1]}")
        # The serving encoder (ONNX int8) is close to, not exactly, unit norm.
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        vecs = vecs / np.maximum(norms, 1e-6)
        return np.hstack([vecs, np.atleast_2d(feats).astype(np.float32)])

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Scores for prepared input rows (see :meth:`inputs`)."""
        h = np.clip((x - self.mean) / self.scale, -_CLIP, _CLIP)
        probs = [_sigmoid(_logit(layers, h)) for layers in self.heads]
        raw = probs[0]
        if self.combine == "gain":
            q, p = probs
            raw = np.clip((1.0 + q * (2.0 * p - 1.0)) / 2.0, 0.0, 1.0)
        if self.knots is None:
            return raw
        return np.asarray(np.interp(raw, self.knots, np.linspace(0.0, 1.0, len(self.knots))))

    def score(self, vec: np.ndarray, text: str) -> float:
        """Score in [0, 1] for one prompt: higher = needs a stronger model."""
        x = self.inputs(vec, text_features(text))
        return float(self.forward(x)[0])

    def score_many(self, vecs: np.ndarray, feats: np.ndarray) -> np.ndarray:
        """Scores for many prompts given their embeddings and feature rows."""
        return self.forward(self.inputs(vecs, feats))
