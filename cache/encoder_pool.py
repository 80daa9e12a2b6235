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

from cache.embedder import Encoder, plan_runs

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
        max_batch: int = 1,
    ) -> None:
        self.encoder = encoder
        self.workers = workers or default_workers()
        self.max_batch = max(1, max_batch)  # > 1 only for encoders whose batches are invariant
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
        """Worker loop: take a text (plus what is queued, up to max_batch), encode, deliver."""
        while (job := self._next_job()) is not _STOP:
            jobs = [j for j in self._take_queued(job) if not j[1].done()]  # racy read: see deliver
            if len(jobs) <= 1:
                self._encode(jobs)
                continue
            for run in plan_runs(self._pieces([text for text, _, _ in jobs])):
                self._encode([jobs[i] for i in run])  # shortest first, each run answered at once

    def _take_queued(self, job: _Job) -> list[_Job]:
        """`job` plus a fair share of what is queued, up to `max_batch` (never waits for more).

        A fair share (queued / workers) so one worker does not take the whole queue while the
        other finds it empty: both cores stay busy and no caller waits behind 31 batch-mates.
        """
        jobs = [job]
        share = -(-(self._jobs.qsize() + 1) // self.workers)  # ceil
        while len(jobs) < min(self.max_batch, share):
            try:
                more = self._jobs.get_nowait()
            except queue.Empty:
                break
            if more is _STOP:  # another worker's stop marker: hand it back
                self._jobs.put(_STOP)
                break
            jobs.append(more)
        return jobs

    def _pieces(self, texts: list[str]) -> list[int]:
        counter = getattr(self.encoder, "pieces", None)
        try:
            return list(counter(texts)) if counter else [len(t) // 4 + 2 for t in texts]
        except Exception:  # lengths only order the work; a bad count must not fail embeds
            log.exception("word-piece count failed; using a character estimate")
            return [len(t) // 4 + 2 for t in texts]

    def _encode(self, jobs: list[_Job]) -> None:
        """Encode `jobs` as one call and deliver each vector (or the error) on its loop."""
        if not jobs:
            return
        t0 = time.perf_counter()
        try:
            vecs: list[np.ndarray | BaseException] = list(self.encoder.encode([j[0] for j in jobs]))
        except Exception as exc:  # the callers see the encoder's error, the worker goes on
            vecs = [exc] * len(jobs)
        seconds = time.perf_counter() - t0
        for k, ((_, fut, loop), vec) in enumerate(zip(jobs, vecs, strict=True)):
            try:
                loop.call_soon_threadsafe(self._deliver, fut, vec, seconds, 0 if k else len(jobs))
            except RuntimeError:  # the caller's loop is closed: nobody is waiting
                continue

    def _next_job(self) -> _Job | None:
        """Block until a text (or the stop marker) arrives; profiles count this as idle."""
        return self._jobs.get()

    def _deliver(
        self, fut: asyncio.Future[np.ndarray], vec: object, seconds: float, size: int
    ) -> None:
        if fut.done():
            return
        if isinstance(vec, BaseException):
            fut.set_exception(vec)
            return
        fut.set_result(np.asarray(vec, dtype=np.float32))
        if self.on_batch is not None and size:  # one observation per encoder call
            try:
                self.on_batch(size, seconds)
            except Exception:  # a metrics bug must never fail embeddings
                log.exception("on_batch callback failed")
