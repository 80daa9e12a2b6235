"""The false-hit budget shared by two replicas through Redis (a real redis-server per test)."""

from __future__ import annotations

from typing import Any

import pytest
import redis.asyncio as aioredis

from cache.audit_share import SharedBudget, budget_key
from cache.budget import CLOSED, BudgetController
from tests.test_shared_redis import RedisServer, redis_server  # noqa: F401  (fixture)

pytestmark = [pytest.mark.redis]


def controller() -> BudgetController:
    return BudgetController(0.05, 0.74, min_samples=30, burn_in="shadow")


async def test_two_replicas_pool_their_evidence_and_agree(
    redis_server: RedisServer,  # noqa: F811
) -> None:
    a, b = controller(), controller()
    share_a, share_b = SharedBudget(a, redis_server.url), SharedBudget(b, redis_server.url)
    for _ in range(40):
        a.record(0.95, same=True, kind="probe")
    for _ in range(40):
        b.record(0.95, same=True, kind="probe")
    # Alone, 40 clean near misses leave the upper bound at 8.8%: neither replica may serve.
    assert a.threshold() == CLOSED and b.threshold() == CLOSED
    assert await share_a.sync() and await share_b.sync() and await share_a.sync()
    band = a.band_of(0.95)
    assert band is not None
    # 80 clean: upper bound 4.6%, both open it (a new regime: its evidence starts from zero)
    assert a.allows(0.95) and b.allows(0.95) and a.rows()[band][0] == b.rows()[band][0] == 1
    b.record(0.95, same=False)  # served hits, audited: the band is proven bad on b
    b.record(0.95, same=False)
    assert not b.allows(0.95) and a.allows(0.95)
    assert await share_b.sync() and await share_a.sync()
    assert a.to_state() == b.to_state()
    assert not a.allows(0.95)  # b's newer regime (closed) wins on a too
    for share in (share_a, share_b):
        await share.close()


async def test_state_restored_from_a_snapshot_seeds_an_empty_redis(
    redis_server: RedisServer,  # noqa: F811
) -> None:
    restored = BudgetController(0.05, 0.74, min_samples=30)
    assert restored.load_state(
        {
            "version": 2,
            "edges": list(restored.edges),
            "bands": [[0] * 5] * 6 + [[0, 90, 0, 0, 0]] + [[0] * 5] * 2,
        }
    )
    share = SharedBudget(restored, redis_server.url)
    assert await share.sync()
    client = aioredis.Redis.from_url(redis_server.url)
    raw = await client.hgetall(budget_key(restored))
    assert raw == {b"6:s": b"90"}
    fresh = BudgetController(0.05, 0.74, min_samples=30)
    share_fresh = SharedBudget(fresh, redis_server.url)
    assert await share_fresh.sync()
    assert fresh.to_state() == restored.to_state()  # a new replica starts from the shared counts
    assert await share.sync()
    assert restored.counts()[6].same == 90  # not double counted by the second sync
    for closing in (share, share_fresh):
        await closing.close()
    await client.aclose()


async def test_redis_down_keeps_local_counts_and_pushes_them_later(
    redis_server: RedisServer,  # noqa: F811
) -> None:
    errors = []
    ctl = controller()
    share = SharedBudget(ctl, redis_server.url, on_error=lambda: errors.append(1))
    redis_server.stop()
    ctl.record(0.9, same=True, kind="probe")
    assert not await share.sync() and errors == [1]
    assert ctl.counts()[ctl.band_of(0.9) or 0].same == 1
    redis_server.start()
    assert await share.sync()
    other = controller()
    share_other = SharedBudget(other, redis_server.url)
    assert await share_other.sync()
    assert other.to_state() == ctl.to_state()
    for closing in (share, share_other):
        await closing.close()


async def test_two_sidecars_share_the_budget_through_redis(
    sidecar: Any,
    redis_server: RedisServer,  # noqa: F811
) -> None:
    from cache.store import SemanticCache
    from tests.conftest import AcceptAll
    from tests.test_audit_app import ready_auditor
    from tests.test_shared_redis import eventually

    env = {
        "SIDECAR_REDIS_URL": redis_server.url,
        "SIDECAR_CACHE_AUDIT": "{rate: 1.0, sync_interval_s: 0.05, burn_in: shadow}",
        "SIDECAR_CACHE_MAX_FALSE_HIT_RATE": "0.05",
    }
    one = await sidecar(env=env, cache=SemanticCache(verifier=AcceptAll()))
    two = await sidecar(env=env, cache=SemanticCache(verifier=AcceptAll()))
    a, b = await ready_auditor(one), await ready_auditor(two)
    for _ in range(50):
        a.controller.record(0.97, same=True, kind="probe")
        b.controller.record(0.97, same=True, kind="probe")
    assert not a.controller.serving  # 50 clean each: not enough alone for 5%
    await eventually(lambda: a.controller.serving and b.controller.serving)
    await eventually(lambda: a.controller.to_state() == b.controller.to_state())
    band = a.controller.band_of(0.97)
    assert band is not None and a.controller.rows()[band][0] == 1  # opened: a new regime


async def test_verdicts_of_an_ended_regime_are_dropped_by_redis(
    redis_server: RedisServer,  # noqa: F811
) -> None:
    a = BudgetController(0.05, 0.74, min_samples=30)
    b = BudgetController(0.05, 0.74, min_samples=30)
    share_a, share_b = SharedBudget(a, redis_server.url), SharedBudget(b, redis_server.url)
    assert await share_a.sync() and await share_b.sync()
    band = a.band_of(0.91)
    assert band is not None
    for _ in range(3):
        a.record(0.91, same=False)  # proven over 5% on a: closed, generation 1
    for _ in range(10):
        b.record(0.91, same=True)  # b still serves it, in generation 0
    assert not a.allows(0.91) and b.allows(0.91)
    assert await share_a.sync() and await share_b.sync()
    # b's 10 verdicts describe the regime a ended: dropped, and b adopts the closed band.
    assert not b.allows(0.91) and b.rows()[band] == a.rows()[band] == (1, 0, 0, 0, 0)
    client = aioredis.Redis.from_url(redis_server.url)
    raw = await client.hgetall(budget_key(a))
    assert raw.get(f"{band}:g".encode()) == b"1" and f"{band}:s".encode() not in raw
    for closing in (share_a, share_b):
        await closing.close()
    await client.aclose()


async def test_the_error_budget_account_is_shared_and_never_double_counted(
    redis_server: RedisServer,  # noqa: F811
) -> None:
    a = BudgetController(0.01, 0.74, min_samples=30)
    b = BudgetController(0.01, 0.74, min_samples=30)
    share_a, share_b = SharedBudget(a, redis_server.url), SharedBudget(b, redis_server.url)
    for _ in range(50):  # a serves the top band: its clean hits earn
        ticket = a.charge(0.99)
        a.record(0.99, same=True, ticket=ticket)
    pending = a.charge(0.99)  # a verdict in flight during the syncs
    assert await share_a.sync() and await share_b.sync() and await share_a.sync()
    assert a.ledger.row() == b.ledger.row() and b.ledger.earned() == pytest.approx(0.51)
    assert b.to_state() == a.to_state()
    a.record(0.99, same=False, ticket=pending)  # settled after the sync: pushed next time
    assert await share_a.sync() and await share_b.sync()
    assert b.ledger.spent() == a.ledger.spent() and a.ledger.spent() >= 1.0
    client = aioredis.Redis.from_url(redis_server.url)
    raw = await client.hgetall(budget_key(a))
    assert int(raw[b"L:e"]) == a.ledger.row()[0] and int(raw[b"L:s"]) == a.ledger.row()[1]
    for closing in (share_a, share_b):
        await closing.close()
    await client.aclose()
