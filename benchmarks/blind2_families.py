"""Second blind suite: app-shaped prompt families for an honest generalization check of the cache.

Blindness rules (kept while writing this suite and its helper modules `blind2_life.py`,
`blind2_work.py`, `blind2_languages.py`, `blind2_documents.py`):
- its author did **not** open or grep `cache/verifier.py`, `cache/guard.py`, `cache/slots.py`,
  `cache/lexicon.py`, `cache/train_templates.py`, `cache/train_verifier.py`,
  `benchmarks/adversarial_families.py`, the parts of `docs/cache_quality.md` that describe the
  guard and the verifier, or the git log messages and diffs of `cache/`;
- only the interface and runner were read (`heldout_families.py`, `heldout_scoring.py`,
  `heldout_e2e.py`, `cache_heldout.py`, `blind_report.py`) and the first blind suite
  (`blind_families.py` and its helpers), to reuse `Family`/`pooled` and to make these families
  **different** from both existing suites: other domains and other kinds of meaning-bearing change;
  `tests/test_blind2_suite.py` checks mechanically that no template here shares a four-word run
  with a held-out, first-blind or adversarial template (the adversarial ones compared unread);
- the suite was committed and landed before it was ever run against the cache, and it was then run
  once; whoever tunes the cache on its results makes it no longer blind (the next review needs a
  fresh suite).

Each family renders template 0 (the stored wording) and true rewordings that keep every slot
value word for word; `vary` changes exactly one meaning-bearing slot. Kinds of change: a plan
tier, under/over a price, in stock/out of stock, one-way/return, economy/business, departing/
arriving, gross/net, pay period, before/after/with meals, morning/evening, employee/contractor,
full-time/part-time, a US state, an audience or grade level, a tone, whose account, first/third
person, yesterday/tomorrow, this/next week, Q1/Q3, fiscal/calendar year, only/except/including,
a conditional and its converse (this module and `blind2_life.py`); a spreadsheet function or
argument, a pandas aggregation, an HTTP status code or method, async/sync and list/dict results,
a container tag's patch level, a rounding precision, a statistic, a cron schedule, a repository
permission (`blind2_work.py`); tu/vous, du/Sie, tú/usted, Italian, Portuguese, Spanish and
Japanese (romaji) requests, an emoji status on a markdown board (`blind2_languages.py`); one fact
in the middle of a pasted 600+ character policy, the question about it, and a quoted previous
answer or its follow-up (`blind2_documents.py`).
"""

from __future__ import annotations

from benchmarks import blind2_documents, blind2_languages, blind2_life, blind2_work
from benchmarks.blind_pool import pooled
from benchmarks.heldout_families import Family

SUPPORT_TIER = pooled(
    "support_plan_tier",
    (
        lambda s: (
            f"Write a support reply to a customer on the {s['tier']} plan who asks whether "
            f"the {s['feature']} feature is included and how to turn it on."
        ),
        lambda s: (
            f"A customer asks if the {s['feature']} feature is included in the {s['tier']} "
            f"plan they pay for, and how to turn it on. Draft the support reply."
        ),
        lambda s: (
            f"Support macro needed: a {s['tier']} plan customer wants to know whether their plan "
            f"includes the {s['feature']} feature and how they can switch it on."
        ),
    ),
    {
        "tier": ["Free", "Starter", "Pro", "Business", "Enterprise"],
        "feature": [
            "single sign-on",
            "API access",
            "audit logs",
            "custom domains",
            "priority phone support",
        ],
    },
    vary_keys=("tier",),
)
SHOP_FILTER = pooled(
    "shop_filter",
    (
        lambda s: (
            f"Show me {s['cat']} priced {s['cmp']} ${s['price']} that are {s['stock']}, sorted "
            f"by {s['sort']}."
        ),
        lambda s: (
            f"List {s['cat']} that are {s['stock']} with a price {s['cmp']} ${s['price']}; order "
            f"the results by {s['sort']}."
        ),
        lambda s: (
            f"Filter the catalogue: {s['cat']}, price {s['cmp']} ${s['price']}, {s['stock']}, "
            f"sort by {s['sort']}."
        ),
    ),
    {
        "cat": ["running shoes", "standing desks", "espresso machines", "winter jackets"],
        "cmp": ["under", "over"],
        "price": ["50", "120", "300"],
        "stock": ["in stock", "out of stock", "available for pre-order"],
        "sort": ["lowest price first", "highest price first", "customer rating", "newest arrival"],
    },
    vary_keys=("cmp", "stock", "sort"),
)
FLIGHT = pooled(
    "flight_search",
    (
        lambda s: (
            f"Find {s['trip']} {s['cabin']} flights from {s['route']}, {s['when']} on {s['date']}."
        ),
        lambda s: (
            f"Search for {s['cabin']} seats on a {s['trip']} trip from {s['route']}, "
            f"{s['when']} on {s['date']}."
        ),
        lambda s: (
            f"I need to fly from {s['route']} ({s['trip']}, {s['cabin']}), {s['when']} on "
            f"{s['date']}. Which flights are there?"
        ),
    ),
    {
        "trip": ["one-way", "return"],
        "cabin": ["economy", "premium economy", "business class"],
        "when": ["departing", "arriving"],
        "route": ["Lisbon to Oslo", "Nairobi to Doha", "Toronto to Lima"],
        "date": ["14 May", "3 June", "22 August"],
    },
    vary_keys=("trip", "cabin", "when"),
)
PAY_BASIS = pooled(
    "pay_basis",
    (
        lambda s: (
            f"My {s['kind']} salary is {s['amount']} {s['period']}. How much can I afford to "
            f"spend on rent in {s['city']}?"
        ),
        lambda s: (
            f"With a {s['kind']} salary of {s['amount']} {s['period']}, how much rent can I "
            f"afford in {s['city']}?"
        ),
        lambda s: (
            f"Rent budget for {s['city']}: I earn {s['amount']} {s['period']}, {s['kind']}. "
            f"What can I afford?"
        ),
    ),
    {
        "kind": ["gross", "net"],
        "amount": ["2,900 euros", "3,500 euros", "4,200 euros"],
        "period": ["a month", "every two weeks", "a week"],
        "city": ["Munich", "Barcelona", "Dublin", "Vienna"],
    },
    vary_keys=("kind", "period"),
)
MED_TIMING = pooled(
    "med_timing",
    (
        lambda s: (
            f"My pharmacist said to take {s['drug']} {s['meal']} meals, in the {s['tod']}. Why "
            f"does the timing matter for this medicine?"
        ),
        lambda s: (
            f"Why does it matter that {s['drug']} is taken {s['meal']} meals and in the "
            f"{s['tod']}, as my pharmacist told me?"
        ),
        lambda s: (
            f"A timing question about {s['drug']}: I was told {s['meal']} meals, in the "
            f"{s['tod']}. What is the reason for that schedule?"
        ),
    ),
    {
        "drug": ["levothyroxine", "omeprazole", "atorvastatin", "a calcium supplement"],
        "meal": ["before", "after", "with", "between"],
        "tod": ["morning", "evening"],
    },
    vary_keys=("meal", "tod"),
)
HR_WORKER = pooled(
    "hr_worker_type",
    (
        lambda s: f"Is a {s['status']} {s['kind']} in {s['state']} entitled to paid sick leave?",
        lambda s: (
            f"In {s['state']}, does a {s['status']} {s['kind']} have a right to paid sick leave?"
        ),
        lambda s: f"Paid sick leave in {s['state']}: does it apply to a {s['status']} {s['kind']}?",
    ),
    {
        "status": ["full-time", "part-time", "seasonal"],
        "kind": ["employee", "independent contractor"],
        "state": ["California", "Texas", "New York", "Washington", "Florida"],
    },
)

FAMILIES: tuple[Family, ...] = (
    SUPPORT_TIER,
    SHOP_FILTER,
    FLIGHT,
    PAY_BASIS,
    MED_TIMING,
    HR_WORKER,
    *blind2_life.FAMILIES,
    *blind2_work.FAMILIES,
    *blind2_languages.FAMILIES,
    *blind2_documents.FAMILIES,
)
