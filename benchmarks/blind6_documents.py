"""Sixth blind suite, long pasted documents (rules in `blind6_families.py`).

Each prompt carries a text of over 2,000 characters. Kinds of change: the filter interval and
the cycle temperature in the middle of a dishwasher manual, or the answer's format; the
question, the claimant and the format asked of an expense policy; the exit code and the failing
step in the middle of a CI log, or what is asked about it.
"""

from __future__ import annotations

from typing import Any

from benchmarks.blind_pool import pooled

Slots = dict[str, Any]

_DW_HEAD = (
    "Aquastill DW-60 built-in dishwasher, user manual, chapter 7: care and maintenance.\n\n"
    "7.1 Spray arms. Food residue and limescale can block the nozzles of the upper and lower "
    "spray arms. Unscrew the upper arm anticlockwise, pull the lower arm straight up, rinse "
    "both under running water and clear any blocked nozzle with a toothpick. Refit them and "
    "check that they turn freely by hand before closing the door.\n\n"
    "7.2 Door seal. Wipe the rubber seal with a damp cloth and a little washing-up liquid "
    "every few weeks. Do not use solvents or abrasive pads, which make the rubber brittle and "
    "cause leaks at the bottom corners of the door.\n\n"
    "7.3 Filter system. The filter system has three parts: the coarse filter, the fine filter "
    "and the microfilter. Twist the coarse filter anticlockwise and lift it out together with "
    "the microfilter, then take out the flat fine filter. Rinse all parts under warm water. "
)
_DW_TAIL = (
    "Never run the dishwasher without the filters fitted: food particles would reach the "
    "drain pump and can damage it, which is not covered by the warranty.\n\n"
    "7.4 Salt and rinse aid. Refill the softener salt when the salt indicator lights up, "
    "using coarse dishwasher salt only; table salt contains additives that damage the "
    "softener. Set the rinse aid dose between 1 and 6; raise it if glasses come out with "
    "water spots, lower it if they look streaky or feel sticky.\n\n"
    "7.5 Long absences. If you leave the appliance unused for more than a month, run a rinse "
    "cycle, switch it off at the mains, turn off the water tap and leave the door slightly "
    "open so that no odours build up. In rooms that can freeze, have the remaining water "
    "drained by the service team.\n\n"
    "7.6 Odours and stains. A musty smell usually means food trapped in the filters or the "
    "drain hose is kinked. Tea and tomato stains on the plastic inner door are harmless and "
    "fade over time; do not scrub them with steel wool. White film on glasses that cannot be "
    "wiped off is glass corrosion, caused by soft water and high temperatures, and cannot be "
    "reversed: use a lower temperature programme and check the water hardness setting.\n\n"
    "7.7 Service. Before calling the service team, note the model number and the serial "
    "number printed on the rating plate at the edge of the door."
)


def _manual(s: Slots) -> str:
    return (
        f"{_DW_HEAD}Clean the filters every {s['freq']}, and run a {s['temp']} °C maintenance "
        f"cycle with the machine empty at the same interval.\n\n{_DW_TAIL}"
    )


DISHWASHER = pooled(
    "dishwasher_manual_rag",
    (
        lambda s: (
            "Answer the customer's question using the manual excerpt below. Question: what "
            f"filter and maintenance routine does my dishwasher need? Reply as {s['fmt']}.\n\n"
            f"{_manual(s)}"
        ),
        lambda s: (
            f"{_manual(s)}\n\nFrom the manual excerpt above, tell the customer what filter and "
            f"maintenance routine their dishwasher needs, as {s['fmt']}."
        ),
        lambda s: (
            "Manual excerpt follows. The customer asks about the filter and maintenance "
            f"routine for the dishwasher; answer as {s['fmt']}, relying solely on the excerpt.\n\n"
            f"{_manual(s)}"
        ),
    ),
    {
        "freq": ["week", "two weeks", "month", "three months"],
        "temp": [65, 70],
        "fmt": ["a three-step checklist", "one short paragraph"],
    },
)

_POLICY = (
    "Meridale Group travel and expense policy (version 9, applies from 1 January).\n\n"
    "1. Scope. This policy applies to full-time employees travelling on company business. "
    "Contractors are reimbursed only for costs named in their statement of work and must "
    "submit receipts through their agency, never through the employee expense tool.\n\n"
    "2. Booking. Flights, trains and hotels are booked through the travel desk at least 14 "
    "days ahead where possible. Economy class is the default; premium economy is allowed on "
    "flights longer than six hours.\n\n"
    "3. Hotels. The nightly cap, including taxes, is 220 euros in London, Paris and Zurich "
    "and 150 euros elsewhere in Europe. Contractors' hotels are capped at 150 euros in every "
    "city. Minibar, laundry and in-room films are not reimbursed.\n\n"
    "4. Meals. On travel days employees may claim up to 55 euros a day for meals, with "
    "receipts; alcohol is reimbursed only at client dinners approved by a director. "
    "Contractors may claim meals only if their statement of work says so.\n\n"
    "5. Local transport. Public transport is preferred. Taxis and ride-hailing are "
    "reimbursed after 9 pm, when carrying equipment, or when no public transport runs; keep "
    "the receipt and write the reason on the claim.\n\n"
    "6. Client gifts. Gifts to clients may not exceed 50 euros per person per year and must "
    "be logged in the gifts register before they are given. Gifts of cash or vouchers are "
    "never allowed.\n\n"
    "7. Conferences and training. Registration fees for conferences and courses need "
    "written approval from the budget holder before booking. Travel to the event follows "
    "sections 2 to 5; evening events that are part of the programme are not claimed as "
    "meals.\n\n"
    "8. Mileage. Use of a private car is reimbursed at 0.30 euros per kilometre when it is "
    "cheaper than the train, up to 400 kilometres per trip. Parking and tolls are reimbursed "
    "with receipts; fines never are.\n\n"
    "9. Claims. Submit claims within 30 days of the trip. Late claims need approval from the "
    "finance director and may be refused. Claims without receipts above 25 euros are "
    "returned to the claimant unpaid."
)
EXPENSE = pooled(
    "expense_policy_question",
    (
        lambda s: (
            f"Using only the policy below, what can {s['who']} claim for {s['topic']}? "
            f"Answer in {s['fmt']}.\n\n{_POLICY}"
        ),
        lambda s: (
            f"{_POLICY}\n\nBased on this policy alone, answer in {s['fmt']}: what may "
            f"{s['who']} claim for {s['topic']}?"
        ),
        lambda s: (
            f"Policy question ({s['fmt']} please). Claimant: {s['who']}. Expense: "
            f"{s['topic']}. Rely only on this document:\n\n{_POLICY}"
        ),
    ),
    {
        "topic": ["hotel nights in London", "meals on travel days", "taxis", "client gifts"],
        "who": ["a full-time employee", "a contractor"],
        "fmt": ["one sentence", "a short table"],
    },
)

_LOG_HEAD = (
    "Run #4172 of workflow ci.yml on branch release/2.8 (commit 9f3c2e1)\n"
    "[setup] Runner: ubuntu-24.04, 4 vCPU, 16 GB RAM\n"
    "[setup] Restoring cache key deps-linux-5b1e... hit (412 MB)\n"
    "[checkout] Fetching 1 commit... done\n"
    "[lint] ruff check . ... 0 errors\n"
    "[lint] mypy --strict src ... Success: no issues found in 214 source files\n"
    "[unit-tests] pytest -q -n 4 tests/unit\n"
    "[unit-tests] ........................................................ [ 52%]\n"
    "[unit-tests] ........................................................ [100%]\n"
    "[unit-tests] 1184 passed, 3 skipped in 97.41s\n"
    "[build-image] docker buildx build --platform linux/amd64 -t app:9f3c2e1 .\n"
    "[build-image] #12 [builder 4/7] RUN pip wheel -r requirements.txt -w /wheels\n"
    "[build-image] #14 [runtime 3/5] COPY --from=builder /wheels /wheels\n"
    "[integration-tests] docker compose -f ci/compose.yml up -d postgres redis app\n"
    "[integration-tests] waiting for app health check on :8000 ... healthy after 14s\n"
    "[integration-tests] pytest -q tests/integration --maxfail=1\n"
    "[integration-tests] ......................................\n"
)
_LOG_TAIL = (
    "[post] Uploading artifact test-reports (2.1 MB)... done\n"
    "[post] Uploading artifact compose-logs (8.4 MB)... done\n"
    "[post] docker compose -f ci/compose.yml down -v\n"
    "[post] Saving cache key deps-linux-5b1e... skipped (cache hit on restore)\n"
    "[post] Cleaning up orphan processes\n"
    "[post] Job container logs: app exited, postgres exited (0), redis exited (0)\n"
    "[post] Runner disk usage after job: 61% of 84 GB, memory high-water mark 15.2 GB\n"
    "[post] Removing network ci_default\n"
    "[post] Removing container ci-app-1, ci-postgres-1, ci-redis-1\n"
    "[post] Removing volume ci_pgdata\n"
    "[post] Post job cleanup: checkout, setup-python, docker/setup-buildx-action\n"
    "[summary] lint: success (31s)\n"
    "[summary] unit-tests: success (1m 52s)\n"
    "[summary] build-image: see below\n"
    "[summary] integration-tests: see below\n"
    "[summary] deploy-staging: skipped (needs: integration-tests)\n"
    "[summary] Total duration: 11m 06s, billable time 12m\n"
    "[annotations] 2 warnings: Node.js 16 actions are deprecated (actions/upload-artifact@v3);"
    " The 'set-output' command is deprecated and will be disabled soon.\n"
)


def _log(s: Slots) -> str:
    return (
        f"{_LOG_HEAD}[{s['step']}] Error: Process completed with exit code {s['code']}.\n"
        f"[{s['step']}] ##[error] step failed, job marked as failed\n{_LOG_TAIL}"
    )


CI_LOG = pooled(
    "ci_log_failure",
    (
        lambda s: f"Here is our CI log; please {s['ask']}.\n\n```\n{_log(s)}```",
        lambda s: f"```\n{_log(s)}```\n\nGiven the CI log above, {s['ask']}.",
        lambda s: f"CI run log pasted below. Request: {s['ask']}.\n\n```\n{_log(s)}```",
    ),
    {
        "code": ["137", "1", "143", "124"],
        "step": ["integration-tests", "build-image"],
        "ask": ["explain why the job failed", "suggest the smallest fix to the workflow"],
    },
)

FAMILIES = (DISHWASHER, EXPENSE, CI_LOG)
