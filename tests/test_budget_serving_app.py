"""In the app: a strict 1% budget refuses the near-duplicate band's candidates (counted
misses, compared for free without configuring near misses) and says so on its status endpoint
and metrics, while the threshold still reads the shipped point."""

from __future__ import annotations

from typing import Any

from cache.store import SemanticCache
from tests.conftest import AcceptAll, metric
from tests.test_audit_app import COOK, ask, oracle, ready_auditor


async def test_refusals_are_evidence_by_default_and_not_serving_is_visible(
    sidecar: Any, mock: Any
) -> None:
    mock.oracle = oracle()
    env = {
        "SIDECAR_CACHE_THRESHOLD": "0.8",
        "SIDECAR_CACHE_AUDIT": "{rate: 1.0}",  # near_miss unset: on, because of the budget
        "SIDECAR_CACHE_MAX_FALSE_HIT_RATE": "0.01",
    }
    client = await sidecar(env=env, cache=SemanticCache(verifier=AcceptAll()))
    auditor = await ready_auditor(client)
    await ask(client, COOK)
    layer, _ = await ask(client, COOK + "?")  # the top band: open, but nothing funds it
    assert layer == "miss"
    assert metric(client, "sidecar_cache_lookups_total", {"result": "budget_unfunded"}) == 1
    await auditor.drain()
    assert metric(client, "sidecar_cache_explorations_total", {"verdict": "same"}) == 1
    assert mock.count == 2  # the comparison used the miss's own fresh answer
    status = await (await client.get("/sidecar/cache/audit")).json()
    assert status["audit"]["near_miss"] is True
    top = next(b for b in status["bands"] if b["band"] == "0.98-1.00")
    assert top["open"] and top["state"] == "unfunded" and not top["serving"]
    assert top["near_miss_same"] == 1  # the refusal: evidence toward paying its way
    assert status["budget"]["threshold"] == 0.8 and status["budget"]["serving"] is False
    assert metric(client, "sidecar_cache_budget_threshold", {}) == 0.8
    assert metric(client, "sidecar_cache_budget_serving", {"band": "all"}) == 0
