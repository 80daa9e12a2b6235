"""Fifth blind suite, family, study, energy and science questions (rules in `blind5_families.py`).

Kinds of change: a baby's age in months, born on time or early, and daytime/night-time sleep;
hours of work, the country and term time/summer break on a student visa; a battery's size, the
charge window and the charger; yearly use, the roof's direction, the shading and the region of
a solar install; how many groups, independent/paired and the data's shape in a choice of
statistical test; the direction, speed and cliff height of a thrown ball; what the ball did,
the serve or rally and who hit it in a tennis ruling.
"""

from __future__ import annotations

from benchmarks.blind_pool import cap, pooled

BABY = pooled(
    "baby_sleep_age",
    (
        lambda s: f"How much {s['when']} sleep does a {s['age']}-month-old {s['who']} need?",
        lambda s: (
            f"My {s['who']} is {s['age']} months old. How many hours of {s['when']} sleep are "
            f"typical at this age?"
        ),
        lambda s: (
            f"{cap(s['when'])} sleep needs for a {s['who']} aged {s['age']} months: what's normal?"
        ),
    ),
    {
        "when": ["daytime", "night-time"],
        "age": ["4", "9", "15", "20"],
        "who": ["baby", "premature baby"],
    },
)
VISA = pooled(
    "student_visa_hours",
    (
        lambda s: (
            f"Can I work {s['hours']} hours a week on a student visa in {s['country']} during "
            f"{s['period']}?"
        ),
        lambda s: (
            f"I'm on a student visa in {s['country']}. During {s['period']}, may I legally "
            f"work {s['hours']} hours per week?"
        ),
        lambda s: (
            f"Student visa, {s['country']}: is {s['hours']} hours of paid work a week permitted "
            f"during {s['period']}?"
        ),
    ),
    {
        "hours": ["20", "30", "40"],
        "country": ["Canada", "Australia", "Ireland"],
        "period": ["term time", "the summer break"],
    },
)
EV = pooled(
    "ev_charge_window",
    (
        lambda s: (
            f"How long will it take to charge a {s['kwh']} kWh battery {s['range']} on a "
            f"{s['charger']}?"
        ),
        lambda s: (
            f"On a {s['charger']}, charging my {s['kwh']} kWh battery {s['range']}: how many "
            f"hours or minutes does that take?"
        ),
        lambda s: (
            f"Charge time estimate please. Battery: {s['kwh']} kWh. Going {s['range']}. "
            f"Using a {s['charger']}."
        ),
    ),
    {
        "kwh": ["60", "77"],
        "range": ["from 20% to 80%", "from 10% to 80%", "from 20% to 100%"],
        "charger": ["7 kW home wallbox", "50 kW rapid charger", "three-pin plug socket"],
    },
)
SOLAR = pooled(
    "solar_roof_sizing",
    (
        lambda s: (
            f"How many solar panels would a house using {s['use']} kWh a year need, with a "
            f"{s['face']}-facing roof in {s['place']} and {s['shade']} shading?"
        ),
        lambda s: (
            f"Our roof faces {s['face']}, we're in {s['place']}, there's {s['shade']} shading, "
            f"and we use {s['use']} kWh per year. How many panels do we need?"
        ),
        lambda s: (
            f"Solar sizing: {s['use']} kWh annual use, {s['face']}-facing roof, {s['shade']} "
            f"shading, located in {s['place']}. Number of panels?"
        ),
    ),
    {
        "use": ["3,500", "6,000"],
        "face": ["south", "east", "north"],
        "place": ["Scotland", "southern Spain"],
        "shade": ["no", "partial", "heavy"],
    },
)
STATS_TEST = pooled(
    "stats_test_choice",
    (
        lambda s: (
            f"Which statistical test is right for comparing {s['groups']} {s['design']} "
            f"groups when the data are {s['dist']}?"
        ),
        lambda s: (
            f"I have {s['groups']} {s['design']} groups and the data are {s['dist']}. What "
            f"test is appropriate?"
        ),
        lambda s: (
            f"Choosing a significance test: {s['groups']} groups, {s['design']}, data "
            f"{s['dist']}. Which one fits?"
        ),
    ),
    {
        "groups": ["two", "three", "four"],
        "design": ["independent", "paired"],
        "dist": ["normally distributed", "heavily skewed", "ordinal ratings"],
    },
)
THROW = pooled(
    "cliff_throw_direction",
    (
        lambda s: (
            f"A ball is thrown {s['dir']} at {s['v']} m/s from the top of a {s['h']} m cliff. "
            f"How long until it hits the ground?"
        ),
        lambda s: (
            f"From the top of a {s['h']} m cliff, someone throws a ball {s['dir']} at "
            f"{s['v']} m/s. Find the time it takes to reach the ground."
        ),
        lambda s: (
            f"Projectile problem. Cliff height {s['h']} m, launch speed {s['v']} m/s, thrown "
            f"{s['dir']}. Time to impact?"
        ),
    ),
    {
        "dir": ["straight up", "straight down", "horizontally"],
        "v": ["12", "15", "20"],
        "h": ["30", "45"],
    },
)
TENNIS = pooled(
    "tennis_ball_ruling",
    (
        lambda s: (
            f"In tennis, what happens if the ball hit by {s['who']} {s['event']} during "
            f"{s['phase']}?"
        ),
        lambda s: (
            f"{cap(s['phase'])} in a tennis match: the ball hit by {s['who']} {s['event']}. "
            f"What's the ruling?"
        ),
        lambda s: (
            f"What does the rulebook say when, in tennis, a ball hit by {s['who']} "
            f"{s['event']} during {s['phase']}?"
        ),
    ),
    {
        "event": ["clips the net cord", "lands on the baseline", "hits the umpire's chair"],
        "phase": ["a first serve", "a second serve", "a rally"],
        "who": ["me", "my opponent"],
    },
)

FAMILIES = (BABY, VISA, EV, SOLAR, STATS_TEST, THROW, TENNIS)
