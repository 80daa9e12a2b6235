"""Hit verifier: a cheap second check on a semantic-cache candidate (numpy only at serve time).

`PairVerifier.score(query, query_vec, cand, cand_vec, similarity)` is P(same meaning) from a
small MLP over both embeddings (|u-v|, u*v) and lexical features that cosine is blind to:
numbers, negation, capitalized entities, question words, word order (ordered bigrams, discordant
order of shared words -- "flights from A to B" vs "from B to A"), token/char overlap, length, and
how word-like the text is (random gibberish has high cosine to other gibberish, never real
overlap), and the content words only one text has (one value swapped in an unchanged frame,
"the grey boot" / "the blue boot", is what the embedding alone tells worst from a synonym) and,
from WordNet (`cache/lexicon.py`), whether those words are synonyms ("book" / "reserve") or
different values of one kind ("navy" / "green").
Pass the *full* message texts, not the head+tail `cache_text`. Features are symmetric
in (query, cand) and bounded: a text longer than 64 KiB is read as its first and last 32 KiB,
word order is compared on at most 512 shared words, character trigrams on the first and last
8 KiB (the slot guard compares long texts whole). Weights: `cache/data/verifier.npz` written
by `python -m cache.train_verifier`.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Set as AbstractSet
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from cache.lexicon import lexicon

FEATURE_VERSION = 4
DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "verifier.npz"

MAX_ORDER_WORDS = 512  # shared words compared for word order (all of them in short prompts)
CHAR_WINDOW = 8192  # characters of each end read for character trigrams
TEXT_WINDOW = 32768  # characters of each end of a long text read for the lexical features

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
NEGATIONS = frozenset(
    "not no never none nobody nothing neither nor cannot without n't isn't "
    "aren't wasn't weren't don't doesn't didn't can't couldn't won't wouldn't "
    "shouldn't hasn't haven't hadn't".split()
)
QWORDS = frozenset(
    "what how why when where who whom whose which is are can do does did should "
    "will would could was were".split()
)
STOPWORDS = frozenset(
    "a an the of to in on for and or is are was were be been do does did i "
    "you we my your me it its this that with as at by from can should would "
    "what how why which who when where will could there their they he she "
    "his her our us them than so if about into any some".split()
)
NUMBER_WORDS = {
    w: str(i)
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve".split()
    )
}
LEXICAL_NAMES = (
    "cosine",
    "jaccard",
    "content_jaccard",
    "char3_jaccard",
    "bigram_jaccard",
    "discordance",
    "content_discordance",
    "length_ratio",
    "abs_len_diff",
    "numbers_any",
    "numbers_differ",
    "numbers_jaccard",
    "negation_differ",
    "entity_missing",
    "entity_any",
    "qword_differ",
    "first_qword_differ",
    "wordness_min",
    "wordness_max",
    "unique_diff",
    "both_empty",
    "nonascii_any",
    "nonascii_jaccard",
    "only_one_side_min",
    "only_one_side_max",
    "one_for_one",
    "same_frame",
    "inflected",
    "synonym_paired",
    "related_swap",
    "lone_nouns",
)


class HitVerifier(Protocol):
    """Second check on a candidate hit; `cosine_threshold` is its shipped operating point."""

    cosine_threshold: float

    def accept(
        self, query: str, query_vec: np.ndarray, cand: str, cand_vec: np.ndarray, similarity: float
    ) -> bool: ...


@lru_cache(maxsize=1)
def _vocab() -> frozenset[str]:
    """Whole-word entries of the MiniLM WordPiece vocab (30k English words and pieces)."""
    from cache.text import tokenizer_path

    path = tokenizer_path().with_name("vocab.txt")
    words = path.read_text(encoding="utf-8").split("\n")
    return frozenset(w for w in words if (w.isalpha() and len(w) > 1) or w in {"a", "i"})


def _tokens(text: str) -> list[str]:
    toks = _WORD.findall(text.lower())
    return [NUMBER_WORDS.get(t, t) for t in toks]


def _jaccard(a: AbstractSet[Any], b: AbstractSet[Any]) -> float:
    union = len(a | b)
    return len(a & b) / union if union else 1.0


def _discordance(a: list[str], b: list[str]) -> float:
    """Share of pairs of shared words whose relative order differs between the two texts.

    Linear in the text lengths plus O(MAX_ORDER_WORDS^2): beyond `MAX_ORDER_WORDS` shared
    words an evenly spaced sample of them is compared (short prompts are never sampled)."""
    counts_a = Counter(a)
    pos_b = {t: i for i, t in enumerate(b)}
    shared = [pos_b[t] for t in dict.fromkeys(a) if t in pos_b and counts_a[t] == 1]
    if len(shared) > MAX_ORDER_WORDS:
        step = len(shared) / MAX_ORDER_WORDS
        shared = [shared[int(i * step)] for i in range(MAX_ORDER_WORDS)]
    n = len(shared)
    if n < 2:
        return 0.0
    arr = np.asarray(shared)
    upper = np.triu(np.ones((n, n), dtype=bool), 1)
    return float(((arr[:, None] > arr[None, :]) & upper).sum() / upper.sum())


def _char3(text: str) -> set[str]:
    """Character trigrams of the text's first and last `CHAR_WINDOW` characters (bounded: the
    slot guard compares long texts whole, this feature only measures surface overlap)."""
    low = text.lower()
    if len(low) > 2 * CHAR_WINDOW:
        low = low[:CHAR_WINDOW] + "\x00" + low[-CHAR_WINDOW:]
    return {low[i : i + 3] for i in range(max(0, len(low) - 2))}


def _wordness(toks: list[str], vocab: frozenset[str]) -> float:
    alpha = [t for t in toks if t.isalpha()]
    return sum(t in vocab for t in alpha) / len(alpha) if alpha else 0.0


def _entities(text: str) -> set[str]:
    """Capitalized words not at a sentence start (and acronyms anywhere), lowercased."""
    out: set[str] = set()
    prev = "."
    for raw in text.split():
        word = raw.strip("\"'()[]{},;:?!.")
        acronym = len(word) > 1 and word.isupper() and word.isalpha()
        if (
            word[:1].isupper()
            and (acronym or prev[-1:] not in ".?!")
            and word[:2] not in {"I", "I'"}
        ):
            out.update(_WORD.findall(word.lower()))
        prev = raw
    return out


def _substitution(ta: list[str], tb: list[str], ca: set[str], cb: set[str]) -> tuple[float, ...]:
    """The content words only one text has: how many on each side (capped at 3), one for one,
    whether the rest of the two word sequences is identical (a value swapped in an unchanged
    frame: "the grey boot" / "the blue boot"), and whether the differing words are inflections
    of each other ("phobia" / "phobias"). Linear in the token counts."""
    da, db = ca - cb, cb - ca
    lo, hi = sorted((len(da), len(db)))
    frame = [t for t in ta if t not in da] == [t for t in tb if t not in db]
    inflected = bool(da and db) and {w[:4] for w in da} == {w[:4] for w in db}
    return (
        min(lo, 3) / 3,
        min(hi, 3) / 3,
        float(lo == hi == 1),
        float(frame and hi > 0),
        float(inflected),
    )


def _bounded(text: str) -> str:
    """A long text's first and last `TEXT_WINDOW` characters: features stay O(1) beyond that
    (the slot guard has already compared long texts whole) and no C call holds the GIL long."""
    if len(text) <= 2 * TEXT_WINDOW:
        return text
    return text[:TEXT_WINDOW] + "\n" + text[-TEXT_WINDOW:]


def lexical_features(a: str, b: str, cosine: float) -> np.ndarray:
    """Symmetric lexical features of a text pair, in `LEXICAL_NAMES` order."""
    a, b = _bounded(a), _bounded(b)
    ta, tb = _tokens(a), _tokens(b)
    sa, sb = set(ta), set(tb)
    ca, cb = sa - STOPWORDS, sb - STOPWORDS
    ka, kb = [t for t in ta if t not in STOPWORDS], [t for t in tb if t not in STOPWORDS]
    ga, gb = _char3(a), _char3(b)
    ba, bb = set(itertools.pairwise(ta)), set(itertools.pairwise(tb))
    na = set(_NUMBER.findall(a)) | {t for t in sa if t.isdigit()}
    nb = set(_NUMBER.findall(b)) | {t for t in sb if t.isdigit()}
    ea, eb = _entities(a), _entities(b)
    missing = max(len(ea - sb) / max(len(ea), 1), len(eb - sa) / max(len(eb), 1))
    qa, qb = [t for t in ta if t in QWORDS], [t for t in tb if t in QWORDS]
    la, lb = len(ta), len(tb)
    vocab = _vocab()
    # MiniLM maps most non-Latin symbols to [UNK]: two texts differing only there embed alike.
    xa = {c for c in a if ord(c) > 127 and not c.isspace()}
    xb = {c for c in b if ord(c) > 127 and not c.isspace()}
    wa, wb = _wordness(ta, vocab), _wordness(tb, vocab)
    feats = (
        cosine,
        _jaccard(sa, sb),
        _jaccard(ca, cb),
        _jaccard(ga, gb),
        _jaccard(ba, bb),
        max(_discordance(ta, tb), _discordance(tb, ta)),
        max(_discordance(ka, kb), _discordance(kb, ka)),
        min(la, lb) / max(la, lb, 1),
        abs(np.log1p(la) - np.log1p(lb)),
        float(bool(na or nb)),
        float(na != nb),
        _jaccard(na, nb),
        float((len(sa & NEGATIONS) > 0) != (len(sb & NEGATIONS) > 0)),
        missing,
        float(bool(ea or eb)),
        1.0 - _jaccard(set(qa), set(qb)),
        float(qa[:1] != qb[:1]),
        min(wa, wb),
        max(wa, wb),
        len(sa ^ sb) / max(len(sa | sb), 1),
        float(not (sa or sb)),
        float(bool(xa or xb)),
        _jaccard(xa, xb),
        *_substitution(ta, tb, ca, cb),
        *lexicon().relations(ca - cb, cb - ca),
    )
    return np.asarray(feats, dtype=np.float32)


def pair_features(a: str, u: np.ndarray, b: str, v: np.ndarray, cosine: float) -> np.ndarray:
    """Full feature row: |u-v|, u*v, then the lexical features."""
    u = np.asarray(u, dtype=np.float32).ravel()
    v = np.asarray(v, dtype=np.float32).ravel()
    return np.concatenate([np.abs(u - v), u * v, lexical_features(a, b, cosine)])


class PairVerifier:
    """MLP pair classifier (one ReLU layer) over `pair_features`; numpy forward pass."""

    def __init__(self, weights: dict[str, np.ndarray], *, threshold: float | None = None) -> None:
        if int(weights["feature_version"]) != FEATURE_VERSION:
            raise ValueError(
                f"verifier weights have feature version "
                f"{int(weights['feature_version'])}, code expects {FEATURE_VERSION}"
            )
        self.family = str(weights["family"])
        self.mean = weights["mean"].astype(np.float32)
        self.scale = weights["scale"].astype(np.float32)
        self.w1, self.b1 = weights["w1"].astype(np.float32), weights["b1"].astype(np.float32)
        self.w2, self.b2 = weights["w2"].astype(np.float32), weights["b2"].astype(np.float32)
        self.cosine_threshold = float(weights["cosine_threshold"])
        self.threshold = float(weights["threshold"]) if threshold is None else threshold

    @classmethod
    def load(
        cls, path: str | Path | None = None, *, threshold: float | None = None
    ) -> PairVerifier:
        """Load shipped (or given) weights; `threshold` overrides the stored operating point."""
        with np.load(path or DEFAULT_PATH, allow_pickle=False) as data:
            return cls({k: data[k] for k in data.files}, threshold=threshold)

    def score_features(self, x: np.ndarray) -> np.ndarray:
        """P(same meaning) for feature rows (n, d)."""
        z = (np.atleast_2d(x).astype(np.float32) - self.mean) / self.scale
        h = np.maximum(z @ self.w1 + self.b1, 0.0)
        logit = (h @ self.w2 + self.b2).ravel()
        prob: np.ndarray = (1.0 / (1.0 + np.exp(-np.clip(logit, -30, 30)))).astype(np.float32)
        return prob

    def score(
        self, query: str, query_vec: np.ndarray, cand: str, cand_vec: np.ndarray, similarity: float
    ) -> float:
        """P(query and cand mean the same)."""
        row = pair_features(query, query_vec, cand, cand_vec, similarity)
        return float(self.score_features(row)[0])

    def accept(
        self, query: str, query_vec: np.ndarray, cand: str, cand_vec: np.ndarray, similarity: float
    ) -> bool:
        """True when the verifier's score clears its threshold."""
        return self.score(query, query_vec, cand, cand_vec, similarity) >= self.threshold
