"""Sixth blind suite, agent and RAG prompts (rules in `blind6_families.py`).

Kinds of change: what the customer asks an order agent to do and the order number; the measure,
the carrier, the time frame and late/early in a text-to-SQL question over a given schema; the
card, the question and the item type asked of retrieved library chunks; paid/unpaid, the period
and the file format a browser agent downloads; the system, down/slow and the start time in an
inbox-triage prompt; the task, the recurrence and the start of a to-do reminder.
"""

from __future__ import annotations

from benchmarks.blind_pool import pooled

_TOOLS = (
    "get_order(order_id), cancel_order(order_id), start_return(order_id, reason), "
    "resend_invoice(order_id)"
)
ORDER_TOOL = pooled(
    "agent_order_tool",
    (
        lambda s: (
            f'You can call these tools: {_TOOLS}. The customer writes: "I want to {s["act"]} '
            f'order #{s["oid"]}." Reply with the single tool call to make, as JSON with name '
            "and arguments."
        ),
        lambda s: (
            f"Tools on offer: {_TOOLS}. Pick exactly one and emit it as a JSON object (name, "
            f'arguments) for this customer message: "I want to {s["act"]} order #{s["oid"]}."'
        ),
        lambda s: (
            f'Customer message: "I want to {s["act"]} order #{s["oid"]}."\nAnswer only with '
            f"the JSON tool call (its name plus arguments) chosen from: {_TOOLS}."
        ),
    ),
    {
        "act": ["cancel", "send back", "check on", "get a fresh invoice for"],
        "oid": ["48213", "48231", "51907", "51970"],
    },
)

_SCHEMA = "orders(id, customer_id, carrier, promised_date, delivered_date)"
SQL_SCHEMA = pooled(
    "agent_sql_schema",
    (
        lambda s: (
            f"Schema: {_SCHEMA}.\nWrite one PostgreSQL query that answers: {s['measure']} "
            f"orders delivered by {s['carrier']} {s['period']} arrived {s['status']}?"
        ),
        lambda s: (
            f"Question from the ops dashboard: {s['measure']} orders delivered by "
            f"{s['carrier']} {s['period']} arrived {s['status']}? Answer it with a single "
            f"PostgreSQL statement over the table {_SCHEMA}."
        ),
        lambda s: (
            f"Given the PostgreSQL table {_SCHEMA}, translate this into SQL (one query, no "
            f"prose): {s['measure']} orders delivered by {s['carrier']} {s['period']} "
            f"arrived {s['status']}?"
        ),
    ),
    {
        "measure": ["How many", "What percentage of"],
        "carrier": ["DHL", "UPS", "GLS"],
        "period": ["last month", "this quarter"],
        "status": ["late", "early"],
    },
)

_CHUNKS = (
    "[1] Loan periods: books 3 weeks, DVDs 1 week, board games 2 weeks, laptops 3 days. "
    "Child cards may borrow DVDs and board games but not laptops.\n"
    "[2] Renewals: on adult cards, books and board games can be renewed twice, DVDs once, "
    "laptops never; on child cards, books can be renewed three times and other items not at "
    "all. Items reserved by another member cannot be renewed.\n"
    "[3] Limits per card: adult cards 20 items (at most 5 DVDs, 2 board games, 1 laptop); "
    "child cards 10 items (at most 3 DVDs, 1 board game)."
)
LIBRARY = pooled(
    "rag_library_loans",
    (
        lambda s: (
            f"Retrieved context:\n{_CHUNKS}\n\nMember question: with {s['card']}, "
            f"{s['ask']} {s['item']}?\nAnswer from the context only and cite the chunk number."
        ),
        lambda s: (
            f"Answer the member using nothing but these passages, citing the chunk number.\n"
            f"{_CHUNKS}\n\nThe member asks: with {s['card']}, {s['ask']} {s['item']}?"
        ),
        lambda s: (
            f"With {s['card']}, {s['ask']} {s['item']}? That's the member's question. Use "
            f"only the library passages below and cite the chunk you rely on.\n\n{_CHUNKS}"
        ),
    ),
    {
        "card": ["a child card", "an adult card"],
        "ask": ["how many times can I renew", "what is the borrowing limit for"],
        "item": ["DVDs", "board games", "laptops", "books"],
    },
)

BROWSER = pooled(
    "browser_agent_invoices",
    (
        lambda s: (
            "Task for the browser agent: log in to the Corvex supplier portal, open Billing, "
            f"and download the {s['which']} invoices from {s['period']} as {s['fmt']} files."
        ),
        lambda s: (
            f"Browser agent, please fetch every {s['which']} invoice from {s['period']} in "
            f"{s['fmt']} format: sign in to the Corvex supplier portal and go to Billing."
        ),
        lambda s: (
            f"Open the Corvex supplier portal (Billing section, after logging in). Goal: save "
            f"the {s['which']} invoices from {s['period']}, one {s['fmt']} file each."
        ),
    ),
    {
        "which": ["paid", "unpaid"],
        "period": ["last quarter", "this quarter", "the last 30 days"],
        "fmt": ["PDF", "CSV"],
    },
)

TRIAGE = pooled(
    "inbox_triage_outage",
    (
        lambda s: (
            "Triage this message for the IT support queue: give a priority from P1 to P4 and "
            f'the team to route it to. Message: "Hi, our {s["system"]} has been {s["state"]} '
            f'since {s["since"]}, can someone look?"'
        ),
        lambda s: (
            f'Message received: "Hi, our {s["system"]} has been {s["state"]} since '
            f'{s["since"]}, can someone look?" Which team should own it, and what priority '
            "(P1 to P4) does it get in the IT support queue?"
        ),
        lambda s: (
            "For the IT support queue, assign a P1-P4 priority and an owning team to the "
            f'following: "Hi, our {s["system"]} has been {s["state"]} since {s["since"]}, '
            'can someone look?"'
        ),
    ),
    {
        "system": ["payroll export", "SSO login", "staff VPN"],
        "state": ["down", "slow"],
        "since": ["9:10 this morning", "last Thursday"],
    },
)

REMINDER = pooled(
    "reminder_recurrence",
    (
        lambda s: f"Remind me to {s['task']} every {s['freq']}, starting {s['start']}.",
        lambda s: f"Starting {s['start']}, set a reminder every {s['freq']}: {s['task']}.",
        lambda s: (
            f"Create a recurring reminder (every {s['freq']}) beginning {s['start']} that says "
            f"to {s['task']}."
        ),
    ),
    {
        "task": ["water the office plants", "submit my timesheet", "back up the laptop"],
        "freq": ["weekday morning", "Friday afternoon", "second Tuesday"],
        "start": ["tomorrow", "next month"],
    },
)

FAMILIES = (ORDER_TOOL, SQL_SCHEMA, LIBRARY, BROWSER, TRIAGE, REMINDER)
