"""Score a verifier weights file on every evaluation at once, from cached candidate pairs.

`python -m benchmarks.verifier_sweep [--weights FILE] [--heldout]` prints, for the weights'
operating point (or `--tc/--tv`): the own suite's wrong hits and reword hit rate per family,
QQP dev (all / unseen questions) precision, recall and balanced precision, and PAWS held-out
negatives served; `--heldout` adds the held-out families (report them, never tune on them).

Why cached pairs: the cache judges only the best candidate above the cosine threshold, so which
pair the guard and verifier see does not depend on the verifier. The suites are replayed once
through the real `SemanticCache` (int8 MiniLM, slot guard) with a recording verifier; each
trial keeps its best candidate, cosine, guard outcome and whether serving it would be right.
The guard is off while recording and applied per sweep, so one replay serves every guard version.
Replays are cached under `$SIDECAR_BENCH_CACHE` (`verifier_sweep_v2_*.pkl`).
"""

from __future__ import annotations

import argparse
import pickle
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np

from cache.decision import ANCHOR_BONUS
from cache.guard import PASS, anchor_kinds, check
from cache.pair_data import (
    DATA_DIR,
    bench_cache_dir,
    embed_texts,
    load_paws,
    load_qqp,
    offline_encoder,
    paws_split,
)
from cache.store import SemanticCache
from cache.text import cache_text
from cache.train_verifier import featurize, pr_at
from cache.verifier import PairVerifier, pair_features

RECORD_COSINE = 0.60  # candidates recorded down to this cosine (the served gate is higher)
Trial = dict[str, Any]


class Recorder:
    """A verifier that records the pair it is asked about and rejects it."""

    threshold = 2.0
    cosine_threshold = RECORD_COSINE

    def __init__(self) -> None:
        self.last: tuple[str, np.ndarray, str, np.ndarray, float] | None = None

    def score(self, q: str, qv: np.ndarray, c: str, cv: np.ndarray, sim: float) -> float:
        self.last = (q, qv, c, cv, sim)
        return 0.0


def _replay(
    items: Iterator[tuple[str, str, str, str, Callable[[str], bool]]],
    stores: Callable[[str], list[str]],
    embed: Callable[[str], np.ndarray],
) -> list[Trial]:
    """items: (family, scope, kind, query, is_right(served_text)); returns one Trial each.

    The guard is off while recording and judged later, per sweep (`suite_table`): recording
    every best candidate keeps the replays valid for any guard version."""
    rec = Recorder()
    caches: dict[str, SemanticCache] = {}
    out: list[Trial] = []
    with mock.patch("cache.guard.check", return_value=PASS):
        for family, scope, kind, query, is_right in items:
            if scope not in caches:
                caches[scope] = cache = SemanticCache(verifier=rec, model_family="m")
                for text in stores(scope):
                    cache.put(
                        scope, text, embed(text), body=b"{}", model="m", tier="t", tier_rank=0
                    )
            rec.last = None
            found = caches[scope].lookup(scope, query, embed(query), RECORD_COSINE)
            trial: Trial = {"family": family, "kind": kind, "result": found.result.value}
            if rec.last is not None:
                q, qv, c, cv, sim = rec.last
                trial.update(query=q, qv=qv, cand=c, cv=cv, sim=sim, right=is_right(c))
            out.append(trial)
    return out


def own_suite(embed: Callable[[str], np.ndarray]) -> list[Trial]:
    """The trials of `benchmarks/cache_adversarial.py` (seeds 11 22 33, 12 stored)."""
    from benchmarks.adversarial_families import FAMILIES
    from benchmarks.cache_adversarial import SEEDS, trials

    stored: dict[str, list[str]] = {}

    def items() -> Iterator[tuple[str, str, str, str, Callable[[str], bool]]]:
        for family in FAMILIES:
            for seed in SEEDS:
                scope = f"{family.name}/{seed}"
                texts, asked = trials(family, seed, 12)
                stored[scope] = texts
                for kind, query, own in asked:
                    if own is None:
                        yield family.name, scope, kind, query, lambda c: False
                    else:
                        yield family.name, scope, kind, query, lambda c, t=texts[own]: c == t

    return _replay(items(), lambda scope: stored[scope], embed)


def heldout_suite(embed: Callable[[str], np.ndarray], suite: str = "heldout") -> list[Trial]:
    """The in-process trials of `benchmarks/cache_heldout.py --suite NAME` (seeds 1 2 3,
    12 stored)."""
    from benchmarks.cache_heldout import SUITES
    from benchmarks.heldout_scoring import stored_texts, trials

    stored: dict[str, list[str]] = {}

    def items() -> Iterator[tuple[str, str, str, str, Callable[[str], bool]]]:
        for family in SUITES[suite].families:
            for seed in (1, 2, 3):
                scope = f"{suite}-{family.name}-{seed}"
                stored[scope] = stored_texts(family, seed, 12)
                for kind, query, right in trials(family, seed, 12):
                    ok = right.split()
                    yield family.name, scope, kind, query, lambda c, ok=ok: c.split() == ok

    return _replay(items(), lambda scope: stored[scope], embed)


def cached_suite(name: str, build: Callable[..., list[Trial]], embed: Any) -> list[Trial]:
    path = bench_cache_dir() / f"verifier_sweep_v2_{name}.pkl"
    if path.exists():
        with path.open("rb") as fh:
            return pickle.load(fh)
    trials = build(embed)
    with path.open("wb") as fh:
        pickle.dump(trials, fh)
    return trials


def suite_table(
    trials: list[Trial], v: PairVerifier, tc: float, tv: float, bonus: dict[str, float]
) -> dict:
    """Per family: wrong hits / slot-differing trials, right hits / rewordings."""
    judged = [t for t in trials if "cand" in t and check(t["query"], t["cand"]).passed]
    rows = [pair_features(t["query"], t["qv"], t["cand"], t["cv"], t["sim"]) for t in judged]
    scores = v.score_features(np.stack(rows)) if judged else []
    for t in trials:
        t.pop("score", None)
    for t, s in zip(judged, scores, strict=True):
        t["score"] = float(s)
        t["bonus"] = max((bonus[k] for k in anchor_kinds(t["query"], t["cand"])), default=0.0)
    c: dict[str, Counter[str]] = {}
    for t in trials:
        f = c.setdefault(t["family"], Counter())
        f[f"{t['kind']}_trials"] += 1
        if "score" not in t or t["sim"] < tc:
            continue
        bar = tv - t["bonus"]
        if t["score"] >= bar:
            f[f"{t['kind']}_{'right' if t['right'] else 'wrong'}"] += 1
        else:
            f[f"{t['kind']}_rejected"] += 1
    return {k: dict(v) for k, v in c.items()}


def print_suite(name: str, table: dict) -> None:
    tot: Counter[str] = Counter()
    for fam, f in table.items():
        tot.update(f)
        print(
            f"  {fam:22s} wrong {f.get('differ_wrong', 0) + f.get('reword_wrong', 0):3d}"
            f"/{f.get('differ_trials', 0):4d}"
            f"  reword {f.get('reword_right', 0) / max(f.get('reword_trials', 1), 1):.2f}"
            f"  (rejected {f.get('reword_rejected', 0)})"
        )
    wrong = tot["differ_wrong"] + tot["reword_wrong"]
    print(
        f"{name}: wrong {wrong}/{tot['differ_trials'] + tot['reword_trials']}"
        f"  reword hit {tot['reword_right'] / max(tot['reword_trials'], 1):.3f}"
    )


def pairs_report(
    v: PairVerifier, tc: float, tv: float, bonus: dict[str, float], sets: dict
) -> dict:
    out = {}
    for name, (x, y, cos, anchors, passed) in sets.items():
        b = np.array([max((bonus[k] for k in a), default=0.0) for a in anchors])
        s = v.score_features(x)
        served = (cos >= tc) & passed & (s >= tv - b)
        p, r = pr_at(served, y)
        neg = float(served[y == 0].mean())
        bal = r / (r + neg) if r + neg else 0.0
        out[name] = {
            "P": round(p, 3),
            "R": round(r, 3),
            "balP": round(bal, 3),
            "neg": round(neg, 4),
        }
    return out


def pair_sets(embed_all: Callable[[list[str]], dict]) -> dict:
    pairs_dir = DATA_DIR / "pairs"
    dev = load_qqp(pairs_dir / "qqp_dev.jsonl")
    train_q = {t for a, b, _ in load_qqp(pairs_dir / "qqp_train.jsonl") for t in (a, b)}
    unseen = [p for p in dev if p[0] not in train_q and p[1] not in train_q]
    _, paws = paws_split(load_paws(pairs_dir / "paws_qqp_train.tsv"))
    vecs = embed_all([t for a, b, _ in dev + paws for t in (a, b)])
    sets = {}
    for name, pairs in (("qqp_dev", dev), ("qqp_unseen", unseen), ("paws_held", paws)):
        x, y, cos = featurize(pairs, vecs)
        passed = np.array([check(a, b).passed for a, b, _ in pairs])
        anch = [anchor_kinds(a, b) for a, b, _ in pairs]
        sets[name] = (x, y, cos, anch, passed)
    return sets


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--weights", type=Path, default=None)
    p.add_argument("--tc", type=float, default=None)
    p.add_argument("--tv", type=float, nargs="+", default=None)
    p.add_argument("--heldout", action="store_true")
    p.add_argument("--suite", nargs="*", default=[], help="more cache_heldout suites (blind)")
    p.add_argument("--bonus", nargs="+", default=[], help="kind=value (name rare number id)")
    args = p.parse_args(argv)
    v = PairVerifier.load(args.weights)
    tc = args.tc if args.tc is not None else v.cosine_threshold
    encoder = offline_encoder("onnx")
    memo: dict[str, np.ndarray] = {}

    def embed(text: str) -> np.ndarray:
        if text not in memo:
            memo[text] = encoder.encode([cache_text(text)])[0]
        return memo[text]

    own = cached_suite("own", own_suite, embed)
    held = cached_suite("heldout", heldout_suite, embed) if args.heldout else None
    more = {
        name: cached_suite(name, lambda e, n=name: heldout_suite(e, n), embed)
        for name in args.suite
    }
    sets = pair_sets(lambda texts: embed_texts(encoder, texts))
    bonus = dict.fromkeys(("name", "rare", "number", "id"), ANCHOR_BONUS)
    bonus.update({k: float(x) for k, x in (kv.split("=") for kv in args.bonus)})
    for tv in args.tv or [v.threshold]:
        print(f"== tc {tc} tv {tv} bonus {bonus}")
        print_suite("own", suite_table(own, v, tc, tv, bonus))
        if held is not None:
            print_suite("heldout", suite_table(held, v, tc, tv, bonus))
        for name, trials in more.items():
            print_suite(name, suite_table(trials, v, tc, tv, bonus))
        print(pairs_report(v, tc, tv, bonus, sets))


if __name__ == "__main__":
    main()
