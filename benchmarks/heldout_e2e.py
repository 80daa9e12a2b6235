"""A family suite end to end (held-out or blind): a real `python -m sidecar` with the echo mock.

Every stored prompt is sent once (a miss, stored); every trial is then asked with
`Cache-Control: no-store` (looked up, never stored, so trials do not seed each other). The
mock echoes the prompt, so each answer names the prompt it was produced for: a hit is right
only if that prompt has the query's slots, and a miss must echo the query itself.
"""

from __future__ import annotations

import json
import sys
import urllib.request
from typing import Any

from benchmarks import peers
from benchmarks.heldout_families import FAMILIES, Family
from benchmarks.heldout_scoring import score_family, totals


def _post(url: str, body: dict[str, Any], headers: dict[str, str]) -> tuple[str, str]:
    req = urllib.request.Request(
        url,
        json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", **headers},
    )
    with urllib.request.urlopen(req, timeout=60) as resp:
        data = json.loads(resp.read())
        return resp.headers.get("X-Sidecar-Cache", ""), data["choices"][0]["message"]["content"]


class _Client:
    """put/ask for `score_family`, over HTTP; counts misses that did not echo their prompt."""

    def __init__(self, base: str) -> None:
        self.url = base + "/v1/chat/completions"
        self.bad_misses = 0

    def _send(self, scope: str, text: str, extra: dict[str, str]) -> tuple[str, str]:
        body = {"model": "auto", "messages": [{"role": "user", "content": text}]}
        return _post(self.url, body, {"X-Tenant-Id": scope, "Authorization": "Bearer k", **extra})

    def put(self, scope: str, text: str) -> None:
        self._send(scope, text, {})

    def ask(self, scope: str, text: str) -> str | None:
        layer, content = self._send(scope, text, {"Cache-Control": "no-store"})
        served = content.removeprefix("echo: ")
        if layer in ("exact", "semantic"):
            return served
        if served.split() != text.split():
            self.bad_misses += 1
        return None


def run_e2e(
    seeds: list[int],
    stored: int,
    families: tuple[Family, ...] = FAMILIES,
    suite: str = "heldout",
    max_examples: int = 3,
) -> dict[str, Any]:
    """All families through one sidecar process (its own echo mock), stopped by its PID."""
    port = peers.free_port()
    cmd = [sys.executable, "-m", "sidecar", "--host", "127.0.0.1", "--port", str(port)]
    side = peers.Server("sidecar", cmd, port, "/readyz", env={"SIDECAR_CACHE_MAX_TEMPERATURE": "1"})
    try:
        peers.start_ready([side], peers.BENCH_CACHE / f"{suite}_e2e" / "logs", 120)
        client = _Client(side.base)
        out = {
            f.name: score_family(f, seeds, stored, client.put, client.ask, suite, max_examples)
            for f in families
        }
    finally:
        side.stop(60)
    return {"families": out, **totals(out), "misses_not_echoing_their_prompt": client.bad_misses}
