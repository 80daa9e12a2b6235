"""Sixth blind suite, health, education, HR and legal prompts (rules in `blind6_families.py`).

Kinds of change: fasting/after-meal, the reading and pregnancy for a glucose value; the joint,
the time since injury and the swelling for ice or heat; which side of a flashcard holds the
term, the subject and the count; a hint without the answer or the full solution, and the
equation; the contract type, the role, the salary and the probation of an offer letter; mutual/
one-way, the other party and the term of an NDA; the data right, the requester and the identity
proof of a GDPR request; the amount, the state and who sues in small claims.
"""

from __future__ import annotations

from benchmarks.blind_pool import cap, pooled

GLUCOSE = pooled(
    "glucose_reading_context",
    (
        lambda s: (
            f"My {s['when']} blood glucose came back at {s['val']} mmol/L and I'm "
            f"{s['preg']}. Is that in the normal range?"
        ),
        lambda s: (
            f"Is a {s['when']} blood glucose of {s['val']} mmol/L normal? For context, I'm "
            f"{s['preg']}."
        ),
        lambda s: (
            f"Lab result: blood glucose {s['val']} mmol/L ({s['when']}). Patient is "
            f"{s['preg']}. Within the normal range or not?"
        ),
    ),
    {
        "when": ["fasting", "two-hour after-meal"],
        "val": ["5.4", "6.4", "7.9", "11.3"],
        "preg": ["pregnant", "not pregnant"],
    },
)

SPRAIN = pooled(
    "sprain_ice_or_heat",
    (
        lambda s: (
            f"I sprained my {s['part']} {s['ago']} ago and it's {s['swell']}. Should I put ice "
            "or heat on it now?"
        ),
        lambda s: (
            f"Ice or heat for my {s['part']} sprain from {s['ago']} ago that is {s['swell']}?"
        ),
        lambda s: (
            f"{s['ago'].capitalize()} ago I sprained my {s['part']}; it is {s['swell']}. "
            "Which is better at this point, ice or heat?"
        ),
    ),
    {
        "part": ["ankle", "wrist", "knee"],
        "ago": ["six hours", "two days", "three weeks"],
        "swell": ["still swollen", "no longer swollen"],
    },
)

FLASHCARDS = pooled(
    "flashcard_sides",
    (
        lambda s: (
            f"Make {s['n']} Anki flashcards from my {s['subject']} notes with the {s['side']}."
        ),
        lambda s: f"From my {s['subject']} notes, create {s['n']} Anki cards; put the {s['side']}.",
        lambda s: (
            f"Anki deck request: {s['n']} cards, source = my {s['subject']} notes, layout = "
            f"the {s['side']}."
        ),
    ),
    {
        "n": [15, 40],
        "subject": ["organic chemistry", "contract law", "cell biology", "macroeconomics"],
        "side": [
            "term on the front and the definition on the back",
            "definition on the front and the term on the back",
        ],
    },
)

TUTOR = pooled(
    "tutor_hint_or_solution",
    (
        lambda s: f"A {s['year']} student is stuck on: solve {s['eq']}. {cap(s['level'])}.",
        lambda s: (
            f"{cap(s['level'])} for this problem a {s['year']} student can't do: solve {s['eq']}."
        ),
        lambda s: (
            f"Tutoring mode. Problem: solve {s['eq']}. Learner: {s['year']} student, stuck. "
            f"Your job: {s['level']}."
        ),
    ),
    {
        "year": ["year 7", "year 10"],
        "eq": ["3x + 7 = 25", "3x - 7 = 25", "7x + 3 = 25", "3x + 7 = 52"],
        "level": ["give one hint without revealing the answer", "show the full worked solution"],
    },
)

OFFER = pooled(
    "offer_letter_terms",
    (
        lambda s: (
            f"Draft an offer letter for a {s['type']} {s['role']} at {s['pay']} a year with a "
            f"{s['prob']}-month probation period."
        ),
        lambda s: (
            f"Offer letter, please: role {s['role']}, {s['type']}, salary {s['pay']} a year, "
            f"{s['prob']}-month probation."
        ),
        lambda s: (
            f"We're hiring a {s['role']} ({s['type']}) on {s['pay']} a year, "
            f"{s['prob']}-month probation. Write the offer letter."
        ),
    ),
    {
        "type": ["full-time", "part-time"],
        "role": ["data analyst", "warehouse supervisor"],
        "pay": ["€54,000", "€61,000"],
        "prob": [3, 6],
    },
)

NDA = pooled(
    "nda_term_mutuality",
    (
        lambda s: (
            f"Draft a {s['kind']} NDA between our startup and {s['party']}, with "
            f"confidentiality lasting {s['yrs']} years after termination."
        ),
        lambda s: (
            f"I need a {s['kind']} non-disclosure agreement (NDA) with {s['party']}; "
            f"confidentiality should survive {s['yrs']} years after termination. Draft it for "
            "our startup."
        ),
        lambda s: (
            f"NDA drafting: {s['kind']}, parties are our startup and {s['party']}, "
            f"confidentiality runs {s['yrs']} years after termination."
        ),
    ),
    {
        "kind": ["mutual", "one-way"],
        "party": ["a contract manufacturer", "a potential investor", "a freelance designer"],
        "yrs": [2, 3, 5],
    },
)

DSAR = pooled(
    "dsar_request_right",
    (
        lambda s: (
            f"{cap(s['who'])} emailed asking us to {s['right']} their personal data and "
            f"{s['proof']}. Under GDPR, what must we do and by when?"
        ),
        lambda s: (
            f"Under GDPR, what are our obligations and deadline? {cap(s['who'])} asked by email "
            f"that we {s['right']} their personal data, and {s['proof']}."
        ),
        lambda s: (
            f"GDPR request received by email from {s['who']}: {s['right']} their personal "
            f"data. {cap(s['proof'])}. What do we owe them, and when?"
        ),
    ),
    {
        "who": ["a current customer", "a former employee", "a job applicant"],
        "right": ["delete", "send them a copy of", "correct"],
        "proof": ["they attached a passport scan", "they gave no proof of identity"],
    },
)

CLAIMS = pooled(
    "small_claims_amount",
    (
        lambda s: (
            f"Can I take a {s['amt']} dispute with my contractor to small claims court in "
            f"{s['state']} {s['as']}?"
        ),
        lambda s: (
            f"Is small claims court in {s['state']} an option {s['as']} for a {s['amt']} "
            "dispute with my contractor?"
        ),
        lambda s: (
            f"Dispute with my contractor over {s['amt']}; I'm in {s['state']}, suing "
            f"{s['as']}. Does small claims court take it?"
        ),
    ),
    {
        "amt": ["$4,000", "$9,500", "$15,000"],
        "state": ["Texas", "California", "New York"],
        "as": ["as an individual", "as a business"],
    },
)

FAMILIES = (GLUCOSE, SPRAIN, FLASHCARDS, TUTOR, OFFER, NDA, DSAR, CLAIMS)
