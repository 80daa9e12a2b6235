"""Benchmark workloads built from real prompts: QQP paraphrase clusters and Arena-Hard prompts.

A *cluster* is a set of questions that mean the same thing: union-find over the label-1 pairs of
QQP (a question and its labelled duplicates, transitively). Arena-Hard prompts are singleton
clusters (long, hard, real user prompts; no paraphrases).

`mixed(n, ...)` draws a request stream with a controllable repeat / paraphrase / new ratio:
- new:        the next never-seen cluster (seeded shuffle), sent as its canonical question;
- repeat:     a seen cluster picked by Zipf popularity (rank 1 = first seen), canonical text
              again (an exact-cache hit for a cache that stored it);
- paraphrase: a seen multi-question cluster picked by Zipf popularity, one of its *other*
              questions (a semantic-cache candidate).
Everything is seeded: the same arguments give the same stream. Nothing is read at import time.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"
QQP_FILES = ("pairs/qqp_dev.jsonl", "pairs/qqp_train.jsonl")
ARENA_FILES = ("prompts/arena_hard_v0.1.jsonl", "prompts/arena_hard_v2.0.jsonl")
KINDS = ("new", "repeat", "paraphrase")


@dataclass(frozen=True, slots=True)
class Prompt:
    """One request of a workload: the last user message and how it was drawn."""

    text: str
    kind: str  # new | repeat | paraphrase | unique | seed | probe
    cluster: int  # index into the cluster list (-1 for synthetic prompts)


def data_dir(root: str | Path | None = None) -> Path:
    """The shared data folder (``../shared/data`` next to the checkout, unless given)."""
    return Path(root) if root is not None else DATA_DIR


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        parent = self.parent.setdefault(x, x)
        while parent != x:
            grand = self.parent[parent]
            self.parent[x] = grand  # path halving
            x, parent = parent, grand
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)  # deterministic root


def qqp_clusters(pairs: Iterable[tuple[str, str, int]], min_size: int = 2) -> list[list[str]]:
    """Paraphrase clusters from (a, b, label) pairs: connected components of label-1 edges."""
    uf = _UnionFind()
    for a, b, label in pairs:
        a, b = a.strip(), b.strip()
        if label == 1 and a and b and a != b:
            uf.union(a, b)
    groups: dict[str, list[str]] = {}
    for q in uf.parent:
        groups.setdefault(uf.find(q), []).append(q)
    clusters = [sorted(set(g)) for g in groups.values() if len(set(g)) >= min_size]
    # Canonical question first: the shortest (ties alphabetical), a typical "origin" prompt.
    clusters = [sorted(c, key=lambda s: (len(s), s)) for c in clusters]
    clusters.sort(key=lambda c: c[0])
    return clusters


def _read_pairs(paths: Sequence[Path]) -> Iterator[tuple[str, str, int]]:
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    row = json.loads(line)
                    yield str(row["a"]), str(row["b"]), int(row["label"])


@lru_cache(maxsize=4)
def load_clusters(root: str | None = None, files: tuple[str, ...] = QQP_FILES) -> list[list[str]]:
    """QQP paraphrase clusters (size >= 2) from the shared data, canonical question first."""
    base = data_dir(root)
    return qqp_clusters(_read_pairs([base / f for f in files]))


@lru_cache(maxsize=4)
def load_arena(root: str | None = None, files: tuple[str, ...] = ARENA_FILES) -> list[str]:
    """Arena-Hard prompts (v0.1 and v2.0), de-duplicated, in file order."""
    base = data_dir(root)
    seen: dict[str, None] = {}
    for name in files:
        with open(base / name, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    prompt = str(json.loads(line)["prompt"]).strip()
                    if prompt:
                        seen.setdefault(prompt, None)
    return list(seen)


def zipf_weights(n: int, s: float) -> list[float]:
    """Cumulative Zipf weights 1/rank**s for ranks 1..n (for random.choices cum_weights)."""
    total, out = 0.0, []
    for rank in range(1, n + 1):
        total += 1.0 / rank**s
        out.append(total)
    return out


@dataclass(frozen=True, slots=True)
class Mix:
    """Shares of new / repeat / paraphrase requests (normalized), Zipf exponent, Arena share."""

    new: float = 0.3
    repeat: float = 0.4
    paraphrase: float = 0.3
    zipf_s: float = 1.1
    arena_share: float = 0.2  # share of *new* clusters that are Arena-Hard prompts

    def probabilities(self) -> list[float]:
        total = self.new + self.repeat + self.paraphrase
        if total <= 0:
            raise ValueError("Mix: at least one of new/repeat/paraphrase must be > 0")
        return [self.new / total, self.repeat / total, self.paraphrase / total]


def mixed(
    n: int,
    seed: int = 0,
    mix: Mix = Mix(),
    *,
    clusters: Sequence[Sequence[str]] | None = None,
    arena: Sequence[str] | None = None,
) -> list[Prompt]:
    """A reproducible stream of ``n`` prompts with the given new/repeat/paraphrase mix."""
    clusters = load_clusters() if clusters is None else clusters
    arena = load_arena() if arena is None else arena
    rng = random.Random(seed)
    qqp_order = list(range(len(clusters)))
    rng.shuffle(qqp_order)
    arena_order = list(range(len(arena)))
    rng.shuffle(arena_order)
    # Pool of every cluster: QQP ones keep their index, Arena prompts come after them.
    pool: list[Sequence[str]] = [*clusters, *([p] for p in arena)]
    seen: list[int] = []  # cluster ids in first-seen order (rank 1 = most popular)
    multi: list[int] = []  # seen clusters that have paraphrases
    probs = mix.probabilities()
    out: list[Prompt] = []
    qi = ai = 0
    for _ in range(n):
        kind = rng.choices(KINDS, probs)[0]
        if kind == "paraphrase" and not multi:
            kind = "new"
        if kind == "repeat" and not seen:
            kind = "new"
        if kind == "new":
            use_arena = ai < len(arena_order) and (
                rng.random() < mix.arena_share or qi >= len(qqp_order)
            )
            if use_arena:
                cid = len(clusters) + arena_order[ai]
                ai += 1
            elif qi < len(qqp_order):
                cid = qqp_order[qi]
                qi += 1
            else:
                raise ValueError("mixed: ran out of new clusters; lower n or the new share")
            seen.append(cid)
            if len(pool[cid]) > 1:
                multi.append(cid)
            out.append(Prompt(pool[cid][0], "new", cid))
        elif kind == "repeat":
            cid = seen[_zipf_index(rng, len(seen), mix.zipf_s)]
            out.append(Prompt(pool[cid][0], "repeat", cid))
        else:
            cid = multi[_zipf_index(rng, len(multi), mix.zipf_s)]
            out.append(Prompt(rng.choice(pool[cid][1:]), "paraphrase", cid))
    return out


def _zipf_index(rng: random.Random, n: int, s: float) -> int:
    """0-based rank drawn with probability proportional to 1/rank**s (inverse CDF, O(log n))."""
    cum = _zipf_cum(n, s)
    return rng.choices(range(n), cum_weights=cum)[0]


@lru_cache(maxsize=64)
def _zipf_cum(n: int, s: float) -> list[float]:
    return zipf_weights(n, s)


def unique(n: int, seed: int = 0, tag: str = "", offset: int = 0) -> list[Prompt]:
    """``n`` distinct prompts: canonical questions of distinct QQP clusters, in seeded order.

    Past the cluster count (15.6k) a counter suffix keeps them distinct. The suffix is short on
    purpose: a long per-run tag would double the word pieces of a typical QQP question and so
    the embedding cost of every system that embeds. Benchmarks give each run its own tenant
    (cache scope); peers without scopes get disjoint slices of one order through ``offset``.
    ``tag`` is for callers that need distinct prompts across seeds.
    """
    clusters = load_clusters()
    rng = random.Random(seed)
    order = list(range(len(clusters)))
    rng.shuffle(order)
    out = []
    for i in range(offset, offset + n):
        cid = order[i % len(order)]
        text = clusters[cid][0]
        lap = i // len(order)
        if lap or tag:
            text = f"{text} ({tag}{lap})"
        out.append(Prompt(text, "unique", cid))
    return out


def paraphrase_pairs(n: int, seed: int = 0, *, max_len: int = 200) -> list[tuple[str, str]]:
    """``n`` (origin, paraphrase) pairs from distinct QQP clusters, origin = canonical question."""
    clusters = load_clusters()
    rng = random.Random(seed)
    order = list(range(len(clusters)))
    rng.shuffle(order)
    out: list[tuple[str, str]] = []
    for cid in order:
        c = clusters[cid]
        if len(c[0]) <= max_len:
            out.append((c[0], rng.choice(c[1:])))
            if len(out) == n:
                break
    return out


def chat_body(text: str, model: str = "gpt-4o-mini", *, stream: bool = False) -> dict[str, Any]:
    """An OpenAI chat completion request for one user message (temperature 0: cacheable)."""
    body: dict[str, Any] = {
        "model": model,
        "messages": [{"role": "user", "content": text}],
        "temperature": 0,
    }
    if stream:
        body["stream"] = True
    return body


def describe(prompts: Sequence[Prompt]) -> dict[str, Any]:
    """Counts per kind and distinct clusters, for the results file."""
    kinds: dict[str, int] = {}
    for p in prompts:
        kinds[p.kind] = kinds.get(p.kind, 0) + 1
    return {"n": len(prompts), "kinds": kinds, "clusters": len({p.cluster for p in prompts})}
