"""Fifth blind suite, jobs, errands, resale, moderation, sales and staffing (rules in
`blind5_families.py`).

Kinds of change: remote/hybrid/on-site, the role, permanent/fixed-term and the minimum pay of a
job search; the order of three errands, the starting point and on foot/by bike; a phone model
(Pro/Pro Max), its storage and its condition for a trade-in; mentions/does not mention, the
length of the gap, the role and the length of a cover letter; the policy, the comment and the
answer format of a moderation check; the contact, the company, the next step and when in a CRM
note; weeks, nurses, the kind of shift and the most in a row in a rota; guests, the share, the
diet and an extra (coffee/no dessert) in a catering order.
"""

from __future__ import annotations

from benchmarks.blind_pool import cap, pooled

JOBS = pooled(
    "job_board_filter",
    (
        lambda s: (
            f"Find {s['mode']} {s['role']} jobs with a {s['contract']} contract paying at least "
            f"{s['pay']} a year."
        ),
        lambda s: (
            f"Show me {s['role']} positions that are {s['mode']} and {s['contract']}, and that "
            f"pay {s['pay']} or more per year."
        ),
        lambda s: (
            f"Job search: {s['role']}; work mode {s['mode']}; contract {s['contract']}; "
            f"minimum salary {s['pay']} annually."
        ),
    ),
    {
        "mode": ["remote", "hybrid", "on-site"],
        "role": ["data engineer", "product designer"],
        "contract": ["permanent", "fixed-term"],
        "pay": ["£60k", "£80k"],
    },
)
ERRANDS = pooled(
    "errand_stop_order",
    (
        lambda s: f"Plan a route {s['mode']} starting from {s['start']} that visits {s['order']}.",
        lambda s: (
            f"Starting at {s['start']} and going {s['mode']}, I need to stop at {s['order']}. "
            f"Can you plan it?"
        ),
        lambda s: f"Errand run {s['mode']}, from {s['start']}: {s['order']}. Work out the route.",
    ),
    {
        "order": [
            "the bakery, then the pharmacy, then the post office",
            "the post office, then the bakery, then the pharmacy",
            "the pharmacy, then the post office, then the bakery",
        ],
        "start": ["my flat", "the gym", "the train station"],
        "mode": ["on foot", "by bike"],
    },
)
TRADE_IN = pooled(
    "phone_trade_in_condition",
    (
        lambda s: (
            f"What trade-in value would I get for an {s['model']} {s['gb']} with {s['cond']}?"
        ),
        lambda s: (
            f"I want to trade in my {s['model']}, {s['gb']}, which has {s['cond']}. How much is "
            f"it worth?"
        ),
        lambda s: f"Trade-in quote: {s['model']} {s['gb']}; condition: {s['cond']}.",
    ),
    {
        "model": ["iPhone 14 Pro", "iPhone 14 Pro Max"],
        "gb": ["128 GB", "256 GB"],
        "cond": ["a cracked back glass", "a scratched screen", "a worn-out battery"],
    },
)
COVER = pooled(
    "cover_letter_gap",
    (
        lambda s: (
            f"Write a cover letter for a {s['role']} position, {s['len']} long, that "
            f"{s['mention']} my {s['gap']} career break."
        ),
        lambda s: (
            f"I'm applying to be a {s['role']}. Please draft a cover letter, {s['len']} long, "
            f"that {s['mention']} my {s['gap']} career break."
        ),
        lambda s: (
            f"Cover letter for a {s['role']} job, {s['len']}. It {s['mention']} the {s['gap']} "
            f"career break I took."
        ),
    ),
    {
        "role": ["school librarian", "logistics coordinator", "junior accountant"],
        "len": ["one page", "half a page"],
        "mention": ["mentions", "does not mention"],
        "gap": ["two-year", "six-month"],
    },
)
MODERATION = pooled(
    "comment_policy_check",
    (
        lambda s: (
            f"Does this comment break our rule against {s['policy']}? Answer {s['fmt']}, then "
            f'give one reason. Comment: "{s["comment"]}"'
        ),
        lambda s: (
            f'Comment: "{s["comment"]}"\n\nModeration question: is this a violation of our '
            f"{s['policy']} rule? Reply {s['fmt']} and one reason."
        ),
        lambda s: (
            f"Judge the following comment against our policy on {s['policy']}, replying "
            f'{s["fmt"]} plus a one-line reason: "{s["comment"]}"'
        ),
    ),
    {
        "policy": ["spam", "harassment", "self-promotion"],
        "fmt": ["with yes or no", "with a confidence between zero and one"],
        "comment": [
            "check out my channel for more tips like this",
            "nobody asked for your opinion, go away",
            "great recipe, I added extra garlic",
        ],
    },
)
CRM = pooled(
    "crm_call_next_step",
    (
        lambda s: (
            f"Log a call with {s['contact']} at {s['company']}: they want {s['next']} {s['when']}."
        ),
        lambda s: (
            f"Add a call note to the CRM for {s['company']} ({s['contact']}): the next step is "
            f"{s['next']} {s['when']}."
        ),
        lambda s: (
            f"Just spoke with {s['contact']} from {s['company']}. Please record that they'd "
            f"like {s['next']} {s['when']}."
        ),
    ),
    {
        "contact": ["Dana Whitfield", "Rahul Menon"],
        "company": ["Harbor Foods", "Kestrel Labs"],
        "next": ["a product demo", "a revised quote", "a contract review"],
        "when": ["next week", "before the end of the month"],
    },
)
ROTA = pooled(
    "nurse_rota_shifts",
    (
        lambda s: (
            f"Make a {s['weeks']}-week rota for {s['n']} nurses covering {s['shift']} shifts, "
            f"with nobody working more than {s['max']} in a row."
        ),
        lambda s: (
            f"I need a rota for {s['n']} nurses over {s['weeks']} weeks, covering the "
            f"{s['shift']} shifts. No one may work more than {s['max']} in a row."
        ),
        lambda s: (
            f"Rota request: {s['shift']} shifts, {s['n']} nurses, {s['weeks']} weeks, at most "
            f"{s['max']} consecutive shifts per person."
        ),
    ),
    {
        "weeks": ["two", "four"],
        "n": ["five", "eight"],
        "shift": ["night", "weekend", "twelve-hour day"],
        "max": ["three", "four"],
    },
)
CATERING = pooled(
    "catering_guest_diet",
    (
        lambda s: (
            f"Order catering for {s['n']} guests, {s['share']} of them {s['diet']}, and "
            f"{s['extra']}."
        ),
        lambda s: (
            f"We have {s['n']} guests coming and {s['share']} of them are {s['diet']}. Please "
            f"place a catering order, and {s['extra']}."
        ),
        lambda s: (
            f"{cap(s['extra'])}. Apart from that, the catering order is for {s['n']} guests, "
            f"with {s['diet']} meals for {s['share']} of them."
        ),
    ),
    {
        "n": ["forty", "sixty"],
        "share": ["half", "a quarter"],
        "diet": ["vegetarian", "vegan"],
        "extra": ["include coffee for everyone", "skip dessert"],
    },
)

FAMILIES = (JOBS, ERRANDS, TRADE_IN, COVER, MODERATION, CRM, ROTA, CATERING)
