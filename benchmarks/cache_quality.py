"""Cache-hit quality: cosine alone vs cosine + hit verifier, at the shipped operating point.

`python -m benchmarks.cache_quality` writes `benchmarks/results/cache_quality.json` and
`cache_quality.png` (precision-recall over thresholds). Evaluations:
- qqp_dev pairs (all, and the subset sharing no question with qqp_train): precision / recall;
- PAWS held-out (never trained on): share of non-paraphrases clearing the cosine threshold
  that the verifier rejects;
- GPTCache mock replay: 999 `origin`s seeded in one scope (FAISS flat inner product), each
  `similar` queried top-k; a hit is correct only if the served entry is the query's own origin;
- gibberish: random-character and random-word prompts against a cache of real questions
  (and against a cache of other gibberish); the number served must be 0.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from cache.decision import anchor_bonus, decide
from cache.guard import check
from cache.pair_data import DATA_DIR, embed_texts, load_paws, load_qqp, offline_encoder, paws_split
from cache.store import SemanticCache
from cache.train_synthetic import random_chars, random_words, vocab_words
from cache.train_verifier import featurize, pr_at
from cache.verifier import PairVerifier
from classifier.router import Router, tier_for
from sidecar.config_sections import CacheSettings

RESULTS = Path(__file__).resolve().parent / "results"
EVAL_SEED = 20240  # differs from the training seed: fresh gibberish


def pr_curve(score: np.ndarray, y: np.ndarray, grid: Sequence[float]) -> list[list[float]]:
    """[threshold, precision, recall] rows for `score >= t`."""
    return [[float(t), *pr_at(score >= t, y)] for t in grid]


class Scope:
    """One cache scope: texts, vectors and a FAISS inner-product index."""

    def __init__(self, texts: Sequence[str], vecs: dict[str, np.ndarray]) -> None:
        self.texts = list(texts)
        self.vecs = np.stack([vecs[t] for t in self.texts]).astype(np.float32)
        self.index = faiss.IndexFlatIP(self.vecs.shape[1])
        self.index.add(self.vecs)

    def serve(
        self, q: str, qv: np.ndarray, verifier: PairVerifier | None, tc: float, k: int = 1
    ) -> int | None:
        """Index of the entry served for `q` (best candidate the verifier accepts), or None."""
        sims, ids = self.index.search(qv[None, :].astype(np.float32), k)
        for sim, i in zip(sims[0], ids[0], strict=True):
            if i < 0 or sim < tc:
                break
            cand = self.texts[i]
            if verifier is None or verifier.accept(q, qv, cand, self.vecs[i], float(sim)):
                return int(i)
        return None


class Guarded:
    """What the cache serves: the slot guard, then the verifier (anchor bonus included)."""

    def __init__(self, verifier: PairVerifier) -> None:
        self.verifier = verifier

    def accept(self, q: str, qv: np.ndarray, c: str, cv: np.ndarray, sim: float) -> bool:
        return decide(q, qv, c, cv, sim, self.verifier).accepted


def guard_masks(pairs: Sequence) -> tuple[np.ndarray, np.ndarray]:
    """(guard passed, verifier-bar bonus for the slot values both share) per pair."""
    passed = np.array([check(b, a).passed for a, b, _ in pairs], dtype=bool)
    bonus = np.array([anchor_bonus(b, a) for a, b, _ in pairs], dtype=np.float32)
    return passed, bonus


def served_mask(
    cos: np.ndarray, passed: np.ndarray, bonus: np.ndarray, score: np.ndarray, tc: float, tv: float
) -> np.ndarray:
    """What the cache serves at cosine gate `tc` and verifier bar `tv`: the guard passed and the
    verifier score clears the bar, lowered by the anchor bonus."""
    return (cos >= tc) & passed & (score >= tv - bonus)


def unseen_indices(dev: Sequence, train_questions: set[str]) -> list[int]:
    """Indices of the dev pairs sharing no question with training (unseen-style QQP)."""
    return [
        i for i, p in enumerate(dev) if p[0] not in train_questions and p[1] not in train_questions
    ]


def served_curve(
    pairs: Sequence, score: np.ndarray, cos: np.ndarray, y: np.ndarray, tc: float
) -> dict:
    """What the cache serves (guard, anchor bonus, verifier) as the verifier bar moves, at the
    shipped cosine gate: [bar, precision, balanced precision, recall] rows, and the two
    operating-point summaries of issue 12 (balanced precision at recall 0.55, recall at
    balanced precision 0.97)."""
    passed, bonus = guard_masks(pairs)
    rows = []
    for tv in np.round(np.arange(0.30, 1.0, 0.01), 2):
        served = served_mask(cos, passed, bonus, score, tc, tv)
        p, r = pr_at(served, y)
        rows.append([float(tv), p, balanced_precision(served, y), r])
    at_recall = [row[2] for row in rows if row[3] >= 0.55]
    at_precision = [row[3] for row in rows if row[2] >= 0.97]
    return {
        "rows": rows,
        "balanced_precision_at_recall_0.55": max(at_recall, default=None),
        "recall_at_balanced_precision_0.97": max(at_precision, default=None),
    }


def balanced_precision(accept: np.ndarray, y: np.ndarray) -> float:
    """Precision as if positives and negatives were equally many (false hits reweighted)."""
    tp = float((accept & (y == 1)).sum())
    fp = float((accept & (y == 0)).sum()) * (y == 1).sum() / max((y == 0).sum(), 1)
    return tp / max(tp + fp, 1.0)


def routed_recall(
    pairs: Sequence, vecs: dict, served: np.ndarray, score: np.ndarray, bar: np.ndarray
) -> dict:
    """Recall when the stored question (a) and the query (b) were routed by the shipped
    router: a hit from a lower tier is refused (old policy) or served at bar + margin."""
    router = Router.load()
    rank = {t: tier_for(router.score(vecs[t], t), router.thresholds) for p in pairs for t in p[:2]}
    y = np.array([p[2] for p in pairs])
    lower = np.array([rank[a] < rank[b] for a, b, _ in pairs])
    out = {"fixed_model": pr_at(served, y), "lower_tier_share_of_hits": float(lower[served].mean())}
    out["routed_refuse_lower_tier"] = pr_at(served & ~lower, y)
    for margin in (0.0, 0.03, 0.05, 0.10):
        ok = served & (~lower | (score >= bar + margin))
        out[f"routed_lower_tier_margin_{margin:.2f}"] = pr_at(ok, y)
    return {
        k: v if isinstance(v, float) else {"precision": v[0], "recall": v[1]}
        for k, v in out.items()
    }


def gptcache_replay(verifier: Any, tc: float, vecs: dict[str, np.ndarray]) -> dict:
    """Seed origins, query similars; hit rate and precision with and without the verifier.

    `top1`: only the best candidate is checked (the recommended policy); `fall_through_k4`:
    if the verifier rejects it, the next of the top 4 above the cosine threshold are tried.
    """
    mock = json.loads((DATA_DIR / "pairs" / "gptcache_mock_data.json").read_text())
    scope = Scope([m["origin"] for m in mock], vecs)
    out: dict[str, dict[str, float]] = {}
    for name, ver, k in (
        ("cosine_only", None, 1),
        ("with_verifier_top1", verifier, 1),
        ("with_verifier_fall_through_k4", verifier, 4),
    ):
        served = [scope.serve(m["similar"], vecs[m["similar"]], ver, tc, k) for m in mock]
        hits = [(i, s) for i, s in enumerate(served) if s is not None]
        correct = sum(scope.texts[s] == mock[i]["origin"] for i, s in hits)
        out[name] = {
            "queries": len(mock),
            "hit_rate": len(hits) / len(mock),
            "precision": correct / max(len(hits), 1),
        }
    # The same replay through SemanticCache itself (guard, verifier, anchor bonus, and the
    # sibling check that reads the other origins near each query), and with it off.
    for name, k in (
        ("store_with_siblings", CacheSettings().siblings),
        ("store_without_siblings", 1),
    ):
        cache = SemanticCache(verifier=verifier.verifier, top_k=k, sibling_k=k)
        for m in mock:
            origin = m["origin"]
            cache.put("s", origin, vecs[origin], body=b"", model="m", tier="t", tier_rank=0)
        texts = [cache.lookup("s", m["similar"], vecs[m["similar"]], tc) for m in mock]
        served_texts = [(i, f.entry.text) for i, f in enumerate(texts) if f.entry is not None]
        out[name] = {
            "queries": len(mock),
            "hit_rate": len(served_texts) / len(mock),
            "precision": sum(t == mock[i]["origin"] for i, t in served_texts)
            / max(len(served_texts), 1),
        }
    return out


def gibberish_test(
    verifier: Any, tc: float, real: Sequence[str], encoder: object, n: int = 300
) -> dict:
    """Random prompts against real questions and against other gibberish: served counts."""
    rng = random.Random(EVAL_SEED)
    words = vocab_words()
    queries = [random_chars(rng) for _ in range(n // 2)] + [
        random_words(rng, words) for _ in range(n - n // 2)
    ]
    seeds = [random_chars(rng) for _ in range(n // 2)] + [
        random_words(rng, words) for _ in range(n - n // 2)
    ]
    vecs = embed_texts(encoder, [*queries, *seeds, *real])  # type: ignore[arg-type]
    out: dict[str, dict[str, int]] = {}
    for cache_name, texts in (("real_questions", real), ("other_gibberish", seeds)):
        scope = Scope(texts, vecs)
        out[cache_name] = {
            "queries": len(queries),
            "entries": len(texts),
            "served_cosine_only": sum(
                scope.serve(q, vecs[q], None, tc) is not None for q in queries
            ),
            "served_with_verifier": sum(
                scope.serve(q, vecs[q], verifier, tc) is not None for q in queries
            ),
        }
    return out


def verifier_latency_us(verifier: Any, pairs: Sequence, vecs: dict) -> float:
    """Median time of one `accept()` call (guard and/or features + MLP) in microseconds."""
    times = []
    for a, b, _ in pairs[:500]:
        t0 = time.perf_counter()
        verifier.accept(a, vecs[a], b, vecs[b], float(vecs[a] @ vecs[b]))
        times.append(time.perf_counter() - t0)
    return float(np.median(times) * 1e6)


def pair_report(
    pairs: Sequence, vecs: dict, verifier: PairVerifier, tc: float, tv: float
) -> tuple[dict, np.ndarray, np.ndarray, np.ndarray]:
    """P/R of cosine alone and with the verifier at the operating point."""
    x, y, cos = featurize(pairs, vecs)
    score = verifier.score_features(x)
    both = (cos >= tc) & (score >= tv)
    p, r = pr_at(both, y)
    cp, cr = pr_at(cos >= tc, y)
    neg_clear = (cos >= tc) & (y == 0)
    passed, bonus = guard_masks(pairs)
    bar = tv - bonus
    served = served_mask(cos, passed, bonus, score, tc, tv)
    gp, gr = pr_at(served, y)
    report = {
        "pairs": len(pairs),
        "positives": int(y.sum()),
        "served_guard_and_verifier": {
            "precision": gp,
            "recall": gr,
            "balanced_precision": balanced_precision(served, y),
            "negatives_served_share": float(served[y == 0].mean()) if (y == 0).any() else None,
        },
        "guard_vetoes_of_verifier_accepted": {
            "positives": int((both & ~passed & (y == 1)).sum()),
            "negatives": int((both & ~passed & (y == 0)).sum()),
        },
        "with_verifier": {"precision": p, "recall": r},
        "cosine_only_at_threshold": {"precision": cp, "recall": cr},
        "negatives_clearing_cosine": int(neg_clear.sum()),
        "verifier_rejects_of_those": float((score[neg_clear] < tv).mean())
        if neg_clear.any()
        else None,
    }
    report["_served"], report["_bar"] = served, bar
    return report, score, cos, y


def main(argv: list[str] | None = None) -> None:
    """Run all evaluations, write JSON + PNG."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    verifier = PairVerifier.load()
    tc, tv = verifier.cosine_threshold, verifier.threshold
    encoder = offline_encoder("onnx")
    pairs_dir = DATA_DIR / "pairs"
    dev = load_qqp(pairs_dir / "qqp_dev.jsonl")
    train_q = {t for a, b, _ in load_qqp(pairs_dir / "qqp_train.jsonl") for t in (a, b)}
    dev_clean = [dev[i] for i in unseen_indices(dev, train_q)]
    _, paws_held = paws_split(load_paws(pairs_dir / "paws_qqp_train.tsv"))
    mock = json.loads((pairs_dir / "gptcache_mock_data.json").read_text())
    texts = [t for a, b, _ in dev + paws_held for t in (a, b)]
    vecs = embed_texts(encoder, texts + [t for m in mock for t in (m["origin"], m["similar"])])
    result: dict = {"operating_point": {"cosine_threshold": tc, "verifier_threshold": tv}}
    curves = {}
    for name, pairs in (
        ("qqp_dev", dev),
        ("qqp_dev_unseen_questions", dev_clean),
        ("paws_heldout", paws_held),
    ):
        report, score, cos, y = pair_report(pairs, vecs, verifier, tc, tv)
        served, bar = report.pop("_served"), report.pop("_bar")
        if name == "qqp_dev_unseen_questions":
            report["routed"] = routed_recall(pairs, vecs, served, score, bar)
        grid = np.round(np.arange(0.50, 1.0, 0.01), 2)
        report["cosine_only_curve"] = pr_curve(cos, y, grid)
        report["served_curve"] = served_curve(pairs, score, cos, y, tc)
        report["verifier_curve_at_cosine_threshold"] = pr_curve(
            np.where(cos >= tc, score, -1.0), y, np.round(np.arange(0.05, 1.0, 0.01), 2)
        )
        result[name] = report
        curves[name] = report
        print(name, json.dumps({k: v for k, v in report.items() if "curve" not in k}))
    result["gptcache_replay"] = gptcache_replay(Guarded(verifier), tc, vecs)
    real = list(
        dict.fromkeys([t for a, b, _ in dev for t in (a, b)][:6000] + [m["origin"] for m in mock])
    )
    result["gibberish"] = gibberish_test(Guarded(verifier), tc, real, encoder)
    result["verifier_score_median_us"] = verifier_latency_us(verifier, dev, vecs)
    result["guard_and_verifier_median_us"] = verifier_latency_us(Guarded(verifier), dev, vecs)
    print(
        json.dumps(
            {
                k: result[k]
                for k in (
                    "gptcache_replay",
                    "gibberish",
                    "verifier_score_median_us",
                    "guard_and_verifier_median_us",
                )
            }
        )
    )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "cache_quality.json").write_text(json.dumps(result, indent=1) + "\n")
    plot(curves, tc, tv, args.out / "cache_quality.png")
    print(f"wrote {args.out / 'cache_quality.json'}")


def plot(curves: dict, tc: float, tv: float, path: Path) -> None:
    """Precision-recall: cosine threshold sweep vs verifier threshold sweep at the cosine gate."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.6))
    for ax, (name, rep) in zip(axes, curves.items(), strict=True):
        for key, label in (
            ("cosine_only_curve", "cosine only (threshold 0.50-0.99)"),
            ("verifier_curve_at_cosine_threshold", f"cosine >= {tc:.2f} + verifier (0.05-0.99)"),
        ):
            arr = np.array(rep[key])
            ax.plot(arr[:, 2], arr[:, 1], label=label)
        op = rep["with_verifier"]
        ax.scatter(
            [op["recall"]],
            [op["precision"]],
            color="red",
            zorder=3,
            label=f"default (verifier {tv:.2f})",
        )
        ax.axhline(0.95, color="gray", lw=0.6, ls="--")
        ax.set(title=name, xlabel="recall", ylabel="precision", xlim=(0, 1), ylim=(0.3, 1.01))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
