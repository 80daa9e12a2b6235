"""A miss goes upstream: send to the planned targets, cascade once if the answer fails its
check, and answer the client (JSON here, streams in ``sidecar.relay``). Returns the response
and the complete answer (if any) for the pipeline's store step.
"""

from __future__ import annotations

from aiohttp import web

from sidecar.billing import account
from sidecar.caching import Answer
from sidecar.cascade import cascade
from sidecar.confidence import adds_logprobs, strip_body
from sidecar.deps import Deps
from sidecar.dispatch import parse_answer, plan, send
from sidecar.exchange import Exchange
from sidecar.relay import relay
from sidecar.reply import json_response


async def forward(x: Exchange, deps: Deps) -> tuple[web.StreamResponse, Answer | None]:
    """Send the miss upstream and answer the client; returns (response, answer or None)."""
    reply = await send(x, deps, plan(x, deps))
    if reply.stream is not None:
        return await relay(x, deps, reply, reply.stream)
    reply = await cascade(x, deps, reply)
    if reply.body and reply.status == 200 and adds_logprobs(x, reply.target.tier_rank):
        reply.body = strip_body(reply.body)  # the client never asked for them
    body = reply.body or b""
    headers = {
        **{k: v for k, v in reply.headers.items() if k.lower() != "content-type"},
        **x.out.headers(),
    }
    response = json_response(body, reply.status, headers)
    parsed = parse_answer(reply)
    if parsed is None:
        return response, None
    usage = x.dialect.usage(parsed)
    failure = x.dialect.escalation(parsed, x.req)
    cost = account(deps.metrics, deps.upstream.scorecard, reply.target, usage, failure)
    return response, Answer(body, parsed, reply.target, usage, cost)
