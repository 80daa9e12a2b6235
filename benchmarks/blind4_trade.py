"""Fourth blind suite, shopping, travel, freight, property and cars (rules in `blind4_families.py`).

Kinds of change: a refund, an exchange, a repair or store credit, the item and when it was
bought; change/cancel and a fare type (basic economy, economy, premium economy, economy flex);
an adult, a child or an infant, and the cabin; a double/twin/triple room, room only, bed and
breakfast, half or full board, nights and arrival date; an Incoterm and the ports; a box size,
a pallet type and a stack height; capital repayment/interest-only, loan, term and rate;
interim/full/major service, a car model, year and mileage; front/rear tyres and the load; a
button label, a locale (Brazilian/European Portuguese, Canadian French, Swiss German) and a
length limit.
"""

from __future__ import annotations

from benchmarks.blind_pool import cap, pooled

RETURNS = pooled(
    "return_remedy",
    (
        lambda s: (
            f"I bought a {s['item']} {s['when']} and it's already coming apart at the seams. "
            f"I'd like {s['remedy']}."
        ),
        lambda s: (
            f"The {s['item']} I bought {s['when']} is already splitting at the seams. Can I get "
            f"{s['remedy']}?"
        ),
        lambda s: (
            f"Requesting {s['remedy']}: {s['item']}, bought {s['when']}, seams already "
            f"coming apart."
        ),
    ),
    {
        "item": ["winter jacket", "backpack", "pair of jeans"],
        "when": ["10 days ago", "two months ago"],
        "remedy": ["a refund", "an exchange", "a repair", "store credit"],
    },
)
FARE = pooled(
    "fare_change_action",
    (
        lambda s: f"Can I {s['action']} my {s['fare']} ticket from {s['route']} without a fee?",
        lambda s: (
            f"Is there a fee to {s['action']} a ticket booked in {s['fare']}? Mine is for "
            f"{s['route']}."
        ),
        lambda s: (
            f"My ticket for {s['route']} is {s['fare']}. Would it cost me anything to "
            f"{s['action']} it?"
        ),
    ),
    {
        "action": ["change", "cancel"],
        "fare": ["basic economy", "economy", "premium economy", "economy flex"],
        "route": ["Boston to Denver", "Denver to Boston"],
    },
)
BAGGAGE = pooled(
    "baggage_passenger_cabin",
    (
        lambda s: (
            f"What is the checked baggage allowance for {s['pax']} travelling in {s['cabin']} "
            f"from {s['origin']} to Toronto?"
        ),
        lambda s: (
            f"How many checked bags can {s['pax']} take in {s['cabin']} on a flight from "
            f"{s['origin']} to Toronto?"
        ),
        lambda s: (
            f"Checked bags allowed in {s['cabin']}, {s['origin']} to Toronto, for {s['pax']}?"
        ),
    ),
    {
        "pax": ["an adult", "a child", "an infant"],
        "cabin": ["economy", "premium economy", "business"],
        "origin": ["Lisbon", "Dublin"],
    },
)
HOTEL = pooled(
    "hotel_board_room",
    (
        lambda s: (
            f"Book a {s['room']} room for {s['nights']} nights from {s['date']}, {s['board']}."
        ),
        lambda s: (
            f"I'd like to reserve {s['nights']} nights starting {s['date']} in a {s['room']} "
            f"room, {s['board']} please."
        ),
        lambda s: (
            f"Reservation: {s['room']} room, {s['board']}, arriving {s['date']} and staying "
            f"{s['nights']} nights."
        ),
    ),
    {
        "room": ["double", "twin", "triple"],
        "board": ["room only", "bed and breakfast", "half board", "full board"],
        "nights": ["2", "4"],
        "date": ["12 March", "21 March"],
    },
)
INCOTERM = pooled(
    "incoterm_freight",
    (
        lambda s: (
            f"Under {s['term']}, who pays for freight and insurance on a container from "
            f"{s['origin']} to {s['dest']}?"
        ),
        lambda s: (
            f"We're shipping a container from {s['origin']} to {s['dest']} on {s['term']} "
            f"terms. Which side covers the freight and the insurance?"
        ),
        lambda s: (
            f"Container, {s['origin']} to {s['dest']}, {s['term']}: are freight and insurance "
            f"the buyer's or the seller's cost?"
        ),
    ),
    {
        "term": ["FOB", "CIF", "EXW", "DDP"],
        "origin": ["Shanghai", "Rotterdam"],
        "dest": ["Felixstowe", "Santos"],
    },
)
PALLET = pooled(
    "pallet_box_count",
    (
        lambda s: (
            f"How many {s['box']} cm boxes fit on a {s['pallet']} pallet if the stack can be at "
            f"most {s['h']} cm high?"
        ),
        lambda s: (
            f"With a height limit of {s['h']} cm, how many boxes of {s['box']} cm can I load "
            f"onto a {s['pallet']} pallet?"
        ),
        lambda s: (
            f"Pallet planning: {s['pallet']} pallet, boxes {s['box']} cm, maximum stack height "
            f"{s['h']} cm. How many boxes fit?"
        ),
    ),
    {
        "box": ["40x30x25", "60x40x30", "30x20x20"],
        "pallet": ["Euro", "UK standard"],
        "h": ["150", "180"],
    },
)
MORTGAGE = pooled(
    "mortgage_repayment_type",
    (
        lambda s: (
            f"What would the monthly payment be on a £{s['loan']} {s['kind']} mortgage over "
            f"{s['years']} years at {s['rate']}%?"
        ),
        lambda s: (
            f"I'm borrowing £{s['loan']} over {s['years']} years at {s['rate']}% on {s['kind']} "
            f"terms. What's the monthly payment?"
        ),
        lambda s: (
            f"Monthly cost, {s['kind']} mortgage: £{s['loan']}, {s['rate']}% interest, "
            f"{s['years']}-year term?"
        ),
    ),
    {
        "kind": ["capital repayment", "interest-only"],
        "loan": ["240,000", "315,000"],
        "years": ["25", "30"],
        "rate": ["4.2", "4.9"],
    },
)
CAR_SERVICE = pooled(
    "car_service_interval",
    (
        lambda s: (
            f"What's included in the {s['interval']} service for a {s['year']} {s['model']} "
            f"with {s['miles']} miles on it?"
        ),
        lambda s: (
            f"My {s['year']} {s['model']} has done {s['miles']} miles and is due its "
            f"{s['interval']} service. What does that cover?"
        ),
        lambda s: (
            f"{cap(s['interval'])} service checklist for a {s['model']} ({s['year']}, "
            f"{s['miles']} miles), please."
        ),
    ),
    {
        "interval": ["interim", "full", "major"],
        "model": ["Ford Focus", "Toyota Yaris"],
        "year": ["2016", "2021"],
        "miles": ["36,000", "72,000"],
    },
)
TYRES = pooled(
    "tyre_pressure_axle",
    (
        lambda s: (
            f"What pressure should the {s['axle']} tyres of a {s['car']} be at when {s['load']}?"
        ),
        lambda s: f"When {s['load']}, what's the right {s['axle']} tyre pressure for a {s['car']}?",
        lambda s: f"{s['car']}, {s['axle']} tyres, {s['load']}: what pressure do I need?",
    ),
    {
        "axle": ["front", "rear"],
        "car": ["VW Golf", "Skoda Octavia estate", "Toyota RAV4"],
        "load": [
            "carrying only the driver",
            "fully loaded with a roof box",
            "towing a small caravan",
        ],
    },
)
UI_LOCALE = pooled(
    "ui_string_locale",
    (
        lambda s: (
            f'Localise the button label "{s["label"]}" into {s["locale"]}, in at most '
            f"{s['n']} characters."
        ),
        lambda s: (
            f'Translate the UI string "{s["label"]}" for {s["locale"]} users. It must fit in '
            f"{s['n']} characters."
        ),
        lambda s: (
            f'{s["locale"]} version of the button text "{s["label"]}", please, {s["n"]} '
            f"characters max."
        ),
    ),
    {
        "label": ["Add to basket", "Start free trial", "Sign out"],
        "locale": [
            "Brazilian Portuguese",
            "European Portuguese",
            "Canadian French",
            "Swiss German",
        ],
        "n": ["12", "20"],
    },
)

FAMILIES = (
    RETURNS,
    FARE,
    BAGGAGE,
    HOTEL,
    INCOTERM,
    PALLET,
    MORTGAGE,
    CAR_SERVICE,
    TYRES,
    UI_LOCALE,
)
