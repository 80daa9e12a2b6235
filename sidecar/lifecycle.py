"""Resource lifecycles for ``app.cleanup_ctx``: the upstream session, and models + cache.

Models load in the background so the server listens at once (``/healthz`` 200, ``/readyz`` 503
until loaded); requests that arrive earlier are forwarded without cache or routing. The cache
snapshot is loaded at start, written every ``snapshot_interval_s`` and on shutdown (the O(n)
export runs on the loop so it is consistent; the file write runs in a thread).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from aiohttp import web

from sidecar.deps import Deps

log = logging.getLogger("sidecar.lifecycle")
SNAPSHOT_NAME = "cache.snapshot"
PURGE_EVERY_S = 30.0
Ctx = Callable[[web.Application], AsyncIterator[None]]


def upstream_ctx(deps: Deps) -> Ctx:
    """The one pooled ClientSession for the app's lifetime."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        await deps.upstream.open()
        deps.readiness.set("upstreams", bool(deps.settings.tiers))
        yield
        await deps.upstream.close()

    return ctx


def models_ctx(deps: Deps, *, injected: tuple[Any, Any, Any]) -> Ctx:
    """Embedder, classifier and cache: injected ones as given, the rest loaded in background."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        embedder, cache, router = injected
        needs = {
            "model": embedder is None and deps.settings.cache.enabled,
            "classifier": router is None and deps.settings.routing.enabled,
            "index": cache is None and deps.settings.cache.enabled,
        }
        for part, missing in needs.items():
            deps.readiness.set(part, not missing)
        _set_thresholds(deps)
        if deps.cache is not None:
            _watch(deps)
        writer = _Writer()
        tasks = [
            asyncio.create_task(_load(deps, needs), name="sidecar-load"),
            asyncio.create_task(_maintain(deps, writer), name="sidecar-maintain"),
        ]
        if deps.settings.redis.url and deps.settings.cache.enabled:
            tasks.append(asyncio.create_task(_share(deps, tasks[0]), name="sidecar-redis"))
        yield
        for task in tasks:
            task.cancel()
        for task in tasks:
            try:
                await task
            except asyncio.CancelledError:
                pass
            except Exception:
                # It died earlier and nobody awaited it: report it, still write the snapshot.
                log.exception("background task %s had failed", task.get_name())
        await _write_snapshot(deps, writer)
        close = getattr(deps.embedder, "close", None)
        if close is not None:
            await close()

    return ctx


class _Writer:
    """One snapshot writer at a time, per app.

    The file write runs in a thread that cancelling its awaiting task cannot stop; a later
    write (the final one at shutdown) first waits for it, so two threads never write the same
    temp file and the final snapshot is written once, whole, last.
    """

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.running: asyncio.Future[None] | None = None

    async def write(self, path: str, data: Any) -> None:
        from cache.snapshot import write_snapshot

        async with self.lock:
            if self.running is not None and not self.running.done():
                await asyncio.wait({self.running})
            fut = asyncio.ensure_future(asyncio.to_thread(write_snapshot, path, data))
            fut.add_done_callback(_report)
            self.running = fut
            await asyncio.shield(fut)


def _report(fut: asyncio.Future[None]) -> None:
    if not fut.cancelled() and fut.exception() is not None:
        log.error("snapshot write failed in its thread: %r", fut.exception())


def _set_thresholds(deps: Deps) -> None:
    configured = deps.settings.routing.thresholds
    if configured is not None:
        deps.thresholds = configured
    elif deps.router is not None:
        deps.thresholds = _default_thresholds(deps)


def _default_thresholds(deps: Deps) -> tuple[float, ...]:
    """The classifier's shipped cut points for this many tiers, else an even split."""
    n = len(deps.settings.tiers)
    shipped = getattr(deps.router, "thresholds", None)
    if shipped is not None and len(shipped) == n - 1:
        return tuple(float(x) for x in shipped)
    return tuple((i + 1) / n for i in range(n - 1))


def _watch(deps: Deps) -> None:
    cache = deps.cache
    assert cache is not None
    deps.metrics.watch_cache(
        lambda: (cache.entries, cache.bytes, cache.evictions, getattr(cache, "expirations", 0))
    )


def snapshot_path(deps: Deps) -> str | None:
    """Where the snapshot lives, or None without a cache dir."""
    directory = deps.settings.cache.dir
    return str(Path(directory) / SNAPSHOT_NAME) if directory else None


async def _load(deps: Deps, needs: dict[str, bool]) -> None:
    """Load what was not injected, off the event loop; each part independently."""
    for part, loader in (
        ("classifier", _load_router),
        ("index", _load_cache),
        ("model", _load_embedder),
    ):
        if not needs[part]:
            continue
        try:
            await loader(deps)
            deps.readiness.set(part)
        except Exception:
            log.exception("loading %s failed; serving without it, /readyz stays 503", part)


async def _load_router(deps: Deps) -> None:
    from classifier.router import Router

    deps.router = await asyncio.to_thread(Router.load)
    _set_thresholds(deps)


async def _load_cache(deps: Deps) -> None:
    deps.cache = await asyncio.to_thread(_build_cache, deps)
    _watch(deps)


async def _load_embedder(deps: Deps) -> None:
    from cache.embedder import BatchingEmbedder, load_encoder

    cfg = deps.settings.cache
    encoder = await asyncio.to_thread(
        load_encoder, cfg.embed_backend, cfg.model_dir, batch_invariant=cfg.embed_batch_invariant
    )
    embedder = BatchingEmbedder(
        encoder,
        max_batch=cfg.embed_max_batch,
        max_wait_ms=cfg.embed_max_wait_ms,
        on_batch=deps.metrics.observe_embed,
    )
    await embedder.start()
    deps.embedder = embedder
    log.info("embedder ready", extra={"fields": {"encoder": encoder.name}})


def _build_cache(deps: Deps) -> Any:
    """A SemanticCache with the verifier, filled from the snapshot if there is one."""
    from cache.embedder import FAMILY
    from cache.store import SemanticCache
    from cache.verifier import PairVerifier

    cfg = deps.settings.cache
    verifier = PairVerifier.load() if cfg.verifier else None
    cache = SemanticCache(
        max_entries=cfg.max_entries,
        max_bytes=cfg.max_bytes,
        default_ttl=cfg.ttl_s,
        hnsw_min_size=cfg.hnsw_min_size,
        verifier=verifier,
        model_family=FAMILY,  # a snapshot made with another model is refused
        # HNSW migrations and tombstone rebuilds run here, never on the event loop.
        rebuild_executor=ThreadPoolExecutor(1, thread_name_prefix="index-rebuild"),
    )
    path = snapshot_path(deps)
    if path is not None:
        loaded = cache.load_snapshot(path)
        log.info("snapshot loaded", extra={"fields": {"path": path, "entries": loaded}})
    return cache


async def _maintain(deps: Deps, writer: _Writer) -> None:
    """Purge expired entries often; write a snapshot every ``snapshot_interval_s``."""
    since_snapshot = 0.0
    while True:
        await asyncio.sleep(PURGE_EVERY_S)
        since_snapshot += PURGE_EVERY_S
        purge = getattr(deps.cache, "purge_expired", None)
        if purge is not None:
            purge()
        if since_snapshot >= deps.settings.cache.snapshot_interval_s:
            since_snapshot = 0.0
            await _write_snapshot(deps, writer)


async def _share(deps: Deps, loading: asyncio.Task[None]) -> None:
    """Replicate the cache through Redis (``redis.url``) once it is built; stop on cancel."""
    from cache.shared import RedisReplicator, SharedMetrics

    await asyncio.shield(loading)  # the cache may still be building in the background
    if not hasattr(deps.cache, "apply_remote_put"):
        log.warning("redis.url set but the cache cannot replicate; shared tier off")
        return
    cfg, m = deps.settings.redis, deps.metrics
    assert cfg.url is not None
    replicator = RedisReplicator(
        deps.cache,  # type: ignore[arg-type]  # checked above: a SemanticCache
        cfg.url,
        timeout_s=cfg.timeout_s,
        stream_key=cfg.stream_key,
        warm_max_entries=cfg.warm_max_entries,
        metrics=SharedMetrics.from_prometheus(
            m.redis_errors, m.redis_local_only, m.replication_lag, m.stream_backlog
        ),
    )
    await replicator.start()
    try:
        await asyncio.Event().wait()
    finally:
        await replicator.stop()


async def _write_snapshot(deps: Deps, writer: _Writer) -> None:
    path = snapshot_path(deps)
    export = getattr(deps.cache, "export_snapshot", None)
    if path is None or export is None:
        return
    try:
        data = export()
        os.makedirs(os.path.dirname(path), exist_ok=True)
        await writer.write(path, data)
        log.info("snapshot written", extra={"fields": {"path": path}})
    except Exception:
        deps.metrics.cache_errors.labels("snapshot").inc()
        log.exception("snapshot write failed")
