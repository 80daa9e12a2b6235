"""Smoke tests of the benchmark tooling: workload generator, load generator, /proc stats."""

from __future__ import annotations

import asyncio
import os
import shutil
from typing import Any

import pytest

from benchmarks import loadgen, peers, plots, workloads

CLUSTERS = [["q a", "q a'", "q a''"], ["q b", "q b'"], ["q c", "q c'"], ["q d", "q d'"]] * 40
ARENA = [f"arena prompt {i}" for i in range(20)]


def test_union_find_clusters_are_transitive_and_deterministic() -> None:
    pairs = [("a", "b", 1), ("b", "c", 1), ("d", "e", 1), ("x", "y", 0), ("c", "a", 1)]
    clusters = workloads.qqp_clusters(pairs)
    assert clusters == [["a", "b", "c"], ["d", "e"]]
    assert workloads.qqp_clusters(reversed(pairs)) == clusters


def test_mixed_is_seeded_and_follows_the_ratio() -> None:
    mix = workloads.Mix(new=0.2, repeat=0.5, paraphrase=0.3, arena_share=0.2)
    a = workloads.mixed(400, seed=3, mix=mix, clusters=CLUSTERS, arena=ARENA)
    b = workloads.mixed(400, seed=3, mix=mix, clusters=CLUSTERS, arena=ARENA)
    assert a == b
    assert a != workloads.mixed(400, seed=4, mix=mix, clusters=CLUSTERS, arena=ARENA)
    kinds = workloads.describe(a)["kinds"]
    assert 0.1 < kinds["new"] / 400 < 0.3 and 0.4 < kinds["repeat"] / 400 < 0.6
    pool = [*CLUSTERS, *([p] for p in ARENA)]
    for p in a:
        if p.kind == "paraphrase":
            assert p.text in pool[p.cluster][1:]
        else:
            assert p.text == pool[p.cluster][0]


@pytest.mark.skipif(not workloads.DATA_DIR.exists(), reason="shared data not present")
def test_real_data_clusters_and_pairs() -> None:
    clusters = workloads.load_clusters()
    assert len(clusters) > 1000 and all(len(c) >= 2 for c in clusters)
    pairs = workloads.paraphrase_pairs(20, seed=1)
    assert len(pairs) == 20 and all(a != b for a, b in pairs)


async def test_loadgen_against_sidecar_and_mock(sidecar: Any, mock: Any) -> None:
    client = await sidecar()
    url = str(client.make_url("/v1/chat/completions"))
    prompt = workloads.Prompt("what is the capital of france", "repeat", 0)
    jobs = loadgen.jobs_for([prompt] * 20, headers={"X-Tenant-Id": "t"})
    run = await loadgen.run_closed(url, jobs, 4, max_seconds=20)
    summary = run.summary()
    assert summary["ok"] == 20 and not summary["errors"]
    assert summary["cache"].get("exact", 0) >= 15  # the first few are misses (or followers)
    assert summary["latency_ms"]["p50"] > 0

    direct = mock.base_url + "/chat/completions"
    prompts = [workloads.Prompt(f"hello {i}", "unique", -1) for i in range(10)]
    stream_jobs = loadgen.jobs_for(prompts, stream=True)
    run = await loadgen.run_open(direct, stream_jobs, rate=200, max_seconds=10)
    s = run.summary()
    assert s["ok"] == 10 and s["ttfb_ms"]["p50"] <= s["latency_ms"]["p50"]


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk not installed")
async def test_wrk_driver(sidecar: Any) -> None:
    client = await sidecar()
    url = str(client.make_url("/v1/chat/completions"))
    body = loadgen.jobs_for([workloads.Prompt("hi there", "seed", -1)])[0].body
    run = await loadgen.run_closed(url, [loadgen.Job(body)], 1)
    assert run.samples[0].status == 200
    res = await asyncio.to_thread(loadgen.run_wrk, url, [body], 4, 1)
    assert "error" not in res, res
    assert res["requests"] > 0 and res["cache"].get("exact", 0) > 0


def test_proc_stats_and_summary_render() -> None:
    assert peers.cpu_seconds(os.getpid()) > 0
    mem = peers.memory_kb(os.getpid())
    assert mem["VmHWM"] >= mem["VmRSS"] > 0
    text = plots.summary_md({"machine": {"date": "now"}, "systems": {"sidecar": {"ok": True}}})
    assert "| metric | sidecar |" in text


def test_summary_never_reports_zero_for_a_run_that_did_not_happen() -> None:
    results = {
        "machine": {"date": "now"},
        "systems": {"sidecar": {"ok": True}},
        "semantic": {"sidecar": {"c1": {}, "c32": {"tool": "wrk", "error": "wrk is missing"}}},
    }
    text = plots.summary_md(results)
    assert "| semantic hit ≥ 700 req/s (c=32, wrk) | not measured in this run | - |" in text
    assert "| 0 |" not in text


async def test_run_all_stops_when_wrk_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    from benchmarks import run_all

    monkeypatch.setattr(loadgen, "wrk_version", lambda: None)
    args = run_all.argparse.Namespace(only="exact", no_setup=True, quick=True)
    with pytest.raises(SystemExit, match="wrk is not installed"):
        await run_all.run(args)


@pytest.mark.skipif(
    shutil.which("node") is None or not (peers.PORTKEY_DIR / ".ok").exists(),
    reason="Portkey gateway not installed (scripts/setup-peers.sh)",
)
async def test_portkey_peer_proxies_to_the_mock(mock: Any, tmp_path: Any) -> None:
    server = peers.portkey("portkey", peers.free_port(), mock.base_url, tmp_path)
    server.start(tmp_path / "logs")
    try:
        assert await asyncio.to_thread(server.wait_ready, 60), server.error
        prompt = workloads.Prompt("hello through portkey", "unique", -1)
        jobs = loadgen.jobs_for([prompt] * 2, headers=server.headers)
        run = await loadgen.run_closed(server.url, jobs, 1, max_seconds=20, keep_body=True)
        assert [s.status for s in run.samples] == [200, 200]
        assert b"hello through portkey" in run.samples[0].body
    finally:
        server.stop()
