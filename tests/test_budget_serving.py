"""Whether each band serves now (an open band may refuse every candidate), and near misses on
by default when a budget is set."""

from __future__ import annotations

import random

from prometheus_client import CollectorRegistry

from cache.budget import BudgetController
from sidecar.audit import Auditor
from sidecar.config_sections import AuditSettings
from sidecar.judges import ExactJudge
from sidecar.metrics_audit import AuditMetrics

TOP, MID = 0.99, 0.91


def auditor(budget: float | None, **cfg: object) -> tuple[Auditor, CollectorRegistry]:
    registry = CollectorRegistry()
    settings = AuditSettings(**{"rate": 0.1, **cfg})  # type: ignore[arg-type]
    ctl = BudgetController(budget, 0.74, min_samples=30)
    metrics = AuditMetrics(registry)
    out = Auditor(settings, ExactJudge(), ctl, metrics, rng=random.Random(1))
    metrics.watch(lambda: out.controller)
    return out, registry


def gauge(registry: CollectorRegistry, name: str, **labels: str) -> float | None:
    return registry.get_sample_value(name, labels)


def test_a_strict_tight_budget_reads_open_but_not_serving_until_a_band_pays() -> None:
    audit, reg = auditor(0.01)
    ctl = audit.controller
    top = ctl.band_of(TOP)
    assert top is not None
    # The shipped bands are open and the lookup searches down to 0.74 ...
    assert gauge(reg, "sidecar_cache_budget_threshold") == 0.74
    assert gauge(reg, "sidecar_cache_band_served", band="0.98-1.00") == 1.0
    # ... but no candidate is served: nothing earned, no allowance, 0.4 of opening credit.
    assert ctl.admission(TOP) == "unfunded" and ctl.state(top) == "unfunded"
    assert gauge(reg, "sidecar_cache_budget_serving", band="all") == 0.0
    assert gauge(reg, "sidecar_cache_budget_serving", band="0.98-1.00") == 0.0
    status = audit.status()
    assert status["budget"]["serving"] is False
    assert {b["state"] for b in status["bands"] if b["open"]} == {"unfunded"}
    for _ in range(98):  # clean refusals, half weight each: (0 + 1/2) / (49 + 1) = 1%
        ctl.record(TOP, same=True, kind="probe")
    assert ctl.state(top) == "payer" and ctl.admission(TOP) == "serve"
    assert gauge(reg, "sidecar_cache_budget_serving", band="0.98-1.00") == 1.0
    assert gauge(reg, "sidecar_cache_budget_serving", band="all") == 1.0
    assert gauge(reg, "sidecar_cache_budget_serving", band="0.93-0.96") == 0.0
    assert audit.status()["budget"]["serving"] is True


def test_band_states_at_a_loose_budget_and_without_one() -> None:
    loose, reg = auditor(0.05)  # opening credit 2 wrong hits: every open band is funded
    band = loose.controller.band_of(MID)
    assert band is not None and loose.controller.state(band) == "funded"
    assert gauge(reg, "sidecar_cache_budget_serving", band="0.90-0.93") == 1.0
    assert gauge(reg, "sidecar_cache_budget_serving", band="0.70-0.74") == 0.0  # closed
    measure, reg = auditor(None)
    assert measure.controller.state(band) == "open"
    assert gauge(reg, "sidecar_cache_budget_serving", band="all") == 1.0


def test_near_misses_are_compared_by_default_only_with_a_budget() -> None:
    assert AuditSettings().near_miss is None
    assert auditor(0.01)[0].sample("near_miss")  # exact judge: free, so every one
    assert not auditor(None)[0].sample("near_miss")  # measuring only: as before, off
    assert not auditor(0.01, near_miss=False)[0].sample("near_miss")  # explicit off wins
    assert auditor(None, near_miss=True)[0].sample("near_miss")
    assert auditor(0.01)[0].status()["audit"]["near_miss"] is True
