"""Sibling check: the cache's own entries show which words of a template are its slots.

A reworded request whose slot value differs ("Hail hit my car: would a *third-party only* policy
cover it?") can look closer to the stored "... Will a *comprehensive* policy pay for the
repairs?" than any wording the verifier rejects: the changed word is ordinary vocabulary, and the
rest of the text is reworded, so no word-level rule sees a one-word swap. The scope's other
entries tell what the guard cannot: when two stored prompts share a frame and differ only in a
few short spans ("comprehensive" / "third-party only"), those spans are the template's slots.

`sibling_veto(query, cand, others)` runs on a candidate the guard and the verifier accepted,
with the texts of the other entries the index returned near the query (same scope). For each
other entry `sib` of the same frame as `cand` (<= `MAX_SPANS` changed spans of <= `MAX_SPAN`
words, a shared frame of >= `MIN_FRAME` words and >= `FRAME_SHARE` of the longer text) whose
swaps are not rewordings (not function words, inflections or WordNet synonyms), it vetoes when:
- **missing**: the query lacks a content word of `cand`'s side of a swap that `sib` lacks (it
  asks about some other value of that slot), or
- **other side**: the query has every content word of `sib`'s side that `cand` lacks (it asks
  about `sib`'s value).
The returned `Sibling` names the rule and the sibling whose value the query carries (callers
may judge that entry next). A word counts as present in the query in the same spelling or as an
inflection (one suffix: -s, -es, -ies, -ed, -ing); for **missing**, a WordNet synonym also
counts (a rewording may say "automobile" for "car"), for **other side** it does not (WordNet's
senses are broad: "push" / "force" would make a query about `git push --tags` carry
`--force`). Texts over `MAX_WORDS` words are left to the whole-text rule; each comparison is
one `SequenceMatcher` pass over <= 80 words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from cache.lexicon import lexicon
from cache.qualifiers import STOP, canon, light_or_same
from cache.slots import words_of

MAX_WORDS = 80  # longer prompts are documents: the whole-text rule compares them
MAX_SPANS = 3  # a template with up to three slots changed at once is still one frame
MAX_SPAN = 4  # words per changed span ("third-party, fire and theft")
MIN_FRAME = 4  # shared words, at least
FRAME_SHARE = 0.5  # and at least this share of the longer text
SUFFIXES = (("ies", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ing", ""))


@dataclass(frozen=True, slots=True)
class Sibling:
    """Why a candidate was vetoed: `rule` ("sibling_missing" / "sibling_other") and the index
    in `others` of the sibling whose slot value told it apart (the query's value when
    `carries`)."""

    rule: str
    index: int
    carries: bool


class _Query:
    """The query's content words, for presence tests of slot words."""

    def __init__(self, words: list[str]) -> None:
        self.words = {w for w in canon(words) if w not in STOP}
        self.stems = {stem(w) for w in self.words}

    def carries(self, word: str) -> bool:
        """`word` is in the query in some spelling (not as a synonym: WordNet's senses are
        broad, "push" / "force", "work" / "study")."""
        return word in self.words or stem(word) in self.stems

    def has(self, word: str) -> bool:
        """`word` is in the query in some spelling or as a synonym of a query word."""
        if self.carries(word):
            return True
        if word.isdigit():
            return False
        lex = lexicon()
        return any(lex.synonyms(word, w) for w in self.words if not w.isdigit())


def stem(word: str) -> str:
    """`word` without one inflectional suffix ("repairs", "paid" stays): a first letters
    test would also join "supply" / "supplier", "custom" / "customer"."""
    for suffix, repl in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + repl
    return word


def words(text: str) -> list[str]:
    """Lowercased words with a possessive "'s" dropped ("META's" is "meta")."""
    return [w[:-2] if w.endswith("'s") else w for w in words_of(text)]


def slot_sides(cand: list[str], sib: list[str]) -> tuple[set[str], set[str]] | None:
    """Content words of `cand`'s and of `sib`'s sides of the non-rewording swaps between two
    word lists of one frame (each side minus the words the other text has anywhere), or None
    when the two are not one frame or differ only by rewording swaps."""
    if max(len(cand), len(sib)) > MAX_WORDS or cand == sib:
        return None
    ops = SequenceMatcher(None, cand, sib, autojunk=False).get_opcodes()
    changed = [op for op in ops if op[0] != "equal"]
    frame = sum(i2 - i1 for tag, i1, i2, _, _ in ops if tag == "equal")
    if frame < max(MIN_FRAME, FRAME_SHARE * max(len(cand), len(sib))):
        return None
    if len(changed) > MAX_SPANS or any(
        i2 - i1 > MAX_SPAN or j2 - j1 > MAX_SPAN for _, i1, i2, j1, j2 in changed
    ):
        return None
    in_cand, in_sib = set(canon(cand)), set(canon(sib))
    ours: set[str] = set()
    theirs: set[str] = set()
    for _, i1, i2, j1, j2 in changed:
        xs, ys = cand[i1:i2], sib[j1:j2]
        if xs and ys and light_or_same(xs, ys):
            continue  # a reworded span: not a slot
        ours |= set(canon(xs)) - in_sib - STOP
        theirs |= set(canon(ys)) - in_cand - STOP
    return (ours, theirs) if ours or theirs else None


def sibling_veto(query: str, cand: str, others: Sequence[str]) -> Sibling | None:
    """The first sibling of `cand` among `others` whose slot words tell the query apart from
    `cand` (see the module docstring), or None."""
    wc = words(cand)
    wq = words(query)
    if not others or max(len(wc), len(wq)) > MAX_WORDS:
        return None
    q = _Query(wq)
    missing: Sibling | None = None
    for i, other in enumerate(others):
        sides = slot_sides(wc, words(other))
        if sides is None:
            continue
        ours, theirs = sides
        if theirs and all(map(q.carries, theirs)):
            return Sibling("sibling_other", i, carries=True)
        if missing is None and not all(map(q.has, ours)):
            missing = Sibling("sibling_missing", i, carries=False)
    return missing
