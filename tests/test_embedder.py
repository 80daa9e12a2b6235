"""BatchingEmbedder with a fake encoder; the real encoder (marked `model`); the text policy."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Sequence

import numpy as np
import pytest

from cache.embedder import BatchingEmbedder, plan_runs
from cache.encoders import load_encoder
from cache.text import HEAD_PIECES, JOINER, MAX_PIECES, cache_text, normalize
from sidecar.config import configured_model_dir


class FakeEncoder:
    """Deterministic: the vector is one-hot on hash(text) % dim; records batches and threads."""

    name = "fake/test"
    family = "fake"
    dim = 16

    def __init__(self, delay: float = 0.0, fail_on: str | None = None) -> None:
        self.batches: list[list[str]] = []
        self.threads: set[str] = set()
        self.delay = delay
        self.fail_on = fail_on

    def vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float32)
        vec[sum(text.encode()) % self.dim] = 1.0
        return vec

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.batches.append(list(texts))
        self.threads.add(threading.current_thread().name)
        time.sleep(self.delay)
        if self.fail_on is not None and self.fail_on in texts:
            raise ValueError("boom")
        return np.stack([self.vector(t) for t in texts])


async def test_concurrent_calls_are_batched_and_mapped_to_their_callers() -> None:
    enc = FakeEncoder(delay=0.005)
    sizes: list[int] = []
    emb = BatchingEmbedder(enc, max_batch=32, on_batch=lambda n, s: sizes.append(n))
    await emb.start()
    texts = [f"question number {i}" for i in range(20)]
    vecs = await asyncio.gather(*(emb.embed(t) for t in texts))
    await emb.close()
    assert len(enc.batches) - 1 < 20  # minus the warm-up
    for text, vec in zip(texts, vecs, strict=True):
        assert np.array_equal(vec, enc.vector(text))
    assert sum(sizes) == 21 and max(sizes) > 1
    assert enc.threads and all(name.startswith("embedder") for name in enc.threads)


async def test_sequential_calls_are_not_delayed() -> None:
    emb = BatchingEmbedder(FakeEncoder(), max_wait_ms=50.0)
    await emb.start()
    t0 = time.perf_counter()
    for i in range(5):
        await emb.embed(f"q{i}")
    await emb.close()
    assert time.perf_counter() - t0 < 0.2  # no 50 ms batching window at concurrency 1


async def test_max_batch_is_respected() -> None:
    enc = FakeEncoder(delay=0.002)
    emb = BatchingEmbedder(enc, max_batch=4)
    await asyncio.gather(*(emb.embed(str(i)) for i in range(17)))
    await emb.close()
    assert max(len(b) for b in enc.batches) <= 4


async def test_errors_propagate_to_every_waiter_and_the_embedder_survives() -> None:
    enc = FakeEncoder(delay=0.01, fail_on="bad")
    emb = BatchingEmbedder(enc)
    await emb.embed("busy")
    blocker = asyncio.ensure_future(emb.embed("busy again"))
    await asyncio.sleep(0.002)  # the worker is busy; the next three form one batch
    results = await asyncio.gather(
        emb.embed("a"), emb.embed("bad"), emb.embed("b"), return_exceptions=True
    )
    await blocker
    assert all(isinstance(r, ValueError) for r in results)
    assert np.array_equal(await emb.embed("fine"), enc.vector("fine"))
    await emb.close()


async def test_cancelling_one_waiter_does_not_break_the_batch() -> None:
    enc = FakeEncoder(delay=0.01)
    emb = BatchingEmbedder(enc)
    tasks = [asyncio.ensure_future(emb.embed(f"t{i}")) for i in range(6)]
    await asyncio.sleep(0)
    tasks[2].cancel()
    done = await asyncio.gather(*tasks, return_exceptions=True)
    assert isinstance(done[2], asyncio.CancelledError)
    for i in (0, 1, 3, 4, 5):
        assert np.array_equal(done[i], enc.vector(f"t{i}"))
    assert np.array_equal(await emb.embed("after"), enc.vector("after"))
    await emb.close()


async def test_close_fails_pending_callers() -> None:
    emb = BatchingEmbedder(FakeEncoder(delay=0.05))
    first = asyncio.ensure_future(emb.embed("slow"))
    await asyncio.sleep(0.01)
    queued = asyncio.ensure_future(emb.embed("queued"))
    await asyncio.sleep(0)
    await emb.close()
    for fut in (first, queued):
        with pytest.raises((RuntimeError, asyncio.CancelledError)):
            await fut


def test_normalize_keeps_only_meaning_preserving_changes() -> None:
    assert normalize("  What is PYTHON? \r\n") == "What is PYTHON?"
    assert normalize("line one  \r\nline two\t\n") == "line one\nline two"
    assert normalize("cafe\u0301") == normalize("caf\u00e9")  # NFC: the same character
    assert normalize("x\u00b2") != normalize("x2")  # no NFKC: a square is not a 2
    assert normalize("If x:\n    y") != normalize("if x:\n  y")  # code case and indentation
    assert normalize("a  b") != normalize("a b")  # spaces inside string literals can matter


def test_normalize_same_as_the_line_end_regex() -> None:
    """The per-line rstrip gives exactly what `[ \t]+(?=\n)` did (exact-layer keys and
    snapshots made before stay valid)."""
    import random
    import re
    import unicodedata

    line_end = re.compile(r"[ \t]+(?=\n)")

    def reference(text: str) -> str:
        text = unicodedata.normalize("NFC", text).strip()
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        return line_end.sub("", text)

    rng = random.Random(7)
    alphabet = [" ", "\t", "\n", "\r", "a", "\u00a0", "\u3000", "e\u0301", "\x0b", "\x85"]
    alphabet += ["\u2028", "\x1c", "\x0c", "  \n"]
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 16)))
        assert normalize(text) == reference(text), repr(text)


def test_cache_text_short_is_unchanged_and_long_keeps_head_and_tail() -> None:
    assert cache_text("How do I  learn Python?") == "How do I learn Python?"
    words = [f"w{i}" for i in range(600)]
    long = "START " + " ".join(words) + " final question: what is the END?"
    out = cache_text(long)
    assert out.startswith("START w0") and out.endswith("what is the END?")
    assert JOINER in out and len(out) < len(long)
    from cache.text import _default_tokenizer

    pieces = _default_tokenizer().encode(out, add_special_tokens=False).offsets
    assert len(pieces) <= MAX_PIECES and len(pieces) > HEAD_PIECES


@pytest.mark.model
def test_real_encoder_normalized_and_semantic() -> None:
    enc = load_encoder("auto", configured_model_dir(os.environ))
    assert enc.dim == 384 and enc.family == "all-MiniLM-L6-v2" and "/" in enc.name
    vecs = enc.encode(
        [
            "How do I learn Python quickly?",
            "What is the fastest way to learn Python?",
            "What is the capital of Australia?",
        ]
    )
    assert vecs.shape == (3, 384) and vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
    assert vecs[0] @ vecs[1] > vecs[0] @ vecs[2] + 0.2
    # Word pieces per text, unpadded, capped at the model's window: what run planning needs.
    counts = enc.pieces(["Hi", "How do I learn Python quickly?", "word " * 400])  # type: ignore[attr-defined]
    assert counts[0] == 3 and 8 <= counts[1] <= 12 and counts[2] == 256
    # A text's vector does not depend on what it was batched with (dynamic int8 would).
    batch = ["How do I learn Python quickly?", "word " * 300, "Is it going to rain tomorrow?"]
    together = enc.encode(batch)
    alone = np.stack([enc.encode([t])[0] for t in batch])
    assert np.allclose(together, alone, atol=1e-5)


def test_plan_runs_keeps_long_prompts_out_of_short_runs() -> None:
    lengths = [12, 256, 10, 14, 11, 240, 13]
    runs = plan_runs(lengths)
    assert sorted(i for run in runs for i in run) == list(range(len(lengths)))
    assert runs[0] == [2, 4, 0, 6, 3]  # the short ones together, shortest first
    assert all(lengths[i] >= 200 for run in runs[1:] for i in run)
    for run in runs:  # padding waste stays within the bound for every run
        longest, real = max(lengths[i] for i in run), sum(lengths[i] for i in run)
        assert longest * len(run) - real <= max(0.25 * real, 8)


def test_plan_runs_bounds_padded_size_and_handles_edges() -> None:
    assert plan_runs([]) == []
    assert plan_runs([0]) == [[0]]
    runs = plan_runs([100] * 100, max_pieces=1000)
    assert [len(r) for r in runs] == [10] * 10


async def test_short_callers_are_answered_before_a_long_one_in_the_same_batch() -> None:
    class Sized(FakeEncoder):
        def pieces(self, texts: Sequence[str]) -> list[int]:
            return [len(t.split()) + 2 for t in texts]

    enc = Sized(delay=0.01)
    emb = BatchingEmbedder(enc)
    await emb.embed("warm")
    blocker = asyncio.ensure_future(emb.embed("busy"))
    await asyncio.sleep(0.002)  # worker busy: the next ones queue into one batch
    finished: list[str] = []

    async def call(text: str) -> None:
        vec = await emb.embed(text)
        assert np.array_equal(vec, enc.vector(text))
        finished.append(text)

    long = " ".join(["word"] * 200)
    await asyncio.gather(call(long), call("short one"), call("short two"))
    await blocker
    await emb.close()
    assert finished[-1] == long
    assert ["short one", "short two"] in [sorted(b) for b in enc.batches]
    assert [long] in enc.batches  # never padded together with the short ones
