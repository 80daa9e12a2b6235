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


# Entry's metadata in a fixed order: everything but the vector and the body. The snapshot file
# and the Redis record both encode entries as this list; changing it changes both formats.
META_FIELDS = (
    "id",
    "scope",
    "text",
    "model",
    "tier",
    "tier_rank",
    "created",
    "expires",
    "prompt_tokens",
    "completion_tokens",
    "cost_usd",
)


class LookupResult(StrEnum):
    """What a semantic lookup found (the values are metric labels)."""

    SEMANTIC = "semantic"  # a candidate cleared the threshold, the slot guard and the verifier
    MISS = "miss"  # no candidate at or above the threshold
    # The best candidate cleared the threshold but was vetoed (cache/guard.py, cache/decision.py):
    GUARD_SLOT = "guard_slot"  # a number, ID, e-mail, URL, quote, code, name ... differs
    GUARD_POLARITY = "guard_polarity"  # a negation or an on/off-style antonym flipped
    GUARD_QUALIFIER = "guard_qualifier"  # modality, tense or quantity substituted (may/must)
    GUARD_ROLE = "guard_role"  # two entities swapped roles ("from A to B" / "from B to A")
    GUARD_LENGTH = "guard_length"  # long texts differ away from their edges (whole text)
    VERIFIER_REJECTED = "verifier_rejected"  # the guard passed it; the verifier said no


@dataclass(frozen=True, slots=True)
class Lookup:
    """Outcome of a semantic lookup; `similarity` is the best eligible candidate's cosine."""

    result: LookupResult
    entry: Entry | None
    similarity: float | None
    rule: str = ""  # the guard rule that vetoed ("number", "negation", "whole_text" ...)
    score: float | None = None  # the verifier's P(same meaning), when it ran
    candidate_id: str | None = None  # the candidate the guard and verifier judged (audit)
