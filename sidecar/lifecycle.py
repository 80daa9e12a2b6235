"""Resource lifecycles for ``app.cleanup_ctx``: the upstream session, and models + cache.

Models load in the background so the server listens at once (``/healthz`` 200, ``/readyz`` 503
until loaded); requests that arrive earlier are forwarded without cache or routing. The cache
snapshot is loaded at start, written every ``snapshot_interval_s`` and on shutdown (the O(n)
export runs on the loop so it is consistent; the file write runs in a thread).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web

from sidecar.deps import Cache, Deps, Embedder, Router

if TYPE_CHECKING:  # loaded lazily: the app starts listening before the models load
    from cache.embedder import BatchingEmbedder
    from cache.encoder_pool import EncoderPool
    from cache.snapshot import SnapshotData
    from cache.store import SemanticCache

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


@dataclass(frozen=True, slots=True)
class Injected:
    """Parts passed to ``create_app`` (tests, benchmarks): used as given, never closed here."""

    embedder: Embedder | None = None
    cache: Cache | None = None
    router: Router | None = None


@dataclass(slots=True)
class _Owned:
    """Parts this module loaded, so it closes them at shutdown."""

    embedder: EncoderPool | BatchingEmbedder | None = None


def models_ctx(deps: Deps, injected: Injected) -> Ctx:
    """Embedder, classifier and cache: injected ones as given, the rest loaded in background."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        cfg = deps.settings
        needs = {
            # The embedding serves the router too: routing works with the cache off.
            "model": injected.embedder is None and (cfg.cache.enabled or cfg.routing.enabled),
            "classifier": injected.router is None and cfg.routing.enabled,
            "index": injected.cache is None and cfg.cache.enabled,
        }
        for part, missing in needs.items():
            deps.readiness.set(part, not missing)
        _set_thresholds(deps)
        if deps.cache is not None:
            _watch(deps, deps.cache)
        owned = _Owned()
        writer = _Writer()
        tasks = [
            asyncio.create_task(_load(deps, needs, owned), name="sidecar-load"),
            asyncio.create_task(_maintain(deps, writer), name="sidecar-maintain"),
        ]
        if cfg.redis.url and cfg.cache.enabled:
            share = _share(deps, tasks[0], cfg.redis.url)
            tasks.append(asyncio.create_task(share, name="sidecar-redis"))
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
        if owned.embedder is not None:
            await owned.embedder.close()

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

    async def write(self, path: str, data: SnapshotData) -> None:
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
    """Configured cut points win; else the loaded classifier's shipped ones."""
    if deps.settings.routing.thresholds is None and deps.router is not None:
        deps.live.set_thresholds(_default_thresholds(deps, deps.router))


def _default_thresholds(deps: Deps, router: Router) -> tuple[float, ...]:
    """The classifier's shipped cut points for this many tiers, else an even split."""
    n = len(deps.settings.tiers)
    if len(router.thresholds) == n - 1:
        return tuple(float(x) for x in router.thresholds)
    return tuple((i + 1) / n for i in range(n - 1))


def _watch(deps: Deps, cache: Cache) -> None:
    deps.metrics.watch_cache(
        lambda: (cache.entries, cache.bytes, cache.evictions, cache.expirations)
    )


def snapshot_path(deps: Deps) -> str | None:
    """Where the snapshot lives, or None without a cache dir."""
    directory = deps.settings.cache.dir
    return str(Path(directory) / SNAPSHOT_NAME) if directory else None


async def _load(deps: Deps, needs: dict[str, bool], owned: _Owned) -> None:
    """Load what was not injected, off the event loop; each part independently."""
    for part, loader in (
        ("classifier", _load_router),
        ("index", _load_cache),
        ("model", _load_embedder),
    ):
        if not needs[part]:
            continue
        try:
            await loader(deps, owned)
            deps.readiness.set(part)
        except Exception:
            log.exception("loading %s failed; serving without it, /readyz stays 503", part)
    if any(needs.values()):
        # What is loaded now (models, tokenizer, verifier, snapshot: ~77k objects) lives as long
        # as the process: out of the cyclic collector's reach, a full collection scans only what
        # requests create instead of pausing the event loop ~30-70 ms for all of it.
        gc.freeze()


async def _load_router(deps: Deps, owned: _Owned) -> None:
    from classifier.router import Router as Classifier

    deps.router = await asyncio.to_thread(Classifier.load)
    _set_thresholds(deps)


async def _load_cache(deps: Deps, owned: _Owned) -> None:
    cache = await asyncio.to_thread(_build_cache, deps)
    deps.cache = cache
    _watch(deps, cache)


async def _load_embedder(deps: Deps, owned: _Owned) -> None:
    from cache.embedder import BatchingEmbedder
    from cache.encoder_pool import EncoderPool, wide_encoder
    from cache.encoders import load_encoder

    cfg = deps.settings.cache
    encoder = await asyncio.to_thread(
        partial(
            load_encoder,
            cfg.embed_backend,
            cfg.model_dir,
            batch_invariant=cfg.embed_batch_invariant,
            quant=cfg.embed_quant,
        )
    )
    embedder: EncoderPool | BatchingEmbedder
    if getattr(encoder, "batch_invariant", False):  # per text, or batches that do not leak
        lone = await asyncio.to_thread(wide_encoder, encoder, cfg.model_dir, cfg.embed_lone_threads)
        embedder = EncoderPool(
            encoder,
            workers=cfg.embed_workers,
            on_batch=deps.metrics.observe_embed,
            lone=lone,
            max_batch=1 if encoder.per_row else cfg.embed_max_batch,
        )
    else:
        embedder = BatchingEmbedder(
            encoder,
            max_batch=cfg.embed_max_batch,
            max_wait_ms=cfg.embed_max_wait_ms,
            on_batch=deps.metrics.observe_embed,
        )
    await embedder.start()
    owned.embedder = deps.embedder = embedder
    log.info("embedder ready", extra={"fields": {"encoder": encoder.name}})


def _build_cache(deps: Deps) -> SemanticCache:
    """A SemanticCache with the verifier, filled from the snapshot if there is one."""
    from cache.lexicon import lexicon
    from cache.verifier import PairVerifier
    from sidecar.cache_factory import build_cache

    # The guard and the verifier read the WordNet lexicon for every candidate: load it here,
    # off the event loop and before gc.freeze, not on the first semantic candidate (~50 ms).
    lexicon()
    cfg = deps.settings.cache
    cache = build_cache(
        cfg,
        verifier=PairVerifier.load() if cfg.verifier else None,
        # HNSW migrations and tombstone rebuilds run here, never on the event loop.
        rebuild_executor=ThreadPoolExecutor(1, thread_name_prefix="index-rebuild"),
        keep_bodies=not (deps.settings.redis.url and deps.settings.redis.bodies_in_redis),
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
        if deps.cache is not None:
            deps.cache.purge_expired()
        if since_snapshot >= deps.settings.cache.snapshot_interval_s:
            since_snapshot = 0.0
            await _write_snapshot(deps, writer)


async def _share(deps: Deps, loading: asyncio.Task[None], url: str) -> None:
    """Replicate the cache through Redis (``redis.url``) once it is built; stop on cancel."""
    from cache.shared import RedisReplicator
    from cache.shared_ports import SharedMetrics

    await asyncio.shield(loading)  # the cache may still be building in the background
    if deps.cache is None:
        log.warning("redis.url set but no cache loaded; shared tier off")
        return
    cfg, m = deps.settings.redis, deps.metrics
    replicator = RedisReplicator(
        deps.cache,
        url,
        timeout_s=cfg.timeout_s,
        stream_key=cfg.stream_key,
        warm_max_entries=cfg.warm_max_entries,
        metrics=SharedMetrics.from_prometheus(
            m.redis_errors, m.redis_local_only, m.replication_lag, m.stream_backlog
        ),
    )
    await replicator.start()
    if cfg.bodies_in_redis:
        deps.bodies = replicator
    try:
        await asyncio.Event().wait()
    finally:
        deps.bodies = None
        await replicator.stop()


async def _write_snapshot(deps: Deps, writer: _Writer) -> None:
    path = snapshot_path(deps)
    if path is None or deps.cache is None:
        return
    try:
        data = deps.cache.export_snapshot()
        os.makedirs(os.path.dirname(path), exist_ok=True)
        await writer.write(path, data)
        log.info("snapshot written", extra={"fields": {"path": path}})
    except Exception:
        deps.metrics.cache_errors.labels("snapshot").inc()
        log.exception("snapshot write failed")
