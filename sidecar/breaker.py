"""A circuit breaker per upstream deployment.

Closed: calls go through. After ``failures`` failures in a row it opens: calls are refused
until ``cooldown`` seconds passed, then one probe goes through (half-open); its success closes
the breaker, its failure opens it again; a probe that ends without a verdict (its caller was
cancelled) gives the slot back.

Failures are counted per distinct request: ``failure(shape)`` with a shape (a fingerprint of
the request body) already seen in the current run of failures does not count again, so one
poison request retried by its client cannot open the breaker for everyone; an outage fails
many different requests and opens it as before.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import IntEnum


class BreakerState(IntEnum):
    """The exported gauge value."""

    CLOSED = 0
    HALF_OPEN = 1
    OPEN = 2


class Breaker:
    """Opens after ``failures`` failures in a row; lets one probe through after ``cooldown``."""

    def __init__(
        self, failures: int, cooldown: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.threshold, self.cooldown, self.clock = failures, cooldown, clock
        self.failures = 0
        self.opened_at: float | None = None
        self.probing = False
        self._shapes: set[str] = set()  # request shapes in the current run of failures

    @property
    def state(self) -> BreakerState:
        """Closed, half-open or open."""
        if self.opened_at is None:
            return BreakerState.CLOSED
        if self.clock() - self.opened_at >= self.cooldown:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    def allow(self) -> bool:
        """May a request go to this deployment now? Claims the probe slot when half-open."""
        state = self.state
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.HALF_OPEN and not self.probing:
            self.probing = True
            return True
        return False

    def success(self) -> None:
        """A call succeeded: close."""
        self.failures, self.opened_at, self.probing = 0, None, False
        self._shapes.clear()

    def release(self) -> None:
        """A call ended without a verdict (cancelled): free the probe slot if it held it."""
        self.probing = False

    def failure(self, shape: str | None = None) -> None:
        """A call failed: count it (once per request shape); open at the threshold or after a
        failed probe."""
        if shape is None or shape not in self._shapes:
            self.failures += 1
            if shape is not None and len(self._shapes) < 4 * self.threshold:
                self._shapes.add(shape)
        if self.probing or self.failures >= self.threshold:
            self.opened_at = self.clock()
        self.probing = False
