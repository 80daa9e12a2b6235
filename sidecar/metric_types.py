"""Prometheus metric types whose ``labels(...)`` children are looked up once.

Contract: drop-in ``Counter``, ``Gauge`` and ``Histogram`` (same constructor, same exposition,
same ``labels``/``remove``/``clear``). ``labels(*values)`` is memoized on the values as strings,
which is exactly how prometheus_client keys its children, so a memo hit returns the very child
``labels`` would have returned. Why: ``labels`` costs ~2 µs per call (a validation, a tuple of
``str()``s and a lock) and a miss makes ~15 of them; a dict hit is ~0.2 µs. Label values are
bounded by design (STYLE.md), so the memo is too. Keyword-argument calls are not memoized.
"""

from __future__ import annotations

from typing import Any

import prometheus_client

__all__ = ["Counter", "Gauge", "Histogram"]


class _MemoLabels(prometheus_client.metrics.MetricWrapperBase):
    """``labels`` with a memo of the children already made (reset by ``remove``/``clear``)."""

    def labels(self, *values: Any, **by_name: Any) -> Any:
        if by_name or not values:
            return super().labels(*values, **by_name)
        key = tuple(v if type(v) is str else str(v) for v in values)
        memo: dict[tuple[str, ...], Any] | None = self.__dict__.get("_memo")
        if memo is None:
            memo = self.__dict__["_memo"] = {}
        child = memo.get(key)
        if child is None:
            child = memo[key] = super().labels(*key)
        return child

    def remove(self, *values: Any) -> None:
        self.__dict__.pop("_memo", None)
        super().remove(*values)

    def clear(self) -> None:
        self.__dict__.pop("_memo", None)
        super().clear()


class Counter(_MemoLabels, prometheus_client.Counter):
    """``prometheus_client.Counter`` with memoized ``labels``."""


class Gauge(_MemoLabels, prometheus_client.Gauge):
    """``prometheus_client.Gauge`` with memoized ``labels``."""


class Histogram(_MemoLabels, prometheus_client.Histogram):
    """``prometheus_client.Histogram`` with memoized ``labels``."""
