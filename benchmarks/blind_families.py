"""Blind app-shaped prompt families: a third, fresh correctness suite for the semantic cache.

Written blind, on purpose. While writing this suite its author did **not** open or grep
`cache/verifier.py`, `cache/guard.py`, `cache/slots.py`, `cache/train_templates.py`,
`cache/train_verifier.py`, `benchmarks/adversarial_families.py` or the parts of
`docs/cache_quality.md` that describe the guard and verifier rules; only the held-out suite
(`heldout_families.py`, `cache_heldout.py`, `heldout_scoring.py`) was read, to reuse its `Family`
interface and runner and to make these families *different* from it (new domains, new kinds of
meaning-bearing change). `tests/test_blind_suite.py` checks mechanically that no template here
shares a four-word run with the held-out or the adversarial templates. Whoever tunes the cache
on this suite's results makes it no longer blind; the next review needs a fresh one.

Each family renders template 0 (the stored wording) and true rewordings that keep every slot
value verbatim; `vary` makes one meaning-bearing change: a label set, an identifier or literal in
code, a spelled-out count, an ordinal, a fraction, one shell flag, one regex character, a time
range, a superlative, a quantifier, a modal verb, a tense, a day/month swap, left/right or
medial/lateral, the party that pays, an appended instruction, a persona, a summary length, an
output format or language, German and French prompts, a clause at the start or end of a long
e-mail. Long-text families live in `benchmarks/blind_documents.py`.
"""

from __future__ import annotations

from benchmarks import blind_documents, blind_domains
from benchmarks.blind_pool import cap, pooled
from benchmarks.heldout_families import Family, Slots

RAG = pooled(
    "rag_doc_section",
    (
        lambda s: (
            f"Using only the {s['doc']}, section {s['sec']}, what are the rules on {s['topic']}?"
        ),
        lambda s: (
            f"What does section {s['sec']} of the {s['doc']} say about {s['topic']}? "
            f"Answer only from that document."
        ),
        lambda s: (
            f"Look up {s['topic']} in the {s['doc']} (section {s['sec']}) and tell me the "
            f"rules it sets."
        ),
    ),
    {
        "doc": [
            "Northwind employee handbook",
            "Contoso travel policy",
            "Fabrikam security standard",
            "Globex procurement guide",
        ],
        "sec": ["2.1", "2.3", "3.4", "4.2", "5.1", "6.7"],
        "topic": ["parental leave", "expense approval", "password rotation", "overtime pay"],
    },
)
LABELS = pooled(
    "label_classify",
    (
        lambda s: (
            f"Classify this message with exactly one label from [{s['labels']}] and reply with "
            f'the label only. Message: "{s["text"]}"'
        ),
        lambda s: (
            f"Reply with only the label: which single label from [{s['labels']}] fits the "
            f'message "{s["text"]}"?'
        ),
        lambda s: (
            f'Message: "{s["text"]}"\nChoose one label for it from [{s["labels"]}]; answer '
            f"with just that label."
        ),
    ),
    {
        "labels": [
            "billing, shipping, technical, other",
            "positive, negative, neutral",
            "urgent, normal, low priority",
            "bug report, feature request, question",
            "spam, not spam",
        ],
        "text": [
            "My card was charged twice for the same order.",
            "The app crashes whenever I open the camera.",
            "Can you add a dark mode to the dashboard?",
            "Nobody has answered my emails for a week.",
            "Great service, the courier was very friendly.",
        ],
    },
)


def _code(s: Slots) -> str:
    test = f"o.{s['attr']} {s['op']} {s['lit']}"
    return f"def {s['fn']}(orders):\n    return [o for o in orders if {test}]"


CODE_EXPLAIN = pooled(
    "code_identifier",
    (
        lambda s: f"Explain what this Python function does:\n\n```python\n{_code(s)}\n```",
        lambda s: f"```python\n{_code(s)}\n```\nWhat does the function above do? Explain it.",
        lambda s: (
            f"Can you walk me through this Python code and say what it returns?\n\n"
            f"```python\n{_code(s)}\n```"
        ),
    ),
    {
        "fn": ["keep_orders", "pick_orders", "select_orders"],
        "attr": ["total", "weight", "discount", "quantity"],
        "op": [">", ">=", "<", "=="],
        "lit": ["10", "100", "250", "1000"],
    },
    # the function's name alone does not change what it does: only the body is varied
    vary_keys=("attr", "op", "lit"),
)
COUNT_WORDS = pooled(
    "spelled_count",
    (
        lambda s: f"Give me {s['n']} {s['thing']}.",
        lambda s: f"Please come up with {s['n']} {s['thing']}.",
        lambda s: f"I need {s['n']} {s['thing']} - can you list them?",
    ),
    {
        "n": ["three", "five", "six", "eight", "ten", "twelve", "thirteen", "twenty"],
        "thing": [
            "name ideas for a bakery",
            "interview questions for a junior data analyst",
            "blog post titles about houseplants",
            "slogans for a bike repair shop",
        ],
    },
    vary_keys=("n",),
)
ORDINAL = pooled(
    "ordinal_chapter",
    (
        lambda s: f"Summarize the {s['ord']} chapter of {s['work']}.",
        lambda s: f"What happens in the {s['ord']} chapter of {s['work']}? Summarize it.",
        lambda s: f"In {s['work']}, summarize the events of the {s['ord']} chapter.",
    ),
    {
        "ord": ["first", "second", "third", "fourth", "fifth", "tenth", "last"],
        "work": [
            "Pride and Prejudice",
            "Moby-Dick",
            "The Great Gatsby",
            "Frankenstein",
            "Jane Eyre",
        ],
    },
    vary_keys=("ord",),
)
FRACTION = pooled(
    "fraction_measure",
    (
        lambda s: f"How many {s['tgt']} are in {s['frac']} of a {s['src']}?",
        lambda s: f"Convert {s['frac']} of a {s['src']} into {s['tgt']}.",
        lambda s: f"{cap(s['frac'])} of a {s['src']} equals how many {s['tgt']}?",
    ),
    {
        "frac": ["half", "a third", "a quarter", "two thirds", "three quarters", "an eighth"],
        "src": ["cup", "pint", "gallon"],
        "tgt": ["tablespoons", "teaspoons", "fluid ounces"],
    },
    vary_keys=("frac", "src"),
)
SHELL = pooled(
    "shell_flag",
    (
        lambda s: f"What does the command `{s['cmd']}` do? Is it safe to run?",
        lambda s: f"Is `{s['cmd']}` safe to run, and what does it do?",
        lambda s: f"Explain this shell command and whether it is safe: `{s['cmd']}`",
    ),
    {
        "cmd": [
            ["rm -r ./build", "rm -rf ./build", "rm -ri ./build"],
            ["git reset --soft HEAD~1", "git reset --hard HEAD~1", "git reset --mixed HEAD~1"],
            ["git push origin main", "git push --force origin main", "git push --tags origin main"],
            [
                "tar -czf logs.tar.gz logs/",
                "tar -xzf logs.tar.gz logs/",
                "tar -tzf logs.tar.gz logs/",
            ],
            ["chmod 644 deploy.sh", "chmod 755 deploy.sh", "chmod 777 deploy.sh"],
            [
                "find . -name '*.log' -delete",
                "find . -name '*.log' -print",
                "find . -name '*.tmp' -delete",
            ],
        ]
    },
)
REGEX = pooled(
    "regex_char",
    (
        lambda s: (
            f"Explain the regex `{s['pat']}` and give one string it matches and one it rejects."
        ),
        lambda s: (
            f"What does the regular expression `{s['pat']}` match? Show one matching and one "
            f"non-matching example."
        ),
        lambda s: (
            f"Break down `{s['pat']}` (a regex) for me, with an example that matches and one "
            f"that doesn't."
        ),
    ),
    {
        "pat": [
            [r"^\d{3}-\d{4}$", r"^\d{3}-\d{5}$", r"^\d{3}-\d{4,}$", r"^\d{2}-\d{4}$"],
            [r"^[a-z]+@[a-z]+\.com$", r"^[a-z]+@[a-z]+\.org$", r"^[A-Za-z]+@[a-z]+\.com$"],
            [r"\bcat\b", r"\bcats?\b", r"\bcat", r"cat\b"],
            [r"^#[0-9a-f]{6}$", r"^#[0-9a-f]{3}$", r"^#[0-9A-F]{6}$", r"#[0-9a-f]{6}"],
        ]
    },
)
RANGE = pooled(
    "analytics_range",
    (
        lambda s: f"Chart {s['metric']} over the last {s['n']}, broken down by {s['dim']}.",
        lambda s: f"Make a chart of {s['metric']} for the past {s['n']}, split by {s['dim']}.",
        lambda s: f"Break {s['metric']} down by {s['dim']} and plot it for the last {s['n']}.",
    ),
    {
        "metric": [
            "daily active users",
            "refund requests",
            "checkout conversion rate",
            "average order value",
        ],
        "n": ["7 days", "30 days", "90 days", "12 months", "24 hours", "2 weeks"],
        "dim": ["country", "device type", "acquisition channel", "plan tier"],
    },
    vary_keys=("n",),
)
_FLIGHTS = ("A departs 07:10 for $220", "B departs 13:45 for $180", "C departs 19:30 for $310")
SUPERLATIVE = pooled(
    "superlative_pick",
    (
        lambda s: (
            f"Three flights from {s['route']}: {', '.join(_FLIGHTS)}. Which is the {s['sup']}?"
        ),
        lambda s: (
            f"Which of these {s['route']} flights is the {s['sup']}? A: 07:10, $220. B: 13:45, "
            f"$180. C: 19:30, $310."
        ),
        lambda s: (
            f"I'm flying {s['route']}. Options: A (07:10, $220), B (13:45, $180), C (19:30, $310). "
            f"Tell me which one is the {s['sup']}."
        ),
    ),
    {
        "sup": ["cheapest", "most expensive", "earliest", "latest", "second cheapest"],
        "route": ["Boston to Denver", "Madrid to Rome", "Seoul to Taipei", "Dublin to Oslo"],
    },
    vary_keys=("sup",),
)
QUANT_FILTER = pooled(
    "quantifier_filter",
    (
        lambda s: f"Find apartments for rent in {s['city']} with {s['q']} {s['n']} bedrooms.",
        lambda s: f"Search rentals in {s['city']}: apartments having {s['q']} {s['n']} bedrooms.",
        lambda s: (
            f"I'm looking to rent an apartment in {s['city']} with {s['q']} {s['n']} "
            f"bedrooms; what's available?"
        ),
    ),
    {
        "q": ["at least", "at most", "exactly"],
        "n": ["2", "3", "4", "5"],
        "city": ["Ghent", "Porto", "Krakow", "Valencia", "Leipzig", "Bologna"],
    },
    vary_keys=("q", "n"),
)
_CLAIMS = ["birds can fly", "mammals lay eggs", "spiders have eight legs", "metals are magnetic"]
QUANT_CLAIM = pooled(
    "quantifier_claim",
    (
        lambda s: f"True or false: {s['q']} {s['claim']}. Explain briefly.",
        lambda s: (
            f"Explain briefly whether the statement '{s['q']} {s['claim']}' is true or false."
        ),
        lambda s: f"Is the claim that {s['q']} {s['claim']} correct? Short explanation please.",
    ),
    {"q": ["all", "some", "no", "most"], "claim": _CLAIMS},
    vary_keys=("q",),
)

FAMILIES: tuple[Family, ...] = (
    RAG,
    LABELS,
    CODE_EXPLAIN,
    COUNT_WORDS,
    ORDINAL,
    FRACTION,
    SHELL,
    REGEX,
    RANGE,
    SUPERLATIVE,
    QUANT_FILTER,
    QUANT_CLAIM,
    *blind_domains.FAMILIES,
    *blind_documents.FAMILIES,
)
