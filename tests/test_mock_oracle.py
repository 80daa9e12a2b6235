"""The oracle mock: answers by meaning (QQP clusters, template slots), and the budget workload."""

from __future__ import annotations

from typing import Any

from benchmarks.budget_workload import FAMILIES, build_day
from sidecar.mock_oracle import Oracle
from tests.conftest import chat


def test_oracle_meanings() -> None:
    o = Oracle.from_clusters([["How do I learn Python?", "What is the best way to learn Python?"]])
    o.add_family("order", [r"Where is my order (?P<id>\d+)\?", r"Status of order (?P<id>\d+)\?"])
    assert o.answer("How do I learn Python?") == o.answer("What is the best way to learn Python?")
    assert o.answer("Where is my order 12?") == o.answer("Status of order 12?")
    assert o.answer("Where is my order 12?") != o.answer("Where is my order 13?")
    assert o.answer("something else") != o.answer("something else!")


def test_budget_workload_is_seeded_and_knows_every_meaning() -> None:
    day, oracle = build_day(400, seed=3)
    again, _ = build_day(400, seed=3)
    assert day == again
    assert {r.scope for r in day} == {"qqp", "app"}
    templated = [r for r in day if r.scope == "app"]
    assert templated and all(r.meaning.split("(")[0] in FAMILIES for r in templated)
    assert all(oracle.meaning(r.text) == r.meaning for r in day)


async def test_mock_in_oracle_mode_answers_by_meaning(sidecar: Any, mock: Any) -> None:
    mock.oracle = Oracle()
    mock.oracle.add_family("order", [r"Where is my order (?P<id>\d+)\?"])
    client = await sidecar(env={"SIDECAR_CACHE_ENABLED": "false"})
    texts = []
    for q in ("Where is my order 1?", "Where is my order 2?", "Where is my order 1?"):
        resp = await client.post("/v1/chat/completions", json=chat(q))
        texts.append((await resp.json())["choices"][0]["message"]["content"])
    assert texts[0] == texts[2] != texts[1]
