"""Train the hit verifier: `python -m cache.train_verifier [--data DIR] [--out FILE]`.

Trains only on `pairs/*train*`: QQP train (minus pairs that share a question with qqp_dev, so dev
stays an honest proxy for the unseen split), PAWS-QQP train (minus a fixed held-out 20%, split by
sentence bag-of-words so word-swap siblings never straddle it), MRPC train, plus synthetic hard
negatives made from the training questions (changed number, inserted negation, swapped entity)
and gibberish / random-word pairs. Reproducible (fixed seed). Embeddings come from the serving
encoder and are cached under `$SIDECAR_BENCH_CACHE` (default `/work/.bench-cache`). The operating
point (cosine + verifier threshold) is chosen on qqp_dev and the PAWS held-out part and stored
with the weights, together with the feature version and model family.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import random
import re
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from cache.encoders import Encoder, OnnxEncoder, load_encoder
from cache.onnx_export import export
from cache.train_templates import question_pairs, template_pairs
from cache.verifier import DEFAULT_PATH, FEATURE_VERSION, PairVerifier, pair_features

SEED = 1234
HARD = (400, 5000, 2500)  # training-template pairs per family, class-word swaps, synonym swaps
COSINE_GATE = 0.74  # fixed: reworded app templates often embed at cosine 0.74-0.85
# The verifier bar shipped (None = `choose_operating_point`'s pick). Rule (feature version 4):
# the lowest bar with no wrong hit on the app-shaped suite (benchmarks/cache_adversarial.py,
# replayed by benchmarks/verifier_sweep.py) plus a 0.03 margin: 0.77 + 0.03. The blind suite
# (benchmarks/blind_families.py) was not looked at while choosing.
SHIP_THRESHOLD: float | None = 0.80
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
        tmp = cache_file.with_suffix(".tmp.npz")
        np.savez(tmp, texts=np.array(list(known)), vecs=np.stack(list(known.values())))
        os.replace(tmp, cache_file)
    return {t: known[t] for t in wanted}


def offline_encoder(backend: str = "onnx") -> Encoder:
    """The serving encoder for offline jobs (two intra-op threads: nothing else to serve)."""
    if backend == "onnx":
        return OnnxEncoder(export(), threads=2)
    return load_encoder(backend)


def random_chars(rng: random.Random) -> str:
    """A gibberish prompt of random characters."""
    alphabet = "abcdefghijklmnopqrstuvwxyz" * 3 + "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789      ?!.,"
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(8, 90))).strip() or "qzx"


def random_words(rng: random.Random, words: Sequence[str]) -> str:
    """A prompt of random real words."""
    return " ".join(rng.choice(words) for _ in range(rng.randint(2, 14))).capitalize() + "?"


def _swap_number(q: str, rng: random.Random) -> str | None:
    nums = list(re.finditer(r"\d+", q))
    if not nums:
        return None
    m = rng.choice(nums)
    n = int(m.group())
    new = str(n + rng.choice([1, 2, 3, 5, 10, 100]) if rng.random() < 0.7 else rng.randint(0, 99))
    return None if new == m.group() else q[: m.start()] + new + q[m.end() :]


def _negate(q: str, rng: random.Random) -> str | None:
    m = re.search(r"\b(is|are|can|should|will|was|were|does|do|did|would|could)\b ", q)
    if not m:
        return None
    return q[: m.end()] + "not " + q[m.end() :]


def _swap_entity(q: str, rng: random.Random, pool: Sequence[str]) -> str | None:
    ents = list(re.finditer(r"(?<=\s)[A-Z][a-z]{2,}", q))
    if not ents:
        return None
    m = rng.choice(ents)
    new = rng.choice(pool)
    return None if new.lower() == m.group().lower() else q[: m.start()] + new + q[m.end() :]


def synthetic_pairs(
    questions: Sequence[str],
    words: Sequence[str],
    seed: int = SEED,
    per_kind: int = 1500,
    hard_per_kind: int = 400,
) -> list[Pair]:
    """Hard negatives (number, negation, entity) + gibberish negatives + trivial positives.

    Few hard negatives on purpose: with more, the MLP learns "one edited word = different"
    and rejects harmless edits ("capital" -> "capital city"); dev P/R is the same either way.
    """
    rng = random.Random(seed)
    pool = sorted({m for q in questions for m in re.findall(r"(?<=\s)[A-Z][a-z]{2,}", q)})
    shuffled = list(questions)
    rng.shuffle(shuffled)
    out: list[Pair] = []
    for make in (_swap_number, _negate, lambda q, r: _swap_entity(q, r, pool)):
        made = [(q, b, 0) for q in shuffled if (b := make(q, rng))][:hard_per_kind]
        out += made
    for _ in range(per_kind // 2):
        out.append((random_chars(rng), random_chars(rng), 0))
        out.append((random_chars(rng), rng.choice(shuffled), 0))
        out.append((random_words(rng, words), random_words(rng, words), 0))
        out.append((random_words(rng, words), rng.choice(shuffled), 0))
    for q in shuffled[:per_kind]:
        variant = q.lower().rstrip("?").strip() if rng.random() < 0.5 else "  " + q.upper()
        out.append((q, variant, 1))
    for q in shuffled[per_kind : per_kind + per_kind // 3]:  # texts differing only in [UNK]s
        x1, x2 = _foreign(rng), _foreign(rng)
        out.append((f"{q} {x1}", f"{q} {x2}", 0))
        out.append((f"What does {x1} mean?", f"What does {x2} mean?", 0))
        out.append((f"{q} {x1}", f"{q.lower()} {x1}", 1))
    return out


def _foreign(rng: random.Random) -> str:
    """A short run of CJK characters, emoji or Cyrillic letters (mostly [UNK] for MiniLM)."""
    lo, hi = rng.choice([(0x4E00, 0x9FFF), (0x1F600, 0x1F64F), (0x0430, 0x044F)])
    return "".join(chr(rng.randint(lo, hi)) for _ in range(rng.randint(1, 4)))


def vocab_words() -> list[str]:
    """Plain alphabetic words of the MiniLM vocab (for random-word prompts)."""
    from cache.text import tokenizer_path

    text = tokenizer_path().with_name("vocab.txt").read_text(encoding="utf-8")
    return sorted(w for w in text.split("\n") if w.isalpha() and w.islower() and len(w) > 2)


def featurize(pairs: Sequence[Pair], vecs: dict[str, np.ndarray]) -> tuple[np.ndarray, ...]:
    """(X, y, cosine) for pairs whose texts are all in `vecs`."""
    rows, labels, cosines = [], [], []
    for a, b, label in pairs:
        u, v = vecs[a], vecs[b]
        cos = float(u @ v)
        rows.append(pair_features(a, u, b, v, cos))
        labels.append(label)
        cosines.append(cos)
    return np.stack(rows), np.asarray(labels), np.asarray(cosines, dtype=np.float32)


def training_pairs(data: Path, hard: tuple[int, int, int] = (0, 0, 0)) -> list[Pair]:
    """All training pairs: QQP (dev questions removed), PAWS train part, MRPC, synthetic;
    `hard` = (pairs per training template family, class-word swaps, synonym swaps) from
    `cache/train_templates.py`."""
    pairs = data / "pairs"
    dev_questions = {t for a, b, _ in load_qqp(pairs / "qqp_dev.jsonl") for t in (a, b)}
    qqp = [
        p
        for p in load_qqp(pairs / "qqp_train.jsonl")
        if p[0] not in dev_questions and p[1] not in dev_questions
    ]
    paws_train, _ = paws_split(load_paws(pairs / "paws_qqp_train.tsv"))
    mrpc = load_mrpc(pairs / "mrpc_train.tsv")
    questions = sorted({t for a, b, _ in qqp for t in (a, b)})
    synth = synthetic_pairs(questions, vocab_words())
    rng = random.Random(SEED + 1)
    synth += template_pairs(rng, hard[0]) + question_pairs(questions, rng, hard[1], hard[2])
    print(
        f"train pairs: qqp {len(qqp)}, paws {len(paws_train)}, mrpc {len(mrpc)}, "
        f"synthetic {len(synth)}"
    )
    return qqp + paws_train + mrpc + synth


def fit(
    x: np.ndarray, y: np.ndarray, *, hidden: int = 64, seed: int = SEED
) -> dict[str, np.ndarray]:
    """Standardize + one-hidden-layer MLP (sklearn at train time); return numpy weights."""
    from sklearn.neural_network import MLPClassifier

    mean = x.mean(axis=0)
    scale = np.maximum(x.std(axis=0), 1e-6)
    mlp = MLPClassifier(
        hidden_layer_sizes=(hidden,),
        alpha=1e-3,
        batch_size=256,
        learning_rate_init=1e-3,
        max_iter=40,
        early_stopping=True,
        n_iter_no_change=4,
        random_state=seed,
    )
    mlp.fit((x - mean) / scale, y)
    return {
        "mean": mean,
        "scale": scale,
        "w1": mlp.coefs_[0],
        "b1": mlp.intercepts_[0],
        "w2": mlp.coefs_[1],
        "b2": mlp.intercepts_[1],
    }


def average(models: Sequence[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """One one-hidden-layer MLP whose logit is the mean of the given MLPs' logits (same
    standardization): their hidden layers side by side, output weights divided by their count.
    The serving code stays one numpy forward pass."""
    n = len(models)
    return {
        "mean": models[0]["mean"],
        "scale": models[0]["scale"],
        "w1": np.concatenate([m["w1"] for m in models], axis=1),
        "b1": np.concatenate([m["b1"] for m in models]),
        "w2": np.concatenate([m["w2"] / n for m in models], axis=0),
        "b2": np.mean([m["b2"] for m in models], axis=0),
    }


def pr_at(accept: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(precision, recall) of accepted pairs against labels."""
    tp = float((accept & (y == 1)).sum())
    return tp / max(float(accept.sum()), 1.0), tp / max(float((y == 1).sum()), 1.0)


def choose_operating_point(
    dev: tuple[np.ndarray, np.ndarray, np.ndarray],
    paws: tuple[np.ndarray, np.ndarray, np.ndarray],
    *,
    min_precision: float = 0.96,
    min_recall: float = 0.40,
    min_paws_reject: float = 0.90,
    cosine_gates: Sequence[float] = (COSINE_GATE,),
) -> tuple[float, float]:
    """The (cosine, verifier) thresholds to ship, from qqp_dev and the PAWS held-out part.

    Each argument is (verifier score, cosine, label). With PAWS-negative rejection held at
    `min_paws_reject` (margin over the 0.80 target) and recall >= `min_recall`: max recall at
    precision >= `min_precision` if any point reaches it; else (QQP's label noise caps
    precision near 0.9, see docs/cache_quality.md) max precision. The cosine gate is fixed
    (`COSINE_GATE`): a higher gate bought QQP precision with app-template rewordings.
    """
    by_recall: tuple[float, float, float] = (-1.0, 0.0, 0.0)
    by_precision: tuple[float, float, float] = (-1.0, 0.80, 0.5)
    for tc in cosine_gates:
        paws_neg = (paws[1] >= tc) & (paws[2] == 0)
        for tv in np.round(np.arange(0.30, 0.995, 0.01), 2):
            reject = float((paws[0][paws_neg] < tv).mean()) if paws_neg.any() else 1.0
            if reject < min_paws_reject:
                continue
            precision, recall = pr_at((dev[1] >= tc) & (dev[0] >= tv), dev[2])
            if recall < min_recall:
                continue
            if precision >= min_precision and recall > by_recall[0]:
                by_recall = (recall, float(tc), float(tv))
            if precision > by_precision[0]:
                by_precision = (precision, float(tc), float(tv))
    best = by_recall if by_recall[0] >= 0 else by_precision
    return best[1], best[2]


def main(argv: list[str] | None = None) -> None:
    """Train, pick the operating point, write the weights file."""
    parser = argparse.ArgumentParser(description="train the cache hit verifier")
    parser.add_argument("--data", type=Path, default=DATA_DIR)
    parser.add_argument("--out", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--backend", default="onnx", help="encoder: onnx (serving) or torch")
    parser.add_argument("--hidden", type=int, nargs="+", default=[64, 128])
    parser.add_argument("--threshold", type=float, default=SHIP_THRESHOLD)
    parser.add_argument(
        "--hard", type=int, nargs=3, default=HARD, metavar=("PER_FAMILY", "SWAPS", "SYNONYMS")
    )
    args = parser.parse_args(argv)
    np.random.seed(SEED)
    encoder = offline_encoder(args.backend)
    train = training_pairs(args.data, tuple(args.hard))
    dev = load_qqp(args.data / "pairs" / "qqp_dev.jsonl")
    _, paws_held = paws_split(load_paws(args.data / "pairs" / "paws_qqp_train.tsv"))
    vecs = embed_texts(encoder, (t for a, b, _ in train + dev + paws_held for t in (a, b)))
    t0 = time.perf_counter()
    x, y, _ = featurize(train, vecs)
    print(f"features {x.shape} in {time.perf_counter() - t0:.0f} s")
    t0 = time.perf_counter()
    weights = average([fit(x, y, hidden=h) for h in args.hidden])
    print(f"fit in {time.perf_counter() - t0:.0f} s")
    meta: dict[str, Any] = {
        "feature_version": np.int64(FEATURE_VERSION),
        "family": np.str_(encoder.family),
        "encoder": np.str_(encoder.name),
        "seed": np.int64(SEED),
        "cosine_threshold": np.float32(0.0),
        "threshold": np.float32(0.5),
    }
    model = PairVerifier({**weights, **meta})
    scored = []
    for pairs in (dev, paws_held):
        xs, ys, cs = featurize(pairs, vecs)
        scored.append((model.score_features(xs), cs, ys))
    tc, tv = choose_operating_point(scored[0], scored[1])
    print(f"chosen by the qqp_dev/PAWS rule: cosine >= {tc}, verifier >= {tv}")
    tv = tv if args.threshold is None else args.threshold
    p, r = pr_at((scored[0][1] >= tc) & (scored[0][0] >= tv), scored[0][2])
    print(f"operating point: cosine >= {tc}, verifier >= {tv}: qqp_dev P {p:.3f} R {r:.3f}")
    meta.update(cosine_threshold=np.float32(tc), threshold=np.float32(tv))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, Any] = {k: np.asarray(v, dtype=np.float32) for k, v in weights.items()}
    np.savez_compressed(args.out, **arrays, **meta)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
