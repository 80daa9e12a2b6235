"""Policy as code: a YAML file of rules checked continuously against the scorecard and shadows.

Rules (all optional; per-tier maps take a ``default`` key):

    allowed_models: [gpt-4o-mini, gpt-4o]     # a deployment or candidate on another model
    max_usd_per_1k_requests: {default: 5.0, small: 0.5}   # per 1k successful answers, 1 h
    latency_slo_p95_ms: {default: 10000, small: 2000}     # total latency p95, last 5 min
    max_error_rate: {default: 0.05}                       # failed calls / calls, last 5 min
    min_quality_vs_incumbent: 0.9   # shadow candidates: significant only (CI upper bound below)
    min_requests: 20                # windows with fewer calls are not judged
    auto_demote: false              # move SLO/error violators to the end of their tier

``evaluate`` returns the violations; ``sidecar_policy_violations{rule}`` exports how many
subjects break each rule. Automatic demotion (off by default) only reorders: a demoted
deployment is still tried when the others fail, and it is restored (logged) as soon as it no
longer violates, which also happens when it got too little traffic to be judged.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

RULES = ("allowed_models", "cost_ceiling", "latency_slo", "error_rate", "min_quality")
DEMOTING = frozenset({"latency_slo", "error_rate"})


class Policy(BaseModel):
    """The validated policy file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    allowed_models: tuple[str, ...] | None = None
    max_usd_per_1k_requests: dict[str, float] = Field(default_factory=dict)
    latency_slo_p95_ms: dict[str, float] = Field(default_factory=dict)
    max_error_rate: dict[str, float] = Field(default_factory=dict)
    min_quality_vs_incumbent: float | None = Field(None, ge=0, le=1)
    min_requests: int = Field(20, ge=1)
    auto_demote: bool = False


class PolicyError(ValueError):
    """The policy file is invalid; the message names the field."""


def load_policy(path: str | Path) -> Policy:
    """Read and validate a policy file."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        return Policy.model_validate(data)
    except (OSError, yaml.YAMLError) as exc:
        raise PolicyError(f"policy file {path}: {exc}") from exc
    except ValidationError as exc:
        fields = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'policy'}: {e['msg']}" for e in exc.errors()
        )
        raise PolicyError(f"policy file {path}: {fields}") from exc


@dataclass(frozen=True, slots=True)
class Violation:
    """One subject (deployment or ``shadow/`` candidate) breaking one rule."""

    rule: str
    subject: str
    detail: str


def _limit(table: dict[str, float], tier: str) -> float | None:
    return table.get(tier, table.get("default"))


def evaluate(
    policy: Policy,
    five_min: list[dict[str, Any]],
    hour: list[dict[str, Any]],
    shadows: list[dict[str, Any]],
) -> list[Violation]:
    """Check scorecard rows (5 min and 1 h windows) and shadow rows against the policy."""
    out: list[Violation] = []
    for r in hour:
        cost = r["usd_per_success"]
        cap = _limit(policy.max_usd_per_1k_requests, r["tier"])
        if cap is not None and cost is not None and r["successes"] >= policy.min_requests:
            if cost * 1000 > cap:
                out.append(Violation("cost_ceiling", r["deployment"], f"{cost * 1000:.4g} > {cap}"))
    for r in five_min:
        if policy.allowed_models is not None and r["model"] not in policy.allowed_models:
            out.append(Violation("allowed_models", r["deployment"], r["model"]))
        if r["requests"] < policy.min_requests:
            continue
        slo = _limit(policy.latency_slo_p95_ms, r["tier"])
        p95 = r["latency_p95_ms"]
        if slo is not None and p95 is not None and p95 > slo:
            out.append(Violation("latency_slo", r["deployment"], f"p95 {p95:.0f} ms > {slo}"))
        cap = _limit(policy.max_error_rate, r["tier"])
        if cap is not None and (r["error_rate"] or 0) > cap:
            out.append(Violation("error_rate", r["deployment"], f"{r['error_rate']:.3f} > {cap}"))
    out += _shadow_violations(policy, shadows)
    return list(dict.fromkeys(out))  # a candidate is also a scorecard row: count it once


def _shadow_violations(policy: Policy, shadows: list[dict[str, Any]]) -> list[Violation]:
    out = []
    for s in shadows:
        model = s["candidate"].partition("/")[2]
        if policy.allowed_models is not None and model not in policy.allowed_models:
            out.append(Violation("allowed_models", s["candidate"], model))
        cap = _limit(policy.max_usd_per_1k_requests, s["tier"])
        cost = s["usd_per_1k_candidate"]
        if cap is not None and cost is not None and s["comparisons"] >= policy.min_requests:
            if cost > cap:
                out.append(Violation("cost_ceiling", s["candidate"], f"{cost:.4g} > {cap}"))
        floor, ci = policy.min_quality_vs_incumbent, s["quality_ci95"]
        if floor is not None and ci is not None and s["judged"] >= policy.min_requests:
            if ci[1] < floor:  # significantly below: the whole interval is under the floor
                out.append(Violation("min_quality", s["candidate"], f"CI {ci} < {floor}"))
    return out


def counts(violations: list[Violation]) -> dict[str, int]:
    """Subjects per rule, every rule present (zero included)."""
    out = dict.fromkeys(RULES, 0)
    for v in violations:
        out[v.rule] += 1
    return out


def demotions(policy: Policy, violations: list[Violation]) -> set[str]:
    """Deployments to move to the end of their tier (empty unless ``auto_demote``)."""
    if not policy.auto_demote:
        return set()
    return {v.subject for v in violations if v.rule in DEMOTING}
