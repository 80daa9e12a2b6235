"""App-shaped prompt families for the cache correctness suite (`benchmarks/cache_adversarial.py`).

Each family has templates (every template of a family is a true rewording of the others: same
slots, same question), a slot generator, and a `vary` step that changes exactly one meaning-
bearing thing (one slot value, a polarity, two roles swapped, one middle sentence). Two prompts
with different slots must never share an answer; two templates with the same slots should.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from dataclasses import dataclass

Slots = dict[str, str]

FIRST = "Alice Maria Wei Omar Priya Lukas Sofia Kenji Amara Diego Hannah Tariq Elena Jonas".split()
LAST = "Johnson Garcia Chen Haddad Patel Novak Rossi Tanaka Okafor Silva Weber Khan Popescu".split()
CITIES = "Lisbon Nairobi Osaka Denver Krakow Austin Bergen Quito Hanoi Leeds Porto Perth".split()
LANGS = "French German Spanish Italian Japanese Portuguese Dutch Polish Turkish Korean".split()
PHRASES = [
    "good morning",
    "where is the train station",
    "I would like a coffee",
    "thank you very much",
    "the meeting is cancelled",
    "see you tomorrow",
    "how much does this cost",
    "please close the door",
    "my flight was delayed",
    "happy birthday",
]
UNITS = [
    ("kilometers", "miles"),
    ("kilograms", "pounds"),
    ("liters", "gallons"),
    ("meters", "feet"),
    ("Celsius", "Fahrenheit"),
    ("inches", "centimeters"),
]
EVENTS = ["FIFA World Cup", "Tour de France", "Wimbledon men's final", "Nobel Prize in Physics"]
DAYS = "Monday Tuesday Wednesday Thursday Friday".split()
FEATURES = [
    "dark mode",
    "two-factor authentication",
    "automatic updates",
    "location sharing",
    "Bluetooth",
    "notifications",
    "auto-renewal",
    "the screen lock",
]
DEVICES = "phone laptop tablet smart TV car watch".split()
SUBJECTS = [
    "autumn leaves",
    "the ocean at night",
    "a lost umbrella",
    "first snow",
    "a lighthouse keeper",
    "city traffic",
    "a sleeping cat",
    "morning coffee",
    "a desert storm",
    "an old violin",
    "spring rain",
    "a broken clock",
]
FORMS = ["haiku", "limerick", "short poem"]
OPS = ["+", "-", "*", "//", "%", "**"]
CODE = "```python\ndef f(x):\n    return x {op} {k}\n```"
FILLER = [
    "The quarterly review covered staffing, supplier contracts and the office move.",
    "Several teams reported that the new ticketing workflow reduced duplicate work.",
    "Facilities confirmed that the renovation of the second floor is on schedule.",
    "The security audit found no critical issues but recommended stricter key rotation.",
    "Customer satisfaction surveys were sent to all enterprise accounts in the period.",
    "Training sessions on the data retention policy were attended by most managers.",
    "The procurement team consolidated three vendors for cloud storage into one.",
    "Marketing shifted part of its budget from print campaigns to online events.",
    "An internal hackathon produced two prototypes that will be evaluated next quarter.",
    "Legal reviewed the updated terms of service and approved them without changes.",
    "The support backlog decreased steadily after weekend coverage was introduced.",
    "Finance noted that travel expenses stayed within the approved envelope.",
]
MIDDLE = [
    "The board decided to close the Denver office at the end of the year.",
    "The board decided to expand the Denver office at the end of the year.",
    "The board postponed any decision about the Denver office until spring.",
    "The board decided to close the Austin office at the end of the year.",
    "Management approved a hiring freeze for the engineering department.",
    "Management rejected the proposed hiring freeze for the engineering department.",
    "Management approved a hiring freeze for the sales department.",
    "The company will switch its payroll provider in the next quarter.",
]


@dataclass(frozen=True)
class Family:
    """A prompt family: templates (rewordings), a slot generator and a one-change variation."""

    name: str
    templates: tuple[str, ...]
    make: Callable[[random.Random], Slots]
    vary: Callable[[Slots, random.Random], Slots]

    def render(self, slots: Slots, template: int) -> str:
        """The prompt for `slots` in template number `template`."""
        return self.templates[template].format(**slots)


def _name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def _change(slots: Slots, key: str, new: Callable[[], str]) -> Slots:
    """Copy of `slots` with `key` set to a different value drawn from `new`."""
    for _ in range(100):
        value = new()
        if value != slots[key]:
            return {**slots, key: value}
    raise RuntimeError(f"could not vary slot {key}")


def _one_of(make: Callable[[random.Random], Slots]) -> Callable[[Slots, random.Random], Slots]:
    """Vary by changing one randomly chosen slot to a fresh value from the generator."""

    def vary(slots: Slots, rng: random.Random) -> Slots:
        key = rng.choice(sorted(slots))
        return _change(slots, key, lambda: make(rng)[key])

    return vary


def _ticket(rng: random.Random) -> Slots:
    tid = rng.choice(
        [
            "".join(rng.choices("0123456789abcdef", k=8)),
            f"TCK-{rng.randint(10000, 99999)}",
            f"INC{rng.randint(100000, 999999)}",
        ]
    )
    return {"id": tid, "user": _name(rng)}


def _order(rng: random.Random) -> Slots:
    return {"order": str(rng.randint(100000, 9999999)), "city": rng.choice(CITIES)}


def _units(rng: random.Random) -> Slots:
    a, b = rng.choice(UNITS)
    n = rng.choice([str(rng.randint(1, 500)), f"{rng.randint(1, 99)}.{rng.randint(1, 9)}"])
    return {"n": n, "u1": a, "u2": b}


def _vary_units(slots: Slots, rng: random.Random) -> Slots:
    if rng.random() < 0.5:  # the same number, the other direction
        return {**slots, "u1": slots["u2"], "u2": slots["u1"]}
    return _change(slots, "n", lambda: _units(rng)["n"])


def _year(rng: random.Random) -> Slots:
    return {"event": rng.choice(EVENTS), "year": str(rng.randint(1960, 2023))}


def _vary_year(slots: Slots, rng: random.Random) -> Slots:
    return _change(slots, "year", lambda: str(int(slots["year"]) + rng.choice([-2, -1, 1, 4])))


def _email(rng: random.Random) -> Slots:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    domain = rng.choice(["example.com", "acme.io", "corp.example.org"])
    return {
        "name": f"{first} {last}",
        "email": f"{first.lower()}.{last.lower()}{rng.randint(1, 99)}@{domain}",
        "day": rng.choice(DAYS),
    }


def _translate(rng: random.Random) -> Slots:
    return {"phrase": rng.choice(PHRASES), "lang": rng.choice(LANGS)}


def _code(rng: random.Random) -> Slots:
    return {"op": rng.choice(OPS), "k": str(rng.randint(2, 9)), "v": str(rng.randint(10, 99))}


def _vary_code(slots: Slots, rng: random.Random) -> Slots:
    key = rng.choice(["op", "k"])
    return _change(slots, key, lambda: _code(rng)[key])


def _document(rng: random.Random) -> Slots:
    filler = rng.sample(FILLER, len(FILLER))
    head = " ".join(filler[:8])
    tail = " ".join(filler[8:] + filler[:4])
    return {"head": head, "mid": rng.choice(MIDDLE), "tail": tail}


def _vary_document(slots: Slots, rng: random.Random) -> Slots:
    return _change(slots, "mid", lambda: rng.choice(MIDDLE))


def _roles(rng: random.Random) -> Slots:
    a, b = rng.sample(FIRST, 2)
    return {
        "a": a,
        "b": b,
        "topic": rng.choice(["a missed deadline", "a salary raise", "a new project"]),
    }


def _swap_roles(slots: Slots, rng: random.Random) -> Slots:
    return {**slots, "a": slots["b"], "b": slots["a"]}


def _polarity(rng: random.Random) -> Slots:
    return {
        "on": rng.choice(["on", "off"]),
        "feature": rng.choice(FEATURES),
        "device": rng.choice(DEVICES),
    }


def _flip(slots: Slots, rng: random.Random) -> Slots:
    return {**slots, "on": "off" if slots["on"] == "on" else "on"}


def _creative(rng: random.Random) -> Slots:
    return {"form": rng.choice(FORMS), "subject": rng.choice(SUBJECTS)}


def _vary_subject(slots: Slots, rng: random.Random) -> Slots:
    return _change(slots, "subject", lambda: rng.choice(SUBJECTS))


def _meeting(rng: random.Random) -> Slots:
    month = rng.choice("January February March April May June July August September".split())
    return {
        "date": f"{month} {rng.randint(1, 28)}",
        "time": f"{rng.randint(8, 17)}:{rng.choice(['00', '15', '30', '45'])}",
        "room": f"room {rng.choice(string.ascii_uppercase)}{rng.randint(1, 4)}",
    }


FAMILIES: tuple[Family, ...] = (
    Family(
        "ticket_id",
        (
            "Summarize support ticket {id} opened by {user}.",
            "Give me a short summary of ticket {id}, which was opened by {user}.",
            "Can you summarize the support ticket {id} that {user} opened?",
        ),
        _ticket,
        _one_of(_ticket),
    ),
    Family(
        "order_number",
        (
            "What is the status of order #{order} shipped to {city}?",
            "Where is my order #{order} that ships to {city}? What's its status?",
            "Check the delivery status of order #{order} going to {city}.",
        ),
        _order,
        _one_of(_order),
    ),
    Family(
        "units",
        (
            "Convert {n} {u1} to {u2}.",
            "How many {u2} are in {n} {u1}?",
            "What is {n} {u1} in {u2}?",
        ),
        _units,
        _vary_units,
    ),
    Family(
        "year",
        (
            "Who won the {event} in {year}?",
            "Which team or person won the {event} in the year {year}?",
            "Tell me who the winner of the {event} was in {year}.",
        ),
        _year,
        _vary_year,
    ),
    Family(
        "email_people",
        (
            "Write a short email to {name} at {email} asking to move our meeting to {day}.",
            "Draft a brief email for {name} ({email}) asking to reschedule our meeting to {day}.",
            "Compose a short message to {name}, address {email}, to move our meeting to {day}.",
        ),
        _email,
        _one_of(_email),
    ),
    Family(
        "translate_quote",
        (
            'Translate "{phrase}" into {lang}.',
            'How do you say "{phrase}" in {lang}?',
            'What is the {lang} translation of "{phrase}"?',
        ),
        _translate,
        _one_of(_translate),
    ),
    Family(
        "code_operator",
        (
            "What does this function return for x = {v}?\n" + CODE,
            "For x = {v}, what is the return value of the following code?\n" + CODE,
            CODE + "\nWhat will f({v}) return?",
        ),
        _code,
        _vary_code,
    ),
    Family(
        "long_document",
        (
            "Summarize the following report in three bullet points.\n\n{head} {mid} {tail}",
            "Give me a three-bullet summary of this report.\n\n{head} {mid} {tail}",
            "{head} {mid} {tail}\n\nSummarize the report above in three bullet points.",
        ),
        _document,
        _vary_document,
    ),
    Family(
        "swapped_roles",
        (
            "Write a short letter from {a} to {b} about {topic}.",
            "Compose a brief letter that {a} sends to {b} about {topic}.",
            "Draft a short letter about {topic}, written by {a} and addressed to {b}.",
        ),
        _roles,
        _swap_roles,
    ),
    Family(
        "polarity",
        (
            "How do I turn {on} {feature} on my {device}?",
            "What are the steps to turn {on} {feature} on my {device}?",
            "Explain how to turn {on} {feature} on my {device}.",
        ),
        _polarity,
        _flip,
    ),
    Family(
        "creative",
        (
            "Write a {form} about {subject}.",
            "Compose a {form} about {subject}.",
            "Can you write me a {form} about {subject}?",
        ),
        _creative,
        _vary_subject,
    ),
    Family(
        "meeting_datetime",
        (
            "Book {room} for a meeting on {date} at {time}.",
            "Please reserve {room} for a meeting on {date} at {time}.",
            "I need {room} booked for a meeting at {time} on {date}.",
        ),
        _meeting,
        _one_of(_meeting),
    ),
)
