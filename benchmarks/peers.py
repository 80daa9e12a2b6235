"""The systems under test, as child processes: mock upstream, sidecar, LiteLLM, GPTCache, Portkey.

Each `Server` is started with `start()`, polled until ready, measured through /proc (CPU time =
utime + stime of the process and its descendants; peak RSS = VmHWM, summed over the tree) and
stopped by its own PID (SIGTERM, then SIGKILL after a grace period). Nothing else is ever killed.
Peers live in venvs outside the repo (`scripts/setup-peers.sh`); when a peer is missing or fails
to start, `Server.error` carries the reason (the tail of its log) for the results.

LiteLLM: `litellm --config` with model `gpt-4o-mini` (and alias `auto`) -> `openai/gpt-4o-mini`
at the mock, master key `sk-bench`, optionally `cache: true, cache_params: {type: local}`.
GPTCache: its bundled server (`gptcache_server.server -o True`) with the sbert embedding pointed
at the packaged MiniLM, sqlite + faiss storage, GPTCache's default similarity evaluation.
Portkey: its Node gateway (`@portkey-ai/gateway`, `node build/start-server.js --headless`),
told per request where the mock is (`x-portkey-provider: openai`, `x-portkey-custom-host`);
`Server.headers` are the headers every request to a system must carry.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCH_CACHE = Path(os.environ.get("BENCH_CACHE", "/work/.bench-cache"))
VENVS = BENCH_CACHE / "venvs"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- /proc ---------------------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    """Descendants of ``pid`` (via /proc/<pid>/task/*/children)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{p}/task")
        except OSError:
            continue
        for t in tasks:
            try:
                with open(f"/proc/{p}/task/{t}/children") as f:
                    kids = [int(x) for x in f.read().split()]
            except OSError:
                continue
            out += kids
            todo += kids
    return out


def cpu_seconds(pid: int) -> float:
    """utime + stime of ``pid`` and its live descendants, in seconds (/proc/<pid>/stat)."""
    total = 0
    for p in [pid, *_children(pid)]:
        try:
            with open(f"/proc/{p}/stat") as f:
                raw = f.read()
        except OSError:
            continue
        # Fields after the ")" of the command name; utime and stime are fields 14 and 15.
        fields = raw[raw.rindex(")") + 2 :].split()
        total += int(fields[11]) + int(fields[12])
    return total / CLK_TCK


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) in KiB, summed over ``pid`` and its descendants."""
    out = {"VmRSS": 0, "VmHWM": 0}
    for p in [pid, *_children(pid)]:
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    key, _, value = line.partition(":")
                    if key in out:
                        out[key] += int(value.split()[0])
        except OSError:
            continue
    return out


# --- servers -------------------------------------------------------------------------------------


@dataclass
class Server:
    """A system under test running as a child process."""

    name: str
    cmd: list[str]
    port: int
    ready_path: str
    env: dict[str, str] = field(default_factory=dict)
    cwd: str | None = None
    headers: dict[str, str] = field(default_factory=dict)  # sent with every request
    chat_path: str = "/v1/chat/completions"
    proc: subprocess.Popen[bytes] | None = None
    error: str = ""
    started_s: float = 0.0
    ready_s: float = 0.0
    log_path: Path | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """The chat completions URL."""
        return self.base + self.chat_path

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None and not self.error

    def start(self, log_dir: Path) -> None:
        """Spawn the process (its output goes to ``log_dir/<name>.log``)."""
        if self.error:
            return
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"{self.name}.log"
        env = {**os.environ, **self.env}
        self.started_s = time.time()
        try:
            with open(self.log_path, "wb") as log:
                self.proc = subprocess.Popen(
                    self.cmd,
                    env=env,
                    cwd=self.cwd or str(REPO),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                )
        except OSError as exc:
            self.error = f"could not start {self.cmd[0]}: {exc}"

    def wait_ready(self, timeout_s: float = 180.0) -> bool:
        """Poll ``ready_path`` until HTTP 200; on exit or timeout set ``error`` from the log."""
        if self.error or self.proc is None:
            return False
        deadline = time.time() + timeout_s
        while time.time() < deadline:
            if self.proc.poll() is not None:
                self.error = f"exited with code {self.proc.returncode}: {self.log_tail()}"
                return False
            with contextlib.suppress(OSError, urllib.error.URLError):
                with urllib.request.urlopen(self.base + self.ready_path, timeout=2) as resp:
                    if resp.status == 200:
                        self.ready_s = time.time() - self.started_s
                        return True
            time.sleep(0.25)
        self.error = f"not ready after {timeout_s:.0f} s: {self.log_tail()}"
        return False

    def log_tail(self, chars: int = 1200) -> str:
        """The end of the process log (for error reports)."""
        if self.log_path is None or not self.log_path.exists():
            return ""
        data = self.log_path.read_bytes()[-chars:]
        return data.decode("utf-8", "replace").strip()

    def cpu(self) -> float:
        """CPU seconds used so far by the process tree."""
        return cpu_seconds(self.pid) if self.alive else float("nan")

    def memory(self) -> dict[str, int]:
        """Current and peak RSS (KiB) of the process tree."""
        return memory_kb(self.pid) if self.alive else {"VmRSS": 0, "VmHWM": 0}

    def stop(self, grace_s: float = 15.0) -> None:
        """SIGTERM this process (by PID), wait, SIGKILL its group if it does not exit."""
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)  # its own session: only its children
            self.proc.wait(timeout=5)


def start_ready(servers: Iterable[Server], logs: Path, timeout_s: float = 180.0) -> None:
    """Start every server, then wait for each (they boot side by side); exit naming the first
    that never became ready, with the reason `wait_ready` recorded (exit code, log tail)."""
    servers = list(servers)
    for s in servers:
        s.start(logs)
    for s in servers:
        if not s.wait_ready(timeout_s):
            raise SystemExit(f"{s.name} did not start: {s.error}")


def mock(
    port: int, *, ttft: float = 0.0, token_delay: float = 0.0, reply_tokens: int = 50
) -> Server:
    """The bundled mock upstream (the same upstream for every system)."""
    return Server(
        "mock",
        [
            sys.executable,
            "-m",
            "sidecar.mock_upstream",
            "--port",
            str(port),
            "--ttft",
            str(ttft),
            "--token-delay",
            str(token_delay),
            "--reply-tokens",
            str(reply_tokens),
        ],
        port,
        "/mock/stats",
    )


def sidecar(
    name: str,
    port: int,
    upstream: str,
    env: dict[str, str] | None = None,
    config: str | None = None,
) -> Server:
    """The sidecar (`python -m sidecar`), configured by ``SIDECAR_*`` env overrides."""
    cmd = [sys.executable, "-m", "sidecar", "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--upstream", upstream]
    if config:
        cmd += ["--config", config]
    base_env = {"SIDECAR_SERVER_LOG_LEVEL": "WARNING", "SIDECAR_SERVER_DRAIN_DELAY_S": "0"}
    return Server(name, cmd, port, "/readyz", env={**base_env, **(env or {})})


def _peer_python(venv: str) -> tuple[Path | None, str]:
    """The peer venv's python, or None and the reason it is unusable."""
    root = VENVS / venv
    err = root / ".error"
    if err.exists():
        return None, f"install failed: {err.read_text()[-800:]}"
    if not (root / ".ok").exists():
        return None, f"not installed ({root}; run scripts/setup-peers.sh)"
    return root / "bin" / "python", ""


LITELLM_CONFIG = """\
model_list:
  - model_name: gpt-4o-mini
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: {upstream}
      api_key: sk-mock
  - model_name: auto
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: {upstream}
      api_key: sk-mock
{cache}general_settings:
  master_key: sk-bench
"""
LITELLM_CACHE = """\
litellm_settings:
  cache: true
  cache_params:
    type: local
"""


def litellm(name: str, port: int, upstream: str, work: Path, *, cache: bool) -> Server:
    """LiteLLM proxy (one uvicorn worker, its defaults), optionally with its in-memory cache."""
    py, why = _peer_python("litellm")
    work.mkdir(parents=True, exist_ok=True)
    cfg = work / f"{name}.yaml"
    cfg.write_text(LITELLM_CONFIG.format(upstream=upstream, cache=LITELLM_CACHE if cache else ""))
    exe = str(py.parent / "litellm") if py else "litellm"
    server = Server(
        name,
        [exe, "--config", str(cfg), "--host", "127.0.0.1", "--port", str(port)],
        port,
        "/health/liveliness",
        env={
            "LITELLM_MASTER_KEY": "sk-bench",
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            "LITELLM_TELEMETRY": "False",
            "NO_PROXY": "*",
        },
        cwd=str(work),
    )
    server.error = why
    return server


GPTCACHE_CONFIG = """\
embedding: sbert
embedding_config:
  model: {model}
storage_config:
  manager: "sqlite,faiss"
  data_dir: {data}
pre_function: {pre}
"""


def gptcache(name: str, port: int, upstream: str, work: Path, model_path: str) -> Server:
    """GPTCache's server with its OpenAI proxy on, sbert = the packaged MiniLM, defaults else."""
    py, why = _peer_python("gptcache")
    data = work / f"{name}-data"
    if data.exists():
        import shutil

        shutil.rmtree(data)
    work.mkdir(parents=True, exist_ok=True)
    # -f: the server's own /put,/get cache (required, else it downloads an ONNX model);
    # -of: the cache of the OpenAI proxy that the benchmark uses; last_content = last message.
    base_cfg = work / f"{name}-base.yaml"
    base_cfg.write_text(
        GPTCACHE_CONFIG.format(model=model_path, data=str(data) + "-base", pre="get_prompt")
    )
    cfg = work / f"{name}.yaml"
    cfg.write_text(GPTCACHE_CONFIG.format(model=model_path, data=str(data), pre="last_content"))
    cmd = [str(py or "python"), "-m", "gptcache_server.server", "-s", "127.0.0.1"]
    cmd += ["-p", str(port), "-f", str(base_cfg), "-o", "True", "-of", str(cfg)]
    server = Server(
        name,
        cmd,
        port,
        "/",
        env={
            "OPENAI_API_BASE": upstream,
            "OPENAI_API_KEY": "sk-mock",
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "TIKTOKEN_CACHE_DIR": str(BENCH_CACHE / "tiktoken"),
            "OMP_NUM_THREADS": "1",
        },
        cwd=str(work),
    )
    server.error = why
    return server


PORTKEY_DIR = BENCH_CACHE / "node" / "portkey"


def portkey_version() -> str | None:
    """The installed gateway's version, or None."""
    import json

    pkg = PORTKEY_DIR / "node_modules" / "@portkey-ai" / "gateway" / "package.json"
    try:
        return str(json.loads(pkg.read_text())["version"])
    except (OSError, ValueError, KeyError):
        return None


def portkey(name: str, port: int, upstream: str, work: Path) -> Server:
    """Portkey's open-source gateway (Node), proxy only, provider `openai` at the mock.

    Its npm build has no response cache: `conf.json` is compiled in with `cache: false`, so the
    in-memory "simple" cache middleware is not in the bundle, and a `cache` config is answered
    with `x-portkey-cache-status: DISABLED` (checked on 1.15.2).
    """
    entry = PORTKEY_DIR / "node_modules" / "@portkey-ai" / "gateway" / "build" / "start-server.js"
    why = ""
    if (PORTKEY_DIR / ".error").exists():
        why = f"install failed: {(PORTKEY_DIR / '.error').read_text()[-800:]}"
    elif not (PORTKEY_DIR / ".ok").exists() or not entry.exists():
        why = f"not installed ({PORTKEY_DIR}; run scripts/setup-peers.sh)"
    work.mkdir(parents=True, exist_ok=True)
    server = Server(
        name,
        ["node", str(entry), f"--port={port}", "--headless"],
        port,
        "/",
        env={"NODE_ENV": "production"},
        cwd=str(work),
        headers={"x-portkey-provider": "openai", "x-portkey-custom-host": upstream},
    )
    server.error = why
    return server


def setup_peers(timeout_s: float = 1200.0) -> tuple[int, str]:
    """Run scripts/setup-peers.sh (idempotent); return its exit code and output tail."""
    proc = subprocess.run(
        ["bash", str(REPO / "scripts" / "setup-peers.sh")],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    return proc.returncode, (proc.stdout + proc.stderr)[-2000:]


# --- memory with a pre-filled cache --------------------------------------------------------------


def _get_text(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return str(resp.read().decode())


def build_snapshot(path: Path, n: int, seed: int = 0) -> dict[str, object]:
    """Write a cache snapshot of ``n`` entries in the scope of a plain ``gpt-4o-mini`` chat.

    Filled through the cache's own API (`SemanticCache.put`, then `.snapshot(path)`), so the
    file is whatever format cache/snapshot.py writes today. Texts are real QQP questions (made
    unique by a counter), bodies mock-shaped chat completions of ~50 words, vectors random unit
    vectors (RSS and index size do not depend on where the vectors came from).
    """
    import numpy as np
    import orjson

    from benchmarks import workloads
    from cache.text import normalize
    from sidecar.cache_factory import build_cache
    from sidecar.config_sections import CacheSettings
    from sidecar.dialects import CHAT, parse

    cfg = CacheSettings()
    cache = build_cache(cfg, verifier=None, max_entries=max(n, cfg.max_entries))
    # The scope the sidecar gives a one-message chat request with no tenant and no key.
    scope = parse(CHAT, orjson.dumps(workloads.chat_body("x")), {}, CacheSettings()).scope
    questions = [q for c in workloads.load_clusters() for q in c]
    rng = np.random.default_rng(seed)
    texts = []
    now = int(time.time())
    for i in range(n):
        text = f"{questions[i % len(questions)]} (variant {i})"
        texts.append(text)
        vec = rng.standard_normal(384).astype(np.float32)
        vec /= np.linalg.norm(vec)
        reply = {
            "id": f"chatcmpl-{i:024d}",
            "object": "chat.completion",
            "created": now,
            "model": "gpt-4o-mini",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": "echo: " + text + " lorem" * 40},
                }
            ],
            "usage": {"prompt_tokens": 20, "completion_tokens": 50, "total_tokens": 70},
        }
        cache.put(
            scope,
            normalize(text),
            vec,
            body=orjson.dumps(reply),
            model="gpt-4o-mini",
            tier="small",
            tier_rank=0,
            prompt_tokens=20,
            completion_tokens=50,
            cost_usd=3.3e-5,
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    cache.snapshot(str(path))
    return {"entries": cache.entries, "bytes": path.stat().st_size, "texts": texts[:200]}


async def memory_scenario(snap_root: Path, logs: Path, *, quick: bool) -> dict[str, object]:
    """Sidecar RSS (now and peak) at 0, 10k and 100k cached entries, after some traffic."""
    from benchmarks import loadgen, workloads

    out: dict[str, object] = {}
    mock_srv = mock(free_port())
    mock_srv.start(logs)
    mock_srv.wait_ready(30)
    try:
        for n in (0, 10_000, 100_000):
            snap_dir = snap_root / f"n{n}"
            if snap_dir.exists():
                import shutil

                shutil.rmtree(snap_dir)
            snap_dir.mkdir(parents=True)
            info: dict[str, object] = {"entries": n}
            texts: list[str] = []
            if n:
                t0 = time.time()
                built = build_snapshot(snap_dir / "cache.snapshot", n)
                texts = list(built["texts"])  # type: ignore[call-overload]
                info["snapshot_bytes"] = built["bytes"]
                info["build_s"] = round(time.time() - t0, 1)
            srv = sidecar(
                f"sidecar-mem{n}",
                free_port(),
                mock_srv.base + "/v1",
                {
                    "SIDECAR_CACHE_DIR": str(snap_dir),
                    "SIDECAR_CACHE_VERIFIER": os.environ.get("BENCH_VERIFIER", "")
                    or ("true" if (REPO / "cache/data/verifier.npz").exists() else "false"),
                    "SIDECAR_ROUTING_ENABLED": "true"
                    if (REPO / "classifier/data/router.npz").exists()
                    else "false",
                },
            )
            srv.start(logs)
            try:
                if not srv.wait_ready(300):
                    info["error"] = srv.error
                    out[str(n)] = info
                    continue
                info["ready_s"] = round(srv.ready_s, 1)
                info["rss_at_ready_kb"] = srv.memory()
                # Traffic: exact hits on stored texts, unique misses (stored too), paraphrases.
                prompts = [workloads.Prompt(t, "hit", -1) for t in texts[:100]]
                prompts += workloads.unique(100 if quick else 300, seed=n, tag="mem")
                run = await loadgen.run_closed(
                    srv.url, loadgen.jobs_for(prompts), 8, max_seconds=60
                )
                info["traffic"] = run.summary()["cache"]
                info["rss_after_traffic_kb"] = srv.memory()
                metrics = await asyncio.to_thread(_get_text, srv.base + "/metrics")
                m = [ln for ln in metrics.splitlines() if ln.startswith("sidecar_cache_entries")]
                info["cache_entries_metric"] = m[:1]
                loaded = float(m[0].split()[-1]) if m else 0.0
                if loaded < n:
                    tail = srv.log_tail(600)
                    info["error"] = f"snapshot not (fully) loaded: {m[:1]}; log: {tail}"
            finally:
                srv.stop(grace_s=60)
            out[str(n)] = info
            print(
                f"  memory n={n}: {info.get('rss_after_traffic_kb')} ready {info.get('ready_s')} s"
            )
    finally:
        mock_srv.stop()
    return out
