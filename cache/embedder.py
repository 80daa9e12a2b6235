"""The asyncio micro-batching embedder over one sentence encoder (``cache/encoders.py``).

Contract: `BatchingEmbedder.embed(text)` is the only call the event loop makes: it
queues the text, and one dedicated worker thread encodes whatever is queued as one batch. At
concurrency 1 a request is encoded at once (no batching window); under load, requests that
arrive while the worker is busy form the next batch (up to `max_batch`), and the collector waits
up to `max_wait_ms` for stragglers only while the previous batch had more than one item.

A gathered batch is not run as one padded tensor: the cost of MiniLM grows with padded word
pieces, so one long prompt would make every short one in its batch pay for its length (figures:
docs/benchmarks.md, "Embedding"). The batch is sorted by length and cut into runs whose padding
waste is bounded (`plan_runs`); runs are encoded shortest first and each run's callers are
answered as soon as it is done.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from cache.encoders import MAX_LENGTH, Encoder

__all__ = ["BatchingEmbedder", "plan_runs"]

log = logging.getLogger(__name__)


def _approx_pieces(text: str) -> int:
    """Word pieces of `text` without a tokenizer (~4 characters per piece, plus [CLS]/[SEP])."""
    return min(MAX_LENGTH, len(text) // 4 + 2)


def plan_runs(
    lengths: Sequence[int], *, waste: float = 0.25, min_waste: int = 8, max_pieces: int = 4096
) -> list[list[int]]:
    """Cut one batch into runs (index lists, shortest first) that are cheap to pad together.

    A run grows while its padding (rows x longest - real pieces) stays within `waste` of its
    real pieces or `min_waste` pieces, whichever is larger, and its padded size within
    `max_pieces`. The absolute allowance stops short prompts of slightly different lengths
    from being split into runs whose fixed cost exceeds the padding saved.
    """
    runs: list[list[int]] = []
    run: list[int] = []
    real = 0
    for i in sorted(range(len(lengths)), key=lambda k: lengths[k]):
        n = max(1, lengths[i])
        padded = n * (len(run) + 1)  # sorted ascending, so n is the run's longest so far
        if run and (
            padded - (real + n) > max(waste * (real + n), min_waste) or padded > max_pieces
        ):
            runs.append(run)
            run, real = [], 0
        run.append(i)
        real += n
    if run:
        runs.append(run)
    return runs


_Item = tuple[str, "asyncio.Future[np.ndarray]"]


class BatchingEmbedder:
    """Micro-batches concurrent `embed()` calls onto one worker thread."""

    def __init__(
        self,
        encoder: Encoder,
        *,
        max_batch: int = 32,
        max_wait_ms: float = 1.0,
        on_batch: Callable[[int, float], None] | None = None,
    ) -> None:
        self.encoder = encoder
        self.max_batch = max_batch
        self.max_wait = max_wait_ms / 1000.0
        self.on_batch = on_batch
        self._queue: asyncio.Queue[_Item] | None = None
        self._task: asyncio.Task[None] | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._last_size = 0

    @property
    def dim(self) -> int:
        """Vector width of the underlying encoder."""
        return self.encoder.dim

    def _ensure_running(self) -> asyncio.Queue[_Item]:
        if self._queue is None or self._task is None or self._task.done():
            self._queue = asyncio.Queue()
            self._pool = self._pool or ThreadPoolExecutor(1, thread_name_prefix="embedder")
            self._task = asyncio.get_running_loop().create_task(self._collect(self._queue))
        return self._queue

    async def start(self) -> None:
        """Start the worker and run one warm-up encode (first ONNX/torch calls are slow)."""
        self._ensure_running()
        await self.embed("warm-up")

    async def close(self) -> None:
        """Stop the collector and the worker thread; pending callers get a RuntimeError."""
        task, queue, pool = self._task, self._queue, self._pool
        self._task = self._queue = self._pool = None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        while queue is not None and not queue.empty():
            _, fut = queue.get_nowait()
            if not fut.done():
                fut.set_exception(RuntimeError("embedder closed"))
        if pool is not None:
            pool.shutdown(wait=False)

    async def embed(self, text: str) -> np.ndarray:
        """The normalized vector of `text`, encoded in a batch with concurrent callers."""
        queue = self._ensure_running()
        fut: asyncio.Future[np.ndarray] = asyncio.get_running_loop().create_future()
        queue.put_nowait((text, fut))
        return await fut

    async def _gather(self, queue: asyncio.Queue[_Item]) -> list[_Item]:
        """Take one batch: whatever is queued, plus a short wait for more when under load."""
        batch = [await queue.get()]
        await asyncio.sleep(0)  # let callers scheduled in the same loop tick enqueue
        deadline = time.monotonic() + (self.max_wait if self._last_size > 1 else 0.0)
        while len(batch) < self.max_batch:
            if not queue.empty():
                batch.append(queue.get_nowait())
                continue
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                batch.append(await asyncio.wait_for(queue.get(), remaining))
            except TimeoutError:
                break
        return [item for item in batch if not item[1].done()]  # drop cancelled callers

    async def _collect(self, queue: asyncio.Queue[_Item]) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = await self._gather(queue)
            self._last_size = len(batch)
            if not batch:
                continue
            texts = [text for text, _ in batch]
            runs = [list(range(len(batch)))]
            if len(batch) > 1:
                runs = plan_runs(await loop.run_in_executor(self._pool, self._pieces, texts))
            for k, run in enumerate(runs):
                try:
                    await self._encode_run(loop, [batch[i] for i in run])
                except asyncio.CancelledError:
                    for later in runs[k:]:
                        for i in later:
                            batch[i][1].cancel()
                    raise

    def _pieces(self, texts: list[str]) -> list[int]:
        counter = getattr(self.encoder, "pieces", None)
        if counter is None:
            return [_approx_pieces(t) for t in texts]
        try:
            return list(counter(texts))
        except Exception:  # lengths only order the work; a bad count must not fail embeds
            log.exception("word-piece count failed; using a character estimate")
            return [_approx_pieces(t) for t in texts]

    async def _encode_run(self, loop: asyncio.AbstractEventLoop, run: list[_Item]) -> None:
        """Encode one run on the worker thread and answer its callers."""
        run = [item for item in run if not item[1].done()]  # callers cancelled meanwhile
        if not run:
            return
        t0 = time.perf_counter()
        try:
            texts = [text for text, _ in run]
            vecs: Any = await loop.run_in_executor(self._pool, self.encoder.encode, texts)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # every waiter of this run sees the encoder's error
            for _, fut in run:
                if not fut.done():
                    fut.set_exception(exc)
            return
        self._report(len(run), time.perf_counter() - t0)
        for i, (_, fut) in enumerate(run):
            if not fut.done():
                fut.set_result(np.array(vecs[i], dtype=np.float32))

    def _report(self, size: int, seconds: float) -> None:
        if self.on_batch is None:
            return
        try:
            self.on_batch(size, seconds)
        except Exception:  # a metrics bug must never fail embeddings
            log.exception("on_batch callback failed")
