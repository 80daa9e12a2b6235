"""Bi-encoder fine-tuning study (cache/train_biencoder.py): the pair pool never holds a qqp_dev
question or a PAWS held-out pair, batches are reproducible epochs, and the losses rank as meant.
Nothing here trains a model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cache.pair_data import paws_split
from cache.train_biencoder import batches, cosent_loss, mnrl_loss, training_pairs

PAWS = [
    ("Flights from Paris to Rome in May", "Flights from Rome to Paris in May", 0),
    ("How do I learn to swim as an adult", "How can an adult learn to swim", 1),
    ("Which is bigger, Mars or Venus", "Which is bigger, Venus or Mars", 1),
    ("Is coffee bad for your heart", "Is your heart bad for coffee", 0),
    ("Why do cats purr when happy", "Why do happy cats purr", 1),
    ("Can dogs eat grapes safely", "Can grapes eat dogs safely", 0),
    ("What do owls eat at night", "At night what do owls eat", 1),
    ("Who wrote the first novel in Spanish", "Who wrote in Spanish the first novel", 1),
]


def _write(tmp: Path) -> None:
    pairs = tmp / "pairs"
    pairs.mkdir()
    train = [
        {"a": "How do I bake bread at home?", "b": "How can I make bread at home?", "label": 1},
        {"a": "Is the 2019 model worth it?", "b": "Is the 2020 model worth it?", "label": 0},
        {"a": "What is the capital of France?", "b": "Which city is France's capital?", "label": 1},
        {"a": "Shared with dev: what is love?", "b": "What does love mean?", "label": 1},
    ]
    dev = [{"a": "Shared with dev: what is love?", "b": "Define love", "label": 1}]
    for name, rows in (("qqp_train.jsonl", train), ("qqp_dev.jsonl", dev)):
        (pairs / name).write_text("".join(json.dumps(r) + "\n" for r in rows))
    tsv = ["id\tsentence1\tsentence2\tlabel"] + [
        f"{i}\t{a}\t{b}\t{y}" for i, (a, b, y) in enumerate(PAWS)
    ]
    (pairs / "paws_qqp_train.tsv").write_text("\n".join(tsv) + "\n")


def test_pool_holds_no_dev_question_and_no_paws_heldout_pair(tmp_path: Path) -> None:
    _write(tmp_path)
    by_source = training_pairs(tmp_path, hard=(2, 5, 5))
    texts = {t for rows in by_source.values() for a, b, _ in rows for t in (a, b)}
    assert "Shared with dev: what is love?" not in texts
    assert len(by_source["qqp"]) == 3
    train, held = paws_split(PAWS)
    assert held and train  # the fixture exercises both sides of the split
    assert set(by_source["paws"]) == set(train)
    assert not set(by_source["paws"]) & set(held)
    assert {y for _, _, y in by_source["slot"]} == {0, 1}


def test_batches_are_reproducible_epochs() -> None:
    pool = [(f"a{i}", f"b{i}", i % 2) for i in range(10)]
    first = batches(pool, 4, seed=7, steps=5)
    assert first == batches(pool, 4, seed=7, steps=5)
    assert first != batches(pool, 4, seed=8, steps=5)
    assert all(len(b) == 4 for b in first)
    # the first 8 pairs drawn are 8 different pairs of the first epoch
    assert len({p for b in first[:2] for p in b}) == 8


def test_cosent_penalises_negatives_above_positives() -> None:
    torch = pytest.importorskip("torch")
    labels = torch.tensor([1, 0, 1, 0])
    right = cosent_loss(torch.tensor([0.9, 0.2, 0.8, 0.3]), labels)
    wrong = cosent_loss(torch.tensor([0.2, 0.9, 0.3, 0.8]), labels)
    assert float(right) < 0.01 < 5 < float(wrong)
    only_pos = cosent_loss(torch.tensor([0.1, 0.9]), torch.tensor([1, 1]))
    assert float(only_pos) == pytest.approx(0.0)


def test_mnrl_prefers_own_partner() -> None:
    torch = pytest.importorskip("torch")
    eye = torch.eye(3)
    assert float(mnrl_loss(eye, eye)) < float(mnrl_loss(eye, eye.flip(0)))
