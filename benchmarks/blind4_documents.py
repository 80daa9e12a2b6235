"""Fourth blind suite, instructions over a short document (rules in `blind4_families.py`).

Multi-sentence prompts: system-prompt-like instructions, then a pasted text, or the text first
and the instructions after it. Kinds of change: the tone, the compensation offered (or refused)
and a detail of the customer's message in a support reply; the audience, the number of bullet
points, keeping or leaving out action items and the new date in the middle of meeting notes; the
field extracted from an invoice, the output format and a unit price on it; the level of an essay,
the maximum mark and what the marking weighs most; the language and shape of a plain-words
rewrite of a discharge note and the dosing frequency in its middle.
"""

from __future__ import annotations

from benchmarks.blind_pool import pooled
from benchmarks.heldout_families import Slots


def _complaint(s: Slots) -> str:
    return (
        f"My internet has dropped {s['drops']} times since {s['since']} and I work from home. "
        f"What are you going to do about it?"
    )


SUPPORT_REPLY = pooled(
    "support_reply_offer",
    (
        lambda s: (
            f"You are a support agent for Brightline Broadband. Keep the tone {s['tone']}, "
            f"{s['offer']}, and stay under 120 words.\n\nCustomer: {_complaint(s)}"
        ),
        lambda s: (
            f"Customer: {_complaint(s)}\n\nWrite the Brightline Broadband support reply. Tone: "
            f"{s['tone']}. Also, {s['offer']}. No more than 120 words."
        ),
        lambda s: (
            f"Draft a reply of at most 120 words, {s['tone']} in tone, from Brightline Broadband "
            f'support to this customer, and {s["offer"]}.\n\n"{_complaint(s)}"'
        ),
    ),
    {
        "tone": ["apologetic", "formal", "friendly"],
        "offer": [
            "offer a free technician visit",
            "offer a one-month bill credit",
            "do not offer any compensation",
        ],
        "drops": ["three", "eleven"],
        "since": ["Monday", "last week"],
    },
)


def _notes(s: Slots) -> str:
    return (
        "Product sync, 14 May. Attendees: Priya, Marco, Helen. The mobile app release moves "
        f"from 27 May to {s['new']} because the payment SDK update failed store review. "
        "Marketing will hold the launch e-mail until the new date is confirmed. Helen will ask "
        "legal about the revised privacy notice by Friday. Marco flagged that the Android crash "
        "rate is still above target."
    )


MEETING = pooled(
    "meeting_notes_summary",
    (
        lambda s: (
            f"Summarise these meeting notes for {s['audience']} in {s['n']} bullet points, and "
            f"{s['actions']}.\n\n{_notes(s)}"
        ),
        lambda s: (
            f"{_notes(s)}\n\nTurn the notes above into {s['n']} bullet points for "
            f"{s['audience']}; {s['actions']}."
        ),
        lambda s: (
            f"Audience: {s['audience']}. Format: {s['n']} bullet points. Also "
            f"{s['actions']}. The notes follow.\n\n{_notes(s)}"
        ),
    ),
    {
        "audience": ["the executive team", "the engineering team"],
        "n": ["three", "five"],
        "actions": ["end with the action items and their owners", "leave out the action items"],
        "new": ["3 June", "10 June"],
    },
)


def _invoice(s: Slots) -> str:
    price = float(s["price"])
    return (
        "INVOICE NW-20417\nNorthwind Office Supplies Ltd, VAT no. GB 284 1190 35\n"
        "Bill to: Harbour Design Studio\nInvoice date: 2 April 2024\nDue date: 2 May 2024\n"
        f"3 x ergonomic chair @ £{s['price']}\nSubtotal: £{3 * price:,.2f}\n"
        f"VAT 20%: £{0.6 * price:,.2f}\nTotal due: £{3.6 * price:,.2f}"
    )


INVOICE = pooled(
    "invoice_field_extract",
    (
        lambda s: (
            f"Extract the {s['field']} from the invoice below and return it as {s['fmt']}."
            f"\n\n{_invoice(s)}"
        ),
        lambda s: (
            f"{_invoice(s)}\n\nFrom this invoice, pull out the {s['field']}. Answer as {s['fmt']}."
        ),
        lambda s: (
            f"Return {s['fmt']} containing only the {s['field']} of this invoice:\n\n{_invoice(s)}"
        ),
    ),
    {
        "field": ["due date", "invoice date", "total due", "supplier's VAT number"],
        "fmt": ["JSON", "a single line of plain text"],
        "price": ["189.00", "219.00"],
    },
)
ESSAY = (
    "Social media has changed how teenagers make friends. Some people say it makes them "
    "lonelier, but I think it helps shy students find others who share their interests. "
    "For example my cousin met her best friend in an online art group. However it can also "
    "be used for bullying, so schools should teach students how to stay safe online."
)
ESSAY_MARK = pooled(
    "essay_marking_weight",
    (
        lambda s: (
            f"You are marking {s['level']} English essays. Give a mark out of {s['max']} and "
            f"two sentences of feedback, weighting {s['focus']} most heavily.\n\n"
            f'Essay: "{ESSAY}"'
        ),
        lambda s: (
            f'Essay: "{ESSAY}"\n\nMark this {s["level"]} essay out of {s["max"]}, with '
            f"{s['focus']} counting for the most, and add two sentences of feedback."
        ),
        lambda s: (
            f"Please grade the {s['level']} essay below. Scale: out of {s['max']}. Weight "
            f'{s["focus"]} above everything else. Feedback: two sentences.\n\n"{ESSAY}"'
        ),
    ),
    {
        "level": ["Year 9", "first-year university"],
        "max": ["10", "25"],
        "focus": ["the argument", "grammar and spelling", "the use of evidence"],
    },
)


def _discharge(s: Slots) -> str:
    return (
        "Discharge summary. Mr J. Novak, 68, admitted for 3 days with community-acquired "
        "pneumonia, treated with IV antibiotics, now stable. Continue amoxicillin 500 mg three "
        f"times a day for 5 more days. Take ramipril 5 mg {s['freq']} and stop ibuprofen. GP "
        "review of kidney function in 2 weeks. Return to A&E if breathless or feverish."
    )


DISCHARGE = pooled(
    "discharge_note_plain",
    (
        lambda s: (
            f"Rewrite this hospital discharge note in plain {s['lang']} for the patient, "
            f"{s['shape']}, keeping every medicine and dose.\n\n{_discharge(s)}"
        ),
        lambda s: (
            f"{_discharge(s)}\n\nExplain the note above in plain {s['lang']} so that Mr Novak "
            f"can follow it, {s['shape']}. Don't drop any medicine or dose."
        ),
        lambda s: (
            f"Patient-friendly version needed, in plain {s['lang']} and {s['shape']}. Every "
            f"medicine and dose must stay in. The note:\n\n{_discharge(s)}"
        ),
    ),
    {
        "lang": ["English", "Spanish", "Polish"],
        "shape": ["in under 100 words", "as a numbered list"],
        "freq": ["once a day", "twice a day"],
    },
)

FAMILIES = (SUPPORT_REPLY, MEETING, INVOICE, ESSAY_MARK, DISCHARGE)
