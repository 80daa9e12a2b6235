"""The shared cache tier's reading side: warm the local cache from Redis, then follow the stream.

Contract:
- ``sync`` runs after every (re)connect: the first time, or when events after the last applied
  ID were trimmed away unseen (``trimmed_past``), it warms up from the index (the newest
  ``warm_max`` live entries, applied oldest first, page by page, yielding between pages) and
  records the stream ID read before warming; otherwise it only re-bases the backlog count.
- ``follow`` ``XREAD BLOCK``s from the last ID while ``running()`` and applies other replicas'
  events (own events are skipped); it reports the backlog at most once a second. Redis errors
  propagate: the replicator owns outages, reconnects and the online state.
- ``scopes`` maps entry id -> scope for every entry known to be in Redis (a removal event names
  only the id); it is bounded by pruning ids the local cache no longer holds.
Malformed, expired or already present entries are skipped and counted, never raised.
"""

from __future__ import annotations

import asyncio
import logging
import struct
import sys
import time
from collections.abc import Callable
from typing import Any

import orjson
from redis.exceptions import ResponseError

from cache.shared_ports import ReplicaCache, SharedMetrics
from cache.shared_wire import decode_entry, stream_id

log = logging.getLogger("cache.shared")


class StreamFollower:
    """Apply the index (warm-up) and the event stream (follow) to the local cache."""

    def __init__(
        self,
        cache: ReplicaCache,
        metrics: SharedMetrics,
        redis: Any,
        tail: Any,
        *,
        stream: str,
        index: str,
        replica_id: str,
        warm_max: int,
        page: int,
        block_ms: int,
    ) -> None:
        self.cache, self.metrics, self._redis, self._tail = cache, metrics, redis, tail
        self.stream, self.index, self.replica_id = stream, index, replica_id
        self.warm_max, self.page, self.block_ms = warm_max, page, block_ms
        self.scopes: dict[str, str] = {}  # entry id -> scope: on_remove gets only the id
        self._scope_cap = 2 * cache.max_entries + 1024
        self.last_id: bytes | None = None
        self.base = self.read = 0  # stream entries-added at last_id's baseline, events read
        self.applied = 0

    async def sync(self) -> None:
        """After (re)connecting: warm up the first time or when events were trimmed away."""
        await self._redis.ping()
        info = await self.stream_info()
        if self.last_id is None or self.trimmed_past(info):
            await self.warm(info)
        elif info is None:  # Redis restarted empty: new IDs will still sort after ours
            self.base = self.read = 0
        elif info is not None and (
            info["entries-added"] < self.base + self.read
            or stream_id(info["last-generated-id"]) <= stream_id(self.last_id)
        ):
            # Restarted (counter went back) or nothing new since our ID: re-base the backlog.
            self.base, self.read = info["entries-added"], 0

    def trimmed_past(self, info: dict[str, Any] | None) -> bool:
        """True if events after the last applied ID were trimmed away (MAXLEN) unseen."""
        if info is None or self.last_id is None:
            return False
        last = stream_id(self.last_id)
        if stream_id(info["last-generated-id"]) <= last:
            return False  # nothing newer was ever added
        first = info.get("first-entry")
        if first is not None and stream_id(first[0]) <= last:
            return False  # trimming removes the oldest only, so all newer events remain
        added = info.get("entries-added")
        if added is None:
            return True  # Redis < 7 cannot count: re-warm to be safe
        return bool(added - self.base - self.read > info["length"])

    async def stream_info(self) -> dict[str, Any] | None:
        """XINFO STREAM of the event stream, or None if it does not exist yet."""
        try:
            info: dict[str, Any] = await self._redis.xinfo_stream(self.stream)
        except ResponseError:  # no such key yet
            return None
        return info

    async def warm(self, info: dict[str, Any] | None) -> None:
        """Load the newest live entries oldest first, then follow from the ID read before."""
        self.last_id = info["last-generated-id"] if info else b"0-0"
        self.base, self.read = (info["entries-added"] if info else 0), 0
        now = time.time()
        total = await self._redis.zcount(self.index, now, "+inf")
        offset, loaded, stale = max(0, total - self.warm_max), 0, []
        while offset < total:
            keys = await self._redis.zrangebyscore(self.index, now, "+inf", offset, self.page)
            if not keys:
                break
            offset += len(keys)
            for key, raw in zip(keys, await self._redis.mget(keys), strict=True):
                if raw is None:
                    stale.append(key)
                elif self.apply_raw(raw):
                    loaded += 1
            await asyncio.sleep(0)  # let requests run between pages
        if stale:
            await self._redis.zrem(self.index, *stale)
        log.info("shared cache warmed", extra={"fields": {"entries": loaded, "index": total}})

    async def follow(self, running: Callable[[], bool]) -> None:
        """Apply stream events until Redis fails or ``running()`` turns false."""
        reported = 0.0
        while running():
            if self.last_id is None:  # warm sets it before following starts
                raise RuntimeError("shared cache follower started before warming")
            reply = await self._tail.xread({self.stream: self.last_id}, self.page, self.block_ms)
            for _, events in reply:
                for event_id, fields in events:
                    await self._apply_event(fields)
                    self.last_id = event_id
                    self.read += 1
            if time.monotonic() - reported >= 1.0 or not reply:
                reported = time.monotonic()
                info = await self.stream_info()
                behind = info["entries-added"] - self.base - self.read if info else 0
                self.metrics.backlog(max(0, behind))

    async def _apply_event(self, fields: dict[bytes, bytes]) -> None:
        try:
            op, replica, published, entry_id, key = orjson.loads(fields[b"m"])
        except (KeyError, ValueError):
            self.metrics.error("decode")
            return
        if replica == self.replica_id:
            return  # our own write, already local
        if op == "del":
            self.scopes.pop(entry_id, None)
            self.cache.apply_remote_remove(entry_id)
        elif self.cache.get(entry_id) is None:
            raw = fields.get(b"v") or await self._redis.get(key)
            if raw is None or not self.apply_raw(raw):
                return
        self.metrics.lag(max(0.0, time.time() - float(published)))

    def apply_raw(self, raw: bytes) -> bool:
        """Decode and apply one entry (skipped if present, expired or malformed)."""
        try:
            entry = decode_entry(raw, self.cache.model_family, self.cache.dim)
        except (ValueError, TypeError, struct.error) as exc:
            self.metrics.error("decode")
            log.warning("skipped a malformed shared cache entry: %s", exc)
            return False
        if self.cache.get(entry.id) is not None or entry.expires <= time.time():
            return False
        self.scopes[entry.id] = sys.intern(entry.scope)
        self.cache.apply_remote_put(entry)
        self.applied += 1
        if len(self.scopes) > self._scope_cap:  # evictions by remote puts leave stale ids
            self.scopes = {k: s for k, s in self.scopes.items() if self.cache.get(k) is not None}
        return True
