"""Shared fixtures: the bundled mock upstream on a free port, fakes for the model seams, and a
factory that builds a sidecar (real aiohttp server on 127.0.0.1) in front of the mock."""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import numpy as np
import pytest
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry

from cache.store import SemanticCache
from sidecar.app import DEPS, create_app
from sidecar.config import Settings, load_settings
from sidecar.deps import Deps
from sidecar.mock_upstream import MockConfig, MockUpstream, start_mock
from sidecar.server import SidecarRunner, runner_kwargs


class SidecarTestServer(TestServer):
    """A TestServer serving through the production runner (header deadline, JSON 400s)."""

    async def _make_runner(self, **kwargs: Any) -> SidecarRunner:
        return SidecarRunner(self.app, **{**runner_kwargs(self.app), **kwargs})


# Where the exported model lives when it is not in cache/_model (read by the config loader).
MODEL_ENV = {k: os.environ[k] for k in ("SIDECAR_MODEL_DIR",) if os.environ.get(k)}


class FakeEmbedder:
    """Deterministic bag-of-words vectors: shared words -> high cosine. Counts calls."""

    dim = 384

    def __init__(self) -> None:
        self.calls = 0

    def vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float32)
        for word in re.findall(r"\w+", text.lower()):
            h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "little")
            vec[h % self.dim] += 1.0
        norm = float(np.linalg.norm(vec))
        return vec / norm if norm else vec

    async def embed(self, text: str) -> np.ndarray:
        self.calls += 1
        return self.vector(text)


class FakeRouter:
    """Score from prompt length: short -> cheap tier. Can be told to fail."""

    thresholds = (0.3, 0.7)

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail

    def score(self, vec: np.ndarray, text: str) -> float:
        if self.fail:
            raise RuntimeError("classifier exploded")
        return min(1.0, len(text) / 200.0)


class AcceptAll:
    cosine_threshold = 0.95

    def accept(self, *args: Any) -> bool:
        return True


@pytest.fixture
async def mock() -> AsyncIterator[MockUpstream]:
    m, runner, base = await start_mock(config=MockConfig())
    m.base_url = base  # type: ignore[attr-defined]
    yield m
    await runner.cleanup()


Factory = Callable[..., Awaitable[TestClient]]


@pytest.fixture
async def sidecar(mock: MockUpstream) -> AsyncIterator[Factory]:
    """Build sidecars in front of ``mock``: ``await sidecar(env={...}, cache=..., router=...)``."""
    clients: list[TestClient] = []

    async def make(
        *,
        env: dict[str, str] | None = None,
        config: str | None = None,
        embedder: Any = "fake",
        cache: Any = "fake",
        router: Any = "fake",
        upstream: str | None = None,
        environ: dict[str, str] | None = None,
        point_at_mock: bool = True,
    ) -> TestClient:
        if point_at_mock:
            upstream = upstream or mock.base_url  # type: ignore[attr-defined]
        env = {**MODEL_ENV, **(env or {})}
        settings = load_settings(config, env, upstream=upstream)
        app = create_app(
            settings,
            registry=CollectorRegistry(),
            environ=environ or {},
            embedder=FakeEmbedder() if embedder == "fake" else embedder,
            cache=SemanticCache(verifier=AcceptAll()) if cache == "fake" else cache,
            router=FakeRouter() if router == "fake" else router,
        )
        client = TestClient(SidecarTestServer(app, host="127.0.0.1", handler_cancellation=True))
        await client.start_server()
        clients.append(client)
        return client

    yield make
    for c in clients:
        await c.close()


def deps_of(client: TestClient) -> Deps:
    """The running app's dependencies."""
    return client.server.app[DEPS]


def chat(text: str, **extra: Any) -> dict[str, Any]:
    """A chat request body for the routing alias."""
    return {"model": "auto", "messages": [{"role": "user", "content": text}], **extra}


def metric(client: TestClient, name: str, labels: dict[str, str] | None = None) -> float:
    """Current value of a metric sample in the app's registry (0 if absent)."""
    value = deps_of(client).metrics.registry.get_sample_value(name, labels or {})
    return value or 0.0


@pytest.fixture
def fast_settings() -> Settings:
    return load_settings(None, {})


@pytest.fixture(autouse=True)
def _quiet_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
