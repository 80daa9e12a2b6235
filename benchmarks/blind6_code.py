"""Sixth blind suite, code-assistant prompts (rules in `blind6_families.py`).

Kinds of change: the exception class, the line and the moment of an Android crash trace; a diff
line added or removed, the question and the timeout in a Go review; the rustc error code, the
variable and the constraint on the fix; the Postgres major version, the column clause and the
time of an online migration; the pytest fixture scope and the test counts; the package, the
semver operator and the version in an npm range question.
"""

from __future__ import annotations

from typing import Any

from benchmarks.blind_pool import pooled

Slots = dict[str, Any]


def _trace(s: Slots) -> str:
    return (
        "```\nFATAL EXCEPTION: main\nProcess: com.tideway.reader, PID: 8841\n"
        f"java.lang.{s['exc']}\n"
        f"\tat com.tideway.reader.feed.FeedAdapter.onBindViewHolder(FeedAdapter.kt:{s['line']})\n"
        "\tat androidx.recyclerview.widget.RecyclerView$Adapter.bindViewHolder"
        "(RecyclerView.java:7254)\n"
        "\tat androidx.recyclerview.widget.RecyclerView$Recycler.tryBindViewHolderByDeadline"
        "(RecyclerView.java:6231)\n```"
    )


CRASH = pooled(
    "kotlin_crash_trace",
    (
        lambda s: (
            f"Our Android app crashes {s['when']} with this stack trace. What is the likely "
            f"cause, and how do we fix it?\n\n{_trace(s)}"
        ),
        lambda s: (
            f"{_trace(s)}\n\nThat trace comes from our Android app, which crashes {s['when']}. "
            "Explain the probable cause and suggest a fix."
        ),
        lambda s: (
            f"Crash report (Android, happens {s['when']}):\n{_trace(s)}\nWhy does this happen "
            "and what change would stop it?"
        ),
    ),
    {
        "exc": [
            "NullPointerException",
            "IllegalStateException",
            "IndexOutOfBoundsException",
        ],
        "line": [88, 142],
        "when": ["on launch", "after rotating the screen", "when scrolling fast"],
    },
)


def _diff(s: Slots) -> str:
    return (
        "```diff\n func (c *Cache) Get(key string) (string, bool) {\n"
        f"{s['sign']}\tc.mu.Lock()\n{s['sign']}\tdefer c.mu.Unlock()\n"
        f" \tctx, cancel := context.WithTimeout(context.Background(), {s['timeout']})\n"
        " \tdefer cancel()\n \treturn c.load(ctx, key)\n }\n```"
    )


GO_DIFF = pooled(
    "go_diff_lock_sign",
    (
        lambda s: f"Review this Go diff: {s['ask']}\n\n{_diff(s)}",
        lambda s: f"{_diff(s)}\n\nCode review request for the Go change above: {s['ask']}",
        lambda s: f"Looking at the following Go patch, {s['ask']}\n{_diff(s)}",
    ),
    {
        "sign": ["+", "-"],
        "ask": [
            "is Get still safe when called from many goroutines?",
            "could this leak goroutines or contexts?",
            "what happens if load blocks for longer than the timeout?",
        ],
        "timeout": ["5*time.Second", "500*time.Millisecond"],
    },
)

_RUST_MSG = {
    "E0502": "cannot borrow `{v}` as mutable because it is also borrowed as immutable",
    "E0499": "cannot borrow `{v}` as mutable more than once at a time",
    "E0505": "cannot move out of `{v}` because it is borrowed",
}


def _rust(s: Slots) -> str:
    msg = _RUST_MSG[s["code"]].format(v=s["var"])
    return f"error[{s['code']}]: {msg}"


RUST = pooled(
    "rust_borrow_error",
    (
        lambda s: (
            f"rustc stops with `{_rust(s)}` inside a loop that walks `{s['var']}` and pushes "
            f"to it. How can I fix it {s['rule']}?"
        ),
        lambda s: (
            f"What is the way to clear this compiler error {s['rule']}? It is raised in a loop "
            f"that iterates over `{s['var']}` while pushing to it: `{_rust(s)}`"
        ),
        lambda s: (
            f"Rust question. Error: `{_rust(s)}`. Context: a loop over `{s['var']}` that also "
            f"pushes new elements into it. Constraint: fix it {s['rule']}."
        ),
    ),
    {
        "code": ["E0502", "E0499", "E0505"],
        "var": ["items", "queue"],
        "rule": ["without cloning", "without RefCell", "without changing the signature"],
    },
)

PG = pooled(
    "pg_add_column_lock",
    (
        lambda s: (
            f"We run PostgreSQL {s['ver']}. Can we safely apply `ALTER TABLE events ADD COLUMN "
            f"source text {s['clause']}` on a {s['rows']} table {s['when']}?"
        ),
        lambda s: (
            f"Migration check: `ALTER TABLE events ADD COLUMN source text {s['clause']}`, "
            f"on a {s['rows']} table, PostgreSQL {s['ver']}, to be applied {s['when']}. "
            "Safe or not?"
        ),
        lambda s: (
            f"Could `ALTER TABLE events ADD COLUMN source text {s['clause']}` cause trouble "
            f"{s['when']}? It's a {s['rows']} table and the server is PostgreSQL {s['ver']}."
        ),
    ),
    {
        "ver": ["10", "11"],
        "clause": ["NOT NULL DEFAULT 'web'", "NOT NULL", "DEFAULT now()"],
        "rows": ["200-million-row", "two-thousand-row"],
        "when": ["during business hours", "in a maintenance window"],
    },
)

PYTEST = pooled(
    "pytest_fixture_scope",
    (
        lambda s: (
            f'In pytest, a fixture declared with scope="{s["scope"]}" is used by every test '
            f"in a module holding {s['classes']} test classes of {s['tests']} tests each. How "
            "many times does its setup run, and how many tests share each instance?"
        ),
        lambda s: (
            f"How many times will pytest execute the setup of a fixture with "
            f'scope="{s["scope"]}" if the module has {s["classes"]} test classes, '
            f"{s['tests']} tests per class, all using it? And how many tests share one instance?"
        ),
        lambda s: (
            f"Module: {s['classes']} test classes x {s['tests']} tests, each requesting one "
            f'fixture whose scope="{s["scope"]}". Count the fixture setups pytest performs and '
            "the tests served by each instance."
        ),
    ),
    {
        "scope": ["function", "class", "module", "session"],
        "classes": [3, 5],
        "tests": [4, 6],
    },
)

NPM = pooled(
    "npm_semver_range",
    (
        lambda s: (
            f"Which versions of {s['pkg']} will npm accept for the dependency range "
            f'"{s["op"]}{s["ver"]}" in package.json, and which published release would it '
            "pick today?"
        ),
        lambda s: (
            f'My package.json pins {s["pkg"]} as "{s["op"]}{s["ver"]}". What range of '
            "versions can npm install for it, and which published release would it choose "
            "today?"
        ),
        lambda s: (
            f'Explain the semver range "{s["op"]}{s["ver"]}" for {s["pkg"]}: which releases '
            "does npm treat as matching, and which published one gets installed today?"
        ),
    ),
    {
        "pkg": ["lodash", "express", "axios"],
        "op": ["^", "~", ">="],
        "ver": ["4.17.2", "0.4.2"],
    },
)

FAMILIES = (CRASH, GO_DIFF, RUST, PG, PYTEST, NPM)
