"""The audit's lifecycle (a ``cleanup_ctx``): build after the cache loads, persist, share.

Start: waits for the cache (loaded in the background), builds the ``Auditor`` when
``cache.audit.rate`` > 0, restores the budget controller's counts from
``<cache.dir>/audit_state.json`` (beside the cache snapshot; missing or corrupt = fresh start,
logged), and syncs them through Redis every ``cache.audit.sync_interval_s`` when ``redis.url``
is set. Every ``cache.snapshot_interval_s`` and on shutdown the state file is written
atomically; on shutdown audits in flight are cancelled first (they never hold up a drain).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import tempfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from sidecar.audit_service import build_auditor
from sidecar.deps import Deps
from sidecar.metrics_audit import AuditMetrics

log = logging.getLogger("sidecar.audit")
STATE_NAME = "audit_state.json"
WAIT_STEP_S = 0.05
Ctx = Callable[[web.Application], AsyncIterator[None]]


def audit_ctx(deps: Deps, metrics: AuditMetrics) -> Ctx:
    """Build, persist and share the audit and its budget for the app's lifetime."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(_run(deps, metrics), name="sidecar-audit")
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        if deps.auditor is not None:
            await deps.auditor.close()
            _save(deps)

    return ctx


async def _run(deps: Deps, metrics: AuditMetrics) -> None:
    cfg = deps.settings.cache
    if cfg.audit.rate <= 0 or not cfg.enabled:
        return
    # Polled: the cache is built by another task that exposes no event.
    while deps.cache is None or not deps.readiness.parts.get("index", False):  # noqa: ASYNC110
        await asyncio.sleep(WAIT_STEP_S)
    auditor = build_auditor(deps, metrics)
    path = state_path(deps)
    state = read_state(path) if path is not None else None
    if state is not None and not auditor.controller.load_state(state):
        log.warning("audit state %s is for other bands; starting from the shipped point", path)
    deps.auditor = auditor
    log.info("cache audit on", extra={"fields": auditor.status()["budget"]})
    share = _shared(deps, auditor.controller)
    async with asyncio.TaskGroup() as group:
        if share is not None:
            group.create_task(share.run(cfg.audit.sync_interval_s))
        group.create_task(_save_forever(deps))


def _shared(deps: Deps, controller: Any) -> Any:
    url = deps.settings.redis.url
    if not url:
        return None
    from cache.audit_share import SharedBudget

    errors = deps.metrics.redis_errors.labels("budget_sync")
    return SharedBudget(
        controller, url, timeout_s=deps.settings.redis.timeout_s, on_error=errors.inc
    )


async def _save_forever(deps: Deps) -> None:
    while True:
        await asyncio.sleep(deps.settings.cache.snapshot_interval_s)
        await asyncio.to_thread(_save, deps)


def _save(deps: Deps) -> None:
    path = state_path(deps)
    if path is None or deps.auditor is None:
        return
    try:
        write_state(path, deps.auditor.controller.to_state())
    except OSError:
        deps.metrics.cache_errors.labels("audit_state").inc()
        log.exception("audit state write failed")


def state_path(deps: Deps) -> Path | None:
    """``<cache.dir>/audit_state.json``, or None without a cache dir."""
    directory = deps.settings.cache.dir
    return Path(directory) / STATE_NAME if directory else None


def write_state(path: Path, state: dict[str, Any]) -> None:
    """Atomic JSON write: temp file in the same directory, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".audit_state.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(state, f)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def read_state(path: Path) -> dict[str, Any] | None:
    """The saved state, or None (missing or corrupt: logged, never fatal)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("audit state %s unreadable (%s); starting from the shipped point", path, exc)
        return None
    return data if isinstance(data, dict) else None
