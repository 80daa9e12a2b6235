"""Upstream client: one pooled ``ClientSession``, retries, fallbacks and a breaker per deployment.

Policy: try each target in order (the routed tier's deployments, then the tiers above). A target
is retried with exponential backoff and jitter on connect errors, timeouts, 429 (``Retry-After``
honoured, capped) and 5xx; only ever before the first byte reached the client, because a
non-streamed body is read whole inside the attempt and a stream is returned only once its
headers said 200. Other 4xx are the client's fault and pass through unchanged. One attempt on the
wire (session, headers, timeouts, compression, aiohttp errors translated) is
``sidecar/upstream_http.py``'s; this module is the policy around it.

A 200 whose body is not a JSON object (an HTML error page from a CDN, truncated JSON) or that
cannot be decoded is an upstream failure like a 5xx (``bad_answer``): retried, then the next
deployment, then 502, and the breaker counts it. A JSON answer to a stream request is returned
whole (the caller converts it to events); other non-SSE 200s to streams are ``bad_answer`` too.

Breaker (see ``sidecar.breaker``): a request's retries count once, and the same request body
failing again does not count again, so one client's poison request cannot open it for everyone.
A half-open probe whose caller is cancelled gives its slot back.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections.abc import Awaitable, Callable, Mapping

import aiohttp

from sidecar import upstream_http
from sidecar.answer_check import Retryable, shape
from sidecar.balance import Balancer
from sidecar.breaker import Breaker, BreakerState
from sidecar.config import Settings
from sidecar.config_sections import Deployment
from sidecar.errors import UpstreamTimeout, UpstreamUnavailable
from sidecar.metrics import Metrics
from sidecar.scorecard import Scorecard
from sidecar.target import ErrorKind, Reply, Target


class UpstreamClient:
    """Sends one request through retries, fallbacks and breakers; returns the first good reply."""

    def __init__(
        self,
        settings: Settings,
        metrics: Metrics,
        keys: Mapping[str, str],
        *,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        scorecard: Scorecard | None = None,
        balancer: Balancer | None = None,
    ) -> None:
        self._session: aiohttp.ClientSession | None = None
        self.scorecard = scorecard or Scorecard()
        self.balancer = balancer or Balancer()
        self.demoted: frozenset[str] = frozenset()  # labels the policy moved to the end
        # Deployments that answered 400 to the injected stream_options (see sidecar.dispatch).
        self.no_stream_usage: set[str] = set()
        self.cfg, self.metrics = settings.upstream, metrics
        self.settings, self.keys, self._sleep = settings, keys, sleep
        self.breakers: dict[str, Breaker] = {}
        for rank, tier in enumerate(settings.tiers):
            for dep in tier.deployments:
                label = Target(tier.name, rank, dep).label
                self.breakers[label] = Breaker(
                    self.cfg.breaker_failures, self.cfg.breaker_cooldown_s
                )
                metrics.breaker.labels(label).set(BreakerState.CLOSED)
                self.scorecard.track(label)

    async def open(self) -> None:
        """Create the pooled session (inside the running loop)."""
        self._session = upstream_http.new_session(self.cfg)

    async def close(self) -> None:
        """Close the session and its connections."""
        if self._session is not None:
            await self._session.close()

    @property
    def session(self) -> aiohttp.ClientSession:
        """The open session."""
        if self._session is None:
            raise RuntimeError("UpstreamClient.open() was not called")
        return self._session

    def targets(
        self, tier_rank: int, model: str | None = None, api: str = "openai"
    ) -> list[Target]:
        """Deployments of ``api`` to try: this tier's, then higher tiers' (or ``model``'s)."""
        out = []
        for rank, tier in enumerate(self.settings.tiers):
            for dep in tier.deployments:
                if dep.api != api:
                    continue
                if (model is None and rank >= tier_rank) or dep.model == model:
                    out.append(Target(tier.name, rank, dep))
        if model is not None:
            # A concrete model falls back to other deployments of that model only.
            out.sort(key=lambda t: t.tier_rank)
        return self._balanced(out)

    def _balanced(self, targets: list[Target]) -> list[Target]:
        """Each tier's run of targets in its strategy's order; demoted ones last in their tier."""
        out: list[Target] = []
        for rank, run in itertools.groupby(targets, key=lambda t: t.tier_rank):
            group = self.balancer.order(list(run), self.settings.tiers[rank].strategy, self.is_open)
            out += [t for t in group if t.label not in self.demoted]
            out += [t for t in group if t.label in self.demoted]
        return out

    def is_open(self, label: str) -> bool:
        """Is this deployment's breaker open (refusing calls)?"""
        breaker = self.breakers.get(label)
        return breaker is not None and breaker.state is BreakerState.OPEN

    def serves(self, model: str, api: str = "openai") -> bool:
        """Is ``model`` served by some configured deployment of ``api``?"""
        deployments = (d for t in self.settings.tiers for d in t.deployments)
        return any(d.model == model and d.api == api for d in deployments)

    async def send(
        self,
        path: str,
        body: Callable[[Target], bytes],
        headers: Mapping[str, str],
        targets: list[Target],
        *,
        stream: bool,
    ) -> Reply:
        """Try targets in order; raise UpstreamUnavailable/UpstreamTimeout when none answers."""
        last: Retryable | None = None
        for i, target in enumerate(targets):
            if i > 0:
                kind = "tier" if target.tier != targets[i - 1].tier else "deployment"
                self.metrics.fallbacks.labels(kind).inc()
            breaker = self.breakers.get(target.label)
            probe = breaker is not None and breaker.state is BreakerState.HALF_OPEN
            if breaker is not None and not breaker.allow():
                self.metrics.upstream_errors.labels(target.label, ErrorKind.BREAKER_OPEN).inc()
                last = last or Retryable(ErrorKind.BREAKER_OPEN)
                continue
            data = body(target)
            try:
                reply = await self._with_retries(path, data, headers, target, stream)
            except Retryable as exc:
                last = exc
                self._record(target, ok=False, shape=shape(data))
                continue
            except BaseException:
                # Cancelled (client gone) or a bug: no verdict, but a claimed probe slot must
                # be given back or the breaker would refuse every call until restart.
                if breaker is not None and probe:
                    breaker.release()
                raise
            self._record(target, ok=True)
            return reply
        return self._give_up(last)

    def _give_up(self, last: Retryable | None) -> Reply:
        if last is not None and last.reply is not None and last.kind is ErrorKind.RATE_LIMITED:
            return last.reply  # every deployment rate-limited us: let the client back off
        if last is not None and last.kind is ErrorKind.TIMEOUT:
            raise UpstreamTimeout("upstream timed out after retries and fallbacks")
        kind = last.kind if last else ErrorKind.NO_DEPLOYMENT
        raise UpstreamUnavailable(f"no upstream deployment answered (last error: {kind})")

    def _record(self, target: Target, *, ok: bool, shape: str | None = None) -> None:
        breaker = self.breakers.get(target.label)
        if breaker is None:
            return
        before = breaker.state
        breaker.success() if ok else breaker.failure(shape)
        self.metrics.breaker.labels(target.label).set(breaker.state)
        if breaker.state is BreakerState.OPEN and before is not BreakerState.OPEN:
            self.scorecard.breaker_opened(target.label)

    async def _with_retries(
        self, path: str, body: bytes, headers: Mapping[str, str], target: Target, stream: bool
    ) -> Reply:
        for attempt in range(self.cfg.retries + 1):
            started = time.perf_counter()
            try:
                reply = await self._attempt(path, body, headers, target, stream)
            except Retryable as exc:
                self.metrics.upstream_errors.labels(target.label, exc.kind).inc()
                self.scorecard.call(target.label, error=exc.kind.value)
                self.balancer.observe(target.label, ok=False)
                if attempt == self.cfg.retries:
                    raise
                self.metrics.retries.labels(target.label).inc()
                await self._sleep(self._backoff(attempt, exc.retry_after))
                continue
            self.balancer.observe(target.label, ok=True, ttfb=reply.ttfb)
            if reply.stream is None:  # a stream is scored when the relay finishes it
                elapsed = time.perf_counter() - started
                self.scorecard.call(target.label, ttft=reply.ttfb, latency=elapsed)
            return reply
        raise RuntimeError("upstream.retries must be >= 0")  # the loop ran zero times

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.cfg.retry_after_max_s)
        cap = min(self.cfg.backoff_max_s, self.cfg.backoff_base_s * 2**attempt)
        return random.uniform(0, cap)  # full jitter

    def headers_for(
        self, headers: Mapping[str, str], dep: Deployment, *, stream: bool = False
    ) -> dict[str, str]:
        """The client's headers ``dep`` may see, plus its own key (``upstream_http``)."""
        return upstream_http.headers_for(headers, dep, self.keys, stream=stream)

    async def _attempt(
        self, path: str, body: bytes, headers: Mapping[str, str], target: Target, stream: bool
    ) -> Reply:
        sent = self.headers_for(headers, target.deployment, stream=stream)
        return await upstream_http.post(
            self.session, path, body, sent, target, self.cfg, self.metrics, stream=stream
        )

    async def fetch(
        self, method: str, path: str, headers: Mapping[str, str], target: Target
    ) -> Reply:
        """One ``GET``/``DELETE`` of an id-based resource at ``target`` (no retries)."""
        sent = self.headers_for(headers, target.deployment)
        return await upstream_http.request(
            self.session, method, path, sent, target, self.cfg.connect_timeout_s
        )
