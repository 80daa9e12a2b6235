"""Config: defaults, YAML, env overrides, --upstream, validation errors that name the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from sidecar.config import ConfigError, load_settings, needs_mock

ROOT = Path(__file__).resolve().parents[1]


def test_defaults_three_tiers_in_order():
    s = load_settings(None, {})
    assert [t.name for t in s.tiers] == ["small", "medium", "large"]
    assert s.routing.alias == "auto" and s.server.max_body_bytes == 4 * 1024 * 1024


def test_example_config_is_the_defaults():
    assert load_settings(ROOT / "config.example.yaml", {}) == load_settings(None, {})


def test_env_overrides_are_typed():
    s = load_settings(
        None,
        {
            "SIDECAR_CACHE_THRESHOLD": "0.93",
            "SIDECAR_CACHE_ENABLED": "false",
            "SIDECAR_REDIS_URL": "redis://h:1/0",
            "SIDECAR_CACHE_DIR": "/x",
            "SIDECAR_ROUTING_THRESHOLDS": "[0.2, 0.6]",
            "UNRELATED": "1",
        },
    )
    assert s.cache.threshold == 0.93 and s.cache.enabled is False
    assert s.redis.url == "redis://h:1/0" and s.cache.dir == "/x"
    assert s.routing.thresholds == (0.2, 0.6)


def test_upstream_points_every_deployment():
    s = load_settings(None, {}, upstream="http://127.0.0.1:9000/v1")
    assert {d.base_url for t in s.tiers for d in t.deployments} == {"http://127.0.0.1:9000/v1"}
    assert [d.model for t in s.tiers for d in t.deployments] == [
        "gpt-4o-mini",
        "claude-haiku-4-5",
        "gpt-4.1-mini",
        "claude-sonnet-4-5",
        "gpt-4o",
        "claude-opus-4-5",
    ]
    assert [d.api for t in s.tiers for d in t.deployments] == ["openai", "anthropic"] * 3


@pytest.mark.parametrize(
    ("env", "field"),
    [
        ({"SIDECAR_CACHE_THRESHOLD": "1.5"}, "cache.threshold"),
        ({"SIDECAR_SERVER_PORT": "http"}, "server.port"),
        ({"SIDECAR_ROUTING_DEFAULT_TIER": "huge"}, "routing.default_tier"),
        ({"SIDECAR_ROUTING_THRESHOLDS": "[0.9, 0.1]"}, "routing.thresholds"),
        ({"SIDECAR_CACHE_EMBED_BACKEND": "gpu"}, "cache.embed_backend"),
    ],
)
def test_errors_name_the_field(env, field):
    with pytest.raises(ConfigError) as err:
        load_settings(None, env)
    assert field in str(err.value)


def test_unknown_sidecar_env_is_tolerated_with_a_warning(caplog):
    """Issue 13 item 21: Kubernetes service variables for Services named sidecar* never abort."""
    env = {
        "SIDECAR_PORT": "tcp://10.0.0.7:8080",
        "SIDECAR_PORT_8080_TCP_ADDR": "10.0.0.7",
        "SIDECAR_SERVICE_HOST": "10.0.0.7",
        "SIDECAR_CACHE_SERVICE_HOST": "10.0.0.8",
        "SIDECAR_CACHE_PORT": "tcp://10.0.0.8:6379",
        "SIDECAR_REDIS_SERVICE_PORT": "6379",
        "SIDECAR_UPSTREAM_PORT_443_TCP": "tcp://10.0.0.9:443",
        "SIDECAR_CACHE_TTL_S": "60",
    }
    settings = load_settings(None, env)
    assert settings.cache.ttl_s == 60  # real settings still apply
    warned = caplog.text
    assert "SIDECAR_CACHE_SERVICE_HOST" in warned and "SIDECAR_REDIS_SERVICE_PORT" in warned
    assert "10.0.0.8" not in warned  # names only, never values
    assert "SIDECAR_SERVICE_HOST" not in warned  # not setting-shaped: skipped quietly


def test_bad_yaml_file(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("tiers: [ {name: a, deployments: []} ]\nrouting: {default_tier: a}\n")
    with pytest.raises(ConfigError, match=r"tiers\.0\.deployments"):
        load_settings(p, {})
    p.write_text("- just a list\n")
    with pytest.raises(ConfigError, match="mapping"):
        load_settings(p, {})
    with pytest.raises(ConfigError):
        load_settings(tmp_path / "missing.yaml", {})


def test_mock_only_when_nothing_names_an_upstream():
    assert needs_mock(None, {}, None)
    assert not needs_mock(None, {"OPENAI_API_KEY": "k"}, None)
    assert not needs_mock(None, {"ANTHROPIC_API_KEY": "k"}, None)
    assert not needs_mock(None, {}, "http://x/v1")
    assert not needs_mock("c.yaml", {}, None)


def test_model_dir_from_sidecar_model_dir_unless_the_config_names_one(tmp_path):
    assert load_settings(None, {}).cache.model_dir is None
    assert load_settings(None, {"SIDECAR_MODEL_DIR": "/m"}).cache.model_dir == "/m"
    both = {"SIDECAR_MODEL_DIR": "/m", "SIDECAR_CACHE_MODEL_DIR": "/c"}
    assert load_settings(None, both).cache.model_dir == "/c"
    cfg = tmp_path / "c.yaml"
    cfg.write_text("cache: {model_dir: /y}\n")
    assert load_settings(cfg, {"SIDECAR_MODEL_DIR": "/m"}).cache.model_dir == "/y"
