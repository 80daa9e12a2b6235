"""The dialect seam: routes come from the dialect list, and everything API-specific (parsing,
rendering a hit, the error shape) goes through the dialect while the pipeline stays the same."""

from __future__ import annotations

from collections.abc import Iterator

import orjson
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry

from cache.store import SemanticCache
from sidecar.app import create_app
from sidecar.config import load_settings
from sidecar.dialect import Dialect
from sidecar.dialects import DIALECTS
from sidecar.dialects.chat import Chat
from sidecar.errors import SidecarError
from sidecar.request import ParsedRequest
from tests.conftest import AcceptAll, FakeEmbedder, FakeRouter, chat


class Wrapped(Chat):
    """Chat completions on another path, answering hits and errors in its own envelope."""

    path = "/v1/wrapped"

    def render(self, stored: bytes, req: ParsedRequest) -> bytes:
        return orjson.dumps({"wrapped": orjson.loads(stored)})

    def replay(self, stored: bytes, req: ParsedRequest) -> Iterator[bytes]:
        yield b"event: wrapped\ndata: " + stored + b"\n\n"

    def error_body(self, err: SidecarError) -> bytes:
        return orjson.dumps({"type": "error", "error": {"message": err.message}})


async def _client(mock, dialects: tuple[Dialect, ...]) -> TestClient:
    settings = load_settings(None, {}, upstream=mock.base_url)
    app = create_app(
        settings,
        registry=CollectorRegistry(),
        environ={},
        embedder=FakeEmbedder(),
        cache=SemanticCache(verifier=AcceptAll()),
        router=FakeRouter(),
        dialects=dialects,
    )
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    return client


async def test_every_dialect_path_is_served_and_errors_in_its_shape(mock):
    client = await _client(mock, DIALECTS)
    try:
        for dialect in DIALECTS:
            resp = await client.post(dialect.path, data=b"{not json")
            assert resp.status == 400, dialect.path
            assert (await resp.json())["error"]["type"] == "invalid_request_error"
        # A path no dialect serves is not proxied.
        assert (await client.post("/v1/wrapped", json=chat("x"))).status == 404
    finally:
        await client.close()


async def test_a_new_dialect_runs_through_the_same_pipeline(mock):
    client = await _client(mock, (*DIALECTS, Wrapped()))
    try:
        miss = await client.post("/v1/wrapped", json=chat("hello wrapped"))
        assert miss.status == 200 and miss.headers["X-Sidecar-Cache"] == "miss"
        assert mock.requests[-1]["messages"] == chat("hello wrapped")["messages"]
        sent = mock.count
        hit = await client.post("/v1/wrapped", json=chat("hello wrapped"))
        assert hit.headers["X-Sidecar-Cache"] == "exact" and mock.count == sent
        wrapped = await hit.json()
        assert wrapped["wrapped"]["choices"][0]["message"]["content"] == "echo: hello wrapped"
        streamed = await client.post("/v1/wrapped", json=chat("hello wrapped", stream=True))
        assert (await streamed.read()).startswith(b"event: wrapped\ndata: {")
        bad = await client.post("/v1/wrapped", json={"messages": []})
        assert bad.status == 400
        assert (await bad.json())["error"] == {"message": "missing required field 'model'"}
    finally:
        await client.close()
