"""The budget controller's state: its views, and its rows for the snapshot and shared store.

Contract:
- A row per band: (gen, hit same, hit different, probe same, probe different); the ledger is
  one more row, (earned, spent) in micro wrong hits (cache/ledger.py).
- ``to_state()`` / ``load_state()``: the JSON of ``<cache.dir>/audit_state.json``, format
  version 3 (v2 = bands only, before the ledger: its bands are adopted and the ledger starts
  empty; v1 = pooled counts of an older design, and anything for other band edges: ignored,
  the caller logs it).
- ``take_delta()`` / ``merge_shared()``: per band, the current gen and what was observed here
  since the last sync; a newer shared gen wins and drops the older regime's hit verdicts.
  Verdicts recorded while a sync was in flight stay for the next push.
- ``views()`` / ``overall()``: each band's evidence and bounds, and the open bands pooled.
Mixed into ``cache.budget.BudgetController``; pure, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cache.bands import BandCounts, BandEvidence, BandView, band_label, view
from cache.ledger import Ledger

STATE_VERSION = 3  # 3: + the ledger; 2: regimes; 1: pooled counts
Row = tuple[int, int, int, int, int]  # gen, hit same, hit different, probe same, probe diff


class BandRows:
    """Rows in and out of a controller (``_shared`` / ``_delta`` evidence and its ledger)."""

    edges: tuple[float, ...]
    z: float
    ledger: Ledger
    _certified: list[bool]
    _shared: list[BandEvidence]
    _delta: list[BandEvidence]

    def hits(self, band: int) -> BandCounts:
        """The band's served-hit verdicts in its current regime (shared + local)."""
        return self._shared[band].hits.plus(self._delta[band].hits)

    def probes(self, band: int) -> BandCounts:
        """The band's near-miss verdicts (shared + local)."""
        return self._shared[band].probes.plus(self._delta[band].probes)

    def _decide(self) -> None:
        raise NotImplementedError

    def is_open(self, band: int) -> bool:
        raise NotImplementedError

    def threshold(self) -> float:
        raise NotImplementedError

    # -- views --------------------------------------------------------------------------------

    def views(self) -> list[BandView]:
        """Every band's hit evidence, bounds, state and near-miss counts."""
        return [
            view(
                band_label(self.edges[i], self.edges[i + 1]),
                (float(self.edges[i]), float(self.edges[i + 1])),
                self.is_open(i),
                self.hits(i),
                self.probes(i),
                self._certified[i],
                self.z,
            )
            for i in range(len(self.edges) - 1)
        ]

    def overall(self) -> BandView:
        """The open bands' hit evidence pooled: the audited estimate of what is served now."""
        bands = [i for i in range(len(self.edges) - 1) if self.is_open(i)]
        pooled = BandCounts()
        for i in bands:
            pooled = pooled.plus(self.hits(i))
        certified = bool(bands) and all(self._certified[i] for i in bands)
        span = (min(self.threshold(), 1.0), 1.0)
        return view("all", span, bool(bands), pooled, BandCounts(), certified, self.z)

    def rows(self) -> list[Row]:
        """Per band (gen, hit same, hit different, probe same, probe different), all known."""
        out: list[Row] = []
        for i, s in enumerate(self._shared):
            h, p = self.hits(i), self.probes(i)
            out.append((s.gen, h.same, h.different, p.same, p.different))
        return out

    def to_state(self) -> dict[str, Any]:
        """JSON-able state for the snapshot: the edges, per-band rows and the ledger."""
        return {
            "version": STATE_VERSION,
            "edges": [float(e) for e in self.edges],
            "bands": [list(r) for r in self.rows()],
            "ledger": list(self.ledger.row()),
        }

    def load_state(self, state: Mapping[str, Any]) -> bool:
        """Adopt saved rows; False (state ignored) when the version or the bands differ."""
        version = state.get("version")
        if version not in (2, STATE_VERSION) or not self._same_edges(state.get("edges")):
            return False
        bands, ledger = state.get("bands"), state.get("ledger", [0, 0])
        if not isinstance(bands, list) or len(bands) != len(self._shared):
            return False
        if not isinstance(ledger, list) or len(ledger) != 2:
            return False
        self._shared = [_evidence(tuple(int(v) for v in row)) for row in bands]
        self._delta = [BandEvidence() for _ in self._shared]
        self.ledger.load([int(v) for v in ledger])
        self._decide()
        return True

    def _same_edges(self, edges: Any) -> bool:
        if not isinstance(edges, list):
            return False
        return [round(float(e), 4) for e in edges] == [round(e, 4) for e in self.edges]

    def take_delta(self) -> list[Row]:
        """Per band: the current gen and what was observed here since the last sync."""
        return [(s.gen, *d.row()[1:]) for s, d in zip(self._shared, self._delta, strict=True)]

    def merge_shared(self, totals: Sequence[Row], pushed: Sequence[Row]) -> None:
        """Adopt shared rows read after ``pushed`` (a ``take_delta()``) was applied to them.
        A newer shared gen wins (its hit counts replace ours, our delta of the older regime
        is dropped); verdicts recorded while the sync was in flight stay for the next push."""
        if len(totals) != len(self._shared) or len(pushed) != len(self._shared):
            raise ValueError("band count mismatch")
        for i, (total, sent) in enumerate(zip(totals, pushed, strict=True)):
            if total[0] > self._shared[i].gen:
                self._shared[i], self._delta[i] = _evidence(total), BandEvidence()
            elif total[0] == self._shared[i].gen:
                if sent[0] == total[0]:
                    self._delta[i].hits.minus(sent[1], sent[2])
                    self._delta[i].probes.minus(sent[3], sent[4])
                self._shared[i] = _evidence(total)
            # total gen older: this replica moved on during the sync; its next push says so.
        self._decide()


def _evidence(row: tuple[int, ...]) -> BandEvidence:
    gen, hs, hd, ps, pd = row
    return BandEvidence(gen, BandCounts(hs, hd), BandCounts(ps, pd))
