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
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import orjson
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError, ResponseError

from cache.entry import META_FIELDS, Entry
from cache.store import ChangeListener

log = logging.getLogger("cache.shared")
_MAGIC = b"LSE1"
_ERRORS = (RedisError, OSError)  # OSError covers TimeoutError and refused connections


def encode_entry(entry: Entry, family: str) -> bytes:
    """Entry as bytes: magic, u32 header length, header JSON, float32 vector, body."""
    vec = b"" if entry.vector is None else np.ascontiguousarray(entry.vector, "<f4").tobytes()
    header = orjson.dumps([getattr(entry, f) for f in META_FIELDS] + [family, len(vec) // 4])
    return b"".join((_MAGIC, struct.pack("<I", len(header)), header, vec, entry.body))


def decode_entry(raw: bytes, family: str, dim: int) -> Entry:
    """Inverse of ``encode_entry``; ValueError if malformed or of another model family/dim."""
    if raw[:4] != _MAGIC or len(raw) < 8:
        raise ValueError("not a shared cache entry")
    (size,) = struct.unpack_from("<I", raw, 4)
    header = orjson.loads(raw[8 : 8 + size])
    values, (fam, n) = header[: len(META_FIELDS)], header[len(META_FIELDS) :]
    if fam != family or n not in (0, dim):
        raise ValueError(f"entry of model {fam!r}/{n}, expected {family!r}/{dim}")
    start = 8 + size
    vector = np.frombuffer(raw, "<f4", n, start).astype(np.float32) if n else None
    fields = dict(zip(META_FIELDS, values, strict=True))
    return Entry(vector=vector, body=bytes(raw[start + 4 * n :]), **fields)


@dataclass(frozen=True, slots=True)
class SharedMetrics:
    """Callbacks the replicator reports through (no-ops by default)."""

    error: Callable[[str], None] = lambda op: None  # a failed Redis operation, by op
    local_only: Callable[[bool], None] = lambda on: None
    lag: Callable[[float], None] = lambda seconds: None  # publish -> apply, remote events
    backlog: Callable[[int], None] = lambda events: None  # stream events not yet applied

    @classmethod
    def from_prometheus(cls, errors: Any, local_only: Any, lag: Any, backlog: Any) -> SharedMetrics:
        """Adapt a labelled Counter (op), a Gauge, a Histogram and a Gauge."""
        return cls(
            lambda op: errors.labels(op).inc(),
            lambda on: local_only.set(int(on)),
            lag.observe,
            backlog.set,
        )


class ReplicaCache(Protocol):
    """What the replicator needs from the local cache (SemanticCache implements it)."""

    dim: int
    model_family: str
    max_entries: int

    def add_listener(self, listener: ChangeListener) -> None: ...
    def get(self, entry_id: str) -> Entry | None: ...
    def apply_remote_put(self, entry: Entry) -> None: ...
    def apply_remote_remove(self, entry_id: str) -> None: ...
    def remove(self, entry_id: str) -> None: ...


def hash_tag(stream_key: str) -> str:
    """The Cluster hash tag that puts every key in the stream key's slot."""
    start = stream_key.find("{")
    end = stream_key.find("}", start + 1)
    if start >= 0 and end > start + 1:
        return stream_key[start : end + 1]
    return "{" + stream_key + "}"


def _sid(raw: bytes | str) -> tuple[int, int]:
    """A stream ID as a comparable (ms, seq)."""
    ms, _, seq = (raw.decode() if isinstance(raw, bytes) else raw).partition("-")
    return int(ms), int(seq or 0)


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
        self._scopes: dict[str, str] = {}  # entry id -> scope: on_remove gets only the id
        self._last_id: bytes | None = None
        self._base = self._read = 0  # stream entries-added at _last_id's baseline, events read
        self._tasks: list[asyncio.Task[None]] = []
        self._scope_cap = 2 * cache.max_entries + 1024
        self._writing = self._warned = self._stopping = False
        self.dropped = self.applied = 0

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
        self._scopes[entry.id] = sys.intern(entry.scope)
        self._enqueue(("put", entry))

    def on_remove(self, entry_id: str, reason: str) -> None:
        """Queue a local removal; expiry needs none (Redis TTL and every replica's clock)."""
        scope = self._scopes.pop(entry_id, None)
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
                await self._sync()
                self._set_online()
                delay = self.backoff[0]
                await self._follow()
            except _ERRORS as exc:
                if self._stopping:
                    return
                self._fail("read", exc)
            except Exception as exc:  # a bug must not kill replication for good
                log.exception("redis follower failed")
                self._fail("follow", exc)
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))
            delay = min(delay * 2, self.backoff[1])

    async def _sync(self) -> None:
        """After (re)connecting: warm up the first time or when events were trimmed away."""
        await self._redis.ping()
        info = await self._stream_info()
        if self._last_id is None or self._trimmed_past(info):
            await self._warm(info)
        elif info is None:  # Redis restarted empty: new IDs will still sort after ours
            self._base = self._read = 0
        elif info is not None and (
            info["entries-added"] < self._base + self._read
            or _sid(info["last-generated-id"]) <= _sid(self._last_id)
        ):
            # Restarted (counter went back) or nothing new since our ID: re-base the backlog.
            self._base, self._read = info["entries-added"], 0
        self.warmed.set()

    def _trimmed_past(self, info: dict[str, Any] | None) -> bool:
        """True if events after the last applied ID were trimmed away (MAXLEN) unseen."""
        if info is None or self._last_id is None:
            return False
        last = _sid(self._last_id)
        if _sid(info["last-generated-id"]) <= last:
            return False  # nothing newer was ever added
        first = info.get("first-entry")
        if first is not None and _sid(first[0]) <= last:
            return False  # trimming removes the oldest only, so all newer events remain
        added = info.get("entries-added")
        if added is None:
            return True  # Redis < 7 cannot count: re-warm to be safe
        return bool(added - self._base - self._read > info["length"])

    async def _stream_info(self) -> dict[str, Any] | None:
        try:
            info: dict[str, Any] = await self._redis.xinfo_stream(self.stream)
        except ResponseError:  # no such key yet
            return None
        return info

    async def _warm(self, info: dict[str, Any] | None) -> None:
        """Load the newest live entries oldest first, then follow from the ID read before."""
        self._last_id = info["last-generated-id"] if info else b"0-0"
        self._base, self._read = (info["entries-added"] if info else 0), 0
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
                elif self._apply_raw(raw):
                    loaded += 1
            await asyncio.sleep(0)  # let requests run between pages
        if stale:
            await self._redis.zrem(self.index, *stale)
        log.info("shared cache warmed", extra={"fields": {"entries": loaded, "index": total}})

    async def _follow(self) -> None:
        """Apply stream events until Redis fails or the writer reports a failure."""
        reported = 0.0
        while self._online.is_set() and not self._stopping:
            if self._last_id is None:  # _warm sets it before following starts
                raise RuntimeError("shared cache follower started before warming")
            reply = await self._tail.xread({self.stream: self._last_id}, self.page, self.block_ms)
            for _, events in reply:
                for event_id, fields in events:
                    await self._apply_event(fields)
                    self._last_id = event_id
                    self._read += 1
            if time.monotonic() - reported >= 1.0 or not reply:
                reported = time.monotonic()
                info = await self._stream_info()
                behind = info["entries-added"] - self._base - self._read if info else 0
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
            self._scopes.pop(entry_id, None)
            self.cache.apply_remote_remove(entry_id)
        elif self.cache.get(entry_id) is None:
            raw = fields.get(b"v") or await self._redis.get(key)
            if raw is None or not self._apply_raw(raw):
                return
        self.metrics.lag(max(0.0, time.time() - float(published)))

    def _apply_raw(self, raw: bytes) -> bool:
        """Decode and apply one entry (skipped if present, expired or malformed)."""
        try:
            entry = decode_entry(raw, self._family, self.cache.dim)
        except (ValueError, TypeError, struct.error) as exc:
            self.metrics.error("decode")
            log.warning("skipped a malformed shared cache entry: %s", exc)
            return False
        if self.cache.get(entry.id) is not None or entry.expires <= time.time():
            return False
        self._scopes[entry.id] = sys.intern(entry.scope)
        self.cache.apply_remote_put(entry)
        self.applied += 1
        if len(self._scopes) > self._scope_cap:  # evictions by remote puts leave stale ids
            self._scopes = {k: s for k, s in self._scopes.items() if self.cache.get(k) is not None}
        return True

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
