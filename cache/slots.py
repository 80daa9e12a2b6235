"""Meaning-bearing values of a prompt and how two prompts' values are compared (cache/guard.py).

Each `SLOT_RULES` entry takes (query, candidate, their lowercased words) and is True when the two
disagree on one kind of value: numbers, IDs, e-mails, URLs, paths, quotes, code, operators,
identifiers, (number, unit) pairs, calendar names, proper names, upper-case codes and rare
words. Everything is a
regex scan or a set operation: linear in the text length.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache

from cache.slot_words import AMOUNT, CALENDAR, NUMBER_WORDS, UNIT_ALIASES, UNITS

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")
_MERIDIEM = re.compile(r"\d\s?([ap])\.?m\b\.?", re.I)  # "7 pm", "7:30 a.m."
# "03/04" and "2024-03-04" are one value each: the order of their parts is the meaning.
_NUMBER = re.compile(r"\d{4}-\d{1,2}-\d{1,2}\b|\d+(?:[.,:/]\d+)*(?:\s?%)?")
# Compiled once: re's own cache lookup costs ~0.8 us per call on a guard that runs per candidate.
_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?%?")
_INDENTED = re.compile(r"(?:^(?: {4}|\t).*\n?)+", re.M)
_LETTERS = re.compile(r"[a-z]+")
_ID = re.compile(
    r"\b(?!\d+(?:st|nd|rd|th|s)\b)(?=[\w-]*\d)(?=[\w-]*[A-Za-z])[A-Za-z0-9][\w-]*[A-Za-z0-9]\b"
)
_ACRONYM = re.compile(r"(?<![\w$])[A-Z]{2,}(?![\w])")
_VERSION = re.compile(r"v\d+")  # an ID token "v1" of "v1.2.3"
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"')\]]+")
_PATH = re.compile(r"(?<![\w/])(?:~|\.{1,2})?(?:/[\w.-]+){2,}|\b[A-Za-z]:\\[\w\\. -]+")
_QUOTE = re.compile(r"\"([^\"\n]{1,400})\"|“([^”\n]{1,400})”|(?<!\w)'([^'\n]{1,400})'(?!\w)")
_BRACKETED = re.compile(r"\[([^\[\]\n]{1,400})\]|\{([^{}\n]{1,400})\}")  # label sets, JSON
_INLINE_CODE = re.compile(r"`([^`\n]{1,400})`")  # quotes and inline code up to 400 chars
_FENCE = re.compile(r"```[^\n]*\n(.*?)(?:```|$)", re.S)
# Operators between short operands ("x + 2", "a<b", "(n-1)") or multi-character ones ("==",
# "->"); prose slashes, dashes and assignments ("and/or", "T-20", "word - word", "for x = 5")
# are not code (a lone "=" vetoed 4% of the suite's true rewordings).
_OPERATOR = re.compile(
    r"(==|!=|<=|>=|&&|\|\||\*\*|//|->|=>|\+=|-=|<<|>>)"
    r"|(?<=\()([-+])(?=\d|[A-Za-z_])"  # a sign right after "(": "e^(-2x)"
    # an operand: a number, a coefficient with a variable ("3x - 1"), a short name, ")"; "x^3 / y"
    r"|(?:(?:^|(?<=[\s(^*/]))(?:\d+(?:\.\d+)?(?:[A-Za-z]\w?)?|[A-Za-z_]\w?)|\))"
    r"(?: ([-+*/%<>^]) (?=\d|[A-Za-z_]\w?\b|\w+\(|\()|([-+*/%<>^])(?=\d|[A-Za-z_]\w?\b|\w+\(|\())"
)
# A word with a trailing sign: a grade ("C-", "B+"), a language ("C++"), a rating ("18+").
# Tokenizing drops the sign, so "a C- in the prerequisite" read as "a C"; true paraphrases
# change one on 21 of 21,168 QQP positive pairs (0.1%), 239 of 42,237 negatives.
_SIGNED = re.compile(r"(?<![\w+\-])(\w+)(\+\+|\+|-)(?=[\s,.;:!?)\]]|$)")
_IDENT = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b|\b[a-z]+(?:[A-Z][a-z0-9]*)+\b|\b\w+\(\)")


@lru_cache(maxsize=1)
def _vocab() -> frozenset[str]:
    """Whole words of the MiniLM WordPiece vocab: ordinary English (30k entries)."""
    from cache.text import tokenizer_path

    words = tokenizer_path().with_name("vocab.txt").read_text(encoding="utf-8").split("\n")
    return frozenset(w for w in words if w.isalpha())


def _norm_number(raw: str) -> str:
    raw = raw.replace(" ", "")
    if _THOUSANDS.fullmatch(raw):
        raw = raw.replace(",", "")  # thousands separators: "1,000" is "1000"
    return raw


def numbers(text: str, words: list[str]) -> tuple[set[str], set[str]]:
    """(numbers written with digits, numbers written as words)."""
    digits = {_norm_number(m.group()) for m in _NUMBER.finditer(text)}
    return digits, {NUMBER_WORDS[w] for w in words if w in NUMBER_WORDS}


def _number_rule(a: str, b: str, wa: list[str], wb: list[str]) -> bool:
    """True when a number of one text is neither a number nor a number word of the other.

    Every digit run counts, also inside tokens ("401k", "Rs.2000", "TCK-48213"), so spelling
    variants of one amount agree and a changed digit anywhere differs."""
    da, na = numbers(a, wa)
    db, nb = numbers(b, wb)
    if da - db - nb or db - da - na:
        return True
    # Number words replaced by others ("eight" / "five", "first" / "second"); one added alone
    # ("which one") is left to the verifier.
    return bool(na - nb - db and nb - na - da)


def _code_blocks(text: str) -> list[str]:
    """Fenced blocks and 4-space-indented runs, trailing spaces and blank lines dropped."""
    blocks = [m.group(1) for m in _FENCE.finditer(text)]
    rest = _FENCE.sub(" ", text)
    indented = _INDENTED.findall(rest)
    return [
        "\n".join(line.rstrip() for line in block.split("\n") if line.strip())
        for block in blocks + indented
    ]


def without_code(text: str) -> str:
    """The text with fenced and indented code blocks blanked (the code rule compares them)."""
    return _INDENTED.sub(" ", _FENCE.sub(" ", text))


def _quotes(text: str) -> set[str]:
    return {
        " ".join(next(g for g in m.groups() if g).split()).casefold() for m in _QUOTE.finditer(text)
    }


def _units(words: list[str]) -> dict[str, set[str]]:
    """Number -> the units written right after it (at most one word between)."""
    out: dict[str, set[str]] = {}
    for i, w in enumerate(words):
        w = NUMBER_WORDS.get(w, w)
        if not w[0].isdigit():
            continue
        for nxt in words[i + 1 : i + 3]:
            unit = UNIT_ALIASES.get(nxt, nxt)
            if unit in UNITS:
                out.setdefault(w, set()).add(unit)
                break
    return out


def ids(text: str) -> set[str]:
    """Tokens mixing letters and digits, except amounts like "8-year-old" or "30000rs" whose
    letter parts are ordinary words or units (their digits are compared as numbers)."""
    vocab = _vocab()
    out = set()
    for m in _ID.finditer(text):
        token = m.group().lower()
        parts = _LETTERS.findall(token)
        if version_number(token):  # "v1.2.3" is version 1.2.3: its digits are a number
            continue
        # One letter is never an amount: "F4" and "C4" are rooms, not temperatures.
        if not all(len(p) > 1 and (p in vocab or p in UNIT_ALIASES or p in AMOUNT) for p in parts):
            out.add(token)
    return out


def version_number(token: str) -> str:
    """The number of a lowercased version token ("v1" of "v1.2.3" -> "1"), else ""."""
    return token[1:] if _VERSION.fullmatch(token) else ""


def rare(words: Iterable[str]) -> set[str]:
    vocab = _vocab()
    return {w for w in words if w.isalpha() and len(w) > 2 and w not in vocab}


def _operators(text: str) -> list[str]:
    """Operators outside code fences, URLs and paths (those are compared whole)."""
    prose = _PATH.sub(" ", _URL.sub(" ", _FENCE.sub(" ", text)))
    return sorted(next(g for g in m.groups() if g) for m in _OPERATOR.finditer(prose))


def _unquoted(a: str, b: str) -> bool:
    """True when a quoted string of `a` does not occur (case/space-insensitively) in `b`."""
    quotes = _quotes(a)
    if not quotes:
        return False
    flat = " ".join(b.split()).casefold()
    return any(q not in flat for q in quotes)


def _uncoded(a: str, b: str) -> bool:
    """True when an inline code span of `a` occurs nowhere in `b`, marked as code or not, as a
    whole token sequence ("`requests`" and "the requests library" name one thing)."""
    spans = {m.group(1).strip() for m in _INLINE_CODE.finditer(a)}
    if not spans:
        return False
    flat = " ".join(b.split())
    return any(
        re.search(rf"(?<![\w]){re.escape(' '.join(span.split()))}(?![\w])", flat) is None
        for span in spans
        if span
    )


def _unit_clash(ua: dict[str, set[str]], ub: dict[str, set[str]]) -> bool:
    """True when one number carries different units ("5 kilometers" / "5 miles")."""
    return any(ub.get(n, units) != units for n, units in ua.items())


def names(text: str) -> set[str]:
    """Capitalized words not at a sentence start, lowercased (people, places, products)."""
    out: set[str] = set()
    prev = "."
    for raw in text.split():
        word = raw.strip("\"'()[]{},;:?!.")
        if word[:1].isupper() and prev[-1:] not in ".?!:\n" and word not in {"I", "I'm"}:
            out.update(_WORD.findall(word.lower()))
        prev = raw
    return out


def acronyms(text: str) -> set[str]:
    """Words of 2+ capital letters and no lower-case one, lowercased ("POST", "HEAD", "EUR"):
    a code, a method or a unit, compared exactly (no variant: "HEAD" is not "header")."""
    return {m.group().lower() for m in _ACRONYM.finditer(text)}


def _replaced(xa: set[str], xb: set[str], wa: set[str], wb: set[str]) -> bool:
    """True when each text has a word of its kind the other lacks as a word at all."""
    return bool(xa - wb) and bool(xb - wa)


def _lacks(words: set[str], other: set[str]) -> bool:
    """True when a word of `words` has no counterpart in `other`: the same word, a variant
    differing only in a short ending ("phobias" / "phobia", not "Java" / "JavaScript"), or one
    edit away ("Hillary" / "Hilary")."""
    for w in words - other:
        if any(_variant(w, o) for o in other):
            continue
        if len(w) >= 5 and any(len(o) >= 5 and _one_edit(w, o) for o in other):
            continue
        return True
    return False


def _variant(a: str, b: str) -> bool:
    """True when a and b share a prefix of 4+ letters and each adds at most 3 letters to it."""
    if a[:4] != b[:4] or len(a) < 4 or len(b) < 4:
        return False
    p = 4
    while p < min(len(a), len(b)) and a[p] == b[p]:
        p += 1
    return len(a) - p <= 3 and len(b) - p <= 3


def _plain(text: str) -> set[str]:
    """Words outside e-mail addresses and URLs ("priya" in priya.weber@x is not a name)."""
    return set(words_of(_EMAIL.sub(" ", _URL.sub(" ", text))))


def _one_edit(a: str, b: str) -> bool:
    """True when a and b differ by at most one insertion, deletion or substitution."""
    if abs(len(a) - len(b)) > 1:
        return False
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    return a[i + 1 :] == b[i + 1 :] or a[i + 1 :] == b[i:] or a[i:] == b[i + 1 :]


def _substituted(xa: set[str], xb: set[str], sa: set[str], sb: set[str]) -> bool:
    """True when each text has a word of its kind the other lacks: one name was replaced by
    another. Adding or dropping a detail alone is left to the verifier (paraphrases do it)."""
    return _lacks(xa, sb) and _lacks(xb, sa)


SlotRule = Callable[[str, str, list[str], list[str]], bool]


def _differ(extract: Callable[[str], object]) -> SlotRule:
    return lambda a, b, wa, wb: extract(a) != extract(b)


def _differ_words(extract: Callable[[list[str]], object]) -> SlotRule:
    return lambda a, b, wa, wb: extract(wa) != extract(wb)


SLOT_RULES: dict[str, SlotRule] = {
    "number": _number_rule,
    "id": _differ(ids),
    "email": _differ(lambda t: {m.group().lower() for m in _EMAIL.finditer(t)}),
    "url": _differ(lambda t: {m.group().rstrip(".,;:") for m in _URL.finditer(t)}),
    "path": _differ(lambda t: {m.group() for m in _PATH.finditer(t)}),
    "quote": lambda a, b, wa, wb: _unquoted(a, b) or _unquoted(b, a),
    "code": _differ(lambda t: sorted(_code_blocks(t))),
    "bracketed": _differ(
        lambda t: {
            " ".join((m.group(1) or m.group(2)).split()).casefold() for m in _BRACKETED.finditer(t)
        }
    ),
    "inline_code": lambda a, b, wa, wb: _uncoded(a, b) or _uncoded(b, a),
    "operator": _differ(_operators),
    "signed": _differ(lambda t: {m.group(1).lower() + m.group(2) for m in _SIGNED.finditer(t)}),
    "identifier": _differ(lambda t: {m.group() for m in _IDENT.finditer(t)}),
    "unit": lambda a, b, wa, wb: _unit_clash(_units(wa), _units(wb)),
    "calendar": _differ_words(lambda w: CALENDAR.intersection(w)),
    "meridiem": _differ(lambda t: {m.group(1).lower()[0] for m in _MERIDIEM.finditer(t)}),
    "name": lambda a, b, wa, wb: _substituted(names(a), names(b), _plain(a), _plain(b)),
    "acronym": lambda a, b, wa, wb: _replaced(acronyms(a), acronyms(b), set(wa), set(wb)),
    "rare_word": lambda a, b, wa, wb: _substituted(rare(wa), rare(wb), set(wa), set(wb)),
}


def words_of(text: str) -> list[str]:
    """Lowercased word tokens (digits kept; "n't" contractions kept whole)."""
    return _WORD.findall(text.lower())
