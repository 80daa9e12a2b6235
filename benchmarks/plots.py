"""Plots (PNG) and the markdown summary of a `benchmarks.run_all` results dict.

`render(results, outdir)` writes latency_cdf.png, rps_vs_concurrency.png, hit_rate_over_time.png;
`summary_md(results)` returns summary.md (tables, date, machine, what could not run and why).
`python -m benchmarks.plots [bench.json]` re-renders both from a saved run.
"""

# ruff: noqa: E501  (markdown table rows stay on one line each: easier to check against the output)
from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
ORDER = (
    "mock",
    "sidecar",
    "sidecar-before",
    "sidecar-nocache",
    "litellm",
    "litellm-cache",
    "gptcache",
    "portkey",
)
LABEL = {
    "mock": "direct (mock)",
    "sidecar": "sidecar",
    "sidecar-before": "sidecar, before (--before checkout)",
    "sidecar-nocache": "sidecar, cache off",
    "litellm": "LiteLLM",
    "litellm-cache": "LiteLLM + local cache",
    "gptcache": "GPTCache server",
    "portkey": "Portkey gateway (Node)",
}


def _get(d: Any, *path: Any) -> Any:
    for p in path:
        if not isinstance(d, dict) or p not in d:
            return None
        d = d[p]
    if isinstance(d, float) and math.isnan(d):  # a level where every request failed
        return None
    return d


def render(results: dict[str, Any], outdir: Path) -> None:
    """Write the three PNG plots (skipping panels whose scenario did not run)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [
        ("miss", "1", "latency", "miss, c=1: latency"),
        ("miss", "32", "latency", "miss, c=32: latency"),
        ("stream", "1", "ttfb", "streaming miss, c=1: TTFB"),
        ("exact", "c1", "latency", "exact hit, c=1: latency"),
    ]
    fig, axes = plt.subplots(2, 2, figsize=(12, 8))
    for ax, (scen, level, _, title) in zip(axes.flat, panels, strict=True):
        data = _get(results, scen)
        for name in ORDER:
            values = (
                _get(data, level, name, "cdf_ms")
                if scen != "exact"
                else _get(data, name, level, "cdf_ms")
            )
            if values:
                n = len(values)
                ax.plot(values, [(i + 1) / n for i in range(n)], label=LABEL[name])
        ax.set_xscale("log")
        ax.set_xlabel("ms (log)")
        ax.set_ylabel("CDF")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        if ax.lines:
            ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(outdir / "latency_cdf.png", dpi=110)
    plt.close(fig)

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 4.5))
    for name in ORDER:
        xs, ys = [], []
        for c in ("1", "32", "128"):
            rps = _get(results, "miss", c, name, "rps")
            if rps:
                xs.append(int(c))
                ys.append(rps)
        if xs:
            a1.plot(xs, ys, marker="o", label=LABEL[name])
        xs, ys = [], []
        for c in ("c1", "c32", "c128"):
            rps = _get(results, "exact", name, c, "rps")
            if rps:
                xs.append(int(c[1:]))
                ys.append(rps)
        if xs:
            a2.plot(xs, ys, marker="o", label=LABEL[name])
    a1.set_title("miss path (aiohttp client; mock TTFT 20 ms)")
    a2.set_title("cache hits (c=1 aiohttp, c=32/128 wrk)")
    for ax in (a1, a2):
        ax.set_xscale("log", base=2)
        ax.set_xlabel("concurrency")
        ax.set_ylabel("requests/s")
        ax.grid(True, alpha=0.3)
        if ax.lines:
            ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(outdir / "rps_vs_concurrency.png", dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(8, 4.5))
    for name in ORDER:
        windows = _get(results, "mixed", name, "hit_rate_over_time")
        if windows:
            ax.plot(
                [w["requests"] for w in windows],
                [w["exact"] + w["semantic"] for w in windows],
                marker=".",
                label=LABEL[name],
            )
            if name == "sidecar":
                ax.plot(
                    [w["requests"] for w in windows],
                    [w["semantic"] for w in windows],
                    linestyle="--",
                    label="sidecar: semantic part",
                )
    mix = _get(results, "mixed", "mix") or {}
    ax.set_title(
        "mixed workload: hit rate per 100 requests "
        f"(new {mix.get('new')}, repeat {mix.get('repeat')}, paraphrase {mix.get('paraphrase')})"
    )
    ax.set_xlabel("requests sent")
    ax.set_ylabel("hit share")
    ax.set_ylim(0, 1)
    ax.grid(True, alpha=0.3)
    if ax.lines:
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(outdir / "hit_rate_over_time.png", dpi=110)
    plt.close(fig)


# --- summary.md ----------------------------------------------------------------------------------


def _f(x: Any, nd: int = 2, unit: str = "") -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if isinstance(x, float | int):
        return f"{x:,.{nd}f}{unit}"
    return str(x)


def _row(label: str, cells: list[str]) -> str:
    return "| " + " | ".join([label, *cells]) + " |"


def _systems(results: dict[str, Any]) -> list[str]:
    return [n for n in ORDER[1:] if n in (results.get("systems") or {})]


def headline(results: dict[str, Any]) -> list[str]:
    """The side-by-side table: one row per metric, one column per system."""
    names = _systems(results)
    lines = [
        _row("metric", [LABEL[n] for n in names]),
        "|" + "---|" * (len(names) + 1),
    ]

    def miss(c: str, q: str, key: str = "added_ms", scen: str = "miss") -> list[str]:
        return [_f(_get(results, scen, c, n, key, q)) for n in names]

    lines.append(_row("miss added p50, c=1 (ms)", miss("1", "p50")))
    lines.append(_row("miss added p99, c=1 (ms)", miss("1", "p99")))
    lines.append(_row("miss added p50, c=32 (ms)", miss("32", "p50")))
    lines.append(_row("miss added p99, c=32 (ms)", miss("32", "p99")))
    lines.append(_row("miss added p50, c=128 (ms)", miss("128", "p50")))
    lines.append(
        _row(
            "miss req/s, c=32 (aiohttp client)",
            [_f(_get(results, "miss", "32", n, "rps"), 0) for n in names],
        )
    )
    lines.append(
        _row(
            "miss req/s, c=128 (aiohttp client)",
            [_f(_get(results, "miss", "128", n, "rps"), 0) for n in names],
        )
    )
    lines.append(
        _row(
            "miss CPU ms/request, c=32",
            [_f(_get(results, "miss", "32", n, "cpu_ms_per_req")) for n in names],
        )
    )
    lines.append(_row("streaming TTFB added p50, c=1 (ms)", miss("1", "p50", scen="stream")))
    lines.append(_row("streaming TTFB added p50, c=32 (ms)", miss("32", "p50", scen="stream")))
    lines.append(
        _row(
            "hit latency p50, c=1 (ms, exact repeat)",
            [_f(_get(results, "exact", n, "c1", "latency_ms", "p50")) for n in names],
        )
    )
    lines.append(
        _row(
            "hit added p50 vs direct mock, c=1 (ms)",
            [_f(_get(results, "exact", n, "c1", "added_ms", "p50")) for n in names],
        )
    )
    for c in ("c32", "c128"):
        lines.append(
            _row(
                f"exact-hit req/s, {c.replace('c', 'c=')} (wrk)",
                [_f(_get(results, "exact", n, c, "rps"), 0) for n in names],
            )
        )
    lines.append(
        _row(
            "exact-hit CPU ms/request, c=32",
            [_f(_get(results, "exact", n, "c32", "cpu_ms_per_req")) for n in names],
        )
    )
    lines.append(
        _row(
            "semantic-hit added p50, c=1 (ms)",
            [_f(_get(results, "semantic", n, "c1", "added_ms", "p50")) for n in names],
        )
    )
    lines.append(
        _row(
            "semantic-hit req/s, c=32 (wrk)",
            [_f(_get(results, "semantic", n, "c32", "rps"), 0) for n in names],
        )
    )
    lines.append(
        _row(
            "paraphrase hit share (calibration)",
            [_f(_get(results, "semantic", n, "calibration", "hit_share")) for n in names],
        )
    )
    lines.append(
        _row(
            "mixed: hit rate / wrong answers served",
            [
                f"{_f(_get(results, 'mixed', n, 'hit_rate'))} / "
                f"{_f(_get(results, 'mixed', n, 'wrong_hits'), 0)}"
                if _get(results, "mixed", n)
                else "-"
                for n in names
            ],
        )
    )
    lines.append(
        _row(
            "RSS at ready / peak (MB)",
            [
                f"{_f(_mb(_get(results, 'systems', n, 'rss_at_ready_kb', 'VmRSS')), 0)} / "
                f"{_f(_mb(_get(results, 'systems', n, 'rss_end_kb', 'VmHWM')), 0)}"
                for n in names
            ],
        )
    )
    mem = results.get("memory") or {}
    cells = []
    for n in names:
        if n == "sidecar" and mem:
            cells.append(
                " / ".join(
                    _f(_mb(_get(mem, k, "rss_after_traffic_kb", "VmHWM")), 0)
                    for k in ("10000", "100000")
                )
            )
        else:
            cells.append("not measured")
    lines.append(_row("peak RSS with 10k / 100k entries (MB)", cells))
    return lines


def _mb(kb: Any) -> float | None:
    return kb / 1024 if isinstance(kb, int | float) and kb else None


def targets(results: dict[str, Any]) -> list[str]:
    """The performance targets, and ratios to the peers measured in the same run."""
    rows = ["| target | measured | met |", "|---|---|---|"]

    def add(
        name: str, value: float | None, limit: float, text: str, *, floor: bool = False
    ) -> None:
        if value is None:
            rows.append(f"| {name} | not measured in this run | - |")
            return
        ok = value >= limit if floor else value <= limit
        rows.append(f"| {name} | {text} | {'yes' if ok else 'no'} |")

    def g(*path: Any) -> Any:
        return _get(results, *path)

    nocache = g("miss", "1", "sidecar-nocache", "added_ms", "p50")
    add("proxy alone (cache off) added p50 ≤ 0.8 ms (c=1)", nocache, 0.8, f"{_f(nocache)} ms")
    ours, p99 = (
        g("miss", "1", "sidecar", "added_ms", "p50"),
        g("miss", "1", "sidecar", "added_ms", "p99"),
    )
    add("miss added p50 ≤ 3 ms (c=1)", ours, 3.0, f"{_f(ours)} ms")
    add("miss added p99 ≤ 10 ms (c=1)", p99, 10.0, f"{_f(p99)} ms")
    ex = g("exact", "sidecar", "c1", "added_ms", "p50")
    add("exact hit added p50 ≤ 0.3 ms (c=1)", ex, 0.3, f"{_f(ex)} ms")
    sem = g("semantic", "sidecar", "c1", "added_ms", "p50")
    add("semantic hit added p50 ≤ 3 ms (c=1)", sem, 3.0, f"{_f(sem)} ms")
    mrps = g("miss", "32", "sidecar", "rps")
    add("miss ≥ 700 req/s (c=32, aiohttp client)", mrps, 700, f"{_f(mrps, 0)} req/s", floor=True)
    srps = g("semantic", "sidecar", "c32", "rps")
    add("semantic hit ≥ 700 req/s (c=32, wrk)", srps, 700, f"{_f(srps, 0)} req/s", floor=True)
    erps = g("exact", "sidecar", "c32", "rps")
    add("exact hit ≥ 5,000 req/s (c=32, wrk)", erps, 5000, f"{_f(erps, 0)} req/s", floor=True)
    peak = _mb(g("memory", "100000", "rss_after_traffic_kb", "VmHWM"))
    add("peak RSS ≤ 600 MB with 100k entries", peak, 600, f"{_f(peak, 0)} MB")
    rows += [
        "",
        "Ratios to the peers in this run (sidecar / peer; below 1 = the sidecar is faster):",
        "",
    ]
    rows += ["| metric | vs LiteLLM | vs Portkey gateway |", "|---|---|---|"]
    for label, path, ours_name in (
        ("miss added p50, c=1 (full cache + route path)", ("miss", "1"), "sidecar"),
        ("miss added p50, c=32", ("miss", "32"), "sidecar"),
        ("proxy alone added p50, c=1 (cache off)", ("miss", "1"), "sidecar-nocache"),
        ("streaming TTFB added p50, c=1", ("stream", "1"), "sidecar"),
    ):
        mine = g(*path, ours_name, "added_ms", "p50")
        cells = []
        for peer in ("litellm", "portkey"):
            theirs = g(*path, peer, "added_ms", "p50")
            cells.append(
                f"{mine / theirs:.2f} ({_f(mine)} / {_f(theirs)} ms)"
                if mine is not None and theirs
                else "-"
            )
        rows.append(f"| {label} | {cells[0]} | {cells[1]} |")
    mine = g("miss", "32", "sidecar", "rps")
    cells = []
    for peer in ("litellm", "portkey"):
        theirs = g("miss", "32", peer, "rps")
        cells.append(
            f"{mine / theirs:.2f}x ({_f(mine, 0)} / {_f(theirs, 0)})" if mine and theirs else "-"
        )
    rows.append(
        f"| miss req/s, c=32 (above 1 = the sidecar serves more) | {cells[0]} | {cells[1]} |"
    )
    return rows


def before_after(results: dict[str, Any]) -> list[str]:
    """Per scenario: the `--before` checkout's sidecar vs this one, and the peers, same run."""
    if "sidecar-before" not in (results.get("systems") or {}):
        return []
    rows = [
        "| scenario | before | after | after / before | after / LiteLLM | after / Portkey |",
        "|---|---|---|---|---|---|",
    ]
    specs: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [
        ("miss added p50, c=1 (ms)", ("miss", "1"), ("added_ms", "p50")),
        ("miss added p99, c=1 (ms)", ("miss", "1"), ("added_ms", "p99")),
        ("miss added p50, c=32 (ms)", ("miss", "32"), ("added_ms", "p50")),
        ("miss req/s, c=32", ("miss", "32"), ("rps",)),
        ("miss req/s, c=128", ("miss", "128"), ("rps",)),
        ("streaming TTFB added p50, c=1 (ms)", ("stream", "1"), ("added_ms", "p50")),
        ("exact hit added p50, c=1 (ms)", ("exact",), ("c1", "added_ms", "p50")),
        ("exact-hit req/s, c=32 (wrk)", ("exact",), ("c32", "rps")),
        ("semantic hit added p50, c=1 (ms)", ("semantic",), ("c1", "added_ms", "p50")),
        ("semantic-hit req/s, c=32 (wrk)", ("semantic",), ("c32", "rps")),
    ]
    for label, scen, path in specs:
        old, new = (_get(results, *scen, n, *path) for n in ("sidecar-before", "sidecar"))
        cells = [_f(old), _f(new)]
        for n in ("sidecar-before", "litellm", "portkey"):
            other = _get(results, *scen, n, *path)
            ok = isinstance(new, int | float) and isinstance(other, int | float) and other
            cells.append(f"{new / other:.2f}" if ok else "-")
        rows.append(f"| {label} | " + " | ".join(cells) + " |")
    return rows


def summary_md(results: dict[str, Any]) -> str:
    """The whole summary.md."""
    m = results.get("machine", {})
    out = [
        "# Benchmarks: llm-sidecar vs LiteLLM proxy, GPTCache and Portkey's gateway",
        "",
        f"Run {m.get('date')} on {m.get('cpu')} ({m.get('cores')} cores, {m.get('memory')}), "
        f"Python {m.get('python')}, {m.get('wrk')}; peers: "
        + ", ".join(f"{k} {v}" for k, v in (m.get("peers") or {}).items())
        + f". Load average at start {' '.join(m.get('loadavg_start', []))}, "
        f"end {' '.join(m.get('loadavg_end', []))} (the 2 cores are shared: compare the columns "
        "of one run, not runs). "
        + ("`--quick` run. " if results.get("quick") else "")
        + f"Total {results.get('total_seconds')} s.",
        "",
        "Every system talks to the same mock upstream (`sidecar.mock_upstream`). *Added* latency = "
        "percentile of the system minus the same percentile going direct to the mock, measured "
        "in the same run with direct and system blocks interleaved. Hits are compared with the "
        "direct mock at TTFT 0 (the HTTP floor). Tools: python-aiohttp closed-loop client unless "
        "the row says wrk. Full numbers: `bench.json`; method: `docs/benchmarks.md`.",
        "",
    ]
    notes = results.get("notes") or []
    failed = {n: s["error"] for n, s in (results.get("systems") or {}).items() if not s.get("ok")}
    if notes or failed:
        out += ["## Caveats", ""]
        out += [f"- {n}" for n in notes]
        out += [f"- **{LABEL.get(n, n)} could not run**: `{e[-400:]}`" for n, e in failed.items()]
        out.append("")
    out += [
        "## Headline",
        "",
        *headline(results),
        "",
        "## Targets",
        "",
        *targets(results),
        "",
    ]
    if rows := before_after(results):
        out += ["## Before / after (same run)", "", *rows, ""]
    mixed = results.get("mixed") or {}
    if mixed:
        out += [
            "## Mixed workload",
            "",
            f"Workload: {mixed.get('workload')}, mix {mixed.get('mix')}; closed loop c=32, "
            "model `auto`, mock TTFT 100 ms.",
            "",
            "| system | p50 ms | p99 ms | req/s | hit rate | wrong answers | tiers | saved USD | spent USD |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for n in ORDER:
            r = mixed.get(n)
            if r:
                out.append(
                    f"| {LABEL[n]} | {_f(r['latency_ms']['p50'], 1)} | {_f(r['latency_ms']['p99'], 1)} "
                    f"| {_f(r['rps'], 0)} | {_f(r.get('hit_rate'))} | {_f(r.get('wrong_hits'), 0)} "
                    f"| {r.get('tier')} | {_f(r.get('saved_usd'), 5)} | {_f(r.get('spend_usd'), 5)} |"
                )
        out.append("")
    mem = results.get("memory") or {}
    if mem:
        out += [
            "## Sidecar memory with a pre-filled cache",
            "",
            "| entries | snapshot MB | ready after s | RSS at ready MB | peak RSS after traffic MB | traffic |",
            "|---|---|---|---|---|---|",
        ]
        for k, v in mem.items():
            out.append(
                f"| {k} | {_f(_mb((v.get('snapshot_bytes') or 0) / 1024), 1)} | {_f(v.get('ready_s'), 1)} "
                f"| {_f(_mb(_get(v, 'rss_at_ready_kb', 'VmRSS')), 0)} "
                f"| {_f(_mb(_get(v, 'rss_after_traffic_kb', 'VmHWM')), 0)} | {v.get('traffic', v.get('error'))} |"
            )
        out.append("")
    out += _detail_tables(results)
    out += _profile_md(results.get("profile") or {})
    out += [
        "Plots: `latency_cdf.png`, `rps_vs_concurrency.png`, `hit_rate_over_time.png`.",
        "",
    ]
    return "\n".join(out)


def _profile_md(profile: dict[str, Any]) -> list[str]:
    """py-spy top frames of the sidecar, one block per profiled loop."""
    if not profile:
        return []
    out = [
        "## Sidecar profiles (py-spy, 200 Hz, idle threads dropped)",
        "",
    ]
    for name, p in profile.items():
        if not isinstance(p, dict) or "top" not in p:
            out += [f"- {name}: {p}", ""]
            continue
        top = p["top"]
        if not isinstance(top, dict):
            out += [f"- {name}: py-spy failed: `{top}`", ""]
            continue
        out += [
            f"**{name}** ({p['requests']} requests, {_f(p['cpu_ms_per_req'])} CPU ms/request; "
            f"{top['samples'][0]})",
            "",
            "```",
            "own time:",
            *top["own"],
            "inclusive, our packages:",
            *top["inclusive_ours"],
            "```",
            "",
        ]
    return out


def _detail_tables(results: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for scen, key in (("miss", "latency_ms"), ("stream", "ttfb_ms")):
        data = results.get(scen)
        if not data:
            continue
        out += [
            f"## {scen}: {key.split('_')[0]} per concurrency (ms)",
            "",
            "| c | system | p50 | p95 | p99 | added p50 | added p99 | req/s | CPU ms/req | cache | errors |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for c, level in data.items():
            for n in ORDER:
                r = level.get(n)
                if not r:
                    continue
                if "skipped" in r:
                    out.append(f"| {c} | {LABEL[n]} | {r['skipped']} ||||||||| ")
                    continue
                add = r.get("added_ms") or {}
                out.append(
                    f"| {c} | {LABEL[n]} | {_f(r[key]['p50'])} | {_f(r[key]['p95'])} | {_f(r[key]['p99'])} "
                    f"| {_f(add.get('p50'))} | {_f(add.get('p99'))} | {_f(r['rps'], 0)} "
                    f"| {_f(r.get('cpu_ms_per_req'))} | {r.get('cache')} | {r.get('errors') or ''} |"
                )
        out.append("")
    for scen in ("exact", "semantic"):
        data = results.get(scen)
        if not data:
            continue
        out += [
            f"## {scen} hits",
            "",
            "| system | c=1 p50 | c=1 p99 | c=1 added p50 | c=1 mix | wrk c=32 req/s | c=32 p99 | "
            "c=128 req/s | c=128 p99 | CPU ms/req c=32 | wrk mix c=32 |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for n in ORDER:
            r = data.get(n)
            if not r:
                continue
            c1, c32, c128 = r.get("c1", {}), r.get("c32", {}), r.get("c128", {})
            out.append(
                f"| {LABEL[n]} | {_f(_get(c1, 'latency_ms', 'p50'))} | {_f(_get(c1, 'latency_ms', 'p99'))} "
                f"| {_f(_get(c1, 'added_ms', 'p50'))} | {c1.get('cache')} | {_f(c32.get('rps'), 0)} "
                f"| {_f(_get(c32, 'latency_ms', 'p99'))} | {_f(c128.get('rps'), 0)} "
                f"| {_f(_get(c128, 'latency_ms', 'p99'))} | {_f(c32.get('cpu_ms_per_req'))} "
                f"| {c32.get('cache') or c32.get('error', '')} |"
            )
            if r.get("calibration"):
                out.append(f"|  ↳ calibration | {r['calibration']} ||||||||||")
        out.append("")
    return out


def main() -> None:
    """Re-render plots and summary.md from a saved bench.json."""
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else RESULTS / "bench.json"
    results = json.loads(path.read_text())
    render(results, path.parent)
    (path.parent / "summary.md").write_text(summary_md(results))


if __name__ == "__main__":
    main()
