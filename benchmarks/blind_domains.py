"""Blind suite, domain families: modal verbs, tense, dates, clinical, legal, persona, output
format, programming language, German, French and maths prompts (written under the blindness
rules stated in `blind_families.py`).

Each family keeps every slot value verbatim in every template (rewordings are true rewordings);
`vary` changes one value: must/may/should, has changed/will change, 03/04 vs 04/03, left/right,
medial/lateral, partial/complete, which party pays, the persona, JSON/YAML/TOML,
Python/JavaScript, cancel/confirm/move in German, furnished/unfurnished in French, one exponent,
sign or function in an expression.
"""

from __future__ import annotations

from benchmarks.blind_pool import cap, pooled
from benchmarks.heldout_families import Slots


def _finding(s: Slots) -> str:
    return f"{cap(s['sev'])} tear of the {s['part']} of the {s['side']} knee."


CLINICAL = pooled(
    "clinical_side",
    (
        lambda s: f'Explain this MRI result to the patient in plain language: "{_finding(s)}"',
        lambda s: (
            f'Put this MRI finding into plain words a patient can understand: "{_finding(s)}"'
        ),
        lambda s: (
            f'"{_finding(s)}" - what does this MRI report mean, in simple terms for the patient?'
        ),
    ),
    {
        "side": ["left", "right"],
        "sev": ["partial", "complete"],
        "part": [
            ["medial meniscus", "lateral meniscus"],
            ["anterior cruciate ligament", "posterior cruciate ligament"],
        ],
    },
)
LEGAL = pooled(
    "legal_party",
    (
        lambda s: f"Draft a supply contract clause saying the {s['party']} pays for {s['cost']}.",
        lambda s: (
            f"Write a clause for our supply contract under which {s['cost']} is paid by the "
            f"{s['party']}."
        ),
        lambda s: (
            f"Supply contract drafting: a clause that makes the {s['party']} responsible for "
            f"paying {s['cost']}."
        ),
    ),
    {
        "party": ["supplier", "customer", "carrier"],
        "cost": ["shipping", "customs duties", "insurance in transit", "return shipping"],
    },
)
PERSONA = pooled(
    "persona_voice",
    (
        lambda s: f"Explain {s['topic']} as if you were {s['who']}.",
        lambda s: f"Pretend to be {s['who']} and explain {s['topic']}.",
        lambda s: f"In the voice of {s['who']}, tell me {s['topic']}.",
    ),
    {
        "who": [
            "a pirate",
            "a tax lawyer",
            "a kindergarten teacher",
            "a sports commentator",
            "a grumpy cat",
        ],
        "topic": [
            "how vaccines work",
            "why the sky is blue",
            "how compound interest works",
            "how tides work",
        ],
    },
    vary_keys=("who",),
)
_CONFIGS = [
    "service name api, port 8080, 3 replicas, debug off",
    "service name worker, port 9090, 1 replica, debug on",
    "service name gateway, port 443, 5 replicas, debug off",
]
FORMAT = pooled(
    "output_format",
    (
        lambda s: f"Convert this service configuration to {s['fmt']}: {s['cfg']}.",
        lambda s: f"Rewrite the following service configuration as {s['fmt']}: {s['cfg']}.",
        lambda s: f"Here is a service configuration: {s['cfg']}. Output it in {s['fmt']}.",
    ),
    {"fmt": ["JSON", "YAML", "TOML", "XML", "an INI file"], "cfg": _CONFIGS},
    vary_keys=("fmt",),
)
CODE_LANGUAGE = pooled(
    "code_language",
    (
        lambda s: f"Write a {s['lang']} function that {s['task']}.",
        lambda s: f"In {s['lang']}, write a function which {s['task']}.",
        lambda s: f"I need a function, written in {s['lang']}, that {s['task']}.",
    ),
    {
        "lang": ["Python", "JavaScript", "TypeScript", "Ruby", "Kotlin", "PHP"],
        "task": [
            "checks whether a string is a palindrome",
            "returns the n-th Fibonacci number",
            "removes duplicate items from a list while keeping order",
            "counts the vowels in a string",
        ],
    },
    vary_keys=("lang",),
)
GERMAN = pooled(
    "german_email",
    (
        lambda s: (
            f"Schreibe eine kurze E-Mail an {s['an']} zur {s['akt']} des Termins am {s['tag']}."
        ),
        lambda s: (
            f"Formuliere eine knappe E-Mail an {s['an']}: {s['akt']} des Termins am {s['tag']}."
        ),
        lambda s: (
            f"Ich brauche eine kurze E-Mail an {s['an']} wegen der {s['akt']} unseres Termins "
            f"am {s['tag']}."
        ),
    ),
    {
        "an": ["Frau Keller", "Herrn Brandt", "Frau Yilmaz", "Herrn Novak"],
        "akt": ["Absage", "Bestätigung", "Verschiebung"],
        "tag": ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag"],
    },
)


def _bien(s: Slots) -> str:
    """'appartement meublé' / 'maison meublée': the French adjective agrees with the noun."""
    suffix = "e" if s["bien"] == "maison" else ""
    return f"{'mon' if s['bien'] == 'appartement' else 'ma'} {s['bien']} {s['meuble']}{suffix}"


FRENCH = pooled(
    "french_listing",
    (
        lambda s: (
            f"Rédige une petite annonce pour louer {_bien(s)} de {s['n']} pièces à {s['ville']}."
        ),
        lambda s: (
            f"Écris une annonce de location pour {_bien(s)}, {s['n']} pièces, à {s['ville']}."
        ),
        lambda s: (
            f"J'ai besoin d'une petite annonce afin de mettre en location {_bien(s)} "
            f"({s['n']} pièces, {s['ville']})."
        ),
    ),
    {
        "bien": ["appartement", "maison"],
        "meuble": ["meublé", "non meublé"],
        "n": ["2", "3", "4", "5"],
        "ville": ["Lille", "Nantes", "Grenoble", "Rennes"],
    },
)
MATH = pooled(
    "math_expression",
    (
        lambda s: f"Find the {s['op']} of {s['expr']} and show the steps.",
        lambda s: f"Show step by step how to compute the {s['op']} of {s['expr']}.",
        lambda s: f"What is the {s['op']} of {s['expr']}? Please include the working.",
    ),
    {
        "op": ["derivative", "antiderivative"],
        "expr": [
            ["x^3 * sin(x)", "x^2 * sin(x)", "x^3 * cos(x)", "x^3 / sin(x)"],
            ["e^(2x) + ln(x)", "e^(3x) + ln(x)", "e^(2x) - ln(x)", "e^(-2x) + ln(x)"],
            ["(3x + 1)^4", "(3x - 1)^4", "(3x + 1)^5", "(x + 3)^4"],
        ],
    },
)

MODAL = pooled(
    "modal_obligation",
    (
        lambda s: f"Under {s['law']}, {s['modal']} an employer {s['act']}?",
        lambda s: f"{cap(s['modal'])} an employer {s['act']} according to {s['law']}?",
        lambda s: f"Question on {s['law']}: {s['modal']} an employer {s['act']}?",
    ),
    {
        "modal": ["must", "may", "should"],
        "law": ["German labour law", "the California Labor Code", "UK employment law"],
        "act": [
            "pay overtime to salaried staff",
            "give notice before a layoff",
            "provide a written contract",
            "record working hours",
        ],
    },
    vary_keys=("modal",),
)
TENSE = pooled(
    "tense_shift",
    (
        lambda s: f"Write a short paragraph on how {s['subj']} {s['tense']} {s['area']}.",
        lambda s: f"In one short paragraph, explain how {s['subj']} {s['tense']} {s['area']}.",
        lambda s: f"A brief paragraph please: how {s['subj']} {s['tense']} {s['area']}.",
    ),
    {
        "tense": ["has changed", "will change", "could change"],
        "subj": ["automation", "remote work", "online shopping", "ride sharing"],
        "area": ["small businesses", "city centres", "public transport"],
    },
    vary_keys=("tense",),
)


def _date_pairs() -> list[list[str]]:
    """Groups of two dates whose month and day are both <= 12: the same digits, swapped."""
    pairs = [(3, 4), (1, 12), (5, 7), (2, 11), (6, 9), (8, 10)]
    return [[f"{a:02d}/{b:02d}/2026", f"{b:02d}/{a:02d}/2026"] for a, b in pairs]


DATE_FORMAT = pooled(
    "date_day_month",
    (
        lambda s: f"How many days are there from {s['d1']} to {s['d2']}? Dates are month/day/year.",
        lambda s: f"Using month/day/year dates, count the days between {s['d1']} and {s['d2']}.",
        lambda s: f"Days between {s['d1']} and {s['d2']} (format MM/DD/YYYY)?",
    ),
    {"d1": _date_pairs()[:3], "d2": _date_pairs()[3:]},
)


FAMILIES = (
    MODAL,
    TENSE,
    DATE_FORMAT,
    CLINICAL,
    LEGAL,
    PERSONA,
    FORMAT,
    CODE_LANGUAGE,
    GERMAN,
    FRENCH,
    MATH,
)
