"""The settings schema, section by section: every field, its named default and its bounds.

Contract: each class is one YAML section (``server``, ``upstream``, ``routing``, ``cache`` with
``cache.audit``, ``redis``, ``evaluation``) or one list item (``tiers[]`` with ``deployments[]``,
``shadow[]``); unknown keys are errors and values are frozen. Checks that span sections (tier
names, default tier, judge tier...) and reading files and the environment are
``sidecar/config.py``'s, the only reader; nothing here reads anything.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from cache.text import MAX_TEXT_CHARS

# Mean token logprob under which a low-confidence tier escalates (e^-0.68 = 0.51 geometric-mean
# token probability), from benchmarks/confidence_calibration.py on the mock's synthetic
# logprobs: a placeholder to recalibrate on your own labelled answers (docs/confidence.md).
DEFAULT_CONFIDENCE_THRESHOLD = -0.68


class Section(BaseModel):
    """A config section: unknown keys are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ServerSettings(Section):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    max_body_bytes: int = Field(4 * 1024 * 1024, gt=0)
    shutdown_grace_s: float = Field(25.0, ge=0)
    # Time between readiness turning false and the listener closing, so load balancers notice.
    drain_delay_s: float = Field(2.0, ge=0)
    log_prompts: bool = False
    log_level: str = "INFO"
    # A connection must deliver its first request's headers this fast (slowloris bound); later
    # requests on a kept-alive connection must start within keepalive_timeout_s.
    header_timeout_s: float = Field(10.0, gt=0)
    keepalive_timeout_s: float = Field(75.0, gt=0)


class UpstreamSettings(Section):
    connect_timeout_s: float = Field(5.0, gt=0)
    read_timeout_s: float = Field(60.0, gt=0)  # between chunks of a response
    max_connections: int = Field(256, gt=0)
    max_connections_per_host: int = Field(128, gt=0)
    retries: int = Field(2, ge=0, le=10)
    backoff_base_s: float = Field(0.1, ge=0)
    backoff_max_s: float = Field(2.0, ge=0)
    retry_after_max_s: float = Field(10.0, ge=0)
    breaker_failures: int = Field(5, gt=0)
    breaker_cooldown_s: float = Field(30.0, gt=0)


class Deployment(Section):
    base_url: str
    model: str
    # The API this deployment speaks; a request is only sent to deployments of its own API.
    api: Literal["openai", "anthropic"] = "openai"
    api_key_env: str | None = None
    price_in_per_1m: float = Field(0.0, ge=0)
    price_out_per_1m: float = Field(0.0, ge=0)
    timeout_s: float = Field(120.0, gt=0)  # whole request, first byte to last
    # Send the client's own Authorization (and OpenAI-Organization/-Project) to this deployment
    # when it has no key of its own. Off by default: a client key never leaves for another host
    # unless the operator says that host is where the client's key belongs.
    forward_client_key: bool = False
    # Ask streams for their usage chunk (stream_options.include_usage) to count tokens and
    # spend. false for servers that reject the field (they are also detected on their first 400).
    stream_usage: bool = True
    weight: float = Field(1.0, ge=0)  # share of the tier's traffic under strategy "weighted"

    @property
    def price(self) -> float:
        """Input plus output USD per 1M tokens: the ``lowest-cost`` balancing key."""
        return self.price_in_per_1m + self.price_out_per_1m

    def cost_usd(self, prompt_tokens: int, completion_tokens: int) -> float:
        """Price of one call at this deployment's per-1M-token rates."""
        return (
            prompt_tokens * self.price_in_per_1m + completion_tokens * self.price_out_per_1m
        ) / 1e6


class Tier(Section):
    name: str
    deployments: tuple[Deployment, ...] = Field(min_length=1)
    escalate: bool = False  # cascade: a failing cheap answer is retried once on the next tier
    # Order of this tier's deployments: ordered | least-latency | lowest-cost | weighted.
    strategy: Literal["ordered", "least-latency", "lowest-cost", "weighted"] = "ordered"
    # Cascade on a non-streamed answer whose mean token logprob is below confidence_threshold
    # (the default was chosen as docs/confidence.md describes; calibrate on your traffic).
    escalate_on_low_confidence: bool = False
    confidence_threshold: float = Field(DEFAULT_CONFIDENCE_THRESHOLD, le=0)


class RoutingSettings(Section):
    alias: str = "auto"
    default_tier: str = "medium"
    # Ascending score cut points, one fewer than tiers; None = use the classifier's shipped ones.
    thresholds: tuple[float, ...] | None = None
    enabled: bool = True


class AuditSettings(Section):
    """Live hit audit (docs/cache_audit.md): re-ask a sample of semantic hits upstream."""

    # Share of semantic hits re-asked upstream in the background; 0 = off. Off by default:
    # it sends prompts upstream again (cost, data handling) and the judge must suit the task.
    rate: float = Field(0.0, ge=0, le=1)
    # Compare candidates not served (a budget's refusals, or below the threshold) with the
    # miss's own fresh answer (no extra call). None: on whenever a budget is set.
    near_miss: bool | None = None
    judge: str = Field("exact", pattern="^(exact|embedding|llm)$")
    judge_tier: str | None = None  # tier the llm judge asks; None = the cheapest tier
    embedding_threshold: float | None = Field(None, ge=0, le=1)  # None = calibrated default
    max_concurrency: int = Field(4, gt=0)  # audits in flight; more are skipped, never queued
    max_per_minute: int = Field(60, ge=0)  # upstream re-asks per minute (audit + near miss)
    timeout_s: float = Field(30.0, gt=0)
    min_samples: int = Field(30, gt=0)  # verdicts before a threshold move may rely on them
    floor: float = Field(0.70, ge=0, le=1)  # never serve a semantic hit below this cosine
    confidence: float = Field(0.95, gt=0.5, lt=1)  # two-sided level of the Wilson interval
    sync_interval_s: float = Field(5.0, gt=0)  # Redis sync of the budget counts
    # Before any evidence: "serve" serves the shipped bands on probation (every hit audited at
    # probation_rate until certified or closed); "shadow" serves nothing until near misses prove
    # a band (they read pessimistic: on measured traffic that never happens at 1-5%).
    burn_in: str = Field("serve", pattern="^(shadow|serve)$")
    probation_rate: float = Field(1.0, ge=0, le=1)  # audit share of uncertified bands' hits
    # Wrong hits the error budget may owe before served hits have earned any: it tops the
    # opening credit (budget x 40 hits) up to this for the top band, so it serves its first
    # hits on probation (docs/cache_audit.md, "Spending the budget"); 0 = strict.
    allowance: float = Field(0.0, ge=0)


class CacheSettings(Section):
    enabled: bool = True
    dir: str | None = None  # snapshot directory; None = no persistence
    snapshot_interval_s: float = Field(300.0, gt=0)
    ttl_s: float = Field(86400.0, gt=0)
    max_entries: int = Field(100_000, gt=0)
    max_bytes: int = Field(512 * 1024 * 1024, gt=0)
    # Cosine threshold; None = the verifier's shipped operating point (0.95 without verifier).
    threshold: float | None = Field(None, ge=0, le=1)
    threshold_by_model: dict[str, float] = Field(default_factory=dict)
    threshold_by_tier: dict[str, float] = Field(default_factory=dict)
    threshold_min: float = Field(0.75, ge=0, le=1)  # bounds for X-Sidecar-Threshold
    threshold_max: float = Field(1.0, ge=0, le=1)
    verifier: bool = True
    max_temperature: float = Field(0.7, ge=0)
    hnsw_min_size: int = Field(4096, gt=0)
    serve_lower_tier: bool = False
    # Stored entries near the query the sibling check reads (cache/siblings.py); 0 = off.
    siblings: int = Field(16, ge=0, le=64)
    embed_backend: str = Field("auto", pattern="^(auto|onnx|torch)$")
    model_dir: str | None = None
    embed_max_batch: int = Field(32, gt=0)
    embed_max_wait_ms: float = Field(1.0, ge=0)
    # int8 ONNX runs one text per call so a text's vector never depends on its batch-mates
    # (dynamic quantization scales per tensor). false = padded batches: ~1.6x embed
    # throughput under load, but borderline hits can flip with load.
    embed_batch_invariant: bool = True
    # int8 activation scales: "dynamic" (one per tensor, served since 2026-11) or "per_token"
    # (one per token row: padded batches stay batch-invariant; other vectors, other snapshot
    # family, and the shipped verifier was fitted on dynamic vectors). docs/cache_quality.md.
    embed_quant: str = Field("dynamic", pattern="^(dynamic|per_token)$")
    # Threads encoding one text each (batch-invariant mode); None = one per core, at most 2.
    embed_workers: int | None = Field(None, ge=1, le=16)
    # Intra-op threads for a text encoded while nothing else is and a core is idle (1 = off).
    # Vectors are bit-identical across thread counts (checked at start-up; a mismatch: off).
    embed_lone_threads: int = Field(1, ge=1, le=8)
    max_cached_body_bytes: int = Field(1024 * 1024, gt=0)
    audit: AuditSettings = AuditSettings()
    # Budget of wrong semantic hits (share of semantic hits); None = no budget (measure only).
    # Needs audit.rate > 0: the audit verdicts move the threshold (docs/cache_audit.md).
    max_false_hit_rate: float | None = Field(None, gt=0, lt=1)
    # X-Tenant-Id: false = it only subdivides the caller's key space (safe default); true = it
    # replaces the key (only behind an app that authenticates users and sets the header itself).
    trust_tenant_header: bool = False
    # A matched text longer than this bypasses the cache (exact and semantic): the cache's text
    # work is O(length) on the event loop. 100k chars is ~25k tokens.
    max_text_chars: int = Field(MAX_TEXT_CHARS, gt=0)


class RedisSettings(Section):
    url: str | None = None
    timeout_s: float = Field(0.25, gt=0)
    stream_key: str = "llm-sidecar:events"
    warm_max_entries: int = Field(100_000, ge=0)
    # Answer bodies only in Redis, fetched on a hit: a replica's memory is then bounded by
    # vectors, texts and ids. A hit whose body cannot be fetched is served as a miss.
    bodies_in_redis: bool = False


def default_tiers() -> tuple[Tier, ...]:
    """Each tier: an OpenAI deployment and an Anthropic one (list prices per 1M tokens)."""
    openai, anthropic = "https://api.openai.com/v1", "https://api.anthropic.com/v1"
    spec = [
        ("small", "gpt-4o-mini", 0.15, 0.60, "claude-haiku-4-5", 1.00, 5.00),
        ("medium", "gpt-4.1-mini", 0.40, 1.60, "claude-sonnet-4-5", 3.00, 15.00),
        ("large", "gpt-4o", 2.50, 10.00, "claude-opus-4-5", 5.00, 25.00),
    ]
    return tuple(
        Tier(
            name=name,
            escalate=name != "large",
            deployments=(
                Deployment(
                    base_url=openai,
                    model=model,
                    api_key_env="OPENAI_API_KEY",
                    price_in_per_1m=p_in,
                    price_out_per_1m=p_out,
                ),
                Deployment(
                    base_url=anthropic,
                    model=claude,
                    api="anthropic",
                    api_key_env="ANTHROPIC_API_KEY",
                    price_in_per_1m=c_in,
                    price_out_per_1m=c_out,
                ),
            ),
        )
        for name, model, p_in, p_out, claude, c_in, c_out in spec
    )


class ShadowCandidate(Section):
    """A deployment evaluated in the background on a sample of one tier's live requests."""

    tier: str
    candidate: Deployment
    rate: float = Field(0.05, ge=0, le=1)


class EvaluationSettings(Section):
    """Shadow evaluation and the policy file (docs/shadow.md)."""

    judge: Literal["exact", "embedding", "llm"] = "exact"
    judge_model: str | None = None  # llm judge: a configured deployment's model
    max_concurrency: int = Field(4, gt=0)  # shadow calls in flight; more are skipped
    max_usd_per_hour: float = Field(1.0, ge=0)  # candidate spend; over it samples are skipped
    policy_file: str | None = None
    policy_interval_s: float = Field(10.0, gt=0)
