"""Second blind suite, developer and data families: spreadsheet formulas, pandas aggregations,
HTTP status codes and methods, async/sync code, container tags that differ in a patch level,
rounding and statistics, cron schedules and repository permissions (written under the
blindness rules in `blind2_families.py`).
"""

from __future__ import annotations

from benchmarks.blind_pool import pooled

SHEET = pooled(
    "spreadsheet_formula",
    (
        lambda s: f"In my {s['sheet']} I typed `{s['f']}` into a cell. What will it calculate?",
        lambda s: f"What will `{s['f']}` calculate? It's a formula in a cell of my {s['sheet']}.",
        lambda s: (
            f"Explain the result of the formula `{s['f']}`, which sits in a cell of my "
            f"{s['sheet']}."
        ),
    ),
    {
        "f": [
            [
                "=VLOOKUP(A2, Prices!A:D, 3, FALSE)",
                "=VLOOKUP(A2, Prices!A:D, 4, FALSE)",
                "=VLOOKUP(A2, Prices!A:D, 3, TRUE)",
            ],
            [
                '=SUMIF(B2:B500, ">100", C2:C500)',
                '=SUMIF(B2:B500, "<100", C2:C500)',
                '=AVERAGEIF(B2:B500, ">100", C2:C500)',
            ],
            ["=ROUND(D2*1.21, 2)", "=ROUNDUP(D2*1.21, 2)", "=ROUNDDOWN(D2*1.21, 2)"],
            ['=IF(E2>=50, "pass", "fail")', '=IF(E2>50, "pass", "fail")'],
            ["=NETWORKDAYS(F2, G2)", "=DAYS(G2, F2)", "=NETWORKDAYS(F2, G2, Holidays!A:A)"],
            [
                "=INDEX(H2:H90, MATCH(MAX(I2:I90), I2:I90, 0))",
                "=INDEX(H2:H90, MATCH(MIN(I2:I90), I2:I90, 0))",
            ],
        ],
        "sheet": ["sales tracker", "grade book", "inventory sheet"],
    },
    vary_keys=("f",),
)
PANDAS = pooled(
    "pandas_groupby",
    (
        lambda s: (
            f"Write pandas code that groups the DataFrame `{s['df']}` by `{s['key']}` and "
            f"computes the {s['agg']} of `{s['val']}` for each group."
        ),
        lambda s: (
            f"Using pandas, compute the {s['agg']} of `{s['val']}` per `{s['key']}` in the "
            f"DataFrame `{s['df']}`."
        ),
        lambda s: (
            f"For each `{s['key']}` in my `{s['df']}` DataFrame I need the {s['agg']} of "
            f"`{s['val']}`. Show me the pandas code."
        ),
    ),
    {
        "df": ["orders", "trips", "tickets"],
        "key": ["region", "customer_id", "month", "channel"],
        "agg": ["sum", "mean", "median", "maximum", "minimum", "number of distinct values"],
        "val": ["revenue", "duration_min", "items"],
    },
    vary_keys=("agg", "key"),
)
STATUS = pooled(
    "http_status",
    (
        lambda s: (
            f"Our {s['client']} gets HTTP {s['code']} back from `{s['ep']}`. What does that "
            f"status mean and what should the client do about it?"
        ),
        lambda s: (
            f"What does an HTTP {s['code']} response from `{s['ep']}` mean, and how should our "
            f"{s['client']} handle it?"
        ),
        lambda s: (
            f"`{s['ep']}` answers our {s['client']} with status {s['code']}. What does it mean, "
            f"and what is the right way for the client to handle it?"
        ),
    ),
    {
        "code": [
            ["401", "403", "407"],
            ["500", "502", "503", "504"],
            ["301", "302", "307", "308"],
            ["400", "409", "422"],
            ["404", "410"],
            ["429", "413"],
        ],
        "client": ["mobile app", "checkout service", "nightly sync job"],
        "ep": ["POST /v1/payments", "GET /api/users/me", "PUT /v2/files/upload"],
    },
    vary_keys=("code",),
)
_AUTH = "`Authorization: Bearer $TOKEN`"
METHOD = pooled(
    "http_method",
    (
        lambda s: (
            f"Write a Python `requests` call that sends a {s['m']} request to {s['url']} with "
            f"the header {_AUTH}."
        ),
        lambda s: (
            f"With the requests library in Python, send {s['m']} to {s['url']}, authorized by "
            f"the header {_AUTH}."
        ),
        lambda s: (
            f"Python snippet please: a {s['m']} request to {s['url']} via requests, carrying "
            f"{_AUTH}."
        ),
    ),
    {
        "m": ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"],
        "url": [
            "https://api.example.com/v1/invoices/8841",
            "https://api.example.com/v1/users/42/sessions",
            "https://api.example.com/v1/webhooks/wh_19",
        ],
    },
    vary_keys=("m",),
)
ASYNC = pooled(
    "code_async",
    (
        lambda s: (
            f"Write {s['mode']} Python function `fetch_all(urls)` that downloads every URL and "
            f"returns {s['ret']}."
        ),
        lambda s: (
            f"I need `fetch_all(urls)` in Python as {s['mode']} function: download every URL "
            f"and return {s['ret']}."
        ),
        lambda s: (
            f"Python: implement `fetch_all(urls)` as {s['mode']} function which downloads all "
            f"the URLs and returns {s['ret']}."
        ),
    ),
    {
        "mode": ["an async", "a synchronous", "a multithreaded"],
        "ret": [
            "a list of response bodies in input order",
            "a dict mapping each URL to its response body",
            "the set of URLs that failed",
        ],
    },
)
DOCKER = pooled(
    "docker_base_image",
    (
        lambda s: (
            f"Our Dockerfile starts with `FROM {s['img']}`. Is that tag still supported, and "
            f"should we upgrade it?"
        ),
        lambda s: (
            f"Is `FROM {s['img']}` in our Dockerfile a still-supported tag, or should we upgrade?"
        ),
        lambda s: (
            f"Base image check for our Dockerfile: `FROM {s['img']}`. Still supported, or time "
            f"to upgrade?"
        ),
    ),
    {
        "img": [
            ["python:3.11.4-slim", "python:3.11.9-slim", "python:3.12.4-slim"],
            ["node:18.19.0-alpine", "node:18.9.0-alpine", "node:20.19.0-alpine"],
            ["postgres:15.4", "postgres:15.14", "postgres:13.4"],
            ["ubuntu:22.04", "ubuntu:20.04", "ubuntu:24.04"],
            ["redis:7.2.4", "redis:7.0.4", "redis:6.2.4"],
        ]
    },
)
STATS = pooled(
    "stats_rounding",
    (
        lambda s: f"Compute the {s['stat']} of {s['nums']} and round it {s['prec']}.",
        lambda s: f"Take {s['nums']}, find the {s['stat']}, and give it rounded {s['prec']}.",
        lambda s: f"What is the {s['stat']} of {s['nums']}? Round the answer {s['prec']}.",
    ),
    {
        "stat": ["mean", "median", "sample standard deviation", "population standard deviation"],
        "nums": [
            "12.5, 7.25, 9.8, 14.125 and 10.4",
            "3.14, 2.72, 1.41 and 1.73",
            "105.6, 98.25, 101.75, 99.9 and 103.125",
        ],
        "prec": [
            "to 2 decimal places",
            "to the nearest whole number",
            "to 3 significant figures",
            "to 1 decimal place",
        ],
    },
    vary_keys=("stat", "prec"),
)
CRON = pooled(
    "cron_schedule",
    (
        lambda s: f"Write a cron expression that runs `{s['job']}` {s['sched']}.",
        lambda s: f"Give me the crontab line to run `{s['job']}` {s['sched']}.",
        lambda s: f"I want `{s['job']}` to run {s['sched']}. What's the cron schedule for that?",
    ),
    {
        "sched": [
            ["every weekday at 06:30", "every weekend day at 06:30", "every weekday at 18:30"],
            [
                "on the first day of every month at midnight",
                "on the last day of every month at midnight",
                "on the first Monday of every month at midnight",
            ],
            [
                "every 15 minutes during business hours",
                "every 5 minutes during business hours",
                "every 15 minutes outside business hours",
            ],
        ],
        "job": ["backup.sh", "send_invoices.py", "rotate_logs.sh"],
    },
    vary_keys=("sched",),
)
ACCESS = pooled(
    "repo_permission",
    (
        lambda s: (
            f"Change the permissions on the `{s['repo']}` repository so that {s['user']} has "
            f"{s['perm']} access."
        ),
        lambda s: (
            f"{s['user']} should have {s['perm']} access to the `{s['repo']}` repository; "
            f"please update its permissions."
        ),
        lambda s: f"Set the access of {s['user']} on the `{s['repo']}` repo to {s['perm']} access.",
    ),
    {
        "perm": ["read-only", "write", "admin", "no"],
        "user": ["priya.n", "ops-bot", "the contractors team"],
        "repo": ["billing-api", "infra-terraform", "mobile-app"],
    },
    vary_keys=("perm",),
)

FAMILIES = (SHEET, PANDAS, STATUS, METHOD, ASYNC, DOCKER, STATS, CRON, ACCESS)
