"""Cross-encoder hit verifier: shipped int8 model + metadata, determinism, symmetry, a few pairs."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cache.cross_verifier import META_FILE, MODEL_FILE, CrossVerifier, canonical

pytestmark = [
    pytest.mark.model,
    pytest.mark.skipif(
        not (MODEL_FILE.exists() and META_FILE.exists()),
        reason="no trained cross-encoder (python -m cache.train_cross_verifier)",
    ),
]

VEC = np.zeros(384, dtype=np.float32)  # the cross-encoder ignores the vectors
PARAPHRASE = ("What is the capital of France?", "What is the capital city of France?")
LONG = " ".join(["the quick brown fox jumps over the lazy dog"] * 12)


class RecordingFallback:
    """Stands in for the PairVerifier on pairs too long for the cross-encoder."""

    def __init__(self, answer: bool) -> None:
        self.answer = answer
        self.calls: list[tuple[str, str]] = []

    def accept(
        self, query: str, query_vec: np.ndarray, cand: str, cand_vec: np.ndarray, similarity: float
    ) -> bool:
        self.calls.append((query, cand))
        return self.answer


@pytest.fixture(scope="module")
def verifier() -> CrossVerifier:
    return CrossVerifier.load()


def score(verifier: CrossVerifier, a: str, b: str) -> float:
    return verifier.score(a, VEC, b, VEC, 0.9)


def test_shipped_files_and_metadata(verifier: CrossVerifier) -> None:
    assert MODEL_FILE.stat().st_size < 25e6
    meta = json.loads(META_FILE.read_text())
    assert meta["family"] == verifier.family == "all-MiniLM-L6-v2"
    assert meta["max_length"] == verifier.max_length == 64
    assert 0.5 <= verifier.cosine_threshold < 1.0 and 0.0 < verifier.threshold < 1.0


def test_deterministic_and_symmetric(verifier: CrossVerifier) -> None:
    a, b = "How do I learn Python quickly?", "What is the fastest way to learn Python?"
    s1 = score(verifier, a, b)
    assert 0.0 <= s1 <= 1.0
    assert s1 == score(verifier, a, b)
    assert s1 == score(verifier, b, a)
    # Dynamic int8 quantizes activations with one range per batch, padding included, so a
    # score moves slightly with its batch mates (~0.01); alone it is exact and stable.
    batch = verifier.score_pairs([(a, b), ("x", "y"), (b, a)])
    assert batch[0] == batch[2]
    assert batch[0] == pytest.approx(s1, abs=0.03)
    assert canonical(a, b) == canonical(b, a)


def test_paraphrase_outscores_its_word_swap(verifier: CrossVerifier) -> None:
    para = score(verifier, "Flights from New York to London", "Flights to London from New York")
    swap = score(verifier, "Flights from New York to London", "Flights from London to New York")
    assert para > swap
    assert score(verifier, *PARAPHRASE) > score(
        verifier, "What is the capital of France?", "What is the capital of Germany?"
    )


@pytest.mark.parametrize(
    ("a", "b"),
    [
        PARAPHRASE,
        ("How can I lose weight fast?", "What is the fastest way to lose weight?"),
        ("How do I learn Python quickly?", "What is the fastest way to learn Python?"),
    ],
)
def test_accepts_easy_paraphrases(verifier: CrossVerifier, a: str, b: str) -> None:
    assert verifier.accept(a, VEC, b, VEC, 0.95)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Flights from New York to London", "Flights from London to New York"),
        ("What is the capital of France?", "What is the capital of Germany?"),
        ("How do I convert Celsius to Fahrenheit?", "How do I convert Fahrenheit to Celsius?"),
        ("qzx vbn wer tyu?", "plm okn ijb uhv?"),
        ("", "What is the capital of France?"),
    ],
)
def test_rejects_different_meanings(verifier: CrossVerifier, a: str, b: str) -> None:
    assert not verifier.accept(a, VEC, b, VEC, 0.95)


def test_long_pairs_go_to_the_fallback(verifier: CrossVerifier) -> None:
    a, b = LONG + " in Paris?", LONG + " in Rome?"  # differ only past max_length word pieces
    assert verifier.truncated(a, b) and not verifier.truncated(*PARAPHRASE)
    assert not verifier.accept(a, VEC, b, VEC, 0.99)  # no fallback: a long pair is refused
    for answer in (True, False):
        fallback = RecordingFallback(answer)
        guarded = CrossVerifier(MODEL_FILE, META_FILE, fallback=fallback)
        assert guarded.accept(a, VEC, b, VEC, 0.99) is answer
        assert guarded.accept(PARAPHRASE[0], VEC, PARAPHRASE[1], VEC, 0.95)
        assert fallback.calls == [(a, b)]  # short pairs never reach the fallback
