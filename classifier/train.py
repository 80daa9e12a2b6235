"""Train the router heads and write the shipped weights (``python -m classifier.train``).

Data: MMLU outcomes (Mixtral = weak, GPT-4 = strong), whole subjects held out for evaluation
(``dataset.HELDOUT_SUBJECTS``). Hyperparameters are chosen by grouped 5-fold CV over the
*training* subjects (folds = subjects, like the held-out split), scored by out-of-fold APGR.
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
from pathlib import Path

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

Fitter = Callable[[np.ndarray, np.ndarray, np.ndarray], Router]


def inputs(data: dataset.Outcomes) -> np.ndarray:
    """Model inputs [embedding, text features] for a set of prompts."""
    return np.hstack([dataset.embed_cached(data.prompts), feature_matrix(data.prompts)])


def _standardizer(x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = np.average(x, axis=0, weights=w)
    std = np.sqrt(np.average((x - mean) ** 2, axis=0, weights=w))
    return mean.astype(np.float32), np.maximum(std, _STD_FLOOR).astype(np.float32)


def _z(x: np.ndarray, mean: np.ndarray, scale: np.ndarray) -> np.ndarray:
    return np.clip((x - mean) / scale, -6.0, 6.0)


def logreg_fitter(c: float) -> Fitter:
    """Weighted L2 logistic regression on standardized inputs."""
    from sklearn.linear_model import LogisticRegression

    def fit(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> Router:
        mean, scale = _standardizer(x, w)
        m = LogisticRegression(C=c, max_iter=2000).fit(_z(x, mean, scale), y, sample_weight=w)
        return Router(
            mean,
            scale,
            (m.coef_.T.astype(np.float32),),
            (m.intercept_.astype(np.float32),),
            meta={"kind": "logreg", "C": c},
        )

    return fit


def mlp_fitter(hidden: int, alpha: float) -> Fitter:
    """One-hidden-layer ReLU MLP (sklearn, adam, early stopping), exported to numpy."""
    from sklearn.neural_network import MLPClassifier

    def fit(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> Router:
        mean, scale = _standardizer(x, w)
        m = MLPClassifier(
            hidden_layer_sizes=(hidden,),
            alpha=alpha,
            max_iter=200,
            early_stopping=True,
            n_iter_no_change=8,
            random_state=SEED,
        )
        m.fit(_z(x, mean, scale), y, sample_weight=w)
        return Router(
            mean,
            scale,
            tuple(c.astype(np.float32) for c in m.coefs_),
            tuple(b.astype(np.float32) for b in m.intercepts_),
            meta={"kind": "mlp", "hidden": hidden, "alpha": alpha},
        )

    return fit


def cv_apgr(fitter: Fitter, x: np.ndarray, data: dataset.Outcomes, bw: float) -> float:
    """Out-of-fold APGR with subjects as groups (5 folds)."""
    from sklearn.model_selection import GroupKFold

    y, w = dataset.labels_weights(data.weak, data.strong, bw)
    oof = np.zeros(len(y))
    for tr, te in GroupKFold(n_splits=5).split(x, y, groups=data.subjects):
        model = fitter(x[tr], y[tr], w[tr])
        oof[te] = model.forward(x[te])
    return quality.curve(oof, data.weak, data.strong).apgr()


def search(x: np.ndarray, data: dataset.Outcomes, quick: bool) -> dict[str, dict[str, object]]:
    """Grid over each model family; returns the best config per family with its CV APGR."""
    grids: dict[str, list[tuple[dict[str, object], Fitter]]] = {
        "logreg": [({"C": c}, logreg_fitter(c)) for c in (0.003, 0.01, 0.03, 0.1)],
        "mlp": [({"hidden": h, "alpha": a}, mlp_fitter(h, a)) for h in (32,) for a in (1.0, 10.0)],
    }
    both_wrong = (0.25,) if quick else (0.0, 0.25, 1.0)
    best: dict[str, dict[str, object]] = {}
    for family, grid in grids.items():
        for params, fitter in grid:
            for bw in both_wrong:
                t = time.perf_counter()
                score = cv_apgr(fitter, x, data, bw)
                print(
                    f"cv {family} {params} both_wrong={bw}: APGR {score:.4f} "
                    f"({time.perf_counter() - t:.0f}s)",
                    flush=True,
                )
                if score > float(best.get(family, {}).get("cv_apgr", -1.0)):  # type: ignore[arg-type]
                    best[family] = {"params": params, "both_wrong": bw, "cv_apgr": score}
    return best


def make_fitter(family: str, params: dict[str, object]) -> Fitter:
    """Fitter for a family and its chosen hyperparameters."""
    if family == "logreg":
        return logreg_fitter(float(params["C"]))  # type: ignore[arg-type]
    return mlp_fitter(int(params["hidden"]), float(params["alpha"]))  # type: ignore[call-overload]


def main(argv: list[str] | None = None) -> None:
    """Search, fit on all training subjects, calibrate, write the shipped ``.npz`` files."""
    ap = argparse.ArgumentParser(description="train the router heads")
    ap.add_argument("--quick", action="store_true", help="smaller hyperparameter grid")
    ap.add_argument("--default", default="logreg", choices=("logreg", "mlp"))
    args = ap.parse_args(argv)
    np.random.seed(SEED)
    train, _ = dataset.split_mmlu(dataset.load_mmlu())
    x = inputs(train)
    best = search(x, train, args.quick)
    calib = sample_prompts()
    calib_x = np.hstack([dataset.embed_cached(calib), feature_matrix(calib)])
    for family, cfg in best.items():
        y, w = dataset.labels_weights(train.weak, train.strong, float(cfg["both_wrong"]))  # type: ignore[arg-type]
        model = make_fitter(family, cfg["params"])(x, y, w)  # type: ignore[arg-type]
        th = calibrate_thresholds(model.forward(calib_x), DEFAULT_SHARES)
        meta = {
            **model.meta,
            "both_wrong_weight": cfg["both_wrong"],
            "cv_apgr": cfg["cv_apgr"],
            "heldout_subjects": list(dataset.HELDOUT_SUBJECTS),
            "seed": SEED,
            "calibration_shares": list(DEFAULT_SHARES),
        }
        model = Router(model.mean, model.scale, model.weights, model.biases, tuple(th), meta)
        model.save(DATA / f"router_{family}.npz")
        print(json.dumps({"family": family, **meta}), flush=True)
    shutil.copyfile(DATA / f"router_{args.default}.npz", DATA / "router.npz")
    print(f"default head: {args.default} -> {Path(DATA / 'router.npz')}")


if __name__ == "__main__":
    main()
