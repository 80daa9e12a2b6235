"""Judges: exact, embedding, llm (strict parsing; failures are errors, never guesses)."""

from __future__ import annotations

import numpy as np
import orjson
import pytest

from sidecar.judge import Verdict
from sidecar.judges import (
    JUDGE_VERSION,
    EmbeddingJudge,
    ExactJudge,
    LLMJudge,
    answer_text,
    make_judge,
    parse_verdict,
)


async def test_exact_judge_text_and_json() -> None:
    j = ExactJudge()
    assert (await j.judge("q", "Paris.", "  paris. ")).verdict is Verdict.SAME
    assert (await j.judge("q", "Paris", "Lyon")).verdict is Verdict.DIFFERENT
    same_json = await j.judge("q", '{"a": 1, "b": [2]}', '{"b":[2],"a":1}')
    assert same_json.verdict is Verdict.SAME and same_json.reason == "json"
    assert (await j.judge("q", '{"a": 1}', '{"a": 2}')).verdict is Verdict.DIFFERENT


async def test_embedding_judge_threshold_and_failures() -> None:
    vecs = {"x": np.array([1.0, 0.0]), "y": np.array([0.8, 0.6]), "z": np.array([0.0, 1.0])}

    async def embed(text: str) -> np.ndarray:
        if text == "boom":
            raise RuntimeError("encoder down")
        return vecs[text]

    j = EmbeddingJudge(embed, threshold=0.7)
    same = await j.judge("q", "x", "y")
    assert same.verdict is Verdict.SAME and same.score == pytest.approx(0.8)
    assert (await j.judge("q", "x", "z")).verdict is Verdict.DIFFERENT
    failed = await j.judge("q", "x", "boom")
    assert failed.verdict is Verdict.ERROR and "RuntimeError" in failed.reason
    assert (await j.judge("q", "x", "  ")).verdict is Verdict.ERROR


@pytest.mark.parametrize(
    ("reply", "verdict"),
    [
        ("SAME", Verdict.SAME),
        (" DIFFERENT.\n", Verdict.DIFFERENT),
        ("same", Verdict.ERROR),  # strict: the prompt asks for upper case
        ("SAME, mostly", Verdict.ERROR),
        ("I think they are the SAME", Verdict.ERROR),
        ("", Verdict.ERROR),
        ("DIFFERENT SAME", Verdict.ERROR),
    ],
)
def test_llm_verdict_parsing_is_strict(reply: str, verdict: Verdict) -> None:
    assert parse_verdict(reply).verdict is verdict


async def test_llm_judge_asks_the_fixed_prompt_and_maps_failures_to_error() -> None:
    asked: list[list[dict[str, str]]] = []

    async def ask(messages: list[dict[str, str]]) -> str:
        asked.append(messages)
        if "explode" in messages[0]["content"]:
            raise ConnectionError("upstream down")
        return "DIFFERENT"

    j = LLMJudge(ask)
    got = await j.judge("What is 2+2?", "4", "5")
    assert got.verdict is Verdict.DIFFERENT and got.reason == JUDGE_VERSION
    content = asked[0][0]["content"]
    assert "What is 2+2?" in content and "SAME or DIFFERENT" in content
    err = await j.judge("explode", "a", "b")
    assert err.verdict is Verdict.ERROR and "ConnectionError" in err.reason


def test_answer_text_of_chat_completion_and_tool_calls() -> None:
    chat = {"choices": [{"message": {"role": "assistant", "content": "hi"}}]}
    assert answer_text(orjson.dumps(chat)) == "hi"
    tools = {"choices": [{"message": {"content": None, "tool_calls": [{"id": "1", "b": 2}]}}]}
    assert answer_text(orjson.dumps(tools)) == '[{"b":2,"id":"1"}]'
    assert answer_text(orjson.dumps({"choices": [{"text": "done"}]})) == "done"
    anthropic = {"content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}
    assert answer_text(orjson.dumps(anthropic)) == "a\nb"
    responses = {"output": [{"type": "message", "content": [{"type": "output_text", "text": "r"}]}]}
    assert answer_text(orjson.dumps(responses)) == "r"
    assert answer_text(b"not json") is None
    assert answer_text(b'{"error": {}}') is None


def test_make_judge_needs_its_dependency() -> None:
    assert make_judge("exact").name == "exact"
    with pytest.raises(ValueError):
        make_judge("llm")
    with pytest.raises(ValueError):
        make_judge("embedding")
    with pytest.raises(ValueError):
        make_judge("coin")
