"""Held-out app-shaped prompt families, written independently of `adversarial_families.py`.

Each `Family` renders a prompt from slot values in several templates (template 0 is what gets
stored; the others are true rewordings with the same slots) and `vary` makes one
meaning-bearing change (a column, a colour, a dose, a time zone, a flipped "do not", two swapped
operands, a changed middle paragraph ...). A prompt with different slots must never be served
another prompt's answer; a rewording with the same slots should be.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Slots = dict[str, Any]
Render = Callable[[Slots], str]


@dataclass(frozen=True)
class Family:
    name: str
    templates: tuple[Render, ...]
    sample: Callable[[random.Random], Slots]
    vary: Callable[[Slots, random.Random], Slots]

    def render(self, slots: Slots, template: int) -> str:
        return self.templates[template](slots)


def _change(slots: Slots, rng: random.Random, pools: dict[str, list[Any]]) -> Slots:
    """Copy of `slots` with one key (chosen at random) set to a different pool value."""
    key = rng.choice(sorted(pools))
    out = dict(slots)
    out[key] = rng.choice([v for v in pools[key] if v != slots[key]])
    return out


def _family(name: str, templates: tuple[Render, ...], pools: dict[str, list[Any]]) -> Family:
    def sample(rng: random.Random) -> Slots:
        return {k: rng.choice(v) for k, v in pools.items()}

    return Family(name, templates, sample, lambda s, rng: _change(s, rng, pools))


COLUMNS = ["email", "created_at", "last_login", "country", "plan", "revenue", "signup_source"]
TABLES = ["users", "orders", "invoices", "customers", "subscriptions"]
CITIES = ["Lisbon", "Denver", "Osaka", "Nairobi", "Toronto", "Lyon", "Austin", "Perth"]
NAMES = ["Maria Lopez", "Kenji Sato", "Priya Nair", "Tom Becker", "Aisha Bello", "Lars Holm"]
FIRST = ["Maria", "Kenji", "Priya", "Tom", "Aisha", "Lars", "Chloe", "Omar", "Ines", "Ravi"]
COLOURS = ["red", "blue", "black", "green", "white", "navy", "beige", "grey"]
SIZES = ["S", "M", "L", "XL", "XXL"]
PRODUCTS = ["running jacket", "hiking boot", "wool sweater", "rain coat", "denim shirt"]
DRUGS = ["ibuprofen", "paracetamol", "amoxicillin", "metformin", "lisinopril", "cetirizine"]
ZONES = ["Tokyo", "London", "New York", "Sydney", "Berlin", "Mumbai", "Sao Paulo", "Chicago"]
CURR = ["USD", "EUR", "GBP", "JPY", "CHF", "INR", "CAD", "AUD"]
PKGS = ["numpy", "react", "django", "kubernetes", "postgres", "pandas"]
TICKERS = ["AAPL", "MSFT", "NVDA", "TSLA", "AMZN", "GOOGL", "META", "NFLX"]
ITEMS = ["blender", "coffee maker", "desk lamp", "headphones", "backpack", "kettle"]
SENTENCES = [
    "The train leaves at noon",
    "Please close the window",
    "My sister lives in the city",
    "We need more coffee",
    "The meeting was cancelled",
    "I lost my keys yesterday",
    "The soup is too salty",
]
LANGS = ["French", "German", "Spanish", "Italian", "Portuguese", "Japanese"]
TOPICS = ["inflation", "deforestation", "the French Revolution", "obesity", "traffic jams"]
EXCLUDE = ["politics", "statistics", "examples", "economic factors", "historical dates"]
TECH = ["Python", "Rust", "Go", "Java", "JavaScript", "C++", "Haskell"]
USES = ["web servers", "data science", "embedded systems", "command-line tools"]
COUNTRIES = ["Francia", "Alemania", "Portugal", "Noruega", "Chile", "Egipto", "Vietnam"]
FOODS = ["rice", "pasta", "chicken breast", "salmon", "oatmeal", "almonds", "potatoes"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]


def _nums(lo: int, hi: int, step: int = 1) -> list[int]:
    return list(range(lo, hi, step))


SQL = _family(
    "sql",
    (
        lambda s: (
            f"Write a SQL query that selects {s['col']} from the {s['table']} table "
            f"where id = {s['id']}."
        ),
        lambda s: (
            f"Give me SQL to get {s['col']} from table {s['table']} for the row with id {s['id']}."
        ),
        lambda s: (
            f"SQL please: fetch the {s['col']} column of {s['table']} where the id is {s['id']}."
        ),
    ),
    {"col": COLUMNS, "table": TABLES, "id": _nums(100, 999, 7)},
)
JSON_EXTRACT = _family(
    "json_extract",
    (
        lambda s: (
            f'Extract name, age and city as JSON from: "{s["name"]} is {s["age"]} years '
            f'old and lives in {s["city"]}."'
        ),
        lambda s: (
            f"Return a JSON object with the name, age and city in this sentence: "
            f'"{s["name"]} is {s["age"]} years old and lives in {s["city"]}."'
        ),
    ),
    {"name": NAMES, "age": _nums(18, 90), "city": CITIES},
)
PRODUCT = _family(
    "product_variant",
    (
        lambda s: f"Is the {s['colour']} {s['product']} in size {s['size']} in stock?",
        lambda s: (
            f"Do you have the {s['product']} in {s['colour']}, size {s['size']}, "
            f"available right now?"
        ),
        lambda s: f"Check stock for {s['product']}, colour {s['colour']}, size {s['size']}.",
    ),
    {"colour": COLOURS, "product": PRODUCTS, "size": SIZES},
)
ADDRESS = _family(
    "address",
    (
        lambda s: (
            f"How long does standard delivery take to {s['num']} Oak Street, "
            f"{s['city']} {s['zip']}?"
        ),
        lambda s: (
            f"What's the shipping time for standard delivery to {s['num']} Oak Street, "
            f"{s['city']} {s['zip']}?"
        ),
    ),
    {
        "num": _nums(1, 400, 3),
        "city": CITIES,
        "zip": [f"{z:05d}" for z in _nums(10000, 99999, 977)],
    },
)
DOSAGE = _family(
    "dosage",
    (
        lambda s: f"Is {s['dose']} mg of {s['drug']} twice a day a safe dose for an adult?",
        lambda s: f"Would taking {s['drug']} {s['dose']} mg two times daily be safe for an adult?",
    ),
    {"dose": [5, 10, 20, 50, 100, 200, 250, 400, 500, 1000], "drug": DRUGS},
)
TIMEZONE = _family(
    "timezone",
    (
        lambda s: f"If it is {s['time']} in {s['a']}, what time is it in {s['b']}?",
        lambda s: f"What is the time in {s['b']} when it's {s['time']} in {s['a']}?",
    ),
    {
        "time": [
            f"{h}:{m:02d} {p}" for h in (1, 3, 7, 9, 11) for m in (0, 30) for p in ("am", "pm")
        ],
        "a": ZONES[:4],
        "b": ZONES[4:],
    },
)
CURRENCY = _family(
    "currency",
    (
        lambda s: f"Convert {s['amount']} {s['src']} to {s['dst']}.",
        lambda s: f"How much is {s['amount']} {s['src']} in {s['dst']}?",
        lambda s: f"What do {s['amount']} {s['src']} come to in {s['dst']}?",
    ),
    {"amount": [10, 25, 50, 75, 100, 250, 500, 1000, 1500], "src": CURR[:4], "dst": CURR[4:]},
)
VERSION = _family(
    "version",
    (
        lambda s: f"What changed in {s['pkg']} v{s['ver']} compared to the previous release?",
        lambda s: (
            f"What are the changes in {s['pkg']} version {s['ver']} versus the release before it?"
        ),
    ),
    {"pkg": PKGS, "ver": [f"{a}.{b}.{c}" for a in (1, 2) for b in (2, 4) for c in (3, 4, 5)]},
)
TICKER = _family(
    "ticker",
    (
        lambda s: f"Summarize the latest quarterly earnings of {s['t']} in one paragraph.",
        lambda s: f"Give me a one-paragraph summary of {s['t']}'s most recent quarterly earnings.",
    ),
    {"t": TICKERS},
)
SUPPORT = _family(
    "support_chat",
    (
        lambda s: (
            f"Customer {s['name']} says the {s['item']} they ordered arrived broken. Write "
            f"a short, polite reply to {s['name']} offering a replacement."
        ),
        lambda s: (
            f"Draft a brief polite answer to {s['name']}, whose {s['item']} was delivered "
            f"broken, offering to send a replacement."
        ),
    ),
    {"name": FIRST, "item": ITEMS},
)
TRANSLATE = _family(
    "translate",
    (
        lambda s: f"Translate into {s['lang']}: {s['text']}.",
        lambda s: f"How do you say '{s['text']}' in {s['lang']}?",
    ),
    {"lang": LANGS, "text": SENTENCES},
)
CALORIES = _family(
    "calories",
    (
        lambda s: f"How many calories are in {s['g']} grams of {s['food']}?",
        lambda s: f"What is the calorie count of {s['g']} g of {s['food']}?",
    ),
    {"g": [50, 100, 150, 200, 250, 300], "food": FOODS},
)
MEETING = _family(
    "meeting",
    (
        lambda s: (
            f"Write a short email inviting the team to a planning meeting on "
            f"{s['day']} at {s['hour']} pm."
        ),
        lambda s: (
            f"Draft a brief email that invites the team to a planning meeting, "
            f"{s['day']} at {s['hour']} pm."
        ),
    ),
    {"day": WEEKDAYS, "hour": [1, 2, 3, 4, 5]},
)
MULTILINGUAL = _family(
    "multilingual",
    (
        lambda s: f"¿Cuál es la capital de {s['c']} y cuántos habitantes tiene?",
        lambda s: f"Dime la capital de {s['c']} y su número de habitantes.",
    ),
    {"c": COUNTRIES},
)


def _flip(key: str) -> Callable[[Slots, random.Random], Slots]:
    def vary(slots: Slots, rng: random.Random) -> Slots:
        return {**slots, key: not slots[key]}

    return vary


def _neg(s: Slots, yes: str, no: str) -> str:
    return no if s["neg"] else yes


NEGATION = Family(
    "negation",
    (
        lambda s: (
            f"List the main causes of {s['topic']} and "
            f"{_neg(s, 'include', 'do not include')} {s['x']}."
        ),
        lambda s: (
            f"What are the main causes of {s['topic']}? Please "
            f"{_neg(s, 'include', 'leave out')} {s['x']}."
        ),
    ),
    lambda rng: {"topic": rng.choice(TOPICS), "x": rng.choice(EXCLUDE), "neg": rng.random() < 0.5},
    _flip("neg"),
)


def _swap_or_change(slots: Slots, rng: random.Random) -> Slots:
    if rng.random() < 0.5:
        return {**slots, "a": slots["b"], "b": slots["a"]}
    return {**slots, "b": rng.choice([t for t in TECH if t not in (slots["a"], slots["b"])])}


def _two_techs(rng: random.Random) -> Slots:
    a, b = rng.sample(TECH, 2)
    return {"a": a, "b": b, "use": rng.choice(USES)}


COMPARISON = Family(
    "comparison_direction",
    (
        lambda s: f"Explain why someone would migrate from {s['a']} to {s['b']} for {s['use']}.",
        lambda s: f"For {s['use']}, what are the reasons to move from {s['a']} to {s['b']}?",
    ),
    _two_techs,
    _swap_or_change,
)

CLAUSES = [
    "The tenant may keep one small pet with the landlord's written consent.",
    "The tenant may not sublet any part of the premises without written consent.",
    "The landlord is responsible for all repairs to the heating system.",
    "The tenant is responsible for all repairs to the heating system.",
    "Either party may end this agreement with two months' written notice.",
    "This agreement may only be ended by the landlord, with three months' notice.",
    "Rent is payable in advance on the first working day of each month.",
    "Smoking is permitted on the balcony but not inside the flat.",
]
_FILLER = (
    "This residential tenancy agreement is made between the landlord and the tenant named in "
    "the schedule. The premises are let furnished, together with the use of the shared garden "
    "and the bicycle store, and the tenant shall use them as a private dwelling only. The tenant "
    "shall keep the interior in good and clean condition, fair wear and tear excepted, and shall "
    "not make alterations without consent. The landlord shall insure the building and keep the "
    "structure and exterior in repair. Notices may be served by post or by hand at the premises. "
)


def _doc(s: Slots) -> str:
    head = _FILLER * 3
    tail = (
        "The deposit is protected by an approved scheme and is returned within ten days of "
        "the end of the tenancy, less any agreed deductions. " + _FILLER * 2
    )
    return head + CLAUSES[s["clause"]] + " " + tail


LONG_DOC = Family(
    "long_doc_middle",
    (
        lambda s: "Summarize the obligations of the tenant in this lease:\n\n" + _doc(s),
        lambda s: "What does this lease require of the tenant? Summarize.\n\n" + _doc(s),
    ),
    lambda rng: {"clause": rng.randrange(len(CLAUSES))},
    lambda s, rng: {"clause": rng.choice([i for i in range(len(CLAUSES)) if i != s["clause"]])},
)

FAMILIES: tuple[Family, ...] = (
    SQL,
    JSON_EXTRACT,
    PRODUCT,
    ADDRESS,
    DOSAGE,
    TIMEZONE,
    CURRENCY,
    VERSION,
    TICKER,
    SUPPORT,
    TRANSLATE,
    CALORIES,
    MEETING,
    MULTILINGUAL,
    NEGATION,
    COMPARISON,
    LONG_DOC,
)
