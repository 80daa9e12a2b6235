"""Repeats of refused prompts: the hits a band on probation would have served, judged for free.

Contract (docs/cache_audit.md, "Repeats of refusals"):
- A candidate of an **open** band refused as ``unfunded`` is compared with the miss's own fresh
  answer (a refusal, cache/spending.py). The miss is stored, so that prompt's repeats are exact
  hits from then on; had the band served it, each repeat would have been a semantic hit of the
  same pair with the same verdict. ``remember`` keeps (band, regime, cosine, verdict) for the
  stored entry's id; ``repeat`` (an exact hit of that entry) records one more refusal verdict
  for the band, so a band's refusals are weighted by popularity as its served hits are (a
  served hit is not stored: its repeats are semantic hits again), instead of counting each
  distinct prompt once.
- Only while the band is open in the same regime; a band that closed or reopened since drops
  the entry's repeats. At most ``per_entry`` repeats per refusal, and ``capacity`` refusals
  remembered (oldest forgotten first): bounded memory, and one popular pair cannot make a band
  a payer on its own.
- Local to the process, never saved: a restart forgets which stored entries were refusals
  (their later repeats are simply not counted).
Pure and synchronous; the controller is cache/budget.py's ``BudgetController``.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Protocol

CAPACITY = 20_000  # refusals remembered (about 100 bytes each)
# Repeats counted per refusal: a popular refused pair is the served population's heavy part,
# but its repeats are one pair's verdict again, not independent evidence.
PER_ENTRY = 8


class Controller(Protocol):
    """What ``Repeats`` needs of the budget controller."""

    def band_of(self, similarity: float) -> int | None: ...

    def is_open(self, band: int) -> bool: ...

    def regime(self, band: int) -> int: ...

    def top_open(self) -> int | None: ...

    def record(self, similarity: float, *, same: bool, kind: str = "hit") -> None: ...


@dataclass
class _Refusal:
    band: int
    gen: int
    similarity: float
    same: bool
    left: int


@dataclass
class Repeats:
    """Refused prompts' stored entries, and their repeats recorded as refusals."""

    controller: Controller
    capacity: int = CAPACITY
    per_entry: int = PER_ENTRY
    top_only: bool = True
    _known: OrderedDict[str, _Refusal] = field(default_factory=OrderedDict)
    counted: int = 0  # repeats recorded (status)

    def remember(self, entry_id: str, similarity: float, same: bool) -> bool:
        """A refusal's verdict arrived and its prompt was stored as ``entry_id``; False when
        the candidate's band is not open (a closed band's near miss has no repeats)."""
        ctl = self.controller
        band = ctl.band_of(similarity)
        if band is None or not ctl.is_open(band) or self.per_entry <= 0:
            return False
        if self.top_only and band != ctl.top_open():
            return False
        self._known[entry_id] = _Refusal(band, ctl.regime(band), similarity, same, self.per_entry)
        self._known.move_to_end(entry_id)
        while len(self._known) > self.capacity:
            self._known.popitem(last=False)
        return True

    def repeat(self, entry_id: str) -> bool:
        """An exact hit of ``entry_id``: record it as one more refusal verdict of its band
        (True), or nothing (not a refusal's entry, its band moved on, or its repeats spent)."""
        known = self._known.get(entry_id)
        if known is None:
            return False
        ctl = self.controller
        if not ctl.is_open(known.band) or ctl.regime(known.band) != known.gen:
            del self._known[entry_id]
            return False
        known.left -= 1
        if known.left <= 0:
            del self._known[entry_id]
        ctl.record(known.similarity, same=known.same, kind="probe")
        self.counted += 1
        return True

    def __len__(self) -> int:
        return len(self._known)
