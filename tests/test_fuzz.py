"""Fuzzing a live sidecar (issue 13, part C): hypothesis-made bodies and headers on every API
path, and a hand-written bad-input corpus. Every answer is a 2xx or a 4xx in the API's error
shape, never a 5xx; the server stays up, ``/readyz`` stays 200 and the cache stays consistent.

The sidecar (production runner, fake embedder/router, real SemanticCache) and the mock run on
their own event loop in a thread, so hypothesis drives them with plain blocking HTTP.
"""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry

from cache.store import SemanticCache
from sidecar.app import create_app
from sidecar.config import load_settings
from sidecar.mock_upstream import MockConfig, start_mock
from sidecar.server import SidecarRunner, runner_kwargs
from tests.conftest import AcceptAll, FakeEmbedder, FakeRouter
from tests.live import free_port

PATHS = (
    "/v1/chat/completions",
    "/v1/completions",
    "/v1/embeddings",
    "/v1/responses",
    "/v1/messages",
)
pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


class Live:
    """The sidecar and the mock on a background event loop."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.port = free_port()
        self.cache = SemanticCache(verifier=AcceptAll())

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._start())
        self.ready.set()
        self.loop.run_forever()

    async def _start(self) -> None:
        self.mock, self.mock_runner, base = await start_mock(config=MockConfig())
        env = {"SIDECAR_UPSTREAM_RETRIES": "0", "SIDECAR_UPSTREAM_BREAKER_FAILURES": "1000"}
        app = create_app(
            load_settings(None, env, upstream=base),
            registry=CollectorRegistry(),
            environ={},
            embedder=FakeEmbedder(),
            cache=self.cache,
            router=FakeRouter(),
        )
        self.app = app
        self.runner = SidecarRunner(app, handler_cancellation=True, **runner_kwargs(app))
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    def start(self) -> None:
        self.thread.start()
        if not self.ready.wait(30):
            raise AssertionError("live sidecar did not start")

    def stop(self) -> None:
        async def stop() -> None:
            await self.runner.cleanup()
            await self.mock_runner.cleanup()

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def alive(self) -> bool:
        return self.thread.is_alive() and self.loop.is_running()


@pytest.fixture(scope="module")
def live() -> Iterator[Live]:
    server = Live()
    server.start()
    yield server
    server.stop()


def send(
    live: Live, path: str, data: bytes, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """POST and read the whole answer (also a stream)."""
    req = urllib.request.Request(live.base + path, data=data, method="POST")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def check_answer(status: int, headers: dict[str, str], body: bytes) -> None:
    """2xx, or a 4xx whose body is the API's error object; never a 5xx."""
    assert status < 500, (status, body[:500])
    if status >= 400:
        assert headers.get("Content-Type", "").startswith("application/json"), headers
        err = json.loads(body)["error"]
        assert isinstance(err["message"], str) and err["message"]
        assert isinstance(err["type"], str)


def check_health(live: Live) -> None:
    """Up, ready, and every stored entry a whole, parseable, non-empty answer."""
    assert live.alive()
    with urllib.request.urlopen(live.base + "/readyz", timeout=10) as r:
        assert r.status == 200
    snapshot = asyncio.run_coroutine_threadsafe(_export(live), live.loop).result(10)
    assert len(snapshot) == live.cache.entries
    for entry in snapshot:
        answer = orjson.loads(entry.body)
        assert isinstance(answer, dict) and (
            answer.get("choices")
            or answer.get("data")
            or answer.get("output")
            or answer.get("content")
        )


async def _export(live: Live) -> list[Any]:
    return list(live.cache.export_snapshot().entries)


# -- hypothesis ------------------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
ROLES = st.sampled_from(["user", "system", "assistant", "tool", "developer", "", "USER"])
CONTENT = st.one_of(
    st.text(max_size=60),
    st.lists(
        st.fixed_dictionaries({"type": st.just("text"), "text": st.text(max_size=20)}), max_size=3
    ),
    JSON,
)
MESSAGE = st.one_of(
    st.fixed_dictionaries(
        {"role": ROLES, "content": CONTENT},
        optional={"name": st.text(max_size=10), "tool_calls": JSON},
    ),
    JSON,
)
BODY = st.fixed_dictionaries(
    {},
    optional={
        "model": st.one_of(st.sampled_from(["auto", "gpt-4o-mini", "gpt-4o", "nope"]), JSON),
        "messages": st.one_of(st.lists(MESSAGE, max_size=4), JSON),
        "prompt": st.one_of(st.text(max_size=40), JSON),
        "input": st.one_of(st.text(max_size=40), st.lists(st.text(max_size=10), max_size=3), JSON),
        "max_tokens": st.one_of(st.integers(-5, 50), JSON),
        "temperature": st.one_of(st.floats(-1, 3, allow_nan=False), JSON),
        "n": st.one_of(st.integers(-2, 3), JSON),
        "stream": st.one_of(st.booleans(), JSON),
        "stream_options": JSON,
        "response_format": JSON,
        "tools": JSON,
        "metadata": JSON,
        "user": JSON,
    },
)
HEADER_TEXT = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=30)
HEADERS = st.fixed_dictionaries(
    {},
    optional={
        "Authorization": HEADER_TEXT,
        "X-Tenant-Id": HEADER_TEXT,
        "X-Sidecar-Cache": st.sampled_from(["bypass", "BYPASS", "", "x"]) | HEADER_TEXT,
        "X-Sidecar-Threshold": st.sampled_from(["0.9", "nan", "inf", "-1", "1e9", ""])
        | HEADER_TEXT,
        "X-Sidecar-Tier": st.sampled_from(["small", "large", "huge", ""]) | HEADER_TEXT,
        "Cache-Control": st.sampled_from(
            ["no-cache", "no-store", "max-age=0", "max-age=99999999999999999999999"]
        )
        | HEADER_TEXT,
        "Content-Type": st.sampled_from(["application/json", "text/plain", "x/y"]),
        "X-Request-Id": HEADER_TEXT,
    },
)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(path=st.sampled_from(PATHS), body=BODY, headers=HEADERS)
def test_fuzzed_requests_never_5xx(live: Live, path: str, body: dict, headers: dict) -> None:
    """Hypothesis bodies and headers on every API path: 2xx or the API's 4xx, never a 5xx."""
    # The stdlib writes integers beyond 64 bits too (orjson would refuse them).
    check_answer(*send(live, path, json.dumps(body).encode(), headers))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=st.binary(max_size=200), path=st.sampled_from(PATHS))
def test_fuzzed_raw_bytes_never_5xx(live: Live, raw: bytes, path: str) -> None:
    """Arbitrary bytes as a body."""
    check_answer(*send(live, path, raw))


# -- the bad-input corpus --------------------------------------------------------------------

CHAT = b'{"model":"auto","messages":[{"role":"user","content":"hi"}]'
CORPUS: list[tuple[bytes, dict[str, str]]] = [
    (b"", {}),
    (b"not json", {}),
    (b"[]", {}),
    (b"null", {}),
    (b'"string"', {}),
    (b"{}", {}),
    (b'{"model":1,"messages":[]}', {}),
    (CHAT + b',"temperature":"hot"}', {}),
    (CHAT + b',"n":1e400}', {}),
    (CHAT + b',"n":-1}', {}),
    (CHAT + b',"stream":"yes"}', {}),
    (CHAT + b',"stream_options":[1,2]}', {}),
    (CHAT + b',"max_tokens":-5}', {}),
    (CHAT + b',"tools":"hammer"}', {}),
    (CHAT + b',"x":NaN}', {}),
    (CHAT + b',"x":1e999999}', {}),
    (b'{"model":"auto","messages":[{"role":"user","content":"\\ud800"}]}', {}),
    (b'{"model":"auto","messages":[{"role":"user","content":"\xff\xfe"}]}', {}),
    (b'{"model":"auto","messages":{"role":"user"}}', {}),
    (b'{"model":"auto","messages":[{"content":"no role"}]}', {}),
    (b'{"model":"auto","messages":[{"role":"user","content":12}]}', {}),
    (CHAT + b"," + b'"deep":' + b"[" * 300 + b"]" * 300 + b"}", {}),
    (CHAT + b"," + b'"deeper":' + b"[" * 2000 + b"]" * 2000 + b"}", {}),
    (CHAT + b"}", {"X-Sidecar-Threshold": "nan"}),
    (CHAT + b"}", {"X-Sidecar-Threshold": "-1"}),
    (CHAT + b"}", {"X-Sidecar-Tier": "huge"}),
    (CHAT + b"}", {"Cache-Control": "max-age=99999999999999999999999999"}),
    (CHAT + b"}", {"Cache-Control": "max-age=-1, no-cache"}),
    (CHAT + b"}", {"X-Tenant-Id": "\x7f\x01"}),
    (CHAT + b"}", {"Authorization": "Bearer " + "k" * 8000}),
    (CHAT + b"}", {"Content-Type": "text/plain"}),
    (CHAT + b"}" + b" " * 10 + b"trailing", {}),
]


@pytest.mark.parametrize("path", PATHS)
def test_bad_input_corpus(live: Live, path: str) -> None:
    """Each corpus entry on each path: 2xx or the API's 4xx; then the server is healthy."""
    for raw, headers in CORPUS:
        check_answer(*send(live, path, raw, headers))
    check_health(live)


def test_health_and_cache_after_fuzzing(live: Live) -> None:
    """After everything above (module order): up, ready, cache consistent; and it still serves."""
    check_health(live)
    status, _, body = send(
        live,
        "/v1/chat/completions",
        orjson.dumps({"model": "auto", "messages": [{"role": "user", "content": "still there?"}]}),
    )
    assert status == 200 and b"echo: still there?" in body
