"""The Grafana dashboard tells the truth: a real Prometheus scrapes a live sidecar through
scripted traffic (hits, misses, verifier rejections, upstream 500/429, fallbacks, a cascade, an
opened breaker, a bad request, Redis replication) and every dashboard query must run and return
what the traffic implies.

The binary is Debian's ``prometheus`` package (``make prometheus`` / scripts/ensure-prometheus.sh);
each test runs its own on a free port with a temporary TSDB, stopped by PID. Queries are
evaluated at the timestamp of the last scrape, so ``rate(x[5m]) * 300`` of a series created at
zero before the traffic equals the traffic's count exactly (no extrapolation at either edge).
"""

from __future__ import annotations

import asyncio
import json
import math
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
import pytest

from cache.embedder import BatchingEmbedder
from cache.store import SemanticCache
from sidecar.config import load_settings
from tests.conftest import FakeEmbedder, chat, deps_of
from tests.test_shared_redis import RedisServer, redis_server  # noqa: F401  (fixture)

pytestmark = [pytest.mark.prometheus, pytest.mark.redis, pytest.mark.timeout(90)]
DASHBOARD = Path(__file__).resolve().parents[1] / "deploy" / "grafana" / "dashboard.json"
WINDOW_S = 300  # the dashboard's rate window, [5m]
WORDS = (
    "amber basil cedar delta ember fjord gravel harbor iris juniper kelp lumen maple nectar onyx"
)
WORDS += " pepper quartz raven"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Prometheus:
    """A throwaway prometheus process scraping one target every second."""

    def __init__(self, tmp: Path, target: str) -> None:
        binary = shutil.which("prometheus")
        if binary is None:
            pytest.fail(
                "prometheus not found on PATH: run `make prometheus` "
                "(bash scripts/ensure-prometheus.sh installs Debian's prometheus)"
            )
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        cfg = tmp / "prometheus.yml"
        cfg.write_text(
            json.dumps(
                {  # JSON is YAML
                    "global": {"scrape_interval": "1s", "scrape_timeout": "900ms"},
                    "scrape_configs": [
                        {"job_name": "sidecar", "static_configs": [{"targets": [target]}]}
                    ],
                }
            )
        )
        self.proc = subprocess.Popen(
            [
                binary,
                f"--config.file={cfg}",
                f"--storage.tsdb.path={tmp / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--log.level=warn",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        """Terminate this process (by its PID only) and reap it."""
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)

    async def query(
        self, http: aiohttp.ClientSession, expr: str, at: float | None = None
    ) -> list[dict[str, Any]]:
        """Instant query; fails the test on a PromQL error."""
        params = {"query": expr, **({"time": f"{at:.3f}"} if at is not None else {})}
        async with http.get(f"{self.url}/api/v1/query", params=params) as resp:
            body = await resp.json()
        assert body.get("status") == "success", f"{expr}: {body}"
        return list(body["data"]["result"])

    async def wait_scrapes(self, http: aiohttp.ClientSession, after: float) -> float:
        """Wait (bounded) for a successful scrape that started after ``after``; its time."""
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                # timestamp() of a bare selector is the scrape's time (of a filtered one: now).
                rows = await self.query(http, 'timestamp(up{job="sidecar"}) and up == 1')
            except (aiohttp.ClientError, AssertionError):
                rows = []
            if rows and float(rows[0]["value"][1]) > after:
                return float(rows[0]["value"][1])
            await asyncio.sleep(0.2)
        pytest.fail("prometheus did not scrape the sidecar within 20 s")


class RejectPlease:
    """Verifier that rejects any candidate for a query containing 'please'."""

    def accept(self, query: str, *args: Any) -> bool:
        return "please" not in query


class FakeEncoder:
    """The conftest's bag-of-words vectors behind the real micro-batching embedder."""

    name = family = "fake"
    dim = FakeEmbedder.dim

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([FakeEmbedder().vector(t) for t in texts])


@pytest.fixture
async def prometheus_for(tmp_path: Path) -> AsyncIterator[Any]:
    started: list[Prometheus] = []

    def start(target: str) -> Prometheus:
        prom = Prometheus(tmp_path, target)
        started.append(prom)
        return prom

    yield start
    for prom in started:
        prom.stop()


def _topic(i: int) -> str:
    words = WORDS.split()
    return f"tell me about {words[i]} {words[i + 1]}"


async def _post(client: Any, body: Any, expect: int = 200) -> dict[str, str]:
    resp = await client.post("/v1/chat/completions", json=body)
    await resp.read()
    assert resp.status == expect, await resp.text()
    return dict(resp.headers)


async def _traffic(client: Any, peer: Any, mock: Any) -> dict[str, int]:
    """The scripted traffic; returns what each panel should count."""
    for i in range(8):  # 8 misses on the small tier
        await _post(client, chat(_topic(i)))
    for i in range(3):  # 3 exact hits
        await _post(client, chat(_topic(i)))
    for i in (3, 4):  # 2 semantic hits (one extra word)
        assert (await _post(client, chat(_topic(i) + " now")))["X-Sidecar-Cache"] == "semantic"
    await _post(client, chat(_topic(5) + " please"))  # verifier rejects: goes upstream
    small = "gpt-4o-mini"
    mock.push("500", model=small)  # 5xx, retried, answered
    await _post(client, chat(_topic(9)))
    mock.push("429", model=small)  # 429, retried, answered
    await _post(client, chat(_topic(10)))
    mock.push("500", "500", model=small)  # both attempts fail: fallback to the next tier
    assert (await _post(client, chat(_topic(11))))["X-Sidecar-Tier"] == "medium"
    mock.push("refuse", model=small)  # cascade: refusal escalated to medium
    assert (await _post(client, chat(_topic(12))))["X-Sidecar-Escalated"] == "refusal"
    mock.push("500", "500", "500", "500", model=small)  # two failures in a row open the breaker
    for i in (13, 14):
        await _post(client, chat(_topic(i)))
    await _post(client, {"model": "auto", "messages": "not a list"}, expect=400)
    for i in (15, 16):  # answers cached on the peer replicate to the scraped sidecar
        await _post(peer, chat(_topic(i)))
    return {
        "misses": 8 + 1 + 3 + 1 + 2,
        "exact": 3,
        "semantic": 2,
        "rejected": 1,
        "ok": 8 + 3 + 2 + 1 + 3 + 1 + 2,
        "bad": 1,
        "5xx": 1 + 2 + 4,
        "429": 1,
        "retries": 1 + 1 + 1 + 2,
        "fallback_tier": 1 + 2,
        "refusal": 1,
    }


def _values(rows: list[dict[str, Any]], label: str | None = None) -> dict[str, float]:
    return {(r["metric"].get(label, "") if label else ""): float(r["value"][1]) for r in rows}


async def test_every_dashboard_query_matches_scripted_traffic(
    sidecar: Any,
    mock: Any,
    redis_server: RedisServer,  # noqa: F811
    prometheus_for: Any,
    tmp_path: Path,
) -> None:
    env = {
        "SIDECAR_REDIS_URL": redis_server.url,
        "SIDECAR_CACHE_THRESHOLD": "0.8",
        "SIDECAR_UPSTREAM_RETRIES": "1",
        "SIDECAR_UPSTREAM_BACKOFF_MAX_S": "0.01",
        "SIDECAR_UPSTREAM_BREAKER_FAILURES": "2",
    }
    mock.config.ttft_s, mock.config.retry_after_s = 0.02, 0.01
    embedder = BatchingEmbedder(FakeEncoder(), max_wait_ms=0)
    client = await sidecar(
        config=_shadow_config(tmp_path),
        env={**env, "SIDECAR_EVALUATION_POLICY_INTERVAL_S": "0.2"},
        embedder=embedder,
        cache=SemanticCache(verifier=RejectPlease()),
    )
    embedder.on_batch = deps_of(client).metrics.observe_embed
    peer = await sidecar(env=env)
    prom = prometheus_for(f"127.0.0.1:{client.server.port}")
    async with aiohttp.ClientSession() as http:
        await prom.wait_scrapes(http, after=0)  # every primed series is scraped at zero first
        expected = await _traffic(client, peer, mock)
        deps = deps_of(client)
        await deps.evaluation.shadow.drain()  # no shadow call lands after the last scrape
        await asyncio.sleep(0.5)  # a policy check (every 0.2 s) after the last comparison
        for _ in range(100):  # the peer's entries reach this replica (bounded: 5 s)
            if _sample(deps, "sidecar_replication_lag_seconds_count"):
                break
            await asyncio.sleep(0.05)
        at = await prom.wait_scrapes(http, after=time.time())
        results = {}
        for title, expr, legend in _dashboard_queries():
            rows = await prom.query(http, expr, at)
            # Audit gauges have samples only while cache.audit.rate > 0 (off here); their values
            # are checked through /metrics in tests/test_audit.py and tests/test_audit_app.py.
            audit_gauge = "sidecar_cache_hit_precision" in expr or "_budget" in expr
            assert rows or audit_gauge, f"panel {title!r} ({legend}): no data for {expr}"
            results[(title, legend)] = rows
        _check(results, expected, deps)


def _shadow_config(tmp: Path) -> str:
    """Every small-tier answer also goes to candidate `cand`, which the policy does not allow."""
    allowed = sorted({d.model for t in load_settings(None, {}).tiers for d in t.deployments})
    (tmp / "policy.yaml").write_text(f"allowed_models: {json.dumps(allowed)}\n")
    (tmp / "config.yaml").write_text(
        "shadow: [{tier: small, rate: 1.0, candidate: {base_url: 'http://unused/v1',"
        " model: cand, price_in_per_1m: 1, price_out_per_1m: 1}}]\n"
        f"evaluation: {{policy_file: '{tmp / 'policy.yaml'}'}}\n"
    )
    return str(tmp / "config.yaml")


def _sample(deps: Any, name: str) -> float:
    return float(deps.metrics.registry.get_sample_value(name) or 0.0)


def _dashboard_queries() -> list[tuple[str, str, str]]:
    dash = json.loads(DASHBOARD.read_text())
    return [
        (p["title"], t["expr"], t.get("legendFormat", ""))
        for p in dash["panels"]
        for t in p.get("targets", [])
    ]


def _panel(
    results: dict[tuple[str, str], Any], title: str, legend: str, label: str | None = None
) -> dict[str, float]:
    return _values(results[(title, legend)], label)


def _check(results: dict[tuple[str, str], Any], want: dict[str, int], deps: Any) -> None:
    lookups = want["misses"] + want["exact"] + want["semantic"]
    hits = _panel(results, "Cache hit rate by layer", "{{result}}", "result")
    assert set(hits) == {"exact", "semantic"}, hits  # misses and rejections are not hits
    assert hits["exact"] == pytest.approx(want["exact"] / lookups)
    assert hits["semantic"] == pytest.approx(want["semantic"] / lookups)
    rejected = _panel(results, "Cache hit rate by layer", "verifier rejections")
    assert rejected[""] == pytest.approx(want["rejected"] / lookups)

    status = _panel(results, "Requests by status class", "{{status_class}}", "status_class")
    assert {k: round(v * WINDOW_S, 6) for k, v in status.items()} == {
        "2xx": want["ok"],
        "4xx": want["bad"],
        "5xx": 0,
    }  # scrapes and probes not counted

    title = "Upstream errors, retries, fallbacks"
    errors = {
        (r["metric"]["deployment"], r["metric"]["kind"]): float(r["value"][1]) * WINDOW_S
        for r in results[(title, "error {{deployment}} {{kind}}")]
    }
    assert errors[("small/gpt-4o-mini", "5xx")] == pytest.approx(want["5xx"])
    assert errors[("small/gpt-4o-mini", "429")] == pytest.approx(want["429"])
    assert errors[("large/gpt-4o", "5xx")] == 0  # primed at zero, never hit
    retries = _panel(results, title, "retry {{deployment}}", "deployment")
    assert retries["small/gpt-4o-mini"] * WINDOW_S == pytest.approx(want["retries"])
    fallbacks = _panel(results, title, "fallback {{kind}}", "kind")
    assert fallbacks["tier"] * WINDOW_S == pytest.approx(want["fallback_tier"])
    assert fallbacks["deployment"] == 0

    breaker = _panel(
        results,
        "Circuit breaker state (0 closed, 1 half-open, 2 open)",
        "{{deployment}}",
        "deployment",
    )
    assert breaker == {
        "small/gpt-4o-mini": 2,
        "medium/gpt-4.1-mini": 0,
        "large/gpt-4o": 0,
        "small/claude-haiku-4-5": 0,
        "medium/claude-sonnet-4-5": 0,
        "large/claude-opus-4-5": 0,
    }

    batch = _panel(results, "Embedding batch size", "mean")[""]
    assert batch == pytest.approx(1.0)  # sequential traffic: every encoder call had one prompt
    ttfb = _panel(results, "Upstream time to first byte", "mean")[""]
    count = _sample(deps, "sidecar_upstream_ttfb_seconds_count")
    assert ttfb == pytest.approx(_sample(deps, "sidecar_upstream_ttfb_seconds_sum") / count)
    assert 0.005 < ttfb < 0.5  # most answers wait the mock's 20 ms; errors come at once
    p99 = _panel(results, "Upstream time to first byte", "p99")[""]
    assert 0.02 <= p99 <= 0.1  # buckets that fit: 20 ms lands in (0.02, 0.03], not 0.005

    size = _panel(results, "Cache size", "entries")[""]
    assert size == deps.cache.entries
    assert _panel(results, "Shared tier (Redis)", "local-only mode")[""] == 0
    redis_errors = _panel(results, "Shared tier (Redis)", "errors {{op}}", "op")
    assert set(redis_errors) >= {"write", "read", "follow"} and not any(redis_errors.values())
    lag = _panel(results, "Shared tier (Redis)", "replication lag p99 (s)")[""]
    assert 0 <= lag < 10

    tiers = _panel(results, "Tier mix (routing decisions)", "{{tier}}", "tier")
    assert tiers["small"] > 0
    usd = _panel(results, "USD per hour: spent vs saved", "spent")[""]
    assert usd > 0 and _panel(results, "USD per hour: spent vs saved", "saved by cache")[""] > 0
    _check_scorecard(results, deps)
    _check_evaluation(results, deps)
    for (title, legend), rows in results.items():
        for row in rows:
            assert not math.isnan(float(row["value"][1])), f"{title} {legend}: NaN {row}"


def _check_scorecard(results: dict[tuple[str, str], Any], deps: Any) -> None:
    """The scorecard row shows what the sidecar's own scorecard computed from the traffic."""
    rows = {r["deployment"]: r for r in deps.upstream.scorecard.rows("5m")}
    small = rows["small/gpt-4o-mini"]
    # 8 + 1 + 2 + 2 + 2 + 1 + 4 calls; 1 + 1 + 2 + 4 of them failed (see _traffic)
    assert (small["requests"], small["errors"]) == (20, 8)
    errors = _panel(results, "Deployment error rate (last 5 min)", "{{deployment}}", "deployment")
    assert errors["small/gpt-4o-mini"] == pytest.approx(8 / 20)
    p95 = _panel(results, "Deployment latency p95 (last 5 min)", "{{deployment}}", "deployment")
    assert p95["small/gpt-4o-mini"] == pytest.approx(small["latency_p95_ms"] / 1000)
    assert p95["small/gpt-4o-mini"] >= 0.02  # the mock's 20 ms before the first byte
    usd = _panel(results, "USD per successful answer (last hour)", "{{deployment}}", "deployment")
    assert usd["small/gpt-4o-mini"] == pytest.approx(small["usd_per_success"])
    title = "Calls and answer failures per deployment (last 5 min)"
    calls = _panel(results, title, "calls {{deployment}}", "deployment")
    assert calls["small/gpt-4o-mini"] == 20 and calls["medium/gpt-4.1-mini"] >= 4
    failures = _panel(results, title, "failure rate {{deployment}}", "deployment")
    assert failures["small/gpt-4o-mini"] == pytest.approx(1 / small["answers"])  # the refusal


def _check_evaluation(results: dict[tuple[str, str], Any], deps: Any) -> None:
    """Shadow comparisons and policy violations as the evaluator counted them."""
    rules = _panel(results, "Policy violations by rule", "{{rule}}", "rule")
    assert rules["allowed_models"] == 1 and rules["latency_slo"] == 0  # shadow/cand only
    compared = {
        r["metric"]["result"]: float(r["value"][1])
        for r in results[("Shadow comparisons (last hour)", "{{candidate}} {{result}}")]
    }
    (row,) = deps.evaluation.shadow.rows()
    assert compared["tie"] == row["results"]["tie"] > 0  # the mock echoes for every model
    assert compared["loss"] == compared["win"] == 0
    # 8 misses, 1 rejection, 2 answered after a retry: small answered 11 (see _traffic)
    assert sum(compared.values()) + sum(deps.evaluation.shadow.skipped.values()) == 11
