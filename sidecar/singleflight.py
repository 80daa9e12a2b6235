"""Identical concurrent misses share one upstream call.

The first miss for a key leads (``lead``), later identical ones see its flight (``peek``) and
wait for the entry it stored (``land``). ``join`` bounds the stampede when a leader stores
nothing (an error, an uncacheable answer): one waiting follower leads the next flight and the
rest wait for it, for at most ``MAX_ROUNDS`` flights; only then do they go upstream unshared.
A follower served this way is counted as ``shared``, never as a cache hit.
"""

from __future__ import annotations

import asyncio

from cache.entry import Entry

Key = tuple[str, str]  # (scope, normalized cache text)
MAX_ROUNDS = 3


class Singleflight:
    """In-flight misses by key."""

    def __init__(self) -> None:
        self._flights: dict[Key, asyncio.Future[Entry | None]] = {}

    def peek(self, key: Key) -> asyncio.Future[Entry | None] | None:
        """The leader's future if an identical miss is in flight, else None."""
        return self._flights.get(key)

    def lead(self, key: Key) -> None:
        """Become the leader for ``key``; call ``land`` with the stored entry (or None)."""
        self._flights[key] = asyncio.get_running_loop().create_future()

    def land(self, key: Key, entry: Entry | None) -> None:
        """Finish the flight; followers get ``entry`` (None: they go upstream themselves)."""
        fut = self._flights.pop(key, None)
        if fut is not None and not fut.done():
            fut.set_result(entry)


async def join(flights: Singleflight, key: Key, timeout_s: float) -> tuple[Entry | None, bool]:
    """(entry, lead): an identical flight's stored entry, or whether this request now leads.

    ``(None, False)``: go upstream without sharing (waited too long, or too many failed flights).
    """
    for _ in range(MAX_ROUNDS):
        flight = flights.peek(key)
        if flight is None:
            flights.lead(key)  # no await between peek and lead: exactly one follower leads
            return None, True
        try:
            entry = await asyncio.wait_for(asyncio.shield(flight), timeout=timeout_s)
        except TimeoutError:
            return None, False
        if entry is not None:
            return entry, False
    return None, False
