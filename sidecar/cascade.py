"""The cascade: a cheap tier's answer that fails its dialect's check goes once to the next tier.

Only routed requests on a tier with ``escalate: true`` (the dialect's check: refusal, empty,
truncated, invalid JSON) or ``escalate_on_low_confidence: true`` (the answer's mean token
logprob under ``confidence_threshold``; logprobs are asked for by ``dispatch`` and stripped by
``forward``) that has a tier above it, and only non-streamed 200 answers. The first answer is
paid for all the same; if the next tier fails or answers non-200, the first answer is kept.
"""

from __future__ import annotations

import logging
from typing import Any

from sidecar.billing import account
from sidecar.confidence import checks_confidence, confidence
from sidecar.deps import Deps
from sidecar.dispatch import Plan, parse_answer, send
from sidecar.exchange import Exchange
from sidecar.target import Reply

log = logging.getLogger("sidecar.cascade")


async def cascade(x: Exchange, deps: Deps, reply: Reply) -> Reply:
    """The reply to use: ``reply``, or the next tier's when ``reply`` fails the check."""
    tiers = x.settings.tiers
    rank = reply.target.tier_rank
    if not (x.route.routed and reply.status == 200 and rank + 1 < len(tiers)):
        return reply
    tier = tiers[rank]
    if not (tier.escalate or tier.escalate_on_low_confidence):
        return reply
    answer = parse_answer(reply)
    reason = x.dialect.escalation(answer, x.req) if answer and tier.escalate else None
    if answer and reason is None and checks_confidence(x, rank):
        reason = _low_confidence(deps, tier.name, answer, tier.confidence_threshold)
    if not answer or reason is None:
        return reply
    card = deps.upstream.scorecard
    account(deps.metrics, card, reply.target, x.dialect.usage(answer), reason)  # paid all the same
    card.escalated(reply.target.label, reason)
    deps.metrics.escalations.labels(reply.target.tier, reason).inc()
    try:
        better = await send(x, deps, Plan(deps.upstream.targets(rank + 1, api=x.dialect.api)))
    except Exception as exc:
        log.warning("escalation from %s failed (%s); first answer kept", reply.target.tier, exc)
        better = None
    if better is None or better.status != 200:
        x.out.tier, x.out.model = reply.target.tier, reply.target.deployment.model
        return reply
    x.out.escalated = reason
    return better


def _low_confidence(deps: Deps, tier: str, answer: dict[str, Any], threshold: float) -> str | None:
    """ "low_confidence" when the answer's mean token logprob is under the tier's threshold."""
    conf = confidence(answer)
    if conf is None:
        return None  # the deployment sent no logprobs: nothing to judge by
    deps.metrics.confidence.labels(tier).observe(conf)
    return "low_confidence" if conf < threshold else None
