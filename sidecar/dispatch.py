"""One upstream call for an exchange: which deployments to try, and sending to them.

Targets come from the route (a routed request: its tier, then the tiers above), from the
model name (a configured model: its deployments), or the default tier's deployments with the
client's model name kept (a model the config does not know). ``UpstreamClient.send`` does the
retries, fallbacks and breakers; this module renders the body per target and records the
time spent waiting and the tier and model that answered.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from sidecar.confidence import adds_logprobs, request_logprobs
from sidecar.deps import Deps
from sidecar.exchange import Exchange
from sidecar.target import Reply, Target

log = logging.getLogger("sidecar.dispatch")


@dataclass(frozen=True, slots=True)
class Plan:
    """Deployments to try in order, and whether the client's model name is sent unchanged."""

    targets: list[Target]
    keep_model: bool = False


def plan(x: Exchange, deps: Deps) -> Plan:
    """Where this request's miss may go."""
    up, api = deps.upstream, x.dialect.api  # only deployments that speak the request's API
    if x.route.routed:
        # A tier with no deployment of this API is skipped upward, else the nearest below.
        return Plan(up.targets(x.route.rank, api=api) or up.targets(0, api=api)[::-1])
    if up.serves(x.req.model, api):
        return Plan(up.targets(0, model=x.req.model, api=api))
    # A model the config does not know goes to the default tier's deployments unchanged.
    default = x.settings.tier_rank(x.settings.routing.default_tier)
    return Plan(
        [t for t in up.targets(default, api=api) if t.tier_rank == default], keep_model=True
    )


async def send(x: Exchange, deps: Deps, plan: Plan) -> Reply:
    """Send the request to the first target that answers; record time, tier and model.

    A 400 from a deployment that was sent a ``stream_options`` the client did not send (the
    sidecar asks streams for their usage chunk) is retried once without it; if that works, the
    deployment is not asked again until restart. The client never gets an error for a field it
    did not send.
    """
    t0 = time.perf_counter()
    up = deps.upstream
    try:
        reply = await up.send(
            x.dialect.upstream_path,
            _renderer(x, plan.keep_model, up.no_stream_usage),
            x.http.headers,
            plan.targets,
            stream=x.req.stream,
        )
        if reply.status == 400 and _injected(x, reply.target):
            label = reply.target.label
            plain = await up.send(
                x.dialect.upstream_path,
                _renderer(x, plan.keep_model, {*up.no_stream_usage, label}),
                x.http.headers,
                [reply.target],
                stream=x.req.stream,
            )
            if plain.status != 400:  # it was the field: don't send it there again
                up.no_stream_usage.add(label)
                log.warning("%s refused stream_options; streams there go without usage", label)
            reply = plain
    finally:
        x.out.upstream_seconds += time.perf_counter() - t0
    x.out.upstream_status = reply.status
    x.out.tier, x.out.model = reply.target.tier or None, reply.target.deployment.model
    if plan.keep_model:
        x.out.model = x.req.model
    return reply


def _injected(x: Exchange, target: Target) -> bool:
    """Did the body sent to ``target`` carry a ``stream_options`` the client did not send?"""
    if not x.req.stream or not target.deployment.stream_usage:
        return False
    sent = x.dialect.upstream_body(x.req).get("stream_options")
    return sent is not None and sent != x.req.body.get("stream_options")


def _client_stream_options(body: dict[str, Any], client: dict[str, Any]) -> dict[str, Any]:
    """``body`` with the client's own ``stream_options`` (or none), not the injected one."""
    out = {k: v for k, v in body.items() if k != "stream_options"}
    if "stream_options" in client:
        out["stream_options"] = client["stream_options"]
    return out


def _renderer(x: Exchange, keep_model: bool, no_usage: set[str]) -> Callable[[Target], bytes]:
    """The body for each target: the dialect's upstream body with that target's model; the
    client's own ``stream_options`` for deployments that must not be asked for usage."""
    body = x.dialect.upstream_body(x.req)
    # A low-confidence tier also gets asked for logprobs (forward strips them again).
    probed = request_logprobs(body, x.dialect.endpoint) or body

    def render(target: Target) -> bytes:
        model = x.req.model if keep_model else target.deployment.model
        chosen = probed if adds_logprobs(x, target.tier_rank) else body
        if not target.deployment.stream_usage or target.label in no_usage:
            chosen = _client_stream_options(chosen, x.req.body)
        return orjson.dumps({**chosen, "model": model})

    return render


def parse_answer(reply: Reply) -> dict[str, Any] | None:
    """The parsed 200 body, or None (errors and non-JSON bodies are never cached)."""
    if reply.answer is not None:
        return reply.answer
    if reply.status != 200 or not reply.body:
        return None
    try:
        answer = orjson.loads(reply.body)
    except orjson.JSONDecodeError:
        return None
    return answer if isinstance(answer, dict) else None
