"""Sixth blind suite, e-commerce, billing and personal-finance prompts (rules in
`blind6_families.py`).

Kinds of change: the discount, the item class and the buyer of a coupon question; the care rule,
the capacity and the glaze of a marketplace listing; height, weight and cut in a fit question;
upgrade/downgrade, the plan, the timing and the billing period of a proration macro; the days,
before/after and the account in a wash-sale question; contributions/earnings, age and account
age for a Roth withdrawal; the amount, the payment terms and the payment day of an invoice.
"""

from __future__ import annotations

from benchmarks.blind_pool import pooled

_RULES = (
    "Store rules: percentage codes cannot be used on clearance items; free shipping applies "
    "to orders of $50 or more after discounts; loyalty members get free shipping on every "
    "order."
)
COUPON = pooled(
    "coupon_stacking",
    (
        lambda s: (
            f"You answer shoppers for Pebble & Pine. {_RULES}\nShopper: Can {s['buyer']} use a "
            f"{s['pct']}% off code on a {s['total']} order of {s['items']} items and still get "
            "free shipping?"
        ),
        lambda s: (
            f"Shopper: Can {s['buyer']} use a {s['pct']}% off code on a {s['total']} order of "
            f"{s['items']} items and still get free shipping?\nReply for Pebble & Pine, "
            f"following these rules. {_RULES}"
        ),
        lambda s: (
            f"Pebble & Pine assistant. {_RULES}\nAnswer this: {s['buyer']}, {s['pct']}% off "
            f"code, {s['total']} order, {s['items']} items. Is shipping still free?"
        ),
    ),
    {
        "pct": [10, 25],
        "total": ["$60", "$90"],
        "items": ["clearance", "full-price"],
        "buyer": ["a loyalty member", "a guest shopper"],
    },
)

LISTING = pooled(
    "mug_listing_care",
    (
        lambda s: (
            f"Write an Etsy listing description for a handmade {s['glaze']} stoneware mug that "
            f"is {s['care']}, holds {s['ml']} ml and ships {s['ship']}."
        ),
        lambda s: (
            f"Etsy listing copy needed. Product: handmade stoneware mug, {s['glaze']} glaze "
            f"finish, {s['ml']} ml, {s['care']}, ships {s['ship']}."
        ),
        lambda s: (
            f"Describe this for an Etsy shop page: a {s['ml']} ml handmade stoneware mug in "
            f"{s['glaze']}, {s['care']}, which ships {s['ship']}."
        ),
    ),
    {
        "glaze": ["speckled white", "matte black", "sea green"],
        "care": ["dishwasher-safe", "hand-wash only"],
        "ml": [350, 450],
        "ship": ["within 3 days", "made to order in 2 weeks"],
    },
)

FIT = pooled(
    "shirt_fit_advice",
    (
        lambda s: (
            f"I'm {s['h']} cm tall and weigh {s['w']} kg. Should I order M or L in your "
            f"{s['cut']} oxford shirt?"
        ),
        lambda s: (
            f"Size help for the {s['cut']} oxford shirt: M or L, for someone {s['h']} cm tall "
            f"weighing {s['w']} kg?"
        ),
        lambda s: (
            f"Your {s['cut']} oxford shirt, M versus L: which suits me at {s['h']} cm and "
            f"{s['w']} kg?"
        ),
    ),
    {"h": [172, 180, 188], "w": [68, 77, 85], "cut": ["slim-fit", "relaxed-fit"]},
)

PRORATION = pooled(
    "plan_change_proration",
    (
        lambda s: (
            f"Compose the support answer explaining what a customer on {s['billing']} billing is "
            f"charged when they {s['dir']} to the {s['plan']} plan {s['when']}."
        ),
        lambda s: (
            f"A customer wants to {s['dir']} to the {s['plan']} plan {s['when']}; they pay "
            f"with {s['billing']} billing. Draft our answer explaining the charge."
        ),
        lambda s: (
            f"Support macro: explain the charge for switching ({s['dir']}) to the "
            f"{s['plan']} plan {s['when']}, {s['billing']} billing."
        ),
    ),
    {
        "dir": ["upgrade", "downgrade"],
        "plan": ["Team", "Scale"],
        "when": ["mid-cycle", "at renewal"],
        "billing": ["monthly", "annual"],
    },
)

WASH = pooled(
    "wash_sale_window",
    (
        lambda s: (
            f"I sold an S&P 500 index fund at a {s['loss']} loss and bought {s['what']} "
            f"{s['days']} days later in {s['acct']}. Can I still deduct the loss?"
        ),
        lambda s: (
            f"Is my {s['loss']} capital loss still deductible? I sold an S&P 500 index fund at "
            f"that loss, then {s['days']} days later purchased {s['what']} in {s['acct']}."
        ),
        lambda s: (
            f"Wash sale check: S&P 500 index fund sold at a {s['loss']} loss; {s['days']} days "
            f"later, {s['what']} bought in {s['acct']}. Is the loss deductible?"
        ),
    ),
    {
        "loss": ["$3,000", "$30,000"],
        "what": ["the same fund", "a total-market fund"],
        "days": [20, 40],
        "acct": ["a taxable account", "my IRA"],
    },
)

ROTH = pooled(
    "roth_withdrawal_age",
    (
        lambda s: (
            f"Can I withdraw my Roth IRA {s['what']} at age {s['age']} without penalty if the "
            f"account was opened {s['yrs']} years ago?"
        ),
        lambda s: (
            f"I'm {s['age']} and opened my Roth IRA {s['yrs']} years ago. Would taking out the "
            f"{s['what']} trigger a penalty?"
        ),
        lambda s: (
            f"Roth IRA opened {s['yrs']} years ago, owner aged {s['age']}: is a withdrawal of "
            f"{s['what']} penalty-free?"
        ),
    ),
    {"what": ["contributions", "earnings"], "age": [45, 52, 61], "yrs": [2, 4, 8]},
)

INVOICE = pooled(
    "invoice_early_discount",
    (
        lambda s: (
            f"A supplier invoice for {s['amt']} has payment terms {s['terms']}. If we pay on "
            f"day {s['day']}, how much do we owe?"
        ),
        lambda s: (
            f"How much do we owe if we settle on day {s['day']} a supplier invoice of "
            f"{s['amt']} with terms {s['terms']}?"
        ),
        lambda s: (
            f"Supplier invoice: {s['amt']}, terms {s['terms']}. Payment goes out on day "
            f"{s['day']}. Amount due?"
        ),
    ),
    {
        "amt": ["€12,400", "€8,750"],
        "terms": ["2/10 net 30", "1/15 net 45"],
        "day": [9, 12, 14, 20],
    },
)

FAMILIES = (COUPON, LISTING, FIT, PRORATION, WASH, ROTH, INVOICE)
