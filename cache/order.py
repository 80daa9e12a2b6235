"""Roles, order and pairing: the same words in other roles, the same steps in another order,
or the same values under other fields are another request.

`role_swap(wa, wb)` (word lists): a word both texts have after a role preposition (from/by:
source; to/into: target; than/vs: compared) keeps its role, so "from Alice to Bob" never
serves "from Bob to Alice".

"Route: the pharmacy, then the post office, then the bakery" and "... the post office, then the
bakery, then the pharmacy" share every word; only their order differs, and the route with it.
`order_swap(a, b)` reads each text's chains of steps joined by "then", "followed by", "after
that", "->" or "→". A chain's first step is what precedes its first joiner, back to a comma,
colon or sentence start; its last step runs to the next comma or sentence end. Steps of the
two texts are matched by the content words each step alone has in its text, and it is True
when >= 2 steps both texts name come in a different order. A text without a chain, or with
steps the other does not name, leaves the decision to the other rules: a rewording may say
"before the bakery, stop at the post office". Linear in the text; texts over `MAX_CHARS`
characters are not read (the whole-text rule compares long texts).

`field_swap(a, b)` reads "field: value" lines (a status board, a form, a ticket's header):
True when >= 2 fields both texts have hold each other's values ("login page: done / payment
flow: blocked" against the two statuses exchanged), the same words paired otherwise. A value
changed outright is left to the slot rules and the sibling check.
"""

from __future__ import annotations

import re
from collections import Counter
from itertools import pairwise

from cache.qualifiers import STOP, word_ops
from cache.slots import words_of

MAX_CHARS = 4_000
EXCHANGE_SPAN = 3  # words per span that may trade places
EXCHANGE_WORDS = MAX_CHARS // 4  # longer word lists are not aligned for `exchange`
_JOIN = re.compile(r",?\s*(?:and\s+)?(?:then|followed by|after that|->|→)\s+", re.I)
_EDGE = re.compile(r"[,:;.!?\n]")  # where a chain's first and last steps end
# role prepositions: the word after one (articles skipped) has that role
ROLE_OF = {
    **dict.fromkeys(("from", "by"), "source"),
    **dict.fromkeys(("to", "into", "towards", "toward", "addressed"), "target"),
    **dict.fromkeys(("than", "vs", "versus", "against"), "compared"),
}
SKIP = frozenset("a an the my our your his her their its this that some".split())
# "- **login page**: done", "Priority: high": a field of <= 60 characters, then its value
_FIELD = re.compile(r"^[ \t]*(?:[-*•>]\s*)?([^:\n]{1,60}):[ \t]*(\S[^\n]{0,200})$", re.M)


def steps(text: str) -> list[frozenset[str]]:
    """The content words only this step has, for each step of the text's chains, in order
    (empty: no chain)."""
    if len(text) > MAX_CHARS:
        return []
    parts = _JOIN.split(text)
    if len(parts) < 2:
        return []
    out: list[frozenset[str]] = []
    for i, part in enumerate(parts):
        # the first step runs back to the last comma or colon, any other to the next one
        part = _EDGE.split(part)[-1 if i == 0 else 0]
        key = frozenset(w for w in words_of(part) if w not in STOP and len(w) > 1)
        if key:
            out.append(key)
    # a step is told by the words no other step of its chain has ("git add -> git push")
    steps_with = Counter(w for key in out for w in key)
    return [frozenset(w for w in key if steps_with[w] == 1) for key in out]


def order_swap(a: str, b: str) -> bool:
    """True when two steps both texts name (each matched to one step of the other by shared
    content words) come in opposite orders."""
    sa, sb = steps(a), steps(b)
    if len(sa) < 2 or len(sb) < 2:
        return False
    where = {w: j for j, step in enumerate(sb) for w in step}  # `steps` words are in one step
    positions: list[int] = []
    for step in sa:
        matches = {where[w] for w in step if w in where}
        if len(matches) == 1:
            positions.append(matches.pop())
    return any(later < earlier for earlier, later in pairwise(positions))


def fields(text: str) -> dict[str, str]:
    """Each "field: value" line's field (its words) -> value (whitespace and case folded); a
    field named twice keeps its first value."""
    if len(text) > MAX_CHARS:
        return {}
    out: dict[str, str] = {}
    for m in _FIELD.finditer(text):
        key = " ".join(words_of(m.group(1)))
        if key:
            out.setdefault(key, " ".join(m.group(2).split()).casefold())
    return out


def field_swap(a: str, b: str) -> bool:
    """True when >= 2 fields both texts have changed values and those values are the same
    ones, exchanged among them."""
    fa, fb = fields(a), fields(b)
    moved = [k for k in fa.keys() & fb.keys() if fa[k] != fb[k]]
    return len(moved) >= 2 and Counter(fa[k] for k in moved) == Counter(fb[k] for k in moved)


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


def role_swap(wa: list[str], wb: list[str]) -> bool:
    """True when a word both texts mark with a role preposition has another role in each
    ("from Alice to Bob" / "from Bob to Alice")."""
    ra, rb = _roles(wa), _roles(wb)
    return any(rb.get(w, role) != role for w, role in ra.items())


_COORDINATORS = frozenset("and or nor vs versus plus".split())
_FILLERS = frozenset("a an the even also being".split())


def exchange(wa: list[str], wb: list[str]) -> bool:
    """True when two short spans trade places ("the *control* had 4.6% and the *variant* 4.1%"
    / "the *variant* had 4.6% and the *control* 4.1%", "the *term* on the front and the
    *definition* on the back"): each is replaced by the other. Not a coordination, which reads
    the same either way ("a low pressure and a high pressure pump" / "a high pressure and a low
    pressure pump"), nor two spellings of one word trading places ("ok" ... "okay")."""
    if max(len(wa), len(wb)) > EXCHANGE_WORDS or wa == wb:
        return False
    ops = word_ops(tuple(wa), tuple(wb))
    swaps = [
        (tuple(wa[i1:i2]), tuple(wb[j1:j2]), i1, i2)
        for tag, i1, i2, j1, j2 in ops
        if tag == "replace" and max(i2 - i1, j2 - j1) <= EXCHANGE_SPAN
    ]
    for n, (x, y, start, end) in enumerate(swaps):
        for x2, y2, start2, end2 in swaps[n + 1 :]:
            if x == y2 and y == x2 and not _spellings(x, y):
                if not _coordinated(wa[end:start2], wa[:start], wa[end2:]):
                    return True
    return False


def _spellings(x: tuple[str, ...], y: tuple[str, ...]) -> bool:
    """True when two spans are one word spelled two ways ("ok" / "okay", "u s" / "us")."""
    a, b = "".join(x), "".join(y)
    short, long = sorted((a, b), key=len)
    return long.startswith(short) or long.endswith(short)


def _coordinated(between: list[str], before: list[str], after: list[str]) -> bool:
    """True when the words between two swapped spans only coordinate them: coordinators,
    articles, and words the two coordinated phrases share before or after the spans
    ("information [systems] and information [technology]", "a [cold] shower, a [hot]
    shower")."""
    n = len(between)
    shared = set(before[-n:]) | set(after[:n]) if n else set()
    return all(w in _COORDINATORS or w in _FILLERS or w in shared for w in between)
