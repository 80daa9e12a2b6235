"""The sibling confirmation's operating point: wrong hits and rewordings served as its bar moves.

`python -m benchmarks.confirm_curve [--bars 0.5 0.6 0.7 1.01] [--suites heldout blind ...]`
runs the own app suite (`cache_adversarial`) and the held-out and blind suites
(`cache_heldout`) in process, once per value of `cache.decision.CONFIRMED_BAR`: the verifier
score from which a pair the verifier rejected is still served when >= 2 same-template siblings
confirm it (cache/siblings.py, `sibling_confirms`); 1.01 turns confirmation off. Per bar and
suite: slot-differing prompts served another prompt's answer, rewordings served another
prompt's answer, and rewordings served their own. Writes `benchmarks/results/confirm_curve.json`.
Counts do not depend on machine load; about 5 minutes per bar on 2 shared vCPUs.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

from benchmarks import cache_adversarial
from benchmarks.cache_heldout import SUITES, in_process
from cache import decision
from cache.encoders import load_encoder
from sidecar.config import configured_model_dir

OUT = Path(__file__).resolve().parent / "results" / "confirm_curve.json"
SUITE_NAMES = ("own", "heldout", "blind", "blind2", "blind3", "blind4")


def suite_counts(name: str, encoder: Any) -> dict[str, Any]:
    """Totals of one suite at the current bar."""
    if name == "own":
        r = cache_adversarial.run(cache_adversarial.SEEDS, 12, encoder)
        right = r["reword_trials"] * r["reword_hit_rate"]
    else:
        r = in_process(SUITES[name], [1, 2, 3], 12)["totals"]
        right = r["reword_right_hits"]
    return {
        "differ_trials": r["differ_trials"],
        "differ_wrong": r["differ_wrong"],
        "reword_trials": r["reword_trials"],
        "reword_wrong": r["reword_wrong"],
        "reword_right": round(right),
        "reword_hit_rate": round(right / max(r["reword_trials"], 1), 4),
    }


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bars", type=float, nargs="+", default=[0.5, 0.6, 0.7, 1.01])
    p.add_argument("--suites", nargs="+", default=list(SUITE_NAMES))
    args = p.parse_args(argv)
    encoder = load_encoder("onnx", configured_model_dir(os.environ))
    shipped = decision.CONFIRMED_BAR
    rows: dict[str, Any] = {}
    try:
        for bar in args.bars:
            decision.CONFIRMED_BAR = bar
            rows[str(bar)] = {s: suite_counts(s, encoder) for s in args.suites}
            print(bar, json.dumps(rows[str(bar)]), flush=True)
    finally:
        decision.CONFIRMED_BAR = shipped
    OUT.write_text(
        json.dumps(
            {
                "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                "shipped_bar": shipped,
                "note": "in process, seeds 1 2 3, 12 stored prompts per family and seed; "
                "1.01 = confirmation off",
                "bars": rows,
            },
            indent=1,
        )
        + "\n"
    )
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
