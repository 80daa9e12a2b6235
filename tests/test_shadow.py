"""Shadow evaluation (sampling, bounds, results, CIs), preferences and the policy file."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path
from typing import Any

import pytest

from sidecar.judge import Judgement, Verdict
from sidecar.policy import PolicyError, counts, demotions, evaluate, load_policy
from sidecar.preference import LLMPreference, Preference, VerdictPreference
from sidecar.shadow import Answer, Case, ShadowEvaluator, wilson


class ExactText:
    name = "exact"

    async def judge(self, prompt: str, reference: str, candidate: str) -> Judgement:
        same = reference.strip().lower() == candidate.strip().lower()
        return Judgement(Verdict.SAME if same else Verdict.DIFFERENT)


class Broken:
    name = "broken"

    async def judge(self, prompt: str, reference: str, candidate: str) -> Judgement:
        return Judgement(Verdict.ERROR, reason="no idea")


CASE = Case("small", "shadow/cand", 1.0)
INCUMBENT = Answer("Paris", 0.2, usd=0.001)


async def test_verdict_preference_tie_win_loss_differ_error() -> None:
    pref = VerdictPreference(ExactText())
    assert await pref.prefer("q", "Paris", "paris") is Preference.TIE
    assert await pref.prefer("q", "Paris", "I'm sorry, but I can't help with that.") is (
        Preference.LOSS
    )
    assert await pref.prefer("q", "", "Paris") is Preference.WIN  # incumbent answered empty
    assert await pref.prefer("q", "Paris", "Lyon") is Preference.DIFFER
    assert await VerdictPreference(Broken()).prefer("q", "a", "b") is Preference.ERROR


async def test_llm_preference_is_strict() -> None:
    replies = iter(["B", "A.", " TIE ", "B is better"])

    async def ask(messages: list[dict[str, str]]) -> str:
        assert "Answer A:" in messages[0]["content"]
        return next(replies)

    pref = LLMPreference(ask)
    got = [await pref.prefer("q", "a", "b") for _ in range(4)]
    assert got == [Preference.WIN, Preference.LOSS, Preference.TIE, Preference.ERROR]


async def test_comparisons_recorded_with_latency_cost_and_failures() -> None:
    ev = ShadowEvaluator([CASE], VerdictPreference(ExactText()), rng=random.Random(1))
    answers = iter(
        [
            Answer("paris", 0.1, usd=0.0005),
            Answer("Lyon", 0.1, usd=0.0005),
            Answer(None, 0.0, failure="http_500"),
        ]
    )

    async def ask() -> Answer:
        return next(answers)

    for _ in range(3):
        assert ev.submit(CASE, "capital of France?", "small/inc", INCUMBENT, ask)
    await ev.drain()
    (row,) = ev.rows()
    assert row["results"] == {"differ": 1, "loss": 1, "tie": 1}
    assert row["judged"] == 3 and row["quality_vs_incumbent"] == pytest.approx(1 / 3)
    assert row["failure_reasons"] == {"http_500": 1}
    assert row["latency_p50_delta_ms"] == pytest.approx(-100, rel=0.1)
    assert row["usd_per_1k_delta"] == pytest.approx((0.001 - 0.003) / 3 * 1000)
    assert row["incumbents"] == ["small/inc"]


async def test_concurrency_and_spend_bounds_skip_never_queue() -> None:
    now = [0.0]
    ev = ShadowEvaluator(
        [CASE], VerdictPreference(ExactText()), max_concurrency=1, max_usd_per_hour=0.01,
        clock=lambda: now[0],
    )  # fmt: skip
    gate = asyncio.Event()

    async def slow() -> Answer:
        await gate.wait()
        return Answer("Paris", 0.1, usd=0.02)

    assert ev.submit(CASE, "q", "small/inc", INCUMBENT, slow)
    assert not ev.submit(CASE, "q", "small/inc", INCUMBENT, slow)
    gate.set()
    await ev.drain()
    assert not ev.submit(CASE, "q", "small/inc", INCUMBENT, slow)  # 0.02 spent >= 0.01
    now[0] = 3601.0
    assert ev.submit(CASE, "q", "small/inc", INCUMBENT, slow)  # the hour rolled over
    assert not ev.submit(CASE, "q", "small/inc", Answer(None, 0.1), slow)
    assert ev.skipped == {"concurrency": 1, "budget": 1, "incumbent_failed": 1}
    await ev.close()
    assert ev.pick("small") == []


def test_pick_samples_at_the_configured_rate_and_tier() -> None:
    ev = ShadowEvaluator([Case("small", "shadow/c", 0.1)], VerdictPreference(ExactText()),
                         rng=random.Random(5))  # fmt: skip
    picked = sum(bool(ev.pick("small")) for _ in range(10_000))
    assert 900 <= picked <= 1100
    assert ev.pick("large") == []


def test_wilson_interval() -> None:
    lo, hi = wilson(80, 100) or (0, 0)
    assert lo == pytest.approx(0.711, abs=0.002) and hi == pytest.approx(0.867, abs=0.002)
    assert wilson(0, 0) is None


def row(dep: str, **kw: Any) -> dict[str, Any]:
    tier, _, model = dep.partition("/")
    base = {"deployment": dep, "tier": tier, "model": model, "requests": 100, "successes": 100,
            "usd_per_success": 0.0001, "latency_p95_ms": 500.0, "error_rate": 0.0}  # fmt: skip
    return {**base, **kw}


def test_policy_rules_and_demotion(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(
        "allowed_models: [a, b]\n"
        "max_usd_per_1k_requests: {default: 1.0}\n"
        "latency_slo_p95_ms: {small: 1000}\n"
        "max_error_rate: {default: 0.05}\n"
        "min_quality_vs_incumbent: 0.9\n"
        "auto_demote: true\n"
    )
    policy = load_policy(path)
    five = [
        row("small/a", latency_p95_ms=5000.0),
        row("small/b", error_rate=0.3),
        row("small/c"),
        row("small/a2", requests=3, latency_p95_ms=9000.0, model="a"),  # too few to judge
    ]
    hour = [row("small/a", usd_per_success=0.01)]
    shadows = [
        {"candidate": "shadow/b", "tier": "small", "comparisons": 100, "judged": 100,
         "usd_per_1k_candidate": 0.5, "quality_ci95": (0.6, 0.8)},
        {"candidate": "shadow/a", "tier": "small", "comparisons": 100, "judged": 100,
         "usd_per_1k_candidate": 0.5, "quality_ci95": (0.85, 0.95)},
    ]  # fmt: skip
    found = {(v.rule, v.subject) for v in evaluate(policy, five, hour, shadows)}
    assert found == {
        ("latency_slo", "small/a"),
        ("error_rate", "small/b"),
        ("allowed_models", "small/c"),
        ("cost_ceiling", "small/a"),
        ("min_quality", "shadow/b"),
    }
    violations = evaluate(policy, five, hour, shadows)
    assert counts(violations)["latency_slo"] == 1 and counts([])["min_quality"] == 0
    assert demotions(policy, violations) == {"small/a", "small/b"}
    assert demotions(policy.model_copy(update={"auto_demote": False}), violations) == set()


def test_bad_policy_file_names_the_field(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("min_quality_vs_incumbent: 2\n")
    with pytest.raises(PolicyError, match="min_quality_vs_incumbent"):
        load_policy(path)
    path.write_text("latency_slo: 3\n")
    with pytest.raises(PolicyError, match="latency_slo"):
        load_policy(path)


def test_a_candidate_in_both_lists_is_one_violation() -> None:
    policy = load_policy_text("allowed_models: [a]\n")
    five = [row("shadow/c")]
    shadows = [{"candidate": "shadow/c", "tier": "small", "comparisons": 1, "judged": 1,
                "usd_per_1k_candidate": None, "quality_ci95": None}]  # fmt: skip
    assert counts(evaluate(policy, five, [], shadows))["allowed_models"] == 1


def load_policy_text(text: str) -> Any:
    import yaml

    from sidecar.policy import Policy

    return Policy.model_validate(yaml.safe_load(text))
