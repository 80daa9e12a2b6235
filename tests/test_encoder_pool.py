"""EncoderPool: per-text encoding on worker threads (fake encoder; the real int8 one, marked)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest

from cache.encoder_pool import EncoderPool, IdleMeter


class Spare(IdleMeter):
    """An idle meter with a fixed answer."""

    def __init__(self, answer: bool) -> None:
        super().__init__()
        self.answer = answer

    def spare(self) -> bool:
        return self.answer


class SlowEncoder:
    """Deterministic vectors from the text; records calls and which threads ran them."""

    name = "slow"
    family = "fake"
    dim = 4

    def __init__(self, delay: float = 0.02, fail_on: str = "") -> None:
        self.delay = delay
        self.fail_on = fail_on
        self.calls: list[list[str]] = []
        self.threads: set[str] = set()
        self.lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        with self.lock:
            self.calls.append(list(texts))
            self.threads.add(threading.current_thread().name)
        time.sleep(self.delay)  # releases the GIL like ONNX Runtime does
        if self.fail_on in texts:
            raise ValueError(f"cannot encode {self.fail_on!r}")
        out = np.array([[len(t), t.count("a"), 1.0, 0.0] for t in texts], dtype=np.float32)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


async def test_each_text_is_encoded_alone_on_both_workers() -> None:
    enc = SlowEncoder(delay=0.05)
    pool = EncoderPool(enc, workers=2)
    texts = [f"text {'a' * i}" for i in range(8)]
    t0 = time.perf_counter()
    vecs = await asyncio.gather(*(pool.embed(t) for t in texts))
    wall = time.perf_counter() - t0
    await pool.close()
    assert all(len(c) == 1 for c in enc.calls)  # never a batch-mate
    assert enc.threads == {"embedder-0", "embedder-1"}
    assert wall < 8 * 0.05  # two texts at a time, not one
    for t, v in zip(texts, vecs, strict=True):
        assert np.array_equal(v, enc.encode([t])[0])


async def test_an_encoder_error_reaches_only_its_caller() -> None:
    pool = EncoderPool(SlowEncoder(delay=0.0, fail_on="bad"), workers=1)
    good, bad = await asyncio.gather(pool.embed("good"), pool.embed("bad"), return_exceptions=True)
    assert isinstance(good, np.ndarray) and isinstance(bad, ValueError)
    assert isinstance(await pool.embed("still works"), np.ndarray)
    await pool.close()


async def test_close_fails_queued_callers_and_later_calls() -> None:
    enc = SlowEncoder(delay=0.2)
    pool = EncoderPool(enc, workers=1)
    first = asyncio.ensure_future(pool.embed("first"))
    for _ in range(1000):  # until "first" is on the worker (not a timing: a bounded wait)
        if enc.calls:
            break
        await asyncio.sleep(0.005)
    queued = asyncio.ensure_future(pool.embed("queued"))  # waits behind "first"
    await asyncio.sleep(0)
    await pool.close()
    with pytest.raises(RuntimeError, match="closed"):
        await queued
    assert isinstance(await first, np.ndarray) or first.cancelled()
    with pytest.raises(RuntimeError, match="closed"):
        await pool.embed("late")


async def test_a_cancelled_caller_is_skipped() -> None:
    enc = SlowEncoder(delay=0.05)
    pool = EncoderPool(enc, workers=1)
    busy = asyncio.ensure_future(pool.embed("busy"))
    gone = asyncio.ensure_future(pool.embed("gone"))
    await asyncio.sleep(0.01)
    gone.cancel()
    await busy
    await pool.embed("after")
    await pool.close()
    assert ["gone"] not in enc.calls


async def test_max_batch_takes_what_is_queued_and_stops_cleanly() -> None:
    enc = SlowEncoder(delay=0.03)
    seen: list[int] = []
    pool = EncoderPool(enc, workers=2, max_batch=4, on_batch=lambda n, _s: seen.append(n))
    texts = [f"text {'a' * i}" for i in range(12)]
    vecs = await asyncio.gather(*(pool.embed(t) for t in texts))
    await pool.close()  # a stop marker drained as a batch-mate is handed back, not lost
    assert all(len(c) <= 4 for c in enc.calls) and max(len(c) for c in enc.calls) > 1
    assert sorted(t for c in enc.calls for t in c) == sorted(texts)
    assert sum(seen) == 12 and len(seen) == len(enc.calls)  # one observation per call
    for t, v in zip(texts, vecs, strict=True):
        assert np.array_equal(v, enc.encode([t])[0])


async def until(condition: Callable[[], bool]) -> None:
    """Poll `condition` on the loop for up to 10 s (the pool's state changes on its threads)."""
    for _ in range(10_000):
        if condition():
            return
        await asyncio.sleep(0.001)
    raise TimeoutError("condition not reached")


class GatedEncoder(SlowEncoder):
    """Holds the call that encodes "first" until the test opens the gate."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.gate = threading.Event()
        self.holding = threading.Event()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if "first" in texts:
            self.holding.set()
            self.gate.wait(10)
        return super().encode(texts)


async def test_an_error_in_a_batch_fails_only_its_own_caller() -> None:
    enc = GatedEncoder(delay=0.0, fail_on="bad")
    pool = EncoderPool(enc, workers=1, max_batch=8)
    first = asyncio.ensure_future(pool.embed("first"))
    await until(enc.holding.is_set)  # the worker holds "first" (alone) at the gate
    later = [asyncio.ensure_future(pool.embed(t)) for t in ("bad", "mate")]
    await until(lambda: pool._jobs.qsize() == 2)  # both queued behind it: they form one batch
    enc.gate.set()
    results = await asyncio.gather(*later, return_exceptions=True)
    assert isinstance(await first, np.ndarray)
    assert isinstance(results[0], ValueError)
    assert np.array_equal(results[1], enc.encode(["mate"])[0])  # its batch-mate is answered
    assert any(len(c) > 1 and "bad" in c for c in enc.calls)  # "bad" did fail inside a batch
    assert isinstance(await pool.embed("still works"), np.ndarray)
    await pool.close()


@pytest.mark.model
async def test_real_int8_vectors_do_not_depend_on_what_else_is_in_flight() -> None:
    from cache.encoders import load_encoder

    enc = load_encoder("onnx")
    pool = EncoderPool(enc, workers=2)
    texts = [f"How do I learn {w} quickly?" for w in ("Python", "Rust", "Go", "C", "Haskell")] * 4
    texts += ["What is the population of Tokyo and how has it changed since 1950?"] * 3
    together = await asyncio.gather(*(pool.embed(t) for t in texts))
    await pool.close()
    for t, v in zip(texts, together, strict=True):
        assert np.array_equal(v, enc.encode([t])[0]), t  # bit-identical to the text alone


async def test_a_lone_text_runs_on_the_lone_encoder_and_a_crowd_on_the_workers() -> None:
    narrow, wide = SlowEncoder(delay=0.02), SlowEncoder(delay=0.02)
    pool = EncoderPool(narrow, workers=2, lone=wide, idle=Spare(True))
    await pool.start()  # warms both workers and the lone encoder
    assert wide.calls == [["warm-up alone"]]
    alone = await pool.embed("alone aaa")
    crowd = await asyncio.gather(*(pool.embed(f"crowd {'a' * i}") for i in range(6)))
    await pool.close()
    assert ["alone aaa"] in wide.calls and ["alone aaa"] not in narrow.calls
    # Six at once: the first worker may see an empty queue only if the others were not yet
    # queued; gather queues all six before any worker runs Python, so none is lone.
    assert not any(c[0].startswith("crowd") for c in wide.calls)
    assert pool.lone_runs == 2
    assert np.array_equal(alone, narrow.encode(["alone aaa"])[0])
    assert len(crowd) == 6


@pytest.mark.model
def test_real_two_thread_encoder_gives_the_same_vectors() -> None:
    from cache.encoder_pool import CHECK_TEXTS, same_vectors, wide_encoder
    from cache.encoders import load_encoder

    enc = load_encoder("onnx")
    wide = wide_encoder(enc, None, 2)
    assert wide is not None
    texts = [*CHECK_TEXTS, *(f"Is {w} a good first language to learn?" for w in ("C", "Go", "Lua"))]
    assert same_vectors(enc, wide, texts)
    assert wide_encoder(enc, None, 1) is None


async def test_no_spare_core_means_no_lone_encoder() -> None:
    narrow, wide = SlowEncoder(delay=0.0), SlowEncoder(delay=0.0)
    pool = EncoderPool(narrow, workers=1, lone=wide, idle=Spare(False))
    await pool.embed("alone but the machine is busy")
    await pool.close()
    assert wide.calls == [] and pool.lone_runs == 0


def test_idle_meter_reads_the_idle_share_of_proc_stat(tmp_path) -> None:
    stat = tmp_path / "stat"
    meter = IdleMeter(str(stat), window=0.0)
    meter._cores = 2
    # user nice system idle iowait irq softirq steal
    stat.write_text("cpu  100 0 0 100 0 0 0 0 0 0\ncpu0 ...\n")
    assert not meter.spare()  # one sample: no interval yet
    stat.write_text("cpu  130 0 0 170 0 0 0 0 0 0\n")  # 70 of 100 ticks idle
    assert meter.spare()
    stat.write_text("cpu  200 0 0 200 0 0 0 0 0 0\n")  # 30 of 100 idle: under one core
    assert not meter.spare()
    assert not IdleMeter(str(tmp_path / "missing"), window=0.0).spare()
