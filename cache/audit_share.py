"""Share the false-hit budget's evidence between replicas through one Redis hash of counters.

Contract: the hash ``<prefix>:<edges digest>`` holds per band ``<band>:g`` (the regime
generation), ``<band>:s`` / ``<band>:d`` (served-hit verdicts same / different of that regime)
and ``<band>:ps`` / ``<band>:pd`` (near-miss verdicts), and the error budget's account
``L:e`` / ``L:s`` (earned / spent, micro wrong hits, cache/ledger.py), summed over every
replica; the digest keeps controllers with other band edges apart. ``sync()`` runs one Lua
script (atomic): per band, a pushed generation newer than the stored one replaces it and
clears the regime's counters; verdicts are added only when pushed for the stored generation
(verdicts of an older regime are dropped); the account's deltas are added (it spans regimes);
the whole hash is returned.
The controller adopts the totals and keeps verdicts recorded meanwhile for the next push.
When the hash does not exist yet (first replica, or Redis was emptied) the replica seeds it
with all its rows, so evidence restored from a snapshot is not lost. Redis errors return
False: the controller keeps working on local counts (the caller counts the failure) and the
next sync pushes everything not yet pushed.
No aiohttp or sidecar imports.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from cache.budget import BudgetController

log = logging.getLogger("cache.audit_share")
# v3: + the account; v2: regimes (no account: a v3 replica never reads v2's hash, it seeds its
# own from the snapshot); v1 hashes held pooled counts.
DEFAULT_PREFIX = "llm-sidecar:budget:v3"
# ARGV: band count, then per band gen, hit same, hit different, probe same, probe different,
# then the account's earned and spent.
PUSH = """
local key = KEYS[1]
local bands = tonumber(ARGV[1])
for i = 0, bands - 1 do
  local a = 2 + i * 5
  local gen = tonumber(ARGV[a])
  local stored = tonumber(redis.call('HGET', key, i .. ':g') or '0')
  if gen > stored then
    redis.call('HSET', key, i .. ':g', gen)
    redis.call('HDEL', key, i .. ':s', i .. ':d', i .. ':ps', i .. ':pd')
    stored = gen
  end
  local fields = {'s', 'd', 'ps', 'pd'}
  for k = 1, 4 do
    local n = tonumber(ARGV[a + k])
    if n ~= 0 and gen == stored then
      redis.call('HINCRBY', key, i .. ':' .. fields[k], n)
    end
  end
end
local earned, spent = tonumber(ARGV[2 + bands * 5]), tonumber(ARGV[3 + bands * 5])
if earned ~= 0 then redis.call('HINCRBY', key, 'L:e', earned) end
if spent ~= 0 then redis.call('HINCRBY', key, 'L:s', spent) end
return redis.call('HGETALL', key)
"""


def budget_key(controller: BudgetController, prefix: str = DEFAULT_PREFIX) -> str:
    """The hash key for this controller's band edges."""
    edges = ",".join(f"{e:.4f}" for e in controller.edges)
    return f"{prefix}:{hashlib.sha256(edges.encode()).hexdigest()[:12]}"


class SharedBudget:
    """Periodic two-way sync of one controller's counts with Redis."""

    def __init__(
        self,
        controller: BudgetController,
        url: str,
        *,
        prefix: str = DEFAULT_PREFIX,
        timeout_s: float = 0.25,
        on_error: Callable[[], None] | None = None,
    ) -> None:
        self.controller, self.key = controller, budget_key(controller, prefix)
        self._on_error = on_error or (lambda: None)
        # Typed Any: redis-py's stubs return unions of the sync and async results.
        self._redis: Any = aioredis.Redis.from_url(
            url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s
        )
        self._push = self._redis.register_script(PUSH)
        self.syncs = 0

    async def sync(self) -> bool:
        """Push local evidence, adopt the shared totals; False on a Redis error."""
        ctl = self.controller
        try:
            seeded = await self._redis.exists(self.key)
            delta, account = ctl.take_delta(), ctl.ledger.take_delta()
            # An absent hash is seeded with everything known here (restored from a snapshot).
            pushed = delta if seeded else ctl.rows()
            sent = account if seeded else ctl.ledger.row()
            args = [len(pushed), *(v for row in pushed for v in row), *sent]
            flat = await self._push(keys=[self.key], args=args)
        except (RedisError, OSError) as exc:
            log.warning("budget sync with redis failed (%s); local counts kept", exc)
            self._on_error()
            return False
        raw = dict(zip(flat[::2], flat[1::2], strict=True))
        totals = [
            tuple(_int(raw, f"{i}:{f}") for f in ("g", "s", "d", "ps", "pd"))
            for i in range(len(pushed))
        ]
        ctl.ledger.merge((_int(raw, "L:e"), _int(raw, "L:s")), account)
        ctl.merge_shared(totals, delta)  # type: ignore[arg-type]
        self.syncs += 1
        return True

    async def run(self, interval_s: float) -> None:
        """Sync every ``interval_s`` until cancelled; a last sync on the way out."""
        try:
            while True:
                await self.sync()
                await asyncio.sleep(interval_s)
        finally:
            await asyncio.shield(self._final())

    async def _final(self) -> None:
        try:
            await asyncio.wait_for(self.sync(), timeout=1.0)
        except (TimeoutError, asyncio.CancelledError):
            pass
        await self.close()

    async def close(self) -> None:
        """Close the connection pool."""
        await self._redis.aclose()


def _int(raw: dict[bytes, bytes], field: str) -> int:
    value = raw.get(field.encode())
    return int(value) if value is not None else 0
