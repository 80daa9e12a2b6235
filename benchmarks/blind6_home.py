"""Sixth blind suite, home automation, travel, games and office prompts (rules in
`blind6_families.py`).

Kinds of change: the zone, the minutes and skip/run-anyway on rain for a sprinkler automation;
only when/except when nobody is home, the room and the cleaning mode of a robot vacuum; the
direction of a one-way route, the second driver's age and the gearbox of a car rental; the
layover length, the passport and whether bags are checked through; the action, whose turn and
the player count in a board-game rule; the picture, its role on the page and the length of alt
text; accepting/declining/negotiating, the amount and the seats of a vendor renewal reply.
"""

from __future__ import annotations

from benchmarks.blind_pool import cap, pooled

SPRINKLER = pooled(
    "sprinkler_rain_skip",
    (
        lambda s: (
            f"Set up an automation: water the {s['zone']} for {s['mins']} minutes at 5 am every "
            f"other day, {s['rain']} when rain is forecast."
        ),
        lambda s: (
            f"Home automation for the irrigation controller: every other day at 5 am, "
            f"{s['mins']} minutes on the {s['zone']}; {s['rain']} when rain is forecast."
        ),
        lambda s: (
            f"Every other day at 5 am the {s['zone']} should get {s['mins']} minutes of water, "
            f"{s['rain']} when rain is forecast. Create that automation."
        ),
    ),
    {
        "zone": ["front lawn", "vegetable beds", "hedge drip line"],
        "mins": [10, 25, 40],
        "rain": ["skipping the run", "running anyway"],
    },
)

VACUUM = pooled(
    "robot_vacuum_presence",
    (
        lambda s: (
            f"Have the robot vacuum clean the {s['room']} {s['cond']} nobody is home, {s['mode']}."
        ),
        lambda s: f"Robot vacuum routine: {s['room']}, {s['mode']}, {s['cond']} nobody is home.",
        lambda s: (
            f"{cap(s['cond'])} nobody is home, I'd like the robot vacuum to do the "
            f"{s['room']} ({s['mode']}). Set that up."
        ),
    ),
    {
        "room": ["kitchen", "bedrooms", "living room", "hallway"],
        "cond": ["only when", "except when"],
        "mode": ["mopping as well", "vacuuming only"],
    },
)

RENTAL = pooled(
    "car_rental_one_way",
    (
        lambda s: (
            f"One-way car rental from {s['route']} in {s['car']}, with a second driver aged "
            f"{s['age']}. What extra fees will I pay?"
        ),
        lambda s: (
            f"What extra fees apply if I rent {s['car']} one way from {s['route']} and add a "
            f"second driver aged {s['age']}?"
        ),
        lambda s: (
            f"Extra charges question: {s['car']}, one-way hire from {s['route']}, plus a "
            f"second driver aged {s['age']}."
        ),
    ),
    {
        "route": ["Lisbon to Porto", "Porto to Lisbon", "Lisbon to Faro"],
        "age": [22, 35, 72],
        "car": ["an automatic", "a manual"],
    },
)

LAYOVER = pooled(
    "layover_leave_airport",
    (
        lambda s: (
            f"I have a {s['h']}-hour layover in Istanbul, I'm on my {s['pp']} passport and "
            f"my bags are {s['bags']}. Can I leave the airport?"
        ),
        lambda s: (
            f"Can I go out of Istanbul airport during a {s['h']}-hour layover? {s['pp']} "
            f"passport, bags {s['bags']}."
        ),
        lambda s: (
            f"Istanbul layover, {s['h']}-hour stop, {s['pp']} passport holder, luggage "
            f"{s['bags']}: is leaving the airport possible?"
        ),
    ),
    {
        "h": [4, 9, 14],
        "pp": ["Canadian", "Indian", "Nigerian"],
        "bags": ["checked through", "not checked through"],
    },
)

CATAN = pooled(
    "catan_turn_action",
    (
        lambda s: f"In Catan with {s['n']} players, can I {s['act']} during {s['turn']} turn?",
        lambda s: (
            f"Catan rules question ({s['n']} players): is it allowed to {s['act']} during "
            f"{s['turn']} turn?"
        ),
        lambda s: f"During {s['turn']} turn in a {s['n']}-player game of Catan, may I {s['act']}?",
    ),
    {
        "n": ["four", "six"],
        "act": [
            "trade with the bank",
            "play a knight card",
            "build a road",
            "buy a development card",
        ],
        "turn": ["my own", "another player's"],
    },
)

ALT_TEXT = pooled(
    "alt_text_image_role",
    (
        lambda s: (
            f"Write alt text for this product photo: {s['pic']}. The image is {s['role']} on "
            f"the page; keep it to {s['len']}."
        ),
        lambda s: (
            f"Alt text needed ({s['len']}) for a product photo showing {s['pic']}; on the page "
            f"the image is {s['role']}."
        ),
        lambda s: (
            f"The product photo shows {s['pic']} and it is {s['role']} on the page. Give me "
            f"its alt text in {s['len']}."
        ),
    ),
    {
        "pic": ["a navy canvas backpack with tan leather straps", "a grey wool beanie folded"],
        "role": ["purely decorative", "the only product image", "a link to the size guide"],
        "len": ["one sentence", "under 60 characters"],
    },
)

RENEWAL = pooled(
    "vendor_renewal_reply",
    (
        lambda s: (
            f"Compose an email to Harlow Analytics {s['move']} their renewal quote of "
            f"{s['amt']} for {s['seats']} seats."
        ),
        lambda s: (
            f"Harlow Analytics sent a renewal quote: {s['amt']} for {s['seats']} seats. Reply to "
            f"them briefly, {s['move']} it."
        ),
        lambda s: (
            f"Short email needed, to Harlow Analytics, {s['move']} the renewal quote they sent "
            f"({s['amt']}, {s['seats']} seats)."
        ),
    ),
    {
        "move": ["accepting", "declining", "pushing back on"],
        "amt": ["$18,000", "$24,500"],
        "seats": [25, 40],
    },
)

FAMILIES = (SPRINKLER, VACUUM, RENTAL, LAYOVER, CATAN, ALT_TEXT, RENEWAL)
