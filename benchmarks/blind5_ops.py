"""Fifth blind suite, operations and security asks (rules in `blind5_families.py`).

Kinds of change: allow/block, inbound/outbound, the protocol and the port of a firewall rule;
the hash algorithm, with/without a salt and the kind of app; the field extracted from a pasted
access-log line, the answer's format and the line's status code; the action, the sender and the
subject word of a mail filter; the tier, how many hours and how many zones of a backup plan.
"""

from __future__ import annotations

from benchmarks.blind_pool import cap, pooled
from benchmarks.heldout_families import Slots

FIREWALL = pooled(
    "nftables_rule_direction",
    (
        lambda s: (
            f"Add an nftables rule to {s['act']} {s['dir']} {s['proto']} traffic on port "
            f"{s['port']} for the office subnet."
        ),
        lambda s: (
            f"For the office subnet I need an nftables rule that will {s['act']} {s['proto']} "
            f"traffic on port {s['port']}, {s['dir']} direction only."
        ),
        lambda s: (
            f"Firewall change request: {s['act']}, {s['dir']}, {s['proto']}, port {s['port']}, "
            f"office subnet. Please write it for nftables."
        ),
    ),
    {
        "act": ["allow", "block"],
        "dir": ["inbound", "outbound"],
        "proto": ["TCP", "UDP"],
        "port": ["443", "5432", "22"],
    },
)
HASHING = pooled(
    "password_hash_salt",
    (
        lambda s: (
            f"Are user passwords safely stored when hashed with {s['algo']} {s['salt']} for a "
            f"{s['app']}?"
        ),
        lambda s: (
            f"For a {s['app']}, would hashing passwords with {s['algo']} {s['salt']} be "
            f"acceptable from a security point of view?"
        ),
        lambda s: (
            f"Security review for a {s['app']}: passwords are kept as {s['algo']} hashes "
            f"{s['salt']}. Is that OK?"
        ),
    ),
    {
        "algo": ["bcrypt", "MD5", "SHA-256", "Argon2id"],
        "salt": ["with a per-user salt", "without any salt"],
        "app": ["banking app", "hobby forum"],
    },
)


def _line(s: Slots) -> str:
    return (
        '203.0.113.7 - - [12/Mar/2026:10:04:55 +0000] "POST /api/checkout HTTP/1.1" '
        f'{s["status"]} 5123 "https://shop.example.net/cart" '
        '"Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X)"'
    )


ACCESS_LOG = pooled(
    "access_log_field",
    (
        lambda s: (
            f"Extract the {s['field']} from this nginx access log line and explain what its "
            f"status code tells us; answer {s['fmt']}.\n\n{_line(s)}"
        ),
        lambda s: (
            f"{_line(s)}\n\nThat is one line of our nginx access log. What is the "
            f"{s['field']}, and what does the status code tell us? Answer {s['fmt']}."
        ),
        lambda s: (
            f"Log parsing task, answer {s['fmt']}: (1) the {s['field']}, (2) what the "
            f"status code says about the request.\n\nLine: {_line(s)}"
        ),
    ),
    {
        "field": ["referrer", "user agent", "client address"],
        "fmt": ["as plain text", "as a JSON object"],
        "status": ["200", "502", "404"],
    },
)
MAIL_FILTER = pooled(
    "mail_filter_action",
    (
        lambda s: (
            f"Create a Gmail filter that will {s['act']} every email from {s['sender']} with "
            f'"{s["word"]}" in the subject.'
        ),
        lambda s: (
            f'Messages from {s["sender"]} with "{s["word"]}" in the subject line: I want '
            f"Gmail to automatically {s['act']} them. Which filter settings do that?"
        ),
        lambda s: (
            f'Gmail rule needed. Sender: {s["sender"]}. Subject contains: "{s["word"]}". '
            f"Action: {s['act']}."
        ),
    ),
    {
        "act": ["archive", "delete", "star"],
        "sender": ["billing@northpeak.io", "noreply@tidewell.app", "team@cobaltgrid.dev"],
        "word": ["invoice", "reminder"],
    },
)
BACKUP = pooled(
    "backup_plan_retention",
    (
        lambda s: (
            f"Design a backup plan for our {s['tier']} database with a recovery point "
            f"objective of {s['rpo']} and copies kept in {s['zones']}."
        ),
        lambda s: (
            f"Our {s['tier']} database needs backups: we can lose at most {s['rpo']} of data "
            f"and want copies in {s['zones']}. What plan do you suggest?"
        ),
        lambda s: (
            f"{cap(s['tier'])} database backups. Recovery point objective: {s['rpo']}. Copies: "
            f"{s['zones']}. Please propose a plan."
        ),
    ),
    {
        "tier": ["production", "analytics", "staging"],
        "rpo": ["five minutes", "one hour", "one day"],
        "zones": ["one region", "two regions"],
    },
)

FAMILIES = (FIREWALL, HASHING, ACCESS_LOG, MAIL_FILTER, BACKUP)
