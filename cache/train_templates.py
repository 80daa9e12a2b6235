"""Training-only hard pairs for the hit verifier: same-frame substitutions and same-slot rewordings.

Used by `cache/train_verifier.py` and `cache/train_biencoder.py`. Two sources, both deterministic
from a seed:
- **Template families** (`cache/train_template_data.py`, written for training: domains and
  wordings that are neither the correctness suite's `benchmarks/adversarial_families.py` nor
  the held-out `benchmarks/heldout_families.py`). Every template of a family is a true
  rewording of the others (clauses reordered on purpose). Positives: one slot set in two
  templates. Negatives: one ordinary-word slot changed (a colour, a dish, an audience, a
  comparison turned around), in the same or another template -- the change the slot guard
  cannot see.
- **QQP training questions** with one word of a small word class (colours, fruits, languages,
  sports ...) replaced by another member (negatives), or by a synonym (positives), so that "one
  word differs" alone does not decide: what the word change means does.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

from cache.train_template_data import (
    COMPARE,
    DIRECTIONS,
    FAMILIES,
    OPPOSITES,
    SYNONYMS,
    THINGS,
    USES,
    WORD_CLASSES,
)

Pair = tuple[str, str, int]


def template_pairs(rng: random.Random, per_family: int) -> list[Pair]:
    """Positives (one slot set in two templates) and negatives (one slot changed)."""
    out: list[Pair] = []
    for templates, pools in FAMILIES:
        for _ in range(per_family):
            slots = {k: rng.choice(v) for k, v in pools.items()}
            t1, t2 = rng.sample(range(len(templates)), 2)
            out.append((templates[t1].format(**slots), templates[t2].format(**slots), 1))
            key = rng.choice(sorted(pools))
            other = {**slots, key: rng.choice([v for v in pools[key] if v != slots[key]])}
            t3 = t1 if rng.random() < 0.5 else t2
            out.append((templates[t1].format(**slots), templates[t3].format(**other), 0))
    for _ in range(per_family * 2):
        a, b = rng.sample(THINGS, 2)
        up, down = rng.choice(DIRECTIONS)
        slots = {"a": a, "b": b, "cmp": up, "use": rng.choice(USES)}
        t1, t2 = rng.sample(range(len(COMPARE)), 2)
        out.append((COMPARE[t1].format(**slots), COMPARE[t2].format(**slots), 1))
        flip = rng.random()
        other = (
            {**slots, "cmp": down}
            if flip < 0.5
            else {**slots, "a": b, "b": a}
            if flip < 0.75
            else {**slots, "b": rng.choice([t for t in THINGS if t not in (a, b)])}
        )
        out.append((COMPARE[t1].format(**slots), COMPARE[rng.choice((t1, t2))].format(**other), 0))
    return out


def _sub(q: str, old: str, new: str) -> str | None:
    m = re.search(rf"\b{re.escape(old)}\b", q, flags=re.IGNORECASE)
    if not m:
        return None
    repl = new.capitalize() if m.group()[:1].isupper() else new
    return q[: m.start()] + repl + q[m.end() :]


def question_pairs(
    questions: Sequence[str], rng: random.Random, n_neg: int, n_pos: int
) -> list[Pair]:
    """QQP training questions with one class word swapped (negative) or a synonym (positive)."""
    classes = [(w, c) for c in WORD_CLASSES for w in c]
    swaps = [(a, b) for a, b in OPPOSITES] + [(b, a) for a, b in OPPOSITES]
    syn = [(a, b) for a, b in SYNONYMS] + [(b, a) for a, b in SYNONYMS]
    shuffled = list(questions)
    rng.shuffle(shuffled)
    neg: list[Pair] = []
    pos: list[Pair] = []
    for q in shuffled:
        low = set(re.findall(r"[a-z]+", q.lower()))
        if len(neg) < n_neg:
            hits = [(w, c) for w, c in classes if w in low] + [s for s in swaps if s[0] in low]
            if hits:
                w, c = rng.choice(hits)
                new = rng.choice([x for x in c if x != w]) if isinstance(c, list) else c
                if (b := _sub(q, w, new)) is not None:
                    neg.append((q, b, 0))
                    continue
        if len(pos) < n_pos:
            hits2 = [s for s in syn if s[0] in low]
            if hits2 and (b := _sub(q, *rng.choice(hits2))) is not None:
                pos.append((q, b, 1))
        if len(neg) >= n_neg and len(pos) >= n_pos:
            break
    return neg + pos
