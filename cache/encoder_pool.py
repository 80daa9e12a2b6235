"""Per-text encoding on a few worker threads: batch-invariant vectors that still use every core.

Contract: `EncoderPool.embed(text)` is the only call the event loop makes. It puts the text on a
thread-safe queue and awaits a future; `workers` threads (one ONNX intra-op thread each, sharing
one session) take texts one at a time, encode each alone (`encoder.encode([text])`) and hand the
vector back with one `call_soon_threadsafe`. So a text's vector is the same computation whatever
else is in flight (bit-identical to encoding it alone: no batch-mates, no padding), callers are
answered as soon as their own text is done, and under load the workers keep both cores busy.

Why not micro-batches: with dynamic int8 quantization a padded batch shares one activation scale
per tensor, so a text's vector depends on its batch-mates (102 of 3,000 qqp_dev decisions
flipped), and on this CPU (AVX2, no VNNI) one short text already keeps the int8 GEMMs near their
throughput floor, so batching per-row runs bought ~7% CPU while making 31 callers wait for the
32nd. Compared with `BatchingEmbedder` this drops the collector task, the gather window and one
executor round trip per batch: the loop does one queue put and one wake-up per text.
"""

from __future__ import annotations

import asyncio
import logging
import os
import queue
import threading
import time
from collections.abc import Callable

import numpy as np

from cache.embedder import Encoder

__all__ = ["EncoderPool", "default_workers"]

log = logging.getLogger(__name__)

_Job = tuple[str, "asyncio.Future[np.ndarray]", asyncio.AbstractEventLoop]
_STOP = None


def default_workers() -> int:
    """One worker per core this process may run on, at most 2 (the sidecar's budget)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(2, cores))


class EncoderPool:
    """`workers` threads encoding one text per call; `embed()` awaits a text's vector."""

    def __init__(
        self,
        encoder: Encoder,
        *,
        workers: int | None = None,
        on_batch: Callable[[int, float], None] | None = None,
    ) -> None:
        self.encoder = encoder
        self.workers = workers or default_workers()
        self.on_batch = on_batch
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._closed = False

    @property
    def dim(self) -> int:
        """Vector width of the underlying encoder."""
        return self.encoder.dim

    def _ensure_running(self) -> None:
        if self._threads or self._closed:
            return
        for i in range(self.workers):
            t = threading.Thread(target=self._work, name=f"embedder-{i}", daemon=True)
            t.start()
            self._threads.append(t)

    async def start(self) -> None:
        """Start the workers and warm every one up (first ONNX runs are slow)."""
        self._ensure_running()
        await asyncio.gather(*(self.embed(f"warm-up {i}") for i in range(self.workers)))

    async def close(self) -> None:
        """Stop the workers after the text each is encoding; queued callers get RuntimeError."""
        self._closed = True
        pending: list[_Job] = []
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                pending.append(job)
        for _, fut, _ in pending:
            if not fut.done():
                fut.set_exception(RuntimeError("embedder closed"))
        for _ in self._threads:
            self._jobs.put(_STOP)
        threads, self._threads = self._threads, []

        def join() -> None:
            for t in threads:
                t.join(timeout=5)

        await asyncio.to_thread(join)

    async def embed(self, text: str) -> np.ndarray:
        """The normalized vector of `text`, encoded alone on a worker thread."""
        if self._closed:
            raise RuntimeError("embedder closed")
        self._ensure_running()
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[np.ndarray] = loop.create_future()
        self._jobs.put((text, fut, loop))
        return await fut

    def _work(self) -> None:
        """Worker loop: take a text, encode it alone, deliver on the caller's loop."""
        while (job := self._next_job()) is not _STOP:
            text, fut, loop = job
            if fut.done():  # cancelled while queued (a racy read; delivery re-checks)
                continue
            t0 = time.perf_counter()
            try:
                vec: np.ndarray | BaseException = self.encoder.encode([text])[0]
            except Exception as exc:  # the caller sees the encoder's error, the worker goes on
                vec = exc
            seconds = time.perf_counter() - t0
            try:
                loop.call_soon_threadsafe(self._deliver, fut, vec, seconds)
            except RuntimeError:  # the caller's loop is closed: nobody is waiting
                continue

    def _next_job(self) -> _Job | None:
        """Block until a text (or the stop marker) arrives; profiles count this as idle."""
        return self._jobs.get()

    def _deliver(self, fut: asyncio.Future[np.ndarray], vec: object, seconds: float) -> None:
        if fut.done():
            return
        if isinstance(vec, BaseException):
            fut.set_exception(vec)
            return
        fut.set_result(np.asarray(vec, dtype=np.float32))
        if self.on_batch is not None:
            try:
                self.on_batch(1, seconds)
            except Exception:  # a metrics bug must never fail embeddings
                log.exception("on_batch callback failed")
