"""The hit audit inside the app, against the oracle mock: wrong hits found end to end, client
answers untouched, upstream errors during audits, status endpoint, state across restarts."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from cache.store import SemanticCache
from sidecar.mock_oracle import Oracle
from tests.conftest import AcceptAll, chat, deps_of, metric

ORDER = r"(?:What is the status of (?:my )?order|Where is my order) (?P<id>\d+)\?"
AUDIT_ON = {"SIDECAR_CACHE_THRESHOLD": "0.8", "SIDECAR_CACHE_AUDIT": "{rate: 1.0}"}


COOK = "what is the best way to learn to cook at home"
# Reworded as well as changed: one swapped word in an unchanged frame is the guard's
# (swapped_words); a reworded request with another word is what only an audit can catch.
BAKE = "so what is the best way to learn to bake at home"


def oracle() -> Oracle:
    o = Oracle()
    o.add_family("order", [ORDER])
    # Two questions the slot guard cannot tell apart (no slot differs) but the oracle can.
    o.register(COOK, "cooking")
    o.register(COOK + "?", "cooking")
    o.register(BAKE, "baking")
    return o


async def ready_auditor(client: Any) -> Any:
    deps = deps_of(client)
    for _ in range(200):
        if deps.auditor is not None:
            return deps.auditor
        await asyncio.sleep(0.01)
    raise AssertionError("auditor not built")


async def ask(client: Any, text: str) -> tuple[str, dict[str, Any]]:
    resp = await client.post("/v1/chat/completions", json=chat(text))
    assert resp.status == 200
    return resp.headers["X-Sidecar-Cache"], await resp.json()


async def test_wrong_hit_is_served_unchanged_then_found_by_the_audit(
    sidecar: Any, mock: Any
) -> None:
    mock.oracle = oracle()
    client = await sidecar(env=AUDIT_ON, cache=SemanticCache(verifier=AcceptAll()))
    auditor = await ready_auditor(client)
    _, first = await ask(client, COOK)
    layer, served = await ask(client, BAKE)  # cosine 0.92, no slot differs: a wrong hit
    assert layer == "semantic" and served == first  # the stored answer, byte for byte
    await auditor.drain()
    assert metric(client, "sidecar_cache_audits_total", {"verdict": "different"}) == 1
    layer, right = await ask(client, COOK + "?")  # same meaning
    assert layer == "semantic" and right == first
    await auditor.drain()
    assert metric(client, "sidecar_cache_audits_total", {"verdict": "same"}) == 1
    assert metric(client, "sidecar_cache_audit_upstream_calls_total", {"purpose": "refetch"}) == 2
    assert mock.count == 3  # one miss and two audit re-asks, none of them cached
    status = await (await client.get("/sidecar/cache/audit")).json()
    assert status["audit"]["judge"] == "exact" and status["budget"]["max_false_hit_rate"] is None
    assert sum(b["different"] for b in status["bands"]) == 1
    assert status["overall"]["precision"] == 0.5
    text = await (await client.get("/metrics")).text()
    assert 'sidecar_cache_hit_precision{band="all"} 0.5' in text


async def test_upstream_errors_during_audits_are_counted_not_judged(
    sidecar: Any, mock: Any
) -> None:
    env = {**AUDIT_ON, "SIDECAR_UPSTREAM_RETRIES": "0"}
    client = await sidecar(env=env, cache=SemanticCache(verifier=AcceptAll()))
    auditor = await ready_auditor(client)
    await ask(client, "tell me about the weather today")
    mock.push("500")  # the audit's re-ask fails
    layer, _ = await ask(client, "tell me about the weather today please")
    assert layer == "semantic"
    await auditor.drain()
    assert metric(client, "sidecar_cache_audits_total", {"verdict": "error"}) == 1
    assert all(c.n == 0 for c in auditor.controller.counts())
    layer, _ = await ask(client, "tell me about the weather today please")  # still served
    assert layer == "semantic"
    await auditor.drain()


async def test_audits_never_change_client_answers(sidecar: Any, mock: Any) -> None:
    mock.oracle = oracle()
    prompts = [f"What is the status of order {n}?" for n in (1, 2, 1, 3, 2)] + [
        "Where is my order 1?",
        "Where is my order 9?",
    ]
    seen = []
    for env in ({"SIDECAR_CACHE_THRESHOLD": "0.8"}, AUDIT_ON):
        client = await sidecar(env=env, cache=SemanticCache(verifier=AcceptAll()))
        if "SIDECAR_CACHE_AUDIT" in env:
            await ready_auditor(client)
        answers = [await ask(client, p) for p in prompts]
        seen.append([(layer, a["choices"][0]["message"]["content"]) for layer, a in answers])
    assert seen[0] == seen[1]


async def test_budget_shadow_burn_in_serves_no_wrong_hit(sidecar: Any, mock: Any) -> None:
    mock.oracle = oracle()
    env = {
        "SIDECAR_CACHE_AUDIT": "{rate: 1.0, burn_in: shadow}",
        "SIDECAR_CACHE_MAX_FALSE_HIT_RATE": "0.05",
    }
    client = await sidecar(env=env, cache=SemanticCache(verifier=AcceptAll()))
    auditor = await ready_auditor(client)
    await ask(client, COOK)
    layer, _ = await ask(client, BAKE)
    assert layer == "miss"  # no set proven within budget yet: compared in the shadow instead
    await auditor.drain()
    assert metric(client, "sidecar_cache_explorations_total", {"verdict": "different"}) == 1
    assert metric(client, "sidecar_cache_lookups_total", {"result": "budget_rejected"}) == 0
    assert metric(client, "sidecar_cache_audit_upstream_calls_total", {"purpose": "refetch"}) == 0
    assert mock.count == 2  # the shadow comparison used the miss's own fresh answer


async def test_a_spending_band_the_budget_cannot_fund_is_a_counted_miss(
    sidecar: Any, mock: Any
) -> None:
    mock.oracle = oracle()
    env = {
        **AUDIT_ON,
        "SIDECAR_CACHE_AUDIT": "{rate: 1.0, near_miss: true, allowance: 1}",  # on trust
        "SIDECAR_CACHE_MAX_FALSE_HIT_RATE": "0.01",
    }
    client = await sidecar(env=env, cache=SemanticCache(verifier=AcceptAll()))
    auditor = await ready_auditor(client)
    await ask(client, COOK)
    layer, _ = await ask(client, BAKE)  # cosine 0.92: a band on probation, nothing earned yet
    assert layer == "miss"
    assert metric(client, "sidecar_cache_lookups_total", {"result": "budget_unfunded"}) == 1
    await auditor.drain()  # compared as a near miss instead, with the miss's own answer
    assert metric(client, "sidecar_cache_explorations_total", {"verdict": "different"}) == 1
    layer, _ = await ask(client, COOK + "?")  # the top band: served on the allowance
    assert layer == "semantic"
    await auditor.drain()
    status = await (await client.get("/sidecar/cache/audit")).json()
    ledger = status["budget"]["ledger"]
    assert ledger["earned"] == 0.01 and ledger["spent"] == 0
    assert ledger["balance"] == 1.01  # max(allowance 1, opening 0.4) + earned: not the sum
    assert ledger["rate_bound"] == 1.01  # b + credit / hits: one hit served, one of credit


async def test_budget_state_survives_a_restart(sidecar: Any, mock: Any, tmp_path: Path) -> None:
    env = {
        **AUDIT_ON,
        "SIDECAR_CACHE_MAX_FALSE_HIT_RATE": "0.05",
        "SIDECAR_CACHE_DIR": str(tmp_path),
    }
    first = await sidecar(env=env, cache=SemanticCache(verifier=AcceptAll()))
    auditor = await ready_auditor(first)
    for _ in range(100):  # clean: upper bound 3.6% within 5%
        auditor.controller.record(0.97, same=True)
    assert auditor.controller.serving
    await first.close()  # shutdown writes the state beside the cache snapshot
    state = json.loads((tmp_path / "audit_state.json").read_text())
    assert sum(row[1] for row in state["bands"]) == 100
    second = await sidecar(env=env, cache=SemanticCache(verifier=AcceptAll()))
    again = await ready_auditor(second)
    assert again.controller.serving and again.controller.to_state() == state
    (tmp_path / "audit_state.json").write_text("{not json")
    await second.close()  # overwritten with the same good state
    assert json.loads((tmp_path / "audit_state.json").read_text()) == state


async def test_llm_judge_through_a_real_deployment_never_guesses(sidecar: Any, mock: Any) -> None:
    env = {"SIDECAR_CACHE_THRESHOLD": "0.8", "SIDECAR_CACHE_AUDIT": "{rate: 1.0, judge: llm}"}
    client = await sidecar(env=env, cache=SemanticCache(verifier=AcceptAll()))
    auditor = await ready_auditor(client)
    await ask(client, COOK)
    layer, _ = await ask(client, BAKE)
    assert layer == "semantic"
    await auditor.drain()
    # The mock echoes the judging prompt instead of SAME/DIFFERENT: an error, not a verdict.
    assert metric(client, "sidecar_cache_audits_total", {"verdict": "error"}) == 1
    assert metric(client, "sidecar_cache_audit_upstream_calls_total", {"purpose": "judge"}) == 1
    judged = mock.requests[-1]["messages"][0]["content"]
    assert "SAME or DIFFERENT" in judged and COOK in judged and BAKE in judged
    assert mock.requests[-1]["model"] == "gpt-4o-mini"  # the cheapest tier's deployment
    assert all(c.n == 0 for c in auditor.controller.counts())


async def test_anthropic_messages_hit_is_audited_on_an_anthropic_deployment(
    sidecar: Any, mock: Any
) -> None:
    client = await sidecar(env=AUDIT_ON, cache=SemanticCache(verifier=AcceptAll()))
    auditor = await ready_auditor(client)
    headers = {"x-api-key": "sk-ant-a", "anthropic-version": "2023-06-01"}

    async def post(text: str) -> str:
        body = {"model": "auto", "max_tokens": 64, "messages": [{"role": "user", "content": text}]}
        resp = await client.post("/v1/messages", json=body, headers=headers)
        assert resp.status == 200
        return resp.headers["X-Sidecar-Cache"]

    assert await post(COOK) == "miss"
    assert await post(COOK + "?") == "semantic"
    await auditor.drain()
    refetch = mock.requests[-1]
    assert refetch["model"].startswith("claude") and not refetch.get("stream")
    # The mock echoes: the fresh answer differs from the served one (another prompt's echo).
    assert metric(client, "sidecar_cache_audits_total", {"verdict": "different"}) == 1
