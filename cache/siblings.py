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
`git push --tags` carry `--force`). Where the two stored texts share a frame of >= `DOC_FRAME`
words (a pasted document around a short instruction), a value word the other text also has
("Due date:" in every pasted invoice, "due" in "the due date" asked) is read by count: it is a
value when one side has it more often, and the query has it when it has it more often than the
other side (`_side`, `_Query.has`). Of texts over `MAX_WORDS` words only the first and last
`EDGE_WORDS` are aligned (the instruction around a pasted document; the whole-text rule
compares the document); each comparison is one `SequenceMatcher` pass over <= 80 words;
queries over `MAX_QUERY_CHARS` are not read.
"""

from __future__ import annotations

from collections import Counter
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
DOC_FRAME = 30  # shared words from which a slot word is also read by its count (`_side`) ...
DOC_SPAN = 6  # ... and a changed span may be this long ("JSON" / "a single line of plain text")
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
    """The query's words, for presence tests of slot words: a slot word counts as present
    when the query has it more often than the other side of its swap has (`Side`)."""

    def __init__(self, words: list[str]) -> None:
        self.tally = tally(words)
        spellings = set(canon(words)) | set(words)
        self.content = {w for w in spellings if w not in STOP and not w.isdigit()}

    def carries(self, word: str, base: int = 0) -> bool:
        """`word` is in the query in some spelling more than `base` times (not as a synonym:
        WordNet's senses are broad, "push" / "force", "work" / "study")."""
        return count(self.tally, word) > base

    def has(self, word: str, base: int = 0) -> bool:
        """`word` is in the query in some spelling more than `base` times, or (when the other
        side lacks it altogether) as a synonym of a query word. When the other side has it
        too (`base` > 0), only a query with exactly `base` of it lacks it: it keeps the
        occurrences the two sides share (the pasted invoice's "Due date:") and not this
        side's; a query with fewer reworded the shared ones ("the number of rows and number
        of columns" / "the amount of rows and columns"), so its count tells nothing."""
        n = count(self.tally, word)
        if base:
            return n != base
        if n or word.isdigit():
            return bool(n)
        lex = lexicon()
        return any(lex.synonyms(word, w) for w in self.content)


Tally = tuple[Counter[str], Counter[str]]
Side = dict[str, int]  # a swap side's value words, each with the count of the other text


def tally(ws: Sequence[str]) -> Tally:
    """How often each word occurs, by stem, in its own spelling and in `canon`'s."""
    return Counter(map(stem, ws)), Counter(map(stem, canon(list(ws))))


def count(t: Tally, word: str) -> int:
    """Occurrences of `word` (in any spelling `tally` keeps) in the tallied text."""
    key = stem(word)
    return max(t[0][key], t[1][key])


@lru_cache(maxsize=1 << 16)
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
    cand: list[str],
    sib: list[str],
    whole: tuple[list[str], list[str]] | None = None,
    tallies: tuple[Tally, Tally] | None = None,
) -> list[tuple[Side, Side]] | None:
    """Per non-rewording swap between two word lists of one frame, the value words of `cand`'s
    side and of `sib`'s side, each with how often the other text has it (in `whole`, the two
    texts' full word lists, when the lists are windows of them; `tallies`, their `tally`, when
    known): a word either text has as
    often elsewhere was moved, not swapped, and is dropped. None when the two are not one
    frame or differ only by rewording swaps."""
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
    counted = frame >= DOC_FRAME
    longest = DOC_SPAN if counted else MAX_SPAN
    if len(changed) > MAX_SPANS or any(
        i2 - i1 > longest or j2 - j1 > longest for _, i1, i2, j1, j2 in changed
    ):
        return None
    all_cand, all_sib = whole or (cand, sib)
    t_cand, t_sib = tallies or (tally(all_cand), tally(all_sib))
    spans: list[tuple[Side, Side]] = []
    for _, i1, i2, j1, j2 in changed:
        vx, vy = _value(cand[i1:i2]), _value(sib[j1:j2])
        ours = _side([x for x in vx if not any(_same(x, y) for y in vy)], t_cand, t_sib, counted)
        theirs = _side([y for y in vy if not any(_same(x, y) for x in vx)], t_sib, t_cand, counted)
        if ours or theirs:
            spans.append((ours, theirs))
    return spans or None


def _side(values: list[str], mine: Tally, other: Tally, counted: bool) -> Side:
    """The value words of one side of a swap, each with the other text's count of it. A word
    the other text also has is a value only in a `counted` frame (a pasted document's words
    shared around a short instruction): there it is one when this side has it more often (an
    invoice's "due" in "the due date" asked, when both invoices say "Due date: ..."). In a
    short frame a repeated word is as often the rewording's ("the `schema` method returns the
    schema" / "it returns the schema"), so the other text's having it at all drops it."""
    side: Side = {}
    for w in values:
        base = count(other, w)
        if count(mine, w) > base and (counted or not base):
            side[w] = base
    return side


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


def _slot_spans(cand: str, others: Sequence[str]) -> Iterator[tuple[int, list[tuple[Side, Side]]]]:
    """(index, `slot_sides`) of each of `others` that is a sibling of `cand` revealing slots;
    long texts are aligned at their edges (`window`)."""
    read: Read | None = None  # a long `cand`'s words and tally, read once for all `others`
    for i, other in enumerate(others):
        if len(cand) <= MEMO_CHARS and len(other) <= MEMO_CHARS:
            spans = _memo_sides(cand, other)
        else:
            read = read or _read(cand)
            spans = _align(read, _read(other))
        if spans is not None:
            yield i, spans


Read = tuple[list[str], Tally]  # a stored text's words and their `tally`


def _read(text: str) -> Read:
    if len(text) <= MEMO_CHARS:
        return _memo_read(text)
    ws = _words(text)
    return ws, tally(ws)


@lru_cache(maxsize=MEMO_TEXTS)
def _memo_read(text: str) -> Read:
    ws = _words(text)
    return ws, tally(ws)


def _align(cand: Read, other: Read) -> list[tuple[Side, Side]] | None:
    (wc, tc), (wo, to) = cand, other
    return slot_sides(window(wc), window(wo), (wc, wo), (tc, to))


# Two stored texts' swaps depend on nothing else, and a popular entry's hits read the same
# neighbours again: memoized, like their words and tallies (callers never mutate either),
# <= ~16 MB of short texts.
@lru_cache(maxsize=MEMO_TEXTS)
def _memo_sides(cand: str, other: str) -> list[tuple[Side, Side]] | None:
    return _align(_read(cand), _read(other))


def sibling_veto(query: str, cand: str, others: Sequence[str]) -> Sibling | None:
    """The first sibling of `cand` among `others` whose slot words tell the query apart from
    `cand` (see the module docstring), or None."""
    if not others or len(query) > MAX_QUERY_CHARS:
        return None
    q = _Query(words(query))
    found: Sibling | None = None
    for i, spans in _slot_spans(cand, others):
        sides = [theirs for _, theirs in spans if theirs]
        if sides and all(_carries(q, theirs) for theirs in sides):
            return Sibling("sibling_other", i, carries=True)
        if found is None:
            found = _span_veto(q, spans, i)
    return found


def _carries(q: _Query, side: Side) -> bool:
    return all(q.carries(w, base) for w, base in side.items())


def _has(q: _Query, side: Side) -> bool:
    return all(q.has(w, base) for w, base in side.items())


def _span_veto(q: _Query, spans: list[tuple[Side, Side]], i: int) -> Sibling | None:
    """The query lacks `cand`'s value of a slot, or carries the sibling's value of one slot
    without `cand`'s ("premium economy" asked, "economy" stored)."""
    for ours, theirs in spans:
        if not _has(q, ours):
            return Sibling("sibling_missing", i, carries=False)
        if theirs and not ours and _carries(q, theirs):
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
            if not _has(q, ours) or (theirs and _carries(q, theirs)):
                return False
        seen += 1
    return seen >= CONFIRMING
