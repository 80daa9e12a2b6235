"""Shadow evaluation and the policy file inside a running sidecar (mock upstream)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from sidecar.config import ConfigError
from sidecar.policy import Policy
from sidecar.shadowing import check_policy
from tests.conftest import chat, deps_of, metric

CONFIG = """
routing: {default_tier: small}
shadow:
  - {tier: small, rate: 1.0, candidate: {base_url: "http://unused/v1", model: cand,
     price_in_per_1m: 1, price_out_per_1m: 1}}
evaluation: {judge: JUDGE, judge_model: gpt-4o, POLICY}
"""


async def make(sidecar: Any, tmp_path: Path, judge: str = "exact", policy: str = "") -> Any:
    extra = ""
    if policy:
        (tmp_path / "policy.yaml").write_text(policy)
        extra = f"policy_file: {tmp_path / 'policy.yaml'}"
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG.replace("JUDGE", judge).replace("POLICY", extra))
    return await sidecar(config=str(path))


async def ask(client: Any, text: str) -> tuple[dict[str, str], dict[str, Any]]:
    resp = await client.post("/v1/chat/completions", json=chat(text, stream=False))
    assert resp.status == 200
    return dict(resp.headers), await resp.json()


async def test_shadow_compares_in_the_background_without_touching_the_answer(
    sidecar: Any, mock: Any, tmp_path: Path
) -> None:
    client = await make(sidecar, tmp_path)
    mock.push("refuse", model="cand")
    headers, first = await ask(client, "first question")
    await ask(client, "second question")
    evaluation = deps_of(client).evaluation
    assert evaluation.shadow is not None
    await evaluation.shadow.drain()
    assert headers["X-Sidecar-Model"] == "gpt-4o-mini"
    assert first["choices"][0]["message"]["content"] == "echo: first question"
    cand_calls = [r for r in mock.requests if r["model"] == "cand"]
    assert len(cand_calls) == 2 and all(r["stream"] is False for r in cand_calls)
    body = await (await client.get("/sidecar/scorecard")).json()
    (row,) = body["shadow"]
    assert row["candidate"] == "shadow/cand" and row["incumbents"] == ["small/gpt-4o-mini"]
    assert row["results"] == {"loss": 1, "tie": 1}  # the refusal loses; the echo ties
    assert row["failure_reasons"] == {"refusal": 1}
    assert row["usd_per_1k_candidate"] > 0 and row["latency_p50_delta_ms"] is not None
    deployments = {r["deployment"]: r for r in body["deployments"]}
    assert deployments["shadow/cand"]["requests"] == 2
    labels = {"candidate": "shadow/cand", "result": "loss"}
    assert metric(client, "sidecar_shadow_comparisons_total", labels) == 1


async def test_llm_judge_on_the_oracle_mock_scores_wins_and_losses(
    sidecar: Any, mock: Any, tmp_path: Path
) -> None:
    client = await make(sidecar, tmp_path, judge="llm")
    mock.config.wrong_rate_by_model = {"gpt-4o-mini": 1.0}  # the incumbent is always wrong
    await ask(client, "incumbent wrong")
    await deps_of(client).evaluation.shadow.drain()  # type: ignore[union-attr]
    mock.config.wrong_rate_by_model = {"cand": 1.0}
    await ask(client, "candidate wrong")
    await deps_of(client).evaluation.shadow.drain()  # type: ignore[union-attr]
    (row,) = (await (await client.get("/sidecar/scorecard")).json())["shadow"]
    assert row["results"] == {"loss": 1, "win": 1}
    assert any("A, B or TIE" in str(r.get("messages")) for r in mock.requests)


async def test_policy_violations_gauge_demotion_and_restore(
    sidecar: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    policy = "allowed_models: [gpt-4o-mini]\nlatency_slo_p95_ms: {small: 0.001}\n"
    client = await make(sidecar, tmp_path, policy=policy + "min_requests: 1\nauto_demote: true\n")
    await ask(client, "one")
    deps = deps_of(client)
    await deps.evaluation.shadow.drain()  # type: ignore[union-attr]
    check_policy(deps, deps.evaluation)
    rules = {(v.rule, v.subject) for v in deps.evaluation.violations}
    assert ("allowed_models", "shadow/cand") in rules
    assert ("latency_slo", "small/gpt-4o-mini") in rules
    assert metric(client, "sidecar_policy_violations", {"rule": "latency_slo"}) >= 1
    assert metric(client, "sidecar_policy_violations", {"rule": "min_quality"}) == 0
    assert "small/gpt-4o-mini" in deps.upstream.demoted
    assert any("demoted" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    deps.evaluation.policy = Policy(auto_demote=True)  # the operator relaxed the SLO
    check_policy(deps, deps.evaluation)
    assert deps.upstream.demoted == frozenset()
    assert any("restored" in r.getMessage() for r in caplog.records)
    body = await (await client.get("/sidecar/scorecard")).json()
    assert body["policy"]["file"] is True


async def test_bad_policy_file_fails_at_start(sidecar: Any, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"evaluation\.policy_file"):
        await make(sidecar, tmp_path, policy="max_error_rate: oops\n")


async def test_shadow_tier_must_exist(sidecar: Any, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text('shadow: [{tier: tiny, candidate: {base_url: "http://x/v1", model: c}}]\n')
    with pytest.raises(ConfigError, match=r"shadow\.0\.tier"):
        await sidecar(config=str(path))


async def test_embedding_judge_from_the_cache_audit(
    sidecar: Any, mock: Any, tmp_path: Path
) -> None:
    client = await make(sidecar, tmp_path, judge="embedding")
    mock.push("refuse", model="cand")
    await ask(client, "tell me about rivers")
    await ask(client, "tell me about mountains")
    await deps_of(client).evaluation.shadow.drain()  # type: ignore[union-attr]
    (row,) = (await (await client.get("/sidecar/scorecard")).json())["shadow"]
    assert row["results"] == {"loss": 1, "tie": 1}  # same echo: cosine 1; refusal: different
