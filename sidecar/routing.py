"""Where a miss goes: the ``Route`` (tier by rank, and why), chosen from the request.

A request naming the routing alias is routed: an ``X-Sidecar-Tier`` header wins, then the
classifier's score mapped through the live thresholds, else the default tier. A request naming
a concrete model is not routed (its deployment is found by model name). Pure functions; the
pipeline calls them and records the metrics.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from classifier.router import tier_for
from sidecar.config import Settings
from sidecar.errors import BadRequest


class RouteSource(StrEnum):
    """Why a route was chosen (a metric label)."""

    CLASSIFIER = "classifier"
    HEADER = "header"  # X-Sidecar-Tier
    DEFAULT = "default"  # routing off, no classifier, or the classifier failed
    MODEL = "model"  # a concrete model was named: not routed


@dataclass(frozen=True, slots=True)
class Route:
    """Where a miss goes: the tier (by rank) and why."""

    rank: int
    tier: str
    routed: bool  # the request used the routing alias
    score: float | None = None
    source: RouteSource = RouteSource.MODEL


NOT_ROUTED = Route(0, "", routed=False)


def forced_tier(headers: Mapping[str, str], settings: Settings) -> int | None:
    """The tier named by an ``X-Sidecar-Tier`` request header (400 if unknown)."""
    forced = headers.get("X-Sidecar-Tier")
    if forced is None:
        return None
    names = [t.name for t in settings.tiers]
    if forced not in names:
        raise BadRequest(f"X-Sidecar-Tier must be one of {names}")
    return names.index(forced)


def default_route(settings: Settings) -> Route:
    """The configured default tier."""
    name = settings.routing.default_tier
    return Route(settings.tier_rank(name), name, routed=True, source=RouteSource.DEFAULT)


def header_route(rank: int, settings: Settings) -> Route:
    """The tier an ``X-Sidecar-Tier`` header asked for."""
    return Route(rank, settings.tiers[rank].name, routed=True, source=RouteSource.HEADER)


def scored_route(score: float, thresholds: Sequence[float], settings: Settings) -> Route:
    """The tier the classifier's score falls into."""
    rank = tier_for(score, thresholds)
    name = settings.tiers[rank].name
    return Route(rank, name, routed=True, score=score, source=RouteSource.CLASSIFIER)
