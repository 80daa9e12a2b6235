"""Second blind suite, everyday-app families: audience and grade level, tone, whose account,
first/third person, calendar and fiscal time references, only/except/including, and a
conditional against its converse (written under the blindness rules in `blind2_families.py`).
"""

from __future__ import annotations

from benchmarks.blind_pool import cap, pooled

AUDIENCE = pooled(
    "audience_level",
    (
        lambda s: f"Explain {s['topic']} to {s['aud']}.",
        lambda s: f"How would you explain {s['topic']} to {s['aud']}?",
        lambda s: f"Can you explain {s['topic']} in a way that suits {s['aud']}?",
    ),
    {
        "aud": [
            "a five-year-old",
            "a high-school student",
            "a first-year medical student",
            "a specialist in the field",
        ],
        "topic": [
            "how the immune system fights a cold",
            "what inflation is",
            "how a blockchain records transactions",
            "how GPS finds your position",
        ],
    },
    vary_keys=("aud",),
)
WORKSHEET = pooled(
    "worksheet_grade",
    (
        lambda s: f"Create a worksheet of 10 {s['subject']} exercises for {s['grade']} students.",
        lambda s: f"Make 10 {s['subject']} exercises, as a worksheet, for {s['grade']} students.",
        lambda s: (
            f"I teach {s['grade']}. Put together a worksheet with 10 {s['subject']} exercises "
            f"for my students."
        ),
    ),
    {
        "grade": ["2nd grade", "5th grade", "8th grade", "11th grade"],
        "subject": ["fraction", "reading comprehension", "map-reading", "spelling"],
    },
    vary_keys=("grade",),
)
TONE = pooled(
    "reply_tone",
    (
        lambda s: (
            f"Draft a {s['tone']} reminder to a tenant whose rent for {s['month']} is "
            f"{s['late']} late."
        ),
        lambda s: (
            f"Write a {s['tone']} message reminding a tenant that their {s['month']} rent is "
            f"{s['late']} late."
        ),
        lambda s: (
            f"A tenant's rent for {s['month']} is {s['late']} late. Can you write them a "
            f"{s['tone']} reminder?"
        ),
    ),
    {
        "tone": ["friendly", "firm", "formal final-notice"],
        "month": ["March", "October"],
        "late": ["3 days", "two weeks", "a month"],
    },
    vary_keys=("tone", "late"),
)
ACCOUNT = pooled(
    "account_owner",
    (
        lambda s: (
            f"How do I close {s['whose']} {s['service']} account and download its data first?"
        ),
        lambda s: (
            f"I want to download the data from {s['whose']} {s['service']} account and then "
            f"close it. How?"
        ),
        lambda s: (
            f"Before closing {s['whose']} {s['service']} account, how can I export its data? "
            f"List the steps."
        ),
    ),
    {
        "whose": ["my", "my teenage son's", "my late father's", "a former employee's"],
        "service": ["Google", "PayPal", "LinkedIn", "Dropbox"],
    },
    vary_keys=("whose",),
)
BIO = pooled(
    "bio_person",
    (
        lambda s: f"Write a {s['len']} bio of {s['name']}, {s['role']}, in the {s['person']}.",
        lambda s: f"In the {s['person']}, write a {s['len']} bio for {s['name']}, {s['role']}.",
        lambda s: (
            f"Bio needed for {s['name']} ({s['role']}): {s['len']}, written in the {s['person']}."
        ),
    ),
    {
        "person": ["first person", "third person"],
        "len": ["50-word", "150-word"],
        "name": ["Dr. Amara Osei", "Lucas Ferreira", "Hana Kobayashi"],
        "role": ["a paediatric nurse", "a startup founder", "a jazz pianist"],
    },
    vary_keys=("person", "len"),
)
CALENDAR = pooled(
    "calendar_when",
    (
        lambda s: f"What's on my {s['cal']} calendar {s['when']}, and do any meetings overlap?",
        lambda s: (
            f"Look at my {s['cal']} calendar for {s['when']}: list the meetings and tell me "
            f"whether any of them overlap."
        ),
        lambda s: (
            f"Do any meetings overlap on my {s['cal']} calendar {s['when']}? And what's on it?"
        ),
    ),
    {
        "when": ["yesterday", "today", "tomorrow", "this week", "next week", "this afternoon"],
        "cal": ["work", "personal"],
    },
    vary_keys=("when",),
)
FISCAL = pooled(
    "fiscal_quarter",
    (
        lambda s: (
            f"Compare our {s['metric']} in {s['q']} of {s['basis']} year {s['year']} with the "
            f"same quarter a year earlier."
        ),
        lambda s: (
            f"How did {s['metric']} in {s['q']} of {s['basis']} year {s['year']} compare with "
            f"the same quarter one year before?"
        ),
        lambda s: (
            f"{cap(s['metric'])} for {s['q']}, {s['basis']} year {s['year']}, versus the same "
            f"quarter the year before: compare them."
        ),
    ),
    {
        "q": ["Q1", "Q2", "Q3", "Q4"],
        "basis": ["fiscal", "calendar"],
        "year": ["2024", "2025"],
        "metric": ["gross margin", "customer churn", "support ticket volume"],
    },
    vary_keys=("q", "basis", "year"),
)


def _scopes(name: str) -> list[str]:
    """Who gets the e-mail: one changed scope word (except / only / including) per group."""
    return [
        f"everyone on the sales team except {name}",
        f"only {name} from the sales team",
        f"the whole sales team including {name}",
    ]


SCOPE = pooled(
    "scope_recipients",
    (
        lambda s: f"Email the {s['doc']} to {s['scope']}.",
        lambda s: f"Can you email the {s['doc']}? It should go to {s['scope']}.",
        lambda s: f"Please share the {s['doc']} over email with {s['scope']}.",
    ),
    {
        "scope": [_scopes("Dana"), _scopes("Marco"), _scopes("Yuki")],
        "doc": ["Q3 pricing deck", "signed partner contract", "onboarding checklist"],
    },
    vary_keys=("scope",),
)
CONVERSE = pooled(
    "conditional_converse",
    (
        lambda s: f"Prove or disprove: {s['claim']}.",
        lambda s: f"Is it always the case that {s['claim']}? Prove it or give a counterexample.",
        lambda s: f"Claim: {s['claim']}. Give a proof, or a counterexample if it is false.",
    ),
    {
        "claim": [
            [
                "if a number is divisible by 6, it is divisible by 3",
                "if a number is divisible by 3, it is divisible by 6",
            ],
            [
                "if a quadrilateral is a square, it is a rectangle",
                "if a quadrilateral is a rectangle, it is a square",
            ],
            [
                "if a function is differentiable at a point, it is continuous there",
                "if a function is continuous at a point, it is differentiable there",
            ],
            [
                "if an integer greater than 2 is prime, it is odd",
                "if an integer greater than 2 is odd, it is prime",
            ],
            [
                "if a graph is a tree, it has no cycles",
                "if a graph has no cycles, it is a tree",
            ],
        ]
    },
)

FAMILIES = (AUDIENCE, WORKSHEET, TONE, ACCOUNT, BIO, CALENDAR, FISCAL, SCOPE, CONVERSE)
