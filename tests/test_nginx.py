"""End to end through Debian's nginx (gzip on, chunked, short keep-alive) on both sides:

    openai SDK -> nginx -> sidecar -> nginx -> mock upstream

The upstream-side nginx gzips what the sidecar accepts compressed, as CDN-fronted providers do;
the client-side one gzips what the SDK accepts. JSON, SSE, errors and cache replays all pass.
"""

from __future__ import annotations

from urllib.parse import urlparse

import aiohttp
import openai
import pytest

from tests.conftest import chat, metric
from tests.nginx import Nginx, start_nginx

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
async def chain(sidecar, mock, tmp_path):
    """(sdk client, sidecar test client, upstream nginx, client nginx)."""
    mock_port = urlparse(mock.base_url).port
    up = start_nginx(tmp_path / "nginx-up", mock_port)
    client = await sidecar(upstream=up.base + "/v1")
    front = start_nginx(tmp_path / "nginx-front", client.port)
    sdk = openai.AsyncOpenAI(base_url=front.base + "/v1", api_key="sk-test", max_retries=0)
    try:
        yield sdk, client, up, front
    finally:
        await sdk.close()
        front.stop()
        up.stop()


async def test_upstream_nginx_really_gzips(chain, mock):
    """The fixture is what it claims: gzip from the upstream side when the client accepts it."""
    _, _, up, _ = chain
    async with aiohttp.ClientSession(auto_decompress=False) as s:
        async with s.post(
            up.base + "/v1/chat/completions",
            json=chat("compress me " * 20),
            headers={"Accept-Encoding": "gzip"},
        ) as r:
            assert r.status == 200
            assert r.headers.get("Content-Encoding") == "gzip"
            assert r.headers.get("Transfer-Encoding") == "chunked"


async def test_json_miss_then_exact_hit_through_nginx(chain, mock):
    """JSON: decoded (not relayed as gzip), billed, cached, replayed from cache."""
    sdk, client, _, _ = chain
    msgs = chat("Tell me about the moon " * 5)["messages"]
    first = await sdk.chat.completions.with_raw_response.create(model="auto", messages=msgs)
    answer = first.parse()
    assert answer.choices[0].message.content.startswith("echo: Tell me about the moon")
    assert first.headers["X-Sidecar-Cache"] == "miss"
    assert mock.headers[-1]["Accept-Encoding"] == "gzip, deflate"  # nginx then gzips
    assert metric(client, "sidecar_tokens_total", {"model": answer.model, "direction": "out"}) > 0
    again = await sdk.chat.completions.with_raw_response.create(model="auto", messages=msgs)
    assert again.headers["X-Sidecar-Cache"] == "exact"
    assert again.parse().choices[0].message.content == answer.choices[0].message.content
    assert mock.count == 1


async def _streamed(sdk: openai.AsyncOpenAI, text: str, **extra) -> tuple[str, object]:
    parts, usage = [], None
    stream = await sdk.chat.completions.create(
        model="auto", messages=chat(text)["messages"], stream=True, **extra
    )
    async for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            parts.append(chunk.choices[0].delta.content)
        usage = chunk.usage or usage
    return "".join(parts), usage


async def test_sse_miss_then_replay_through_nginx(chain, mock):
    """SSE: relayed event by event through both proxies, stored, replayed to a new stream."""
    sdk, _, _, _ = chain
    text, usage = await _streamed(sdk, "stream the sea please")
    assert text == "echo: stream the sea please" and usage is None
    replayed, usage = await _streamed(
        sdk, "stream the sea please", stream_options={"include_usage": True}
    )
    assert replayed == text and usage is not None and usage.completion_tokens > 0
    assert mock.count == 1


@pytest.mark.parametrize("shape", ["sse_crlf", "sse_keepalive", "sse_nospace", "gzip", "br"])
async def test_provider_shapes_through_nginx(chain, mock, shape):
    """Real shapes and transports survive two proxies and are cached."""
    sdk, _, _, _ = chain
    mock.push(shape)
    text, _ = await _streamed(sdk, f"shape {shape}")
    assert text == f"echo: shape {shape}"
    raw = await sdk.chat.completions.with_raw_response.create(
        model="auto", messages=chat(f"shape {shape}")["messages"]
    )
    assert raw.headers["X-Sidecar-Cache"] == "exact"


async def test_errors_through_nginx(chain, mock):
    """A 400 passes through in OpenAI's shape; an upstream outage is a 502 the SDK reads."""
    sdk, _, _, _ = chain
    mock.push("400")
    with pytest.raises(openai.BadRequestError) as bad:
        await sdk.chat.completions.create(model="auto", messages=chat("bad")["messages"])
    assert "mock bad request" in str(bad.value)
    mock.push(*["html"] * 3)  # a CDN error page with status 200, three times
    with pytest.raises(openai.APIStatusError) as down:
        await sdk.chat.completions.create(model="gpt-4o-mini", messages=chat("down")["messages"])
    assert down.value.status_code == 502
    assert down.value.body["type"] == "upstream_error"  # type: ignore[index]


async def test_nginx_stops_by_pid(tmp_path, mock):
    """The fixture's nginx exits when stopped (nothing left listening)."""
    proxy: Nginx = start_nginx(tmp_path / "n", urlparse(mock.base_url).port)
    proxy.stop()
    assert proxy.popen.returncode is not None
    with pytest.raises(aiohttp.ClientConnectionError):
        async with aiohttp.ClientSession() as s:
            await s.get(proxy.base + "/mock/stats")
