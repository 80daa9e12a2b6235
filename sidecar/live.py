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

from pydantic import ValidationError

from sidecar.config import ConfigError, Settings, describe_error

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
        """Apply the live-safe part of ``fresh``: cache thresholds/policy and routing.

        Raises ConfigError (nothing applied) when the new routing does not fit the running tiers.
        """
        old = self._current.settings
        cache = {
            k: v
            for k, v in fresh.cache.model_dump().items()
            if k.startswith("threshold") or k in LIVE_CACHE_FIELDS
        }
        candidate = old.model_dump()
        candidate["cache"].update(cache)
        candidate["routing"] = fresh.routing.model_dump()
        try:
            # Tiers are not reloaded: the new routing must fit the running tiers (a renamed
            # default tier or a threshold count for other tiers is rejected, nothing applied).
            settings = Settings.model_validate(candidate)
        except ValidationError as exc:
            raise ConfigError(f"{describe_error(exc)} (tiers change only on restart)") from exc
        thresholds = settings.routing.thresholds or self._current.thresholds
        self._current = LiveConfig(settings, thresholds)
