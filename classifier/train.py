"""Train the router heads and write the shipped weights (``python -m classifier.train``).

Data: MMLU outcomes (Mixtral = weak, GPT-4 = strong), whole subjects held out for evaluation
(``dataset.HELDOUT_SUBJECTS``). The router models the accuracy gain of escalating directly
(``fit_gain``: P(disagree) x P(strong right | disagree)). Hyperparameters are chosen by grouped
5-fold CV over the *training* subjects (folds = subjects), scored by out-of-fold APGR.
Writes ``classifier/data/router_{logreg,mlp}.npz`` and ``router.npz`` (the default head) with
thresholds calibrated to 0.5/0.3/0.2 on the default prompt sample. Fixed seeds throughout.
Needs the ``train`` extra (scikit-learn) and the MiniLM model (embeddings are cached).
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from classifier import dataset, quality
from classifier.calibrate import calibrate_thresholds, sample_prompts
from classifier.features import feature_matrix
from classifier.router import DEFAULT_WEIGHTS, Router

SEED = 0
DATA = DEFAULT_WEIGHTS.parent
DEFAULT_SHARES = (0.5, 0.3, 0.2)
# A std floor keeps rare binary features (LaTeX, code fences) from getting huge z-scores.
_STD_FLOOR = 0.02

Layers = tuple[tuple[np.ndarray, np.ndarray], ...]
HeadFitter = Callable[[np.ndarray, np.ndarray], Layers]


def inputs(data: dataset.Outcomes) -> np.ndarray:
    """Model inputs [embedding, text features] for a set of prompts."""
    return np.hstack([dataset.embed(data.prompts), feature_matrix(data.prompts)])


def _standardizer(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = x.mean(axis=0)
    std = x.std(axis=0)
    return mean.astype(np.float32), np.maximum(std, _STD_FLOOR).astype(np.float32)


def _z(x: np.ndarray, mean: np.ndarray, scale: np.ndarray) -> np.ndarray:
    return np.asarray(np.clip((x - mean) / scale, -6.0, 6.0))


def logreg_head(c: float) -> HeadFitter:
    """Weighted L2 logistic regression on standardized inputs -> one dense layer."""
    from sklearn.linear_model import LogisticRegression

    def fit(z: np.ndarray, y: np.ndarray) -> Layers:
        m = LogisticRegression(C=c, max_iter=3000).fit(z, y)
        return ((m.coef_.T.astype(np.float32), m.intercept_.astype(np.float32)),)

    return fit


def mlp_head(hidden: int, alpha: float) -> HeadFitter:
    """One-hidden-layer ReLU MLP (sklearn, adam, early stopping) -> two dense layers."""
    from sklearn.neural_network import MLPClassifier

    def fit(z: np.ndarray, y: np.ndarray) -> Layers:
        m = MLPClassifier(
            hidden_layer_sizes=(hidden,),
            alpha=alpha,
            max_iter=200,
            early_stopping=True,
            n_iter_no_change=8,
            random_state=SEED,
        ).fit(z, y)
        return tuple(
            (w.astype(np.float32), b.astype(np.float32))
            for w, b in zip(m.coefs_, m.intercepts_, strict=True)
        )

    return fit


def fit_gain(head: HeadFitter, x: np.ndarray, weak: np.ndarray, strong: np.ndarray) -> Router:
    """Two heads: q = P(weak and strong disagree), p = P(strong right | disagree)."""
    mean, scale = _standardizer(x)
    z = _z(x, mean, scale)
    # Both-right and both-wrong prompts carry no information about *which* model wins, only
    # that escalating changes nothing: they train q (as negatives) and are left out of p.
    disagree = weak != strong
    q = head(z, disagree.astype(np.int64))
    p = head(z[disagree], strong[disagree].astype(np.int64))
    return Router(mean, scale, (q, p), combine="gain")


def percentile_knots(raw: np.ndarray, n: int = 201) -> np.ndarray:
    """Strictly increasing quantiles of raw scores (np.interp needs increasing x)."""
    q = np.quantile(raw, np.linspace(0.0, 1.0, n))
    return np.asarray(q + np.arange(n) * 1e-9)  # break ties between equal quantiles


def cv_apgr(head: HeadFitter, x: np.ndarray, data: dataset.Outcomes) -> float:
    """Out-of-fold APGR with subjects as groups (5 folds)."""
    from sklearn.model_selection import GroupKFold

    oof = np.zeros(len(x))
    for tr, te in GroupKFold(n_splits=5).split(x, groups=data.subjects):
        oof[te] = fit_gain(head, x[tr], data.weak[tr], data.strong[tr]).forward(x[te])
    return quality.curve(oof, data.weak, data.strong).apgr()


def grids() -> dict[str, list[tuple[dict[str, float], HeadFitter]]]:
    """Hyperparameter grid per model family (built lazily: sklearn is imported on use)."""
    return {
        "logreg": [({"C": c}, logreg_head(c)) for c in (0.0003, 0.001, 0.003)],
        "mlp": [({"hidden": 32, "alpha": a}, mlp_head(32, a)) for a in (30.0, 100.0)],
    }


def search(x: np.ndarray, data: dataset.Outcomes) -> dict[str, tuple[dict[str, float], float]]:
    """Best (params, CV APGR) per family."""
    best: dict[str, tuple[dict[str, float], float]] = {}
    for family, grid in grids().items():
        for params, head in grid:
            t = time.perf_counter()
            score = cv_apgr(head, x, data)
            print(f"cv {family} {params}: APGR {score:.4f} ({time.perf_counter() - t:.0f}s)")
            if family not in best or score > best[family][1]:
                best[family] = (params, score)
    return best


def head_for(family: str, params: dict[str, float]) -> HeadFitter:
    """Head fitter for a family and its chosen hyperparameters."""
    if family == "logreg":
        return logreg_head(params["C"])
    return mlp_head(int(params["hidden"]), params["alpha"])


def main(argv: list[str] | None = None) -> None:
    """Search, fit on all training subjects, calibrate, write the shipped ``.npz`` files."""
    ap = argparse.ArgumentParser(description="train the router heads")
    ap.add_argument("--default", default="logreg", choices=("logreg", "mlp"))
    args = ap.parse_args(argv)
    train, _ = dataset.split_mmlu(dataset.load_mmlu())
    x = inputs(train)
    best = search(x, train)
    calib = sample_prompts()
    calib_x = np.hstack([dataset.embed(calib), feature_matrix(calib)])
    DATA.mkdir(parents=True, exist_ok=True)
    for family, (params, cv) in best.items():
        model = fit_gain(head_for(family, params), x, train.weak, train.strong)
        meta = {
            "kind": family,
            "params": params,
            "cv_apgr": round(cv, 4),
            "train_subjects_excluded": [*dataset.HELDOUT_SUBJECTS, *dataset.BROKEN_SUBJECTS],
            "seed": SEED,
            "calibration_shares": list(DEFAULT_SHARES),
        }
        model = replace(model, knots=percentile_knots(model.forward(calib_x)), meta=meta)
        th = tuple(calibrate_thresholds(model.forward(calib_x), DEFAULT_SHARES))
        model = replace(model, thresholds=th)
        model.save(DATA / f"router_{family}.npz")
        print(json.dumps({**meta, "thresholds": th}), flush=True)
    shutil.copyfile(DATA / f"router_{args.default}.npz", DATA / "router.npz")
    print(f"default head: {args.default} -> {DATA / 'router.npz'}")


if __name__ == "__main__":
    main()
