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


def test_serve_burn_in_starts_at_the_shipped_point_and_changes_nothing() -> None:
    ctl = BudgetController(0.01, 0.74, burn_in="serve")
    assert ctl.threshold() == 0.74
    assert 0.74 in ctl.edges and ctl.floor == 0.70
    assert ctl.allows(0.74) and not ctl.allows(0.7399)


def test_shadow_burn_in_serves_nothing_until_a_set_is_proven() -> None:
    ctl = BudgetController(0.05, 0.74, min_samples=20)
    assert ctl.threshold() == CLOSED and not ctl.serving and not ctl.allows(0.99)
    for _ in range(80):
        ctl.record(0.95, same=True)  # shadow comparisons (near misses) are the evidence
    assert ctl.serving and ctl.threshold() == 0.74  # the shipped bands ride on it
    with pytest.raises(ValueError):
        BudgetController(0.05, 0.74, burn_in="yolo")


def test_measure_only_never_moves() -> None:
    ctl = BudgetController(None, 0.80)
    for _ in range(50):
        ctl.record(0.85, same=False)
    assert ctl.threshold() == 0.80
    assert ctl.overall().false_hit_rate == 1.0


def test_a_band_proven_over_budget_stops_while_the_rest_burn_in() -> None:
    ctl = BudgetController(0.05, 0.74, min_samples=20, burn_in="serve")
    for _ in range(4):
        ctl.record(0.75, same=False)  # lower bound of 4/4 wrong is far above 5%
    assert ctl.threshold() == 0.78 and not ctl.allows(0.75) and ctl.allows(0.99)
    for _ in range(200):
        ctl.record(0.97, same=True)
    # Evidence now: the served set (all shipped bands but the bad one) is within budget.
    assert ctl.threshold() == 0.78
    assert ctl.allows(0.79) and not ctl.allows(0.77)
    assert ctl.overall().false_hit_upper <= 0.05


def test_bad_top_bands_close_while_lower_bands_keep_serving() -> None:
    # Templated prompts differing in one slot embed at 0.97+: the top band is the wrong one.
    ctl = BudgetController(0.05, 0.74, min_samples=20)
    for _ in range(150):
        ctl.record(0.85, same=True)
    for _ in range(10):
        ctl.record(0.99, same=False)
        ctl.record(0.99, same=True)
    assert ctl.threshold() == 0.74
    assert ctl.allows(0.85) and not ctl.allows(0.99)
    served = {v.label: v.open for v in ctl.views()}
    assert served["0.98-1.00"] is False and served["0.82-0.86"] is True


def test_no_set_with_enough_evidence_means_no_semantic_hits() -> None:
    ctl = BudgetController(0.01, 0.74, min_samples=30)
    for _ in range(40):
        ctl.record(0.9, same=True)
    assert ctl.threshold() == CLOSED and not ctl.allows(0.999)


def test_moves_below_the_start_only_with_the_bands_own_evidence() -> None:
    ctl = BudgetController(0.05, 0.74, min_samples=20)
    for _ in range(300):
        ctl.record(0.95, same=True)
    assert ctl.threshold() == 0.74  # nothing seen in 0.70-0.74: never opened on others' data
    for _ in range(19):
        ctl.record(0.72, same=True)
    assert ctl.threshold() == 0.74
    ctl.record(0.72, same=True)
    assert ctl.threshold() == 0.70  # the floor, never below
    assert not ctl.allows(0.69)
    ctl.record(0.60, same=False)  # below the floor: not evidence about anything served
    assert ctl.threshold() == 0.70


def test_budget_one_percent_needs_many_clean_verdicts() -> None:
    ctl = BudgetController(0.01, 0.74, min_samples=30)
    for _ in range(100):
        ctl.record(0.9, same=True)
    assert ctl.threshold() == CLOSED  # burn-in over, upper bound 3.7% > 1%: stop serving
    for _ in range(300):
        ctl.record(0.9, same=True)
    assert ctl.threshold() == 0.74 and ctl.overall().false_hit_upper <= 0.01


def test_state_roundtrip_and_mismatch_is_ignored() -> None:
    ctl = BudgetController(0.05, 0.74, min_samples=5, burn_in="serve")
    for _ in range(3):
        ctl.record(0.8, same=False)
    state = json.loads(json.dumps(ctl.to_state()))
    again = BudgetController(0.05, 0.74, min_samples=5, burn_in="serve")
    assert again.load_state(state)
    assert not again.allows(0.8) and not ctl.allows(0.8) and again.allows(0.9)
    assert [v.different for v in again.views()] == [v.different for v in ctl.views()]
    other = BudgetController(0.05, 0.80, min_samples=5, burn_in="serve")  # other edges
    assert not other.load_state(state) and other.threshold() == 0.80
    assert not again.load_state({"version": 99})


def test_merge_shared_keeps_verdicts_recorded_during_a_sync() -> None:
    ctl = BudgetController(0.05, 0.74)
    ctl.record(0.9, same=True)
    pushed = ctl.take_delta()
    ctl.record(0.9, same=False)  # arrives while the sync is in flight
    totals = [(s + 10, d) for s, d in pushed]  # another replica contributed 10
    ctl.merge_shared(totals, pushed)
    band = ctl.band_of(0.9)
    assert band is not None
    assert ctl.counts()[band].same == 11 and ctl.counts()[band].different == 1
    assert ctl.take_delta()[band] == (0, 1)


def test_bad_budget_rejected() -> None:
    with pytest.raises(ValueError):
        BudgetController(0.0, 0.74)
