"""What the sibling check costs per judged candidate, cold and warm, short and document prompts.

`python -m benchmarks.siblings_cost [--siblings 16]` times `sibling_veto` against N stored
siblings of one template (every one a same-frame sibling: the expensive case) and against N
unrelated texts (rejected by the shared-word bound), for a short prompt and for an instruction
around a pasted invoice:
- **cold**: the per-pair memo cleared before each call (the first time a candidate is judged
  against these neighbours), word lists and tallies of the stored texts kept;
- **all cold**: every memo cleared (a fresh process);
- **warm**: memos kept (a popular entry's later hits).
Medians of repeated calls in µs; the machine (2 shared vCPUs) adds noise, so compare rows of one
run. Writes `benchmarks/results/siblings_cost.json`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from cache import siblings

OUT = Path(__file__).resolve().parent / "results" / "siblings_cost.json"
SHORT = (
    "My parked car was damaged by hail last night in {}. Will a {} policy pay for repairs at {}?"
)
CITIES = ("Leeds", "York", "Bath", "Hull", "Ely")
POLICIES = ("comprehensive", "basic", "liability only", "full cover")
GARAGES = ("the main garage", "a local garage")
INVOICE = (
    "INVOICE NW-7731\nAcme Paper Ltd, VAT no. GB 118 2203 90\nBill to: Blue Fern Cafe\n"
    "Invoice date: 4 March 2024\nDue date: 3 April 2024\n12 x receipt rolls @ 3.10\n"
    "Subtotal: 37.20\nVAT 20%: 7.44\nTotal due: 44.64"
)
DOC = "Extract the {} from the invoice below and return it as {}.\n\n" + INVOICE
FIELDS = ("due date", "invoice date", "total due", "VAT number", "supplier name")
FORMATS = ("JSON", "plain text", "a table", "CSV")
UNRELATED = (
    "Write a haiku about autumn leaves number {}.",
    "What is the capital of country {} in the list?",
    "Explain recursion to a child, example {}.",
)


def _median_us(call: Callable[[], object], before: Callable[[], None], n: int) -> float:
    times = []
    for _ in range(n):
        before()
        t = time.perf_counter()
        call()
        times.append(time.perf_counter() - t)
    return round(statistics.median(times) * 1e6, 1)


def _clear_pairs() -> None:
    siblings._memo_sides.cache_clear()


def _clear_all() -> None:
    _clear_pairs()
    siblings._memo_read.cache_clear()
    siblings._short_words.cache_clear()
    siblings.stem.cache_clear()


def case(query: str, cand: str, others: list[str], n: int) -> dict[str, float]:
    """Cold, all-cold and warm medians for one query against one candidate's neighbours."""

    def call() -> object:
        return siblings.sibling_veto(query, cand, others)

    call()
    return {
        "cold_us": _median_us(call, _clear_pairs, n),
        "all_cold_us": _median_us(call, _clear_all, n),
        "warm_us": _median_us(call, lambda: None, n),
    }


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--siblings", type=int, default=16)
    p.add_argument("--n", type=int, default=200)
    args = p.parse_args(argv)
    k = args.siblings
    short = [SHORT.format(c, p, g) for c in CITIES for p in POLICIES for g in GARAGES]
    docs = [DOC.format(f, m) for f in FIELDS for m in FORMATS]
    unrelated = [UNRELATED[i % 3].format(i) for i in range(k)]
    ask_short = (
        "Hail hit my parked car in Leeds; would a comprehensive policy pay at the main garage?"
    )
    ask_doc = INVOICE + "\n\nFrom this invoice, pull out the due date. Answer as JSON."
    result = {
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "siblings": k,
        "note": "2 shared vCPUs; medians of repeated calls; compare rows of one run",
        "short_template_siblings": case(ask_short, short[0], short[1 : k + 1], args.n),
        "document_template_siblings": case(ask_doc, docs[0], docs[1 : k + 1], args.n),
        "short_unrelated": case(ask_short, short[0], unrelated, args.n),
    }
    print(json.dumps(result, indent=1))
    OUT.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
