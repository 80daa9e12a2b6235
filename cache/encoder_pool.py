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

Batches, only for encoders whose padded batches are batch-invariant (`max_batch` > 1; the
per-token int8 graph, `cache.embed_quant: per_token`): a worker takes its text plus a fair share
of what is queued (queued / workers, at most `max_batch`), cuts it into padding-bounded runs
(`plan_runs`) and answers each run as it finishes. Vectors stay bit-identical to each text alone.

A lone text: with an optional `lone` encoder (the same model with two intra-op threads,
`cache.embed_lone_threads`), a worker that takes a text while no other text is waiting or being
encoded runs it on `lone`, so a request at low load uses the otherwise idle core. Off by
default: for a ~20-piece question two threads measured slower here (docs/benchmarks.md).
ONNX Runtime gives bit-identical vectors across intra-op thread counts (`wide_encoder` checks
it once at start-up: a mismatch drops `lone`), so which encoder ran never changes a vector.
Under load the queue is never empty and every text runs on its worker's one thread.
"""

from __future__ import annotations

import asyncio
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from cache.embedder import plan_runs
from cache.encoders import Encoder, OnnxEncoder
from cache.onnx_export import INT8_FILE, default_model_dir

__all__ = ["EncoderPool", "IdleMeter", "default_workers", "same_vectors", "wide_encoder"]

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


class IdleMeter:
    """Is a core to spare? The machine's idle share of CPU time over the last `window` seconds
    (/proc/stat, read at most once per window), compared with one core's share.

    Two intra-op threads only pay when the second core is otherwise idle: on this shared 2-core
    machine under other work they made one encode 2x slower (docs/benchmarks.md, Embedding).
    Without /proc/stat there is never a core to spare."""

    def __init__(self, path: str = "/proc/stat", window: float = 0.25) -> None:
        self.path, self.window = path, window
        self._at = -window
        self._last: tuple[int, int] | None = None
        self._share = 0.0
        self._cores = os.cpu_count() or 1  # /proc/stat's first line sums every CPU

    def _read(self) -> tuple[int, int] | None:
        try:
            with open(self.path, "rb") as f:
                fields = [int(v) for v in f.readline().split()[1:]]
        except (OSError, ValueError):
            return None
        return fields[3] + fields[4], sum(fields[:8])  # idle + iowait, all but guest time

    def spare(self) -> bool:
        """At least one core's worth of the machine was idle lately."""
        now = time.monotonic()
        if now - self._at >= self.window:
            self._at = now
            sample = self._read()
            if sample is not None and self._last is not None and sample[1] > self._last[1]:
                self._share = (sample[0] - self._last[0]) / (sample[1] - self._last[1])
            self._last = sample
        return self._cores > 1 and self._share >= 1 / self._cores


class EncoderPool:
    """`workers` threads encoding one text per call; `embed()` awaits a text's vector."""

    def __init__(
        self,
        encoder: Encoder,
        *,
        workers: int | None = None,
        on_batch: Callable[[int, float], None] | None = None,
        lone: Encoder | None = None,
        idle: IdleMeter | None = None,
        max_batch: int = 1,
    ) -> None:
        self.encoder = encoder
        self.lone = lone
        self.workers = workers or default_workers()
        self.max_batch = max(1, max_batch)  # > 1 only for encoders whose batches are invariant
        # Texts submitted and not yet answered; written on the loop thread only, read by the
        # workers (a stale read only picks the one-thread encoder for a lone text, or not).
        self._in_flight = 0
        self.lone_runs = 0
        self.idle = idle or IdleMeter()
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
        if self.lone is not None:
            await self.embed("warm-up alone")  # nothing else in flight: runs on `lone`

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
        self._in_flight += 1
        try:
            self._jobs.put((text, fut, loop))
            return await fut
        finally:
            self._in_flight -= 1

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
        encoder = self.encoder
        if len(jobs) == 1 and self.lone is not None and self._in_flight == 1 and self.idle.spare():
            encoder = self.lone  # nothing else to encode: use both cores for this one
            self.lone_runs += 1
        t0 = time.perf_counter()
        vecs = self._vectors(encoder, [j[0] for j in jobs])
        seconds = time.perf_counter() - t0
        for k, ((_, fut, loop), vec) in enumerate(zip(jobs, vecs, strict=True)):
            try:
                loop.call_soon_threadsafe(self._deliver, fut, vec, seconds, 0 if k else len(jobs))
            except RuntimeError:  # the caller's loop is closed: nobody is waiting
                continue

    @staticmethod
    def _vectors(encoder: Encoder, texts: list[str]) -> list[np.ndarray | BaseException]:
        """One vector (or the error) per text. A batch that fails is retried one text at a
        time, so a text the encoder rejects fails only its own caller, never its batch-mates
        (vectors are the same either way: batches are only used when batch-invariant)."""
        try:
            return list(encoder.encode(texts))
        except Exception as exc:  # the callers see the encoder's error, the worker goes on
            if len(texts) == 1:
                return [exc]
        out: list[np.ndarray | BaseException] = []
        for text in texts:
            out.extend(EncoderPool._vectors(encoder, [text]))
        return out

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


# Checked at start-up against the one-thread encoder (short, long, non-ASCII, punctuation).
CHECK_TEXTS = [
    "How do I learn Python quickly?",
    "What is the population of Tokyo and how has it changed since 1950? " * 6,
    "Wie spät ist es in München? ¿Qué hora es en Bogotá? 東京は何時ですか",
    "x = [i ** 2 for i in range(10)]  # squares; then print(sum(x))",
]


def wide_encoder(encoder: Encoder, model_dir: str | None, threads: int) -> Encoder | None:
    """The served int8 model with `threads` intra-op threads, for lone texts; None when the
    encoder is not the per-row int8 ONNX one, `threads` < 2, or its vectors differ at all."""
    if threads < 2 or not isinstance(encoder, OnnxEncoder) or not encoder.per_row:
        return None
    path = (Path(model_dir) if model_dir else default_model_dir()) / INT8_FILE
    if not path.exists():
        return None
    # Its pool threads stop spinning when a run ends: a lone text at low load is followed by
    # an idle gap, and spinning through it cost ~20 ms of CPU per request in a trial.
    wide = OnnxEncoder(
        path, threads=threads, per_row=True, session_config={"session.force_spinning_stop": "1"}
    )
    if not same_vectors(encoder, wide, CHECK_TEXTS):
        log.warning("%d-thread encoder vectors differ from 1-thread ones: not used", threads)
        return None
    return wide


def same_vectors(a: Encoder, b: Encoder, texts: list[str]) -> bool:
    """Do `a` and `b` give bit-identical vectors for `texts` (one text per call)?"""
    return all(np.array_equal(a.encode([t]), b.encode([t])) for t in texts)
