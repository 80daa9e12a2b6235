"""Reload and shutdown edges (issue 13 items 12 and 13), driven in process."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

import cache.snapshot
from cache.store import SemanticCache
from sidecar import lifecycle
from sidecar.__main__ import _reload
from tests.conftest import chat, deps_of


async def test_sighup_with_renamed_tiers_keeps_serving(sidecar, tmp_path, caplog):
    """Item 12: routing from a reload is validated against the running tiers, not applied."""
    client = await sidecar()
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        'tiers: [{name: cheap, deployments: [{base_url: "http://x/v1", model: m}]}]\n'
        "routing: {default_tier: cheap}\n"
    )
    _reload(client.server.app, str(cfg), {})
    assert deps_of(client).settings.routing.default_tier == "medium"
    assert "reload rejected" in caplog.text
    for text in ("short", "a much longer question " * 10):
        resp = await client.post("/v1/chat/completions", json=chat(text))
        assert resp.status == 200, await resp.text()
    # a valid reload still applies
    cfg.write_text("routing: {default_tier: large, thresholds: [0.1, 0.2]}\ncache: {ttl_s: 5}\n")
    _reload(client.server.app, str(cfg), {})
    deps = deps_of(client)
    assert deps.settings.routing.default_tier == "large"
    assert tuple(deps.live.current.thresholds) == (0.1, 0.2) and deps.settings.cache.ttl_s == 5


class _SlowWrites:
    """Wraps write_snapshot: slow, and records how many writers ran at once."""

    def __init__(self, real) -> None:
        self.real, self.active, self.most, self.calls = real, 0, 0, []
        self.lock = threading.Lock()

    def __call__(self, path, data) -> None:
        with self.lock:
            self.active += 1
            self.most = max(self.most, self.active)
            self.calls.append(len(data.entries))
        try:
            time.sleep(0.4)
            self.real(path, data)
        finally:
            with self.lock:
                self.active -= 1


@pytest.mark.timeout(60)
async def test_final_snapshot_waits_for_a_periodic_writer(sidecar, tmp_path, monkeypatch):
    """Item 13: a periodic write still running at shutdown never overlaps the final one."""
    slow = _SlowWrites(cache.snapshot.write_snapshot)
    monkeypatch.setattr(cache.snapshot, "write_snapshot", slow)
    monkeypatch.setattr(lifecycle, "PURGE_EVERY_S", 0.05)
    client = await sidecar(
        env={"SIDECAR_CACHE_DIR": str(tmp_path), "SIDECAR_CACHE_SNAPSHOT_INTERVAL_S": "0.05"}
    )
    for i in range(3):
        resp = await client.post("/v1/chat/completions", json=chat(f"question {i}"))
        assert resp.status == 200
    for _ in range(100):  # wait until a periodic write is in its thread
        if slow.active:
            break
        await asyncio.sleep(0.02)
    assert slow.active == 1
    await client.close()  # shutdown: cancels the periodic task mid-write, writes the final one
    assert slow.most == 1, "two writers overlapped"
    assert slow.calls[-1] == 3
    assert SemanticCache().load_snapshot(str(tmp_path / lifecycle.SNAPSHOT_NAME)) == 3


async def test_dead_background_task_does_not_skip_final_snapshot(sidecar, tmp_path, monkeypatch):
    """Item 13: a maintenance task that died earlier is reported; the snapshot is still written."""
    monkeypatch.setattr(lifecycle, "PURGE_EVERY_S", 0.01)
    client = await sidecar(env={"SIDECAR_CACHE_DIR": str(tmp_path)})
    resp = await client.post("/v1/chat/completions", json=chat("keep me"))
    assert resp.status == 200

    def boom() -> int:
        raise RuntimeError("purge exploded")

    deps_of(client).cache.purge_expired = boom  # type: ignore[union-attr]
    await asyncio.sleep(0.1)  # the maintenance task dies on its next round
    await client.close()
    assert SemanticCache().load_snapshot(str(tmp_path / lifecycle.SNAPSHOT_NAME)) == 1


async def test_what_the_app_loads_is_frozen_out_of_the_collector(sidecar):
    """Latency: a full GC pass must not rescan the loaded models on the event loop."""
    import gc

    gc.unfreeze()  # earlier tests may have frozen objects already
    client = await sidecar(cache=None)  # the cache is built by the app, not injected
    deps = deps_of(client)
    for _ in range(400):  # _load freezes after its last part: poll, a loaded box is slow
        if deps.readiness.parts.get("index") and gc.get_freeze_count() > 0:
            break
        await asyncio.sleep(0.05)
    assert deps.readiness.parts.get("index")
    assert gc.get_freeze_count() > 0
    gc.unfreeze()
