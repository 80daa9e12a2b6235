"""The machine a run happened on, and the two sidecar systems (cache on and off) every run
starts: shared by `run_all` and `overhead`."""

from __future__ import annotations

import os
import platform
import re
import subprocess
import time
from pathlib import Path
from typing import Any

from benchmarks import loadgen, peers


def loadavg() -> list[str]:
    """The 1, 5 and 15 minute load averages."""
    with open("/proc/loadavg") as f:
        return f.read().split()[:3]


def _node_version() -> str:
    proc = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False)
    return proc.stdout.strip() or "?"


def machine() -> dict[str, Any]:
    """Date, CPU model, cores, load average, memory, tool versions."""
    cpu = ""
    try:
        m = re.search(r"model name\s*:\s*(.*)", Path("/proc/cpuinfo").read_text())
        cpu = m.group(1) if m else ""
    except OSError:
        pass
    mem = Path("/proc/meminfo").read_text().split("\n")[0]
    versions = {}
    for venv, pkg in (("litellm", "litellm"), ("gptcache", "gptcache")):
        py = peers.VENVS / venv / "bin" / "python"
        if py.exists():
            proc = subprocess.run(
                [str(py), "-c", f"import importlib.metadata as m; print(m.version('{pkg}'))"],
                capture_output=True,
                text=True,
                check=False,
            )
            versions[pkg] = proc.stdout.strip() or proc.stderr.strip()[-200:]
    if peers.portkey_version():
        versions["portkey-gateway"] = f"{peers.portkey_version()} (node {_node_version()})"
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "cpu": cpu,
        "cores": len(os.sched_getaffinity(0)),
        "memory": mem,
        "loadavg_start": loadavg(),
        "python": platform.python_version(),
        "wrk": loadgen.wrk_version(),
        "peers": versions,
    }


def sidecar_env() -> tuple[dict[str, str], list[str]]:
    """Env for the sidecar under test; shipped model files that are missing are turned off."""
    env: dict[str, str] = {}
    notes = []
    repo = peers.REPO
    if not (repo / "cache" / "data" / "verifier.npz").exists():
        env["SIDECAR_CACHE_VERIFIER"] = "false"
        notes.append("cache/data/verifier.npz missing: sidecar ran with cache.verifier=false")
    if not (repo / "classifier" / "data" / "router.npz").exists():
        env["SIDECAR_ROUTING_ENABLED"] = "false"
        notes.append(
            "classifier/data/router.npz missing: routing disabled (model 'auto' -> default tier)"
        )
    return env, notes


def sidecars(upstream: str, env: dict[str, str]) -> dict[str, peers.Server]:
    """The sidecar with its cache on, and with it off (the bare proxy), both at `upstream`."""
    return {
        "sidecar": peers.sidecar("sidecar", peers.free_port(), upstream, env),
        "sidecar-nocache": peers.sidecar(
            "sidecar-nocache",
            peers.free_port(),
            upstream,
            {**env, "SIDECAR_CACHE_ENABLED": "false"},
        ),
    }
