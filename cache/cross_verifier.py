"""Cross-encoder hit verifier: MiniLM reads the pair "[CLS] a [SEP] b [SEP]" (ONNX int8 at serve).

`CrossVerifier.score(query, query_vec, cand, cand_vec, similarity)` is P(same meaning) from a
MiniLM-L6 cross-encoder fine-tuned from the packaged `all-MiniLM-L6-v2` weights with a linear
head on the mean-pooled pair (`python -m cache.train_cross_verifier`). Unlike `PairVerifier` it
sees both texts token by token, so it can tell "flights from A to B" from "from B to A". The
pair is fed in one canonical order (the texts sorted), so the score is symmetric at the cost of
one forward pass; training showed each pair in a random order. Serving needs only onnxruntime +
tokenizers.

The model reads `max_length` (64) word pieces for the whole pair. A longer pair would be judged
on truncated texts -- two long prompts differing only at the end would look identical -- so
such pairs go to `fallback` (the `PairVerifier`, which compares the full texts), or are
rejected when there is no fallback.

Files (written by training): `cache/data/cross_verifier-int8.onnx` (dynamic int8, per-channel)
and `cache/data/cross_verifier.json` (operating point, max length, seed, family).
Same `HitVerifier` protocol as `cache.verifier.PairVerifier`; the cosine gate stays outside
(`cosine_threshold` is stored for the caller).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

DATA_DIR = Path(__file__).resolve().parent / "data"
MODEL_FILE = DATA_DIR / "cross_verifier-int8.onnx"
META_FILE = DATA_DIR / "cross_verifier.json"
MAX_LENGTH = 64  # word pieces for the whole pair, special tokens included
FAMILY = "all-MiniLM-L6-v2"


def pair_tokenizer(max_length: int = MAX_LENGTH) -> Any:
    """The packaged MiniLM WordPiece tokenizer set up for pairs (longest-first truncation)."""
    from tokenizers import Tokenizer

    from cache.text import tokenizer_path

    tok = Tokenizer.from_file(str(tokenizer_path()))
    tok.no_padding()
    tok.enable_truncation(max_length=max_length, strategy="longest_first")
    tok.enable_padding(pad_id=0, pad_token="[PAD]")  # pad to the batch's longest
    return tok


def encode_pairs(tok: Any, pairs: Sequence[tuple[str, str]]) -> dict[str, np.ndarray]:
    """input_ids / attention_mask / token_type_ids (int64) for a batch of (a, b) pairs."""
    return _feed(tok.encode_batch([(a or " ", b or " ") for a, b in pairs]))


def _feed(enc: Sequence[Any]) -> dict[str, np.ndarray]:
    return {
        "input_ids": np.array([e.ids for e in enc], dtype=np.int64),
        "attention_mask": np.array([e.attention_mask for e in enc], dtype=np.int64),
        "token_type_ids": np.array([e.type_ids for e in enc], dtype=np.int64),
    }


def canonical(a: str, b: str) -> tuple[str, str]:
    """The pair in the order the model reads it (sorted), so scores are symmetric."""
    return (a, b) if a <= b else (b, a)


class _Fallback(Protocol):
    def accept(
        self, query: str, query_vec: np.ndarray, cand: str, cand_vec: np.ndarray, similarity: float
    ) -> bool: ...


def _sigmoid(x: np.ndarray) -> np.ndarray:
    out: np.ndarray = 1.0 / (1.0 + np.exp(-np.clip(x, -30, 30)))
    return out


class CrossVerifier:
    """ONNX Runtime cross-encoder; `accept` = P(same meaning) >= `threshold`."""

    def __init__(
        self,
        model_file: str | Path = MODEL_FILE,
        meta_file: str | Path = META_FILE,
        *,
        threshold: float | None = None,
        threads: int = 1,
        fallback: _Fallback | None = None,
    ) -> None:
        import onnxruntime as ort

        meta = json.loads(Path(meta_file).read_text(encoding="utf-8"))
        self.meta = meta
        self.family = str(meta["family"])
        self.max_length = int(meta["max_length"])
        self.cosine_threshold = float(meta["cosine_threshold"])
        self.threshold = float(meta["threshold"]) if threshold is None else float(threshold)
        self.fallback = fallback
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        self._session = ort.InferenceSession(
            str(model_file), opts, providers=["CPUExecutionProvider"]
        )
        self._tok = pair_tokenizer(self.max_length)

    @classmethod
    def load(
        cls,
        *,
        threshold: float | None = None,
        threads: int = 1,
        fallback: _Fallback | None = None,
    ) -> CrossVerifier:
        """The shipped model (`$SIDECAR_CROSS_VERIFIER_DIR` overrides `cache/data/`)."""
        base = Path(os.environ.get("SIDECAR_CROSS_VERIFIER_DIR", DATA_DIR))
        return cls(
            base / MODEL_FILE.name,
            base / META_FILE.name,
            threshold=threshold,
            threads=threads,
            fallback=fallback,
        )

    def _run(self, enc: Sequence[Any]) -> np.ndarray:
        out = self._session.run(None, _feed(enc))[0]
        return _sigmoid(np.asarray(out, dtype=np.float32).reshape(-1))

    def _encode(self, pairs: Sequence[tuple[str, str]]) -> list[Any]:
        return list(self._tok.encode_batch([canonical(a or " ", b or " ") for a, b in pairs]))

    def score_pairs(self, pairs: Sequence[tuple[str, str]], *, batch: int = 64) -> np.ndarray:
        """Symmetric P(same meaning) for many pairs (offline evaluation; truncates long pairs)."""
        scores = [
            self._run(self._encode(pairs[i : i + batch])) for i in range(0, len(pairs), batch)
        ]
        return np.concatenate(scores) if scores else np.zeros(0, dtype=np.float32)

    def truncated(self, a: str, b: str) -> bool:
        """True when the pair does not fit in `max_length` word pieces."""
        return bool(self._encode([(a, b)])[0].overflowing)

    def score(
        self, query: str, query_vec: np.ndarray, cand: str, cand_vec: np.ndarray, similarity: float
    ) -> float:
        """P(query and cand mean the same), on the pair truncated to `max_length` if needed."""
        value = float(self._run(self._encode([(query, cand)]))[0])
        return 0.0 if math.isnan(value) else value

    def accept(
        self, query: str, query_vec: np.ndarray, cand: str, cand_vec: np.ndarray, similarity: float
    ) -> bool:
        """Cross score >= threshold; pairs too long for the model go to `fallback` (or fail)."""
        enc = self._encode([(query, cand)])
        if enc[0].overflowing:
            if self.fallback is None:
                return False
            return self.fallback.accept(query, query_vec, cand, cand_vec, similarity)
        value = float(self._run(enc)[0])
        return not math.isnan(value) and value >= self.threshold
