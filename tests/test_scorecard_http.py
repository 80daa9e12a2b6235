"""The scorecard and the balancer inside a running sidecar: what traffic records, the JSON
leaderboard, its Prometheus series, and a tier's strategy choosing the deployment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import chat, deps_of

TIERS = """
routing: {default_tier: small}
upstream: {retries: 1, backoff_max_s: 0.01}
tiers:
  - name: small
    strategy: STRATEGY
    escalate: true
    deployments:
      - {base_url: "http://unused/v1", model: small-a, price_in_per_1m: 2, price_out_per_1m: 4}
      - {base_url: "http://unused/v1", model: small-b, price_in_per_1m: 1, price_out_per_1m: 2}
  - name: medium
    deployments: [{base_url: "http://unused/v1", model: med, price_in_per_1m: 5}]
  - name: large
    deployments: [{base_url: "http://unused/v1", model: big, price_in_per_1m: 10}]
"""


async def make(sidecar: Any, tmp_path: Path, strategy: str = "ordered") -> Any:
    path = tmp_path / "config.yaml"
    path.write_text(TIERS.replace("STRATEGY", strategy))
    return await sidecar(config=str(path))


async def post(client: Any, body: dict[str, Any]) -> dict[str, str]:
    resp = await client.post("/v1/chat/completions", json=body)
    await resp.read()
    assert resp.status == 200
    return dict(resp.headers)


async def board(client: Any, **query: str) -> dict[str, Any]:
    resp = await client.get("/sidecar/scorecard", params=query)
    assert resp.status == 200, await resp.text()
    return dict(await resp.json())


async def test_traffic_lands_in_the_scorecard(sidecar: Any, mock: Any, tmp_path: Path) -> None:
    client = await make(sidecar, tmp_path)
    for i in range(3):
        await post(client, chat(f"question {i}", temperature=0))
    await post(client, chat("question 0", temperature=0))  # exact hit, produced by small-a
    mock.push("500", model="small-a")
    await post(client, chat("retried once"))
    mock.push("refuse", model="small-a")
    assert (await post(client, chat("refused")))["X-Sidecar-Escalated"] == "refusal"
    stream = await client.post("/v1/chat/completions", json=chat("streamed", stream=True))
    await stream.read()
    rows = {r["deployment"]: r for r in (await board(client, sort="requests"))["deployments"]}
    a = rows["small/small-a"]
    assert a["requests"] == 3 + 2 + 1 + 1 and a["errors_by_kind"] == {"5xx": 1}
    assert a["answers"] == 6 and a["successes"] == 5
    assert a["failure_reasons"] == {"refusal": 1} and a["escalation_reasons"] == {"refusal": 1}
    assert a["cache_hits"] == 1 and a["saved_usd"] > 0
    assert a["usd"] > 0 and a["usd_per_success"] == pytest.approx(a["usd"] / 5)
    assert a["ttft_p50_ms"] is not None and a["latency_p99_ms"] is not None
    assert rows["medium/med"]["answers"] == 1 and rows["small/small-b"]["requests"] == 0
    order = [r["deployment"] for r in (await board(client, sort="requests"))["deployments"]]
    assert order[0] == "small/small-a"
    text = await (await client.get("/metrics")).text()
    assert 'sidecar_scorecard_calls{deployment="small/small-a",window="5m"} 7.0' in text
    assert 'sidecar_scorecard_latency_seconds{deployment="small/small-a",quantile="0.95"' in text


@pytest.mark.parametrize(
    "query, param",
    [({"window": "2d"}, "window"), ({"sort": "vibes"}, "sort"), ({"order": "up"}, "order")],
)
async def test_bad_scorecard_query_is_a_400(
    sidecar: Any, tmp_path: Path, query: dict[str, str], param: str
) -> None:
    client = await make(sidecar, tmp_path)
    resp = await client.get("/sidecar/scorecard", params=query)
    assert resp.status == 400
    assert (await resp.json())["error"]["param"] == param


async def test_lifetime_window_and_sort_order(sidecar: Any, tmp_path: Path) -> None:
    client = await make(sidecar, tmp_path)
    await post(client, chat("one"))
    body = await board(client, window="lifetime", sort="usd_per_success", order="desc")
    assert body["window"] == "lifetime" and body["order"] == "desc"
    assert body["deployments"][0]["deployment"] == "small/small-a"  # the only one with a value


async def test_least_latency_sends_the_tier_to_the_faster_deployment(
    sidecar: Any, tmp_path: Path
) -> None:
    client = await make(sidecar, tmp_path, "least-latency")
    balancer = deps_of(client).upstream.balancer
    for _ in range(5):  # as if small-a had become slow: figures injected, no timing in the test
        balancer.observe("small/small-a", ok=True, ttfb=2.0)
        balancer.observe("small/small-b", ok=True, ttfb=0.01)
    models = [(await post(client, chat(f"q{i}")))["X-Sidecar-Model"] for i in range(4)]
    assert models == ["small-b"] * 4


async def test_ordered_ignores_latency_and_lowest_cost_uses_price(
    sidecar: Any, tmp_path: Path
) -> None:
    ordered = await make(sidecar, tmp_path, "ordered")
    deps_of(ordered).upstream.balancer.observe("small/small-a", ok=True, ttfb=5.0)
    assert (await post(ordered, chat("x")))["X-Sidecar-Model"] == "small-a"
    cheap = await make(sidecar, tmp_path, "lowest-cost")
    assert (await post(cheap, chat("x")))["X-Sidecar-Model"] == "small-b"


async def test_open_breaker_and_demotion_move_a_deployment_last(
    sidecar: Any, tmp_path: Path
) -> None:
    client = await make(sidecar, tmp_path, "lowest-cost")
    up = deps_of(client).upstream
    up.demoted = frozenset({"small/small-b"})
    assert (await post(client, chat("x")))["X-Sidecar-Model"] == "small-a"
    up.demoted = frozenset()
    for _ in range(5):
        up.breakers["small/small-b"].failure()
    assert (await post(client, chat("y")))["X-Sidecar-Model"] == "small-a"
    assert (await board(client))["deployments"]  # still answers with a breaker open
