"""Real processes for edge tests: the bundled mock and ``python -m sidecar`` as subprocesses.

Synchronous on purpose (raw sockets, hypothesis, nginx): each process is started on a free
127.0.0.1 port, its stderr goes to a file the test can read (log checks), and it is stopped
by its own PID.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port that was free a moment ago on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float = 30.0, status: int = 200) -> None:
    """Poll ``url`` until it answers ``status``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == status:
                    return
        except urllib.error.HTTPError as exc:
            if exc.code == status:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"{url} did not answer {status} within {timeout}s")


@dataclass
class Proc:
    """A started subprocess with its stderr log file."""

    popen: subprocess.Popen[bytes]
    log_path: Path
    base: str
    port: int
    extra: dict[str, object] = field(default_factory=dict)

    def log(self) -> str:
        """Everything the process wrote to stderr so far."""
        return self.log_path.read_text(errors="replace")

    def alive(self) -> bool:
        """Still running?"""
        return self.popen.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int:
        """Signal the process by its PID and wait for it (kill after ``timeout``)."""
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)
        return int(self.popen.returncode)


def _spawn(args: list[str], env: dict[str, str], log_path: Path, port: int, base: str) -> Proc:
    with open(log_path, "wb") as log:
        popen = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=log)
    return Proc(popen, log_path, base, port)


def start_mock_process(tmp: Path, *args: str) -> Proc:
    """``python -m sidecar.mock_upstream`` on a free port; ``base`` ends in ``/v1``."""
    port = free_port()
    proc = _spawn(
        [sys.executable, "-m", "sidecar.mock_upstream", "--port", str(port), *args],
        {**os.environ},
        tmp / f"mock-{port}.log",
        port,
        f"http://127.0.0.1:{port}/v1",
    )
    wait_http(f"http://127.0.0.1:{port}/mock/stats")
    return proc


def start_sidecar_process(
    tmp: Path,
    upstream: str,
    env: dict[str, str] | None = None,
    *,
    config: Path | None = None,
    ready: bool = True,
) -> Proc:
    """``python -m sidecar`` on a free port in front of ``upstream``; waits for /readyz 200."""
    port = free_port()
    args = [sys.executable, "-m", "sidecar", "--port", str(port), "--upstream", upstream]
    if config is not None:
        args += ["--config", str(config)]
    full_env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "SIDECAR_SERVER_DRAIN_DELAY_S": "0",
        **(env or {}),
    }
    base = f"http://127.0.0.1:{port}"
    proc = _spawn(args, full_env, tmp / f"sidecar-{port}.log", port, base)
    try:
        wait_http(base + ("/readyz" if ready else "/healthz"), timeout=120)
    except AssertionError:
        proc.stop(signal.SIGKILL)
        raise AssertionError("sidecar did not start:\n" + proc.log()[-3000:]) from None
    return proc
