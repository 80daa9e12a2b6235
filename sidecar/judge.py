"""Judges compare two answers to one prompt: the seam shared by the cache audit and shadow
evaluation. A judge never guesses: when it cannot decide (upstream error, unparsable verdict)
it returns ``Verdict.ERROR`` with a reason, and callers count that apart from same/different.

Implementations (exact, embedding, llm) live beside this Protocol; pick one with a plain ``if``
on config.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class Verdict(StrEnum):
    """What a judge concluded about two answers to the same prompt."""

    SAME = "same"  # the candidate answers the prompt the way the reference does
    DIFFERENT = "different"  # it does not: a cache hit with this verdict was a false hit
    ERROR = "error"  # the judge could not decide; never counted as same or different


@dataclass(frozen=True, slots=True)
class Judgement:
    """One comparison: the verdict, the judge's raw score if it has one, and why."""

    verdict: Verdict
    score: float | None = None
    reason: str = ""


class Judge(Protocol):
    """Compares a candidate answer with a reference answer to one prompt."""

    name: str  # bounded label value: "exact", "embedding", "llm"

    async def judge(self, prompt: str, reference: str, candidate: str) -> Judgement:
        """Decide whether ``candidate`` answers ``prompt`` the way ``reference`` does."""
        ...
