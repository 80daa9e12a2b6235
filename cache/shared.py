"""Shared cache tier: replicate a SemanticCache across sidecar replicas through Redis.

Contract (docs/shared_cache.md has the full design):
- Lookups stay local. Local puts/removes reach Redis through the cache's listener, which only
  appends to a bounded in-memory queue; a background task writes batches (MULTI: SET entry with
  PX TTL, ZADD index, XADD event with ``MAXLEN ~``). The request path never awaits Redis.
- Keys share one Cluster hash tag with the stream: entries ``{T}:e:<scope>:<id>`` (a string:
  header JSON + raw float32 vector + body), the index ``{T}:idx`` (zset, score = expiry time),
  the stream as configured. T is the stream key's own hash tag, else the stream key itself.
- A follower task warms the local cache from the index (newest ``warm_max_entries``, applied
  oldest first, paged), then ``XREAD BLOCK``s from the stream ID recorded before the warm-up and
  applies other replicas' events with ``apply_remote_put`` / ``apply_remote_remove``.
- Any Redis failure: local-only mode (metrics, one log line per transition), reconnect with
  jittered backoff, then catch up from the last seen ID (re-warm if the stream was trimmed past
  it) and flush the queued writes. Full queue: the oldest write is dropped and counted.
No aiohttp or sidecar imports: metrics come in as a ``SharedMetrics`` of callbacks.
Parts: this module is the replicator (listener, write queue and writer, online state and
reconnects); ``cache/shared_follow.py`` the reading side (warm-up, stream follower);
``cache/shared_wire.py`` the bytes and key names; ``cache/shared_ports.py`` the
``ReplicaCache`` Protocol and ``SharedMetrics``.
"""

from __future__ import annotations

import asyncio
import logging
import random
import struct
import sys
import time
import uuid
from collections import deque
from typing import Any

import orjson
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from cache.entry import Entry
from cache.shared_follow import StreamFollower
from cache.shared_ports import ReplicaCache, SharedMetrics
from cache.shared_wire import decode_entry, encode_entry, hash_tag

log = logging.getLogger("cache.shared")
_ERRORS = (RedisError, OSError)  # OSError covers TimeoutError and refused connections


class RedisReplicator:
    """Mirror local changes into Redis and apply other replicas' changes locally."""

    def __init__(
        self,
        cache: ReplicaCache,
        url: str,
        *,
        timeout_s: float = 0.25,
        stream_key: str = "llm-sidecar:events",
        warm_max_entries: int = 100_000,
        metrics: SharedMetrics | None = None,
        replica_id: str | None = None,
        queue_max: int = 10_000,
        stream_maxlen: int = 10_000,
        inline_max: int = 16384,
        page: int = 500,
        block_ms: int = 1000,
        backoff: tuple[float, float] = (0.1, 2.0),
    ) -> None:
        self.cache, self.metrics = cache, metrics or SharedMetrics()
        self.replica_id = replica_id or uuid.uuid4().hex[:12]
        self.stream = stream_key
        tag = hash_tag(stream_key)
        self.index, self._entry_prefix = f"{tag}:idx", f"{tag}:e:"
        self.warm_max = min(warm_max_entries, cache.max_entries)
        self.queue_max, self.stream_maxlen, self.inline_max = queue_max, stream_maxlen, inline_max
        self.page, self.block_ms, self.backoff = page, block_ms, backoff
        opts: dict[str, Any] = {"socket_connect_timeout": timeout_s, "retry": Retry(NoBackoff(), 0)}
        # One pool for commands; XREAD BLOCK gets its own connection with a longer read timeout.
        # Typed Any: redis-py's stubs return unions of the sync and async results.
        self._redis: Any = aioredis.Redis.from_url(
            url, socket_timeout=timeout_s, max_connections=8, **opts
        )
        self._tail: Any = aioredis.Redis.from_url(
            url, socket_timeout=block_ms / 1000 + timeout_s, max_connections=1, **opts
        )
        self._queue: deque[tuple[str, Any]] = deque()
        self._queued, self._online, self.warmed = asyncio.Event(), asyncio.Event(), asyncio.Event()
        self._follower = StreamFollower(
            cache,
            self.metrics,
            self._redis,
            self._tail,
            stream=stream_key,
            index=self.index,
            replica_id=self.replica_id,
            warm_max=self.warm_max,
            page=page,
            block_ms=block_ms,
        )
        self._tasks: list[asyncio.Task[None]] = []
        self._writing = self._warned = self._stopping = False
        self.dropped = 0

    @property
    def applied(self) -> int:
        """Entries other replicas wrote that this one applied (warm-up and stream)."""
        return self._follower.applied

    @property
    def local_only(self) -> bool:
        """True while Redis is unreachable (or not yet reached)."""
        return not self._online.is_set()

    def entry_key(self, scope: str, entry_id: str) -> str:
        """Redis key of one entry."""
        return f"{self._entry_prefix}{scope}:{entry_id}"

    async def fetch_body(self, entry: Entry) -> bytes | None:
        """The answer body of `entry` from Redis (for caches that keep no bodies), else None.

        None when Redis is unreachable, the entry is gone (TTL, eviction, never written) or
        malformed: the caller serves a miss. An entry gone from Redis that is not waiting in the
        write queue is removed locally too (and so from the other replicas).
        """
        try:
            raw = await self._redis.get(self.entry_key(entry.scope, entry.id))
        except _ERRORS:  # the follower notices outages and reconnects; a hit becomes a miss
            self.metrics.error("fetch")
            return None
        if raw is not None:
            try:
                body = decode_entry(raw, self._family, self.cache.dim).body
            except (ValueError, TypeError, struct.error):
                self.metrics.error("decode")
                return None
            return body or None
        self.metrics.error("body_missing")
        if not any(op == "put" and item.id == entry.id for op, item in self._queue):
            self.cache.remove(entry.id)
        return None

    async def start(self) -> None:
        """Listen to the cache and start the follower and writer tasks; returns at once."""
        self.cache.add_listener(self)
        self._tasks = [
            asyncio.create_task(self._follow_forever(), name="redis-follow"),
            asyncio.create_task(self._write_forever(), name="redis-write"),
        ]

    async def stop(self, flush_timeout: float = 2.0) -> None:
        """Flush queued writes (bounded wait), stop the tasks, close the connections."""
        await self.flush(flush_timeout)
        self._stopping = True
        for task in self._tasks:
            task.cancel()
        # A cancel can be lost inside redis-py: a read timeout firing with it turns it into a
        # TimeoutError, which the loops treat as an outage and retry (stop() then hung in
        # redis_bench). So the loops also check `_stopping`, and the connections close before
        # the tasks are awaited, which ends any read still blocked.
        await self._tail.aclose()
        await self._redis.aclose()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def flush(self, wait_s: float) -> bool:
        """Wait until the write queue is empty (only while online); True if it emptied."""
        deadline = time.monotonic() + wait_s
        while (self._queue or self._writing) and time.monotonic() < deadline:
            if self.local_only:
                return False
            await asyncio.sleep(0.005)
        return not self._queue

    # -- listener: called synchronously on the request path, so only enqueue ----------------
    def on_put(self, entry: Entry) -> None:
        """Queue a local put for Redis."""
        self._follower.scopes[entry.id] = sys.intern(entry.scope)
        self._enqueue(("put", entry))

    def on_remove(self, entry_id: str, reason: str) -> None:
        """Queue a local removal; expiry needs none (Redis TTL and every replica's clock)."""
        scope = self._follower.scopes.pop(entry_id, None)
        if reason != "expired":
            self._enqueue(("del", (entry_id, scope)))

    def _enqueue(self, item: tuple[str, Any]) -> None:
        self._queue.append(item)
        self._bound_queue()
        self._queued.set()

    def _bound_queue(self) -> None:
        """Drop the oldest queued writes beyond ``queue_max``, counting each."""
        while len(self._queue) > self.queue_max:
            self._queue.popleft()
            self.dropped += 1
            self.metrics.error("queue_full")

    # -- writer ---------------------------------------------------------------------------
    async def _write_forever(self) -> None:
        while not self._stopping:
            await self._online.wait()
            if not self._queue:
                self._queued.clear()
                await self._queued.wait()
                continue
            batch = [self._queue.popleft() for _ in range(min(self.page, len(self._queue)))]
            self._writing = True
            try:
                await self._write(batch)
            except _ERRORS as exc:
                self._queue.extendleft(reversed(batch))  # retried after reconnect, in order
                self._bound_queue()
                if not self._stopping:
                    self._fail("write", exc)
            finally:
                self._writing = False

    async def _write(self, batch: list[tuple[str, Any]]) -> None:
        """One pipeline: entries with TTL, index, one event each, expired index members trimmed.

        Not MULTI: a batch that fails half-way is re-queued and re-sent, and every step is
        idempotent (SET/ZADD/DEL again; a duplicate event finds the entry already applied).
        """
        now = time.time()
        pipe = self._redis.pipeline(transaction=False)
        for op, item in batch:
            event: dict[str, bytes] = {}
            if op == "put":
                ttl_ms = int((item.expires - now) * 1000)
                if ttl_ms <= 0:
                    continue
                key, raw = self.entry_key(item.scope, item.id), encode_entry(item, self._family)
                pipe.set(key, raw, px=ttl_ms)
                pipe.zadd(self.index, {key: item.expires})
                entry_id = item.id
                if len(raw) <= self.inline_max:
                    event["v"] = raw
            else:
                entry_id, scope = item
                key = self.entry_key(scope, entry_id) if scope is not None else ""
                if key:
                    pipe.delete(key)
                    pipe.zrem(self.index, key)
            # One small header field: redis-py parses replies in Python, per field.
            event["m"] = orjson.dumps([op, self.replica_id, now, entry_id, key])
            pipe.xadd(self.stream, event, maxlen=self.stream_maxlen, approximate=True)
        pipe.zremrangebyscore(self.index, "-inf", now)
        await pipe.execute()

    @property
    def _family(self) -> str:
        return self.cache.model_family

    # -- follower -------------------------------------------------------------------------
    async def _follow_forever(self) -> None:
        delay = self.backoff[0]
        while not self._stopping:
            try:
                await self._follower.sync()
                self.warmed.set()
                self._set_online()
                delay = self.backoff[0]
                await self._follower.follow(self._following)
            except _ERRORS as exc:
                if self._stopping:
                    return
                self._fail("read", exc)
            except Exception as exc:  # a bug must not kill replication for good
                log.exception("redis follower failed")
                self._fail("follow", exc)
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))
            delay = min(delay * 2, self.backoff[1])

    def _following(self) -> bool:
        return self._online.is_set() and not self._stopping

    # -- state ----------------------------------------------------------------------------
    def _set_online(self) -> None:
        if not self._online.is_set():
            log.info(
                "redis reachable; shared cache on", extra={"fields": {"replica": self.replica_id}}
            )
        self.metrics.local_only(False)
        self._online.set()
        self._queued.set()  # wake the writer to flush what queued up while offline

    def _fail(self, op: str, exc: BaseException) -> None:
        self.metrics.error(op)
        self.metrics.local_only(True)
        if self._online.is_set() or not self._warned:  # one line per transition, not per retry
            log.warning("redis %s failed (%s: %s); local-only mode", op, type(exc).__name__, exc)
            self._warned = True
        self._online.clear()
