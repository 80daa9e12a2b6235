"""Shadow evaluation and the policy file inside the app: building them from config, the hook
after an answer, the candidate call, and the periodic policy check.

- ``build`` makes the ``ShadowEvaluator`` (None without ``shadow:`` in config) and loads the
  policy file (a bad file fails at start, naming the field).
- ``after_answer`` runs once the client's answer is complete: a coin flip per candidate of the
  answering tier, then a background comparison (``ShadowEvaluator.submit``). It never waits.
- ``ask_candidate`` sends the request (non-streamed, model rewritten) to the candidate through
  the upstream client (its calls appear in the scorecard as ``shadow/<model>``).
- ``evaluation_ctx`` checks the policy every ``evaluation.policy_interval_s``: it sets
  ``sidecar_policy_violations{rule}`` and, with ``auto_demote``, moves violators to the end of
  their tier (logged when a deployment is demoted and when it is restored).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web

from sidecar.config import ConfigError, Settings
from sidecar.config_sections import Deployment
from sidecar.errors import SidecarError
from sidecar.judges import EmbeddingJudge, ExactJudge
from sidecar.policy import PolicyError, counts, demotions, evaluate, load_policy
from sidecar.preference import LLMPreference, Preferer, VerdictPreference
from sidecar.shadow import Answer, Case, Evaluation, ShadowEvaluator
from sidecar.target import Target

if TYPE_CHECKING:
    from sidecar.caching import Answer as Upstream
    from sidecar.deps import Deps
    from sidecar.exchange import Exchange
    from sidecar.upstream import UpstreamClient

log = logging.getLogger("sidecar.shadow")
SHADOW_TIER = "shadow"  # scorecard label prefix of candidates: shadow/<model>


def build(settings: Settings, deps: Deps) -> Evaluation:
    """The evaluation configured by ``shadow:`` and ``evaluation:``."""
    upstream = deps.upstream
    cfg = settings.evaluation
    try:
        policy = load_policy(cfg.policy_file) if cfg.policy_file else None
    except PolicyError as exc:
        raise ConfigError(f"evaluation.policy_file: {exc}") from exc
    if not settings.shadow:
        return Evaluation(policy=policy)
    cases, candidates = [], {}
    for spec in settings.shadow:
        label = f"{SHADOW_TIER}/{spec.candidate.model}"
        cases.append(Case(spec.tier, label, spec.rate))
        candidates[label] = spec.candidate
        upstream.scorecard.track(label)
    shadow = ShadowEvaluator(
        cases,
        _preferer(settings, deps),
        max_concurrency=cfg.max_concurrency,
        max_usd_per_hour=cfg.max_usd_per_hour,
    )
    return Evaluation(shadow, candidates, policy)


def _preferer(settings: Settings, deps: Deps) -> Preferer:
    """The cache audit's exact or embedding judge, or the llm preference judge."""
    if settings.evaluation.judge == "exact":
        return VerdictPreference(ExactJudge())
    if settings.evaluation.judge == "embedding":

        async def embed(text: str) -> Any:  # the encoder loads in the background
            if deps.embedder is None:
                raise RuntimeError("encoder not loaded yet")
            return await deps.embedder.embed(text)

        return VerdictPreference(EmbeddingJudge(embed))
    upstream, model = deps.upstream, settings.evaluation.judge_model or ""

    async def ask(messages: list[dict[str, str]]) -> str:
        body = orjson.dumps({"model": model, "messages": messages, "temperature": 0})
        reply = await upstream.send(
            "/chat/completions", lambda t: body, {}, upstream.targets(0, model=model), stream=False
        )
        if reply.status != 200 or not reply.body:
            raise RuntimeError(f"judge answered {reply.status}")
        return str(orjson.loads(reply.body)["choices"][0]["message"]["content"])

    return LLMPreference(ask)


def answer_text(answer: Mapping[str, Any]) -> str | None:
    """First choice's text (chat message content or completion text), else None."""
    choices = answer.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return None
    first = choices[0]
    if isinstance(first.get("text"), str):
        return str(first["text"])
    message = first.get("message")
    content = message.get("content") if isinstance(message, dict) else None
    return content if isinstance(content, str) else None


def after_answer(x: Exchange, deps: Deps, answer: Upstream | None, evaluation: Evaluation) -> None:
    """Sample this answered request for the candidates of its tier (never waits)."""
    shadow = evaluation.shadow
    if shadow is None or answer is None or x.dialect.endpoint not in ("chat", "completions"):
        return
    cases = shadow.pick(answer.target.tier)
    if not cases:
        return
    incumbent = Answer(answer_text(answer.parsed), x.out.upstream_seconds, answer.cost_usd)
    body = {**x.dialect.upstream_body(x.req), "stream": False}
    body.pop("stream_options", None)
    headers = dict(x.http.headers)
    for case in cases:
        dep = evaluation.candidates[case.candidate]

        def ask(dep: Deployment = dep) -> Any:
            return ask_candidate(deps.upstream, x, dep, body, headers)

        shadow.submit(case, x.req.text, answer.target.label, incumbent, ask)


async def ask_candidate(
    upstream: UpstreamClient,
    x: Exchange,
    dep: Deployment,
    body: dict[str, Any],
    headers: Mapping[str, str],
) -> Answer:
    """One non-streamed call to the candidate; failures become an Answer without text."""
    target = Target(SHADOW_TIER, -1, dep)
    rendered = orjson.dumps({**body, "model": dep.model})
    t0 = time.perf_counter()
    try:
        reply = await upstream.send(
            x.dialect.upstream_path, lambda t: rendered, headers, [target], stream=False
        )
    except SidecarError as exc:
        return Answer(None, time.perf_counter() - t0, failure=exc.code or exc.type)
    seconds = time.perf_counter() - t0
    if reply.status != 200 or not reply.body:
        return Answer(None, seconds, failure=f"http_{reply.status}")
    parsed = orjson.loads(reply.body)
    usage = x.dialect.usage(parsed)
    usd = dep.cost_usd(usage.input_tokens, usage.output_tokens) if usage else 0.0
    upstream.scorecard.answer(
        target.label,
        tokens_in=usage.input_tokens if usage else 0,
        tokens_out=usage.output_tokens if usage else 0,
        usd=usd,
        failure=x.dialect.escalation(parsed, x.req),
    )
    return Answer(answer_text(parsed), seconds, usd, x.dialect.escalation(parsed, x.req))


def check_policy(deps: Deps, evaluation: Evaluation) -> None:
    """Evaluate the policy once: gauges, violations, and (if enabled) demotions."""
    if evaluation.policy is None:
        return
    card = deps.upstream.scorecard
    shadows = evaluation.shadow.rows() if evaluation.shadow else []
    found = evaluate(evaluation.policy, card.rows("5m"), card.rows("1h"), shadows)
    evaluation.violations = found
    for rule, n in counts(found).items():
        deps.metrics.policy_violations.labels(rule).set(n)
    demoted = frozenset(demotions(evaluation.policy, found))
    before = deps.upstream.demoted
    for label in sorted(demoted - before):
        log.warning("policy: %s demoted to the end of its tier", label)
    for label in sorted(before - demoted):
        log.info("policy: %s restored to its place", label)
    deps.upstream.demoted = demoted


def evaluation_ctx(
    deps: Deps, evaluation: Evaluation
) -> Callable[[web.Application], AsyncIterator[None]]:
    """Policy checks in the background; in-flight shadow comparisons cancelled on shutdown."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        if evaluation.policy is not None:
            for rule, n in counts([]).items():
                deps.metrics.policy_violations.labels(rule).set(n)
        task = asyncio.create_task(_policy_loop(deps, evaluation), name="sidecar-policy")
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        if evaluation.shadow is not None:
            await evaluation.shadow.close()

    return ctx


async def _policy_loop(deps: Deps, evaluation: Evaluation) -> None:
    if evaluation.policy is None:
        return
    while True:
        await asyncio.sleep(deps.settings.evaluation.policy_interval_s)
        try:
            check_policy(deps, evaluation)
        except Exception:
            log.exception("policy check failed; will retry")
