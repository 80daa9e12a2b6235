"""Event-loop responsiveness under large bodies: /healthz latency while 4 MiB requests are served.

``python -m benchmarks.loop_stall [--requests 3]`` starts the bundled mock and the sidecar (real
model, default config) as processes, polls ``/healthz`` every 10 ms from a thread while it sends
``--requests`` 4 MiB chat requests one after another, and writes the /healthz latency
percentiles to ``benchmarks/results/loop_stall.json``. Target (issue 13 item 9): p99 < 50 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "loop_stall.json"
BODY_BYTES = 4 * 1024 * 1024 - 500


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{url} not ready")


def _body() -> bytes:
    words = " ".join(f"w{i} 12{i}" for i in range(400_000))[:BODY_BYTES]
    return json.dumps({"model": "auto", "messages": [{"role": "user", "content": words}]}).encode()


def measure(base: str, requests: int) -> dict[str, float]:
    """Poll /healthz while sending ``requests`` 4 MiB requests; latency percentiles in ms."""
    lat: list[float] = []
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            t0 = time.perf_counter()
            with urllib.request.urlopen(base + "/healthz", timeout=60) as r:
                r.read()
            lat.append((time.perf_counter() - t0) * 1000)
            time.sleep(0.01)

    poller = threading.Thread(target=poll)
    poller.start()
    body = _body()
    try:
        for _ in range(requests):
            req = urllib.request.Request(base + "/v1/chat/completions", data=body)
            req.add_header("Content-Type", "application/json")
            with urllib.request.urlopen(req, timeout=300) as r:
                r.read()
    finally:
        stop.set()
        poller.join()
    lat.sort()
    return {
        "polls": len(lat),
        "p50_ms": round(lat[len(lat) // 2], 2),
        "p99_ms": round(lat[int(len(lat) * 0.99)], 2),
        "max_ms": round(lat[-1], 2),
    }


def main() -> None:
    """Run it and write the results file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3)
    args = parser.parse_args()
    mock_port, port = _port(), _port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    mock = subprocess.Popen(
        [sys.executable, "-m", "sidecar.mock_upstream", "--port", str(mock_port)], env=env
    )
    upstream = f"http://127.0.0.1:{mock_port}/v1"
    sidecar = subprocess.Popen(
        [sys.executable, "-m", "sidecar", "--port", str(port), "--upstream", upstream],
        env=env,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait(base + "/readyz")
        result = measure(base, args.requests)
    finally:
        for proc in (sidecar, mock):
            proc.terminate()
            proc.wait(30)
    out = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": "2 vCPU shared with other jobs (numbers are noisy)",
        "requests": args.requests,
        "body_bytes": BODY_BYTES,
        "healthz": result,
        "target_p99_ms": 50,
    }
    RESULTS.write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
