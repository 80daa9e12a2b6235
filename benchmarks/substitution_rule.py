"""A rejected guard rule, measured: veto pairs that differ in one short span of content words.

`python -m benchmarks.substitution_rule` prints, for each labelled pair set, the share of the
pairs that pass today's guard which this rule would also veto, for true paraphrases and for
non-paraphrases. It catches the held-out review's remaining wrong hits ("grey hiking boot" /
"blue hiking boot", "orders" / "users") but vetoes paraphrases ("best" / "good") more often
than non-paraphrases on QQP, so it is not in `cache/guard.py` (docs/cache_quality.md).
"""

from __future__ import annotations

from cache.guard import check, words_of
from cache.pair_data import DATA_DIR, load_mrpc, load_paws, load_qqp

STOP = frozenset(
    "a an the of to in on for and or is are was were be do does did i you we it my your what "
    "which who how why when where can could should would will me this that with at by from as s "
    "please some any there their his her its our they he she them us".split()
)


def substituted(a: str, b: str, max_span: int = 3) -> bool:
    """True when a and b share a frame (3+ words) and differ in one span of 1-3 content words
    on each side with no content word in common."""
    wa, wb = words_of(a), words_of(b)
    p = 0
    while p < min(len(wa), len(wb)) and wa[p] == wb[p]:
        p += 1
    s = 0
    while s < min(len(wa), len(wb)) - p and wa[-1 - s] == wb[-1 - s]:
        s += 1
    da, db = wa[p : len(wa) - s], wb[p : len(wb) - s]
    if not (0 < len(da) <= max_span and 0 < len(db) <= max_span) or len(wa) - len(da) < 3:
        return False
    ca, cb = {w for w in da if w not in STOP}, {w for w in db if w not in STOP}
    return bool(ca and cb and not ca & cb)


def main() -> None:
    pairs_dir = DATA_DIR / "pairs"
    sets = {
        "qqp_train": load_qqp(pairs_dir / "qqp_train.jsonl"),
        "qqp_dev": load_qqp(pairs_dir / "qqp_dev.jsonl"),
        "paws_qqp_train": load_paws(pairs_dir / "paws_qqp_train.tsv"),
        "mrpc_train": load_mrpc(pairs_dir / "mrpc_train.tsv"),
    }
    for name, pairs in sets.items():
        for label, kind in ((1, "paraphrases"), (0, "non-paraphrases")):
            passed = [(a, b) for a, b, y in pairs if y == label and check(a, b).passed]
            hit = sum(substituted(a, b) for a, b in passed)
            print(
                f"{name:15s} {kind:16s} {hit:5d} of {len(passed):6d} guard-passed "
                f"({hit / max(len(passed), 1):.3f}) vetoed"
            )


if __name__ == "__main__":
    main()
