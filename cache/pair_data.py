"""The labelled pair data sets, read in place, and the embedding cache of offline jobs.

Contract: ``load_qqp`` / ``load_paws`` / ``load_mrpc`` read the files under
``$SIDECAR_DATA_DIR/pairs`` (default ``/work/shared/data``; never copied into the repo) into
``(text a, text b, label)`` pairs; ``paws_split`` is the fixed, deterministic train / held-out
split (by sentence bag-of-words, so word-swap siblings never straddle it). ``embed_texts``
encodes only the texts not yet in the on-disk cache under ``$SIDECAR_BENCH_CACHE`` (default
``/work/.bench-cache``), keyed by encoder name. For training and benchmarks only: the serving
path never imports this module.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from cache.encoders import Encoder, OnnxEncoder, load_encoder
from cache.onnx_export import export

DATA_DIR = Path(os.environ.get("SIDECAR_DATA_DIR", "/work/shared/data"))
Pair = tuple[str, str, int]


def bench_cache_dir() -> Path:
    """Where embeddings of the evaluation/training texts are cached (outside the repo)."""
    return Path(os.environ.get("SIDECAR_BENCH_CACHE", "/work/.bench-cache"))


def load_qqp(path: Path) -> list[Pair]:
    """QQP-style JSON lines {"a", "b", "label"}."""
    with path.open(encoding="utf-8") as fh:
        return [(r["a"], r["b"], int(r["label"])) for r in map(json.loads, fh)]


def load_paws(path: Path) -> list[Pair]:
    """PAWS TSV: id, sentence1, sentence2, label."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [(r[1], r[2], int(r[3])) for r in rows[1:]]


def load_mrpc(path: Path) -> list[Pair]:
    """MRPC TSV (CRLF, some strings CSV-quoted): Quality, #1 ID, #2 ID, #1 String, #2 String."""

    def unquote(field: str) -> str:
        if len(field) >= 2 and field[0] == field[-1] == '"':
            return field[1:-1].replace('""', '"')
        return field

    lines = path.read_text(encoding="utf-8-sig").splitlines()[1:]
    rows = [line.split("\t") for line in lines if line.strip()]
    return [(unquote(r[3]), unquote(r[4]), int(r[0])) for r in rows if len(r) == 5]


def paws_split(rows: Sequence[Pair], heldout: float = 0.2) -> tuple[list[Pair], list[Pair]]:
    """Deterministic (train, held-out) split grouped by the bag of words of sentence 1."""
    train: list[Pair] = []
    held: list[Pair] = []
    for row in rows:
        key = " ".join(sorted(set(re.findall(r"\w+", row[0].lower()))))
        bucket = int(hashlib.sha1(key.encode()).hexdigest()[:8], 16) / 16**8
        (held if bucket < heldout else train).append(row)
    return train, held


def embed_texts(
    encoder: Encoder, texts: Iterable[str], *, batch: int = 64
) -> dict[str, np.ndarray]:
    """Vectors for `texts`, encoding only those not yet in the on-disk cache."""
    cache_file = bench_cache_dir() / f"emb-{encoder.name.replace('/', '_')}.npz"
    known: dict[str, np.ndarray] = {}
    if cache_file.exists():
        with np.load(cache_file, allow_pickle=False) as data:
            known = dict(zip(data["texts"].tolist(), data["vecs"], strict=True))
    wanted = list(dict.fromkeys(texts))
    missing = sorted((t for t in wanted if t not in known), key=len)
    if missing:
        t0 = time.perf_counter()
        for i in range(0, len(missing), batch):
            chunk = missing[i : i + batch]
            known.update(zip(chunk, encoder.encode(chunk), strict=True))
        print(f"embedded {len(missing)} texts in {time.perf_counter() - t0:.0f} s")
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        # A temporary name of this process's own: two jobs embedding at once each write a
        # whole file, and the last rename wins (both are valid caches).
        tmp = cache_file.with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez(tmp, texts=np.array(list(known)), vecs=np.stack(list(known.values())))
        os.replace(tmp, cache_file)
    return {t: known[t] for t in wanted}


def offline_encoder(backend: str = "onnx") -> Encoder:
    """The serving encoder for offline jobs (two intra-op threads: nothing else to serve)."""
    if backend == "onnx":
        return OnnxEncoder(export(), threads=2)
    return load_encoder(backend)
