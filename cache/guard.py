"""Slot guard: a hard, explainable veto on a semantic-cache candidate (runs before the verifier).

`check(query, cand)` returns a `GuardDecision` whose `reason` is one of `REASONS` ("" = no veto) and
whose `rule` names the rule that fired. Two last-user messages may share an answer only if:
- **slots** agree: numbers (decimals, percentages, currency, times; "two" matches "2"), IDs
  (tokens mixing letters and digits, UUIDs, SKU/ticket codes), e-mail addresses, URLs, file
  paths, quoted strings, inline and fenced code (exact after trailing-whitespace and blank-line
  normalization), code operators, (number, unit) pairs, month/weekday names, and rare words (not
  whole words of the MiniLM WordPiece vocab, e.g. surnames, product names) -> `guard_slot`;
- **polarity** agrees: the parity of negations and the side of antonym pairs (on/off,
  enable/disable, with/without, before/after, increase/decrease, allow/deny ...)
  -> `guard_polarity`;
- **roles** agree: a word both texts share keeps its role marker (from/by vs to/for vs than/vs),
  so "from Alice to Bob" never serves "from Bob to Alice" -> `guard_role`;
- **whole text** of long messages (> `LONG_WORDS` tokens) agrees outside a short edge: every
  shingle of 3 whitespace tokens (case and punctuation kept) of either text more than
  `EDGE_WORDS` tokens from both ends must occur in the other, so documents differing in one
  middle sentence (or operator) never share an answer, whatever the head+tail embedding read
  -> `guard_length`. The other rules then read only the tokens outside the shared shingles
  (a reworded instruction at either end).
Each rule's recall cost on QQP/PAWS and what it saves on the app-shaped suite are in
docs/cache_quality.md. Every step is a regex scan or a set operation: linear time and memory in
the text length (a 4 MiB pair takes ~1 s, so callers run long texts off the event loop; long
texts are split in pieces so no C call holds the GIL for more than a few milliseconds).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

SLOT, POLARITY, ROLE, LENGTH = "guard_slot", "guard_polarity", "guard_role", "guard_length"
REASONS = (SLOT, POLARITY, ROLE, LENGTH)
LONG_WORDS = 150  # above this a message is compared as a whole text
EDGE_WORDS = 40  # instructions reworded at either end of a long message may differ
CHUNK_CHARS = 65536

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")
_NUMBER = re.compile(r"\d+(?:[.,:]\d+)*(?:\s?%)?")
_ID = re.compile(
    r"\b(?!\d+(?:st|nd|rd|th|s)\b)(?=[\w-]*\d)(?=[\w-]*[A-Za-z])[A-Za-z0-9][\w-]*[A-Za-z0-9]\b"
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"')\]]+")
_PATH = re.compile(r"(?<![\w/])(?:~|\.{1,2})?(?:/[\w.-]+){2,}|\b[A-Za-z]:\\[\w\\. -]+")
_QUOTE = re.compile(r"\"([^\"\n]{1,400})\"|“([^”\n]{1,400})”|(?<!\w)'([^'\n]{1,400})'(?!\w)")
_INLINE_CODE = re.compile(r"`([^`\n]{1,400})`")  # quotes and inline code up to 400 chars
_FENCE = re.compile(r"```[^\n]*\n(.*?)(?:```|$)", re.S)
# Operators between short operands ("x + 2", "a<b", "(n-1)") or multi-character ones ("==",
# "->"); prose slashes, dashes and assignments ("and/or", "T-20", "word - word", "for x = 5")
# are not code (a lone "=" vetoed 4% of the suite's true rewordings).
_OPERATOR = re.compile(
    r"(==|!=|<=|>=|&&|\|\||\*\*|//|->|=>|\+=|-=|<<|>>)"
    r"|(?:^|(?<=[\s(]))(?:\d+(?:\.\d+)?|[A-Za-z_]\w?|\))"
    r"(?: ([-+*/%<>^]) (?=\d|[A-Za-z_]\w?\b|\()|([-+*/%<>^])(?=\d|[A-Za-z_]\w?\b|\())"
)
_IDENT = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b|\b[a-z]+(?:[A-Z][a-z0-9]*)+\b|\b\w+\(\)")

NEGATIONS = frozenset(
    "not no never none nobody nothing neither nor cannot without isn't aren't wasn't weren't "
    "don't doesn't didn't can't couldn't won't wouldn't shouldn't hasn't haven't hadn't "
    "isnt arent wasnt werent dont doesnt didnt cant couldnt wont wouldnt shouldnt".split()
)
ANTONYMS = (
    ("on", "off"),
    ("enable", "disable"),
    ("enabled", "disabled"),
    ("activate", "deactivate"),
    ("before", "after"),
    ("increase", "decrease"),
    ("allow", "deny"),
    ("allow", "block"),
    ("add", "remove"),
    ("install", "uninstall"),
    ("encrypt", "decrypt"),
    ("upload", "download"),
    ("import", "export"),
    ("ascending", "descending"),
    ("minimum", "maximum"),
    ("lock", "unlock"),
    ("accept", "reject"),
    ("include", "exclude"),
    ("true", "false"),
    ("above", "below"),
    ("open", "close"),
    ("start", "stop"),
    ("buy", "sell"),
    ("win", "lose"),
    ("subscribe", "unsubscribe"),
    ("compress", "decompress"),
    ("encode", "decode"),
    ("mute", "unmute"),
    ("show", "hide"),
)
ROLE_OF = {
    **dict.fromkeys(("from", "by"), "source"),
    **dict.fromkeys(("to", "into", "towards", "toward", "addressed"), "target"),
    **dict.fromkeys(("than", "vs", "versus", "against"), "compared"),
}
SKIP = frozenset("a an the my our your his her their its this that some".split())
UNIT_ALIASES = {
    "km": "kilometers", "kilometer": "kilometers", "kilometres": "kilometers",
    "mi": "miles", "mile": "miles", "kg": "kilograms", "kilogram": "kilograms",
    "lb": "pounds", "lbs": "pounds", "pound": "pounds", "l": "liters", "liter": "liters",
    "litres": "liters", "gallon": "gallons", "m": "meters", "meter": "meters",
    "metres": "meters", "ft": "feet", "foot": "feet", "inch": "inches",
    "cm": "centimeters", "centimeter": "centimeters", "c": "celsius", "f": "fahrenheit",
    "g": "grams", "gram": "grams", "oz": "ounces", "ounce": "ounces", "mb": "megabytes",
    "gb": "gigabytes", "tb": "terabytes", "kb": "kilobytes", "ms": "milliseconds",
    "s": "seconds", "sec": "seconds", "second": "seconds", "min": "minutes",
    "minute": "minutes", "h": "hours", "hr": "hours", "hour": "hours", "day": "days",
    "week": "weeks", "month": "months", "year": "years", "usd": "dollars",
    "dollar": "dollars", "eur": "euros", "euro": "euros",
}  # fmt: skip
UNITS = frozenset(UNIT_ALIASES.values()) | {
    "inches", "mph", "kph", "kmh", "celsius", "fahrenheit", "kelvin", "percent", "degrees", "yards",
    "millimeters", "acres", "hectares", "watts", "volts", "calories", "bytes", "cups",
}  # fmt: skip
AMOUNT = frozenset("rs inr usd eur gbp bn st nd rd th yr yrs".split())
CALENDAR = frozenset(
    "january february march april may june july august september october november december "
    "monday tuesday wednesday thursday friday saturday sunday".split()
) - {"may"}
NUMBER_WORDS = {
    w: str(i)
    for names in (
        "zero one two three four five six seven eight nine ten eleven twelve",
        "zeroth first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth",
    )
    for i, w in enumerate(names.split())
}


@dataclass(frozen=True, slots=True)
class GuardDecision:
    """The guard's decision on one pair: `reason` "" (pass) or one of `REASONS`; `rule` names
    the rule (e.g. "number", "email", "negation") for logs and the audit."""

    reason: str = ""
    rule: str = ""

    @property
    def passed(self) -> bool:
        """True when no rule vetoed the pair."""
        return not self.reason


PASS = GuardDecision()


@lru_cache(maxsize=1)
def _vocab() -> frozenset[str]:
    """Whole words of the MiniLM WordPiece vocab: ordinary English (30k entries)."""
    from cache.text import tokenizer_path

    words = tokenizer_path().with_name("vocab.txt").read_text(encoding="utf-8").split("\n")
    return frozenset(w for w in words if w.isalpha())


def _norm_number(raw: str) -> str:
    raw = raw.replace(" ", "")
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?%?", raw):
        raw = raw.replace(",", "")  # thousands separators: "1,000" is "1000"
    return raw


def _numbers(text: str, words: list[str]) -> tuple[set[str], set[str]]:
    """(numbers written with digits, numbers written as words)."""
    digits = {_norm_number(m.group()) for m in _NUMBER.finditer(text)}
    return digits, {NUMBER_WORDS[w] for w in words if w in NUMBER_WORDS}


def _number_rule(a: str, b: str, wa: list[str], wb: list[str]) -> bool:
    """True when a number of one text is neither a number nor a number word of the other.

    Every digit run counts, also inside tokens ("401k", "Rs.2000", "TCK-48213"), so spelling
    variants of one amount agree and a changed digit anywhere differs."""
    da, na = _numbers(a, wa)
    db, nb = _numbers(b, wb)
    return bool(da - db - nb or db - da - na)


def _code_blocks(text: str) -> list[str]:
    """Fenced blocks and 4-space-indented runs, trailing spaces and blank lines dropped."""
    blocks = [m.group(1) for m in _FENCE.finditer(text)]
    rest = _FENCE.sub(" ", text)
    indented = re.findall(r"(?:^(?: {4}|\t).*\n?)+", rest, re.M)
    return [
        "\n".join(line.rstrip() for line in block.split("\n") if line.strip())
        for block in blocks + indented
    ]


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


def _ids(text: str) -> set[str]:
    """Tokens mixing letters and digits, except amounts like "8-year-old" or "30000rs" whose
    letter parts are ordinary words or units (their digits are compared as numbers)."""
    vocab = _vocab()
    out = set()
    for m in _ID.finditer(text):
        token = m.group().lower()
        parts = re.findall(r"[a-z]+", token)
        # One letter is never an amount: "F4" and "C4" are rooms, not temperatures.
        if not all(len(p) > 1 and (p in vocab or p in UNIT_ALIASES or p in AMOUNT) for p in parts):
            out.add(token)
    return out


def _rare(words: Iterable[str]) -> set[str]:
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


def _unit_clash(ua: dict[str, set[str]], ub: dict[str, set[str]]) -> bool:
    """True when one number carries different units ("5 kilometers" / "5 miles")."""
    return any(ub.get(n, units) != units for n, units in ua.items())


def _names(text: str) -> set[str]:
    """Capitalized words not at a sentence start, lowercased (people, places, products)."""
    out: set[str] = set()
    prev = "."
    for raw in text.split():
        word = raw.strip("\"'()[]{},;:?!.")
        if word[:1].isupper() and prev[-1:] not in ".?!:\n" and word not in {"I", "I'm"}:
            out.update(_WORD.findall(word.lower()))
        prev = raw
    return out


def _lacks(words: set[str], other: set[str]) -> bool:
    """True when a word of `words` has no counterpart in `other`: the same word, the same
    first 4 letters ("phobias" / "phobia"), one edit away ("Hillary" / "Hilary"), or an
    acronym of consecutive words ("us" / "united states")."""
    if not words - other:
        return False
    stems = {w[:4] for w in other if len(w) >= 4}
    initials = "".join(w[0] for w in sorted(other) if w)  # cheap, order-free acronym check
    for w in words - other:
        if len(w) >= 4 and w[:4] in stems:
            continue
        if len(w) >= 5 and any(len(o) >= 5 and _one_edit(w, o) for o in other):
            continue
        if len(w) <= 4 and all(c in initials for c in w):
            continue
        return True
    return False


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
    "id": _differ(_ids),
    "email": _differ(lambda t: {m.group().lower() for m in _EMAIL.finditer(t)}),
    "url": _differ(lambda t: {m.group().rstrip(".,;:") for m in _URL.finditer(t)}),
    "path": _differ(lambda t: {m.group() for m in _PATH.finditer(t)}),
    "quote": lambda a, b, wa, wb: _unquoted(a, b) or _unquoted(b, a),
    "code": _differ(lambda t: sorted(_code_blocks(t))),
    "inline_code": _differ(lambda t: {m.group(1).strip() for m in _INLINE_CODE.finditer(t)}),
    "operator": _differ(_operators),
    "identifier": _differ(lambda t: {m.group() for m in _IDENT.finditer(t)}),
    "unit": lambda a, b, wa, wb: _unit_clash(_units(wa), _units(wb)),
    "calendar": _differ_words(lambda w: CALENDAR.intersection(w)),
    "name": lambda a, b, wa, wb: _substituted(_names(a), _names(b), _plain(a), _plain(b)),
    "rare_word": lambda a, b, wa, wb: _substituted(_rare(wa), _rare(wb), set(wa), set(wb)),
}


def _negations(words: list[str]) -> int:
    """Negation words, not counting the idioms "or not", "not only", "no matter"."""
    count = 0
    for i, w in enumerate(words):
        if w in NEGATIONS or w.endswith("n't"):
            prev, nxt = words[i - 1] if i else "", words[i + 1] if i + 1 < len(words) else ""
            count += not (prev == "or" or nxt in {"only", "matter"})
    return count


def _polarity(wa: list[str], wb: list[str]) -> str:
    """The polarity rule that fires ("negation" or "antonym"), else ""."""
    neg_a, neg_b = _negations(wa), _negations(wb)
    if neg_a % 2 != neg_b % 2:
        return "negation"
    ca, cb = Counter(wa), Counter(wb)
    for x, y in ANTONYMS:
        # One text has an extra "on" where the other has an extra "off" ("turn on X on my
        # phone" / "turn off X on my phone"): counts, since "on" also serves as a preposition.
        dx, dy = ca[x] - cb[x], ca[y] - cb[y]
        if (dx > 0 and dy < 0) or (dx < 0 and dy > 0):
            return "antonym"
    return ""


def _roles(words: list[str]) -> dict[str, str]:
    """Role marker class of each word right after a role preposition (articles skipped)."""
    roles: dict[str, str] = {}
    role = ""
    for w in words:
        if w in ROLE_OF:
            role = ROLE_OF[w]
        elif w in SKIP:
            continue
        else:
            if role:
                roles.setdefault(w, role)
            role = ""
    return roles


def _role_swap(wa: list[str], wb: list[str]) -> bool:
    ra, rb = _roles(wa), _roles(wb)
    return any(rb.get(w, role) != role for w, role in ra.items())


def _shingles(tokens: list[str]) -> set[int]:
    return {hash((tokens[i], tokens[i + 1], tokens[i + 2])) for i in range(len(tokens) - 2)}


def _covered(tokens: list[str], other: set[int]) -> bytearray:
    """1 for each token inside a 3-token shingle that `other` also has."""
    mark = bytearray(len(tokens))
    for i in range(len(tokens) - 2):
        if hash((tokens[i], tokens[i + 1], tokens[i + 2])) in other:
            mark[i] = mark[i + 1] = mark[i + 2] = 1
    return mark


def _long_diff(ta: list[str], tb: list[str]) -> tuple[str, str] | None:
    """For two long texts: None when they differ away from their edges, else the tokens of
    each that the other lacks (a reworded instruction), which the other rules then compare."""
    if abs(len(ta) - len(tb)) > 2 * EDGE_WORDS:
        return None
    ca, cb = _covered(ta, _shingles(tb)), _covered(tb, _shingles(ta))
    for tokens, mark in ((ta, ca), (tb, cb)):
        if 0 in mark[EDGE_WORDS : len(tokens) - EDGE_WORDS]:
            return None
    rest_a = " ".join(t for t, m in zip(ta, ca, strict=True) if not m)
    rest_b = " ".join(t for t, m in zip(tb, cb, strict=True) if not m)
    return rest_a, rest_b


def _raw_tokens(text: str) -> list[str]:
    """Whitespace-separated tokens, case and punctuation kept ("x+1" differs from "x-1").

    Split in ~64 KiB pieces cut at whitespace, so no single C call holds the GIL for long
    while a worker thread judges a 4 MiB message (the event loop keeps running)."""
    if len(text) <= CHUNK_CHARS:
        return text.split()
    out: list[str] = []
    start = 0
    while start < len(text):
        end = min(start + CHUNK_CHARS, len(text))
        if end < len(text):
            cut = max(text.rfind(" ", start, end), text.rfind("\n", start, end))
            end = cut + 1 if cut > start else end
        out += text[start:end].split()
        start = end
    return out


def words_of(text: str) -> list[str]:
    """Lowercased word tokens (digits kept; "n't" contractions kept whole)."""
    return _WORD.findall(text.lower())


def check(query: str, cand: str, *, rules: Iterable[str] | None = None) -> GuardDecision:
    """The first rule that vetoes serving `cand`'s answer to `query` (PASS if none).

    `rules` restricts the check to some rule names (for measuring each rule's cost)."""
    if query == cand:
        return PASS
    only = None if rules is None else set(rules)
    if only is None or "whole_text" in only:
        ta, tb = _raw_tokens(query), _raw_tokens(cand)
        if max(len(ta), len(tb)) > LONG_WORDS:
            diff = _long_diff(ta, tb)
            if diff is None:
                return GuardDecision(LENGTH, "whole_text")
            # Everything else agrees shingle for shingle: the other rules read the rest.
            query, cand = diff
    wa, wb = words_of(query), words_of(cand)
    for name, rule in SLOT_RULES.items():
        if (only is None or name in only) and rule(query, cand, wa, wb):
            return GuardDecision(SLOT, name)
    if only is None or "polarity" in only:
        if fired := _polarity(wa, wb):
            return GuardDecision(POLARITY, fired)
    if (only is None or "role" in only) and _role_swap(wa, wb):
        return GuardDecision(ROLE, "role")
    return PASS


RULES = ("whole_text", *SLOT_RULES, "polarity", "role")


def anchored(query: str, cand: str) -> bool:
    """True when both texts carry the same meaning-bearing value: a shared name, number, ID or
    rare word. Such a pair that also passed `check` agrees on what it is about."""
    if len(query) + len(cand) > CHUNK_CHARS:  # long texts: their first and last tokens
        ta, tb = _raw_tokens(query), _raw_tokens(cand)
        keep = EDGE_WORDS + 10
        query = " ".join(ta[:keep] + ta[-keep:])
        cand = " ".join(tb[:keep] + tb[-keep:])
    wa, wb = words_of(query), words_of(cand)
    sa, sb = set(wa), set(wb)
    values = (
        _names(query) & _names(cand),
        _numbers(query, wa)[0] & _numbers(cand, wb)[0],
        _ids(query) & _ids(cand),
        _rare(sa) & _rare(sb),
    )
    return any(values)
