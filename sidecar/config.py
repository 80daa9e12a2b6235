"""Settings: one YAML file plus ``SIDECAR_<SECTION>_<FIELD>`` env overrides, validated once.

``load_settings(path, environ)`` is the only reader of files and environment. Every field has a
named default, so an empty file (or none) gives a working sidecar. Errors raise ``ConfigError``
with the dotted field name, e.g. ``cache.threshold: Input should be less than or equal to 1``.
The sections' fields and defaults are in ``sidecar/config_sections.py``; this module holds the
whole (``Settings``: checks across sections), the env mapping and the loaders.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError, model_validator

from sidecar.config_sections import (
    CacheSettings,
    EvaluationSettings,
    RedisSettings,
    RoutingSettings,
    Section,
    ServerSettings,
    ShadowCandidate,
    Tier,
    UpstreamSettings,
    default_tiers,
)

log = logging.getLogger("sidecar.config")


class ConfigError(ValueError):
    """The configuration is invalid; the message names the field."""


class Settings(Section):
    server: ServerSettings = ServerSettings()
    upstream: UpstreamSettings = UpstreamSettings()
    routing: RoutingSettings = RoutingSettings()
    tiers: tuple[Tier, ...] = Field(default_factory=default_tiers, min_length=1)
    cache: CacheSettings = CacheSettings()
    redis: RedisSettings = RedisSettings()
    shadow: tuple[ShadowCandidate, ...] = ()
    evaluation: EvaluationSettings = EvaluationSettings()
    # True when no upstream was configured anywhere: `make run` then starts the bundled mock.
    mock_upstream: bool = False

    @model_validator(mode="after")
    def _check_routing(self) -> Settings:
        names = [t.name for t in self.tiers]
        if len(set(names)) != len(names):
            raise ValueError(f"tiers: duplicate tier names {names}")
        if self.routing.default_tier not in names:
            raise ValueError(f"routing.default_tier: {self.routing.default_tier!r} not in {names}")
        th = self.routing.thresholds
        if th is not None and (len(th) != len(names) - 1 or list(th) != sorted(th)):
            raise ValueError(f"routing.thresholds: need {len(names) - 1} ascending values")
        if self.cache.max_false_hit_rate is not None and self.cache.audit.rate <= 0:
            raise ValueError("cache.max_false_hit_rate: needs cache.audit.rate > 0")
        judge_tier = self.cache.audit.judge_tier
        if judge_tier is not None and judge_tier not in names:
            raise ValueError(f"cache.audit.judge_tier: {judge_tier!r} not in {names}")
        if self.cache.threshold_min > self.cache.threshold_max:
            raise ValueError("cache.threshold_min: must be <= cache.threshold_max")
        for i, case in enumerate(self.shadow):
            if case.tier not in names:
                raise ValueError(f"shadow.{i}.tier: {case.tier!r} not in {names}")
        judge = self.evaluation.judge_model
        if self.evaluation.judge == "llm" and not any(
            d.model == judge for t in self.tiers for d in t.deployments
        ):
            raise ValueError("evaluation.judge_model: the llm judge needs a configured model")
        return self

    def tier_rank(self, name: str) -> int:
        """Position of a tier in the configured order (0 = cheapest)."""
        return [t.name for t in self.tiers].index(name)


_SECTIONS = ("server", "upstream", "routing", "cache", "redis", "evaluation")


# Read by load_settings/needs_mock themselves, not section fields.
_OTHER_ENV = frozenset({"SIDECAR_UPSTREAM"})


def _section_fields(section: str) -> set[str]:
    return set(Settings.model_fields[section].annotation.model_fields)  # type: ignore[union-attr]


def _env_overrides(environ: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """Map ``SIDECAR_CACHE_MAX_ENTRIES=10`` to ``{"cache": {"max_entries": 10}}`` (YAML-typed).

    Names that match no field are skipped, never fatal: Kubernetes injects ``SIDECAR_PORT``,
    ``SIDECAR_SERVICE_HOST``, ``SIDECAR_CACHE_SERVICE_PORT`` ... for Services named ``sidecar*``,
    and those must not crash-loop the pod. Unknown names under a known section look like a typo
    of a setting and get a warning naming the variable (never its value).
    """
    out: dict[str, dict[str, Any]] = {}
    for key, raw in environ.items():
        if not key.startswith("SIDECAR_") or key in _OTHER_ENV:
            continue
        section, _, field = key[len("SIDECAR_") :].lower().partition("_")
        if section not in _SECTIONS:
            continue
        if field not in _section_fields(section):
            log.warning("ignoring environment variable %s: %s has no such setting", key, section)
            continue
        try:
            value = yaml.safe_load(raw) if raw.strip() else None
        except yaml.YAMLError as exc:
            raise ConfigError(f"{section}.{field} (env {key}): not valid YAML: {exc}") from exc
        out.setdefault(section, {})[field] = value
    return out


def _point_at(data: dict[str, Any], upstream: str) -> None:
    """Every deployment of every tier points at ``upstream``; model names unchanged.

    One upstream named by the operator is where the clients' keys belong, so they are forwarded.
    """
    tiers = data.get("tiers") or [t.model_dump() for t in default_tiers()]
    for tier in tiers:
        for dep in tier.get("deployments", []):
            dep["base_url"] = upstream
            dep["api_key_env"] = None
            dep["forward_client_key"] = True
    data["tiers"] = tiers
    for case in data.get("shadow") or []:
        if isinstance(case, dict) and isinstance(case.get("candidate"), dict):
            case["candidate"].update(base_url=upstream, api_key_env=None, forward_client_key=True)


def load_settings(
    path: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    upstream: str | None = None,
) -> Settings:
    """Read the YAML file (optional), apply env overrides and ``upstream``, and validate."""
    environ = environ if environ is not None else {}
    data: dict[str, Any] = {}
    if path is not None:
        try:
            loaded = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"config file {path}: {exc}") from exc
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError(f"config file {path}: top level must be a mapping")
        data = loaded or {}
    if environ.get("SIDECAR_MODEL_DIR"):
        # The model's directory under its long-standing name; cache.model_dir (YAML or
        # SIDECAR_CACHE_MODEL_DIR) wins when both are set.
        cache = data.get("cache") or {}
        if isinstance(cache, dict):
            data["cache"] = {"model_dir": environ["SIDECAR_MODEL_DIR"], **cache}
    for section, fields in _env_overrides(environ).items():
        current = data.get(section) or {}
        if not isinstance(current, dict):
            raise ConfigError(f"{section}: must be a mapping")
        data[section] = {**current, **fields}
    upstream = upstream or environ.get("SIDECAR_UPSTREAM")
    if upstream:
        _point_at(data, upstream)
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe_error(exc)) from exc


def configured_model_dir(environ: Mapping[str, str]) -> str | None:
    """``cache.model_dir`` as the sidecar reads it from ``environ`` alone (scripts, tests)."""
    return load_settings(None, environ).cache.model_dir


def describe_error(exc: ValidationError) -> str:
    """One line naming each invalid field."""
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "config"
        parts.append(f"{loc}: {err['msg']}")
    return "; ".join(parts)


def with_mock_upstream(settings: Settings, base_url: str) -> Settings:
    """A copy of ``settings`` whose deployments all point at the bundled mock upstream."""
    data = settings.model_dump()
    _point_at(data, base_url)
    data["mock_upstream"] = True
    return Settings.model_validate(data)


def needs_mock(path: str | Path | None, environ: Mapping[str, str], upstream: str | None) -> bool:
    """True when nothing names an upstream: no --upstream, no config file, no provider key."""
    if upstream or environ.get("SIDECAR_UPSTREAM") or path is not None:
        return False
    return not environ.get("OPENAI_API_KEY") and not environ.get("ANTHROPIC_API_KEY")
