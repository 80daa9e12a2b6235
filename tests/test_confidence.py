"""Confidence from token logprobs (pure), and the mock upstream's logprobs."""

from __future__ import annotations

import math
from typing import Any

import pytest

from sidecar.confidence import confidence, request_logprobs, strip_logprobs


def chat_answer(values: list[float]) -> dict[str, Any]:
    content = [{"token": f"t{i}", "logprob": v, "top_logprobs": []} for i, v in enumerate(values)]
    return {
        "choices": [{"index": 0, "message": {"content": "x"}, "logprobs": {"content": content}}]
    }


def test_mean_token_logprob_of_chat_and_completions() -> None:
    assert confidence(chat_answer([-0.1, -0.3])) == pytest.approx(-0.2)
    legacy = {"choices": [{"text": "x", "logprobs": {"token_logprobs": [None, -1.0, -3.0]}}]}
    assert confidence(legacy) == pytest.approx(-2.0)  # a null first token is skipped


@pytest.mark.parametrize(
    "answer",
    [
        {},
        {"choices": []},
        {"choices": [{"logprobs": None}]},
        {"choices": [{"logprobs": {"content": []}}]},
        chat_answer([-math.inf]),
    ],
)
def test_no_usable_logprobs_is_none(answer: dict[str, Any]) -> None:
    assert confidence(answer) is None


def test_logprobs_requested_only_when_the_client_did_not() -> None:
    assert request_logprobs({"messages": []}, "chat") == {"messages": [], "logprobs": True}
    assert request_logprobs({"messages": [], "logprobs": True}, "chat") is None
    assert request_logprobs({"prompt": "p"}, "completions") == {"prompt": "p", "logprobs": 0}
    assert request_logprobs({"prompt": "p", "logprobs": 2}, "completions") is None
    assert request_logprobs({"input": "p"}, "embeddings") is None


def test_strip_sets_logprobs_back_to_null() -> None:
    stripped = strip_logprobs(chat_answer([-0.1]))
    assert stripped["choices"][0]["logprobs"] is None
    assert stripped["choices"][0]["message"] == {"content": "x"}


async def test_mock_gives_low_logprobs_to_unsure_and_wrong_answers(mock: Any) -> None:
    import aiohttp

    body = {"model": "m", "messages": [{"role": "user", "content": "hi there"}], "logprobs": True}
    async with aiohttp.ClientSession() as http:

        async def ask(**extra: Any) -> dict[str, Any]:
            async with http.post(f"{mock.base_url}/chat/completions", json={**body, **extra}) as r:
                return dict(await r.json())

        sure = await ask()
        mock.push("unsure")
        unsure = await ask()
        plain = await ask(logprobs=None)
        mock.config.wrong_rate = 1.0
        wrong = await ask()
    sure_c, unsure_c = confidence(sure), confidence(unsure)
    assert sure_c is not None and unsure_c is not None and unsure_c < -0.4 < sure_c
    assert plain["choices"][0]["logprobs"] is None
    assert wrong["choices"][0]["message"]["content"].startswith("wrong:")
    assert (confidence(wrong) or 0) < -0.4
