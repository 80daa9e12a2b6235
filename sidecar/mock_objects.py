"""OpenAI chat/text completion and chunk objects with every field OpenAI documents.

Contract: pure functions of the request body and the answer's words (ids and ``created``
aside). ``completion`` is a non-streamed answer (``service_tier``, ``system_fingerprint``,
``refusal``, ``annotations``, ``logprobs`` when asked, usage with token details); ``chunks`` the
chunk objects of the same answer streamed, optionally as a tool call whose arguments arrive in
pieces or as a refusal, with usage as asked, in the last chunk, or never. Written from the
public OpenAI API reference. How they are sent (SSE variants, compression, broken answers) is
``sidecar/mock_shapes.py``'s.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import orjson

FINGERPRINT = "fp_7a2c4e61d9"


def _usage(body: dict[str, Any], words: list[str]) -> dict[str, Any]:
    """Usage with token details, counted the mock's way (words, plus 3 per chat message)."""
    prompt = sum(len(str(m.get("content") or "").split()) + 3 for m in body.get("messages") or [])
    prompt = prompt or len(str(body.get("prompt") or "").split())
    return {
        "prompt_tokens": prompt,
        "completion_tokens": len(words),
        "total_tokens": prompt + len(words),
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _logprobs(words: list[str]) -> dict[str, Any]:
    return {
        "content": [
            {"token": w, "logprob": -0.01, "bytes": list(w.encode()), "top_logprobs": []}
            for w in words
        ],
        "refusal": None,
    }


def completion(
    body: dict[str, Any], words: list[str], chat: bool, *, refusal: str | None = None
) -> dict[str, Any]:
    """A non-streamed answer with every field OpenAI documents."""
    text = " ".join(words)
    choice: dict[str, Any] = {"index": 0, "finish_reason": "stop", "logprobs": None}
    if body.get("logprobs"):
        choice["logprobs"] = _logprobs(words)
    if chat:
        choice["message"] = {
            "role": "assistant",
            "content": None if refusal else text,
            "refusal": refusal,
            "annotations": [],
        }
    else:
        choice["text"] = text
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:29]}",
        "object": "chat.completion" if chat else "text_completion",
        "created": int(time.time()),
        "model": str(body.get("model", "mock-model")),
        "choices": [choice],
        "usage": _usage(body, words),
        "service_tier": "default",
        "system_fingerprint": FINGERPRINT,
    }


def chunks(
    body: dict[str, Any],
    words: list[str],
    chat: bool,
    *,
    usage: str = "asked",
    tool: bool = False,
    refusal: str | None = None,
) -> list[dict[str, Any]]:
    """The chunk objects of a streamed answer. ``usage``: asked | last | none."""
    head = {
        "id": f"chatcmpl-{uuid.uuid4().hex[:29]}",
        "object": "chat.completion.chunk" if chat else "text_completion",
        "created": int(time.time()),
        "model": str(body.get("model", "mock-model")),
        "service_tier": "default",
        "system_fingerprint": FINGERPRINT,
    }
    asked = bool((body.get("stream_options") or {}).get("include_usage"))
    blank = {"usage": None} if asked and usage == "asked" else {}

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        choice: dict[str, Any] = {"index": 0, "finish_reason": finish, "logprobs": None}
        choice.update({"delta": delta} if chat else {"text": delta.get("content", "")})
        return {**head, "choices": [choice], **blank}

    out = [chunk({"role": "assistant", "content": None if tool else "", "refusal": None})]
    finish = "stop"
    if tool:
        finish = "tool_calls"
        call = {"id": "call_Qx7Lm2", "type": "function"}
        out.append(chunk({"tool_calls": [{"index": 0, **call, "function": function_call("", "")}]}))
        args = orjson.dumps({"location": " ".join(words)}).decode()
        for i in range(0, len(args), 7):
            piece = {"index": 0, "function": {"arguments": args[i : i + 7]}}
            out.append(chunk({"tool_calls": [piece]}))
        out[1]["choices"][0]["delta"]["tool_calls"][0]["function"]["name"] = "get_weather"
    elif refusal:
        out += [chunk({"refusal": piece}) for piece in refusal.split(" ")]
    else:
        out += [chunk({"content": w if i == 0 else " " + w}) for i, w in enumerate(words)]
    out.append(chunk({}, finish))
    if usage == "last":
        out[-1]["usage"] = _usage(body, words)
    elif usage == "asked" and asked:
        out.append({**head, "choices": [], "usage": _usage(body, words)})
    return out


def function_call(name: str, arguments: str) -> dict[str, str]:
    """A tool call's ``function`` object."""
    return {"name": name, "arguments": arguments}
