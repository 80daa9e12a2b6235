"""Shared cache tier against a real redis-server: replication, TTL, outage, warm-up, isolation.

Each test gets its own redis-server on a free port (``redis_server`` fixture). The binary comes
from Debian's ``redis-server`` package (``make redis``); without it these tests fail loudly.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import numpy as np
import pytest
import redis.asyncio as aioredis
from redis.exceptions import TimeoutError as RedisTimeoutError

from cache.shared import RedisReplicator
from cache.shared_ports import SharedMetrics
from cache.shared_wire import decode_entry, encode_entry, hash_tag
from cache.store import SemanticCache
from tests.conftest import AcceptAll, FakeEmbedder, chat, deps_of, metric

pytestmark = pytest.mark.redis
EMB = FakeEmbedder()


class RedisServer:
    """A throwaway redis-server subprocess on 127.0.0.1 (no persistence)."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail(
                "redis-server not found on PATH: run `make redis` "
                "(bash scripts/ensure-redis.sh installs Debian's redis-server)"
            )
        self.binary = binary
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start and wait for PING (up to 5 s)."""
        self.proc = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), 0.2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.02)
        self.stop()
        pytest.fail(f"redis-server did not answer PING on port {self.port}")

    def stop(self) -> None:
        """Kill the process (SIGKILL: an abrupt outage) and reap it."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(5)
            self.proc = None


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    yield server
    server.stop()


class Recorder:
    """SharedMetrics that remember what they were told."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.local_only: bool | None = None
        self.lags: list[float] = []

    def metrics(self) -> SharedMetrics:
        return SharedMetrics(
            self.errors.append,
            lambda on: setattr(self, "local_only", on),
            self.lags.append,
            lambda n: None,
        )


Replica = tuple[SemanticCache, RedisReplicator, Recorder]
MakeReplica = Callable[..., Awaitable[Replica]]


@pytest.fixture
async def replica(redis_server: RedisServer) -> AsyncIterator[MakeReplica]:
    """Build started cache + replicator pairs on the test's Redis; stopped after the test."""
    made: list[RedisReplicator] = []

    async def make(**kw: Any) -> Replica:
        cache = SemanticCache(verifier=AcceptAll())
        rec = Recorder()
        opts: dict[str, Any] = {
            "block_ms": 200,
            "backoff": (0.05, 0.3),
            "timeout_s": 0.5,
            "metrics": rec.metrics(),
            **kw,
        }
        rep = RedisReplicator(cache, redis_server.url, **opts)
        await rep.start()
        made.append(rep)
        await asyncio.wait_for(rep.warmed.wait(), 3)
        return cache, rep, rec

    yield make
    for rep in made:
        await rep.stop(flush_timeout=0.5)


def put(cache: SemanticCache, scope: str, text: str, ttl: float = 60.0) -> Any:
    """Store an answer for ``text`` with the fake embedder's vector."""
    return cache.put(
        scope,
        text,
        EMB.vector(text),
        body=b'{"answer": "%s"}' % text.encode(),
        model="m",
        tier="small",
        tier_rank=0,
        ttl=ttl,
    )


async def eventually(check: Callable[[], Any], within: float = 3.0) -> Any:
    """Poll ``check`` until it returns something truthy (fail after ``within`` seconds)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if value := check():
            return value
        await asyncio.sleep(0.02)
    pytest.fail(f"condition not met within {within}s")


def test_entry_codec_roundtrip_and_hash_tag() -> None:
    entry = put(SemanticCache(), "t1", "hello there")
    back = decode_entry(encode_entry(entry, "fam"), "fam", 384)
    assert back == entry and back.vector is not None and entry.vector is not None
    assert np.array_equal(back.vector, entry.vector)
    with pytest.raises(ValueError):
        decode_entry(encode_entry(entry, "other-model"), "fam", 384)
    assert hash_tag("llm-sidecar:events") == "{llm-sidecar:events}"
    assert hash_tag("{llm-sidecar}:events") == "{llm-sidecar}"


async def test_answer_cached_on_a_is_served_by_b(replica: MakeReplica) -> None:
    (a, _, _), (b, _, rec_b) = await replica(), await replica()
    stored = put(a, "tenant-1", "what is the capital of france")
    hit = await eventually(lambda: b.lookup_exact("tenant-1", "what is the capital of france"))
    assert hit.id == stored.id and hit.body == stored.body
    query = "what is the capital city of france"
    semantic = b.lookup("tenant-1", query, EMB.vector(query), threshold=0.8)
    assert semantic.result == "semantic" and semantic.entry is not None
    assert semantic.entry.id == stored.id
    assert rec_b.lags and max(rec_b.lags) < 3.0 and rec_b.local_only is False


async def test_ttl_expiry_seen_on_both(replica: MakeReplica, redis_server: RedisServer) -> None:
    (a, rep_a, _), (b, _, _) = await replica(), await replica()
    entry = put(a, "t", "short lived answer", ttl=0.6)
    await eventually(lambda: b.lookup_exact("t", "short lived answer"))
    await asyncio.sleep(max(0.0, entry.expires - time.time()) + 0.05)
    assert a.lookup_exact("t", "short lived answer") is None
    assert b.lookup_exact("t", "short lived answer") is None
    client = aioredis.Redis.from_url(redis_server.url)
    try:
        assert await client.exists(rep_a.entry_key("t", entry.id)) == 0
    finally:
        await client.aclose()


async def test_outage_local_only_then_catch_up(
    replica: MakeReplica, redis_server: RedisServer
) -> None:
    (a, rep_a, rec_a), (b, rep_b, rec_b) = await replica(), await replica()
    put(a, "t", "before the outage")
    await eventually(lambda: b.lookup_exact("t", "before the outage"))
    redis_server.stop()
    await eventually(lambda: rep_a.local_only and rep_b.local_only)
    assert rec_a.local_only is True and rec_b.local_only is True and rec_a.errors
    # Both keep serving: local lookups and puts, no exceptions.
    put(a, "t", "written on a while down")
    put(b, "t", "written on b while down")
    assert a.lookup_exact("t", "before the outage") is not None
    assert b.lookup_exact("t", "written on b while down") is not None
    redis_server.start()  # same port, empty
    await eventually(lambda: b.lookup_exact("t", "written on a while down"), within=5)
    await eventually(lambda: a.lookup_exact("t", "written on b while down"), within=5)
    assert rec_a.local_only is False and rec_b.local_only is False


async def test_third_replica_warms_from_redis(replica: MakeReplica) -> None:
    a, rep_a, _ = await replica()
    texts = [f"question number {i}" for i in range(6)]
    for text in texts:
        put(a, "t", text)
    assert await rep_a.flush(3)
    c, _, _ = await replica()
    assert c.entries == 6
    assert all(c.lookup_exact("t", text) is not None for text in texts)
    small, _, _ = await replica(warm_max_entries=2)  # bounded: keeps the newest
    assert small.entries == 2 and small.lookup_exact("t", texts[-1]) is not None


async def test_no_cross_tenant_hit_across_replicas(replica: MakeReplica) -> None:
    (a, _, _), (b, _, _) = await replica(), await replica()
    text = "how do i reset my password"
    put(a, "tenant-a", text)
    await eventually(lambda: b.lookup_exact("tenant-a", text))
    assert b.lookup_exact("tenant-b", text) is None
    assert b.lookup("tenant-b", text, EMB.vector(text), threshold=0.5).result == "miss"


async def test_removal_propagates_and_trim_forces_rewarm(
    replica: MakeReplica, redis_server: RedisServer
) -> None:
    (a, rep_a, _), (b, rep_b, _) = await replica(), await replica()
    entry = put(a, "t", "to be removed")
    await eventually(lambda: b.get(entry.id))
    a.remove(entry.id)
    await eventually(lambda: b.get(entry.id) is None)
    client = aioredis.Redis.from_url(redis_server.url)
    try:
        assert await client.exists(rep_a.entry_key("t", entry.id)) == 0
        # A follower whose last ID is older than a trimmed event must re-warm, not resume.
        behind = RedisReplicator(b, redis_server.url)
        info = await client.xinfo_stream(rep_a.stream)  # two events: the put, the delete
        lagging = behind._follower
        lagging.last_id, lagging.base = info["first-entry"][0], 1  # saw only the put
        await client.xtrim(rep_a.stream, maxlen=0, approximate=False)
        trimmed = await client.xinfo_stream(rep_a.stream)
        assert lagging.trimmed_past(trimmed)
        assert not rep_b._follower.trimmed_past(trimmed)  # caught up
        await behind.stop(flush_timeout=0)
    finally:
        await client.aclose()


async def test_full_queue_drops_oldest_while_unreachable() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    rec = Recorder()
    cache = SemanticCache()
    rep = RedisReplicator(
        cache,
        f"redis://127.0.0.1:{port}/0",
        queue_max=3,
        timeout_s=0.2,
        backoff=(0.05, 0.1),
        metrics=rec.metrics(),
    )
    await rep.start()
    try:
        for i in range(5):
            put(cache, "t", f"answer {i}")  # never raises, never waits
        await eventually(lambda: rec.local_only)
        assert rep.dropped == 2 and rec.errors.count("queue_full") == 2
        assert cache.entries == 5
    finally:
        await rep.stop(flush_timeout=0.1)


async def test_end_to_end_miss_on_a_is_exact_hit_on_b(
    sidecar: Any, mock: Any, redis_server: RedisServer
) -> None:
    env = {"SIDECAR_REDIS_URL": redis_server.url}
    a, b = await sidecar(env=env), await sidecar(env=env)
    body = chat("name three primary colors", temperature=0)
    headers = {"X-Tenant-Id": "acme"}
    first = await a.post("/v1/chat/completions", json=body, headers=headers)
    assert first.status == 200 and first.headers["X-Sidecar-Cache"] == "miss"
    await first.read()
    upstream_calls = len(mock.requests)
    await eventually(lambda: deps_of(b).cache.entries >= 1)
    second = await b.post("/v1/chat/completions", json=body, headers=headers)
    assert second.status == 200 and second.headers["X-Sidecar-Cache"] == "exact"
    assert await second.json() == await first.json()
    assert len(mock.requests) == upstream_calls
    assert metric(b, "sidecar_redis_local_only") == 0
    assert metric(b, "sidecar_replication_lag_seconds_count") >= 1


async def test_stop_returns_when_redis_py_loses_the_cancel(redis_server: RedisServer) -> None:
    # A read timeout firing together with stop()'s cancel reaches the follower as a redis
    # TimeoutError, not a CancelledError; the follower used to treat it as an outage and
    # reconnect, and stop() waited for it forever (seen in benchmarks/redis_bench.py).
    rep = RedisReplicator(SemanticCache(), redis_server.url, block_ms=200)
    await rep.start()
    await asyncio.wait_for(rep.warmed.wait(), 5)

    async def lossy_xread(*args: Any, **kwargs: Any) -> Any:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            raise RedisTimeoutError("Timeout reading from 127.0.0.1") from None

    rep._tail.xread = lossy_xread  # type: ignore[method-assign]
    await asyncio.sleep(0.5)  # the real XREAD BLOCK 200 returns; the follower is in the lossy one
    await asyncio.wait_for(rep.stop(), 5)
    assert all(task.done() for task in rep._tasks)


async def test_stop_returns_while_the_follower_blocks_in_xread(redis_server: RedisServer) -> None:
    # Connections close before the tasks are awaited: a follower blocked in a long XREAD ends.
    for _ in range(3):
        rep = RedisReplicator(SemanticCache(), redis_server.url, block_ms=30_000)
        await rep.start()
        await asyncio.wait_for(rep.warmed.wait(), 5)
        await asyncio.sleep(0.2)  # the follower is now inside XREAD BLOCK 30000
        await asyncio.wait_for(rep.stop(), 5)
        assert all(task.done() for task in rep._tasks)


async def test_bodies_in_redis_only_fetched_on_a_hit(redis_server: RedisServer) -> None:
    reps = []
    for _ in range(2):
        cache = SemanticCache(verifier=AcceptAll(), keep_bodies=False)
        rep = RedisReplicator(
            cache,
            redis_server.url,
            block_ms=200,
            backoff=(0.05, 0.3),
            timeout_s=0.5,
            metrics=Recorder().metrics(),
        )
        await rep.start()
        await asyncio.wait_for(rep.warmed.wait(), 3)
        reps.append((cache, rep))
    (a, rep_a), (b, rep_b) = reps
    try:
        text = "what is the capital of france"
        stored = put(a, "t", text)
        assert stored.body  # the caller and the listeners get the whole answer
        local = a.lookup_exact("t", text)
        assert local is not None and local.body == b""  # the replica keeps no body
        assert a.bytes == len(text) + EMB.vector(text).nbytes
        assert await rep_a.flush(3)
        assert await rep_a.fetch_body(local) == stored.body
        remote = await eventually(lambda: b.lookup_exact("t", text))
        assert remote.body == b"" and await rep_b.fetch_body(remote) == stored.body
        client = aioredis.Redis.from_url(redis_server.url)
        try:
            await client.delete(rep_b.entry_key("t", stored.id))
        finally:
            await client.aclose()
        assert await rep_b.fetch_body(remote) is None  # gone from Redis: a miss, dropped here
        assert b.get(stored.id) is None
        other = put(a, "t", "a second question")
        assert await rep_a.flush(3)
        redis_server.stop()
        assert await rep_a.fetch_body(other) is None  # Redis down: a miss, no exception
    finally:
        for _, rep in reps:
            await rep.stop(flush_timeout=0.5)


async def test_end_to_end_bodies_in_redis(
    sidecar: Any, mock: Any, redis_server: RedisServer
) -> None:
    env = {"SIDECAR_REDIS_URL": redis_server.url, "SIDECAR_REDIS_BODIES_IN_REDIS": "true"}
    a, b = [
        await sidecar(env=env, cache=SemanticCache(verifier=AcceptAll(), keep_bodies=False))
        for _ in range(2)
    ]
    body = chat("name three primary colors", temperature=0)
    headers = {"X-Tenant-Id": "acme"}
    first = await a.post("/v1/chat/completions", json=body, headers=headers)
    assert first.status == 200 and first.headers["X-Sidecar-Cache"] == "miss"
    answer = await first.json()
    await eventually(lambda: deps_of(b).cache.entries >= 1 and deps_of(b).bodies is not None)
    text_and_vector = len("name three primary colors") + 4 * 384
    assert deps_of(a).cache.bytes == deps_of(b).cache.bytes == text_and_vector  # no body
    for client in (a, b):
        again = await client.post("/v1/chat/completions", json=body, headers=headers)
        assert again.status == 200 and again.headers["X-Sidecar-Cache"] == "exact"
        assert await again.json() == answer
    calls = len(mock.requests)
    redis_server.stop()
    down = await b.post("/v1/chat/completions", json=body, headers=headers)
    assert down.status == 200 and down.headers["X-Sidecar-Cache"] == "miss"  # never b""
    assert (await down.json())["choices"] == answer["choices"]
    assert len(mock.requests) == calls + 1
    assert metric(b, "sidecar_cache_errors_total", {"op": "body_fetch"}) >= 1
