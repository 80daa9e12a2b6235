"""A simulated day of app traffic whose right answers are known: QQP topics plus templated apps.

- QQP topics: every question of ``../shared/data/pairs/qqp_*.jsonl`` gets a meaning (union-find
  over label-1 pairs). A random sample of pairs (both labels, so look-alike questions that mean
  something else come along) gives the topics; requests pick a topic by Zipf popularity and one
  of its questions uniformly (a paraphrase or a repeat). Scope ``qqp``.
- Templated families (scope ``app``): a few app templates with 2-3 wordings each and slot values
  (order ids, amounts, cities, dates, e-mails, phrases, numbers) drawn by Zipf from a pool, so
  the same slot values recur (right hits) and near-identical prompts differ only in a slot
  (wrong hits unless the cache sees the slot).
``build_day(n, seed)`` returns the requests and an ``Oracle`` that knows every meaning.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass

from benchmarks.workloads import QQP_FILES, _read_pairs, _UnionFind, data_dir, zipf_weights
from sidecar.mock_oracle import Oracle

CITIES = "Paris Lyon Berlin Munich Madrid Lisbon Oslo Vienna Prague Dublin Rome Milan".split()
LANGS = "French German Spanish Italian Portuguese Dutch".split()
PHRASES = [
    "good morning",
    "thank you very much",
    "where is the station",
    "I am hungry",
    "see you tomorrow",
    "how much does it cost",
    "the bill please",
    "I love this city",
]
UNITS = [
    ("miles", "kilometers"),
    ("pounds", "kilograms"),
    ("inches", "centimeters"),
    ("gallons", "liters"),
    ("feet", "meters"),
]
# family -> wordings; {slot} marks a slot (the oracle's regex captures it by name).
FAMILIES: dict[str, list[str]] = {
    "order_status": [
        "What is the status of order {id}?",
        "Where is my order {id}?",
        "Can you tell me the status of order number {id}?",
    ],
    "refund": [
        "I want a refund of ${amount} for order {id}.",
        "Please refund ${amount} on order {id}.",
    ],
    "weather": [
        "What's the weather in {city} on {date}?",
        "Weather forecast for {city} on {date}?",
    ],
    "reset": ["Reset the password for {email}.", "Send a password reset link to {email}."],
    "translate": ['Translate "{phrase}" into {lang}.', 'How do you say "{phrase}" in {lang}?'],
    "convert": ["Convert {n} {a} to {b}.", "How many {b} are in {n} {a}?"],
}


@dataclass(frozen=True, slots=True)
class Request:
    """One simulated request: the prompt, its scope and its true meaning."""

    text: str
    scope: str
    meaning: str


def _slots(family: str, rng: random.Random) -> dict[str, str]:
    if family in ("order_status", "refund"):
        out = {"id": str(rng.randint(100000, 999999))}
        if family == "refund":
            out["amount"] = f"{rng.randint(5, 400)}.{rng.choice(['00', '50', '99'])}"
        return out
    if family == "weather":
        return {
            "city": rng.choice(CITIES),
            "date": f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        }
    if family == "reset":
        name = rng.choice(["ana", "bo", "chen", "dev", "eli"])
        return {"email": f"{name}{rng.randint(1, 99)}@example.com"}
    if family == "translate":
        return {"phrase": rng.choice(PHRASES), "lang": rng.choice(LANGS)}
    a, b = rng.choice(UNITS)
    return {"n": str(rng.randint(1, 500)), "a": a, "b": b}


def _pattern(wording: str) -> str:
    """A wording as a regex: literal text, each {slot} a named group."""
    out, rest = "", wording
    while "{" in rest:
        head, _, tail = rest.partition("{")
        name, _, rest = tail.partition("}")
        out += re.escape(head) + f"(?P<{name}>.+?)"
    return out + re.escape(rest)


def qqp_topics(n_pairs: int, seed: int) -> tuple[list[list[str]], Oracle]:
    """Topics (questions sharing one meaning) from a random sample of QQP pairs."""
    pairs = list(_read_pairs([data_dir() / f for f in QQP_FILES]))
    uf = _UnionFind()
    members: dict[str, set[str]] = {}
    for a, b, label in pairs:
        a, b = a.strip(), b.strip()
        uf.find(a), uf.find(b)
        if label == 1 and a != b:
            uf.union(a, b)
    for q in uf.parent:
        members.setdefault(uf.find(q), set()).add(q)
    rng = random.Random(seed)
    roots: dict[str, None] = {}
    for a, b, _ in rng.sample(pairs, n_pairs):
        roots.setdefault(uf.find(a.strip()), None)
        roots.setdefault(uf.find(b.strip()), None)
    topics = [sorted(members[r]) for r in roots]
    oracle = Oracle()
    for root in members:  # every question: a look-alike outside the sample is known too
        for q in members[root]:
            oracle.register(q, f"qqp:{hashlib.blake2b(root.encode(), digest_size=8).hexdigest()}")
    return topics, oracle


def build_day(
    n: int,
    seed: int = 7,
    *,
    qqp_pairs: int = 3000,
    templated_share: float = 0.3,
    zipf_s: float = 1.0,
    slot_pool: int = 400,
) -> tuple[list[Request], Oracle]:
    """``n`` requests of a simulated day and the oracle that knows their meanings."""
    topics, oracle = qqp_topics(qqp_pairs, seed)
    for family, wordings in FAMILIES.items():
        oracle.add_family(family, [_pattern(w) for w in wordings])
    rng = random.Random(seed + 1)
    rng.shuffle(topics)
    topic_cum = zipf_weights(len(topics), zipf_s)
    families = list(FAMILIES)
    pool = [(f, _slots(f, rng)) for f in families for _ in range(slot_pool // len(families))]
    rng.shuffle(pool)
    pool_cum = zipf_weights(len(pool), zipf_s)
    out: list[Request] = []
    for _ in range(n):
        if rng.random() < templated_share:
            family, slots = rng.choices(pool, cum_weights=pool_cum)[0]
            text = rng.choice(FAMILIES[family]).format(**slots)
            out.append(Request(text, "app", oracle.meaning(text)))
        else:
            topic: Sequence[str] = rng.choices(topics, cum_weights=topic_cum)[0]
            text = rng.choice(topic)
            out.append(Request(text, "qqp", oracle.meaning(text)))
    return out, oracle
