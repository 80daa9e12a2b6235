"""Second blind suite, text-carrying families: a pasted policy (600+ characters) with one changed
fact in its middle sentence or a different question about it, and a message quoting a previous
answer (one changed detail in the quote, or a different follow-up request). Written under the
blindness rules in `blind2_families.py`.
"""

from __future__ import annotations

from benchmarks.blind_pool import pooled

_WARRANTY = (
    "Acme Outdoor Gear - warranty and returns policy (revised in January). This policy applies "
    "to all tents, sleeping bags, backpacks and camping stoves bought directly from our online "
    "store or from one of our twelve flagship shops. Items bought from third-party resellers "
    "are covered by the reseller's own policy, and we cannot process claims for them. To start "
    "a claim, contact customer care with your order number and a photo of the defect; we reply "
    "to most claims within two business days. {} Repairs are carried out at our workshop in "
    "Leeds, and we pay the return shipping on approved claims. Normal wear and tear, damage "
    "from misuse, and items modified by the customer are not covered. If an item cannot be "
    "repaired, we offer a replacement of the same model or, if it has been discontinued, store "
    "credit for the price that was paid."
)
_GYM = (
    "FitLoop membership terms, cancellations. Members can cancel online, in the app, or at the "
    "front desk of any FitLoop club; cancellations by e-mail are not accepted because we must "
    "verify the member's identity. Before cancelling, members should make sure that any "
    "personal training sessions they have booked are either used or transferred to another "
    "member. {} Members on a student or corporate rate keep that rate until the end of their "
    "notice period, and annual members who paid up front receive a pro-rata refund of the "
    "unused months. Suspended memberships cannot be cancelled until the suspension ends. Guests "
    "and day-pass holders are not members and are not covered by these terms."
)
_LIBRARY = (
    "Riverside Public Library - lending rules for adult card holders. Books, audiobooks and "
    "board games can be borrowed at any branch and returned at any branch or through the "
    "outdoor return boxes, which are emptied every morning. Children's cards follow separate "
    "rules that are posted in the children's section. {} Items can be renewed online up to "
    "three times unless another reader has reserved them. Late fees are not charged on "
    "children's items, but adult items that are more than thirty days late are treated as lost "
    "and the card is blocked until they are returned or paid for. Reference books, newspapers "
    "and the local history collection may only be used inside the library."
)
_FACTS = {
    _WARRANTY: [
        "Products are covered against manufacturing defects for two years from the date of "
        "delivery.",
        "Products are covered against manufacturing defects for five years from the date of "
        "delivery.",
        "Products are covered against manufacturing defects for two years from the date of "
        "purchase.",
    ],
    _GYM: [
        "A notice period of one month applies, counted from the first day of the next calendar "
        "month.",
        "A notice period of three months applies, counted from the first day of the next "
        "calendar month.",
        "A notice period of one month applies, counted from the day the request is received.",
    ],
    _LIBRARY: [
        "The standard loan period is three weeks for books and one week for board games.",
        "The standard loan period is two weeks for books and one week for board games.",
        "The standard loan period is three weeks for books and three weeks for board games.",
    ],
}
PASSAGES = [[doc.format(fact) for fact in facts] for doc, facts in _FACTS.items()]

RAG_FACT = pooled(
    "rag_policy_fact",
    (
        lambda s: f"Answer using only the text below.\n\n{s['passage']}\n\nQuestion: {s['q']}",
        lambda s: f"{s['passage']}\n\nBased only on the text above: {s['q']}",
        lambda s: f"Question: {s['q']}\nUse nothing but this text to answer:\n\n{s['passage']}",
    ),
    {
        "passage": PASSAGES,
        "q": [
            "How long is the period the policy describes, and from when is it counted?",
            "Which people or items does the policy exclude?",
            "What exactly does a customer have to do, step by step, under this policy?",
        ],
    },
)
QUOTED = pooled(
    "quoted_previous_answer",
    (
        lambda s: f'Earlier you told me: "{s["prev"]}"\n\n{s["follow"]}',
        lambda s: f'{s["follow"]}\n\n(This is about your previous answer: "{s["prev"]}")',
        lambda s: f'About what you said before, "{s["prev"]}" - {s["follow"]}',
    ),
    {
        "prev": [
            [
                "Your flight to Madrid leaves on Tuesday at 7:40 pm from Terminal 2.",
                "Your flight to Madrid leaves on Thursday at 7:40 pm from Terminal 2.",
                "Your flight to Madrid leaves on Tuesday at 7:40 am from Terminal 2.",
            ],
            [
                "The invoice total is 1,240 euros including VAT, due on the 15th.",
                "The invoice total is 1,240 euros excluding VAT, due on the 15th.",
            ],
            [
                "To reset the router, hold the WPS button for 10 seconds.",
                "To reset the router, hold the reset button for 10 seconds.",
                "To reset the router, hold the WPS button for 30 seconds.",
            ],
        ],
        "follow": [
            "Write that as a short text message I can forward to my partner.",
            "Turn that into a one-line reminder for my to-do list.",
            "Translate that into Portuguese.",
        ],
    },
)

FAMILIES = (RAG_FACT, QUOTED)
