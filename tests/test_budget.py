"""The false-hit budget controller: Wilson bounds, threshold moves, state and sharing."""

from __future__ import annotations

import json

import pytest

from cache.budget import CLOSED, BudgetController, wilson


def test_wilson_matches_known_values() -> None:
    lo, hi = wilson(0, 100)
    assert lo == pytest.approx(0.0, abs=1e-12) and hi == pytest.approx(0.0370, abs=1e-4)
    lo, hi = wilson(5, 50)
    assert lo == pytest.approx(0.0435, abs=1e-4) and hi == pytest.approx(0.2136, abs=1e-4)
    assert wilson(0, 0) == (0.0, 1.0)


def test_serve_burn_in_starts_at_the_shipped_point_on_probation() -> None:
    ctl = BudgetController(0.01, 0.74, burn_in="serve")
    assert ctl.threshold() == 0.74
    assert 0.74 in ctl.edges and ctl.floor == 0.70
    assert ctl.allows(0.74) and not ctl.allows(0.7399)
    assert ctl.audit_rate(0.9, 0.1) == 1.0  # uncertified: every hit audited
    assert not ctl.overall().certified


def test_shadow_burn_in_opens_a_band_only_on_near_miss_evidence() -> None:
    ctl = BudgetController(0.05, 0.74, min_samples=20, burn_in="shadow")
    assert ctl.threshold() == CLOSED and not ctl.serving and not ctl.allows(0.99)
    for _ in range(200):
        ctl.record(0.95, same=True)  # a hit verdict for a closed band: an ended regime
    assert not ctl.serving
    for _ in range(80):
        ctl.record(0.95, same=True, kind="probe")
    assert ctl.allows(0.95) and not ctl.allows(0.91)  # only the band with its own evidence
    with pytest.raises(ValueError):
        BudgetController(0.05, 0.74, burn_in="yolo")


def test_measure_only_never_moves() -> None:
    ctl = BudgetController(None, 0.80)
    for _ in range(50):
        ctl.record(0.85, same=False)
    assert ctl.threshold() == 0.80
    assert ctl.overall().false_hit_rate == 1.0


def test_a_band_proven_over_budget_closes_while_the_rest_stay_on_probation() -> None:
    ctl = BudgetController(0.05, 0.74, min_samples=20)
    for _ in range(4):
        ctl.record(0.75, same=False)  # lower bound of 4/4 wrong is far above 5%
    assert ctl.threshold() == 0.78 and not ctl.allows(0.75) and ctl.allows(0.99)
    for _ in range(200):
        ctl.record(0.97, same=True)
    assert ctl.threshold() == 0.78 and ctl.allows(0.79) and not ctl.allows(0.77)
    served = {v.label: v for v in ctl.views()}
    assert served["0.96-0.98"].certified and not served["0.90-0.93"].certified
    assert ctl.audit_rate(0.97, 0.1) == 0.1 and ctl.audit_rate(0.91, 0.1) == 1.0


def test_near_miss_evidence_never_stands_for_served_hits() -> None:
    # Old logic pooled both kinds: 300 clean near misses hid 3 wrong served hits of 40.
    ctl = BudgetController(0.05, 0.74, min_samples=30)
    for _ in range(300):
        ctl.record(0.91, same=True, kind="probe")
    for i in range(40):
        ctl.record(0.91, same=i >= 3)
    assert not ctl.allows(0.91)
    # And pessimistic near misses do not close a band whose served hits are clean.
    for _ in range(20):
        ctl.record(0.95, same=False, kind="probe")
    assert ctl.allows(0.95)


def test_a_reopened_band_starts_a_new_regime() -> None:
    ctl = BudgetController(0.05, 0.74, min_samples=30)
    band = ctl.band_of(0.91)
    assert band is not None
    for _ in range(100):
        ctl.record(0.91, same=True)
    assert ctl.views()[band].certified
    for _ in range(6):
        ctl.record(0.91, same=False)  # 6 of 106: observed over 5%, closes
    assert not ctl.allows(0.91) and ctl.hits(band).n == 0
    ctl.record(0.91, same=True)  # an audit that finished after the close: dropped
    assert ctl.hits(band).n == 0
    for _ in range(100):
        ctl.record(0.91, same=True, kind="probe")
    # Reopened on probation: the 100 clean verdicts of the old regime do not certify it.
    assert ctl.allows(0.91) and not ctl.views()[band].certified
    assert ctl.audit_rate(0.91, 0.1) == 1.0


def test_an_uncertified_band_closes_when_certifying_is_futile() -> None:
    ctl = BudgetController(0.01, 0.74, min_samples=30)
    assert ctl.max_samples() == 761
    for i in range(300):
        ctl.record(0.91, same=i not in (99, 199))  # 2 wrong of 300: 0.67%, within 1%
    band = ctl.band_of(0.91)
    assert band is not None and ctl.allows(0.91) and not ctl.views()[band].certified
    ctl.record(0.91, same=False)  # 3 wrong could not certify 1% even at 761 verdicts
    assert not ctl.allows(0.91)


def test_budget_one_percent_certifies_only_with_many_clean_verdicts() -> None:
    ctl = BudgetController(0.01, 0.74, min_samples=30)
    for _ in range(100):
        ctl.record(0.9, same=True)
    assert ctl.allows(0.9) and not ctl.overall().certified  # upper bound 3.7% > 1%
    for _ in range(300):
        ctl.record(0.9, same=True)
    band = ctl.band_of(0.9)
    assert band is not None and ctl.views()[band].certified
    assert ctl.views()[band].false_hit_upper <= 0.01 and ctl.audit_rate(0.9, 0.1) == 0.1


def test_moves_below_the_start_only_with_the_bands_own_evidence() -> None:
    ctl = BudgetController(0.05, 0.74, min_samples=20)
    for _ in range(300):
        ctl.record(0.95, same=True)
    assert ctl.threshold() == 0.74  # nothing seen in 0.70-0.74: never opened on others' data
    for _ in range(72):
        ctl.record(0.72, same=True, kind="probe")
    assert ctl.threshold() == 0.74  # upper bound of 0/72 is 5.06%: not yet
    ctl.record(0.72, same=True, kind="probe")
    assert ctl.threshold() == 0.70  # the floor, never below
    assert not ctl.allows(0.69)
    ctl.record(0.60, same=False)  # below the floor: not evidence about anything served
    assert ctl.threshold() == 0.70


def test_state_roundtrip_and_mismatch_is_ignored() -> None:
    ctl = BudgetController(0.05, 0.74, min_samples=5)
    for _ in range(3):
        ctl.record(0.8, same=False)
    ctl.record(0.72, same=True, kind="probe")
    state = json.loads(json.dumps(ctl.to_state()))
    again = BudgetController(0.05, 0.74, min_samples=5)
    assert again.load_state(state)
    assert not again.allows(0.8) and not ctl.allows(0.8) and again.allows(0.9)
    assert again.rows() == ctl.rows()
    other = BudgetController(0.05, 0.80, min_samples=5)  # other edges
    assert not other.load_state(state) and other.threshold() == 0.80
    assert not again.load_state({"version": 99})
    assert not again.load_state({**state, "version": 1})  # pooled counts of the old design


def test_merge_shared_keeps_verdicts_recorded_during_a_sync() -> None:
    ctl = BudgetController(0.05, 0.74)
    ctl.record(0.9, same=True)
    pushed = ctl.take_delta()
    ctl.record(0.9, same=True)  # arrives while the sync is in flight
    totals = [(g, s + 10, d, ps, pd) for g, s, d, ps, pd in pushed]  # another replica: 10
    ctl.merge_shared(totals, pushed)
    band = ctl.band_of(0.9)
    assert band is not None
    assert ctl.hits(band).same == 12
    assert ctl.take_delta()[band] == (0, 1, 0, 0, 0)


def test_merge_shared_a_newer_regime_wins() -> None:
    ctl = BudgetController(0.05, 0.74)
    band = ctl.band_of(0.9)
    assert band is not None
    ctl.record(0.9, same=True)
    pushed = ctl.take_delta()
    totals = list(pushed)
    totals[band] = (1, 0, 0, 0, 0)  # another replica closed the band meanwhile
    ctl.merge_shared(totals, pushed)
    assert not ctl.allows(0.9) and ctl.hits(band).n == 0
    assert ctl.take_delta()[band] == (1, 0, 0, 0, 0)


def test_bad_budget_rejected() -> None:
    with pytest.raises(ValueError):
        BudgetController(0.0, 0.74)
