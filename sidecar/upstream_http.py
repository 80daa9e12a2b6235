"""One HTTP exchange with one deployment: the pooled session, headers, timeouts, error mapping.

Contract:
- ``new_session``: the app's single pooled ``ClientSession`` (connector limits from config;
  timeouts are set per request).
- ``headers_for``: what an upstream may see of the client's headers, plus the deployment's own
  key (``x-api-key`` for Anthropic, a bearer token for OpenAI); the client's credentials only to
  a deployment with ``forward_client_key`` and no key of its own.
- ``post``: one attempt. A 200 stream is returned open (the caller owns it); any other answer
  is read whole and judged by ``sidecar.answer_check.judge``. Connect errors, timeouts and
  undecodable bodies raise ``Retryable``; the retry policy is ``sidecar/upstream.py``'s.
- ``request``: one ``GET``/``DELETE`` of an id-based resource, no retries.
- ``iter_chunks``: a stream's bytes as they arrive.
All aiohttp and timeout exceptions are translated here and nowhere else.

Compression: answers are decoded here whatever their ``Content-Encoding`` (gzip, deflate, br),
so caching, billing and escalation always see plain JSON and the client gets it decoded.
Non-streamed calls ask for ``gzip, deflate`` (less to carry from a remote provider); streams ask
for ``identity`` (a compressing proxy may buffer events and delay the first token).
"""

from __future__ import annotations

import io
import time
from collections.abc import AsyncIterator, Mapping

import aiohttp
from multidict import CIMultiDict

from sidecar.answer_check import Retryable, is_event_stream, json_object, judge
from sidecar.config_sections import Deployment, UpstreamSettings
from sidecar.errors import UpstreamStreamError, UpstreamTimeout, UpstreamUnavailable
from sidecar.metrics import Metrics
from sidecar.target import ErrorKind, Reply, Target

# The client's credentials: sent only to a deployment with ``forward_client_key`` and no key of
# its own; never to another provider's host by default.
CLIENT_KEY_HEADERS = ("authorization", "x-api-key", "openai-organization", "openai-project")
FORWARDED_HEADERS = ("openai-beta", "anthropic-version", "anthropic-beta")
PASSED_BACK_HEADERS = (
    "content-type",
    "openai-processing-ms",
    "x-ratelimit-remaining-requests",
    "x-ratelimit-remaining-tokens",
    "retry-after",
    "request-id",
)


def new_session(cfg: UpstreamSettings) -> aiohttp.ClientSession:
    """The app's single pooled session (timeouts are set per request)."""
    connector = aiohttp.TCPConnector(
        limit=cfg.max_connections,
        limit_per_host=cfg.max_connections_per_host,
        ttl_dns_cache=300,
        enable_cleanup_closed=True,
    )
    return aiohttp.ClientSession(
        connector=connector,
        auto_decompress=True,  # see the module docstring: answers are always decoded here
        skip_auto_headers=("User-Agent",),
    )


def headers_for(
    headers: Mapping[str, str], dep: Deployment, keys: Mapping[str, str], *, stream: bool = False
) -> dict[str, str]:
    """The client's headers an upstream may see, with the deployment's own key if it has one
    (``x-api-key`` for Anthropic, a bearer token for OpenAI)."""
    out = {k: v for k, v in headers.items() if k.lower() in FORWARDED_HEADERS}
    key = keys.get(dep.api_key_env or "")
    if key:
        if dep.api == "anthropic":
            out["x-api-key"] = key
        else:
            out["Authorization"] = f"Bearer {key}"
    elif dep.forward_client_key:
        out.update((k, v) for k, v in headers.items() if k.lower() in CLIENT_KEY_HEADERS)
    out["Content-Type"] = "application/json"
    out["Accept-Encoding"] = "identity" if stream else "gzip, deflate"
    return out


def timeout_for(cfg: UpstreamSettings, dep: Deployment, stream: bool) -> aiohttp.ClientTimeout:
    """A stream has no total bound (only per-read); a whole answer has the deployment's."""
    return aiohttp.ClientTimeout(
        total=None if stream else dep.timeout_s,
        connect=cfg.connect_timeout_s,
        sock_read=min(cfg.read_timeout_s, dep.timeout_s),
    )


def _passed_back(resp: aiohttp.ClientResponse) -> CIMultiDict[str]:
    return CIMultiDict((k, v) for k, v in resp.headers.items() if k.lower() in PASSED_BACK_HEADERS)


async def post(
    session: aiohttp.ClientSession,
    path: str,
    body: bytes,
    headers: dict[str, str],
    target: Target,
    cfg: UpstreamSettings,
    metrics: Metrics,
    *,
    stream: bool,
) -> Reply:
    """One attempt at ``target``: a judged reply, or ``Retryable`` for a failure worth retrying."""
    url = target.deployment.base_url.rstrip("/") + path
    started = time.perf_counter()
    resp: aiohttp.ClientResponse | None = None
    try:
        resp = await session.post(
            url,
            # A fresh stream per attempt: aiohttp writes a large bytes body in one go
            # (and warns that it can block the loop); a BytesIO is written in chunks.
            data=io.BytesIO(body) if len(body) > 2**20 else body,
            headers=headers,
            timeout=timeout_for(cfg, target.deployment, stream),
        )
        ttfb = time.perf_counter() - started
        metrics.upstream_ttfb.observe(ttfb)
        out_headers = _passed_back(resp)
        if resp.status == 200 and stream and is_event_stream(resp):
            reply = Reply(200, out_headers, target, ttfb, stream=resp)
            resp = None  # ownership moves to the caller
            return reply
        data = await resp.read()
        reply = Reply(resp.status, out_headers, target, ttfb, body=data)
        if reply.status == 200:
            reply.answer = json_object(data)
    except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
        raise Retryable(ErrorKind.TIMEOUT) from exc
    except aiohttp.ClientPayloadError as exc:  # e.g. a body that does not decompress
        raise Retryable(ErrorKind.BAD_ANSWER) from exc
    except aiohttp.ClientError as exc:
        raise Retryable(ErrorKind.CONNECT) from exc
    finally:
        if resp is not None:
            resp.release()
    return judge(reply)


async def request(
    session: aiohttp.ClientSession,
    method: str,
    path: str,
    headers: dict[str, str],
    target: Target,
    connect_timeout_s: float,
) -> Reply:
    """One ``GET``/``DELETE`` of an id-based resource at ``target`` (no retries)."""
    dep = target.deployment
    url = dep.base_url.rstrip("/") + path
    timeout = aiohttp.ClientTimeout(total=dep.timeout_s, connect=connect_timeout_s)
    started = time.perf_counter()
    try:
        async with session.request(method, url, headers=headers, timeout=timeout) as resp:
            data = await resp.read()
            elapsed = time.perf_counter() - started
            return Reply(resp.status, _passed_back(resp), target, elapsed, body=data)
    except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
        raise UpstreamTimeout(f"{target.label} timed out") from exc
    except aiohttp.ClientError as exc:
        raise UpstreamUnavailable(f"{target.label} unreachable: {type(exc).__name__}") from exc


async def iter_chunks(stream: aiohttp.ClientResponse) -> AsyncIterator[bytes]:
    """Bytes of a streamed reply as they arrive; failures become ``UpstreamStreamError``."""
    try:
        async for data in stream.content.iter_any():
            yield data
    except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
        raise UpstreamStreamError("upstream stream stalled (read timeout)") from exc
    except aiohttp.ClientError as exc:
        raise UpstreamStreamError(f"upstream stream broke: {type(exc).__name__}") from exc
