"""Guard rules on words that change what is asked without being a value (cache/guard.py).

- **Qualifiers**: "may" / "must" / "should", "will change" / "has changed", "at least" /
  "exactly", "all" / "some" are ordinary words to the embedding and to the slot rules, yet each
  one asks something else. Each qualifier word has a class (`VERB` or `QUANTITY`) and a
  canonical value ("could" is "can", "every" is "all"); two texts disagree when, in one class,
  each text has a value the other lacks (a substitution). Adding or dropping one alone is left
  to the verifier: "How do I" / "How can I" are the same question. A modal that only makes a
  request polite ("Can you …", "Would you …", "I would like …") is not read.
- **Extra sentence**: one text carries a sentence whose content words the other text mostly
  lacks ("… Also, end your reply with a link to our website."): an added instruction or
  fact, so the two answers differ.
- **Swapped words**: the two texts are the same word sequence except for a few short spans,
  each replaced by other words (no insertion or deletion anywhere): the shape of one template
  with another slot value ("sort by lowest price" / "sort by newest arrival", "under" /
  "over", "read-only" / "write"). Vetoed unless every swap is light (function words: "How do
  I" / "How can I"), an inflection, or a WordNet synonym ("book" / "reserve"). A true
  rewording changes the frame too, so it is left to the verifier.
- **Reversing prefix**: "derivative" / "antiderivative" (read by the polarity rule).
All are linear in the number of words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from difflib import SequenceMatcher
from functools import lru_cache

from cache.lexicon import lexicon
from cache.slot_words import NUMBER_WORDS
from cache.slots import version_number, without_code, words_of
from cache.verifier import STOPWORDS

# Values that questions use interchangeably share one ("Can I …" / "May I …", "some" /
# "many" / "a few"); the rest were kept apart where QQP's labelled paraphrases rarely swap them
# (docs/cache_quality.md, "Qualifier rule").
VERB = {
    **dict.fromkeys(("can", "could", "may", "might", "able"), "can"),
    **dict.fromkeys(("should", "ought"), "should"),
    "must": "must",
    **dict.fromkeys(("will", "would", "shall", "i'll", "we'll", "it'll"), "will"),
    **dict.fromkeys(("was", "were", "did"), "past"),
    **dict.fromkeys(("has", "have", "had", "hasn't", "haven't"), "perfect"),
}
QUANTITY = {
    **dict.fromkeys(("all", "every", "each", "always"), "all"),
    **dict.fromkeys(("some", "any", "several", "many", "much", "often", "sometimes"), "some"),
    **dict.fromkeys(("most", "mostly", "usually"), "most"),
    **dict.fromkeys(("few", "rarely", "seldom"), "few"),
    **dict.fromkeys(("none", "never"), "none"),
    "exactly": "exactly",
    "only": "only",
    "both": "both",
    "either": "either",
}
PHRASES = {
    ("the", "most"): ("SUPERLATIVE", "most"),  # "the most expensive": not a quantity
    ("the", "least"): ("SUPERLATIVE", "least"),
    ("a", "few"): ("QUANTITY", "some"),
    ("at", "least"): ("QUANTITY", "atleast"),
    ("at", "most"): ("QUANTITY", "atmost"),
    ("up", "to"): ("QUANTITY", "atmost"),
    ("no", "more"): ("QUANTITY", "atmost"),
    ("more", "than"): ("QUANTITY", "morethan"),
    ("over", "#"): ("QUANTITY", "morethan"),
    ("above", "#"): ("QUANTITY", "morethan"),
    ("less", "than"): ("QUANTITY", "lessthan"),
    ("fewer", "than"): ("QUANTITY", "lessthan"),
    ("under", "#"): ("QUANTITY", "lessthan"),
    ("below", "#"): ("QUANTITY", "lessthan"),
    ("going", "to"): ("VERB", "will"),
    ("have", "to"): ("VERB", "must"),
    ("has", "to"): ("VERB", "must"),
    ("need", "to"): ("VERB", "must"),
    ("needs", "to"): ("VERB", "must"),
}
CLASSES = ("VERB", "QUANTITY", "SUPERLATIVE")
LIGHT = frozenset(
    "a an the do does did can could would will should shall may might must is are was were be "
    "been am how what which who whom whose where when why i me my mine you your yours we us our "
    "one someone somebody anyone some any please to for of in on at by with about it its this "
    "that these those there here get got have has had just really kindly".split()
)
EXCLUDE = frozenset("exclude excluding omit omitting without except".split())
EXCLUDE_VERBS = frozenset("leave leaving rule cut keep".split())
ORDINAL = frozenset(("st", "nd", "rd", "th"))
MAX_WORDS = 150  # longer texts: the whole-text rule compares them
MAX_SWAPS = 1
MAX_SPAN = 2
MIN_FRAME = 4
LONG_SPAN = 6  # one span up to this long is a swap too (`_long_swap`) ...
LONG_FRAME = 8  # ... around a frame of at least this many words
LONG_SHARE = 0.6  # ... and this share of the longer text
_FLIP = re.compile(r"(anti|non|un|dis|de|counter|in|im|ir|il)-?(\w{5,})$")  # reversing prefixes
POLITE_NEXT = frozenset("you u like love mind it".split())  # "could you", "would like", "would it"
STOP = STOPWORDS | frozenset("also please just then not no".split())  # not content words
_SENTENCE = re.compile(r"[^.!?;\n]+")
EXTRA_MIN_WORDS = 3  # content words a sentence needs to count as an added instruction
EXTRA_SHARE = 0.6  # share of them the other text lacks
COVERED = 0.6  # share of the text's other content words the other text has
OTHER_NEW = 2  # content words of the other text that the rest may lack (a rewording has more)
TASK_MIN_WORDS = 5  # content words each of two instructions around one document needs
TASK_SHARE = 0.25  # below this share of the shorter one's words in the other: another task


def qualifiers(words: list[str]) -> dict[str, set[str]]:
    """Class -> canonical qualifier values of a lowercased word list."""
    out: dict[str, set[str]] = {cls: set() for cls in CLASSES}
    skip = -1
    for i, w in enumerate(words):
        if i == skip:
            continue
        nxt = words[i + 1] if i + 1 < len(words) else ""
        phrase = PHRASES.get((w, "#" if nxt[:1].isdigit() else nxt))
        if phrase is not None:
            out[phrase[0]].add(phrase[1])
            skip = i + 1
        elif w in VERB and nxt not in POLITE_NEXT:
            out["VERB"].add(VERB[w])
        elif w in QUANTITY:
            out["QUANTITY"].add(QUANTITY[w])
    return out


def qualifier_clash(wa: list[str], wb: list[str]) -> str:
    """The class ("verb", "quantity", "superlative") in which each text has a value the other
    lacks."""
    qa, qb = qualifiers(wa), qualifiers(wb)
    for cls in CLASSES:
        if qa[cls] - qb[cls] and qb[cls] - qa[cls]:
            return cls.lower()
    return ""


def opposed(wa: list[str], wb: list[str]) -> bool:
    """A content word only one text has is a WordNet antonym of one only the other has
    ("gross" / "net", "cheapest" / "most expensive" reads "cheap" / "expensive")."""
    sa, sb = set(wa) - LIGHT, set(wb) - LIGHT
    return lexicon().opposed(sa - sb, sb - sa)


def prefix_flip(wa: list[str], wb: list[str]) -> bool:
    """True when a word only one text has is a word only the other has behind a reversing
    prefix ("derivative" / "antiderivative", "compliant" / "noncompliant")."""
    sa, sb = set(wa), set(wb)
    for only, other in ((sa - sb, sb - sa), (sb - sa, sa - sb)):
        for w in other:
            m = _FLIP.match(w)
            if m is not None and m.group(2) in only:
                return True
    return False


def canon(words: list[str]) -> list[str]:
    """Content words of a span in one spelling: numbers as digits ("first", "1st" -> "1",
    a version's "v1" -> "1"), exclusion phrases as "exclude" ("leave out", "omit")."""
    out: list[str] = []
    for i, w in enumerate(words):
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if w == "out" and out[-1:] == ["exclude"]:
            continue
        if w in EXCLUDE or (w in EXCLUDE_VERBS and nxt == "out"):
            out.append("exclude")
        elif w not in LIGHT:
            w = version_number(w) or NUMBER_WORDS.get(w, w)
            out.append(w[:-2] if w[:-2].isdigit() and w[-2:] in ORDINAL else w)
    return out


def _light_or_same(xs: list[str], ys: list[str]) -> bool:
    """A swap that keeps the meaning: function words on one side, the same words in another
    spelling, inflections, or synonyms."""
    cx, cy = canon(xs), canon(ys)
    if not cx or not cy or cx == cy:
        return True
    if len(cx) != len(cy):
        return any(x[:4] == y[:4] or lexicon().synonyms(x, y) for x in cx for y in cy)
    return all(x[:4] == y[:4] or lexicon().synonyms(x, y) for x, y in zip(cx, cy, strict=True))


# The guard's `exchange` (cache/order.py) and `swapped_words` align the same two word lists one
# after the other: the second call is served from here instead of a second quadratic pass.
@lru_cache(maxsize=8)
def word_ops(wa: tuple[str, ...], wb: tuple[str, ...]) -> Sequence[tuple[str, int, int, int, int]]:
    """`SequenceMatcher` opcodes aligning two word lists (callers never mutate them)."""
    return SequenceMatcher(None, wa, wb, autojunk=False).get_opcodes()


def swapped_words(wa: list[str], wb: list[str]) -> bool:
    """True when `wa` and `wb` differ only by up to `MAX_SWAPS` replaced spans of at most
    `MAX_SPAN` words each, around a shared frame of >= `MIN_FRAME` words, and one of the
    swaps is not light, an inflection or a synonym. Texts over `MAX_WORDS` words are left to
    the whole-text rule."""
    if max(len(wa), len(wb)) > MAX_WORDS or wa == wb:
        return False
    ops = word_ops(tuple(wa), tuple(wb))
    changed = [op for op in ops if op[0] != "equal"]
    frame = sum(i2 - i1 for tag, i1, i2, _, _ in ops if tag == "equal")
    if frame < MIN_FRAME or len(changed) > MAX_SWAPS:
        return False
    if any(
        tag != "replace" or i2 - i1 > MAX_SPAN or j2 - j1 > MAX_SPAN
        for tag, i1, i2, j1, j2 in changed
    ):
        return len(changed) == 1 and _long_swap(wa, wb, changed[0], frame)
    return any(not _light_or_same(wa[i1:i2], wb[j1:j2]) for _, i1, i2, j1, j2 in changed)


def _long_swap(
    wa: list[str], wb: list[str], change: tuple[str, int, int, int, int], frame: int
) -> bool:
    """One longer span replaced ("next week" / "before the end of the month", "yes or no" /
    "a confidence between zero and one") inside a long shared frame: a template's slot, not a
    rewording, which changes more of a sentence than its frame keeps."""
    if frame < LONG_FRAME or frame < LONG_SHARE * max(len(wa), len(wb)):
        return False
    tag, i1, i2, j1, j2 = change
    if tag != "replace" or max(i2 - i1, j2 - j1) > LONG_SPAN:
        return False
    return not _light_or_same(wa[i1:i2], wb[j1:j2])


def other_task(rest_a: str, rest_b: str) -> bool:
    """For two long texts that share their document: True when the words each has and the
    other lacks (`rest_*`, their instructions) are two instructions of >= `TASK_MIN_WORDS`
    content words sharing < `TASK_SHARE` of the shorter's ("Write the follow-up email to the
    prospect after this call" / "Fill in the CRM fields (budget, timeline, decision makers)
    from this call"). A reworded instruction shares runs of words with the other, so what is
    left of it is a few words, not a whole other instruction."""
    ca, cb = _content(rest_a), _content(rest_b)
    if min(len(ca), len(cb)) < TASK_MIN_WORDS:
        return False
    short, other = sorted((ca, cb), key=len)
    words = set(other)
    shared = len(short) - _missing(short, words, _prefixes(words))
    return shared < TASK_SHARE * len(short)


def _content(text: str) -> list[str]:
    return [w for w in words_of(text) if w not in STOP and len(w) > 2]


def _missing(content: list[str], words: set[str], prefixes: set[str]) -> int:
    return sum(not (w in words or (len(w) >= 5 and w[:5] in prefixes)) for w in content)


def _prefixes(words: Iterable[str]) -> set[str]:
    return {w[:5] for w in words if len(w) >= 5}


def extra_sentence(a: str, b: str) -> bool:
    """True when one text is the other plus a sentence: one of its (>= 2) sentences has
    >= `EXTRA_MIN_WORDS` content words, >= `EXTRA_SHARE` of them missing from the other text;
    the rest of it is mostly (>= `COVERED`) in the other text, and the other text adds at most
    `OTHER_NEW` content words to that rest. The last condition tells an added
    instruction from a reworded one: a rewording brings words of its own."""
    for text, other in ((a, b), (b, a)):
        sentences = [c for c in map(_content, _SENTENCE.findall(without_code(text))) if c]
        if len(sentences) < 2:
            continue
        other_words = _content(without_code(other))
        words = set(other_words)
        prefixes = _prefixes(words)
        for i, content in enumerate(sentences):
            if len(content) < EXTRA_MIN_WORDS:
                continue
            if _missing(content, words, prefixes) < EXTRA_SHARE * len(content):
                continue
            rest = [w for j, s in enumerate(sentences) if j != i for w in s]
            if not rest or _missing(rest, words, prefixes) > (1 - COVERED) * len(rest):
                continue
            if _missing(other_words, set(rest), _prefixes(rest)) <= OTHER_NEW:
                return True
    return False
