"""Parse and validate a proxied request; derive its cache scope and per-request cache policy.

Only the fields the sidecar needs are checked; the body is otherwise forwarded as the client sent
it (with ``model`` rewritten). Scope = tenant + endpoint + requested model/alias + a hash of the
whole body except the *text* of the last user message (its ``name`` and other fields stay) and
fields that cannot change the answer (``stream``, ``stream_options``, ``user``). So a different
system prompt, earlier turn, speaker, tool list, response_format or sampling parameter is a
different scope: it can never hit. The tenant is the caller's key, subdivided by ``X-Tenant-Id``
(or replaced by it only with ``cache.trust_tenant_header``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from sidecar.config import CacheSettings
from sidecar.errors import BadRequest

ENDPOINTS = {
    "/v1/chat/completions": "chat",
    "/v1/completions": "completions",
    "/v1/embeddings": "embeddings",
}
# Fields that do not change the answer, left out of the scope hash.
UNSCOPED = ("stream", "stream_options", "user", "metadata", "store", "service_tier")


@dataclass(frozen=True, slots=True)
class Policy:
    """What the cache may do for this request."""

    lookup: bool
    store: bool
    semantic: bool  # fuzzy matching allowed (chat/completions with a plain-text last user turn)
    max_age: float | None = None
    threshold: float | None = None
    reason: str = ""  # why lookup/store is off, for logs

    @property
    def bypass(self) -> bool:
        """Neither read nor write: the answer header says ``bypass``."""
        return not self.lookup and not self.store


@dataclass(frozen=True, slots=True)
class ParsedRequest:
    """A validated request with its scope, cache text and policy."""

    endpoint: str
    body: dict[str, Any]
    model: str
    stream: bool
    include_usage: bool
    text: str  # the last user message (matched fuzzily); "" when there is none
    scope: str
    policy: Policy
    wants_json: bool


def parse(path: str, raw: bytes, headers: Mapping[str, str], cfg: CacheSettings) -> ParsedRequest:
    """Validate ``raw`` for endpoint ``path``; raise BadRequest naming the bad field."""
    endpoint = ENDPOINTS[path]
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"request body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise BadRequest("request body must be a JSON object")
    model = _field(body, "model", str, required=True)
    stream = bool(_field(body, "stream", bool) or False)
    if stream and endpoint == "embeddings":
        raise BadRequest("'stream' is not supported for embeddings", param="stream")
    _field(body, "temperature", (int, float))
    _field(body, "n", int)
    stream_options = _field(body, "stream_options", dict) or {}
    text, fuzzy = _last_user_text(endpoint, body)
    scope = scope_of(endpoint, body, model, headers, fuzzy, trust_tenant=cfg.trust_tenant_header)
    response_format = _field(body, "response_format", dict) or {}
    return ParsedRequest(
        endpoint=endpoint,
        body=body,
        model=model,
        stream=stream,
        include_usage=bool(stream_options.get("include_usage")),
        text=text,
        scope=scope,
        policy=policy_for(endpoint, body, headers, cfg, fuzzy),
        wants_json=response_format.get("type") in ("json_object", "json_schema"),
    )


def _field(
    body: dict[str, Any], name: str, types: type | tuple[type, ...], *, required: bool = False
) -> Any:
    value = body.get(name)
    if value is None:
        if required:
            raise BadRequest(f"missing required field '{name}'", param=name)
        return None
    # bool is an int in Python; a boolean is never a valid number here.
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in _tuple(types)):
        raise BadRequest(f"'{name}' has the wrong type ({type(value).__name__})", param=name)
    return value


def _tuple(types: type | tuple[type, ...]) -> tuple[type, ...]:
    return types if isinstance(types, tuple) else (types,)


def _last_user_text(endpoint: str, body: dict[str, Any]) -> tuple[str, bool]:
    """The text matched fuzzily and whether fuzzy matching is allowed at all."""
    if endpoint == "chat":
        messages = _field(body, "messages", list, required=True)
        if not messages:
            raise BadRequest("'messages' must be a non-empty list", param="messages")
        for i, msg in enumerate(messages):
            if not isinstance(msg, dict) or not isinstance(msg.get("role"), str):
                raise BadRequest(
                    f"messages[{i}] must be an object with a string 'role'", param=f"messages[{i}]"
                )
        last = messages[-1]
        text = _plain_text(last.get("content")) if last["role"] == "user" else None
        return (text, True) if text else ("", False)
    if endpoint == "completions":
        prompt = body.get("prompt")
        if prompt is None:
            raise BadRequest("missing required field 'prompt'", param="prompt")
        if not isinstance(prompt, str | list):
            raise BadRequest("'prompt' must be a string or a list", param="prompt")
        return (prompt, True) if isinstance(prompt, str) and prompt else ("", False)
    inputs = body.get("input")
    if not isinstance(inputs, str | list) or not inputs:
        raise BadRequest("'input' must be a non-empty string or list", param="input")
    return "", False  # embeddings are deterministic: exact caching only, never fuzzy


def _plain_text(content: Any) -> str | None:
    """Message text if it is plain text (a string or only text parts); else None."""
    if isinstance(content, str):
        return content
    if (
        isinstance(content, list)
        and content
        and all(
            isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str)
            for p in content
        )
    ):
        return "\n".join(p["text"] for p in content)
    return None


def tenant_of(headers: Mapping[str, str], *, trust_header: bool = False) -> str:
    """Tenant id: a hash of the Authorization key (or ``anon``), subdivided by X-Tenant-Id.

    The header only ever narrows a key's space, so nobody reads another key's entries by naming
    its tenant; with ``trust_header`` (an app that authenticates users and sets the header
    itself) the header alone is the tenant, shared across keys.
    """
    tenant = headers.get("X-Tenant-Id")
    if tenant and trust_header:
        return "t:" + _digest(tenant)
    auth = headers.get("Authorization")
    key = "k:" + _digest(auth) if auth else "anon"
    return f"{key}/t:{_digest(tenant)}" if tenant else key


def _digest(value: str) -> str:
    # surrogateescape: header values are latin-1 decoded by aiohttp but may be anything.
    return hashlib.sha256(value.encode("utf-8", "surrogateescape")).hexdigest()


def scope_of(
    endpoint: str,
    body: dict[str, Any],
    model: str,
    headers: Mapping[str, str],
    fuzzy: bool,
    *,
    trust_tenant: bool = False,
) -> str:
    """Hash of everything that must match exactly for a cached answer to be reusable.

    Only the matched text of the last message is left out: its other fields (``name``, ...) stay.
    """
    rest = {k: v for k, v in body.items() if k not in UNSCOPED}
    if fuzzy and endpoint == "chat":
        *earlier, last = rest["messages"]
        rest["messages"] = [*earlier, {k: v for k, v in last.items() if k != "content"}]
    elif fuzzy:
        rest.pop("prompt", None)
    h = hashlib.blake2b(digest_size=16)
    for part in (tenant_of(headers, trust_header=trust_tenant), endpoint, model):
        h.update(part.encode())
        h.update(b"\x00")
    try:
        h.update(orjson.dumps(rest, option=orjson.OPT_SORT_KEYS))
        orjson.dumps([body[k] for k in UNSCOPED if k in body])  # forwarded too: must serialize
    except orjson.JSONEncodeError as exc:
        # orjson serializes at most 254 levels (it parses up to 1,024): such a body can be
        # neither hashed nor forwarded, so it is the client's error, never a 500.
        raise BadRequest(f"request body cannot be processed: {exc}") from exc
    return h.hexdigest()


_MAX_AGE = re.compile(r"max-age\s*=\s*(\d+)")


def policy_for(
    endpoint: str, body: dict[str, Any], headers: Mapping[str, str], cfg: CacheSettings, fuzzy: bool
) -> Policy:
    """Per-request cache policy from config, body and headers."""
    if not cfg.enabled:
        return Policy(False, False, False, reason="disabled")
    if headers.get("X-Sidecar-Cache", "").strip().lower() == "bypass":
        return Policy(False, False, False, reason="bypass header")
    threshold = _threshold(headers.get("X-Sidecar-Threshold"), cfg)
    control = headers.get("Cache-Control", "").lower()
    lookup, store, reason = "no-cache" not in control, "no-store" not in control, ""
    max_age = None
    if m := _MAX_AGE.search(control):
        max_age = float(m.group(1))
        lookup = lookup and max_age > 0
    n = body.get("n")
    temperature = body.get("temperature")
    if n not in (None, 1):
        lookup, store, reason = False, False, "n > 1"
    elif temperature is not None and temperature > cfg.max_temperature:
        # An absent temperature is cacheable: the app did not ask for variety.
        lookup, store, reason = False, False, "temperature above bound"
    return Policy(lookup, store, fuzzy, max_age, threshold, reason)


def _threshold(raw: str | None, cfg: CacheSettings) -> float | None:
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
