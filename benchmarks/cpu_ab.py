"""Sidecar CPU per request, code tree against code tree, in one run (issue 17: lean hot path).

    python -m benchmarks.cpu_ab before=/path/to/old/tree after=. [--n 100] [--rounds 6]
        [--pad 0] [--out benchmarks/results/cpu_ab.json]

Starts one bundled mock and one sidecar per tree (each with `PYTHONPATH` and cwd at its tree,
the same env as `benchmarks.systems`), then in rounds, alternating the order, sends each
sidecar `--n` unique prompts at concurrency 1 (misses), then the same prompts again (exact
hits). CPU is read from `/proc/<pid>/task/*/schedstat` (nanoseconds on CPU) around each block
and split into the event-loop thread and the other threads (encoder workers). Per round and
kind it reports each tree's ms/request and its ratio to the first tree in that same round; the
median ratio is the figure to quote (machine load moves absolute numbers by +-30% between
rounds here, paired ratios far less). `--pad N` prefixes N lines of ~220 characters to every
prompt (long-prompt costs). A worktree of an older commit: `git worktree add /tmp/old <rev>`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks import peers, systems

OUT = Path(__file__).resolve().parent / "results" / "cpu_ab.json"
PAD_LINE = "Here is some context for the question, line by line. " * 4 + "\n"


def thread_cpu_ns(pid: int) -> tuple[int, int]:
    """(event-loop thread, all other threads) nanoseconds on CPU so far."""
    main = other = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                ns = int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            continue  # a thread that ended meanwhile
        if tid == str(pid):
            main += ns
        else:
            other += ns
    return main, other


async def block(sess: aiohttp.ClientSession, srv: peers.Server, texts: list[str]) -> dict[str, Any]:
    """Send `texts` one at a time; CPU ms per request (loop, threads) and the cache results."""
    m0, o0 = thread_cpu_ns(srv.pid)
    results: dict[str, int] = {}
    for text in texts:
        body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": text}]}
        async with sess.post(srv.url, json=body) as resp:
            await resp.read()
            key = f"{resp.status} {resp.headers.get('X-Sidecar-Cache', '')}"
            results[key] = results.get(key, 0) + 1
    m1, o1 = thread_cpu_ns(srv.pid)
    n = len(texts)
    loop, threads = (m1 - m0) / 1e6 / n, (o1 - o0) / 1e6 / n
    return {"loop": loop, "threads": threads, "total": loop + threads, "results": results}


def prompts(n: int, pad: int) -> list[str]:
    """`n` unique prompts (a fresh tag per block, so every one misses the first time)."""
    tag = uuid.uuid4().hex[:8]
    head = PAD_LINE * pad
    return [f"{head}question {tag} {i}: how do I tune {i * 7} widgets in {tag}?" for i in range(n)]


async def run(trees: dict[str, str], n: int, rounds: int, pad: int, logs: Path) -> dict[str, Any]:
    """Start the mock and one sidecar per tree; alternate blocks; stop everything."""
    mock = peers.mock(peers.free_port())
    peers.start_ready([mock], logs, 30)
    env, _ = systems.sidecar_env()
    servers = {}
    for name, path in trees.items():
        s = peers.sidecar(name, peers.free_port(), mock.base + "/v1", {**env, "PYTHONPATH": path})
        s.cwd = path
        servers[name] = s
    rows: list[dict[str, Any]] = []
    try:
        peers.start_ready(servers.values(), logs)
        async with aiohttp.ClientSession() as sess:
            for s in servers.values():  # first requests (allocations, caches) not measured
                await block(sess, s, prompts(20, pad))
            for r in range(rounds):
                order = list(servers.items())
                for name, s in order if r % 2 == 0 else order[::-1]:
                    texts = prompts(n, pad)
                    rows.append(
                        {"round": r, "tree": name, "kind": "miss", **await block(sess, s, texts)}
                    )
                    rows.append(
                        {"round": r, "tree": name, "kind": "exact", **await block(sess, s, texts)}
                    )
    finally:
        for s in servers.values():
            s.stop()
        mock.stop()
    return summarize(rows, list(trees))


def summarize(rows: list[dict[str, Any]], names: list[str]) -> dict[str, Any]:
    """Median ms/request per tree and kind, and median per-round ratio to the first tree."""
    out: dict[str, Any] = {}
    base = names[0]
    for kind in ("miss", "exact"):
        ref = {r["round"]: r for r in rows if r["tree"] == base and r["kind"] == kind}
        for name in names:
            mine = [r for r in rows if r["tree"] == name and r["kind"] == kind]
            entry: dict[str, Any] = {"results": mine[-1]["results"] if mine else {}}
            for part in ("loop", "threads", "total"):
                entry[f"{part}_ms"] = round(statistics.median(r[part] for r in mine), 4)
                ratios = [r[part] / ref[r["round"]][part] for r in mine if ref[r["round"]][part]]
                # None where the reference spent nothing (e.g. no encoder thread on exact hits).
                median = statistics.median(ratios) if ratios else None
                entry[f"{part}_ratio_to_{base}"] = None if median is None else round(median, 4)
            out.setdefault(kind, {})[name] = entry
    return {"per_kind": out, "rows": rows}


def main(argv: list[str] | None = None) -> None:
    """CLI: NAME=PATH trees; prints the table and writes the JSON."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.cpu_ab", description=__doc__)
    p.add_argument("trees", nargs="+", help="NAME=PATH, the first is the reference")
    p.add_argument("--n", type=int, default=100, help="prompts per block")
    p.add_argument("--rounds", type=int, default=6)
    p.add_argument("--pad", type=int, default=0, help="context lines before each prompt")
    p.add_argument("--out", default=str(OUT))
    args = p.parse_args(argv)
    trees = dict(t.split("=", 1) for t in args.trees)
    trees = {k: str(Path(v).resolve()) for k, v in trees.items()}
    t0 = time.time()
    doc = asyncio.run(run(trees, args.n, args.rounds, args.pad, peers.BENCH_CACHE / "cpu_ab"))
    doc.update(
        what="sidecar CPU ms per request at c=1 (schedstat), trees alternating in one run",
        trees=trees,
        n=args.n,
        rounds=args.rounds,
        pad_lines=args.pad,
        machine=systems.machine(),
        seconds=round(time.time() - t0, 1),
    )
    Path(args.out).write_text(json.dumps(doc, indent=1) + "\n")
    base = next(iter(trees))
    for kind, per in doc["per_kind"].items():
        for name, e in per.items():
            print(
                f"{kind:5s} {name:8s} loop {e['loop_ms']:.3f} ms (x{e[f'loop_ratio_to_{base}']})"
                f"  threads {e['threads_ms']:.3f}  total {e['total_ms']:.3f} ms"
                f" (x{e[f'total_ratio_to_{base}']})  {e['results']}"
            )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
