"""Confidence from token logprobs (pure), and the mock upstream's logprobs."""

from __future__ import annotations

import math
from typing import Any

import pytest

from sidecar.confidence import DEFAULT_THRESHOLD, confidence, request_logprobs, strip_logprobs


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
    assert sure_c is not None and unsure_c is not None and unsure_c < DEFAULT_THRESHOLD < sure_c
    assert plain["choices"][0]["logprobs"] is None
    assert wrong["choices"][0]["message"]["content"].startswith("wrong:")
    assert (confidence(wrong) or 0) < DEFAULT_THRESHOLD


CASCADE = """
routing: {default_tier: small}
tiers:
  - name: small
    escalate_on_low_confidence: true
    deployments: [{base_url: "http://unused/v1", model: cheap}]
  - name: medium
    deployments: [{base_url: "http://unused/v1", model: better}]
  - name: large
    deployments: [{base_url: "http://unused/v1", model: best}]
"""


async def cascade_sidecar(sidecar: Any, tmp_path: Any) -> Any:
    path = tmp_path / "config.yaml"
    path.write_text(CASCADE)
    return await sidecar(config=str(path))


async def ask_chat(client: Any, text: str, **extra: Any) -> tuple[dict[str, str], dict[str, Any]]:
    body = {"model": "auto", "messages": [{"role": "user", "content": text}], **extra}
    resp = await client.post("/v1/chat/completions", json=body)
    assert resp.status == 200
    return dict(resp.headers), await resp.json()


async def test_confident_answer_is_kept_and_logprobs_stripped(
    sidecar: Any, mock: Any, tmp_path: Any
) -> None:
    client = await cascade_sidecar(sidecar, tmp_path)
    headers, answer = await ask_chat(client, "what is two plus two", temperature=0)
    assert mock.requests[-1]["logprobs"] is True and mock.requests[-1]["model"] == "cheap"
    assert headers["X-Sidecar-Tier"] == "small" and "X-Sidecar-Escalated" not in headers
    assert answer["choices"][0]["logprobs"] is None
    headers, again = await ask_chat(client, "what is two plus two", temperature=0)
    assert headers["X-Sidecar-Cache"] == "exact" and again["choices"][0]["logprobs"] is None


async def test_low_confidence_escalates_with_header_and_metric(
    sidecar: Any, mock: Any, tmp_path: Any
) -> None:
    from tests.conftest import metric

    client = await cascade_sidecar(sidecar, tmp_path)
    mock.push("unsure", model="cheap")
    headers, answer = await ask_chat(client, "a hard question")
    assert headers["X-Sidecar-Escalated"] == "low_confidence"
    assert headers["X-Sidecar-Tier"] == "medium" and headers["X-Sidecar-Model"] == "better"
    assert "logprobs" not in mock.requests[-1]  # medium has no confidence check
    assert answer["choices"][0]["logprobs"] is None
    labels = {"tier": "small", "reason": "low_confidence"}
    assert metric(client, "sidecar_escalations_total", labels) == 1
    assert metric(client, "sidecar_answer_confidence_count", {"tier": "small"}) == 1


async def test_client_asked_logprobs_are_kept_and_still_checked(
    sidecar: Any, mock: Any, tmp_path: Any
) -> None:
    client = await cascade_sidecar(sidecar, tmp_path)
    headers, answer = await ask_chat(client, "sure thing", logprobs=True)
    assert answer["choices"][0]["logprobs"]["content"]
    mock.push("unsure", model="cheap")
    headers, answer = await ask_chat(client, "unsure thing", logprobs=True)
    assert headers["X-Sidecar-Escalated"] == "low_confidence"
    assert answer["choices"][0]["logprobs"]["content"]  # the client asked: the better tier's


async def test_streams_are_not_probed(sidecar: Any, mock: Any, tmp_path: Any) -> None:
    client = await cascade_sidecar(sidecar, tmp_path)
    mock.push("unsure", model="cheap")
    resp = await client.post(
        "/v1/chat/completions",
        json={"model": "auto", "stream": True, "messages": [{"role": "user", "content": "s"}]},
    )
    await resp.read()
    assert "logprobs" not in mock.requests[-1] and "X-Sidecar-Escalated" not in resp.headers
