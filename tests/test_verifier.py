"""Hit verifier: shipped weights, determinism, hand-written hard pairs, a few real rows."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from cache.verifier import (
    FEATURE_VERSION,
    LEXICAL_NAMES,
    PairVerifier,
    lexical_features,
    pair_features,
)
from sidecar.config import configured_model_dir

DATA = Path("/work/shared/data/pairs")


@pytest.fixture(scope="module")
def verifier() -> PairVerifier:
    return PairVerifier.load()


@pytest.fixture(scope="module")
def encoder():  # type: ignore[no-untyped-def]
    from cache.encoders import load_encoder

    return load_encoder("auto", configured_model_dir(os.environ))


def test_weights_load_with_metadata(verifier: PairVerifier) -> None:
    assert verifier.family == "all-MiniLM-L6-v2"
    assert 0.5 <= verifier.cosine_threshold < 1.0 and 0.0 < verifier.threshold < 1.0
    with np.load(Path(__file__).parents[1] / "cache" / "data" / "verifier.npz") as data:
        assert int(data["feature_version"]) == FEATURE_VERSION


def test_wrong_feature_version_is_refused(tmp_path: Path) -> None:
    with np.load(Path(__file__).parents[1] / "cache" / "data" / "verifier.npz") as data:
        weights = {k: data[k] for k in data.files}
    weights["feature_version"] = np.int64(FEATURE_VERSION + 1)
    with pytest.raises(ValueError, match="feature version"):
        PairVerifier(weights)


def test_features_are_symmetric_and_deterministic(verifier: PairVerifier) -> None:
    rng = np.random.default_rng(0)
    u, v = rng.normal(size=384).astype(np.float32), rng.normal(size=384).astype(np.float32)
    a, b = "How do I fly from Boston to Denver?", "Cheapest flight from Denver to Boston?"
    assert np.allclose(pair_features(a, u, b, v, 0.8), pair_features(b, v, a, u, 0.8))
    assert verifier.score(a, u, b, v, 0.8) == verifier.score(a, u, b, v, 0.8)
    assert len(lexical_features(a, b, 0.8)) == len(LEXICAL_NAMES)


MISMATCHES = [
    ("What is 15% of 200?", "What is 15% of 300?"),
    (
        "How much does a 2 bedroom apartment cost in Boston?",
        "How much does a 3 bedroom apartment cost in Boston?",
    ),
    ("Is coffee good for your health?", "Is coffee not good for your health?"),
    ("Why do people believe in astrology?", "Why don't people believe in astrology?"),
    (
        "What is the cheapest flight from Boston to Denver?",
        "What is the cheapest flight from Denver to Boston?",
    ),
    ("Why did Germany invade France?", "Why did France invade Germany?"),
    ("What is the capital of Austria?", "What is the capital of Australia?"),
    ("xkq zzv plorm fweeb?", "qxz vvz mrolp beewf?"),
]
PARAPHRASES = [
    ("How do I learn Python quickly?", "What is the fastest way to learn Python?"),
    ("How can I lose weight fast?", "How do I lose weight quickly?"),
    ("What is machine learning?", "What is meant by machine learning?"),
    ("How do I get a job at Google?", "How can I get a job at Google?"),
    ("How can I improve my English speaking skills?", "How do I improve my spoken English?"),
]


@pytest.mark.model
@pytest.mark.parametrize(("a", "b"), MISMATCHES)
def test_rejects_hand_written_mismatches(verifier: PairVerifier, encoder, a: str, b: str) -> None:  # type: ignore[no-untyped-def]
    u, v = encoder.encode([a, b])
    assert not verifier.accept(a, u, b, v, float(u @ v)), (
        a,
        b,
        verifier.score(a, u, b, v, float(u @ v)),
    )


@pytest.mark.model
@pytest.mark.parametrize(("a", "b"), PARAPHRASES)
def test_accepts_clear_paraphrases(verifier: PairVerifier, encoder, a: str, b: str) -> None:  # type: ignore[no-untyped-def]
    u, v = encoder.encode([a, b])
    assert verifier.accept(a, u, b, v, float(u @ v)), (
        a,
        b,
        verifier.score(a, u, b, v, float(u @ v)),
    )


@pytest.mark.model
def test_paraphrases_outscore_every_mismatch(verifier: PairVerifier, encoder) -> None:  # type: ignore[no-untyped-def]
    def score(a: str, b: str) -> float:
        u, v = encoder.encode([a, b])
        return verifier.score(a, u, b, v, float(u @ v))

    worst_paraphrase = min(score(a, b) for a, b in PARAPHRASES)
    best_mismatch = max(score(a, b) for a, b in MISMATCHES)
    assert worst_paraphrase > best_mismatch + 0.2, (worst_paraphrase, best_mismatch)


@pytest.mark.model
@pytest.mark.skipif(not DATA.exists(), reason="shared pair data not present")
def test_real_qqp_rows_are_mostly_right(verifier: PairVerifier, encoder) -> None:  # type: ignore[no-untyped-def]
    with (DATA / "qqp_dev.jsonl").open(encoding="utf-8") as fh:
        rows = [json.loads(line) for line, _ in zip(fh, range(200), strict=False)]
    vecs = encoder.encode([t for r in rows for t in (r["a"], r["b"])])
    accepted = correct = 0
    for i, row in enumerate(rows):
        u, v = vecs[2 * i], vecs[2 * i + 1]
        sim = float(u @ v)
        ok = sim >= verifier.cosine_threshold and verifier.accept(row["a"], u, row["b"], v, sim)
        accepted += ok
        correct += ok and row["label"] == 1
    assert accepted >= 10 and correct / accepted >= 0.75  # QQP labels are noisy
