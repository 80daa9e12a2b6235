"""Fourth blind suite, developer and data tasks (rules in `blind4_families.py`).

Kinds of change: dev/peer/optional dependencies, the package and the package manager; lines or
words, start/end and the token a regex looks for; larger/smaller, a size, a file extension and
delete/list/compress in a shell command; customers who did or never placed an order, the year
and the sort order in SQL; drop/keep only, the column and missing/zero/negative in pandas; a
classifier metric (precision, recall, accuracy, F1), its value and the share of positives;
greater than/less than/equal to, the column, the reference cell and the app in a spreadsheet
highlight rule; pushes/pull requests, the branch and the path in a CI trigger.
"""

from __future__ import annotations

from benchmarks.blind_pool import pooled

DEPENDENCY = pooled(
    "package_dependency_kind",
    (
        lambda s: f"How do I add {s['pkg']} to the {s['kind']} dependencies with {s['pm']}?",
        lambda s: (
            f"Using {s['pm']}, what's the command that installs {s['pkg']} into "
            f"{s['kind']} dependencies?"
        ),
        lambda s: f"{s['pm']} command to put {s['pkg']} in {s['kind']} dependencies, please.",
    ),
    {
        "pkg": ["eslint", "zod", "vitest"],
        "kind": ["dev", "peer", "optional"],
        "pm": ["npm", "pnpm", "yarn"],
    },
)
REGEX = pooled(
    "regex_line_position",
    (
        lambda s: f"Write a regex that matches {s['unit']} that {s['pos']} with {s['tok']}.",
        lambda s: f"I need a regular expression for {s['unit']} that {s['pos']} with {s['tok']}.",
        lambda s: f"Regex, please: match {s['unit']} that {s['pos']} with {s['tok']}.",
    ),
    {
        "unit": ["lines", "words"],
        "pos": ["start", "end"],
        "tok": ["TODO", "ERR", "_tmp"],
    },
)
SHELL = pooled(
    "shell_find_size",
    (
        lambda s: (
            f"Give me a shell command to find {s['ext']} files {s['cmp']} than {s['size']} "
            f"under /var and {s['act']} them."
        ),
        lambda s: (
            f"Under /var, I want to find every {s['ext']} file {s['cmp']} than {s['size']} and "
            f"{s['act']} them. What command does that?"
        ),
        lambda s: (
            f"One-liner: {s['act']} all {s['ext']} files under /var that are {s['cmp']} than "
            f"{s['size']}."
        ),
    ),
    {
        "ext": [".log", ".tmp"],
        "cmp": ["larger", "smaller"],
        "size": ["100M", "1G"],
        "act": ["delete", "list", "compress"],
    },
)
SQL_ORDERS = pooled(
    "sql_customers_orders",
    (
        lambda s: (
            f"Write SQL returning the customers {s['who']} placed an order in {s['year']}, "
            f"{s['sort']}."
        ),
        lambda s: (
            f"I need a query over the customers and orders tables: customers {s['who']} placed "
            f"an order in {s['year']}, {s['sort']}."
        ),
        lambda s: (
            f"SQL for this report, {s['sort']}: each customer {s['who']} placed an order in "
            f"{s['year']}."
        ),
    ),
    {
        "who": ["who", "who never"],
        "year": ["2023", "2024"],
        "sort": ["sorted by name", "sorted by signup date", "newest first"],
    },
)
PANDAS = pooled(
    "pandas_row_filter",
    (
        lambda s: f"In pandas, how do I {s['op']} the rows of df where {s['col']} is {s['cond']}?",
        lambda s: (
            f"I have a pandas DataFrame df and want to {s['op']} the rows whose {s['col']} is "
            f"{s['cond']}. What's the code?"
        ),
        lambda s: f"pandas: {s['op']} rows in df when the {s['col']} column is {s['cond']}.",
    ),
    {
        "op": ["drop", "keep only"],
        "col": ["age", "income"],
        "cond": ["missing", "zero", "negative"],
    },
)
METRIC = pooled(
    "classifier_metric",
    (
        lambda s: (
            f"My binary classifier has {s['metric']} of {s['v']} on a test set where {s['pct']}% "
            f"of examples are positive. Is that good?"
        ),
        lambda s: (
            f"On a test set that is {s['pct']}% positive, my binary classifier scores {s['v']} "
            f"{s['metric']}. Should I be happy with that?"
        ),
        lambda s: (
            f"Is {s['v']} {s['metric']} a good result for a binary classifier when {s['pct']}% "
            f"of the test examples are positive?"
        ),
    ),
    {
        "metric": ["precision", "recall", "accuracy", "F1"],
        "v": ["0.82", "0.95"],
        "pct": ["2", "50"],
    },
)
SHEET = pooled(
    "sheet_highlight_rule",
    (
        lambda s: (
            f"In {s['app']}, how do I highlight cells in column {s['col']} that are {s['cmp']} "
            f"the value in {s['ref']}?"
        ),
        lambda s: (
            f"I want {s['app']} to highlight every cell of column {s['col']} whose value is "
            f"{s['cmp']} the value in {s['ref']}. How?"
        ),
        lambda s: (
            f"Conditional formatting in {s['app']}: column {s['col']}, highlight if "
            f"{s['cmp']} {s['ref']}."
        ),
    ),
    {
        "app": ["Excel", "Google Sheets"],
        "col": ["C", "F"],
        "cmp": ["greater than", "less than", "equal to"],
        "ref": ["B1", "H2"],
    },
)
CI_TRIGGER = pooled(
    "ci_trigger_event",
    (
        lambda s: (
            f"Write a GitHub Actions trigger that runs the workflow on {s['event']} to "
            f"{s['branch']} only when files under {s['path']} change."
        ),
        lambda s: (
            f"I want my GitHub Actions workflow to run on {s['event']} to {s['branch']}, but "
            f"only if something under {s['path']} changed. What should the on: block be?"
        ),
        lambda s: (
            f"GitHub Actions on: section for {s['event']} to {s['branch']}, filtered to "
            f"changes under {s['path']}."
        ),
    ),
    {
        "event": ["pushes", "pull requests"],
        "branch": ["main", "develop", "release"],
        "path": ["src/", "docs/"],
    },
)

FAMILIES = (DEPENDENCY, REGEX, SHELL, SQL_ORDERS, PANDAS, METRIC, SHEET, CI_TRIGGER)
