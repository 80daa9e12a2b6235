"""The mock upstream's OpenAI Responses and Anthropic Messages endpoints (written from the public
API references), registered on ``MockUpstream.app()``.

Both answer ``echo: <last user text>`` like the chat mock, so a cached answer can be checked
against its prompt, with usage, JSON or the API's SSE event sequence, and the mock's scripted
behaviours (500, 429, 400, drop, length, refuse, empty, slow, hang) in each API's error shape.
Responses are kept (bounded) for ``GET``/``DELETE /v1/responses/{id}`` and
``previous_response_id``, which 404s for an id this mock never produced.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from typing import Any, Protocol

import orjson
from aiohttp import web

from sidecar.mock_apis import MessagesApi, MockApi, ResponsesApi, openai_error


class _Timing(Protocol):
    ttft_s: float
    token_delay_s: float
    reply_tokens: int
    slow_s: float
    retry_after_s: float


class MockUpstream(Protocol):
    """What these endpoints use of ``sidecar.mock_upstream.MockUpstream`` (no import cycle)."""

    active: int
    cancelled: int
    completed: int

    @property
    def config(self) -> _Timing: ...

    async def _receive(self, request: web.Request) -> tuple[dict[str, Any], str]: ...


def register(mock: MockUpstream, app: web.Application) -> None:
    """Add ``/v1/responses`` (+ GET/DELETE by id) and ``/v1/messages`` to the mock's app."""
    kept: OrderedDict[str, bytes] = OrderedDict()

    async def responses(request: web.Request) -> web.StreamResponse:
        body, behavior = await mock._receive(request)
        return await _serve(mock, request, body, behavior, ResponsesApi(kept))

    async def messages(request: web.Request) -> web.StreamResponse:
        body, behavior = await mock._receive(request)
        return await _serve(mock, request, body, behavior, MessagesApi(request))

    async def get(request: web.Request) -> web.Response:
        rid = request.match_info["rid"]
        if rid not in kept:
            return openai_error(
                404, f"Response with id '{rid}' not found.", "invalid_request_error"
            )
        if request.method == "DELETE":
            del kept[rid]
            return web.json_response({"id": rid, "object": "response", "deleted": True})
        return web.Response(body=kept[rid], content_type="application/json")

    app.router.add_post("/v1/responses", responses)
    app.router.add_get("/v1/responses/{rid}", get)
    app.router.add_delete("/v1/responses/{rid}", get)
    app.router.add_post("/v1/messages", messages)


async def _serve(
    mock: MockUpstream, request: web.Request, body: dict[str, Any], behavior: str, api: MockApi
) -> web.StreamResponse:
    mock.active += 1
    try:
        if error := api.check(body) or api.error(behavior, mock.config.retry_after_s):
            return error
        delay = mock.config.ttft_s + (mock.config.slow_s if behavior == "slow" else 0.0)
        await asyncio.sleep(3600.0 if behavior == "hang" else delay)
        words = _words(api.text(body), behavior, mock.config.reply_tokens, api.max_tokens(body))
        truncated = behavior == "length" or len(words) < len(_words(api.text(body), behavior, 0))
        answer = api.answer(body, words, truncated)
        if not body.get("stream"):
            return web.Response(body=orjson.dumps(answer), content_type="application/json")
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)

        async def send(event: str, data: dict[str, Any]) -> None:
            await resp.write(f"event: {event}\ndata: ".encode() + orjson.dumps(data) + b"\n\n")

        for i, (event, data) in enumerate(api.events(answer, words)):
            if behavior == "drop" and data.get("type") in ("message_stop", "response.completed"):
                if request.transport is not None:
                    request.transport.close()  # abrupt close before the final event
                return resp
            if mock.config.token_delay_s and i:
                await asyncio.sleep(mock.config.token_delay_s)
            await send(event, data)
        await resp.write_eof()
        mock.completed += 1
        return resp
    except asyncio.CancelledError:
        mock.cancelled += 1
        raise
    finally:
        mock.active -= 1


def _words(text: str, behavior: str, pad_to: int, limit: int | None = None) -> list[str]:
    if behavior == "empty":
        return []
    if behavior == "refuse":
        return "I'm sorry, but I can't help with that.".split()
    words = ["echo:", *text.split()]
    words += ["lorem"] * max(0, pad_to - len(words))
    return words[:limit] if limit and limit > 0 else words
