"""The false-hit budget spent as an account: earn on served hits, spend on probation hits."""

from __future__ import annotations

import json
import random
from types import SimpleNamespace

import pytest

from cache.budget import OPENING_HITS, BudgetController
from sidecar.audit_service import admit
from sidecar.config_sections import AuditSettings

TOP, MID, LOW = 0.99, 0.91, 0.80  # the top band (0.98-1.00) and two lower ones


def deps(ctl: BudgetController) -> SimpleNamespace:
    return SimpleNamespace(auditor=SimpleNamespace(controller=ctl))


def found(similarity: float) -> SimpleNamespace:
    return SimpleNamespace(entry=object(), similarity=similarity)


def serve(ctl: BudgetController, similarity: float, *, wrong: bool) -> bool:
    """One candidate: admitted? then served, charged and audited at once."""
    if ctl.admission(similarity) != "serve":
        return False
    ticket = ctl.charge(similarity)
    ctl.record(similarity, same=not wrong, ticket=ticket)
    return True


def test_a_fresh_account_serves_the_top_band_and_refuses_spending_elsewhere() -> None:
    # Old logic: every open band served on probation from the first request.
    ctl = BudgetController(0.01, 0.74, allowance=1.0)
    assert ctl.allows(MID) and ctl.allows(TOP)  # both bands are open ...
    assert admit(deps(ctl), found(TOP))  # type: ignore[arg-type]
    assert not admit(deps(ctl), found(MID))  # type: ignore[arg-type]
    assert ctl.admission(MID) == "unfunded"  # ... but only the top one may use the allowance
    assert ctl.admission(0.72) == "closed"  # below the shipped point: not served at all


def test_clean_hits_earn_the_exploration_of_another_band_and_a_wrong_one_spends_it() -> None:
    ctl = BudgetController(0.01, 0.74, allowance=1.0)
    served = 0
    while ctl.admission(MID) == "unfunded":
        assert serve(ctl, TOP, wrong=False)
        served += 1
    # b x (hits + opening) must cover this hit being wrong (1 - b) and keep one wrong hit of
    # the uncertified top band in reserve (1 - b): 2 x 0.99.
    assert 157 <= served <= 159  # (0.4 + 0.01 x served >= 1.98, micro-unit rounding)
    assert serve(ctl, MID, wrong=True)
    assert ctl.admission(LOW) == "unfunded"  # spent: no other band may spend now
    assert ctl.admission(TOP) == "serve"  # the top band is a payer by now
    # The start-up credit is max(allowance, opening) = 1, not their sum.
    assert ctl.ledger.balance() == pytest.approx(1.0 + 0.01 * (served + 1) - 1)


def test_credit_pays_for_discovery_not_for_a_band_that_has_been_wrong() -> None:
    # Seen on a day whose near-duplicate band was itself 1.1% wrong: after its first wrong
    # hit the old rule let it spend the allowance on a second one.
    ctl = BudgetController(0.01, 0.74, allowance=1.0)
    for _ in range(125):
        assert serve(ctl, TOP, wrong=False)
    assert serve(ctl, TOP, wrong=True)  # a payer's surprise: 1 of 126
    band = ctl.band_of(TOP)
    assert band is not None and ctl.is_open(band) and not ctl.payer(band)
    assert ctl.ledger.free() + ctl.ledger.topup() >= 0.99  # credit enough for the old rule
    assert ctl.admission(TOP) == "unfunded"  # but its surplus alone is not


def test_a_pending_verdict_holds_the_worst_case_until_it_arrives() -> None:
    # opening 2.0: one wrong hit + the top band's reserve (which the allowance sets)
    ctl = BudgetController(0.05, 0.74, allowance=1.0)
    assert ctl.admission(MID) == "serve"
    ticket = ctl.charge(MID)
    assert ticket is not None and ticket.settles and ticket.hold == 0.5  # Jeffreys, no evidence
    assert ctl.admission(LOW) == "unfunded"  # it may still be wrong: the credit is held
    ctl.release(ticket)  # no verdict will come (audit skipped): the hold stays charged
    assert ctl.ledger.spent() == pytest.approx(0.5) and ctl.ledger.exposure == 0.0
    ticket = ctl.charge(MID)
    ctl.record(MID, same=True, ticket=ticket)  # a verdict replaces the hold
    assert ctl.ledger.spent() == pytest.approx(0.5)


def test_a_payer_band_serves_on_an_empty_account_and_a_spender_does_not() -> None:
    ctl = BudgetController(0.05, 0.74, allowance=1.0, min_samples=30)
    for _ in range(40):
        ctl.record(MID, same=True)  # 0 of 40: expected error 1.2%, upper bound 8.8%
    band = ctl.band_of(MID)
    assert band is not None and ctl.payer(band) and not ctl.views()[band].certified
    ctl.ledger.charge(0.0, 10.0, settles=False, exposed=False)  # the account is spent
    assert ctl.admission(MID) == "serve" and ctl.admission(LOW) == "unfunded"


def test_probation_audits_follow_what_certification_still_needs() -> None:
    ctl = BudgetController(0.01, 0.74, allowance=1.0, min_samples=30)
    assert ctl.audit_rate(MID, 0.1) == 1.0  # a spender: every hit settles its hold
    rates = []
    for n in range(1, 400):
        ctl.record(MID, same=True)
        if n in (60, 200, 350):
            rates.append(ctl.audit_rate(MID, 0.1))
    assert 1.0 > rates[0] > rates[1] > rates[2] >= 0.1  # payer: the share still missing
    band = ctl.band_of(MID)
    assert band is not None and ctl.views()[band].certified and ctl.audit_rate(MID, 0.1) == 0.1


def test_a_certified_hit_is_charged_its_upper_bound() -> None:
    ctl = BudgetController(0.05, 0.74, allowance=1.0, min_samples=30)
    for _ in range(100):
        ctl.record(MID, same=True)
    ticket = ctl.charge(MID)
    upper = ctl.views()[ctl.band_of(MID) or 0].false_hit_upper
    assert ticket is not None and not ticket.settles and ticket.hold == pytest.approx(upper)


@pytest.mark.parametrize("budget", [0.005, 0.01, 0.05])
def test_spending_never_owes_more_than_the_allowance_and_the_opening_credit(budget: float) -> None:
    # Traffic shaped like the benchmark's: a clean top band, lower bands 2-15% wrong.
    ctl = BudgetController(budget, 0.74, allowance=1.0)
    rates = {0.99: 0.0, 0.97: 0.03, 0.91: 0.02, 0.88: 0.045, 0.84: 0.025, 0.76: 0.15}
    rng, wrong, hits = random.Random(5), 0, 0
    for _ in range(30_000):
        sim = rng.choice(list(rates))
        band = ctl.band_of(sim)
        spends = band is not None and not ctl.payer(band) and not ctl.views()[band].certified
        bad = rng.random() < rates[sim]
        if serve(ctl, sim, wrong=bad):
            hits, wrong = hits + 1, wrong + bad
            if spends:  # a spending hit is covered in the worst case
                credit = max(ctl.allowance, budget * OPENING_HITS)  # not their sum
                assert wrong <= budget * hits + credit + 1e-9
    assert hits > 0 and wrong <= budget * hits


def test_the_account_survives_a_restart_and_a_v2_state_is_adopted() -> None:
    ctl = BudgetController(0.01, 0.74, allowance=1.0)
    for _ in range(50):
        serve(ctl, TOP, wrong=False)
    state = json.loads(json.dumps(ctl.to_state()))
    assert state["version"] == 3 and state["ledger"] == list(ctl.ledger.row())
    again = BudgetController(0.01, 0.74, allowance=1.0)
    assert again.load_state(state) and again.ledger.balance() == ctl.ledger.balance()
    old = {k: v for k, v in state.items() if k != "ledger"} | {"version": 2}
    v2 = BudgetController(0.01, 0.74, allowance=1.0)
    assert v2.load_state(old)  # the bands' evidence is kept, the account starts empty
    assert v2.rows() == ctl.rows() and v2.ledger.row() == (0, 0)
    assert not v2.load_state({**state, "ledger": [1]})


def test_a_reload_changes_the_allowance_and_the_opening_credit() -> None:
    ctl = BudgetController(0.01, 0.74, allowance=1.0)
    assert ctl.admission(TOP) == "serve"
    ctl.set_budget(0.05, 1.0, allowance=0.0)
    assert ctl.ledger.allowance == 0.0 and ctl.ledger.opening == pytest.approx(2.0)
    assert ctl.admission(MID) == "serve"  # 5% x 40 hits covers one wrong hit (no reserve)
    with pytest.raises(ValueError):
        ctl.set_budget(0.05, 1.0, allowance=-1.0)


def test_the_allowance_only_tops_up_the_opening_credit() -> None:
    # The allowance exists so that the first top-band hit can be served at all (it needs a
    # whole wrong hit of cover); it is not added to the opening credit: the start-up credit is
    # max(allowance, opening), so wrong hits <= b x hits + 1 at 0.5-1% (was + 1.4 at 1%) and
    # + 2 at 5% (was + 3), where b x 40 hits alone already covers a wrong hit.
    loose = BudgetController(0.05, 0.74, allowance=1.0)
    assert loose.ledger.topup() == 0.0 and loose.ledger.balance() == pytest.approx(2.0)
    loose.ledger.charge(0.0, 1.5, settles=False, exposed=False)  # 0.5 of credit left
    assert loose.admission(TOP) == "unfunded"  # 0.5 < 0.95: the allowance adds nothing at 5%
    tight = BudgetController(0.01, 0.74, allowance=1.0)
    assert tight.ledger.topup() == pytest.approx(0.6) and tight.ledger.balance() == 1.0
    assert tight.admission(TOP) == "serve"  # 0.4 + 0.6 >= 0.99
    tight.ledger.charge(0.0, 0.02, settles=False, exposed=False)
    assert tight.admission(TOP) == "unfunded"  # 0.98: the sum (1.38) would have served it


def test_the_status_reports_the_bound_the_account_puts_on_the_rate() -> None:
    ctl = BudgetController(0.01, 0.74, allowance=1.0)
    assert ctl.ledger.rate_bound(0.01) is None  # no hit yet
    for _ in range(200):
        serve(ctl, TOP, wrong=False)
    # b + credit / hits: one wrong hit of credit over 200 hits, a one-off of the state's life
    assert ctl.ledger.rate_bound(0.01) == pytest.approx(0.01 + 1.0 / 200)


def test_the_default_is_strict_where_the_opening_credit_cannot_pay_a_wrong_hit() -> None:
    # allowance 0 (the default since 2026-11-30): below 2.5% nothing is served on trust; the
    # top band's refusals, compared for free with the misses' fresh answers, earn it its way in.
    assert AuditSettings().allowance == 0.0
    strict = BudgetController(0.01, 0.74)
    assert strict.ledger.balance() == pytest.approx(0.4)
    assert strict.admission(TOP) == "unfunded"  # 0.4 of credit cannot cover a wrong hit
    for _ in range(90):
        strict.record(TOP, same=True, kind="probe")
    assert strict.admission(TOP) == "unfunded"  # 45 weighted: expected error 1.09% > 1%
    for _ in range(10):
        strict.record(TOP, same=True, kind="probe")
    band = strict.band_of(TOP)
    assert band is not None and strict.payer(band) and strict.admission(TOP) == "serve"
    assert strict.admission(MID) == "unfunded"  # no credit for any other band either
    loose = BudgetController(0.05, 0.74)  # b x 40 = 2 wrong hits: every band may explore
    assert loose.admission(TOP) == "serve" and loose.admission(MID) == "serve"
