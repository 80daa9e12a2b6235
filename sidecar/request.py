"""A validated proxied request: its cache scope and its per-request cache policy.

A dialect (``sidecar/dialects/``) reads the API-specific fields of a body into ``Fields``;
``build`` turns them into a ``ParsedRequest``. Scope = tenant + endpoint + requested model/alias
+ a hash of ``Fields.scoped``: everything in the body except the text matched fuzzily (the other
fields of that message, e.g. ``name``, stay) and the fields that cannot change the answer. So a
different system prompt, earlier turn, speaker, tool list, response_format or sampling parameter
is a different scope: it can never hit. The tenant is the caller's key, subdivided by
``X-Tenant-Id`` (replaced by it only with ``cache.trust_tenant_header``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import orjson

from sidecar.config_sections import CacheSettings
from sidecar.errors import BadRequest

# Fields that do not change the answer, left out of the scope hash (OpenAI dialects).
UNSCOPED = ("stream", "stream_options", "user", "metadata", "store", "service_tier")


class Endpoint(StrEnum):
    """The API a request came in through (a bounded label; part of the scope)."""

    CHAT = "chat"
    COMPLETIONS = "completions"
    EMBEDDINGS = "embeddings"
    RESPONSES = "responses"
    MESSAGES = "messages"


@dataclass(frozen=True, slots=True)
class Fields:
    """What a dialect reads from a request body."""

    model: str
    stream: bool
    text: str  # matched by the cache (fuzzily when `fuzzy`); "" when there is none
    fuzzy: bool  # semantic matching allowed (a plain-text last user turn)
    scoped: dict[str, Any]  # must match exactly: the body without `text` and unscoped fields
    include_usage: bool = False  # a streaming client asked for the usage chunk
    wants_json: bool = False  # a JSON response format was requested
    n: int | None = None
    temperature: float | None = None
    # The body to forward when the dialect rewrote it (e.g. expanded server-side state).
    body: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Policy:
    """What the cache may do for this request."""

    lookup: bool
    store: bool
    semantic: bool  # fuzzy matching allowed (chat/completions with a plain-text last user turn)
    max_age: float | None = None
    threshold: float | None = None


@dataclass(frozen=True, slots=True)
class ParsedRequest:
    """A validated request with its scope, cache text and policy."""

    endpoint: Endpoint
    body: dict[str, Any]
    model: str
    stream: bool
    include_usage: bool
    text: str  # the text matched by the cache; "" when there is none
    scope: str
    policy: Policy
    wants_json: bool
    credential: str = ""  # hash of the client's own key (who owns server-side state)


def decode(raw: bytes) -> dict[str, Any]:
    """The JSON object in ``raw``; BadRequest when it is not one."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"request body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise BadRequest("request body must be a JSON object")
    return body


def build(
    endpoint: Endpoint,
    body: dict[str, Any],
    fields: Fields,
    headers: Mapping[str, str],
    cfg: CacheSettings,
) -> ParsedRequest:
    """The request with its scope and policy, from what its dialect read."""
    return ParsedRequest(
        endpoint=endpoint,
        body=body if fields.body is None else fields.body,
        model=fields.model,
        stream=fields.stream,
        include_usage=fields.include_usage,
        text=fields.text,
        scope=scope_of(
            tenant_of(headers, trust_header=cfg.trust_tenant_header),
            endpoint,
            fields.model,
            fields.scoped,
            unscoped=[v for k, v in body.items() if k not in fields.scoped],
        ),
        policy=policy_for(fields, headers, cfg),
        wants_json=fields.wants_json,
        credential=credential_of(headers),
    )


def field(
    body: dict[str, Any], name: str, types: type | tuple[type, ...], *, required: bool = False
) -> Any:
    """``body[name]`` checked against ``types`` (None when absent and not required)."""
    value = body.get(name)
    if value is None:
        if required:
            raise BadRequest(f"missing required field '{name}'", param=name)
        return None
    if not has_type(value, types):
        raise BadRequest(f"'{name}' has the wrong type ({type(value).__name__})", param=name)
    return value


def has_type(value: Any, types: type | tuple[type, ...]) -> bool:
    """``isinstance`` for JSON fields, where a boolean is never a valid number."""
    # bool is an int in Python; only a field that asks for bool accepts one.
    return isinstance(value, types) and (not isinstance(value, bool) or bool in _tuple(types))


def _tuple(types: type | tuple[type, ...]) -> tuple[type, ...]:
    return types if isinstance(types, tuple) else (types,)


def tenant_of(headers: Mapping[str, str], *, trust_header: bool = False) -> str:
    """Tenant id: a hash of the Authorization key (or ``anon``), subdivided by X-Tenant-Id.

    The header only ever narrows a key's space, so nobody reads another key's entries by naming
    its tenant; with ``trust_header`` (an app that authenticates users and sets the header
    itself) the header alone is the tenant, shared across keys.
    """
    tenant = headers.get("X-Tenant-Id")
    if tenant and trust_header:
        return "t:" + _digest(tenant)
    auth = _bearer(headers)
    key = "k:" + _digest(auth) if auth else "anon"
    return f"{key}/t:{_digest(tenant)}" if tenant else key


def _bearer(headers: Mapping[str, str]) -> str:
    """The client's key as an ``Authorization`` value (``x-api-key: K`` = ``Bearer K``)."""
    if auth := headers.get("Authorization"):
        return auth
    return f"Bearer {key}" if (key := headers.get("x-api-key")) else ""


def credential_of(headers: Mapping[str, str]) -> str:
    """A hash of the client's own key (``Authorization`` or ``x-api-key``); "" without one.

    ``X-Tenant-Id`` never changes it, trusted or not: it names who owns server-side state.
    """
    key = _bearer(headers)
    return _digest(key)[:32] if key else ""


def _digest(value: str) -> str:
    # surrogateescape: header values are latin-1 decoded by aiohttp but may be anything.
    return hashlib.sha256(value.encode("utf-8", "surrogateescape")).hexdigest()


def scope_of(
    tenant: str,
    endpoint: str,
    model: str,
    scoped: dict[str, Any],
    *,
    unscoped: list[Any] | None = None,
) -> str:
    """Hash of everything that must match exactly for a cached answer to be reusable.

    ``unscoped`` (the rest of the body) is not hashed but must serialize too: it is forwarded.
    """
    h = hashlib.blake2b(digest_size=16)
    for part in (tenant, endpoint, model):
        h.update(part.encode())
        h.update(b"\x00")
    try:
        h.update(orjson.dumps(scoped, option=orjson.OPT_SORT_KEYS))
        orjson.dumps(unscoped or [])
    except orjson.JSONEncodeError as exc:
        # orjson writes at most 254 levels (it reads up to 1,024): such a body can be neither
        # hashed nor forwarded, so it is the client's error, never a 500.
        raise BadRequest(f"request body cannot be processed: {exc}") from exc
    return h.hexdigest()


_MAX_AGE = re.compile(r"max-age\s*=\s*(\d+)")


def policy_for(fields: Fields, headers: Mapping[str, str], cfg: CacheSettings) -> Policy:
    """Per-request cache policy from config, the body's fields and headers."""
    if not cfg.enabled or headers.get("X-Sidecar-Cache", "").strip().lower() == "bypass":
        return Policy(False, False, False)
    if len(fields.text) > cfg.max_text_chars:
        # Normalizing, guarding and verifying megabytes of text runs on the event loop: such a
        # prompt bypasses the cache (it is still routed and forwarded).
        return Policy(False, False, False)
    threshold = _header_threshold(headers.get("X-Sidecar-Threshold"), cfg)
    control = headers.get("Cache-Control", "").lower()
    lookup, store = "no-cache" not in control, "no-store" not in control
    max_age = None
    if m := _MAX_AGE.search(control):
        max_age = float(m.group(1))
        lookup = lookup and max_age > 0
    if fields.n not in (None, 1):
        lookup, store = False, False
    elif fields.temperature is not None and fields.temperature > cfg.max_temperature:
        # An absent temperature is cacheable: the app did not ask for variety.
        lookup, store = False, False
    return Policy(lookup, store, fields.fuzzy, max_age, threshold)


def _header_threshold(raw: str | None, cfg: CacheSettings) -> float | None:
    """The ``X-Sidecar-Threshold`` header, checked against the configured bounds."""
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise BadRequest("X-Sidecar-Threshold must be a number") from None
    if not cfg.threshold_min <= value <= cfg.threshold_max:
        raise BadRequest(
            f"X-Sidecar-Threshold must be within [{cfg.threshold_min}, {cfg.threshold_max}]"
        )
    return value
