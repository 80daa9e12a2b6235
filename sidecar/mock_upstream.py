"""A fake OpenAI-compatible upstream, shipped with the sidecar for `make run`, tests and benchmarks.

Answers are deterministic echoes of the last user message, so a cached answer can be checked
against a direct one. Behaviour per request comes from a queue (``push("500", "429", ...)``, or
``POST /mock/behave``) and falls back to ``MockConfig.default``:

ok · slow · 500 · 429 (with Retry-After) · 400 · drop (close mid-stream) · hang · length · refuse
· empty · unsure (a right answer given with low token logprobs). ``GET /mock/stats`` reports
request counts; ``requests`` keeps every received body. ``sidecar.mock_shapes`` adds behaviours
shaped like real providers (full OpenAI fields, tool-call deltas, SSE variants, compressed and
broken answers), named the same way. What an answer says (words, wrongness, logprobs, SSE) is
in ``sidecar.mock_replies``; this module holds the server, its queue and counters.

For benchmarks: ``error_rate`` answers that share of "ok" requests with a 500 (seeded), and
``wrong_rate`` makes the mock answer that share of prompts wrongly ("wrong:" and the words
reversed), chosen by a hash of model and prompt so a prompt is always right or always wrong
for one model. Asked for ``logprobs``, it returns per-token logprobs: around ``logprob`` for a
right answer, around ``unsure_logprob`` for a wrong or "unsure" one. ``wrong_rate_by_model``
sets the rate per model. Sent the shadow evaluation's preference prompt (``PREFERENCE_MARK``),
it judges like an oracle: the answer that is not "wrong:" wins, else ``TIE``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web

from sidecar import mock_dialects
from sidecar.mock_oracle import Oracle
from sidecar.mock_replies import (
    capped,
    count_prompt_tokens,
    dumps,
    envelope,
    error_for,
    fake_vector,
    is_wrong,
    last_user_text,
    logprobs,
    oracle_preference,
    reply_words,
    stream_answer,
)
from sidecar.mock_shapes import SHAPES

BEHAVIORS = (
    "ok", "slow", "500", "429", "400", "drop", "hang", "length", "refuse", "empty", "unsure",
    *SHAPES,  # real providers' shapes, SSE variants, compression, broken answers (mock_shapes)
)  # fmt: skip


@dataclass
class MockConfig:
    """How the mock answers by default: delays, padding, error and wrong-answer rates."""

    ttft_s: float = 0.0  # delay before the first byte (headers + first chunk)
    token_delay_s: float = 0.0  # delay between streamed tokens
    reply_tokens: int = 0  # pad answers to at least this many words (0 = echo only)
    slow_s: float = 2.0  # extra delay of the "slow" behaviour
    retry_after_s: float = 0.05
    default: str = "ok"
    error_rate: float = 0.0  # share of "ok" requests answered 500 instead
    wrong_rate: float = 0.0  # share of prompts (by hash of model + prompt) answered wrongly
    wrong_rate_by_model: dict[str, float] = field(default_factory=dict)
    logprob: float = -0.05  # mean token logprob of a right answer
    unsure_logprob: float = -1.5  # mean token logprob of a wrong or "unsure" answer
    seed: int = 0


@dataclass
class MockUpstream:
    """The fake's state: config, scripted behaviours and counters."""

    config: MockConfig = field(default_factory=MockConfig)
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    active: int = 0
    cancelled: int = 0
    completed: int = 0
    _script: deque[str] = field(default_factory=deque)
    _by_model: dict[str, deque[str]] = field(default_factory=dict)
    _rng: random.Random = field(default_factory=random.Random)
    # Oracle mode: answers depend on meaning, not wording (sidecar/mock_oracle.py).
    oracle: Oracle | None = None

    def __post_init__(self) -> None:
        self._rng.seed(self.config.seed)

    def push(self, *behaviors: str, model: str | None = None) -> None:
        """Queue behaviours for the next requests (only those for ``model``, if given)."""
        for b in behaviors:
            if b not in BEHAVIORS:
                raise ValueError(f"unknown behaviour {b!r}")
        queue = self._script if model is None else self._by_model.setdefault(model, deque())
        queue.extend(behaviors)

    def _next(self, model: str) -> str:
        if queue := self._by_model.get(model):
            return queue.popleft()
        if self._script:
            return self._script.popleft()
        behavior = self.config.default
        if (
            behavior == "ok"
            and self.config.error_rate
            and self._rng.random() < self.config.error_rate
        ):
            return "500"
        return behavior

    @property
    def count(self) -> int:
        """Number of completion/embedding requests received."""
        return len(self.requests)

    def app(self) -> web.Application:
        """The aiohttp application serving this fake."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_post("/v1/completions", self._completions)
        app.router.add_post("/v1/embeddings", self._embeddings)
        app.router.add_get("/v1/models", self._models)
        app.router.add_post("/mock/behave", self._behave)
        app.router.add_get("/mock/stats", self._stats)
        mock_dialects.register(self, app)  # /v1/responses and /v1/messages
        return app

    async def _behave(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.push(*body.get("behaviors", []), model=body.get("model"))
        for key, value in body.get("config", {}).items():
            setattr(self.config, key, value)
        return web.json_response({"queued": len(self._script)})

    async def _stats(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "requests": self.count,
                "active": self.active,
                "cancelled": self.cancelled,
                "completed": self.completed,
            }
        )

    async def _models(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "object": "list",
                "data": [{"id": "mock-model", "object": "model", "created": 0, "owned_by": "mock"}],
            }
        )

    async def _receive(self, request: web.Request) -> tuple[dict[str, Any], str]:
        body = orjson.loads(await request.read())
        self.requests.append(body)
        self.headers.append(dict(request.headers))
        return body, self._next(str(body.get("model", "")))

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(request, chat=True)

    async def _completions(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(request, chat=False)

    async def _serve(self, request: web.Request, *, chat: bool) -> web.StreamResponse:
        body, behavior = await self._receive(request)
        self.active += 1
        try:
            resp = await self._answer(request, body, behavior, chat=chat)
            self.completed += 1
            return resp
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        finally:
            self.active -= 1

    async def _answer(
        self, request: web.Request, body: dict[str, Any], behavior: str, *, chat: bool
    ) -> web.StreamResponse:
        if error := error_for(behavior, self.config.retry_after_s):
            return error
        if shape := SHAPES.get(behavior):
            words = reply_words(body, chat, "ok", self.config.reply_tokens)
            return await shape(request, body, words, chat)
        delay = self.config.ttft_s + (self.config.slow_s if behavior == "slow" else 0.0)
        if behavior == "hang":
            delay = 3600.0
        if delay:
            await asyncio.sleep(delay)
        model = str(body.get("model", "mock-model"))
        words, wrong = self._words(model, body, behavior, chat)
        # Cut by the client's own max_tokens: "length", as OpenAI reports it.
        finish = "length" if behavior == "length" or capped(body, chat, self.oracle) else "stop"
        prompt_tokens = count_prompt_tokens(body, chat)
        if body.get("stream"):
            return await stream_answer(
                request, body, words, finish, prompt_tokens, model, chat,
                drop=behavior == "drop", token_delay_s=self.config.token_delay_s,
            )  # fmt: skip
        choice: dict[str, Any] = {"index": 0, "finish_reason": finish, "logprobs": None}
        if chat:
            choice["message"] = {"role": "assistant", "content": " ".join(words)}
        else:
            choice["text"] = " ".join(words)
        if body.get("logprobs"):
            base = self.config.unsure_logprob if wrong or behavior == "unsure" else None
            choice["logprobs"] = logprobs(words, chat, base or self.config.logprob)
        return web.json_response(
            envelope(model, chat, [choice], prompt_tokens, len(words)), dumps=dumps
        )

    def _words(
        self, model: str, body: dict[str, Any], behavior: str, chat: bool
    ) -> tuple[list[str], bool]:
        """The answer's words and whether they are the (deliberately) wrong answer."""
        rate = self.config.wrong_rate_by_model.get(model, self.config.wrong_rate)
        wrong = behavior == "ok" and is_wrong(model, body, chat, rate)
        words = reply_words(body, chat, behavior, self.config.reply_tokens, self.oracle)
        if (verdict := oracle_preference(last_user_text(body, chat))) is not None:
            words, wrong = [verdict], False
        if wrong:
            words = ["wrong:", *reversed(words[1:])]
        return words, wrong

    async def _embeddings(self, request: web.Request) -> web.Response:
        body, behavior = await self._receive(request)
        if error := error_for(behavior, self.config.retry_after_s):
            return error
        inputs = body.get("input")
        items = inputs if isinstance(inputs, list) else [inputs]
        data = [
            {"object": "embedding", "index": i, "embedding": fake_vector(str(x))}
            for i, x in enumerate(items)
        ]
        tokens = sum(len(str(x).split()) for x in items)
        return web.json_response(
            {
                "object": "list",
                "data": data,
                "model": body.get("model"),
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            }
        )


async def start_mock(
    host: str = "127.0.0.1", port: int = 0, config: MockConfig | None = None
) -> tuple[MockUpstream, web.AppRunner, str]:
    """Start a mock on ``host:port`` (0 = free port); returns (mock, runner, base_url)."""
    mock = MockUpstream(config or MockConfig())
    runner, bound = await serve(mock.app(), host, port, handler_cancellation=True)
    return mock, runner, f"http://{host}:{bound}/v1"


async def serve(
    app: web.Application, host: str = "127.0.0.1", port: int = 0, **runner_kw: Any
) -> tuple[web.AppRunner, int]:
    """Serve ``app`` on ``host:port`` (0 = a free port): its runner (clean it up) and the port
    it bound. For the mock here and for in-process sidecars in benchmarks."""
    runner = web.AppRunner(app, access_log=None, **runner_kw)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    server = site._server
    if server is None or not getattr(server, "sockets", None):
        raise RuntimeError(f"{host}:{port} did not bind")
    return runner, int(server.sockets[0].getsockname()[1])  # type: ignore[attr-defined]


def main() -> None:
    """``python -m sidecar.mock_upstream --port 9000``: serve the fake standalone."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--ttft", type=float, default=0.0)
    parser.add_argument("--token-delay", type=float, default=0.0)
    parser.add_argument("--reply-tokens", type=int, default=0)
    args = parser.parse_args()
    mock = MockUpstream(
        MockConfig(ttft_s=args.ttft, token_delay_s=args.token_delay, reply_tokens=args.reply_tokens)
    )
    with contextlib.suppress(KeyboardInterrupt):
        web.run_app(
            mock.app(),
            host=args.host,
            port=args.port,
            access_log=None,
            handler_cancellation=True,
            print=None,
        )


if __name__ == "__main__":
    main()
