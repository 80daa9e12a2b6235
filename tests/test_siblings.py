"""Tests for cache/siblings.py and its use by SemanticCache: stored siblings reveal slots.

Each veto is shown with the rewordings that must still pass, and the store test shows the
carrier (the sibling holding the query's value) is judged after the veto and served.
"""

from __future__ import annotations

import numpy as np

from cache.siblings import MAX_QUERY_CHARS, sibling_veto, slot_sides
from cache.slots import words_of
from cache.store import SemanticCache
from tests.test_store import near, put, unit_vectors

STORED = "My parked car was damaged by hail last night. Will a {} policy pay for the repairs?"
COMP = STORED.format("comprehensive")
THIRD = STORED.format("liability only")
FIRE = STORED.format("collision, fire and theft")
ASK = "Hail hit my parked car yesterday evening; would my {} cover pay to fix it?"


def test_query_carrying_the_siblings_value_is_vetoed_and_names_it() -> None:
    veto = sibling_veto(ASK.format("liability only"), COMP, [FIRE, THIRD])
    assert veto is not None and veto.rule == "sibling_other"
    assert veto.carries and veto.index == 1


def test_query_with_an_unseen_value_misses_the_candidates_slot_word() -> None:
    veto = sibling_veto(ASK.format("fully comprehensive-free basic"), THIRD, [COMP])
    assert veto is not None and veto.rule in ("sibling_missing", "sibling_other")
    veto = sibling_veto(ASK.format("basic"), COMP, [THIRD])
    assert veto is not None and veto.rule == "sibling_missing" and not veto.carries


def test_rewording_with_the_candidates_value_passes() -> None:
    assert sibling_veto(ASK.format("comprehensive"), COMP, [THIRD, FIRE]) is None
    # inflection of the slot word, and a WordNet synonym of it
    shoes = "Find running shoes for a {} runner on a budget of fifty dollars."
    assert (
        sibling_veto(
            "Budget fifty dollars: which running shoes suit beginners?",
            shoes.format("beginner"),
            [shoes.format("marathon")],
        )
        is None
    )
    car = "What does it cost to insure a used {} for a new driver?"
    assert (
        sibling_veto(
            "For a new driver, what is the insurance cost of a used automobile?",
            car.format("car"),
            [car.format("motorcycle")],
        )
        is None
    )


def test_rewording_siblings_and_other_frames_reveal_no_slot() -> None:
    gift = "Suggest a {} for my dad who loves fishing."
    # "gift" / "present" are WordNet synonyms: a reworded sibling, not a slot
    assert slot_sides(words_of(gift.format("gift")), words_of(gift.format("present"))) is None
    assert (
        sibling_veto(
            "Any idea what to get my fishing-mad father?",
            gift.format("gift"),
            [gift.format("present")],
        )
        is None
    )
    # function words only ("How do I" / "How can I")
    assert (
        slot_sides(words_of("How do I reset my router?"), words_of("How can I reset my router?"))
        is None
    )
    # not one frame: too little shared
    assert (
        slot_sides(
            words_of("Write a poem about the sea."),
            words_of("Explain how tides work in the open sea."),
        )
        is None
    )


def test_sides_are_content_words_missing_from_the_other_text() -> None:
    sides = slot_sides(words_of(THIRD), words_of(FIRE))
    assert sides == [({"liability": 0, "only": 0}, {"collision": 0, "fire": 0, "theft": 0})]
    sides = slot_sides(
        words_of("List 5 interview questions for nurses."),
        words_of("List 8 interview questions for nurses."),
    )
    assert sides == [({"5": 0}, {"8": 0})]


def test_number_words_and_digits_are_one_value() -> None:
    stored = "List {} interview questions for a nurse."
    assert (
        sibling_veto(
            "Give me five nurse interview questions.", stored.format("5"), [stored.format("8")]
        )
        is None
    )
    veto = sibling_veto(
        "Give me eight nurse interview questions.", stored.format("5"), [stored.format("8")]
    )
    assert veto is not None and veto.carries


def test_long_texts_are_read_at_their_edges() -> None:
    doc = " ".join(f"Line {i} of the minutes says nothing new." for i in range(30))
    ask = "Summarize these notes for the {} team in five bullet points.\n\n" + doc
    stored = ask.format("engineering")
    veto = sibling_veto(
        "For the executive team: five bullet points summarizing the notes below.\n\n" + doc,
        stored,
        [ask.format("executive")],
    )
    assert veto is not None and veto.carries
    assert (
        sibling_veto(
            "For the engineering team: five bullet points summarizing the notes below.\n\n" + doc,
            stored,
            [ask.format("executive")],
        )
        is None
    )
    assert sibling_veto("anything", COMP, []) is None
    assert sibling_veto("x" * (MAX_QUERY_CHARS + 1), COMP, [THIRD]) is None


def test_one_slot_of_a_sibling_differing_in_two() -> None:
    bag = "What is the checked baggage allowance for a child travelling in {} from {} to Toronto?"
    veto = sibling_veto(
        "Child flying premium economy from Dublin to Toronto: how much checked baggage?",
        bag.format("economy", "Dublin"),
        [bag.format("premium economy", "London")],
    )
    assert veto is not None and veto.rule == "sibling_other" and not veto.carries
    assert (
        sibling_veto(
            "Child flying economy from Dublin to Toronto: how much checked baggage?",
            bag.format("economy", "Dublin"),
            [bag.format("premium economy", "London")],
        )
        is None
    )


def test_store_judges_the_carrier_after_a_sibling_veto() -> None:
    cache = SemanticCache(hnsw_min_size=10**6)
    base = unit_vectors(1, 3)[0]
    comp_vec, third_vec = near(base, 0.99, 4), near(base, 0.97, 5)
    put(cache, "s", COMP, comp_vec, body=b"comprehensive answer")
    put(cache, "s", THIRD, third_vec, body=b"liability answer")
    query = ASK.format("liability only")
    # the query embeds closest to the comprehensive entry, as a reworded request can
    hit = cache.lookup("s", query, base, 0.5)
    assert hit.entry is not None and hit.entry.body == b"liability answer"
    miss = cache.lookup("s", ASK.format("basic"), base, 0.5)
    assert miss.entry is None and miss.result.value == "guard_slot"
    assert miss.rule == "sibling_missing"
    same = cache.lookup("s", ASK.format("comprehensive"), base, 0.5)
    assert same.entry is not None and same.entry.body == b"comprehensive answer"
    # without siblings (sibling_k=1, top_k=1) the rewording with another value is served
    lone = SemanticCache(hnsw_min_size=10**6, top_k=1, sibling_k=1)
    put(lone, "s", COMP, comp_vec, body=b"comprehensive answer")
    put(lone, "s", THIRD, third_vec, body=b"liability answer")
    assert lone.lookup("s", ASK.format("basic"), base, 0.5).entry is not None
    assert np.isfinite(hit.similarity or 0.0)


def test_function_word_values_and_inflected_spans() -> None:
    meals = "My pharmacist said to take omeprazole {} meals. Why does the timing matter?"
    # "with" / "before" are the slot when a span has no content word
    veto = sibling_veto(
        "Why should omeprazole be taken after meals, as my pharmacist said?",
        meals.format("with"),
        [meals.format("before")],
    )
    assert veto is not None and veto.rule == "sibling_missing"
    assert (
        sibling_veto(
            "Why should omeprazole be taken with meals, as my pharmacist said?",
            meals.format("with"),
            [meals.format("before")],
        )
        is None
    )
    # "every two weeks" / "a week": "weeks" pairs with "week", the "two" is the value
    pay = "My net salary is 3,500 euros {}. How much can I spend on rent?"
    assert slot_sides(words_of(pay.format("every two weeks")), words_of(pay.format("a week"))) == [
        ({"every": 0, "2": 0}, {})
    ]
    # negations are the polarity rule's: "do not include" / "leave out" is no slot
    causes = "List the main causes of inflation and {} statistics."
    assert (
        sibling_veto(
            "What are the main causes of inflation? Please leave out statistics.",
            causes.format("do not include"),
            [causes.format("include")],
        )
        is None
    )


def test_cache_siblings_setting_reaches_the_cache_and_zero_turns_it_off() -> None:
    from sidecar.cache_factory import build_cache
    from sidecar.config_sections import CacheSettings

    assert build_cache(CacheSettings(), verifier=None).sibling_k == 16
    off = build_cache(CacheSettings(siblings=0), verifier=None)
    assert off.sibling_k == 0
    base = unit_vectors(1, 3)[0]
    put(off, "s", COMP, near(base, 0.99, 4), body=b"comprehensive answer")
    put(off, "s", THIRD, near(base, 0.97, 5), body=b"liability answer")
    served = off.lookup("s", ASK.format("basic"), base, 0.5)
    assert served.entry is not None and served.entry.body == b"comprehensive answer"


class DoubtfulVerifier:
    """Scores every pair 0.75: below the 0.80 bar, above the confirmed bar (0.70)."""

    threshold = 0.80

    def score(self, *args: object) -> float:
        return 0.75


def test_siblings_confirm_a_pair_the_verifier_doubts() -> None:
    from cache.decision import CONFIRMED_BAR, decide
    from cache.siblings import sibling_confirms

    assert CONFIRMED_BAR < 0.75 < DoubtfulVerifier.threshold
    vec = unit_vectors(1, 3)[0]
    ask = ASK.format("comprehensive")
    two = [THIRD, FIRE]
    assert sibling_confirms(ask, COMP, two)
    assert not sibling_confirms(ask, COMP, [THIRD])  # one sibling is not enough
    # the query carries another value, or lacks the candidate's: never confirmed
    assert not sibling_confirms(ASK.format("liability only"), COMP, two)
    assert not sibling_confirms(ASK.format("basic"), COMP, two)
    found = decide(ask, vec, COMP, vec, 0.9, DoubtfulVerifier(), siblings=two)
    assert found.accepted and found.rule == "sibling_confirmed" and found.score == 0.75
    assert not decide(ask, vec, COMP, vec, 0.9, DoubtfulVerifier(), siblings=[THIRD]).accepted
    # a lower tier's stricter bar is never lowered
    strict = decide(ask, vec, COMP, vec, 0.9, DoubtfulVerifier(), min_score=0.85, siblings=two)
    assert not strict.accepted


INVOICE = (
    "INVOICE NW-7731\nAcme Paper Ltd, VAT no. GB 118 2203 90\nBill to: Blue Fern Cafe\n"
    "Invoice date: 4 March 2024\nDue date: 3 April 2024\n12 x receipt rolls @ 3.10\n"
    "Subtotal: 37.20\nVAT 20%: 7.44\nTotal due: 44.64"
)
EXTRACT = "Extract the {} from the invoice below and return it as JSON.\n\n" + INVOICE


def test_slot_words_the_pasted_document_also_has_are_read_by_count() -> None:
    # Every invoice says "Invoice date:" and "Due date:", so "due" and "invoice" are in every
    # stored prompt; the instruction has one more of its own field's word.
    cand, sib = EXTRACT.format("invoice date"), EXTRACT.format("supplier's VAT number")
    asked_due = f"Return JSON containing only the due date of this invoice:\n\n{INVOICE}"
    veto = sibling_veto(asked_due, cand, [sib])
    assert veto is not None and veto.rule == "sibling_missing"
    asked_same = f"Return JSON containing only the invoice date of this invoice:\n\n{INVOICE}"
    assert sibling_veto(asked_same, cand, [sib]) is None
    # the query carrying the sibling's field is sent to it
    asked_vat = f"{INVOICE}\n\nFrom this invoice, pull out the supplier's VAT number as JSON."
    veto = sibling_veto(asked_vat, cand, [sib])
    assert veto is not None and veto.carries


def test_a_document_frame_reveals_longer_spans() -> None:
    # "JSON" / "a single line of plain text" is a 6-word span: a slot next to a pasted
    # document, where a short frame would only allow 4 words
    fmt = "Extract the due date from the invoice below and return it as {}.\n\n" + INVOICE
    cand, sib = fmt.format("JSON"), fmt.format("a single line of plain text")
    asked = f"{INVOICE}\n\nFrom this invoice, pull out the due date. Answer as plain text."
    veto = sibling_veto(asked, cand, [sib])
    assert veto is not None and veto.rule == "sibling_missing"
    assert sibling_veto(asked.replace("plain text", "JSON"), cand, [sib]) is None


def test_a_repeated_word_of_a_short_frame_is_not_read_by_count() -> None:
    # "schema" is in both stored texts; the rewording says it once, like the sibling
    cand = "The `schema` method returns the schema of the table and its columns."
    sib = "It returns the schema of the table and its columns."
    assert slot_sides(words_of(cand), words_of(sib)) == [({"method": 0}, {})]
    query = "The `schema` method gives out the structure of the table and the columns it contains."
    assert sibling_veto(query, cand, [sib]) is None


def test_after_a_guard_veto_the_runner_up_with_the_querys_words_is_judged() -> None:
    """A rewording embeds nearest a stored prompt of its template with another value; the guard
    vetoes that one, and the runner-up carrying the query's values is judged and served."""
    template = "Convert {} kilometres to miles and round to one decimal."
    cache = SemanticCache(hnsw_min_size=10**6)
    base = unit_vectors(1, 7)[0]
    put(cache, "s", template.format("42"), near(base, 0.99, 4), body=b"forty-two")
    put(cache, "s", template.format("17"), near(base, 0.97, 5), body=b"seventeen")
    put(cache, "s", "Convert 17 miles to kilometres.", near(base, 0.96, 6), body=b"other")
    hit = cache.lookup("s", "How many miles is 17 kilometres, to one decimal?", base, 0.5)
    assert hit.entry is not None and hit.entry.body == b"seventeen"
    # a value no stored prompt has: every candidate is vetoed, and the first veto is reported
    miss = cache.lookup("s", "How many miles is 23 kilometres, to one decimal?", base, 0.5)
    assert miss.entry is None and miss.result.value == "guard_slot" and miss.rule == "number"
    # a runner-up sharing no more of the query's words than the vetoed entry is not judged
    lone = SemanticCache(hnsw_min_size=10**6, sibling_k=0)
    put(lone, "s", "Is 42 a prime number?", near(base, 0.99, 4), body=b"42")
    put(lone, "s", "Tell me whether 17 is prime.", near(base, 0.97, 5), body=b"17")
    veto = lone.lookup("s", "Is 17 a prime number?", base, 0.5)
    assert veto.entry is None and veto.result.value == "guard_slot"


def test_a_version_written_v1_2_3_is_its_number() -> None:
    """A version written "v1.2.3" or "version 1.2.3" is one value: "v1" is read as "1"."""
    asked = "What are the changes in pandas version 1.2.4 versus the release before it?"
    stored = "What changed in pandas {} compared to the previous release?"
    others = [stored.format(v) for v in ("v2.0.1", "v0.9.3", "v1.5.0")]
    assert sibling_veto(asked, stored.format("v1.2.4"), others) is None
    veto = sibling_veto(asked.replace("1.2.4", "3.1.0"), stored.format("v1.2.4"), others)
    assert veto is not None
