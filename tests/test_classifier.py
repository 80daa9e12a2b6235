"""Router head, tiers, calibration, quality metrics and escalation rules (no model load)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from classifier.calibrate import calibrate_thresholds, write_thresholds
from classifier.escalation import escalation_reason, is_refusal
from classifier.features import FEATURE_NAMES, text_features
from classifier.quality import curve, random_curve
from classifier.router import DEFAULT_WEIGHTS, EMBED_DIM, Router, tier_for


def _unit(seed: int, n: int = 1) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(n, EMBED_DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.mark.parametrize(
    ("score", "tier"),
    [(0.0, 0), (0.29, 0), (0.3, 1), (0.5, 1), (0.69, 1), (0.7, 2), (1.0, 2)],
)
def test_tier_for_three_tiers(score: float, tier: int) -> None:
    assert tier_for(score, [0.3, 0.7]) == tier


def test_tier_for_edge_shapes() -> None:
    assert tier_for(0.9, []) == 0  # one tier: everything goes there
    assert tier_for(0.4, [0.5]) == 0 and tier_for(0.5, [0.5]) == 1
    assert tier_for(0.5, [0.5, 0.5]) == 2  # equal thresholds: the middle tier is empty


def test_shipped_weights_load_and_score_deterministically() -> None:
    router = Router.load()
    assert DEFAULT_WEIGHTS.stat().st_size < 500_000
    assert len(router.thresholds) == 2 and list(router.thresholds) == sorted(router.thresholds)
    texts = ["hi", "Prove that sqrt(2) is irrational.", "```py\ndef f(x): return x\n```", ""]
    for i, text in enumerate(texts):
        vec = _unit(i)[0]
        first = router.score(vec, text)
        assert 0.0 <= first <= 1.0
        assert router.score(vec.copy(), text) == first
        assert router.score(vec * 0.98, text) == pytest.approx(first, abs=1e-6)  # re-normalized


def test_numpy_head_has_no_torch_import() -> None:
    code = (
        "import sys, numpy as np; from classifier.router import Router; "
        "Router.load().score(np.ones(384, np.float32), 'hi'); "
        "sys.exit(int(any(m in sys.modules for m in ('torch', 'sklearn', 'aiohttp'))))"
    )
    root = Path(__file__).resolve().parents[1]
    assert subprocess.run([sys.executable, "-c", code], cwd=root, check=False).returncode == 0


def test_router_save_load_roundtrip(tmp_path: Path) -> None:
    d = EMBED_DIM + len(FEATURE_NAMES)
    rng = np.random.default_rng(1)
    mlp = (
        (rng.normal(size=(d, 8)).astype(np.float32), np.zeros(8, np.float32)),
        (rng.normal(size=(8, 1)).astype(np.float32), np.zeros(1, np.float32)),
    )
    logreg = ((rng.normal(size=(d, 1)).astype(np.float32), np.ones(1, np.float32)),)
    knots = np.linspace(0.2, 0.8, 11)
    router = Router(
        np.zeros(d, np.float32),
        np.ones(d, np.float32),
        (mlp, logreg),
        "gain",
        knots,
        (0.4, 0.6),
        {"kind": "mlp"},
    )
    router.save(tmp_path / "r.npz")
    loaded = Router.load(tmp_path / "r.npz")
    vecs = _unit(2, 5)
    feats = np.stack([text_features(t) for t in "abcde"])
    np.testing.assert_allclose(loaded.score_many(vecs, feats), router.score_many(vecs, feats))
    assert loaded.thresholds == (0.4, 0.6)


def test_router_rejects_wrong_dimension() -> None:
    with pytest.raises(ValueError):
        Router.load().score(np.ones(10, np.float32), "x")


def test_text_features_are_finite_and_bounded_for_huge_input() -> None:
    f = text_features("x = 1 + 2?\n" * 50_000 + "\u00e9\u4e2d")
    assert f.shape == (len(FEATURE_NAMES),) and np.all(np.isfinite(f))


@pytest.mark.parametrize("shares", [(0.5, 0.3, 0.2), (0.2, 0.8), (0.6, 0.2, 0.1, 0.1)])
def test_calibrate_hits_target_shares(shares: tuple[float, ...]) -> None:
    scores = np.random.default_rng(3).beta(2, 5, size=10_000)
    th = calibrate_thresholds(scores, shares)
    assert len(th) == len(shares) - 1 and th == sorted(th)
    got = np.bincount([tier_for(s, th) for s in scores], minlength=len(shares)) / len(scores)
    np.testing.assert_allclose(got, shares, atol=0.002)


def test_calibrate_extremes_and_errors() -> None:
    scores = np.linspace(0, 1, 101)
    lo, hi = calibrate_thresholds(scores, [0.0, 0.0, 1.0])
    assert all(tier_for(s, [lo, hi]) == 2 for s in scores)
    with pytest.raises(ValueError):
        calibrate_thresholds([], [0.5, 0.5])
    with pytest.raises(ValueError):
        calibrate_thresholds(scores, [1.0])


def test_write_thresholds_updates_only_that_key(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("server:\n  port: 8080\nrouting:\n  alias: auto\n  thresholds: [0.1, 0.2]\n")
    write_thresholds(cfg, [0.25, 0.75])
    import yaml

    data = yaml.safe_load(cfg.read_text())
    assert data == {
        "server": {"port": 8080},
        "routing": {"alias": "auto", "thresholds": [0.25, 0.75]},
    }


def test_quality_curve_oracle_and_random() -> None:
    weak = np.array([1, 0, 0, 1, 1, 0], bool)
    strong = np.array([1, 1, 1, 0, 1, 0], bool)
    oracle = np.array([0.1, 0.9, 0.8, 0.0, 0.2, 0.3])
    c = curve(oracle, weak, strong)
    assert c.cpt(1.0) == pytest.approx(1 / 6) and c.pgr.max() == pytest.approx(2.0)
    r = random_curve(weak, strong)
    assert r.apgr() == pytest.approx(0.5) and r.cpt(0.5) == pytest.approx(0.5)


def _chat(content: object, finish: str = "stop", **message: object) -> dict[str, object]:
    return {
        "object": "chat.completion",
        "choices": [
            {
                "index": 0,
                "finish_reason": finish,
                "message": {"role": "assistant", "content": content, **message},
            }
        ],
    }


@pytest.mark.parametrize(
    ("response", "wants_json", "reason"),
    [
        (_chat("Paris is the capital of France."), False, None),
        (_chat('{"a": 1}'), True, None),
        (_chat('```json\n{"a": 1}\n```'), True, None),
        (_chat(""), False, "empty"),
        (_chat("   \n"), False, "empty"),
        (_chat(None), False, "empty"),
        ({"choices": []}, False, "empty"),
        ({"error": {"message": "x"}}, False, "empty"),
        (_chat(None, tool_calls=[{"id": "1", "type": "function"}]), True, None),
        (_chat("I'm sorry, but I cannot help with that request."), False, "refusal"),
        (_chat("I can\u2019t help with that."), False, "refusal"),
        (_chat("As an AI language model, I cannot browse the internet."), False, "refusal"),
        (_chat(None, refusal="I can't assist with that."), True, "refusal"),
        (_chat("The answer is 42 and then the text was cut", "length"), False, "length"),
        (_chat('{"a": ', "length"), True, "length"),
        (_chat("Sure! Here is the JSON: {a: 1}"), True, "invalid_json"),
        (
            {"object": "text_completion", "choices": [{"text": "", "finish_reason": "stop"}]},
            False,
            "empty",
        ),
        (
            {"object": "text_completion", "choices": [{"text": " ok", "finish_reason": "stop"}]},
            False,
            None,
        ),
    ],
)
def test_escalation_reason(
    response: dict[str, object], wants_json: bool, reason: str | None
) -> None:
    assert escalation_reason(response, wants_json=wants_json) == reason


@pytest.mark.parametrize(
    "text",
    [
        "I can't stress enough how important tests are. " * 3,
        "Here's how to do it. Note: I cannot guarantee it works on Windows.",
        "I'm sorry to hear that! Here are some tips: rest, fluids, and sleep.",
        "I'm sorry, but I cannot help with that. " + "Actually here is a long answer. " * 40,
    ],
)
def test_refusal_regex_is_conservative(text: str) -> None:
    assert not is_refusal(text)
