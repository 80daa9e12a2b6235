"""Protocol edges, scoping and key handling from issue 13 (items 4, 8, 17, 18, 19).

Each test names the item it covers; each failed on the main of 2026-11-29 (49095d5).
"""

from __future__ import annotations

import orjson
import pytest

from sidecar.sse import EventSplitter, event_data
from tests.conftest import chat


def _nested(depth: int) -> str:
    """JSON text nested ``depth`` objects deep (orjson itself cannot write past 254)."""
    return '{"x":' * depth + '"leaf"' + "}" * depth


# -- item 4: SSE parsing --------------------------------------------------------------------


CRLF_STREAM = b'data: {"a": 1}\r\n\r\ndata: {"b": 2}\r\n\r\n'


@pytest.mark.parametrize("cut", range(1, len(CRLF_STREAM)))
def test_crlf_split_across_reads_does_not_merge_events(cut):
    """Item 4: wherever the stream is cut (also between CR and LF), two events come out."""
    splitter = EventSplitter()
    events = splitter.feed(CRLF_STREAM[:cut]) + splitter.feed(CRLF_STREAM[cut:])
    assert [event_data(e) for e in events] == [b'{"a": 1}', b'{"b": 2}']
    assert splitter.rest() == b""


def test_lone_cr_line_ends_and_comments_are_events():
    """Item 4: lone CR line ends (valid SSE) split events; comments pass as data-less events."""
    splitter = EventSplitter()
    events = []
    for byte in b': keep-alive\r\rdata:{"a":1}\r\rdata: [DONE]\r\r':
        events += splitter.feed(bytes([byte]))
    assert [event_data(e) for e in events] == [None, b'{"a":1}', b"[DONE]"]


# -- item 8: deep nesting -------------------------------------------------------------------


@pytest.mark.parametrize("depth", [254, 300, 600, 1022])
@pytest.mark.parametrize("where", ["response_format", "metadata", "message"])
async def test_deeply_nested_json_is_a_clean_400(sidecar, mock, depth, where):
    """Item 8: JSON nested 254-1,023 levels deep is a 400 in OpenAI's shape, never a 500."""
    client = await sidecar()
    deep = _nested(depth)
    if where == "message":
        raw = '{"model":"auto","messages":[{"role":"system","content":"x","extra":' + deep + "},"
        raw += '{"role":"user","content":"deep"}]}'
    else:
        raw = orjson.dumps(chat("deep")).decode()[:-1] + f',"{where}":{deep}}}'
    resp = await client.post("/v1/chat/completions", data=raw.encode())
    assert resp.status in (200, 400), await resp.text()
    if resp.status == 400:
        err = (await resp.json())["error"]
        assert err["type"] == "invalid_request_error" and err["message"]
    assert (await client.get("/healthz")).status == 200


async def test_too_deep_to_parse_is_a_clean_400(sidecar):
    """Item 8: beyond the parser's limit too."""
    client = await sidecar()
    raw = b'{"model":"auto","messages":[{"role":"user","content":"x"}],"m":' + b"[" * 5000
    raw += b"]" * 5000 + b"}"
    resp = await client.post("/v1/chat/completions", data=raw)
    assert resp.status == 400
    assert (await resp.json())["error"]["type"] == "invalid_request_error"


# -- item 17: name of the last message is in the scope --------------------------------------


async def test_name_of_last_user_message_is_in_scope(sidecar, mock):
    """Item 17: Bob never gets the answer cached for Alice's identical question."""
    client = await sidecar()

    def ask(name: str) -> dict:
        return {
            "model": "auto",
            "messages": [{"role": "user", "name": name, "content": "What is my name?"}],
        }

    first = await client.post("/v1/chat/completions", json=ask("alice"))
    again = await client.post("/v1/chat/completions", json=ask("alice"))
    bob = await client.post("/v1/chat/completions", json=ask("bob"))
    assert first.headers["X-Sidecar-Cache"] == "miss"
    assert again.headers["X-Sidecar-Cache"] == "exact"
    assert bob.headers["X-Sidecar-Cache"] == "miss"
    assert mock.count == 2
    assert mock.requests[-1]["messages"][-1]["name"] == "bob"


# -- item 18: X-Tenant-Id subdivides a key's space unless trusted ---------------------------


async def _post(client, key: str | None, tenant: str | None, text: str = "shared question"):
    headers = {}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    if tenant:
        headers["X-Tenant-Id"] = tenant
    resp = await client.post("/v1/chat/completions", json=chat(text), headers=headers)
    assert resp.status == 200
    return resp.headers["X-Sidecar-Cache"]


async def test_tenant_header_only_subdivides_a_key_by_default(sidecar, mock):
    """Item 18 (default mode): naming another key's tenant, or no key at all, never hits."""
    client = await sidecar()
    assert await _post(client, "key-1", "acme") == "miss"
    assert await _post(client, "key-1", "acme") == "exact"
    assert await _post(client, "key-2", "acme") == "miss"  # same header, other key
    assert await _post(client, None, "acme") == "miss"  # same header, no key
    assert await _post(client, "key-1", "other") == "miss"  # same key, other tenant
    assert await _post(client, "key-1", None) == "miss"  # the key's own space is separate
    assert mock.count == 5


async def test_trusted_tenant_header_replaces_the_key(sidecar, mock):
    """Item 18 (trusted mode): an authenticating app in front sets the header; keys don't count."""
    client = await sidecar(env={"SIDECAR_CACHE_TRUST_TENANT_HEADER": "true"})
    assert await _post(client, "key-1", "acme") == "miss"
    assert await _post(client, "key-2", "acme") == "exact"
    assert await _post(client, None, "acme") == "exact"
    assert await _post(client, "key-1", "other") == "miss"
    assert mock.count == 2


# -- item 19: client key forwarded only where configured ------------------------------------


def _two_hosts(mock_url: str, other_url: str, forward: bool) -> str:
    return f"""
tiers:
  - name: small
    deployments:
      - {{base_url: "{mock_url}", model: m-own-key, api_key_env: OWN_KEY}}
  - name: large
    deployments:
      - {{base_url: "{other_url}", model: m-other, forward_client_key: {str(forward).lower()}}}
routing: {{default_tier: small}}
"""


@pytest.mark.parametrize("forward", [False, True])
async def test_client_key_goes_only_where_configured(sidecar, mock, tmp_path, forward):
    """Item 19: a deployment without its own key gets the client's key only if told to."""
    cfg = tmp_path / "c.yaml"
    # Both point at the mock (one host here) but stand for two providers.
    other = mock.base_url.replace("127.0.0.1", "localhost")
    cfg.write_text(_two_hosts(mock.base_url, other, forward))
    client = await sidecar(
        config=str(cfg), environ={"OWN_KEY": "provider-key"}, point_at_mock=False
    )
    headers = {
        "Authorization": "Bearer sk-client-key",
        "OpenAI-Organization": "org-client",
        "X-Sidecar-Cache": "bypass",
    }
    for model in ("m-own-key", "m-other"):
        body = {"model": model, "messages": [{"role": "user", "content": "hi"}]}
        resp = await client.post("/v1/chat/completions", json=body, headers=headers)
        assert resp.status == 200
    own, other = mock.headers[-2], mock.headers[-1]
    assert own["Authorization"] == "Bearer provider-key"
    assert "OpenAI-Organization" not in own
    if forward:
        assert other["Authorization"] == "Bearer sk-client-key"
        assert other["OpenAI-Organization"] == "org-client"
    else:
        assert "Authorization" not in other and "OpenAI-Organization" not in other
