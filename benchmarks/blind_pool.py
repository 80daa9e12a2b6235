"""`pooled`: the one way the blind suite builds a family from slot pools (see blind_families.py)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from benchmarks.heldout_families import Family, Render, Slots

Pool = Sequence[Any] | Sequence[Sequence[Any]]


def _groups(pool: Pool) -> list[list[Any]]:
    """A flat pool is one group; a pool of lists is near-variants grouped (varied in-group)."""
    if pool and isinstance(pool[0], list | tuple):
        return [list(g) for g in pool]
    return [list(pool)]


def pooled(
    name: str,
    templates: tuple[Render, ...],
    pools: dict[str, Pool],
    vary_keys: Sequence[str] = (),
) -> Family:
    """A family whose slots are drawn from `pools`; `vary` changes one slot to another value.

    A grouped pool (a list of lists) holds near-variants ("rm -r" / "rm -rf"): a change keeps
    the group, so the varied prompt differs from the stored one by one flag or character.
    `vary_keys` (default: all) are the slots a change may touch: the one-word change the family
    is about ("3 bullet points" / "5 bullet points"), not the easy one (a different article)."""
    groups = {k: _groups(v) for k, v in pools.items()}
    keys = sorted(vary_keys or groups)

    def sample(rng: random.Random) -> Slots:
        return {k: rng.choice(rng.choice(g)) for k, g in groups.items()}

    def vary(slots: Slots, rng: random.Random) -> Slots:
        key = rng.choice(keys)
        group = next(g for g in groups[key] if slots[key] in g)
        return {**slots, key: rng.choice([v for v in group if v != slots[key]])}

    return Family(name, templates, sample, vary)


def cap(text: str) -> str:
    """First letter upper-cased (a slot value that opens a sentence)."""
    return text[:1].upper() + text[1:]
