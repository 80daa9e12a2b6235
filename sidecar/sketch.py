"""A small mergeable latency sketch: quantiles within 5% relative error in bounded memory.

Values are counted in logarithmic bins (each bin 10% wider than the last, from 0.1 ms up), so
a sketch holds one integer per distinct bin actually seen (a few dozen for real latencies, at
most ~170 for 0.1 ms to 1 h) and two sketches merge exactly by adding counts. A quantile is the
geometric middle of the bin holding the nearest-rank sample: within sqrt(1.1) - 1 = 4.9% of it.
"""

from __future__ import annotations

import math

FLOOR_S = 1e-4  # everything at or below 0.1 ms shares the first bin
RATIO = 1.1
_LOG_RATIO = math.log(RATIO)


class LatencySketch:
    """Counts of seconds in log bins; ``add``, ``merge`` and ``quantile``."""

    __slots__ = ("bins", "count", "total")

    def __init__(self) -> None:
        self.bins: dict[int, int] = {}
        self.count = 0
        self.total = 0.0

    def add(self, seconds: float) -> None:
        """Count one observation (negative or NaN values are ignored)."""
        if not seconds >= 0:  # also rejects NaN
            return
        index = 0 if seconds <= FLOOR_S else math.ceil(math.log(seconds / FLOOR_S) / _LOG_RATIO)
        self.bins[index] = self.bins.get(index, 0) + 1
        self.count += 1
        self.total += seconds

    def merge(self, other: LatencySketch) -> None:
        """Add ``other``'s counts into this sketch."""
        for index, n in other.bins.items():
            self.bins[index] = self.bins.get(index, 0) + n
        self.count += other.count
        self.total += other.total

    def quantile(self, q: float) -> float | None:
        """The ``q`` quantile (0..1) in seconds, or None when empty."""
        if not self.count:
            return None
        rank = max(1, math.ceil(q * self.count))
        seen = 0
        for index in sorted(self.bins):
            seen += self.bins[index]
            if seen >= rank:
                return _middle(index)
        return _middle(max(self.bins))

    @property
    def mean(self) -> float | None:
        """Mean in seconds, or None when empty."""
        return self.total / self.count if self.count else None


def _middle(index: int) -> float:
    """Geometric middle of bin ``index`` (bin 0 is everything up to FLOOR_S)."""
    if index == 0:
        return FLOOR_S
    return float(FLOOR_S * RATIO ** (index - 0.5))
