"""One error hierarchy; each error knows its HTTP status and OpenAI error type.

The middleware in ``sidecar.app`` renders them as ``{"error": {"message", "type", "code"}}``.
Lower-library exceptions (aiohttp, asyncio timeouts) are translated in ``sidecar.upstream_http``
only.
"""

from __future__ import annotations

import orjson


class SidecarError(Exception):
    """Base: an error the client should see as OpenAI-style JSON."""

    status = 500
    type = "server_error"
    code: str | None = None

    def __init__(self, message: str, *, code: str | None = None, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        if code is not None:
            self.code = code

    def body(self) -> bytes:
        """The OpenAI error JSON for this error."""
        return error_body(self.message, self.type, self.code, self.param)


class BadRequest(SidecarError):
    status = 400
    type = "invalid_request_error"


class PayloadTooLarge(SidecarError):
    status = 413
    type = "invalid_request_error"
    code = "request_too_large"


class NotFound(SidecarError):
    status = 404
    type = "invalid_request_error"
    code = "not_found"


class MethodNotAllowed(SidecarError):
    status = 405
    type = "invalid_request_error"
    code = "method_not_allowed"


class HTTPError(SidecarError):
    """Another HTTP error raised by aiohttp, kept with its own status."""

    type = "invalid_request_error"

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class UpstreamUnavailable(SidecarError):
    """Every deployment failed (connect errors, 5xx, open breakers) after retries and fallbacks."""

    status = 502
    type = "upstream_error"
    code = "upstream_unavailable"


class UpstreamTimeout(SidecarError):
    status = 504
    type = "upstream_error"
    code = "upstream_timeout"


class UpstreamStreamError(SidecarError):
    """The upstream stream failed after bytes reached the client (sent as an SSE error event)."""

    status = 502
    type = "upstream_error"
    code = "upstream_stream_failed"


class NotReady(SidecarError):
    status = 503
    type = "server_error"
    code = "not_ready"


def error_body(
    message: str, type_: str, code: str | None = None, param: str | None = None
) -> bytes:
    """Serialize an OpenAI-style error object."""
    return orjson.dumps(
        {"error": {"message": message, "type": type_, "param": param, "code": code}}
    )
