"""Wiring of the hit audit into the app: build it, hook it into the request path, persist it.

- ``build_auditor``: the budget controller (start = the shipped operating point), the judge
  and the ``Auditor``.
- ``serve_threshold(deps, chosen)``: with a budget, the cosine threshold is never below the
  controller's (explicit per-request/model/tier thresholds can only be stricter).
- ``admission(deps, found)``: serve a verified candidate, or the budget's reason not to.
- ``after_hit`` / ``near_miss`` / ``after_miss``: the request-path hooks. They charge the
  served hit to the error budget, flip a coin and start background tasks; they never raise
  into the request path.
- ``status_body`` is the JSON of ``GET /sidecar/cache/audit``.
- ``reload_audit(deps, fresh)`` (SIGHUP): applies the live-safe audit settings (``LIVE_FIELDS``
  and ``cache.max_false_hit_rate``) to the running auditor; the others need a restart (listed
  in the return value, logged by the caller).
Lifecycle (build at start, state file, Redis sync) is in ``sidecar/audit_lifecycle.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from statistics import NormalDist
from typing import Any

import orjson

from cache.budget import BudgetController
from cache.entry import Entry
from sidecar.audit import Auditor, Fresh, Refetch
from sidecar.breaker import BreakerState
from sidecar.deps import Deps
from sidecar.exchange import Exchange
from sidecar.judges import answer_text, make_judge
from sidecar.metrics_audit import AuditMetrics
from sidecar.target import Target

log = logging.getLogger("sidecar.audit")
# Audit settings a SIGHUP may change: they act per sample/submit. The others shape the judge,
# the bands or the evidence and need a restart (the state file would not match).
LIVE_FIELDS = ("rate", "near_miss", "max_concurrency", "max_per_minute", "timeout_s")
COSINE_ONLY_THRESHOLD = 0.95  # the pipeline's shipped point without the verifier
BUDGET_FIELDS = ("probation_rate", "allowance")  # applied to the controller on a reload
CHAT_PATH = "/chat/completions"  # the llm judge asks an OpenAI-compatible deployment


def shipped_threshold(deps: Deps) -> float:
    """The operating point the budget starts from: cache.threshold, else the verifier's."""
    if deps.settings.cache.threshold is not None:
        return deps.settings.cache.threshold
    verifier = getattr(deps.cache, "verifier", None)
    return float(getattr(verifier, "cosine_threshold", COSINE_ONLY_THRESHOLD))


def build_auditor(deps: Deps, metrics: AuditMetrics) -> Auditor:
    """Controller + judge + auditor from config (the cache must be loaded)."""
    cfg, cache_cfg = deps.settings.cache.audit, deps.settings.cache
    controller = BudgetController(
        cache_cfg.max_false_hit_rate,
        shipped_threshold(deps),
        floor=min(cfg.floor, shipped_threshold(deps)),
        min_samples=cfg.min_samples,
        z=NormalDist().inv_cdf(1 - (1 - cfg.confidence) / 2),
        burn_in=cfg.burn_in,
        probation_rate=cfg.probation_rate,
        allowance=cfg.allowance,
    )
    embed = deps.embedder.embed if deps.embedder is not None else None
    judge = make_judge(
        cfg.judge, embed=embed, ask=_llm_ask(deps, metrics), threshold=cfg.embedding_threshold
    )
    return Auditor(cfg, judge, controller, metrics)


def serve_threshold(deps: Deps, chosen: float) -> float:
    """With a budget, never search below the controller's threshold."""
    auditor = deps.auditor
    if auditor is None or auditor.controller.budget is None:
        return chosen
    return max(chosen, auditor.controller.threshold())


def admission(deps: Deps, found: Any) -> str:
    """May this found candidate be served? ``serve``, or the controller's bounded reason
    (``closed``: its band is not served; ``unfunded``: its band is on probation and the error
    budget cannot take it being wrong now). Without a budget every candidate is served."""
    if found.entry is None or found.similarity is None:
        return "closed"
    auditor = deps.auditor
    if auditor is None or auditor.controller.budget is None:
        return "serve"
    return auditor.controller.admission(float(found.similarity))


def admit(deps: Deps, found: Any) -> bool:
    """``admission(...) == "serve"``."""
    return admission(deps, found) == "serve"


def after_hit(x: Exchange, deps: Deps, entry: Entry, similarity: float) -> None:
    """A semantic hit was served: charge it to the error budget, maybe re-ask it upstream in
    the background (its verdict settles the charge)."""
    auditor = deps.auditor
    if auditor is None:
        return
    ticket = auditor.controller.charge(similarity)
    if not auditor.sample("hit", similarity):
        auditor.controller.release(ticket)
        return
    refetch = _refetch(deps, x, entry.model)
    auditor.submit("hit", x.req.text, similarity, entry.body, refetch, ticket=ticket)


async def near_miss(deps: Deps, req: Any, vec: Any, threshold: float, found: Any) -> Any:
    """A candidate this lookup did not serve but might have: its band is not served (budget),
    or it sits between the floor and the threshold (found by a second lookup at the floor).

    Returns ``(entry, similarity)`` to compare with this request's own fresh answer later
    (``after_miss``), or None. Sampled first, so unsampled misses pay nothing."""
    auditor = deps.auditor
    sim = getattr(found, "similarity", None)
    if auditor is None or deps.cache is None or sim is None:
        return None
    if found.entry is not None:  # found and verified, but its band is not served
        return (found.entry, float(sim)) if auditor.sample("near_miss") else None
    if not auditor.controller.floor <= sim < threshold or not auditor.sample("near_miss"):
        return None
    try:
        again = await deps.cache.lookup_async(req.scope, req.text, vec, auditor.controller.floor)
    except Exception:
        log.exception("near-miss lookup failed")
        return None
    if again.entry is None or again.similarity is None or again.similarity >= threshold:
        return None
    return again.entry, float(again.similarity)


def after_miss(deps: Deps, req: Any, candidate: Any, stored: Any) -> None:
    """Compare a near-miss candidate with this request's fresh answer (no extra upstream call)."""
    auditor = deps.auditor
    if auditor is None or candidate is None or stored is None:
        return
    entry, similarity = candidate
    body = stored.body

    async def fresh() -> Fresh:
        return Fresh(200, body, called=False)

    auditor.submit("near_miss", req.text, similarity, entry.body, fresh, free=True)


def _targets(deps: Deps, model: str, api: str) -> list[Target]:
    targets = deps.upstream.targets(0, model=model, api=api)
    # Audits never add load to a deployment whose breaker is not closed.
    breakers = deps.upstream.breakers
    closed = [
        t
        for t in targets
        if t.label not in breakers or breakers[t.label].state is BreakerState.CLOSED
    ]
    return closed[:1]


def _refetch(deps: Deps, x: Exchange, model: str) -> Refetch:
    """The same request, not streamed, sent once to a deployment of the entry's model; it never
    touches the cache. Built now, while the request's state is at hand; run later."""
    body = {**x.dialect.upstream_body(x.req), "stream": False}
    body.pop("stream_options", None)
    path, headers, api = x.dialect.upstream_path, dict(x.http.headers), x.dialect.api

    async def run() -> Fresh:
        targets = _targets(deps, model, api)
        if not targets:
            raise LookupError(f"no healthy deployment serves {model}")
        reply = await deps.upstream.send(
            path,
            lambda t: orjson.dumps({**body, "model": t.deployment.model}),
            headers,
            targets,
            stream=False,
        )
        return Fresh(reply.status, reply.body, _cost(reply.target, reply.body))

    return run


def _cost(target: Target, body: bytes | None) -> float:
    try:
        usage = orjson.loads(body or b"{}").get("usage") or {}
        return target.deployment.cost_usd(
            int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
        )
    except (orjson.JSONDecodeError, AttributeError, TypeError, ValueError):
        return 0.0


def _llm_ask(deps: Deps, metrics: AuditMetrics) -> Callable[[list[dict[str, str]]], Any]:
    tiers = deps.settings.tiers
    name = deps.settings.cache.audit.judge_tier or tiers[0].name

    async def ask(messages: list[dict[str, str]]) -> str:
        targets = deps.upstream.targets(deps.settings.tier_rank(name))
        payload = {"messages": messages, "temperature": 0, "max_tokens": 5, "stream": False}
        reply = await deps.upstream.send(
            CHAT_PATH,
            lambda t: orjson.dumps({**payload, "model": t.deployment.model}),
            {},
            targets,
            stream=False,
        )
        metrics.calls.labels("judge").inc()
        metrics.spend.inc(_cost(reply.target, reply.body))
        text = answer_text(reply.body or b"") if reply.status == 200 else None
        if text is None:
            raise ValueError(f"judge deployment answered status {reply.status}")
        return text

    return ask


def reload_audit(deps: Deps, fresh: Any) -> list[str]:
    """Apply the live-safe audit settings of ``fresh`` (validated ``Settings``); returns the
    names of changed settings that need a restart (nothing applied for those)."""
    auditor = deps.auditor
    new, new_budget = fresh.cache.audit, fresh.cache.max_false_hit_rate
    if auditor is None:
        return ["cache.audit.rate"] if new.rate > 0 else []
    old = auditor.cfg
    restart = [
        f"cache.audit.{k}"
        for k in type(old).model_fields
        if k not in (*LIVE_FIELDS, *BUDGET_FIELDS) and getattr(old, k) != getattr(new, k)
    ]
    if new.rate <= 0:
        restart.append("cache.audit.rate")  # turning it off: stop the auditor on restart
        new = new.model_copy(update={"rate": old.rate})
    live = {k: getattr(new, k) for k in LIVE_FIELDS}
    auditor.cfg = old.model_copy(update=live)
    auditor.controller.set_budget(new_budget, new.probation_rate, new.allowance)
    return restart


def status_body(deps: Deps) -> dict[str, Any]:
    """``GET /sidecar/cache/audit``: audit settings, threshold in force, precision per band."""
    if deps.auditor is None:
        return {"audit": None, "reason": "cache.audit.rate is 0, or the cache is not loaded yet"}
    body: dict[str, Any] = deps.auditor.status()
    return body
