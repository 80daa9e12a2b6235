"""Held-out cache correctness: app-shaped families the guard and verifier were not built on.

`python -m benchmarks.cache_heldout [--suite heldout|blind|blind2|...|blind6] [--seeds 1 2 3]
[--e2e]` drives the real cache (`SemanticCache` with the int8 MiniLM encoder, the shipped
verifier and the slot guard, at the verifier's operating point, as the proxy builds it) with
`benchmarks/heldout_families.py`, written without reading `adversarial_families.py`, or with
`--suite blind` the fresh `benchmarks/blind_families.py` (written blind to the guard and the
verifier as well; results in `benchmarks/results/cache_blind.json`, listing every wrong hit, not
three), or with `--suite blind2` the second blind suite `benchmarks/blind2_families.py` (written
blind to the fixes made while looking at the first; `benchmarks/results/cache_blind2.json`),
or with `--suite blind3` the third blind suite `benchmarks/blind3_families.py` (written blind to
the cache code and to both earlier suites' results; `benchmarks/results/cache_blind3.json`),
or with `--suite blind4` the fourth blind suite `benchmarks/blind4_families.py` (written blind to
the cache code, its history and every earlier suite's results; `cache_blind4.json`), or with
`--suite blind5` the fifth blind suite `benchmarks/blind5_families.py` (written under the same
rules, in domains and languages new to all four; `cache_blind5.json`), or with `--suite blind6`
the sixth blind suite `benchmarks/blind6_families.py` (same rules, domains and kinds of change
new to all five; `cache_blind6.json`).
Per family and seed one scope holds `--stored` prompts (default 12; template 0, distinct slots);
then each stored prompt is asked
- reworded (same slots, every other template): a hit is right only if it serves that prompt;
- varied three times (one meaning-bearing change), in template 0 and in a rewording.
A hit is **wrong** whenever the served entry's slots differ from the query's (so a varied prompt
that happens to equal another stored prompt may rightly hit it).

`--e2e` replays the same trials through a real `python -m sidecar` with the bundled echo mock,
one tenant per family and seed, and checks every answer against its own prompt (the mock echoes
it), so a wrong answer cannot go uncounted. Results: `benchmarks/results/cache_heldout.json`
(or `cache_blind.json` ... `cache_blind6.json`), one key
per `--label` (e.g. `before_fix` / `after_fix`).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import (
    blind2_families,
    blind3_families,
    blind4_families,
    blind5_families,
    blind6_families,
    blind_families,
    heldout_families,
)
from benchmarks.heldout_families import Family
from benchmarks.heldout_scoring import score_family, totals
from cache.encoders import load_encoder
from cache.store import SemanticCache
from cache.text import cache_text
from cache.verifier import PairVerifier
from sidecar.config import configured_model_dir
from sidecar.config_sections import CacheSettings

RESULTS = Path(__file__).parent / "results"


@dataclass(frozen=True)
class Suite:
    """A family suite, where its runs are stored and how many wrong examples each family keeps."""

    name: str
    families: tuple[Family, ...]
    out: Path
    max_examples: int
    note: str


SUITES = {
    "heldout": Suite(
        "heldout",
        heldout_families.FAMILIES,
        RESULTS / "cache_heldout.json",
        3,
        "families written blind to adversarial_families.py",
    ),
    "blind": Suite(
        "blind",
        blind_families.FAMILIES,
        RESULTS / "cache_blind.json",
        10_000,  # every wrong hit: the list is what the fixes start from
        "families written blind to the guard, the verifier and both other suites",
    ),
    "blind2": Suite(
        "blind2",
        blind2_families.FAMILIES,
        RESULTS / "cache_blind2.json",
        10_000,  # every wrong hit: this suite is the generalization check of the blind fixes
        "second blind suite: written blind to the guard, the verifier, their fixes and all "
        "three other suites, landed before its first (single) run",
    ),
    "blind3": Suite(
        "blind3",
        blind3_families.FAMILIES,
        RESULTS / "cache_blind3.json",
        10_000,  # every wrong hit: the generalization check of the fixes made on blind/blind2
        "third blind suite: written without reading cache/ code, its git history, any results "
        "or the earlier blind suites' wrong hits; landed before its first (single) run",
    ),
    "blind4": Suite(
        "blind4",
        blind4_families.FAMILIES,
        RESULTS / "cache_blind4.json",
        10_000,  # every wrong hit: the generalization check of the code after blind3
        "fourth blind suite: 39 families in domains new to every earlier suite, written without "
        "reading cache/ code, its git history or any results; landed before its first (single) "
        "run",
    ),
    "blind5": Suite(
        "blind5",
        blind5_families.FAMILIES,
        RESULTS / "cache_blind5.json",
        10_000,  # every wrong hit: the generalization check of the code after blind4
        "fifth blind suite: 48 families in domains and languages new to every earlier suite, "
        "written without reading cache/ or sidecar/ code, its git history or any results; "
        "landed before its first (single) run",
    ),
    "blind6": Suite(
        "blind6",
        blind6_families.FAMILIES,
        RESULTS / "cache_blind6.json",
        10_000,  # every wrong hit: the generalization check of the code after blind5
        "sixth blind suite: 48 families in domains and kinds of change new to every earlier "
        "suite, written without reading cache/ or sidecar/ code, its git history or any "
        "results; landed before its first (single) run",
    ),
}


def shipped_parts() -> tuple[Callable[[str], np.ndarray], PairVerifier, str]:
    """What the real cache is built from, in process: an embed function (the int8 MiniLM on
    the cache's text, memoized per text), the shipped verifier, and the encoder's family."""
    encoder = load_encoder("onnx", configured_model_dir(os.environ))
    memo: dict[str, np.ndarray] = {}

    def embed(text: str) -> np.ndarray:
        if text not in memo:
            memo[text] = encoder.encode([cache_text(text)])[0]
        return memo[text]

    return embed, PairVerifier.load(), encoder.family


def in_process(
    suite: Suite, seeds: list[int], stored: int, siblings: int = CacheSettings().siblings
) -> dict[str, Any]:
    """The real cache, in process: int8 MiniLM, shipped verifier, slot guard."""
    embed, verifier, model_family = shipped_parts()
    out: dict[str, Any] = {}
    for family in suite.families:
        cache = SemanticCache(verifier=verifier, model_family=model_family, sibling_k=siblings)

        def put(scope: str, text: str, cache: SemanticCache = cache) -> None:
            cache.put(
                scope, text, embed(text), body=text.encode(), model="m", tier="t", tier_rank=0
            )

        def ask(scope: str, text: str, cache: SemanticCache = cache) -> str | None:
            found = cache.lookup(scope, text, embed(text), verifier.cosine_threshold)
            return None if found.entry is None else found.entry.text

        out[family.name] = score_family(
            family, seeds, stored, put, ask, suite.name, suite.max_examples
        )
    return {
        "cosine_threshold": verifier.cosine_threshold,
        "verifier_threshold": verifier.threshold,
        "siblings": siblings,
        "families": out,
        **totals(out),
    }


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--suite", choices=sorted(SUITES), default="heldout")
    p.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    p.add_argument("--stored", type=int, default=12)
    p.add_argument("--e2e", action="store_true", help="also through a real sidecar + echo mock")
    p.add_argument(
        "--siblings",
        type=int,
        default=CacheSettings().siblings,
        help="cache.siblings in process (0: check off)",
    )
    p.add_argument("--label", default="main", help="key the run is stored under in the JSON")
    args = p.parse_args(argv)
    suite = SUITES[args.suite]
    started = time.time()
    result: dict[str, Any] = {
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "seeds": args.seeds,
        "stored": args.stored,
        "note": f"2 shared vCPUs (shared with other agents); {suite.note}",
        "in_process": in_process(suite, args.seeds, args.stored, args.siblings),
    }
    if args.e2e:
        from benchmarks.heldout_e2e import run_e2e

        result["e2e"] = run_e2e(
            args.seeds, args.stored, suite.families, suite.name, suite.max_examples
        )
    result["seconds"] = round(time.time() - started, 1)
    runs = json.loads(suite.out.read_text()) if suite.out.exists() else {}
    runs[args.label] = result
    suite.out.write_text(json.dumps(runs, indent=1, ensure_ascii=False) + "\n")
    for mode in ("in_process", "e2e"):
        if mode in result:
            print(mode, json.dumps(result[mode]["totals"]))
            for name, f in result[mode]["families"].items():
                print(
                    f"  {name:22s} wrong {f.get('differ_wrong', 0) + f.get('reword_wrong', 0):3d}"
                    f"/{f.get('differ_trials', 0) + f.get('reword_trials', 0):4d}"
                    f"  reword hit {f['reword_hit_rate']:.2f}"
                )


if __name__ == "__main__":
    main()
