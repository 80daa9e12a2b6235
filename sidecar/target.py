"""What the upstream layer hands out: a ``Target`` (one deployment of one tier), a ``Reply``
(a whole body, or an open stream to relay) and the ``ErrorKind`` of a failed call.

``sidecar.upstream`` makes them; the request path (dispatch, cascade, relay, billing) reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import aiohttp
from multidict import CIMultiDict

from sidecar.config_sections import Deployment


class ErrorKind(StrEnum):
    """Why an upstream call failed (a metric label)."""

    TIMEOUT = "timeout"
    CONNECT = "connect"
    RATE_LIMITED = "429"
    SERVER_ERROR = "5xx"
    BREAKER_OPEN = "breaker_open"
    BAD_ANSWER = "bad_answer"  # a 200 that is not a JSON object / not decodable
    STREAM = "stream"  # a relayed stream broke after its first byte
    NO_DEPLOYMENT = "no_deployment"


@dataclass(frozen=True, slots=True)
class Target:
    """One deployment of one tier."""

    tier: str
    tier_rank: int
    deployment: Deployment

    @property
    def label(self) -> str:
        """Bounded metric label: tier and model."""
        return f"{self.tier}/{self.deployment.model}"

    @property
    def price(self) -> float:
        """The deployment's input + output price per 1M tokens (balancing key)."""
        return self.deployment.price

    @property
    def weight(self) -> float:
        """The deployment's share under the ``weighted`` strategy."""
        return self.deployment.weight


@dataclass(slots=True)
class Reply:
    """An upstream answer: a whole body, or an open stream to relay."""

    status: int
    headers: CIMultiDict[str]
    target: Target
    ttfb: float
    body: bytes | None = None
    stream: aiohttp.ClientResponse | None = None
    answer: dict[str, Any] | None = None  # a 200 body, parsed once (sidecar.upstream_http)

    def close(self) -> None:
        """Close the upstream connection of a stream (also cancels the upstream request)."""
        if self.stream is not None:
            self.stream.close()
