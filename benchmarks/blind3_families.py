"""Third blind suite: app-shaped prompt families for an honest generalization check of the cache.

The first two blind suites were used to change the cache, so neither is blind any more. This one
checks the day's fixes on families and pairs their authors never saw.

Blindness rules (kept while writing this module and its helpers `blind3_home.py`,
`blind3_tech.py`, `blind3_culture.py`):
- its author did **not** open, grep or diff any `cache/*.py`, read the git log or diffs of
  `cache/`, or open anything under `benchmarks/results/`;
- of `docs/cache_quality.md` only the *family lists* of the "Blind suite" and "Second blind
  suite" sections were read (not their result tables or wrong-hit lists, nor any other section);
- only the interface, runner and tests were read to reuse them (`heldout_families.py`,
  `heldout_scoring.py`, `heldout_e2e.py`, `cache_heldout.py`, `blind_report.py`,
  `blind_pool.py`, `tests/test_blind_suite.py`, `tests/test_blind2_suite.py`) and the earlier
  suites' family code (held-out, blind, blind2), to pick **other domains and other kinds of
  meaning-bearing change**; `tests/test_blind3_suite.py` checks mechanically that no template
  here shares a four-word run with a held-out, blind, blind2 or adversarial template (the
  adversarial ones compared programmatically, unread);
- the suite was committed and landed on main before it ever ran against the cache; the lead runs
  it once on the final code. Whoever tunes the cache on its results makes it no longer blind.

Each family renders template 0 (the stored wording) and true rewordings that keep every slot
value word for word; `vary` changes exactly one meaning-bearing slot, and the scorer asks each
variant in the stored wording (one word or number changed inside otherwise identical text) and
in a rewording. About half the varied slots are ORDINARY words or short phrases (a room, a light
scene, heat/cool/eco, a peril, a season, a soil, an animal, a symptom, for sale/to rent, a
cooking method, a body part, an operating system, a user group, an action, a sign-in factor, a
log environment, a git operation, an assistive technology, a platform, an instrument, a quiz
difficulty, a channel, an audience job title, a clause type, a shipping speed, a character
class, a game mode, a genre, a narrator's job, a transfer direction, a travel mode, something to
avoid, a sofa colour, a floor material, an interview format, a seniority, a job title, two
materials, indoors/outdoors, a relation, a hobby); the rest are numbers, names and IDs (a time,
a temperature, bedrooms, a cloud region and size, a file format, a log level, a branch name, a
manifest value, an OBD-II code, a club, a season, a key, a tempo, a parcel weight, an amount).
"""

from __future__ import annotations

from benchmarks import blind3_culture, blind3_home, blind3_tech
from benchmarks.blind_pool import pooled
from benchmarks.heldout_families import Family

TRANSFER = pooled(
    "transfer_direction",
    (
        lambda s: f"Transfer {s['amount']} {s['direction']} {s['when']}.",
        lambda s: f"Set up a transfer of {s['amount']} {s['direction']}, {s['when']}.",
        lambda s: f"Please move {s['amount']} {s['direction']} {s['when']}.",
    ),
    {
        "direction": ["from savings to checking", "from checking to savings"],
        "amount": ["$250", "$1,200", "$4,000"],
        "when": ["every Friday", "on the 1st of each month", "once, tomorrow"],
    },
)
ROUTE = pooled(
    "route_mode_avoid",
    (
        lambda s: (
            f"Give me directions from my hotel to {s['dest']} {s['mode']}, avoiding {s['avoid']}."
        ),
        lambda s: (
            f"How do I get {s['mode']} from my hotel to {s['dest']} while avoiding {s['avoid']}?"
        ),
        lambda s: f"Route request: my hotel to {s['dest']}, {s['mode']}, avoid {s['avoid']}.",
    ),
    {
        "dest": ["the train station", "the city library", "the old harbour"],
        "mode": ["on foot", "by bike", "by wheelchair"],
        "avoid": ["steep hills", "busy roads", "stairs"],
    },
)
PAINT = pooled(
    "wall_colour_match",
    (
        lambda s: (
            f"What wall colour goes with a {s['sofa']} sofa and {s['floor']} floors in a small "
            f"{s['room']}?"
        ),
        lambda s: (
            f"In a small {s['room']} with {s['floor']} floors and a {s['sofa']} sofa, which wall "
            f"colour would work?"
        ),
        lambda s: (
            f"Paint advice: small {s['room']}, {s['sofa']} sofa, {s['floor']} floors. What "
            f"colour for the walls?"
        ),
    ),
    {
        "sofa": ["mustard", "forest green", "terracotta", "charcoal"],
        "floor": ["light oak", "dark walnut", "grey tile"],
        "room": ["living room", "study"],
    },
    vary_keys=("sofa", "floor"),
)
INTERVIEW = pooled(
    "interview_questions_role",
    (
        lambda s: f"List {s['n']} {s['format']} interview questions for a {s['level']} {s['job']}.",
        lambda s: (
            f"What {s['n']} {s['format']} questions should I ask when interviewing a "
            f"{s['level']} {s['job']}?"
        ),
        lambda s: (
            f"Interview prep: {s['n']} {s['format']} questions, the candidate is a {s['level']} "
            f"{s['job']}."
        ),
    ),
    {
        "n": ["5", "8"],
        "format": ["behavioural", "technical"],
        "level": ["junior", "senior"],
        "job": ["pastry chef", "data engineer", "dental hygienist", "air traffic controller"],
    },
    vary_keys=("format", "level", "job"),
)
GLUE = pooled(
    "glue_materials",
    (
        lambda s: f"Which glue should I use to bond {s['a']} to {s['b']} {s['where']}?",
        lambda s: f"What's the right adhesive for sticking {s['a']} to {s['b']} {s['where']}?",
        lambda s: f"Bonding {s['a']} to {s['b']}, {s['where']}: which glue works best?",
    ),
    {
        "a": ["wood", "glass", "ceramic", "aluminium"],
        "b": ["leather", "rubber", "concrete", "PVC"],
        "where": ["indoors", "outdoors"],
    },
)
GIFT = pooled(
    "gift_relation_hobby",
    (
        lambda s: (
            f"Suggest a gift under ${s['budget']} for my {s['relation']} who loves {s['hobby']}."
        ),
        lambda s: (
            f"My {s['relation']} loves {s['hobby']}. What could I give them for less than "
            f"${s['budget']}?"
        ),
        lambda s: (
            f"Gift ideas, budget under ${s['budget']}: for my {s['relation']}, who loves "
            f"{s['hobby']}."
        ),
    ),
    {
        "relation": ["mother-in-law", "nephew", "manager", "grandfather", "best friend"],
        "hobby": ["birdwatching", "baking", "chess", "cycling"],
        "budget": ["30", "75"],
    },
    vary_keys=("relation", "hobby"),
)

FAMILIES: tuple[Family, ...] = (
    TRANSFER,
    ROUTE,
    PAINT,
    INTERVIEW,
    GLUE,
    GIFT,
    *blind3_home.FAMILIES,
    *blind3_tech.FAMILIES,
    *blind3_culture.FAMILIES,
)
