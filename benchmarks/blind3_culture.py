"""Third blind suite, culture, commerce and work (see `blind3_families.py` for the rules).

Kinds of change: a football club, a season or a counted statistic; an instrument, a key or a
tempo; a quiz's difficulty or subject; a marketing channel (platform) or an audience (job
title); a contract clause type or a jurisdiction; a shipping speed, parcel weight or destination;
a character class or a game mode; a story's genre or its narrator's job.
"""

from __future__ import annotations

from benchmarks.blind_pool import pooled

SPORTS = pooled(
    "football_season_stat",
    (
        lambda s: f"How many {s['stat']} did {s['club']} have in the {s['season']} league season?",
        lambda s: (
            f"In the {s['season']} league season, what was {s['club']}'s total of {s['stat']}?"
        ),
        lambda s: f"{s['club']}, {s['season']} league season: number of {s['stat']}?",
    ),
    {
        "club": ["Brentford", "Real Sociedad", "Bologna", "Feyenoord"],
        "stat": ["clean sheets", "red cards", "yellow cards", "away wins"],
        "season": ["2021-22", "2022-23", "2023-24"],
    },
)
MUSIC = pooled(
    "melody_instrument_key",
    (
        lambda s: (
            f"Rewrite this {s['key']} melody for {s['instrument']} and mark the tempo as "
            f"{s['tempo']} bpm."
        ),
        lambda s: (
            f"Arrange this melody, which is in {s['key']}, for {s['instrument']}, with a tempo "
            f"marking of {s['tempo']} bpm."
        ),
        lambda s: (
            f"For {s['instrument']}: take this {s['key']} melody, rewrite it, tempo {s['tempo']} "
            f"bpm."
        ),
    ),
    {
        "instrument": ["clarinet", "alto saxophone", "French horn", "cello"],
        "key": ["E minor", "B-flat major", "D major"],
        "tempo": ["72", "96", "120"],
    },
)
QUIZ = pooled(
    "quiz_difficulty",
    (
        lambda s: (
            f"Make a quiz with {s['n']} multiple-choice questions on {s['subject']} at "
            f"{s['level']} level, answers at the end."
        ),
        lambda s: (
            f"Write {s['n']} multiple-choice questions about {s['subject']}, {s['level']} "
            f"level, and put the answers at the end."
        ),
        lambda s: (
            f"Quiz request: {s['subject']}, {s['n']} multiple-choice questions, {s['level']} "
            f"level, answers after the questions."
        ),
    ),
    {
        "n": ["5", "10"],
        "level": ["beginner", "intermediate", "advanced"],
        "subject": ["photosynthesis", "the water cycle", "plate tectonics", "the Roman Empire"],
    },
    vary_keys=("level", "subject"),
)
MARKETING = pooled(
    "marketing_channel_audience",
    (
        lambda s: f"Write a {s['channel']} post promoting our {s['product']} to {s['audience']}.",
        lambda s: (
            f"Draft a {s['channel']} post that markets our {s['product']} to {s['audience']}."
        ),
        lambda s: (
            f"We're selling {s['product']} to {s['audience']}; write the {s['channel']} post "
            f"for it."
        ),
    ),
    {
        "channel": ["LinkedIn", "Instagram", "Facebook", "TikTok"],
        "audience": ["nurses", "accountants", "truck drivers", "teachers"],
        "product": ["ergonomic insoles", "noise-cancelling earbuds"],
    },
    vary_keys=("channel", "audience"),
)
CLAUSE = pooled(
    "contract_clause_law",
    (
        lambda s: (
            f"Draft a {s['clause']} clause for a {s['contract']} governed by the laws of "
            f"{s['law']}."
        ),
        lambda s: (
            f"I need a {s['clause']} clause, under the laws of {s['law']}, for a {s['contract']}."
        ),
        lambda s: f"Clause drafting: {s['clause']}, {s['contract']}, governing law {s['law']}.",
    ),
    {
        "clause": [
            "non-compete",
            "confidentiality",
            "limitation of liability",
            "termination for convenience",
        ],
        "law": ["England and Wales", "Delaware", "Ontario", "Singapore"],
        "contract": ["software licence", "consulting agreement"],
    },
    vary_keys=("clause", "law"),
)
SHIPPING = pooled(
    "parcel_shipping_quote",
    (
        lambda s: (
            f"Quote {s['speed']} shipping for a {s['weight']} parcel from Rotterdam to {s['dest']}."
        ),
        lambda s: (
            f"What does {s['speed']} shipping cost for a {s['weight']} parcel going from "
            f"Rotterdam to {s['dest']}?"
        ),
        lambda s: f"Shipping quote: {s['weight']} parcel, Rotterdam to {s['dest']}, {s['speed']}.",
    ),
    {
        "speed": ["standard", "express", "overnight"],
        "weight": ["2 kg", "12 kg", "30 kg"],
        "dest": ["Ireland", "Canada", "Japan", "Brazil"],
    },
)
GAME = pooled(
    "rpg_class_build",
    (
        lambda s: f"What's a good {s['lvl']} {s['cls']} build for {s['mode']} play?",
        lambda s: f"Suggest a {s['cls']} build at {s['lvl']} that works for {s['mode']} play.",
        lambda s: f"Build advice: {s['cls']}, {s['lvl']}, for {s['mode']} play.",
    ),
    {
        "cls": ["mage", "rogue", "paladin", "ranger"],
        "mode": ["solo", "co-op", "PvP"],
        "lvl": ["level 20", "level 60"],
    },
    vary_keys=("cls", "mode"),
)
STORY = pooled(
    "story_genre_narrator",
    (
        lambda s: (
            f"Write the opening paragraph of a {s['genre']} story narrated by a {s['narrator']} "
            f"in {s['setting']}."
        ),
        lambda s: (
            f"Give me the first paragraph of a {s['genre']} story set in {s['setting']}, told "
            f"by a {s['narrator']}."
        ),
        lambda s: (
            f"Opening paragraph please: {s['genre']}, the narrator is a {s['narrator']}, set in "
            f"{s['setting']}."
        ),
    ),
    {
        "genre": ["horror", "romance", "mystery", "comedy"],
        "narrator": ["lighthouse keeper", "night-shift nurse", "retired detective", "ship's cook"],
        "setting": ["a flooded village", "a mountain hotel"],
    },
    vary_keys=("genre", "narrator"),
)

FAMILIES = (SPORTS, MUSIC, QUIZ, MARKETING, CLAUSE, SHIPPING, GAME, STORY)
