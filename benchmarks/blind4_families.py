"""Fourth blind suite: app-shaped prompt families for an honest generalization check of the cache.

The first three blind suites were all used to change the cache, so none is blind any more. This
one checks the final code on families, domains and wordings its authors never saw.

Blindness rules (kept while writing this module and its helpers `blind4_work.py`,
`blind4_care.py`, `blind4_trade.py`, `blind4_dev.py`, `blind4_documents.py`):
- its author did **not** open, grep or diff any `cache/*.py`, read the git log or diffs of
  `cache/`, or open anything under `benchmarks/results/`, and did not open
  `docs/cache_quality.md` (the earlier suites' family names were listed from their modules;
  a repository-wide grep for "blind3", run to find where suites are registered, printed a few
  of its lines, one of them a summary row of the blind3 run: nothing about which families or
  slots failed);
- only the interface, runner and tests were read to reuse them (`heldout_families.py`,
  `heldout_scoring.py`, `heldout_e2e.py`, `cache_heldout.py`, `blind_report.py`,
  `blind_pool.py`, `tests/blind_checks.py`, `tests/test_blind3_suite.py`) and the earlier
  suites' family code (held-out, blind, blind2, blind3), to pick **other domains and other kinds
  of meaning-bearing change**; `tests/test_blind4_suite.py` checks mechanically that no template
  here shares a four-word run with a held-out, blind, blind2, blind3 or adversarial template (the
  adversarial ones compared programmatically, unread);
- no family was ever run against the cache while writing it (only the unit tests, with fakes);
  the suite was committed and landed on main before its first run, which the lead does once on
  the final code. Whoever tunes the cache on its results makes it no longer blind.

Each family renders template 0 (the stored wording) and true rewordings that keep every slot
value word for word (other sentence structures, not only synonyms); `vary` changes exactly one
meaning-bearing slot, and the scorer asks each variant in the stored wording (one word or number
changed inside otherwise identical text) and in a rewording. More than half the varied slots
are ORDINARY words or short phrases whose neighbours are plausible (freeze/unfreeze/cancel/
replace, debit/credit, annual/sick/unpaid/parental leave, line manager/HR, tenant/landlord,
fixed-term/periodic, a deposit deduction's reason, admin/editor/viewer/guest, staging/production/
sandbox, read-only/read-write, a payroll item and higher/lower, a kind of appointment and
morning/afternoon, a medical specialty, an attainment level, a subject, a term, a race distance
and runner level, workout equipment and body focus, vegan/vegetarian/pescatarian and an allergen,
pressure units, mM/µM, a refund/exchange/repair/store credit, change/cancel and economy fare
types, adult/child/infant and a cabin, double/twin/triple and board types, capital repayment/
interest-only, interim/full/major service, front/rear, a locale, dev/peer/optional dependencies,
lines/words and start/end, larger/smaller and delete/list/compress, who/who never, drop/keep only
and missing/zero/negative, a classifier metric, greater than/less than/equal to, pushes/pull
requests, a tone, a compensation offer or its refusal, an audience, keeping or leaving out action
items, the field to extract, an output format, what an essay's mark weighs most, the shape of a
plain-words rewrite, once/twice a day inside a discharge note); the rest are
numbers, amounts, dates, names, codes and identifiers (card digits, days, a country, an e-mail,
key lifetimes, ages, course codes and letter grades, weeks, minutes, people, concentrations,
prices, ports and Incoterms, box sizes, heights, loans and rates, years and mileages, label
lengths, file sizes, years, cell references, branches, a date inside meeting notes, a unit price
inside an invoice, a maximum mark). Prompts run from one line to multi-sentence instructions
over a pasted document (`blind4_documents.py`).
"""

from __future__ import annotations

from benchmarks import blind4_care, blind4_dev, blind4_documents, blind4_trade, blind4_work
from benchmarks.blind_pool import cap, pooled
from benchmarks.heldout_families import Family

CARD = pooled(
    "card_action_last4",
    (
        lambda s: f"{cap(s['action'])} my {s['card']} card ending in {s['last4']}.",
        lambda s: f"Please {s['action']} the {s['card']} card that ends with {s['last4']}.",
        lambda s: (
            f"I need to {s['action']} my {s['card']} card, the one whose last digits are "
            f"{s['last4']}."
        ),
    ),
    {
        "action": ["freeze", "unfreeze", "cancel", "replace"],
        "card": ["debit", "credit"],
        "last4": ["4821", "0937", "5560"],
    },
)
LEAVE = pooled(
    "leave_request_type",
    (
        lambda s: (
            f"Draft a short {s['leave']} request to my {s['approver']} for {s['days']} working "
            f"days starting next {s['weekday']}."
        ),
        lambda s: (
            f"I need to ask my {s['approver']} for {s['leave']}: {s['days']} working days, "
            f"beginning next {s['weekday']}. Can you write the request?"
        ),
        lambda s: (
            f"Write me a brief note requesting {s['days']} working days of {s['leave']} from "
            f"next {s['weekday']}, addressed to my {s['approver']}."
        ),
    ),
    {
        "leave": ["annual leave", "sick leave", "unpaid leave", "parental leave"],
        "approver": ["line manager", "HR business partner"],
        "days": ["3", "10"],
        "weekday": ["Monday", "Thursday"],
    },
)

FAMILIES: tuple[Family, ...] = (
    CARD,
    LEAVE,
    *blind4_work.FAMILIES,
    *blind4_care.FAMILIES,
    *blind4_trade.FAMILIES,
    *blind4_dev.FAMILIES,
    *blind4_documents.FAMILIES,
)
