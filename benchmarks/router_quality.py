"""Router quality on held-out MMLU subjects (RouteLLM metrics) plus latency, tier mix and cost.

    python -m benchmarks.router_quality

Writes ``benchmarks/results/router_quality.json`` and ``router_quality.png``. Routers: the
shipped numpy heads (logistic regression, MLP), a prompt-length baseline, the fine-tuned MiniLM
if ``python -m classifier.finetune`` has been run (its scores are cached), and the random
router as its expected value (PGR(s) = s). Embeddings come from the bench cache.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from classifier import dataset, quality
from classifier.calibrate import sample_prompts
from classifier.features import FEATURE_NAMES, feature_matrix
from classifier.finetune import result_path
from classifier.router import DEFAULT_WEIGHTS, Router, tier_for

OUT = Path(__file__).resolve().parent / "results"
# USD per 1M tokens (in, out) of the default tiers; 500 in / 300 out tokens per request.
PRICES = {"small": (0.15, 0.60), "medium": (0.40, 1.60), "large": (2.50, 10.00)}
TOKENS_IN, TOKENS_OUT = 500, 300


def _curve_points(c: quality.Curve, n: int = 41) -> dict[str, list[float]]:
    s = np.linspace(0, 1, n)
    return {
        "share": [round(float(x), 4) for x in s],
        "accuracy": [round(float(x), 4) for x in np.interp(s, c.share, c.accuracy)],
        "pgr": [round(float(x), 4) for x in np.interp(s, c.share, c.pgr)],
    }


def latency_ms(router: Router, vecs: np.ndarray, texts: list[str]) -> dict[str, float]:
    """Per-prompt ``Router.score`` time (features + numpy head), one call at a time."""
    for i in range(50):
        router.score(vecs[i], texts[i])  # warm-up
    lat = []
    for vec, text in zip(vecs, texts, strict=True):
        t = time.perf_counter()
        router.score(vec, text)
        lat.append((time.perf_counter() - t) * 1000)
    return {
        "p50": round(float(np.percentile(lat, 50)), 4),
        "p99": round(float(np.percentile(lat, 99)), 4),
        "n": len(lat),
    }


def usd_per_1k(shares: list[float]) -> float:
    """Expected USD per 1,000 requests for a tier mix (small, medium, large)."""
    per_req = [(TOKENS_IN * pi + TOKENS_OUT * po) / 1e6 for pi, po in PRICES.values()]
    return round(1000 * float(np.dot(shares, per_req)), 4)


def tier_mix(router: Router) -> dict[str, Any]:
    """Tier shares at the shipped thresholds on the calibration sample and its parts."""
    prompts = sample_prompts()
    n_arena = len(dataset.arena_prompts())
    scores = router.score_many(dataset.embed(prompts), feature_matrix(prompts))
    tiers = np.array([tier_for(s, router.thresholds) for s in scores])

    def shares(t: np.ndarray) -> list[float]:
        return [round(float(x), 4) for x in np.bincount(t, minlength=3) / len(t)]

    mix = shares(tiers)
    return {
        "thresholds": list(router.thresholds),
        "sample": f"{n_arena} arena-hard + {len(prompts) - n_arena} held-out MMLU prompts",
        "shares": dict(zip(PRICES, mix, strict=True)),
        "shares_arena_hard": dict(zip(PRICES, shares(tiers[:n_arena]), strict=True)),
        "shares_mmlu_heldout": dict(zip(PRICES, shares(tiers[n_arena:]), strict=True)),
        "usd_per_1k_requests": usd_per_1k(mix),
        "usd_per_1k_always_large": usd_per_1k([0.0, 0.0, 1.0]),
        "savings_vs_always_large": round(1 - usd_per_1k(mix) / usd_per_1k([0, 0, 1.0]), 4),
        "token_basis": f"{TOKENS_IN} input + {TOKENS_OUT} output tokens per request (assumed)",
    }


def per_subject(scores: np.ndarray, held: dataset.Outcomes) -> dict[str, float]:
    """APGR within each held-out subject (noisy: 100-400 prompts each)."""
    out = {}
    for subject in dataset.HELDOUT_SUBJECTS:
        m = held.subjects == subject
        if held.strong[m].mean() != held.weak[m].mean():
            out[subject] = round(quality.curve(scores[m], held.weak[m], held.strong[m]).apgr(), 3)
    return out


def plot(curves: dict[str, quality.Curve], path: Path) -> None:
    """Accuracy vs strong-call share, one line per router, weak/strong as horizontal lines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, c in curves.items():
        style = "--" if name == "random" else "-"
        ax.plot(c.share, c.accuracy, style, label=f"{name} (APGR {c.apgr():.3f})")
    any_c = next(iter(curves.values()))
    ax.axhline(any_c.weak_acc, color="grey", ls=":", label=f"weak (Mixtral) {any_c.weak_acc:.3f}")
    ax.axhline(any_c.strong_acc, color="k", ls=":", label=f"strong (GPT-4) {any_c.strong_acc:.3f}")
    ax.set_xlabel("share of calls to the strong model")
    ax.set_ylabel("accuracy")
    ax.set_title("Router quality, held-out MMLU subjects")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    """Evaluate every router on held-out subjects and write JSON + PNG."""
    _, held = dataset.split_mmlu(dataset.load_mmlu())
    vecs = dataset.embed(held.prompts)
    feats = feature_matrix(held.prompts)
    routers = {
        kind: Router.load(DEFAULT_WEIGHTS.with_name(f"router_{kind}.npz"))
        for kind in ("logreg", "mlp")
    }
    scores = {name: r.score_many(vecs, feats) for name, r in routers.items()}
    scores["length_only"] = feats[:, FEATURE_NAMES.index("log_chars")].astype(np.float64)
    report: dict[str, object] = {
        "n_prompts": len(held.prompts),
        "heldout_subjects": list(dataset.HELDOUT_SUBJECTS),
    }
    extra: dict[str, dict[str, object]] = {}
    if Path(result_path()).exists():
        ft = json.loads(Path(result_path()).read_text())
        scores["finetuned_minilm"] = np.asarray(ft.pop("scores"))
        extra["finetuned_minilm"] = ft
    curves = {name: quality.curve(s, held.weak, held.strong) for name, s in scores.items()}
    curves["random"] = quality.random_curve(held.weak, held.strong)
    default = Router.load()
    report["default_head"] = default.meta.get("kind")
    report["weak_acc"] = round(curves["random"].weak_acc, 4)
    report["strong_acc"] = round(curves["random"].strong_acc, 4)
    report["routers"] = {
        name: {**quality.summary(c), **extra.get(name, {}), "curve": _curve_points(c)}
        for name, c in curves.items()
    }
    for kind, r in routers.items():
        lat = latency_ms(r, vecs, held.prompts)
        report["routers"][kind]["latency_ms"] = lat  # type: ignore[index]
    report["per_subject_apgr_default"] = per_subject(scores[default.meta["kind"]], held)
    tiers = tier_mix(default)
    # MMLU has only two models: treat "large" as the strong one, small/medium as the weak one.
    large = tiers["shares_mmlu_heldout"]["large"]
    c = curves[default.meta["kind"]]
    k = int(np.searchsorted(c.share, large))
    tiers["mmlu_heldout_if_large_is_strong"] = {
        "strong_share": large,
        "accuracy": round(float(c.accuracy[k]), 4),
        "pgr": round(float(c.pgr[k]), 4),
    }
    report["tiers"] = tiers
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "router_quality.json").write_text(json.dumps(report, indent=2) + "\n")
    plot(curves, OUT / "router_quality.png")
    for name, c in curves.items():
        print(f"{name:18s} {quality.summary(c)}")
    print(json.dumps(report["tiers"], indent=1))


if __name__ == "__main__":
    main()
