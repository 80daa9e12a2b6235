"""Confidence of an answer from its token logprobs, for the low-confidence cascade.

A tier with ``escalate_on_low_confidence`` asks its upstream for logprobs on non-streamed chat
and completions requests (only when the client did not ask itself; ``request_logprobs``), reads
the answer's confidence as the **mean token logprob** of the first choice (``confidence``; the
log of the geometric-mean token probability, so long and short answers compare), escalates when
it is below the tier's threshold, and strips the logprobs it added before the client sees the
answer (``strip_logprobs``). Pure functions on parsed JSON.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import orjson

from sidecar.config_sections import DEFAULT_CONFIDENCE_THRESHOLD

if TYPE_CHECKING:
    from sidecar.exchange import Exchange

DEFAULT_THRESHOLD = DEFAULT_CONFIDENCE_THRESHOLD  # how it was chosen: docs/confidence.md


def request_logprobs(body: dict[str, Any], endpoint: str) -> dict[str, Any] | None:
    """The body with logprobs asked for, or None when the client already asked (or can't)."""
    if endpoint == "chat":
        if body.get("logprobs"):
            return None
        return {**body, "logprobs": True}
    if endpoint == "completions":
        if body.get("logprobs") is not None:
            return None
        return {**body, "logprobs": 0}  # 0: the sampled tokens' logprobs, no alternatives
    return None


def confidence(answer: dict[str, Any]) -> float | None:
    """Mean token logprob of the first choice, or None when the answer carries none."""
    choices = answer.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return None
    values = _token_logprobs(choices[0].get("logprobs"))
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return None
    return sum(finite) / len(finite)


def _token_logprobs(logprobs: Any) -> list[float]:
    if not isinstance(logprobs, dict):
        return []
    content = logprobs.get("content")  # chat: [{"token", "logprob", ...}]
    if isinstance(content, list):
        return [
            float(t["logprob"])
            for t in content
            if isinstance(t, dict) and isinstance(t.get("logprob"), int | float)
        ]
    values = logprobs.get("token_logprobs")  # completions: parallel lists
    if isinstance(values, list):
        return [float(v) for v in values if isinstance(v, int | float)]
    return []


def strip_logprobs(answer: dict[str, Any]) -> dict[str, Any]:
    """The answer with every choice's logprobs set back to null (as if never asked)."""
    choices = answer.get("choices")
    if not isinstance(choices, list):
        return answer
    stripped = [{**c, "logprobs": None} if isinstance(c, dict) else c for c in choices]
    return {**answer, "choices": stripped}


def checks_confidence(x: Exchange, tier_rank: int) -> bool:
    """Is an answer from this tier to this request checked for low confidence?"""
    tiers = x.settings.tiers
    return (
        0 <= tier_rank < len(tiers) - 1
        and tiers[tier_rank].escalate_on_low_confidence
        and x.route.routed
        and not x.req.stream
        and x.dialect.endpoint in ("chat", "completions")
    )


def adds_logprobs(x: Exchange, tier_rank: int) -> bool:
    """Does the sidecar ask this tier for logprobs on this request (the client did not)?"""
    return (
        checks_confidence(x, tier_rank)
        and request_logprobs(x.req.body, x.dialect.endpoint) is not None
    )


def strip_body(body: bytes) -> bytes:
    """``strip_logprobs`` on a JSON body (an unparsable body is returned unchanged)."""
    try:
        answer = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body
    return orjson.dumps(strip_logprobs(answer)) if isinstance(answer, dict) else body
