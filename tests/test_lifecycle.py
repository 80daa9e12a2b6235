"""The real process: SIGTERM drains (readiness off at once, in-flight stream completes), the
snapshot is written on shutdown and loaded by the next start, exit code 0; SIGHUP reloads."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from pathlib import Path

import aiohttp
import pytest

from sidecar.mock_upstream import MockConfig, start_mock
from tests.conftest import chat

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _start(upstream: str, cache_dir: Path, config: Path | None = None):
    port = _free_port()
    env = {
        **os.environ,
        "SIDECAR_CACHE_DIR": str(cache_dir),
        "HF_HUB_OFFLINE": "1",
        "SIDECAR_SERVER_DRAIN_DELAY_S": "0.5",
        "SIDECAR_SERVER_SHUTDOWN_GRACE_S": "10",
    }
    args = [sys.executable, "-m", "sidecar", "--port", str(port), "--upstream", upstream]
    if config is not None:
        args += ["--config", str(config)]
    proc = await asyncio.create_subprocess_exec(
        *args, cwd=ROOT, env=env, stderr=asyncio.subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as s:
        for _ in range(600):
            try:
                async with s.get(base + "/readyz") as r:
                    if (await r.json())["parts"].get("index"):
                        return proc, base
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    proc.kill()
    raise AssertionError("sidecar did not start")


async def _stop(proc) -> int:
    if proc.returncode is None:
        proc.send_signal(signal.SIGTERM)
    return await asyncio.wait_for(proc.wait(), 30)


@pytest.mark.timeout(90)
async def test_sigterm_drains_stream_writes_snapshot_and_restart_loads_it(tmp_path):
    mock, runner, upstream = await start_mock(
        config=MockConfig(token_delay_s=0.03, reply_tokens=40)
    )
    proc, base = await _start(upstream, tmp_path)
    try:
        async with aiohttp.ClientSession() as s:
            async with s.post(base + "/v1/chat/completions", json=chat("remember me")) as r:
                assert r.status == 200 and r.headers["X-Sidecar-Cache"] == "miss"
            resp = await s.post(
                base + "/v1/chat/completions", json=chat("a long streamed answer", stream=True)
            )
            await resp.content.readline()
            proc.send_signal(signal.SIGTERM)
            await asyncio.sleep(0.1)
            async with s.get(base + "/readyz") as r:
                assert r.status == 503  # readiness turned false at once
                assert (await r.json())["draining"] is True
            body = await resp.read()
            assert body.rstrip().endswith(b"data: [DONE]")  # the in-flight stream finished
        assert await _stop(proc) == 0
        assert (tmp_path / "cache.snapshot").exists()
        assert not list(tmp_path.glob("*.tmp"))

        calls = mock.count
        proc, base = await _start(upstream, tmp_path)
        async with aiohttp.ClientSession() as s:
            async with s.post(base + "/v1/chat/completions", json=chat("remember me")) as r:
                assert r.status == 200
                assert r.headers["X-Sidecar-Cache"] == "exact"
        assert mock.count == calls  # served from the loaded snapshot
        assert await _stop(proc) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
        await runner.cleanup()


@pytest.mark.timeout(60)
async def test_corrupt_snapshot_is_reported_and_skipped(tmp_path):
    (tmp_path / "cache.snapshot").write_bytes(b"garbage" * 100)
    _mock, runner, upstream = await start_mock()
    proc, base = await _start(upstream, tmp_path)
    try:
        async with aiohttp.ClientSession() as s:
            async with s.post(base + "/v1/chat/completions", json=chat("fine")) as r:
                assert r.status == 200
        assert await _stop(proc) == 0
        assert proc.stderr is not None
        lines = [json.loads(x) for x in (await proc.stderr.read()).decode().splitlines() if x]
        # The corrupt file was reported (a warning naming it) and the cache started empty.
        skipped = [x for x in lines if x["logger"] == "cache.snapshot" and x["level"] == "WARNING"]
        assert skipped and str(tmp_path / "cache.snapshot") in skipped[0]["msg"]
        assert "starting empty" in skipped[0]["msg"]
        loaded = [x for x in lines if x["msg"] == "snapshot loaded"]
        assert [x["entries"] for x in loaded] == [0]
    finally:
        if proc.returncode is None:
            proc.kill()
        await runner.cleanup()


@pytest.mark.timeout(60)
async def test_sighup_reloads_thresholds_without_dropping_requests(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("cache: {threshold: 0.9}\n")
    _mock, runner, upstream = await start_mock(config=MockConfig(ttft_s=0.3))
    proc, base = await _start(upstream, tmp_path, cfg)
    try:
        async with aiohttp.ClientSession() as s:
            pending = asyncio.ensure_future(
                s.post(base + "/v1/chat/completions", json=chat("in flight during reload"))
            )
            await asyncio.sleep(0.1)
            cfg.write_text("cache: {threshold: 0.97}\n")
            proc.send_signal(signal.SIGHUP)
            resp = await pending
            assert resp.status == 200
            async with s.get(base + "/healthz") as r:
                assert r.status == 200
        assert await _stop(proc) == 0
        assert proc.stderr is not None
        assert "config reloaded" in (await proc.stderr.read()).decode()
    finally:
        if proc.returncode is None:
            proc.kill()
        await runner.cleanup()
