"""Pairwise preference between a candidate's answer and the incumbent's, for shadow evaluation.

``sidecar.judge.Judge`` says whether two answers are the *same*; a shadow comparison also needs
*which is better* when they differ. This module adds that without changing the Judge Protocol:

- ``VerdictPreference`` wraps any same/different ``Judge`` (the cache audit's ``exact`` and
  ``embedding`` judges in ``sidecar.judges``): SAME is a tie; DIFFERENT is decided
  by the cheap failure checks (refusal, empty, truncated, invalid JSON): the answer that fails
  loses; when neither or both fail the outcome is ``differ`` (different, no preference known).
- ``LLMPreference`` asks a judge deployment the fixed prompt ``PREFERENCE_PROMPT`` (answers
  shown as A = incumbent, B = candidate); the reply must be exactly ``A``, ``B`` or ``TIE``.
  Anything else, or a failed call, is ``error``: never guessed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Protocol

from classifier.escalation import escalation_reason
from sidecar.judge import Judge, Verdict


class Preference(StrEnum):
    """The candidate's result against the incumbent on one request (a bounded label)."""

    WIN = "win"
    TIE = "tie"
    LOSS = "loss"
    DIFFER = "differ"  # different answers, neither known better
    ERROR = "error"  # the judge could not decide


class Preferer(Protocol):
    """Compares the candidate's answer with the incumbent's."""

    name: str

    async def prefer(self, prompt: str, incumbent: str, candidate: str) -> Preference:
        """The candidate's result."""
        ...


def failure(text: str, wants_json: bool = False) -> str | None:
    """Failure reason of an answer text (refusal, empty, invalid_json), or None."""
    answer = {"choices": [{"message": {"content": text}, "finish_reason": "stop"}]}
    return escalation_reason(answer, wants_json=wants_json)


class VerdictPreference:
    """Same/different judge plus failure checks."""

    def __init__(self, judge: Judge) -> None:
        self.judge = judge
        self.name = judge.name

    async def prefer(self, prompt: str, incumbent: str, candidate: str) -> Preference:
        """Tie when the judge says same; otherwise the failing answer loses."""
        judgement = await self.judge.judge(prompt, incumbent, candidate)
        if judgement.verdict is Verdict.ERROR:
            return Preference.ERROR
        if judgement.verdict is Verdict.SAME:
            return Preference.TIE
        inc_bad, cand_bad = failure(incumbent) is not None, failure(candidate) is not None
        if inc_bad != cand_bad:
            return Preference.LOSS if cand_bad else Preference.WIN
        return Preference.DIFFER


PREFERENCE_VERSION = "preference-v1"
PREFERENCE_PROMPT = (
    "You compare two answers to the same question.\n"
    "Question:\n<<<{prompt}>>>\n\n"
    "Answer A:\n<<<{a}>>>\n\n"
    "Answer B:\n<<<{b}>>>\n\n"
    "Which answer is more correct and useful? Reply with exactly one word: A, B or TIE."
)
Ask = Callable[[list[dict[str, str]]], Awaitable[str]]


class LLMPreference:
    """Asks a judge deployment which answer is better (A = incumbent, B = candidate)."""

    name = "llm"

    def __init__(self, ask: Ask, *, max_chars: int = 6000) -> None:
        self.ask, self.max_chars = ask, max_chars

    async def prefer(self, prompt: str, incumbent: str, candidate: str) -> Preference:
        """One judging call; an unparsable reply or a failure is ``error``."""
        clip = self.max_chars
        content = PREFERENCE_PROMPT.format(
            prompt=prompt[:clip], a=incumbent[:clip], b=candidate[:clip]
        )
        try:
            reply = await self.ask([{"role": "user", "content": content}])
        except Exception:
            return Preference.ERROR
        word = reply.strip().removesuffix(".").strip().upper()
        return {"A": Preference.LOSS, "B": Preference.WIN, "TIE": Preference.TIE}.get(
            word, Preference.ERROR
        )
