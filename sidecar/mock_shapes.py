"""Mock behaviours shaped like real providers and the servers and proxies in front of them.

Written from the public OpenAI API reference (chat completion object, chunk object, streaming
with ``stream_options``) and what OpenAI-compatible servers and CDNs are documented to send.
Every shape answers the mock's usual echo (so a test can compare), dressed differently:

- ``openai_full``: every field OpenAI sends (``system_fingerprint``, ``service_tier``,
  ``logprobs`` when asked, ``refusal: null``, ``annotations``, usage with token details).
- ``refusal``: ``content: null`` and a ``refusal`` string (streamed as ``delta.refusal``).
- ``tool_stream``: a tool call whose arguments arrive in pieces (``finish_reason: tool_calls``).
- SSE variants: ``sse_nospace`` (``data:{...}``), ``sse_crlf`` (CRLF line ends, each CRLF
  split across two writes), ``sse_keepalive`` (``: keep-alive`` comments between events),
  ``sse_usage_last`` (usage inside the finishing chunk, never a usage-only chunk),
  ``sse_no_usage`` (no usage at all, even when asked).
- Transport: ``gzip`` / ``deflate`` / ``br`` (the answer compressed whatever the request's
  ``Accept-Encoding``, as some CDNs do; streams too, flushed per event).
- Failures: ``html`` (a 200 CDN error page), ``truncated`` (a 200 with half a JSON body),
  ``no_done`` (a stream closed cleanly halfway, no finish, no ``[DONE]``), ``json_stream`` (a
  JSON answer to a stream request), ``reject_stream_options`` (400 when the body has
  ``stream_options``, as some compatible servers do).
"""

from __future__ import annotations

import time
import uuid
import zlib
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import web

Shape = Callable[[web.Request, dict[str, Any], list[str], bool], Awaitable[web.StreamResponse]]
FINGERPRINT = "fp_7a2c4e61d9"


def _usage(body: dict[str, Any], words: list[str]) -> dict[str, Any]:
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
        out.append(chunk({"tool_calls": [{"index": 0, **call, "function": _fn("", "")}]}))
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


def _fn(name: str, arguments: str) -> dict[str, str]:
    return {"name": name, "arguments": arguments}


class _Encoder:
    """Compresses a body or a stream; ``flush`` ends each event so it can be decoded at once."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        if encoding == "br":
            import brotli  # optional dependency (decoding br answers needs it too)

            self._br = brotli.Compressor()
        else:
            wbits = 31 if encoding == "gzip" else 15
            self._z = zlib.compressobj(6, zlib.DEFLATED, wbits)

    def feed(self, data: bytes, *, last: bool = False) -> bytes:
        if self.encoding == "br":
            out = bytes(self._br.process(data))
            return out + bytes(self._br.finish() if last else self._br.flush())
        packed = self._z.compress(data)
        return packed + self._z.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)


async def _sse(
    request: web.Request,
    events: list[bytes],
    *,
    encoding: str | None = None,
    split_crlf: bool = False,
) -> web.StreamResponse:
    headers = {"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
    if encoding:
        headers["Content-Encoding"] = encoding
    resp = web.StreamResponse(headers=headers)
    await resp.prepare(request)
    enc = _Encoder(encoding) if encoding else None
    for i, event in enumerate(events):
        last = i == len(events) - 1
        if enc is not None:
            await resp.write(enc.feed(event, last=last))
        elif split_crlf:
            # Each CR in one write and its LF in the next: the case that merged events.
            for part in event.replace(b"\r\n", b"\r\x00\n").split(b"\x00"):
                await resp.write(part)
        else:
            await resp.write(event)
    await resp.write_eof()
    return resp


def _events(items: list[dict[str, Any]], *, sep: bytes = b"\n", space: bool = True) -> list[bytes]:
    prefix = b"data: " if space else b"data:"
    out = [prefix + orjson.dumps(c) + sep + sep for c in items]
    return [*out, prefix + b"[DONE]" + sep + sep]


def _json(payload: Any, *, status: int = 200, encoding: str | None = None) -> web.Response:
    data = orjson.dumps(payload)
    headers = {}
    if encoding:
        data, headers = _Encoder(encoding).feed(data, last=True), {"Content-Encoding": encoding}
    return web.Response(body=data, status=status, headers=headers, content_type="application/json")


async def _plain(
    request: web.Request,
    body: dict[str, Any],
    words: list[str],
    chat: bool,
    encoding: str | None = None,
) -> web.StreamResponse:
    """The normal answer (JSON or SSE), compressed with ``encoding`` if given."""
    if body.get("stream"):
        return await _sse(request, _events(chunks(body, words, chat)), encoding=encoding)
    return _json(completion(body, words, chat), encoding=encoding)


def _shape(**kw: Any) -> Shape:
    async def serve(
        request: web.Request, body: dict[str, Any], words: list[str], chat: bool
    ) -> web.StreamResponse:
        refusal = "I'm sorry, but I can't help with that." if kw.get("refusal") else None
        if not body.get("stream"):
            return _json(completion(body, words, chat, refusal=refusal))
        items = chunks(
            body,
            words,
            chat,
            usage=kw.get("usage", "asked"),
            tool=kw.get("tool", False),
            refusal=refusal,
        )
        events = _events(items, sep=kw.get("sep", b"\n"), space=kw.get("space", True))
        if kw.get("keepalive"):
            events = [e for ev in events for e in (b": keep-alive\n\n", ev)]
        return await _sse(request, events, split_crlf=kw.get("sep") == b"\r\n")

    return serve


async def _tool_json(
    request: web.Request, body: dict[str, Any], words: list[str], chat: bool
) -> web.StreamResponse:
    if body.get("stream"):
        return await _shape(tool=True)(request, body, words, chat)
    answer = completion(body, words, chat)
    message = answer["choices"][0]["message"]
    message["content"] = None
    args = orjson.dumps({"location": " ".join(words)}).decode()
    message["tool_calls"] = [
        {"id": "call_Qx7Lm2", "type": "function", "function": _fn("get_weather", args)}
    ]
    answer["choices"][0]["finish_reason"] = "tool_calls"
    return _json(answer)


def _compressed(encoding: str) -> Shape:
    async def serve(
        request: web.Request, body: dict[str, Any], words: list[str], chat: bool
    ) -> web.StreamResponse:
        return await _plain(request, body, words, chat, encoding=encoding)

    return serve


async def _html(
    request: web.Request, body: dict[str, Any], words: list[str], chat: bool
) -> web.StreamResponse:
    page = "<html><head><title>502 Bad Gateway</title></head><body>cloudflare</body></html>"
    return web.Response(text=page, status=200, content_type="text/html")


async def _truncated(
    request: web.Request, body: dict[str, Any], words: list[str], chat: bool
) -> web.StreamResponse:
    data = orjson.dumps(completion({**body, "stream": False}, words, chat))
    return web.Response(body=data[: len(data) // 2], content_type="application/json")


async def _no_done(
    request: web.Request, body: dict[str, Any], words: list[str], chat: bool
) -> web.StreamResponse:
    if not body.get("stream"):
        return _json(completion(body, words, chat))
    items = chunks(body, words, chat)
    return await _sse(request, _events(items[: max(1, len(items) // 2)])[:-1])


async def _json_stream(
    request: web.Request, body: dict[str, Any], words: list[str], chat: bool
) -> web.StreamResponse:
    return _json(completion(body, words, chat))


async def _reject_stream_options(
    request: web.Request, body: dict[str, Any], words: list[str], chat: bool
) -> web.StreamResponse:
    if "stream_options" in body:
        error = {
            "message": "Unrecognized request argument supplied: stream_options",
            "type": "invalid_request_error",
            "param": "stream_options",
            "code": None,
        }
        return _json({"error": error}, status=400)
    return await _plain(request, body, words, chat)


SHAPES: dict[str, Shape] = {
    "openai_full": _shape(),
    "refusal": _shape(refusal=True),
    "tool_stream": _tool_json,
    "sse_nospace": _shape(space=False),
    "sse_crlf": _shape(sep=b"\r\n"),
    "sse_keepalive": _shape(keepalive=True),
    "sse_usage_last": _shape(usage="last"),
    "sse_no_usage": _shape(usage="none"),
    "gzip": _compressed("gzip"),
    "deflate": _compressed("deflate"),
    "br": _compressed("br"),
    "html": _html,
    "truncated": _truncated,
    "no_done": _no_done,
    "json_stream": _json_stream,
    "reject_stream_options": _reject_stream_options,
}
