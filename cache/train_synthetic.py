"""Synthetic training pairs for the hit verifier, made from the training questions only.

Contract: deterministic from ``seed`` (``SEED``, the training jobs' seed, by default). Hard
negatives change one meaning-bearing token (a number, an inserted negation, a swapped entity);
gibberish and random-word prompts are negatives against each other and against real questions;
case / punctuation variants are positives; texts differing only in runs of characters MiniLM
reads as [UNK] are negatives. ``vocab_words`` is the MiniLM vocabulary's plain words.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

from cache.pair_data import Pair

SEED = 1234


def random_chars(rng: random.Random) -> str:
    """A gibberish prompt of random characters."""
    alphabet = "abcdefghijklmnopqrstuvwxyz" * 3 + "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789      ?!.,"
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(8, 90))).strip() or "qzx"


def random_words(rng: random.Random, words: Sequence[str]) -> str:
    """A prompt of random real words."""
    return " ".join(rng.choice(words) for _ in range(rng.randint(2, 14))).capitalize() + "?"


def _swap_number(q: str, rng: random.Random) -> str | None:
    nums = list(re.finditer(r"\d+", q))
    if not nums:
        return None
    m = rng.choice(nums)
    n = int(m.group())
    new = str(n + rng.choice([1, 2, 3, 5, 10, 100]) if rng.random() < 0.7 else rng.randint(0, 99))
    return None if new == m.group() else q[: m.start()] + new + q[m.end() :]


def _negate(q: str, rng: random.Random) -> str | None:
    m = re.search(r"\b(is|are|can|should|will|was|were|does|do|did|would|could)\b ", q)
    if not m:
        return None
    return q[: m.end()] + "not " + q[m.end() :]


def _swap_entity(q: str, rng: random.Random, pool: Sequence[str]) -> str | None:
    ents = list(re.finditer(r"(?<=\s)[A-Z][a-z]{2,}", q))
    if not ents:
        return None
    m = rng.choice(ents)
    new = rng.choice(pool)
    return None if new.lower() == m.group().lower() else q[: m.start()] + new + q[m.end() :]


def synthetic_pairs(
    questions: Sequence[str],
    words: Sequence[str],
    seed: int = SEED,
    per_kind: int = 1500,
    hard_per_kind: int = 400,
) -> list[Pair]:
    """Hard negatives (number, negation, entity) + gibberish negatives + trivial positives.

    Few hard negatives on purpose: with more, the MLP learns "one edited word = different"
    and rejects harmless edits ("capital" -> "capital city"); dev P/R is the same either way.
    """
    rng = random.Random(seed)
    pool = sorted({m for q in questions for m in re.findall(r"(?<=\s)[A-Z][a-z]{2,}", q)})
    shuffled = list(questions)
    rng.shuffle(shuffled)
    out: list[Pair] = []
    for make in (_swap_number, _negate, lambda q, r: _swap_entity(q, r, pool)):
        made = [(q, b, 0) for q in shuffled if (b := make(q, rng))][:hard_per_kind]
        out += made
    for _ in range(per_kind // 2):
        out.append((random_chars(rng), random_chars(rng), 0))
        out.append((random_chars(rng), rng.choice(shuffled), 0))
        out.append((random_words(rng, words), random_words(rng, words), 0))
        out.append((random_words(rng, words), rng.choice(shuffled), 0))
    for q in shuffled[:per_kind]:
        variant = q.lower().rstrip("?").strip() if rng.random() < 0.5 else "  " + q.upper()
        out.append((q, variant, 1))
    for q in shuffled[per_kind : per_kind + per_kind // 3]:  # texts differing only in [UNK]s
        x1, x2 = _foreign(rng), _foreign(rng)
        out.append((f"{q} {x1}", f"{q} {x2}", 0))
        out.append((f"What does {x1} mean?", f"What does {x2} mean?", 0))
        out.append((f"{q} {x1}", f"{q.lower()} {x1}", 1))
    return out


def _foreign(rng: random.Random) -> str:
    """A short run of CJK characters, emoji or Cyrillic letters (mostly [UNK] for MiniLM)."""
    lo, hi = rng.choice([(0x4E00, 0x9FFF), (0x1F600, 0x1F64F), (0x0430, 0x044F)])
    return "".join(chr(rng.randint(lo, hi)) for _ in range(rng.randint(1, 4)))


def vocab_words() -> list[str]:
    """Plain alphabetic words of the MiniLM vocab (for random-word prompts)."""
    from cache.text import tokenizer_path

    text = tokenizer_path().with_name("vocab.txt").read_text(encoding="utf-8")
    return sorted(w for w in text.split("\n") if w.isalpha() and w.islower() and len(w) > 2)
