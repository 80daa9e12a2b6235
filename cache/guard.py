"""Slot guard: a hard, explainable veto on a semantic-cache candidate (runs before the verifier).

`check(query, cand)` returns a `GuardDecision` whose `reason` is one of `REASONS` ("" = no veto) and
whose `rule` names the rule that fired. Two last-user messages may share an answer only if:
- **slots** agree (extractors in cache/slots.py): numbers (decimals, percentages, currency,
  times; "two" matches "2"), IDs
  (tokens mixing letters and digits, UUIDs, SKU/ticket codes), e-mail addresses, URLs, file
  paths, quoted strings, inline and fenced code (exact after trailing-whitespace and blank-line
  normalization), code operators, (number, unit) pairs, month/weekday names, an upper-case
  code ("POST" / "HEAD"), and a proper name or rare word (not a whole word of the MiniLM
  WordPiece vocab: surnames, product names) replaced by another -> `guard_slot`;
- **polarity** agrees: the parity of negations, reversing prefixes ("derivative" /
  "antiderivative") and the side of antonym pairs (on/off,
  enable/disable, with/without, before/after, increase/decrease, allow/deny ...)
  -> `guard_polarity`;
- **qualifiers** agree: modality and tense ("may" / "must", "will change" / "has changed") and
  quantity ("at least" / "exactly", "all" / "some") are not substituted (cache/qualifiers.py)
  -> `guard_qualifier`;
- **roles** agree: a word both texts share keeps its role marker (from/by vs to/for vs than/vs),
  so "from Alice to Bob" never serves "from Bob to Alice" -> `guard_role`; steps chained by
  "then" / "->" keep their order (cache/order.py) -> `guard_role` (rule `order`), and values
  of "field: value" lines stay with their fields -> `guard_role` (rule `fields`);
- **no extra sentence**: neither text has a sentence whose content words the other mostly
  lacks (an appended instruction) -> `guard_length` (rule `extra_sentence`);
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

import itertools
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from cache.order import field_swap, order_swap, role_swap
from cache.qualifiers import (
    extra_sentence,
    opposed,
    prefix_flip,
    qualifier_clash,
    swapped_words,
)
from cache.slots import SLOT_RULES, ids, names, numbers, rare, words_of

SLOT, POLARITY, ROLE, LENGTH = "guard_slot", "guard_polarity", "guard_role", "guard_length"
QUALIFIER = "guard_qualifier"
REASONS = (SLOT, POLARITY, QUALIFIER, ROLE, LENGTH)
LONG_WORDS = 150  # above this a message is compared as a whole text
EDGE_WORDS = 40  # instructions reworded at either end of a long message may differ
RUN_WORDS = 8  # a shared run this long is document text, not a reworded instruction
CHUNK_CHARS = 65536

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
EXCLUDING = frozenset("leave leaving left rule ruling ruled cut cutting keep keeping".split())
# Exclusion words flip what is asked like "not" ("include X" / "exclude X", "with X" / "omit
# X", "including" / "excluding"): they count toward the negation parity too.
EXCLUSIONS = frozenset(
    "exclude excludes excluding excluded omit omits omitting omitted except excepting".split()
)


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


def _negations(words: list[str]) -> int:
    """Negation words and phrases ("leave out", "rule out", "omit", "excluding"), not counting
    the idioms "or not", "not only", "no matter"."""
    count = 0
    for i, w in enumerate(words):
        prev, nxt = words[i - 1] if i else "", words[i + 1] if i + 1 < len(words) else ""
        if w in NEGATIONS or w.endswith("n't"):
            count += not (prev == "or" or nxt in {"only", "matter"})
        elif w in EXCLUSIONS:
            count += 1
        elif nxt == "out" and w in EXCLUDING:
            count += 1
    return count


def _polarity(wa: list[str], wb: list[str]) -> str:
    """The polarity rule that fires ("negation", "prefix" or "antonym"), else ""."""
    neg_a, neg_b = _negations(wa), _negations(wb)
    if neg_a % 2 != neg_b % 2:
        return "negation"
    if prefix_flip(wa, wb):
        return "prefix"
    ca, cb = Counter(wa), Counter(wb)
    for x, y in ANTONYMS:
        # One text has an extra "on" where the other has an extra "off" ("turn on X on my
        # phone" / "turn off X on my phone"): counts, since "on" also serves as a preposition.
        dx, dy = ca[x] - cb[x], ca[y] - cb[y]
        if (dx > 0 and dy < 0) or (dx < 0 and dy > 0):
            return "antonym"
    if opposed(wa, wb):
        return "wordnet_antonym"
    return ""


def _shingles(tokens: list[str]) -> set[int]:
    return {hash((tokens[i], tokens[i + 1], tokens[i + 2])) for i in range(len(tokens) - 2)}


def _covered(tokens: list[str], other: set[int]) -> tuple[bytearray, bool]:
    """1 for each token inside a 3-token shingle that `other` also has, and whether every
    shingle starting more than `EDGE_WORDS` tokens from both ends is in `other` (coverage alone
    would pass a document whose sentences were shuffled: each sentence's shingles exist)."""
    mark = bytearray(len(tokens))
    lo, hi = EDGE_WORDS, len(tokens) - EDGE_WORDS - 2
    whole = True
    for i in range(len(tokens) - 2):
        if hash((tokens[i], tokens[i + 1], tokens[i + 2])) in other:
            mark[i] = mark[i + 1] = mark[i + 2] = 1
        elif lo <= i < hi:
            whole = False
    return mark, whole


def _interior_gap(mark: bytearray) -> bool:
    """True when unshared tokens sit between two shared runs of >= `RUN_WORDS` tokens: a
    changed sentence inside the shared document, even near an edge ("… the audit has been
    cancelled. As you know …"). A reworded instruction before or after the document, or one
    sharing only a few words with the other ("Summarize the following email for me:"), is not."""
    runs = [(m, len(list(group))) for m, group in itertools.groupby(mark)]  # (marked, length)
    long_runs = [i for i, (m, n) in enumerate(runs) if m and n >= RUN_WORDS]
    return bool(long_runs) and any(
        not m and long_runs[0] < i < long_runs[-1] for i, (m, _) in enumerate(runs)
    )


def _long_diff(ta: list[str], tb: list[str]) -> tuple[str, str] | None:
    """For two long texts: None when they differ away from their edges, else the tokens of
    each that the other lacks (a reworded instruction), which the other rules then compare."""
    if abs(len(ta) - len(tb)) > 2 * EDGE_WORDS:
        return None
    (ca, whole_a), (cb, whole_b) = _covered(ta, _shingles(tb)), _covered(tb, _shingles(ta))
    if not (whole_a and whole_b):
        return None
    for tokens, mark in ((ta, ca), (tb, cb)):
        if 0 in mark[EDGE_WORDS : len(tokens) - EDGE_WORDS] or _interior_gap(mark):
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
    if only is None or "qualifier" in only:
        if fired := qualifier_clash(wa, wb):
            return GuardDecision(QUALIFIER, fired)
    if (only is None or "role" in only) and role_swap(wa, wb):
        return GuardDecision(ROLE, "role")
    if (only is None or "order" in only) and order_swap(query, cand):
        return GuardDecision(ROLE, "order")
    if (only is None or "fields" in only) and field_swap(query, cand):
        return GuardDecision(ROLE, "fields")
    if (only is None or "extra_sentence" in only) and extra_sentence(query, cand):
        return GuardDecision(LENGTH, "extra_sentence")
    if (only is None or "swapped_words" in only) and swapped_words(wa, wb):
        return GuardDecision(SLOT, "swapped_words")
    return PASS


RULES = (
    "whole_text",
    *SLOT_RULES,
    "polarity",
    "qualifier",
    "role",
    "order",
    "fields",
    "extra_sentence",
    "swapped_words",
)


def anchor_kinds(query: str, cand: str) -> frozenset[str]:
    """The kinds of meaning-bearing value both texts carry ("name", "number", "id", "rare"):
    a pair that also passed `check` agrees on what it is about."""
    if len(query) + len(cand) > CHUNK_CHARS:  # long texts: their first and last tokens
        ta, tb = _raw_tokens(query), _raw_tokens(cand)
        keep = EDGE_WORDS + 10
        query = " ".join(ta[:keep] + ta[-keep:])
        cand = " ".join(tb[:keep] + tb[-keep:])
    wa, wb = words_of(query), words_of(cand)
    sa, sb = set(wa), set(wb)
    values = (
        ("name", names(query) & names(cand)),
        ("number", numbers(query, wa)[0] & numbers(cand, wb)[0]),
        ("id", ids(query) & ids(cand)),
        ("rare", rare(sa) & rare(sb)),
    )
    return frozenset(kind for kind, shared in values if shared)


def anchored(query: str, cand: str) -> bool:
    """True when both texts carry the same name, number, ID or rare word (`anchor_kinds`)."""
    return bool(anchor_kinds(query, cand))
