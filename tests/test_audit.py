"""The background auditor: sampling, bounded concurrency and rate, errors, shutdown."""

from __future__ import annotations

import asyncio
import random

import orjson
from prometheus_client import CollectorRegistry

from cache.budget import BudgetController
from sidecar.audit import Auditor, Fresh
from sidecar.config_sections import AuditSettings
from sidecar.judge import Judgement, Verdict
from sidecar.judges import ExactJudge
from sidecar.metrics_audit import AuditMetrics


def body(text: str) -> bytes:
    return orjson.dumps({"choices": [{"message": {"role": "assistant", "content": text}}]})


def make(**cfg: object) -> tuple[Auditor, CollectorRegistry]:
    registry = CollectorRegistry()
    settings = AuditSettings(**{"rate": 1.0, **cfg})  # type: ignore[arg-type]
    ctl = BudgetController(0.05, 0.74, min_samples=5, burn_in="serve")
    auditor = Auditor(settings, ExactJudge(), ctl, AuditMetrics(registry), rng=random.Random(1))
    return auditor, registry


def value(registry: CollectorRegistry, name: str, **labels: str) -> float:
    return registry.get_sample_value(name, labels) or 0.0


def fresh(text: str, status: int = 200) -> object:
    async def run() -> Fresh:
        return Fresh(status, body(text), cost_usd=0.001)

    return run


async def test_verdicts_counted_and_fed_to_the_controller() -> None:
    auditor, reg = make()
    assert auditor.submit("hit", "q", 0.9, body("A"), fresh("A"))  # type: ignore[arg-type]
    assert auditor.submit("hit", "q", 0.9, body("A"), fresh("B"))  # type: ignore[arg-type]
    await auditor.drain()
    assert value(reg, "sidecar_cache_audits_total", verdict="same") == 1
    assert value(reg, "sidecar_cache_audits_total", verdict="different") == 1
    assert value(reg, "sidecar_cache_audit_upstream_calls_total", purpose="refetch") == 2
    assert value(reg, "sidecar_cache_audit_spend_usd_total") == 0.002
    band = auditor.controller.band_of(0.9)
    # One wrong in two is proven over a 5% budget: the band closed, its regime's hits are gone.
    assert band is not None and auditor.controller.counts()[band].n == 0
    assert auditor.submit("hit", "q", 0.95, body("A"), fresh("A"))  # type: ignore[arg-type]
    await auditor.drain()
    assert value(reg, "sidecar_cache_hit_precision", band="0.93-0.96") == 0.0  # not watched yet
    auditor.metrics.watch(lambda: auditor.controller)
    assert value(reg, "sidecar_cache_hit_precision", band="0.93-0.96") == 1.0
    assert 0.0 < value(reg, "sidecar_cache_hit_precision_lower", band="0.93-0.96") < 1.0
    # The others stay on probation.
    assert value(reg, "sidecar_cache_band_served", band="0.90-0.93") == 0.0
    assert value(reg, "sidecar_cache_band_served", band="0.93-0.96") == 1.0
    assert value(reg, "sidecar_cache_budget_threshold") == 0.74


async def test_upstream_errors_are_error_verdicts_never_evidence() -> None:
    auditor, reg = make(timeout_s=0.05)

    async def boom() -> Fresh:
        raise ConnectionResetError("upstream went away")

    async def hang() -> Fresh:
        await asyncio.sleep(10)
        raise AssertionError("not reached")

    auditor.submit("hit", "q", 0.9, body("A"), boom)
    auditor.submit("hit", "q", 0.9, body("A"), hang)
    auditor.submit("hit", "q", 0.9, body("A"), fresh("A", status=500))  # type: ignore[arg-type]
    await auditor.drain()
    assert value(reg, "sidecar_cache_audits_total", verdict="error") == 3
    assert all(c.n == 0 for c in auditor.controller.counts())


async def test_judge_failure_is_counted_not_guessed() -> None:
    auditor, reg = make()

    class Broken:
        name = "llm"

        async def judge(self, prompt: str, reference: str, candidate: str) -> Judgement:
            raise RuntimeError("judge bug")

    auditor.judge = Broken()
    auditor.submit("near_miss", "q", 0.72, body("A"), fresh("A"))  # type: ignore[arg-type]
    await auditor.drain()
    assert value(reg, "sidecar_cache_explorations_total", verdict="error") == 1
    assert all(c.n == 0 for c in auditor.controller.counts())


async def test_concurrency_and_per_minute_budget_skip_never_queue() -> None:
    now = [0.0]
    auditor, reg = make(max_concurrency=2, max_per_minute=3)
    auditor._clock = lambda: now[0]
    gate = asyncio.Event()

    async def slow() -> Fresh:
        await gate.wait()
        return Fresh(200, body("A"))

    started = [auditor.submit("hit", "q", 0.9, body("A"), slow) for _ in range(4)]
    assert started == [True, True, False, False]
    assert value(reg, "sidecar_cache_audit_skipped_total", reason="concurrency") == 2
    assert auditor.inflight == 2
    gate.set()
    await auditor.drain()
    assert auditor.submit("hit", "q", 0.9, body("A"), slow)  # third of the minute
    assert not auditor.submit("hit", "q", 0.9, body("A"), slow)
    assert value(reg, "sidecar_cache_audit_skipped_total", reason="rate_limit") == 1
    now[0] = 61.0  # a minute later the window has room again
    assert auditor.submit("hit", "q", 0.9, body("A"), slow)
    await auditor.drain()


async def test_sampling_rate_and_near_miss_switch() -> None:
    auditor, _ = make(rate=0.1)
    hits = sum(auditor.sample("hit") for _ in range(5000))
    assert 350 < hits < 650
    assert all(auditor.sample("near_miss") for _ in range(100))  # unset: on with a budget
    quiet, _ = make(rate=0.1, near_miss=False)
    assert not any(quiet.sample("near_miss") for _ in range(100))  # near_miss off
    off, _ = make(rate=0.0, near_miss=True)
    assert not off.sample("hit") and not off.sample("near_miss")


async def test_close_cancels_audits_in_flight() -> None:
    auditor, reg = make()

    async def forever() -> Fresh:
        await asyncio.sleep(3600)
        raise AssertionError("not reached")

    auditor.submit("hit", "q", 0.9, body("A"), forever)
    await asyncio.sleep(0)
    await auditor.close()
    assert auditor.inflight == 0
    assert value(reg, "sidecar_cache_audit_skipped_total", reason="cancelled") == 1
    assert not auditor.sample("hit")
    assert not auditor.submit("hit", "q", 0.9, body("A"), forever)


async def test_unreadable_served_body_is_skipped() -> None:
    auditor, reg = make()
    assert not auditor.submit("hit", "q", 0.9, b"{}", fresh("A"))  # type: ignore[arg-type]
    assert value(reg, "sidecar_cache_audit_skipped_total", reason="unreadable") == 1


async def test_free_near_miss_comparisons_skip_the_re_ask_limit() -> None:
    auditor, _ = make(max_per_minute=0)  # no re-asks allowed at all
    assert not auditor.submit("hit", "q", 0.9, body("A"), fresh("A"))  # type: ignore[arg-type]
    own = fresh("B")  # the miss's own fresh answer: no upstream call
    assert auditor.submit("near_miss", "q", 0.9, body("A"), own, free=True)  # type: ignore[arg-type]
    await auditor.drain()


def test_verdict_values_are_bounded_labels() -> None:
    assert {v.value for v in Verdict} == {"same", "different", "error"}


def test_audit_config_fields_and_their_errors() -> None:
    import pytest

    from sidecar.config import ConfigError, load_settings

    s = load_settings(
        None,
        {
            "SIDECAR_CACHE_AUDIT": "{rate: 0.05, judge: llm, judge_tier: small}",
            "SIDECAR_CACHE_MAX_FALSE_HIT_RATE": "0.01",
        },
    )
    assert s.cache.audit.rate == 0.05 and s.cache.max_false_hit_rate == 0.01
    assert s.cache.audit.burn_in == "serve" and s.cache.audit.probation_rate == 1.0
    with pytest.raises(ConfigError, match=r"cache\.max_false_hit_rate"):
        load_settings(None, {"SIDECAR_CACHE_MAX_FALSE_HIT_RATE": "0.01"})  # audit off
    with pytest.raises(ConfigError, match="judge_tier"):
        load_settings(None, {"SIDECAR_CACHE_AUDIT": "{rate: 0.1, judge_tier: huge}"})
    with pytest.raises(ConfigError, match=r"cache\.audit\.judge"):
        load_settings(None, {"SIDECAR_CACHE_AUDIT": "{judge: coin}"})


def test_sighup_applies_the_audit_rate_and_budget_and_names_the_rest() -> None:
    from types import SimpleNamespace

    from sidecar.audit_service import reload_audit
    from sidecar.config import load_settings

    auditor, _ = make(max_per_minute=60)
    deps = SimpleNamespace(auditor=auditor)
    fresh = load_settings(
        None,
        {
            "SIDECAR_CACHE_AUDIT": (
                "{rate: 0.3, max_per_minute: 5, judge: embedding, allowance: 0.5}"
            ),
            "SIDECAR_CACHE_MAX_FALSE_HIT_RATE": "0.01",
        },
    )
    restart = reload_audit(deps, fresh)  # type: ignore[arg-type]
    assert auditor.cfg.rate == 0.3 and auditor.cfg.max_per_minute == 5
    assert auditor.cfg.judge == "exact" and restart == ["cache.audit.judge"]
    assert auditor.controller.budget == 0.01
    assert auditor.controller.ledger.allowance == 0.5  # live: the account's start-up credit
    off = load_settings(None, {})
    assert reload_audit(deps, off) == ["cache.audit.rate"]  # stopping it takes a restart
    assert auditor.cfg.rate == 0.3 and auditor.controller.budget is None  # measure only
    assert reload_audit(SimpleNamespace(auditor=None), fresh) == ["cache.audit.rate"]  # type: ignore[arg-type]
