"""Identical concurrent misses share one upstream call.

The first miss for a key leads (``lead``), later identical ones see its flight (``peek``) and
wait for the entry it stored (``land``); None means the leader stored nothing and the follower
goes upstream itself.
"""

from __future__ import annotations

import asyncio

from cache.entry import Entry

Key = tuple[str, str]  # (scope, normalized cache text)


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


async def wait_for_leader(flight: asyncio.Future[Entry | None], timeout_s: float) -> Entry | None:
    """The leader's entry, or None if it stored nothing or took longer than ``timeout_s``."""
    try:
        return await asyncio.wait_for(asyncio.shield(flight), timeout=timeout_s)
    except TimeoutError:
        return None
