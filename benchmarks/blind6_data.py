"""Sixth blind suite, analytics and data-cleaning prompts (rules in `blind6_families.py`).

Kinds of change: the window length, the aggregate and the partition of a BigQuery rolling
metric; which arm won, the sample size and whether higher is good (conversion/churn) in an A/B
result; case-sensitive or not, the key and which duplicate is kept in a de-duplication step; the
quantity shown, the time span and the number of series (words) for a chart choice; paying/active,
the horizon and the cohort grain of a retention table.
"""

from __future__ import annotations

from typing import Any

from benchmarks.blind_pool import cap, pooled

Slots = dict[str, Any]

ROLLING = pooled(
    "bigquery_rolling_window",
    (
        lambda s: (
            f"In BigQuery, compute a {s['n']}-day rolling {s['agg']} of daily_revenue per "
            f"{s['part']} from the table sales_daily(day, {s['part']}, daily_revenue)."
        ),
        lambda s: (
            f"BigQuery SQL please: for every {s['part']} in sales_daily(day, {s['part']}, "
            f"daily_revenue), the {s['agg']} of daily_revenue over a rolling {s['n']}-day "
            "window."
        ),
        lambda s: (
            f"Using sales_daily(day, {s['part']}, daily_revenue) in BigQuery, I need each "
            f"{s['part']}'s rolling {s['agg']} of daily_revenue, window of {s['n']}-day length."
        ),
    ),
    {"n": [7, 14, 28], "agg": ["average", "sum", "maximum"], "part": ["store", "region"]},
)


def _arms(s: Slots) -> str:
    other = "variant" if s["winner"] == "control" else "control"
    return f"the {s['winner']} had a {s['metric']} rate of 4.6% and the {other} 4.1%"


AB_TEST = pooled(
    "ab_test_winner_metric",
    (
        lambda s: (
            f"In our pricing-page experiment with {s['users']} users per arm, {_arms(s)}. "
            "Should we roll out the variant?"
        ),
        lambda s: (
            f"Should the variant be rolled out? Pricing-page experiment, {s['users']} users "
            f"per arm: {_arms(s)}."
        ),
        lambda s: (
            f"Experiment readout (pricing page, {s['users']} users per arm): {_arms(s)}. Is "
            "rolling out the variant the right call?"
        ),
    ),
    {
        "winner": ["control", "variant"],
        "users": ["800", "12,000", "150,000"],
        "metric": ["conversion", "churn"],
    },
)

DEDUPE = pooled(
    "dedupe_customer_keys",
    (
        lambda s: (
            f"Write a pandas step that removes duplicate customers by {s['key']}, compared "
            f"{s['case']}, keeping the {s['keep']} record of each."
        ),
        lambda s: (
            f"In pandas, de-duplicate the customers DataFrame on {s['key']} ({s['case']}), "
            f"and for each group retain the {s['keep']} record."
        ),
        lambda s: (
            f"Keep only the {s['keep']} record per customer when rows share the same "
            f"{s['key']}, matching {s['case']}; show the pandas code."
        ),
    ),
    {
        "key": ["email", "phone number", "email and postcode"],
        "case": ["case-insensitively", "case-sensitively"],
        "keep": ["oldest", "most recent", "most complete"],
    },
)

CHART = pooled(
    "chart_series_choice",
    (
        lambda s: (
            f"Which chart type should our dashboard use to show {s['what']} for {s['count']} "
            f"product lines over {s['span']}?"
        ),
        lambda s: (
            f"For {s['count']} product lines, I want to display {s['what']} over "
            f"{s['span']}. What kind of chart fits best on the dashboard?"
        ),
        lambda s: (
            f"Dashboard design: {cap(s['what'])}, {s['count']} product lines, {s['span']}. "
            "Recommend a chart type."
        ),
    ),
    {
        "what": ["each line's share of revenue", "each line's revenue", "the growth rate"],
        "count": ["five", "twenty"],
        "span": ["twelve months", "a single month"],
    },
)

RETENTION = pooled(
    "cohort_retention",
    (
        lambda s: (
            f"Build a retention table of {s['grain']} signup cohorts showing the share of "
            f"users still {s['state']} after {s['k']} months, from events(user_id, ts, type)."
        ),
        lambda s: (
            f"From events(user_id, ts, type), what share of each {s['grain']} signup cohort "
            f"is still {s['state']} after {s['k']} months? Lay it out as a retention table."
        ),
        lambda s: (
            f"Retention table please: rows are {s['grain']} signup cohorts, the value is the "
            f"fraction still {s['state']} after {s['k']} months (source: events(user_id, ts, "
            "type))."
        ),
    ),
    {
        "grain": ["monthly", "weekly"],
        "state": ["paying", "active"],
        "k": [2, 3, 6, 12],
    },
)

FAMILIES = (ROLLING, AB_TEST, DEDUPE, CHART, RETENTION)
