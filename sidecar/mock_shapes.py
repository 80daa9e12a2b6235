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

The answer objects themselves are ``sidecar/mock_objects.py``'s; this module sends them.
"""

from __future__ import annotations

import zlib
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import web

from sidecar.mock_objects import chunks, completion, function_call

Shape = Callable[[web.Request, dict[str, Any], list[str], bool], Awaitable[web.StreamResponse]]


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
        {"id": "call_Qx7Lm2", "type": "function", "function": function_call("get_weather", args)}
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
