"""``python -m sidecar``: parse flags, load settings, serve until SIGTERM, drain, exit 0.

With no upstream configured (no ``--upstream``, no ``--config``, no ``OPENAI_API_KEY``) the
bundled mock upstream is started in-process and every deployment points at it, so the openai
SDK and curl work immediately; the log says so.

Shutdown (SIGTERM/SIGINT): ``/readyz`` turns 503 at once; after ``drain_delay_s`` the listener
closes; in-flight requests and streams get up to ``shutdown_grace_s``; the cache snapshot is
written by the cleanup context; exit code 0. SIGHUP re-reads the config file and applies the
settings that are safe to change live (cache thresholds and policy, routing thresholds).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Mapping

from aiohttp import web

from sidecar.app import DEPS, create_app
from sidecar.audit_service import reload_audit
from sidecar.config import (
    ConfigError,
    Settings,
    load_settings,
    needs_mock,
    with_mock_upstream,
)
from sidecar.logs import setup_logging
from sidecar.server import SidecarRunner, runner_kwargs

log = logging.getLogger("sidecar")


def _args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m sidecar", description=__doc__.splitlines()[0])
    p.add_argument("--config", help="YAML config file (env SIDECAR_* overrides it)")
    p.add_argument("--host", help="listen address (default from config: 127.0.0.1)")
    p.add_argument("--port", type=int, help="listen port (default from config: 8080)")
    p.add_argument(
        "--upstream", help="point every deployment at this base URL, e.g. http://127.0.0.1:9000/v1"
    )
    return p.parse_args(argv)


async def serve(
    settings: Settings,
    host: str,
    port: int,
    *,
    config_path: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> None:
    """Run the sidecar until a stop signal, then drain and clean up."""
    environ = os.environ if environ is None else environ
    mock_runner = None
    if settings.mock_upstream:
        from sidecar.mock_upstream import start_mock

        _, mock_runner, base = await start_mock()
        settings = with_mock_upstream(settings, base)
        log.warning(
            "no upstream configured: serving the bundled mock upstream at %s "
            "(answers are echoes; pass --upstream URL or --config FILE for real models)",
            base,
        )
    app = create_app(settings, environ=environ)
    runner = SidecarRunner(
        app,
        handler_cancellation=True,
        access_log=None,
        shutdown_timeout=settings.server.shutdown_grace_s,
        **runner_kwargs(app),
    )
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("listening", extra={"fields": {"host": host, "port": port}})
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    # Always handled: SIGHUP's default action would kill the process.
    loop.add_signal_handler(signal.SIGHUP, _reload, app, config_path, environ)
    await stop.wait()
    deps = app[DEPS]
    deps.readiness.draining = True
    log.info(
        "draining",
        extra={
            "fields": {
                "delay_s": settings.server.drain_delay_s,
                "grace_s": settings.server.shutdown_grace_s,
            }
        },
    )
    await asyncio.sleep(settings.server.drain_delay_s)
    await runner.cleanup()  # closes the listener, waits for in-flight, runs cleanup_ctx
    if mock_runner is not None:
        await mock_runner.cleanup()
    log.info("stopped")


def _reload(app: web.Application, path: str | None, environ: Mapping[str, str]) -> None:
    """SIGHUP: re-read the config; apply cache and routing policy, keep the rest."""
    if path is None:
        log.warning("SIGHUP ignored: no --config file to reload")
        return
    deps = app[DEPS]
    try:
        fresh = load_settings(path, environ)
    except ConfigError as exc:
        log.error("config reload rejected: %s", exc)
        return
    try:
        deps.live.reload(fresh)
    except ConfigError as exc:
        log.error("config reload rejected: %s", exc)
        return
    restart = reload_audit(deps, fresh)
    if restart:
        log.warning("config reload: %s change only on restart", ", ".join(restart))
    log.info("config reloaded (cache thresholds/policy, audit rate and budget, routing)")


def main(argv: list[str] | None = None) -> None:
    """Console entry point."""
    args = _args(argv)
    env = dict(os.environ)
    try:
        settings = load_settings(args.config, env, upstream=args.upstream)
        if needs_mock(args.config, env, args.upstream):
            settings = settings.model_copy(update={"mock_upstream": True})
    except ConfigError as exc:
        print(f"llm-sidecar: invalid configuration: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
    setup_logging(settings.server.log_level)
    host = args.host or settings.server.host
    port = args.port if args.port is not None else settings.server.port
    asyncio.run(serve(settings, host, port, config_path=args.config, environ=env))


if __name__ == "__main__":
    main()
