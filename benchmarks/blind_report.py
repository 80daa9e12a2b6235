"""Markdown from a blind-suite run: the per-family table and every wrong hit, grouped.

`python -m benchmarks.blind_report [--suite blind|blind2|...|blind6] [--label L]` reads the
suite's results (`benchmarks/results/cache_blind.json`, or `cache_blind2.json` ...
`cache_blind6.json` for the second ... sixth blind suite; written
by `python -m benchmarks.cache_heldout --suite ...`; the label defaults to the most recent run
in the file) and prints the table and the list that `docs/cache_quality.md` ("Blind suite",
"Second blind suite", "Third blind suite") carries.
Each wrong hit is listed once per distinct difference between the query (its slots in the stored
wording) and the served prompt, "[query's words -> served prompt's words]", with how often it
happened in process and through the proxy, and one served prompt in full when it is short.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"
FILES = {
    "blind": RESULTS / "cache_blind.json",
    "blind2": RESULTS / "cache_blind2.json",
    "blind3": RESULTS / "cache_blind3.json",
    "blind4": RESULTS / "cache_blind4.json",
    "blind5": RESULTS / "cache_blind5.json",
    "blind6": RESULTS / "cache_blind6.json",
}


def _wrong(f: dict[str, Any]) -> int:
    return int(f.get("differ_wrong", 0) + f.get("reword_wrong", 0))


def table(run: dict[str, Any]) -> list[str]:
    """One row per family: trials, wrong hits in process and end to end, rewordings served."""
    ip, e2e = run["in_process"]["families"], run.get("e2e", {}).get("families", {})
    rows = [
        "| family | slot-differing trials | wrong hits in process | through the proxy "
        "| rewordings served (in process / proxy) | rewordings served another prompt |",
        "|---|---|---|---|---|---|",
    ]
    for name, f in ip.items():
        g = e2e.get(name)
        proxy = (
            ("-", "-", "-")
            if g is None
            else (g.get("differ_wrong", 0), f"{g['reword_hit_rate']:.2f}", g.get("reword_wrong", 0))
        )
        rows.append(
            f"| {name} | {f['differ_trials']} | {f.get('differ_wrong', 0)} | {proxy[0]} | "
            f"{f['reword_hit_rate']:.2f} / {proxy[1]} | {f.get('reword_wrong', 0)} / {proxy[2]} |"
        )
    t, u = run["in_process"]["totals"], run.get("e2e", {}).get("totals", {})
    rows.append(
        f"| **all** | {t['differ_trials']} (+{t['reword_trials']} rewordings) | "
        f"**{t['differ_wrong']}** | **{u.get('differ_wrong', '-')}** | "
        f"{t['reword_hit_rate']:.2f} / {u.get('reword_hit_rate', float('nan')):.2f} | "
        f"{t['reword_wrong']} / {u.get('reword_wrong', '-')} |"
    )
    return rows


def wrong_hits(run: dict[str, Any]) -> list[str]:
    """Every wrong hit, grouped by family and by the words that differ."""
    modes = [m for m in ("in_process", "e2e") if m in run]
    lines: list[str] = []
    for name in run["in_process"]["families"]:
        counts: dict[str, Counter[tuple[str, str, str]]] = {m: Counter() for m in modes}
        for m in modes:
            for e in run[m]["families"][name]["examples"]:
                # the echo mock collapses whitespace and examples are cut at 240 characters:
                # compare the first 200 characters, word by word
                counts[m][(e["kind"], e["slot_diff"], " ".join(e["served"].split())[:200])] += 1
        keys = sorted(set().union(*counts.values()))
        if not keys:
            continue
        lines.append(f"\n**{name}** (count in process / through the proxy)\n")
        for kind, diff, served in keys:
            n = " / ".join(str(counts[m][(kind, diff, served)]) for m in modes)
            full = f' — served "{served}"' if len(served) < 200 else ""
            lines.append(f"- {n} {kind}: `{diff}`{full}")
    return lines


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--suite", choices=sorted(FILES), default="blind")
    p.add_argument("--label", default=None, help="run to print (default: the last one stored)")
    args = p.parse_args(argv)
    runs = json.loads(FILES[args.suite].read_text())
    run = runs[args.label] if args.label else list(runs.values())[-1]
    print("\n".join(table(run)))
    print("\n".join(wrong_hits(run)))


if __name__ == "__main__":
    main()
