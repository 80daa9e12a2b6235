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
swaps are not rewordings (a swapped span's value words are its content words, or its other
words but articles, pronouns and auxiliaries when it has none; a value word the other side
has as an inflection or WordNet synonym is a rewording), it vetoes when:
- **missing**: the query lacks a value word of `cand`'s side of a swap that `sib` lacks (it
  asks about some other value of that slot), or
- **other side**: the query has every value word of `sib`'s side of a swap that `cand` lacks,
  and not `cand`'s ("premium economy" asked, "economy" stored): it asks about `sib`'s value.
The returned `Sibling` names the rule and, when the query carries `sib`'s side of every swap,
the sibling (callers may judge that entry next). A word counts as present in the query in the
same spelling or as an inflection (one suffix: -s, -es, -ies, -ed, -ing); for **missing**, a
WordNet synonym also counts (a rewording may say "automobile" for "car"), for **other side**
it does not (WordNet's senses are broad: "push" / "force" would make a query about
`git push --tags` carry `--force`). Of texts over `MAX_WORDS` words only the first and last
`EDGE_WORDS` are aligned (the instruction around a pasted document; the whole-text rule
compares the document); each comparison is one `SequenceMatcher` pass over <= 80 words;
queries over `MAX_QUERY_CHARS` are not read.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

from cache.guard import EDGE_WORDS  # a long prompt's instruction: its first and last words
from cache.lexicon import lexicon
from cache.qualifiers import STOP, canon
from cache.slots import words_of
from cache.text import MAX_TEXT_CHARS

MAX_WORDS = 80  # longer prompts are read at their edges only (`window`)
MAX_SPANS = 3  # a template with up to three slots changed at once is still one frame
MAX_SPAN = 4  # words per changed span ("third-party, fire and theft")
MIN_FRAME = 4  # shared words, at least
MEMO_CHARS = 2_000  # texts up to this long keep their word lists in a memo ...
MEMO_TEXTS = 4_096  # ... of at most this many texts (<= ~10 MB)
CONFIRMING = 2  # siblings that must confirm a pair the verifier doubts (`sibling_confirms`)
MAX_QUERY_CHARS = MAX_TEXT_CHARS  # longer queries are not read
FRAME_SHARE = 0.5  # and at least this share of the longer text
# Never a span's value: articles, pronouns and auxiliaries ("How do I" / "How can I"), and
# negations, which the guard's polarity rule reads as a parity ("do not include" / "leave out").
GRAMMAR = frozenset(
    "a an the my our your his her their its this that these those some do does did can could "
    "would will should shall may might must is are was were be been am i you we it me us they "
    "them he she not no never don't doesn't didn't isn't aren't won't can't cannot".split()
)
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
        self.words = set(canon(words)) | set(words)
        self.stems = {stem(w) for w in self.words}
        self.content = {w for w in self.words if w not in STOP and not w.isdigit()}

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
        return any(lex.synonyms(word, w) for w in self.content)


def stem(word: str) -> str:
    """`word` without one inflectional suffix ("repairs", "paid" stays): a first letters
    test would also join "supply" / "supplier", "custom" / "customer"."""
    for suffix, repl in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + repl
    return word


def words(text: str) -> list[str]:
    """Lowercased words with a possessive "'s" dropped ("META's" is "meta"); short texts (the
    stored siblings, read again on every hit near them) from a bounded memo."""
    if len(text) <= MEMO_CHARS:
        return list(_short_words(text))
    return _words(text)


@lru_cache(maxsize=MEMO_TEXTS)
def _short_words(text: str) -> tuple[str, ...]:
    return tuple(_words(text))


def _words(text: str) -> list[str]:
    return [w[:-2] if w.endswith("'s") else w for w in words_of(text)]


def slot_sides(
    cand: list[str], sib: list[str], whole: tuple[list[str], list[str]] | None = None
) -> list[tuple[set[str], set[str]]] | None:
    """Per non-rewording swap between two word lists of one frame, the value words of `cand`'s
    side and of `sib`'s side (each minus the words the other text has anywhere: in `whole`,
    the two texts' full word lists, when the lists are windows of them), or None when the two
    are not one frame or differ only by rewording swaps."""
    if max(len(cand), len(sib)) > MAX_WORDS or cand == sib:
        return None
    need = max(MIN_FRAME, FRAME_SHARE * max(len(cand), len(sib)))
    # The frame is at most the shared words: distinct ones, plus cand's repeats.
    distinct = set(cand)
    if len(distinct.intersection(sib)) + len(cand) - len(distinct) < need:
        return None
    ops = SequenceMatcher(None, cand, sib, autojunk=False).get_opcodes()
    changed = [op for op in ops if op[0] != "equal"]
    frame = sum(i2 - i1 for tag, i1, i2, _, _ in ops if tag == "equal")
    if frame < need:
        return None
    if len(changed) > MAX_SPANS or any(
        i2 - i1 > MAX_SPAN or j2 - j1 > MAX_SPAN for _, i1, i2, j1, j2 in changed
    ):
        return None
    all_cand, all_sib = whole or (cand, sib)
    in_cand, in_sib = set(canon(all_cand)) | set(all_cand), set(canon(all_sib)) | set(all_sib)
    spans: list[tuple[set[str], set[str]]] = []
    for _, i1, i2, j1, j2 in changed:
        vx, vy = _value(cand[i1:i2]), _value(sib[j1:j2])
        ours = {x for x in vx if not any(_same(x, y) for y in vy)} - in_sib
        theirs = {y for y in vy if not any(_same(x, y) for x in vx)} - in_cand
        if ours or theirs:
            spans.append((ours, theirs))
    return spans or None


def _value(span: list[str]) -> list[str]:
    """The words of a changed span that carry its value: its content words, or when it has
    none its other words but articles, pronouns and auxiliaries ("with" / "before" meals,
    "in" / "out of" stock)."""
    content = [w for w in canon(span) if w not in STOP]
    return content or [w for w in span if w not in GRAMMAR]


def _same(x: str, y: str) -> bool:
    """One word in two spellings (an inflection, "two" / "2" after `canon`) or two WordNet
    synonyms: a reworded span, not another value."""
    if stem(x) == stem(y):
        return True
    return not (x.isdigit() or y.isdigit()) and lexicon().synonyms(x, y)


def window(ws: list[str]) -> list[str]:
    """The words a prompt's instruction can be in: all of a short prompt, the first and last
    `EDGE_WORDS` of a long one (an instruction around a pasted document; the whole-text rule
    compares the document itself)."""
    return ws if len(ws) <= MAX_WORDS else ws[:EDGE_WORDS] + ws[-EDGE_WORDS:]


def _slot_spans(
    cand: str, others: Sequence[str]
) -> Iterator[tuple[int, list[tuple[set[str], set[str]]]]]:
    """(index, `slot_sides`) of each of `others` that is a sibling of `cand` revealing slots;
    long texts are aligned at their edges (`window`)."""
    wc = words(cand)
    for i, other in enumerate(others):
        wo = words(other)
        spans = slot_sides(window(wc), window(wo), (wc, wo))
        if spans is not None:
            yield i, spans


def sibling_veto(query: str, cand: str, others: Sequence[str]) -> Sibling | None:
    """The first sibling of `cand` among `others` whose slot words tell the query apart from
    `cand` (see the module docstring), or None."""
    if not others or len(query) > MAX_QUERY_CHARS:
        return None
    q = _Query(words(query))
    found: Sibling | None = None
    for i, spans in _slot_spans(cand, others):
        theirs = set().union(*(t for _, t in spans))
        if theirs and all(map(q.carries, theirs)):
            return Sibling("sibling_other", i, carries=True)
        if found is None:
            found = _span_veto(q, spans, i)
    return found


def _span_veto(q: _Query, spans: list[tuple[set[str], set[str]]], i: int) -> Sibling | None:
    """The query lacks `cand`'s value of a slot, or carries the sibling's value of one slot
    without `cand`'s ("premium economy" asked, "economy" stored)."""
    for ours, theirs in spans:
        if not all(map(q.has, ours)):
            return Sibling("sibling_missing", i, carries=False)
        if theirs and not ours and all(map(q.carries, theirs)):
            return Sibling("sibling_other", i, carries=False)
    return None


def sibling_confirms(query: str, cand: str, others: Sequence[str]) -> bool:
    """At least `CONFIRMING` siblings of `cand` reveal slots, and on every one of their swaps
    the query has `cand`'s value words and does not carry the sibling's: the query asks
    `cand`'s template with `cand`'s values, whatever its wording (see `decide`)."""
    if len(query) > MAX_QUERY_CHARS:
        return False
    q = _Query(words(query))
    seen = 0
    for _, spans in _slot_spans(cand, others):
        for ours, theirs in spans:
            if not all(map(q.has, ours)) or (theirs and all(map(q.carries, theirs))):
                return False
        seen += 1
    return seen >= CONFIRMING
