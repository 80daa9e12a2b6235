"""Word relations from WordNet for the hit verifier: synonyms vs. related-but-different words.

The embedding cannot tell "book a room" / "reserve a room" (the same request) from "the navy
coat" / "the green coat" (a different product): both are one content word swapped for a close
one. WordNet can: "book" and "reserve" share a synset, "navy" and "green" do not, but sit under
one hypernym ("chromatic colour"), the signature of a swapped value. `Lexicon` answers both
questions for the words of the MiniLM vocabulary from `cache/data/lexicon.npz` (built from
WordNet 3.0 by `python -m cache.build_lexicon`; licence in `cache/data/WORDNET_LICENSE`).
Lookups are dictionary and small-array operations; the file loads once per process (~1 MB).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "lexicon.npz"
_EMPTY: frozenset[int] = frozenset()
MEMO_SIZE = 100_000  # looked-up word sets kept (~2 per vocabulary word; unknown words too)
MAX_WORDS = 64  # content words per side looked up (long texts: the slot guard reads them whole)


class Lexicon:
    """Synsets and noun taxonomy (synsets + near hypernyms) of surface words."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self._row = {str(w): i for i, w in enumerate(arrays["words"])}
        # "syn": synsets, "tax": taxonomy; each a CSR pair (offsets per row, ids)
        self._tables = {
            kind: (arrays[f"{kind}_offsets"], arrays[f"{kind}_ids"]) for kind in ("syn", "tax")
        }
        self._noun = arrays["noun"]
        self._memo: dict[tuple[str, str], frozenset[int]] = {}
        self._antonyms: dict[int, set[int]] = {}
        for i, j in arrays["antonyms"].tolist():
            self._antonyms.setdefault(i, set()).add(j)
            self._antonyms.setdefault(j, set()).add(i)

    @classmethod
    def load(cls, path: Path = DEFAULT_PATH) -> Lexicon:
        with np.load(path) as data:
            return cls({k: data[k] for k in data.files})

    def __contains__(self, word: str) -> bool:
        return word in self._row

    def _ids(self, kind: str, word: str) -> frozenset[int]:
        """The word's ids in table `kind` ("syn" or "tax"), memoized."""
        key = (kind, word)
        found = self._memo.get(key)
        if found is None:
            row = self._row.get(word)
            found = _EMPTY
            if row is not None:
                offsets, ids = self._tables[kind]
                found = frozenset(ids[offsets[row] : offsets[row + 1]].tolist())
            if len(self._memo) < MEMO_SIZE:  # bounded: at most two sets per vocabulary word
                self._memo[key] = found
        return found

    def synonyms(self, a: str, b: str) -> bool:
        """The two words share a sense (after WordNet's base-form rules)."""
        return a == b or bool(self._ids("syn", a) & self._ids("syn", b))

    def related(self, a: str, b: str) -> bool:
        """Not synonyms, but one is a near hypernym of the other or both share one
        ("navy"/"green", "customer"/"user"): a different value of the same kind."""
        if self.synonyms(a, b):
            return False
        return bool(self._ids("tax", a) & self._ids("tax", b))

    def antonyms(self, a: str, b: str) -> bool:
        """WordNet marks the two words (their base forms) as antonyms ("arrive" / "depart")."""
        i, j = self._row.get(a), self._row.get(b)
        return i is not None and j in self._antonyms.get(i, ())

    def opposed(self, only_a: set[str], only_b: set[str]) -> bool:
        """A word only one text has is an antonym of a word only the other has (each side
        capped at `MAX_WORDS`, linear)."""
        a, b = sorted(only_a)[:MAX_WORDS], sorted(only_b)[:MAX_WORDS]
        rows_b = {self._row[w] for w in b if w in self._row}
        return any(
            not self._antonyms.get(self._row[w], set()).isdisjoint(rows_b)
            for w in a
            if w in self._row
        )

    def is_noun(self, word: str) -> bool:
        row = self._row.get(word)
        return row is not None and bool(self._noun[row])

    def relations(self, only_a: set[str], only_b: set[str]) -> tuple[float, float, float]:
        """Features of the content words only one text has (each side capped at `MAX_WORDS`,
        linear in their number): the share of them with a synonym among the other side's,
        whether some word without a synonym is related to one of the other side's (a swapped
        value of one kind), and the most nouns without a synonym on one side (capped at 3)."""
        a, b = sorted(only_a)[:MAX_WORDS], sorted(only_b)[:MAX_WORDS]
        syn_a, syn_b = ([self._ids("syn", w) for w in side] for side in (a, b))
        all_a, all_b = frozenset().union(*syn_a), frozenset().union(*syn_b)
        lone_a = [w for w, s in zip(a, syn_a, strict=True) if not s & all_b]
        lone_b = [w for w, s in zip(b, syn_b, strict=True) if not s & all_a]
        paired = (len(a) - len(lone_a) + len(b) - len(lone_b)) / max(len(a) + len(b), 1)
        tax_b = frozenset().union(*(self._ids("tax", w) for w in lone_b))
        related = any(self._ids("tax", w) & tax_b for w in lone_a)
        nouns = max(sum(map(self.is_noun, lone_a)), sum(map(self.is_noun, lone_b)))
        return paired, float(related), min(nouns, 3) / 3


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    """The shipped lexicon, loaded once."""
    return Lexicon.load()
