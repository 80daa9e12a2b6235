"""Every metric the Grafana dashboard queries is really exported by the sidecar."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.conftest import chat

DASHBOARD = Path(__file__).resolve().parents[1] / "deploy" / "grafana" / "dashboard.json"
SUFFIXES = ("_bucket", "_total", "_sum", "_count")


def _queried() -> set[str]:
    dash = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
    return {m for e in exprs for m in re.findall(r"\bsidecar_[a-z0-9_]+", e)}


def _base(name: str) -> str:
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


async def test_dashboard_metrics_exist(sidecar):
    client = await sidecar()
    await client.post("/v1/chat/completions", json=chat("dashboard"))
    text = await (await client.get("/metrics")).text()
    exported = set(re.findall(r"^# TYPE (\S+) (\w+)", text, re.M))
    names = {n for n, _ in exported}
    kinds = dict(exported)
    queried = _queried()
    assert len(queried) >= 12
    for name in sorted(queried):
        base = _base(name)
        assert base in names or name in names, f"{name} is queried but not exported"
        if name.endswith("_bucket"):
            assert kinds[base] == "histogram", name
        if name.endswith("_total"):
            assert "counter" in (kinds.get(base), kinds.get(name)), name
