"""What may change while serving, held in one place and swapped whole.

``Live.current`` is a frozen ``LiveConfig`` (settings and routing thresholds). A request reads
it once, so one request never sees half of a reload. Two writers only: SIGHUP (``reload``,
from ``sidecar.__main__``) and the classifier loader (``set_thresholds``, from
``sidecar.lifecycle`` when the router's shipped cut points become known).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace

from sidecar.config import Settings

log = logging.getLogger("sidecar.live")
# Cache fields safe to change live (besides every threshold* field): they act per request.
LIVE_CACHE_FIELDS = ("max_temperature", "serve_lower_tier", "ttl_s")


@dataclass(frozen=True, slots=True)
class LiveConfig:
    """One consistent view: the settings and the routing cut points in use."""

    settings: Settings
    thresholds: tuple[float, ...] = ()


class Live:
    """Holder of the current ``LiveConfig``."""

    def __init__(self, settings: Settings) -> None:
        self._current = LiveConfig(settings, settings.routing.thresholds or ())

    @property
    def current(self) -> LiveConfig:
        """The config requests use now."""
        return self._current

    def set_thresholds(self, thresholds: Sequence[float]) -> None:
        """Use these routing cut points (ascending, one fewer than tiers)."""
        self._current = replace(self._current, thresholds=tuple(thresholds))

    def reload(self, fresh: Settings) -> None:
        """Apply the live-safe part of ``fresh``: cache thresholds/policy and routing."""
        old = self._current.settings
        cache = {
            k: v
            for k, v in fresh.cache.model_dump().items()
            if k.startswith("threshold") or k in LIVE_CACHE_FIELDS
        }
        settings = old.model_copy(
            update={"cache": old.cache.model_copy(update=cache), "routing": fresh.routing}
        )
        thresholds = self._current.thresholds
        if (
            fresh.routing.thresholds is not None
            and len(fresh.routing.thresholds) == len(old.tiers) - 1
        ):
            thresholds = fresh.routing.thresholds
        self._current = LiveConfig(settings, thresholds)
