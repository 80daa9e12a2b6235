"""Answers go out before the request's bookkeeping (sidecar/reply.py: send_now)."""

from __future__ import annotations

import asyncio
import logging
from types import SimpleNamespace
from typing import Any

import orjson
import pytest

from sidecar import pipeline
from sidecar.reply import SENT, send_now
from tests.conftest import chat, metric

URL = "/v1/chat/completions"


async def test_miss_is_on_the_wire_before_the_store_step(sidecar, monkeypatch):
    client = await sidecar()
    seen: list[tuple[bool, int]] = []
    real_store = pipeline.caching.store

    def store(x: Any, deps: Any, answer: Any) -> Any:
        sent = x.http.get(SENT)
        seen.append((sent is not None and sent.prepared, sent.status if sent else 0))
        return real_store(x, deps, answer)

    monkeypatch.setattr(pipeline.caching, "store", store)
    resp = await client.post(URL, json=chat("what is sent first"))
    assert resp.status == 200
    assert seen == [(True, 200)]
    again = await client.post(URL, json=chat("what is sent first"))
    assert again.headers["X-Sidecar-Cache"] == "exact"  # the store step still ran
    assert await again.read() == await resp.read()


async def test_failure_after_the_answer_is_logged_not_sent_twice(sidecar, monkeypatch, caplog):
    client = await sidecar()

    def broken_store(x: Any, deps: Any, answer: Any) -> Any:
        raise RuntimeError("bookkeeping bug")

    monkeypatch.setattr(pipeline.caching, "store", broken_store)
    with caplog.at_level(logging.ERROR, logger="sidecar.access"):
        resp = await client.post(URL, json=chat("fails after sending"))
        body = orjson.loads(await resp.read())
    assert resp.status == 200
    assert body["choices"][0]["message"]["content"] == "echo: fails after sending"
    assert any("after the answer was sent" in r.getMessage() for r in caplog.records)
    # The kept-alive connection carries no second answer: the next request reads its own.
    monkeypatch.undo()
    nxt = await client.post(URL, json=chat("the next one"))
    assert (
        orjson.loads(await nxt.read())["choices"][0]["message"]["content"] == "echo: the next one"
    )
    assert metric(client, "sidecar_requests_total", {"endpoint": URL, "status_class": "2xx"}) == 2


@pytest.mark.parametrize("stream", [False, True])
async def test_hits_are_counted_whatever_the_order(sidecar, stream):
    client = await sidecar()
    await client.post(URL, json=chat("count this hit"))
    resp = await client.post(URL, json=chat("count this hit", stream=stream))
    await resp.read()
    assert resp.headers["X-Sidecar-Cache"] == "exact"
    assert metric(client, "sidecar_cache_lookups_total", {"result": "exact"}) == 1


class _Vanishing:
    """A response whose write fails (`error`) or waits for a socket that never drains."""

    def __init__(self, error: BaseException | None) -> None:
        self.error, self.prepared, self.status = error, False, 200

    async def prepare(self, request: Any) -> None:
        self.prepared = True

    async def write_eof(self) -> None:
        if self.error is not None:
            raise self.error
        await asyncio.Event().wait()


async def test_a_reset_mid_write_does_not_skip_the_bookkeeping():
    x = SimpleNamespace(http={})
    response = _Vanishing(ConnectionResetError("gone"))
    assert await send_now(x, response) is response  # no exception: the caller goes on
    assert x.http[SENT] is response


async def test_a_handler_cancelled_mid_write_still_does_its_bookkeeping():
    """aiohttp cancels the handler when the client leaves; the answer was already paid for."""
    x = SimpleNamespace(http={})

    async def handler() -> str:
        await send_now(x, _Vanishing(None))
        return "billed and stored"

    task = asyncio.create_task(handler())
    await asyncio.sleep(0.01)
    task.cancel()
    assert await task == "billed and stored"
    assert task.cancelling() == 0
