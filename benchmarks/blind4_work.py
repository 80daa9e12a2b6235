"""Fourth blind suite, work and money (see `blind4_families.py` for the blindness rules).

Kinds of change: tenant/landlord, fixed-term/periodic and the country of a tenancy; what a
deposit deduction was for, its amount and the length of the stay; the role a workspace member
gets (admin/editor/viewer/guest), the plan and the e-mail; an API key's environment, scope and
lifetime; a payroll item, higher/lower and the pay frequency.
"""

from __future__ import annotations

from benchmarks.blind_pool import pooled

TENANCY = pooled(
    "tenancy_notice_party",
    (
        lambda s: (
            f"As the {s['party']} on a {s['term']} tenancy in {s['place']}, how much notice do I "
            f"have to give to end it?"
        ),
        lambda s: (
            f"How much notice must a {s['party']} give to end a {s['term']} tenancy in "
            f"{s['place']}? That's my situation."
        ),
        lambda s: (
            f"{s['place']}, {s['term']} tenancy, and I'm the {s['party']}: what notice period "
            f"applies if I want to bring it to an end?"
        ),
    ),
    {
        "party": ["tenant", "landlord"],
        "term": ["fixed-term", "periodic"],
        "place": ["England", "Scotland", "Wales"],
    },
)
DEPOSIT = pooled(
    "deposit_deduction_reason",
    (
        lambda s: (
            f"My landlord kept £{s['amount']} of my deposit for {s['reason']} after a "
            f"{s['years']}-year tenancy. Can they do that?"
        ),
        lambda s: (
            f"After renting for {s['years']} years, I had £{s['amount']} taken out of my deposit "
            f"for {s['reason']}. Is that allowed?"
        ),
        lambda s: (
            f"Is it legal to deduct £{s['amount']} from a deposit for {s['reason']} when the "
            f"tenant stayed {s['years']} years?"
        ),
    ),
    {
        "reason": [
            "professional cleaning",
            "repainting the walls",
            "replacing the carpet",
            "a broken oven door",
        ],
        "amount": ["180", "650"],
        "years": ["2", "7"],
    },
)
SEAT = pooled(
    "workspace_seat_role",
    (
        lambda s: (
            f"How do I give {s['email']} {s['role']} access to our {s['plan']} workspace, and "
            f"will that use up a paid seat?"
        ),
        lambda s: (
            f"On our {s['plan']} workspace I want {s['email']} to have {s['role']} access. How "
            f"do I set that up, and does it take a paid seat?"
        ),
        lambda s: (
            f"Adding {s['email']} with {s['role']} access to the {s['plan']} workspace: how is "
            f"it done, and is a paid seat consumed?"
        ),
    ),
    {
        "email": ["dana@acme.io", "ops@acme.io"],
        "role": ["admin", "editor", "viewer", "guest"],
        "plan": ["Team", "Enterprise"],
    },
)
API_KEY = pooled(
    "api_key_scope",
    (
        lambda s: (
            f"Create an API key for the {s['env']} environment with {s['scope']} scope that "
            f"expires after {s['days']} days."
        ),
        lambda s: (
            f"I need a new {s['env']} API key. It should have {s['scope']} scope and stop "
            f"working after {s['days']} days. Walk me through it."
        ),
        lambda s: (
            f"New API key, please: {s['env']}, {s['scope']} scope, valid for {s['days']} days."
        ),
    ),
    {
        "env": ["staging", "production", "sandbox"],
        "scope": ["read-only", "read-write", "admin"],
        "days": ["30", "90"],
    },
)
PAYSLIP = pooled(
    "payslip_item_change",
    (
        lambda s: f"Why is the {s['item']} on my {s['freq']} payslip {s['way']} than last time?",
        lambda s: (
            f"My {s['item']} came out {s['way']} than on my previous {s['freq']} payslip. What "
            f"could explain that?"
        ),
        lambda s: (
            f"Comparing this {s['freq']} payslip with the one before, the {s['item']} is "
            f"{s['way']}. Why might that be?"
        ),
    ),
    {
        "item": [
            "income tax",
            "pension contribution",
            "student loan repayment",
            "National Insurance",
        ],
        "way": ["higher", "lower"],
        "freq": ["weekly", "monthly"],
    },
)

FAMILIES = (TENANCY, DEPOSIT, SEAT, API_KEY, PAYSLIP)
