"""Edges found by the independent review of 2026-11-29 (tried as a new user would).

Each test failed on main 03c8db6 with a 500 and passes after."""

from __future__ import annotations

import asyncio
import gzip

import orjson
import pytest

from tests.conftest import chat

PATHS = {
    "/v1/chat/completions": chat("what is in this body?"),
    "/v1/responses": {"model": "auto", "input": "what is in this body?"},
    "/v1/messages": {
        "model": "auto",
        "max_tokens": 16,
        "messages": [{"role": "user", "content": "what is in this body?"}],
    },
}


HEADERS = {"Content-Type": "application/json", "anthropic-version": "2023-06-01"}


def _shaped(path: str, body: dict) -> dict:
    """The error object in the API's own shape."""
    if path == "/v1/messages":
        assert body["type"] == "error"
        return body["error"]
    return body["error"]


async def _raw_post(
    port: int, path: str, body: bytes, headers: dict[str, str]
) -> tuple[int, bytes]:
    """One request on its own connection (aiohttp's client gives up on a connection the server
    closes right after answering, which is what the server does after a broken body)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "Connection: close\r\n\r\n"
    writer.write(head.encode() + body)
    data = await reader.read()
    writer.close()
    status_line, _, rest = data.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
@pytest.mark.parametrize("path", list(PATHS))
async def test_undecodable_content_encoding_is_a_clean_400(sidecar, path, encoding):
    """A body that does not decode as its Content-Encoding says is a 400 in the API's shape
    (was: aiohttp's RequestPayloadError escaped the handler as a 500)."""
    client = await sidecar()
    status, body = await _raw_post(
        client.server.port,
        path,
        b"\x00 definitely not compressed",
        {**HEADERS, "Content-Encoding": encoding},
    )
    assert status == 400, body
    err = _shaped(path, orjson.loads(body))
    assert "Content-Encoding" in err["message"]
    assert (await client.get("/healthz")).status == 200


@pytest.mark.parametrize("path", list(PATHS))
async def test_gzip_request_body_is_decoded(sidecar, path):
    """A correctly gzipped body is read like a plain one."""
    client = await sidecar()
    resp = await client.post(
        path,
        data=gzip.compress(orjson.dumps(PATHS[path])),
        headers={**HEADERS, "Content-Encoding": "gzip"},
    )
    assert resp.status == 200, await resp.text()


async def test_mock_reports_length_when_max_tokens_cuts_the_answer(sidecar):
    """The bundled mock said finish_reason "stop" for an echo cut by the client's max_tokens
    (OpenAI says "length"), so the sidecar's length handling was never exercised by it."""
    client = await sidecar()
    long = chat("one two three four five six seven eight", max_tokens=3)
    body = await (await client.post("/v1/chat/completions", json=long)).json()
    assert body["choices"][0]["finish_reason"] == "length"
    short = chat("one two", max_tokens=50)
    body = await (await client.post("/v1/chat/completions", json=short)).json()
    assert body["choices"][0]["finish_reason"] == "stop"
