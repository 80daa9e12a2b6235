"""Refusals as evidence: an open band's unfunded candidates, compared for free, count toward
its expected error (a wrong one whole, a clean one at ``REFUSAL_WEIGHT``)."""

from __future__ import annotations

import json

import pytest

from cache.audit_share import SharedBudget
from cache.budget import BudgetController
from cache.spending import REFUSAL_WEIGHT
from tests.test_shared_redis import RedisServer, redis_server  # noqa: F401  (fixture)

TOP, MID, LOW = 0.99, 0.91, 0.80


def serve(ctl: BudgetController, similarity: float, *, wrong: bool) -> None:
    assert ctl.admission(similarity) == "serve"
    ticket = ctl.charge(similarity)
    ctl.record(similarity, same=not wrong, ticket=ticket)


def stuck_top_band() -> BudgetController:
    """1%: a payer top band whose first wrong hit (1 of 121: within 1%, so it stays open)
    leaves it spending (expected error 1.5 / 122) on a surplus that cannot cover a wrong hit."""
    ctl = BudgetController(0.01, 0.74, allowance=1.0, min_samples=30)
    for _ in range(120):
        serve(ctl, TOP, wrong=False)
    serve(ctl, TOP, wrong=True)
    assert ctl.admission(TOP) == "unfunded"  # surplus < 0.99, no credit after a wrong hit
    return ctl


def test_clean_refusals_make_a_stuck_band_a_payer_again() -> None:
    # Old logic: an open band's refusals were recorded and ignored, so a band that was wrong
    # once with too little surplus stayed refused for the rest of the day (no hit, no earning).
    ctl = stuck_top_band()
    band = ctl.band_of(TOP)
    assert band is not None
    refusals = 0
    while ctl.admission(TOP) == "unfunded":
        ctl.record(TOP, same=True, kind="probe")
        refusals += 1
        assert refusals < 1000
    # Payer once (1 + 1/2) / (121 + w x refusals + 1) <= 1%: 56 clean refusals at w = 1/2.
    assert REFUSAL_WEIGHT == 0.5 and refusals == 56
    assert ctl.payer(band) and ctl.evidence(band) == (1.0, 121 + 56 * REFUSAL_WEIGHT)
    assert not ctl.views()[band].certified  # certification counts served hits only
    assert ctl.views()[band].probe_same == 56


def test_a_wrong_refusal_counts_whole_and_withdraws_the_credit() -> None:
    ctl = BudgetController(0.05, 0.74, allowance=1.0, min_samples=30)  # opening credit 2.0
    assert ctl.admission(MID) == "serve" and ctl.admission(LOW) == "serve"
    ctl.record(MID, same=False, kind="probe")  # the candidate it would have served was wrong
    band = ctl.band_of(MID)
    assert band is not None and ctl.evidence(band) == (1.0, 1.0)
    assert ctl.risk(band) == pytest.approx(1.5 / 2)  # the hold a hit of it would be charged
    assert ctl.admission(MID) == "unfunded"  # it has shown it can be wrong: surplus only
    assert ctl.admission(LOW) == "serve"  # per band: the other band's credit is untouched


def test_a_closed_bands_near_misses_only_decide_whether_it_opens() -> None:
    ctl = BudgetController(0.05, 0.74, allowance=1.0, min_samples=30, burn_in="shadow")
    band = ctl.band_of(MID)
    assert band is not None
    for _ in range(29):
        ctl.record(MID, same=True, kind="probe")
    assert not ctl.is_open(band) and ctl.evidence(band) == (0.0, 0.0)
    assert not ctl.payer(band) and ctl.admission(MID) == "closed"


def test_refusal_evidence_survives_a_restart() -> None:
    ctl = stuck_top_band()
    for _ in range(56):
        ctl.record(TOP, same=True, kind="probe")
    again = BudgetController(0.01, 0.74, allowance=1.0, min_samples=30)
    assert again.load_state(json.loads(json.dumps(ctl.to_state())))
    assert again.admission(TOP) == "serve" and again.rows() == ctl.rows()


@pytest.mark.redis
async def test_refusals_seen_by_one_replica_fund_the_other(
    redis_server: RedisServer,  # noqa: F811
) -> None:
    a, b = stuck_top_band(), BudgetController(0.01, 0.74, allowance=1.0, min_samples=30)
    share_a, share_b = SharedBudget(a, redis_server.url), SharedBudget(b, redis_server.url)
    assert await share_a.sync() and await share_b.sync()
    assert b.admission(TOP) == "unfunded"
    for _ in range(56):
        b.record(TOP, same=True, kind="probe")  # b refuses the band's candidates and learns
    assert a.admission(TOP) == "unfunded"
    assert await share_b.sync() and await share_a.sync()
    assert a.admission(TOP) == "serve" and a.rows() == b.rows()
    for closing in (share_a, share_b):
        await closing.close()
