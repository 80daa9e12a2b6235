"""The one place a ``SemanticCache`` is built from ``CacheSettings``.

Used by the app (``sidecar.lifecycle``, with the trained verifier and a rebuild thread) and by
the benchmarks that measure the cache the app would build (``benchmarks/memory_bench.py``,
``benchmarks/peers.py``), so a new setting reaches all of them.
"""

from __future__ import annotations

from concurrent.futures import Executor

from cache.encoders import encoder_family
from cache.store import SemanticCache
from cache.verifier import HitVerifier
from sidecar.config_sections import CacheSettings


def build_cache(
    cfg: CacheSettings,
    *,
    verifier: HitVerifier | None,
    max_entries: int | None = None,
    rebuild_executor: Executor | None = None,
    keep_bodies: bool = True,
) -> SemanticCache:
    """An empty cache with the configured bounds, TTL and index policy.

    ``max_entries`` overrides the configured bound (benchmarks that load more entries);
    ``rebuild_executor`` is where HNSW migrations and tombstone rebuilds run (None: inline);
    ``keep_bodies=False`` leaves answer bodies to the shared tier (``redis.bodies_in_redis``).
    """
    return SemanticCache(
        max_entries=cfg.max_entries if max_entries is None else max_entries,
        max_bytes=cfg.max_bytes,
        default_ttl=cfg.ttl_s,
        hnsw_min_size=cfg.hnsw_min_size,
        verifier=verifier,
        sibling_k=cfg.siblings,
        # a snapshot made with another model (or quantization) is refused
        model_family=encoder_family(cfg.embed_quant),
        rebuild_executor=rebuild_executor,
        keep_bodies=keep_bodies,
    )
