"""Fourth blind suite, health, school, sport, food and lab (rules in `blind4_families.py`).

Kinds of change: the kind of appointment, the doctor, the day and morning/afternoon; the
specialty a GP refers to, the patient's age and how long the complaint has lasted; a pupil's
attainment level, subject and next step; a course code, a term and a letter grade; a race
distance, a runner's level, weeks and days a week; workout equipment, body focus and minutes;
a diet, an allergen, a meal and how many people; a pressure value and its source and target
units; stock and target concentrations (mM/µM) and a volume.
"""

from __future__ import annotations

from benchmarks.blind_pool import cap, pooled

APPOINTMENT = pooled(
    "appointment_reschedule",
    (
        lambda s: (
            f"Please move my {s['kind']} appointment with Dr {s['doctor']} to {s['day']} "
            f"{s['tod']}."
        ),
        lambda s: (
            f"Could you reschedule the {s['kind']} appointment I have with Dr {s['doctor']}? "
            f"{cap(s['day'])} {s['tod']} would suit me."
        ),
        lambda s: (
            f"Change of booking: {s['kind']} with Dr {s['doctor']}, new slot {s['day']} "
            f"{s['tod']} if possible."
        ),
    ),
    {
        "kind": ["blood test", "physiotherapy", "asthma review", "vaccination"],
        "doctor": ["Okafor", "Lindqvist"],
        "day": ["next Tuesday", "next Friday"],
        "tod": ["morning", "afternoon"],
    },
)
REFERRAL = pooled(
    "gp_referral_specialty",
    (
        lambda s: (
            f"Write a GP referral letter to {s['spec']} for a {s['age']}-year-old patient who "
            f"has had {s['complaint']} for {s['dur']}."
        ),
        lambda s: (
            f"A {s['age']}-year-old patient has had {s['complaint']} for {s['dur']}. Draft the "
            f"GP's letter referring them to {s['spec']}."
        ),
        lambda s: (
            f"I'm a GP sending a patient to {s['spec']}: {s['age']} years old, "
            f"{s['complaint']} for {s['dur']}. Please write the referral."
        ),
    ),
    {
        "spec": ["cardiology", "rheumatology", "neurology", "dermatology"],
        "age": ["34", "71"],
        "complaint": ["intermittent palpitations", "recurring headaches"],
        "dur": ["three weeks", "six months"],
    },
)
REPORT = pooled(
    "report_comment_level",
    (
        lambda s: (
            f"Write a report card comment for a pupil who is {s['level']} in {s['subject']} "
            f"and should work on {s['area']}."
        ),
        lambda s: (
            f"I need a school report comment. The pupil is {s['level']} in {s['subject']}, and "
            f"their next step is {s['area']}."
        ),
        lambda s: (
            f"Report comment, please: {s['subject']}, {s['level']}, target for next term is "
            f"{s['area']}."
        ),
    ),
    {
        "level": [
            "exceeding expectations",
            "meeting expectations",
            "working towards expectations",
        ],
        "subject": ["reading", "maths", "science"],
        "area": ["neater handwriting", "showing their working", "listening in group tasks"],
    },
)
COURSE = pooled(
    "course_prerequisite_grade",
    (
        lambda s: (
            f"Can I enrol in {s['course']} in the {s['term']} term if I got a {s['grade']} in "
            f"the prerequisite?"
        ),
        lambda s: (
            f"I got a {s['grade']} in the prerequisite. Am I allowed to take {s['course']} in "
            f"the {s['term']} term?"
        ),
        lambda s: (
            f"Is a {s['grade']} in the prerequisite enough to register for {s['course']} in the "
            f"{s['term']} term?"
        ),
    ),
    {
        "course": ["MATH 201", "CHEM 110", "ECON 305"],
        "term": ["autumn", "spring", "summer"],
        "grade": ["C", "C-", "D+"],
    },
)
RUNNING = pooled(
    "running_plan_goal",
    (
        lambda s: (
            f"Make me a {s['weeks']}-week {s['goal']} training plan. I'm a {s['level']} runner "
            f"and can run {s['days']} days a week."
        ),
        lambda s: (
            f"I'm a {s['level']} runner with {s['days']} days a week to train. What would a "
            f"{s['weeks']}-week plan for a {s['goal']} look like?"
        ),
        lambda s: (
            f"Training plan request: {s['goal']}, {s['weeks']} weeks, {s['level']} runner, "
            f"{s['days']} days a week."
        ),
    ),
    {
        "goal": ["10k", "half marathon", "marathon"],
        "level": ["beginner", "intermediate"],
        "weeks": ["10", "16"],
        "days": ["3", "5"],
    },
)
WORKOUT = pooled(
    "workout_equipment_focus",
    (
        lambda s: f"Give me a {s['mins']}-minute {s['focus']} workout using only a {s['equip']}.",
        lambda s: (
            f"I've got {s['mins']} minutes and a single {s['equip']}. What {s['focus']} workout "
            f"should I do?"
        ),
        lambda s: (
            f"{cap(s['focus'])} session, {s['mins']} minutes, the only equipment is a "
            f"{s['equip']}: plan it for me."
        ),
    ),
    {
        "focus": ["upper-body", "lower-body", "core"],
        "equip": ["dumbbell", "kettlebell", "resistance band", "pull-up bar"],
        "mins": ["20", "45"],
    },
)
RECIPE = pooled(
    "recipe_diet_allergen",
    (
        lambda s: (
            f"Suggest a {s['diet']} {s['meal']} recipe for {s['n']} people that is also "
            f"{s['allergen']}-free."
        ),
        lambda s: (
            f"I'm cooking {s['meal']} for {s['n']} people. It has to be {s['diet']} and "
            f"{s['allergen']}-free. Any recipe ideas?"
        ),
        lambda s: f"Recipe wanted: {s['meal']} for {s['n']}, {s['diet']}, {s['allergen']}-free.",
    ),
    {
        "diet": ["vegan", "vegetarian", "pescatarian"],
        "allergen": ["nut", "gluten", "soy"],
        "meal": ["lunch", "dinner"],
        "n": ["2", "6"],
    },
    vary_keys=("diet", "allergen", "n"),
)
PRESSURE = pooled(
    "pressure_unit_convert",
    (
        lambda s: f"Convert {s['x']} {s['a']} to {s['b']}.",
        lambda s: f"What is {s['x']} {s['a']} in {s['b']}?",
        lambda s: f"How many {s['b']} is {s['x']} {s['a']}?",
    ),
    {
        "x": ["2.5", "101.3", "35"],
        "a": ["kilopascals", "bar"],
        "b": ["psi", "atmospheres", "millimetres of mercury"],
    },
)
DILUTION = pooled(
    "dilution_concentration",
    (
        lambda s: (
            f"How much of a {s['stock']} M NaCl stock do I need to make {s['vol']} mL of "
            f"{s['target']} {s['unit']} NaCl?"
        ),
        lambda s: (
            f"I want {s['vol']} mL of {s['target']} {s['unit']} NaCl, starting from a "
            f"{s['stock']} M stock. What volume of stock should I use?"
        ),
        lambda s: (
            f"Dilution question: {s['stock']} M NaCl stock, target {s['target']} {s['unit']} in "
            f"{s['vol']} mL. How much stock goes in?"
        ),
    ),
    {
        "stock": ["1", "5"],
        "vol": ["250", "500"],
        "target": ["10", "150"],
        "unit": ["mM", "µM"],
    },
)

FAMILIES = (
    APPOINTMENT,
    REFERRAL,
    REPORT,
    COURSE,
    RUNNING,
    WORKOUT,
    RECIPE,
    PRESSURE,
    DILUTION,
)
