"""Fifth blind suite, hobbies, food and drink, family and words (rules in `blind5_families.py`).

Kinds of change: the brewing method, the roast and how many cups; the dish, how it is cooked and
the occasion of a wine pairing; the scene, the lens and tripod/handheld for camera settings; the
chess opening, the side and the level; the yarn weight, the garment and the size; how long,
what kind of trip and who comes along for a packing list; the poem form, its subject and what it
is for; the language, the relative (father's older/younger brother, mother's brother, father's
sister) and native script/romanisation for a kinship term;
the tone, who the toast is for, its length and the story it mentions; the word relation (rhyme,
same first sound, anagram), the word and how many.
"""

from __future__ import annotations

from benchmarks.blind_pool import pooled

COFFEE = pooled(
    "coffee_brew_method",
    (
        lambda s: (
            f"What grind size and coffee-to-water ratio should I use for {s['method']} with "
            f"{s['roast']} beans, making {s['cups']}?"
        ),
        lambda s: (
            f"Brewing {s['cups']} with {s['method']} and {s['roast']} beans: which grind size "
            f"and ratio of coffee to water?"
        ),
        lambda s: (
            f"I'm making {s['cups']} in {s['method']} using {s['roast']} beans. How fine "
            f"should I grind, and how much coffee per unit of water?"
        ),
    ),
    {
        "method": ["a pour-over", "a French press", "an AeroPress", "a moka pot"],
        "roast": ["light roast", "dark roast"],
        "cups": ["one cup", "four cups"],
    },
)
WINE = pooled(
    "wine_dish_pairing",
    (
        lambda s: f"Which wine goes well with {s['dish']} {s['how']}, for {s['occasion']}?",
        lambda s: (
            f"For {s['occasion']} I'm serving {s['dish']} {s['how']}. What wine should I pour?"
        ),
        lambda s: (
            f"Wine pairing needed: {s['dish']}, {s['how']}; the occasion is {s['occasion']}. "
            f"Suggestions?"
        ),
    ),
    {
        "dish": ["salmon", "duck breast", "pork belly"],
        "how": ["grilled", "in a creamy sauce", "with a spicy glaze"],
        "occasion": ["a weeknight dinner", "a wedding anniversary"],
    },
)
CAMERA = pooled(
    "camera_scene_settings",
    (
        lambda s: (
            f"Which camera settings suit photographing {s['scene']} with my {s['lens']} "
            f"lens, {s['rig']}?"
        ),
        lambda s: (
            f"Shooting {s['scene']} {s['rig']}, using the {s['lens']} lens: which aperture, "
            f"shutter speed and ISO?"
        ),
        lambda s: (
            f"Camera settings help. Subject: {s['scene']}. Lens: {s['lens']}. Setup: {s['rig']}."
        ),
    ),
    {
        "scene": [
            "a night sky full of stars",
            "a children's football match",
            "a portrait indoors",
            "a waterfall with silky water",
        ],
        "lens": ["50mm f/1.8", "18-55mm kit"],
        "rig": ["on a tripod", "handheld"],
    },
)
CHESS = pooled(
    "chess_opening_side",
    (
        lambda s: (
            f"Explain the main plans in the {s['opening']} for {s['side']}, at {s['level']} level."
        ),
        lambda s: (
            f"I play the {s['opening']} with {s['side']} and I'm a {s['level']}-level player. "
            f"What are the key plans?"
        ),
        lambda s: (
            f"{s['opening']}: key ideas for {s['side']}, explained for a {s['level']} player."
        ),
    ),
    {
        "opening": ["Sicilian Defence", "Queen's Gambit", "Caro-Kann"],
        "side": ["the white pieces", "the black pieces"],
        "level": ["beginner", "club"],
    },
)
KNIT = pooled(
    "knitting_yarn_weight",
    (
        lambda s: f"How much {s['weight']} yarn does a {s['item']} in {s['size']} size take?",
        lambda s: (
            f"I'm knitting a {s['item']}, {s['size']} size, with {s['weight']} yarn. How many "
            f"metres should I buy?"
        ),
        lambda s: f"Yarn estimate: {s['item']}, {s['size']} size, {s['weight']} weight.",
    ),
    {
        "weight": ["chunky", "double knitting", "aran"],
        "item": ["jumper", "cardigan", "beanie"],
        "size": ["toddler", "adult medium", "adult extra-large"],
    },
)
PACKING = pooled(
    "packing_list_trip",
    (
        lambda s: f"Make a packing list for {s['length']} of {s['kind']} with {s['who']}.",
        lambda s: f"I'm going {s['kind']} with {s['who']} for {s['length']}. What should I pack?",
        lambda s: (
            f"Packing list please. Trip: {s['kind']}; duration: {s['length']}; travelling with "
            f"{s['who']}."
        ),
    ),
    {
        "length": ["a weekend", "a week", "two weeks"],
        "kind": ["camping", "skiing", "sailing"],
        "who": ["a toddler", "my dog"],
    },
)
POEM = pooled(
    "poem_form_purpose",
    (
        lambda s: f"Write a {s['form']} about {s['subject']} for {s['purpose']}.",
        lambda s: (
            f"For {s['purpose']}, could you compose a {s['form']} on the subject of {s['subject']}?"
        ),
        lambda s: f"I need a {s['form']} for {s['purpose']}. Topic: {s['subject']}.",
    ),
    {
        "form": ["haiku", "limerick", "sonnet"],
        "subject": ["a lighthouse", "my grandmother's garden", "the last train home"],
        "purpose": ["a birthday card", "a funeral"],
    },
)
KINSHIP = pooled(
    "kinship_term_language",
    (
        lambda s: f"In {s['lang']}, what do I call my {s['who']}? Write it {s['script']}.",
        lambda s: (
            f"How do you address your {s['who']} in {s['lang']}? Give the word {s['script']}."
        ),
        lambda s: f"{s['lang']} kinship term needed for my {s['who']}, written {s['script']}.",
    ),
    {
        "lang": ["Mandarin", "Korean", "Hindi"],
        "who": [
            "father's older brother",
            "father's younger brother",
            "mother's brother",
            "father's sister",
        ],
        "script": ["in the native script", "in romanisation only"],
    },
)
TOAST = pooled(
    "wedding_toast_tone",
    (
        lambda s: (
            f"Write a {s['tone']} wedding toast for my {s['who']} that lasts about {s['len']} "
            f"and mentions {s['story']}."
        ),
        lambda s: (
            f"My {s['who']} is getting married. Can you write a {s['tone']} toast, about "
            f"{s['len']} long, that mentions {s['story']}?"
        ),
        lambda s: (
            f"Wedding speech for my {s['who']}; {s['tone']}; roughly {s['len']}; work in "
            f"{s['story']}."
        ),
    ),
    {
        "tone": ["funny", "heartfelt"],
        "who": ["older sister", "best friend", "brother"],
        "len": ["two minutes", "five minutes"],
        "story": ["our camping disaster", "how they met at a bus stop"],
    },
)
WORDS = pooled(
    "word_relation_game",
    (
        lambda s: f'Give me {s["n"]} words that {s["rel"]} "{s["word"]}".',
        lambda s: f'I need words that {s["rel"]} "{s["word"]}", {s["n"]} of them, please.',
        lambda s: f'Word game: find {s["n"]} words which {s["rel"]} the word "{s["word"]}".',
    ),
    {
        "n": ["five", "ten"],
        "rel": ["rhyme with", "start with the same sound as", "are anagrams of"],
        "word": ["stone", "heart", "night"],
    },
)

FAMILIES = (COFFEE, WINE, CAMERA, CHESS, KNIT, PACKING, POEM, KINSHIP, TOAST, WORDS)
