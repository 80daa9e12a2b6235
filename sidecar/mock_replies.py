"""What the mock upstream answers: pure functions of the request body, plus the SSE writer.

Contract: every function here is deterministic given its arguments (ids and ``created`` aside),
so a cached answer can be checked against a direct one and a prompt is always right or always
wrong for one model:
- ``reply_words``: the echo of the last user message (or the oracle's answer), padded to
  ``reply_tokens``, cut by the client's ``max_tokens`` (``capped`` says whether it was);
- ``is_wrong``: the share ``rate`` of (model, prompt) pairs, by hash, not by coin;
- ``oracle_preference``: the shadow evaluation's judge prompt (``PREFERENCE_MARK``) answered
  like an oracle; ``logprobs`` / ``usage`` / ``envelope`` / ``fake_vector``: OpenAI shapes;
- ``error_for``: the error answers ("500", "429" with Retry-After, "400") in OpenAI's shape;
- ``stream_answer``: the words as OpenAI SSE chunks, optionally dropped half-way.
The server, its behaviour queue and counters live in ``sidecar/mock_upstream.py``.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
import uuid
from typing import Any

import orjson
from aiohttp import web

from sidecar.mock_oracle import Oracle


def dumps(obj: Any) -> str:
    """JSON text for ``web.json_response``, by orjson."""
    return orjson.dumps(obj).decode()


def error_for(behavior: str, retry_after_s: float) -> web.Response | None:
    """The error answer of an error behaviour ("500", "429", "400"), else None."""

    def err(
        status: int, message: str, type_: str, headers: dict[str, str] | None = None
    ) -> web.Response:
        payload = {"error": {"message": message, "type": type_, "param": None, "code": None}}
        return web.json_response(payload, status=status, headers=headers)

    if behavior == "500":
        return err(500, "mock internal error", "server_error")
    if behavior == "429":
        return err(
            429, "mock rate limit", "rate_limit_error", {"Retry-After": f"{retry_after_s:g}"}
        )
    if behavior == "400":
        return err(400, "mock bad request", "invalid_request_error")
    return None


def last_user_text(body: dict[str, Any], chat: bool) -> str:
    """The text the mock answers: the last user message (chat) or the prompt."""
    if not chat:
        prompt = body.get("prompt", "")
        return prompt if isinstance(prompt, str) else " ".join(map(str, prompt))
    for msg in reversed(body.get("messages") or []):
        if isinstance(msg, dict) and msg.get("role") == "user":
            content = msg.get("content")
            if isinstance(content, list):
                return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
            return str(content or "")
    return ""


def reply_words(
    body: dict[str, Any], chat: bool, behavior: str, pad_to: int, oracle: Oracle | None = None
) -> list[str]:
    """The answer's words for ``behavior``: an echo (or the oracle's answer), padded, capped."""
    if behavior == "empty":
        return []
    if behavior == "refuse":
        return "I'm sorry, but I can't help with that.".split()
    text = last_user_text(body, chat)
    words = oracle.answer(text).split() if oracle is not None else ["echo:", *text.split()]
    words += ["lorem"] * max(0, pad_to - len(words))
    max_tokens = body.get("max_tokens") or body.get("max_completion_tokens")
    if isinstance(max_tokens, int) and max_tokens > 0:
        words = words[:max_tokens]
    return words


def capped(body: dict[str, Any], chat: bool, oracle: Oracle | None) -> bool:
    """True when the client's max_tokens cut the echo short."""
    max_tokens = body.get("max_tokens") or body.get("max_completion_tokens")
    if not isinstance(max_tokens, int) or max_tokens <= 0:
        return False
    uncapped = {**body, "max_tokens": None, "max_completion_tokens": None}
    return len(reply_words(uncapped, chat, "ok", 0, oracle)) > max_tokens


PREFERENCE_MARK = "Reply with exactly one word: A, B or TIE."


def oracle_preference(text: str) -> str | None:
    """As a judge: "A" or "B" for the one right answer of the two, "TIE" otherwise."""
    if PREFERENCE_MARK not in text:
        return None
    parts = text.split("<<<")
    if len(parts) < 4:
        return "TIE"
    a_wrong = parts[2].lstrip().startswith("wrong:")
    b_wrong = parts[3].lstrip().startswith("wrong:")
    if a_wrong == b_wrong:
        return "TIE"
    return "B" if a_wrong else "A"


def is_wrong(model: str, body: dict[str, Any], chat: bool, rate: float) -> bool:
    """Is this model wrong on this prompt? Fixed per (model, prompt): a hash, not a coin."""
    if rate <= 0:
        return False
    digest = hashlib.blake2b(f"{model}\0{last_user_text(body, chat)}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "little") / 2**64 < rate


def logprobs(words: list[str], chat: bool, mean: float) -> dict[str, Any]:
    """Per-token logprobs around ``mean`` (deterministic jitter of +-50% per word)."""
    values = []
    for i, word in enumerate(words):
        h = hashlib.blake2b(f"{i}\0{word}".encode(), digest_size=2).digest()
        values.append(round(mean * (0.5 + int.from_bytes(h, "little") / 65535), 6))
    tokens = [w if i == 0 else " " + w for i, w in enumerate(words)]
    if not chat:
        return {"tokens": tokens, "token_logprobs": values, "top_logprobs": None}
    content = [
        {"token": t, "logprob": v, "bytes": list(t.encode()), "top_logprobs": []}
        for t, v in zip(tokens, values, strict=True)
    ]
    return {"content": content, "refusal": None}


def count_prompt_tokens(body: dict[str, Any], chat: bool) -> int:
    """Prompt tokens as the mock counts them: words, plus 3 per chat message."""
    if not chat:
        return len(last_user_text(body, chat).split())
    return sum(
        len(str(m.get("content", "")).split()) + 3
        for m in body.get("messages") or []
        if isinstance(m, dict)
    )


def usage(prompt: int, completion: int) -> dict[str, int]:
    """An OpenAI ``usage`` object."""
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def envelope(
    model: str, chat: bool, choices: list[dict[str, Any]], prompt: int, completion: int
) -> dict[str, Any]:
    """A non-streamed OpenAI completion around ``choices``."""
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion" if chat else "text_completion",
        "created": int(time.time()),
        "model": model,
        "choices": choices,
        "usage": usage(prompt, completion),
        "system_fingerprint": "mock",
    }


def fake_vector(text: str, dim: int = 8) -> list[float]:
    """A deterministic toy embedding of ``text``."""
    seed = sum(text.encode()) or 1
    return [((seed * (i + 1)) % 97) / 97.0 for i in range(dim)]


async def stream_answer(
    request: web.Request,
    body: dict[str, Any],
    words: list[str],
    finish: str,
    prompt_tokens: int,
    model: str,
    chat: bool,
    *,
    drop: bool,
    token_delay_s: float,
) -> web.StreamResponse:
    """Stream ``words`` as OpenAI SSE chunks; ``drop`` closes the connection half-way."""
    resp = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
    )
    await resp.prepare(request)
    cid = f"chatcmpl-{uuid.uuid4().hex[:24]}"
    obj = "chat.completion.chunk" if chat else "text_completion"
    created = int(time.time())

    async def send(choices: list[dict[str, Any]], usage: dict[str, int] | None = None) -> None:
        chunk = {
            "id": cid,
            "object": obj,
            "created": created,
            "model": model,
            "choices": choices,
            "usage": usage,
        }
        await resp.write(b"data: " + orjson.dumps(chunk) + b"\n\n")

    if chat:
        await send(
            [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]
        )
    for i, word in enumerate(words):
        if drop and i == len(words) // 2:
            # Abrupt close: no finish_reason, no [DONE].
            assert request.transport is not None
            request.transport.close()
            return resp
        if token_delay_s:
            await asyncio.sleep(token_delay_s)
        piece = word if i == 0 else " " + word
        delta: dict[str, Any] = {"delta": {"content": piece}} if chat else {"text": piece}
        await send([{"index": 0, **delta, "finish_reason": None}])
    end: dict[str, Any] = {"delta": {}} if chat else {"text": ""}
    await send([{"index": 0, **end, "finish_reason": finish}])
    if (body.get("stream_options") or {}).get("include_usage"):
        await send([], usage(prompt_tokens, len(words)))
    await resp.write(b"data: [DONE]\n\n")
    await resp.write_eof()
    return resp
