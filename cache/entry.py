"""The values the cache hands out: one stored answer (``Entry``) and a lookup's outcome.

Kept apart from ``cache/store.py`` so readers of entries (the proxy, snapshots, the shared
Redis tier) do not depend on the store's implementation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np


@dataclass(frozen=True, slots=True)
class Entry:
    """One cached answer; `vector` is the embedded last user message (or None)."""

    id: str
    scope: str
    text: str
    # Excluded from ==, hash and repr: arrays have no truth value and print 384 numbers.
    vector: np.ndarray | None = field(compare=False, repr=False)
    body: bytes
    model: str
    tier: str
    tier_rank: int
    created: float
    expires: float
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float

    @property
    def nbytes(self) -> int:
        """Bytes counted against the cache's byte bound."""
        vec = self.vector.nbytes if self.vector is not None else 0
        return len(self.body) + len(self.text.encode("utf-8")) + vec


class LookupResult(StrEnum):
    """What a semantic lookup found (the values are metric labels)."""

    SEMANTIC = "semantic"  # a candidate cleared the threshold and the verifier
    MISS = "miss"  # no candidate at or above the threshold
    VERIFIER_REJECTED = "verifier_rejected"  # the best candidate cleared it; the verifier said no


@dataclass(frozen=True, slots=True)
class Lookup:
    """Outcome of a semantic lookup; `similarity` is the best eligible candidate's cosine."""

    result: LookupResult
    entry: Entry | None
    similarity: float | None
