"""What each exact-layer normalization gains: `python -m benchmarks.exact_normalization`.

For every candidate normalization alone, count the distinct raw prompts (QQP train + dev
questions, PAWS sentences, Arena-Hard prompts) that would share an exact key with another
distinct prompt, i.e. extra exact hits it could create. Writes
`benchmarks/results/exact_normalization.json`. The shipped `cache.text.normalize` keeps only
the meaning-preserving ones (docs/cache_quality.md).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from cache.pair_data import DATA_DIR, load_paws, load_qqp
from cache.text import normalize

RESULTS = Path(__file__).resolve().parent / "results"

CANDIDATES: dict[str, Callable[[str], str]] = {
    "strip": str.strip,
    "crlf_to_lf": lambda t: t.replace("\r\n", "\n").replace("\r", "\n"),
    "trailing_space_per_line": lambda t: re.sub(r"[ \t]+(?=\n|$)", "", t),
    "nfc": lambda t: unicodedata.normalize("NFC", t),
    "nfkc (x² = x2)": lambda t: unicodedata.normalize("NFKC", t),
    "casefold": str.casefold,
    "collapse_inner_spaces": lambda t: re.sub(r"(?<=\S)[ \t]{2,}(?=\S)", " ", t),
    "collapse_all_whitespace": lambda t: re.sub(r"\s+", " ", t),
    "shipped normalize()": normalize,
}


def texts() -> list[str]:
    """Distinct prompts from the pair and prompt data."""
    pairs = DATA_DIR / "pairs"
    out = [
        t for f in ("qqp_train.jsonl", "qqp_dev.jsonl") for p in load_qqp(pairs / f) for t in p[:2]
    ]
    out += [t for p in load_paws(pairs / "paws_qqp_train.tsv") for t in p[:2]]
    for f in sorted((DATA_DIR / "prompts").glob("*.jsonl")):
        out += [json.loads(line)["prompt"] for line in f.read_text().split("\n") if line.strip()]
    return list(dict.fromkeys(out))


def merged(corpus: list[str], fn: Callable[[str], str]) -> int:
    """Distinct texts whose key equals another distinct text's key."""
    groups: dict[str, int] = defaultdict(int)
    for t in corpus:
        groups[fn(t)] += 1
    return sum(n for n in groups.values() if n > 1)


def main() -> None:
    """Count merges per normalization and write the JSON."""
    corpus = texts()
    result = {"distinct_texts": len(corpus), "merged_texts": {}}
    for name, fn in CANDIDATES.items():
        result["merged_texts"][name] = merged(corpus, fn)
        print(f"{name:28} {result['merged_texts'][name]}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "exact_normalization.json").write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
