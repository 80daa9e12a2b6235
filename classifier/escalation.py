"""Should a cheap tier's answer be retried on the next tier? Pure function of the response JSON.

``escalation_reason(response, wants_json=...)`` returns ``"empty" | "refusal" | "length" |
"invalid_json"`` or ``None`` for an OpenAI ``chat.completion`` (or legacy ``text_completion``)
dict. Checked in that order: a truncated *and* empty answer is reported as "empty", a truncated
JSON answer as "length" (the cause) rather than "invalid_json" (the symptom).

The refusal check is deliberately conservative: a false positive doubles the cost of a good
answer, a false negative only keeps today's behaviour. It fires on well-known refusal openers
near the start of a short answer, not on a long answer that merely contains "I can't".
"""

from __future__ import annotations

import json
import re
from typing import Any

_APOS = "['\u2019]"  # straight or typographic apostrophe
_CANT = rf"(?:can{_APOS}?t|cannot|can not|won{_APOS}?t|will not|am unable to|am not able to)"
_REFUSALS = re.compile(
    "|".join(
        (
            rf"\bi{_APOS}?m (?:so |really |very )?sorry,? (?:but )?(?:i|we) {_CANT}\b",
            rf"\bi am (?:so |really |very )?sorry,? (?:but )?(?:i|we) {_CANT}\b",
            rf"\bsorry,? (?:but )?i {_CANT} (?:help|assist|comply|provide|fulfil|do that|create)",
            rf"\bi {_CANT} (?:help|assist) (?:you )?with (?:that|this|your request|the request)",
            rf"\bi {_CANT} (?:comply|fulfil+) (?:with )?(?:that|this|your|the) ?(?:request)?",
            rf"\bas an ai(?: language model| assistant)?,? i {_CANT}",
            rf"\bi{_APOS}?m not able to (?:help|assist|provide|comply) with (?:that|this)",
            r"\bi must (?:respectfully )?decline\b",
        )
    ),
    re.IGNORECASE,
)
# Only the opening of the answer is searched, and only short answers count as refusals.
_REFUSAL_WINDOW = 200
_REFUSAL_MAX_LEN = 600
_FENCE = re.compile(r"^\s*```(?:json)?\s*\n?(.*?)\n?```\s*$", re.DOTALL | re.IGNORECASE)


def _choice(response: dict[str, Any]) -> dict[str, Any] | None:
    choices = response.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return None
    return choices[0]


def _content(choice: dict[str, Any]) -> tuple[str, bool, str | None]:
    """(answer text, has tool/function calls, explicit refusal field) of one choice."""
    message = choice.get("message")
    if not isinstance(message, dict):  # legacy completions: {"text": ...}
        text = choice.get("text")
        return (text if isinstance(text, str) else ""), False, None
    content = message.get("content")
    if isinstance(content, list):  # content parts: keep the text ones
        content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
    tools = bool(message.get("tool_calls") or message.get("function_call"))
    refusal = message.get("refusal")
    return (
        (content if isinstance(content, str) else ""),
        tools,
        (refusal if isinstance(refusal, str) and refusal.strip() else None),
    )


def is_refusal(text: str) -> bool:
    """True when a short answer opens with a well-known refusal phrase."""
    text = text.strip()
    if not text or len(text) > _REFUSAL_MAX_LEN:
        return False
    return _REFUSALS.search(text[:_REFUSAL_WINDOW]) is not None


def _valid_json(text: str) -> bool:
    fenced = _FENCE.match(text)  # models often wrap JSON in a ``` fence; clients strip it
    try:
        json.loads(fenced.group(1) if fenced else text)
    except ValueError:
        return False
    return True


def escalation_reason(response: dict[str, Any], *, wants_json: bool) -> str | None:
    """Why this answer should be escalated to a stronger tier, or None if it looks fine."""
    choice = _choice(response)
    if choice is None:
        return "empty"
    text, has_tools, refusal = _content(choice)
    if not text.strip() and not has_tools and refusal is None:
        return "empty"
    if refusal is not None or is_refusal(text):
        return "refusal"
    if choice.get("finish_reason") == "length":
        return "length"
    if wants_json and not has_tools and not _valid_json(text):
        return "invalid_json"
    return None
