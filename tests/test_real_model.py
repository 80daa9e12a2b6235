"""The shipped pieces together (real int8 MiniLM, trained verifier, trained router) behind the
proxy: paraphrases hit, near-misses and gibberish never do, routing headers are real scores."""

from __future__ import annotations

import asyncio
import random
import string

import pytest

from tests.conftest import chat

pytestmark = pytest.mark.model

SEEDS = [
    "How do I learn Python quickly?",
    "How many people live in Tokyo?",
    "Flights from New York to London",
    "Is 17 a prime number?",
    "Why is the sky blue?",
]
HITS = [
    ("What is the fastest way to learn Python?", SEEDS[0]),
    ("What is the population of Tokyo?", SEEDS[1]),
]
NEAR_MISSES = [
    "Flights from London to New York",
    "Is 21 a prime number?",
    "Why is the sky not blue?",
    "How do I learn Rust quickly?",
]


async def _ready(client) -> None:
    for _ in range(600):
        if (await client.get("/readyz")).status == 200:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("models did not load")


@pytest.mark.timeout(120)
async def test_real_models_behind_the_proxy(sidecar, mock):
    client = await sidecar(embedder=None, cache=None, router=None)
    await _ready(client)
    for seed in SEEDS:
        resp = await client.post("/v1/chat/completions", json=chat(seed))
        assert resp.headers["X-Sidecar-Cache"] == "miss"
        assert 0.0 <= float(resp.headers["X-Sidecar-Route-Score"]) <= 1.0
        assert resp.headers["X-Sidecar-Tier"] in ("small", "medium", "large")
    seeded = mock.count
    for query, origin in HITS:
        resp = await client.post("/v1/chat/completions", json=chat(query))
        assert resp.headers["X-Sidecar-Cache"] == "semantic", query
        assert f"echo: {origin}" in await resp.text()
    for query in NEAR_MISSES:
        resp = await client.post("/v1/chat/completions", json=chat(query))
        assert resp.headers["X-Sidecar-Cache"] == "miss", query
    rng = random.Random(7)
    for _ in range(30):
        junk = " ".join(
            "".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 9)))
            for _ in range(rng.randint(1, 6))
        )
        resp = await client.post("/v1/chat/completions", json=chat(junk))
        assert resp.headers["X-Sidecar-Cache"] in ("miss", "exact"), junk
    assert mock.count >= seeded + len(NEAR_MISSES)
