"""The three judges behind ``sidecar.judge.Judge``: exact, embedding, llm; and answer text.

- ``ExactJudge``: deterministic tasks (classification, extraction, JSON). Two answers are the
  same when their normalized text is equal, or, when both parse as JSON, the parsed values.
- ``EmbeddingJudge``: cosine of the two answers' vectors from the local encoder against a
  threshold calibrated on labelled pairs (benchmarks/judge_calibration.py: MRPC, 0.68;
  held-out accuracy 0.745 against 0.680 for always "same": weak, see docs/cache_audit.md).
- ``LLMJudge``: asks a configured deployment the fixed, versioned prompt ``JUDGE_PROMPT``; the
  reply must be exactly ``SAME`` or ``DIFFERENT`` (strict parsing). Anything else, an
  exception, an empty answer: ``Verdict.ERROR`` with a reason. A judge never guesses.
``make_judge`` picks one with a plain ``if`` on the configured name.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np
import orjson

from sidecar.judge import Judge, Judgement, Verdict

log = logging.getLogger("sidecar.judges")
_SPACE = re.compile(r"\s+")
# Calibrated on MRPC (70% split; accuracy on the held-out 30% in
# benchmarks/results/judge_calibration.json). Operators override it with
# cache.audit.embedding_threshold.
EMBEDDING_THRESHOLD = 0.68
JUDGE_VERSION = "judge-v1"
JUDGE_PROMPT = (
    "You compare two answers to the same question.\n"
    "Question:\n<<<{prompt}>>>\n\n"
    "Answer A:\n<<<{reference}>>>\n\n"
    "Answer B:\n<<<{candidate}>>>\n\n"
    "Do A and B answer the question the same way (same facts, same conclusion, same values)? "
    "Wording and length do not matter. Reply with exactly one word: SAME or DIFFERENT."
)
Ask = Callable[[list[dict[str, str]]], Awaitable[str]]
Embed = Callable[[str], Awaitable[np.ndarray]]


def answer_text(body: bytes) -> str | None:
    """The text of a stored or fresh answer: OpenAI chat/completions (tool calls as JSON),
    Anthropic Messages (text blocks) or Responses (output_text parts); else None."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(data, dict):
        return None
    if isinstance(data.get("choices"), list):
        return _choice_text(data["choices"])
    if isinstance(data.get("content"), list):  # Anthropic Messages
        return _joined(data["content"], "text")
    if isinstance(data.get("output"), list):  # Responses
        parts = [
            p
            for item in data["output"]
            if isinstance(item, dict)
            for p in item.get("content") or []
            if isinstance(p, dict)
        ]
        return _joined(parts, "output_text")
    return None


def _joined(parts: list[Any], kind: str) -> str | None:
    texts = [str(p["text"]) for p in parts if isinstance(p, dict) and p.get("type") == kind]
    return "\n".join(texts) if texts else None


def _choice_text(choices: list[Any]) -> str | None:
    if not choices or not isinstance(choices[0], dict):
        return None
    first = choices[0]
    if isinstance(first.get("text"), str):
        return str(first["text"])
    message = first.get("message")
    if not isinstance(message, dict):
        return None
    parts = [message["content"]] if isinstance(message.get("content"), str) else []
    if message.get("tool_calls"):
        parts.append(orjson.dumps(message["tool_calls"], option=orjson.OPT_SORT_KEYS).decode())
    return "\n".join(parts) if parts else None


def _canon(text: str) -> str:
    """Answer text compared by the exact judge: NFKC, whitespace runs collapsed, case-folded."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip().casefold()


def _json_value(text: str) -> Any:
    stripped = text.strip()
    if not stripped or stripped[0] not in "{[":
        return None
    try:
        return orjson.loads(stripped)
    except orjson.JSONDecodeError:
        return None


class ExactJudge:
    """Same when the normalized texts (or the parsed JSON values) are equal."""

    name = "exact"

    async def judge(self, prompt: str, reference: str, candidate: str) -> Judgement:
        """Compare exactly; never an error."""
        ref_json, cand_json = _json_value(reference), _json_value(candidate)
        if ref_json is not None and cand_json is not None:
            same = ref_json == cand_json
            return Judgement(Verdict.SAME if same else Verdict.DIFFERENT, reason="json")
        same = _canon(reference) == _canon(candidate)
        return Judgement(Verdict.SAME if same else Verdict.DIFFERENT, reason="text")


class EmbeddingJudge:
    """Same when the answers' cosine clears ``threshold``."""

    name = "embedding"

    def __init__(self, embed: Embed, threshold: float = EMBEDDING_THRESHOLD) -> None:
        self.embed, self.threshold = embed, threshold

    async def judge(self, prompt: str, reference: str, candidate: str) -> Judgement:
        """Cosine of the two answers; an encoder failure or an empty answer is an error."""
        if not reference.strip() or not candidate.strip():
            return Judgement(Verdict.ERROR, reason="empty answer")
        try:
            u, v = await self.embed(reference), await self.embed(candidate)
            cos = float(np.dot(u, v) / (np.linalg.norm(u) * np.linalg.norm(v)))
        except Exception as exc:
            return Judgement(Verdict.ERROR, reason=f"embed: {type(exc).__name__}")
        if not np.isfinite(cos):
            return Judgement(Verdict.ERROR, reason="embed: not finite")
        verdict = Verdict.SAME if cos >= self.threshold else Verdict.DIFFERENT
        return Judgement(verdict, score=cos, reason=f"cosine vs {self.threshold:.3f}")


class LLMJudge:
    """Asks a deployment ``JUDGE_PROMPT``; only ``SAME`` / ``DIFFERENT`` replies count."""

    name = "llm"
    version = JUDGE_VERSION

    def __init__(self, ask: Ask, *, max_chars: int = 6000) -> None:
        self.ask, self.max_chars = ask, max_chars

    def messages(self, prompt: str, reference: str, candidate: str) -> list[dict[str, str]]:
        """The fixed judging conversation (texts clipped to ``max_chars`` each)."""
        clip = self.max_chars
        content = JUDGE_PROMPT.format(
            prompt=prompt[:clip], reference=reference[:clip], candidate=candidate[:clip]
        )
        return [{"role": "user", "content": content}]

    async def judge(self, prompt: str, reference: str, candidate: str) -> Judgement:
        """One judging call; failures and unparsable replies are ``Verdict.ERROR``."""
        try:
            reply = await self.ask(self.messages(prompt, reference, candidate))
        except Exception as exc:
            return Judgement(Verdict.ERROR, reason=f"{self.version} ask: {type(exc).__name__}")
        return parse_verdict(reply, self.version)


def parse_verdict(reply: str, version: str = JUDGE_VERSION) -> Judgement:
    """Strict: the reply, stripped of whitespace and one trailing period, is SAME or DIFFERENT."""
    word = reply.strip().removesuffix(".").strip()
    if word == "SAME":
        return Judgement(Verdict.SAME, reason=version)
    if word == "DIFFERENT":
        return Judgement(Verdict.DIFFERENT, reason=version)
    return Judgement(Verdict.ERROR, reason=f"{version} unparsable reply ({len(reply)} chars)")


def make_judge(
    name: str, *, embed: Embed | None = None, ask: Ask | None = None, threshold: float | None = None
) -> Judge:
    """The judge named by config; ValueError when its dependency is missing."""
    if name == "exact":
        return ExactJudge()
    if name == "embedding":
        if embed is None:
            raise ValueError("the embedding judge needs the encoder")
        return EmbeddingJudge(embed, EMBEDDING_THRESHOLD if threshold is None else threshold)
    if name == "llm":
        if ask is None:
            raise ValueError("the llm judge needs a deployment to ask")
        return LLMJudge(ask)
    raise ValueError(f"unknown judge {name!r} (exact, embedding, llm)")
