"""The HTTP server edge: connection timeouts and the answer to HTTP that never parses.

``SidecarRunner`` is an ``AppRunner`` whose connections (1) must deliver their first request's
headers within ``server.header_timeout_s`` (slowloris bound; later requests on a kept-alive
connection must start within ``server.keepalive_timeout_s``), and (2) answer malformed HTTP
(bad Content-Length, over-long or invalid header lines, bare CR) with an OpenAI-shaped JSON 400
that never echoes the offending bytes, logged as one WARNING line naming only the error class:
the raw header may hold a client key.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import (
    BadHttpMessage,
    BadHttpMethod,
    BadStatusLine,
    ContentLengthError,
    InvalidHeader,
    LineTooLong,
    TransferEncodingError,
)
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest

from sidecar.errors import error_body

log = logging.getLogger("sidecar.server")
# Checked most specific first; messages never include request bytes.
_REASONS: tuple[tuple[type[BaseException], str, str], ...] = (
    (LineTooLong, "a request or header line is too long", "header_too_large"),
    (InvalidHeader, "a request header is malformed", "invalid_header"),
    (BadHttpMethod, "the request line is malformed", "invalid_request_line"),
    (BadStatusLine, "the request line is malformed", "invalid_request_line"),
    (ContentLengthError, "the body length does not match Content-Length", "invalid_body_framing"),
    (TransferEncodingError, "the body framing is invalid", "invalid_body_framing"),
    (BadHttpMessage, "the HTTP request is malformed", "malformed_request"),
)


def describe(exc: BaseException | None) -> tuple[str, str]:
    """A safe message and code for a parser error (the class decides, never its text)."""
    for cls, message, code in _REASONS:
        if isinstance(exc, cls):
            return message, code
    return "the HTTP request could not be processed", "malformed_request"


class _Handler(RequestHandler):
    """aiohttp's connection handler with a header-read deadline and key-safe error answers."""

    def __init__(self, *args: Any, header_timeout: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timeout = header_timeout

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        # aiohttp arms its idle timer (keepalive_timeout) at connect and closes the connection if
        # no request was parsed by then; re-arm it with the shorter header deadline. After each
        # answer aiohttp re-arms it with keepalive_timeout itself.
        handle = self._keepalive_handle
        if handle is not None:
            handle.cancel()
        close_at = self._loop.time() + self._header_timeout
        self._next_keepalive_close_time = close_at
        self._keepalive_handle = self._loop.call_at(close_at, self._process_keepalive)

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if request.writer.output_size > 0:
            raise ConnectionError("response already started; cannot send an error")
        if status >= 500:
            log.error("internal error in the HTTP server: %s", type(exc).__name__)
            body = error_body("internal error in the sidecar", "server_error")
        else:
            text, code = describe(exc)
            log.warning("malformed HTTP request rejected: %s (%s)", code, type(exc).__name__)
            body = error_body(f"malformed HTTP request: {text}", "invalid_request_error", code)
        resp = web.Response(status=status, body=body, content_type="application/json")
        resp.force_close()
        return resp


class _Server(web.Server):
    def __init__(self, *args: Any, header_timeout: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timeout = header_timeout

    def __call__(self) -> RequestHandler:
        return _Handler(self, loop=self._loop, header_timeout=self._header_timeout, **self._kwargs)


class SidecarRunner(web.AppRunner):
    """``AppRunner`` serving through ``_Handler``; ``header_timeout`` in seconds."""

    def __init__(self, app: web.Application, *, header_timeout: float, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self._header_timeout = header_timeout

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        # Rebuild with the same handler and settings, serving connections through _Handler.
        return _Server(
            server.request_handler,
            request_factory=server.request_factory,
            handler_cancellation=server.handler_cancellation,
            header_timeout=self._header_timeout,
            **server._kwargs,
        )


def runner_kwargs(app: web.Application) -> dict[str, Any]:
    """The server settings of the sidecar app ``app`` as ``SidecarRunner`` keyword arguments."""
    from sidecar.app import DEPS  # local: app imports nothing from here at import time

    server = app[DEPS].settings.server
    return {
        "header_timeout": server.header_timeout_s,
        "keepalive_timeout": server.keepalive_timeout_s,
        # aiohttp's defaults, named: the parser answers longer lines with a JSON 400 above.
        "max_line_size": 8190,
        "max_field_size": 8190,
    }
