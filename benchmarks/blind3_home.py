"""Third blind suite, home and everyday life (see `blind3_families.py` for the blindness rules).

Kinds of change: a room, a light scene or a time in a smart-home automation; a thermostat zone,
heat/cool/eco mode or temperature; the peril and the kind of insurance cover; a season, a soil
and a plant; an animal, its age or its symptom; a property type, for sale/to rent, bedrooms; the
weather asked about, the city, the day; a cooking method and cut; a body part and when to stretch.
"""

from __future__ import annotations

from benchmarks.blind_pool import cap, pooled

LIGHTS = pooled(
    "smart_home_lights",
    (
        lambda s: f"Set the {s['room']} lights to {s['mode']} at {s['time']} every day.",
        lambda s: f"Every day at {s['time']}, switch the {s['room']} lights to {s['mode']}.",
        lambda s: (
            f"Create a daily automation: at {s['time']} the {s['room']} lights change to "
            f"{s['mode']}."
        ),
    ),
    {
        "room": ["kitchen", "bedroom", "hallway", "nursery", "garage"],
        "mode": ["warm white", "cool daylight", "dim amber"],
        "time": ["6:45 pm", "9:30 pm", "11 pm"],
    },
)
THERMOSTAT = pooled(
    "thermostat_mode",
    (
        lambda s: (
            f"Put the {s['zone']} thermostat in {s['hvac']} mode at {s['temp']} degrees until "
            f"we get home."
        ),
        lambda s: (
            f"Until we get home, keep the {s['zone']} thermostat at {s['temp']} degrees in "
            f"{s['hvac']} mode."
        ),
        lambda s: (
            f"Thermostat ({s['zone']}): {s['hvac']} mode, {s['temp']} degrees, hold until "
            f"we're home."
        ),
    ),
    {
        "zone": ["upstairs", "downstairs", "basement"],
        "hvac": ["heat", "cool", "eco"],
        "temp": ["18", "20", "22"],
    },
)
INSURANCE = pooled(
    "insurance_peril",
    (
        lambda s: (
            f"My {s['item']} was damaged by {s['peril']} last night. Will a {s['policy']} "
            f"policy pay for the repairs?"
        ),
        lambda s: (
            f"Does a {s['policy']} policy cover repairs to my {s['item']} after it was damaged "
            f"by {s['peril']} last night?"
        ),
        lambda s: (
            f"Insurance question: {s['peril']} damaged my {s['item']} last night, and my cover "
            f"is {s['policy']}. Are the repairs paid for?"
        ),
    ),
    {
        "item": ["parked car", "motorbike", "camper van"],
        "peril": ["hail", "a falling tree", "flood water", "vandals"],
        "policy": ["comprehensive", "third-party only", "third-party, fire and theft"],
    },
    vary_keys=("peril", "policy"),
)
GARDEN = pooled(
    "garden_season",
    (
        lambda s: f"Is {s['season']} a good time to plant {s['plant']} in {s['soil']} soil?",
        lambda s: (
            f"Can I put {s['plant']} into {s['soil']} soil in {s['season']}, or is that the "
            f"wrong time?"
        ),
        lambda s: f"Planting {s['plant']} in {s['season']}: will it work in {s['soil']} soil?",
    ),
    {
        "plant": ["garlic", "tulip bulbs", "broad beans", "lavender"],
        "season": ["spring", "late summer", "autumn", "winter"],
        "soil": ["clay", "sandy", "chalky"],
    },
)
PET = pooled(
    "pet_symptom",
    (
        lambda s: (
            f"My {s['age']} {s['animal']} {s['symptom']} since yesterday. Does it need a vet today?"
        ),
        lambda s: (
            f"Since yesterday my {s['age']} {s['animal']} {s['symptom']}. Should it see a vet "
            f"today?"
        ),
        lambda s: f"Vet today or wait? My {s['age']} {s['animal']} {s['symptom']} since yesterday.",
    ),
    {
        "animal": ["cat", "dog", "rabbit", "guinea pig"],
        "age": ["two-year-old", "ten-year-old"],
        "symptom": [
            "has been sneezing",
            "has been limping",
            "has not been eating",
            "has been drinking much more water",
        ],
    },
)
LISTING = pooled(
    "property_listing",
    (
        lambda s: (
            f"Write a property listing for a {s['beds']}-bedroom {s['kind']} {s['deal']} with "
            f"{s['feature']}."
        ),
        lambda s: (
            f"Draft the advert for a {s['beds']}-bedroom {s['kind']} with {s['feature']}, "
            f"{s['deal']}."
        ),
        lambda s: (
            f"I need listing copy: {s['beds']}-bedroom {s['kind']}, {s['feature']}, {s['deal']}."
        ),
    ),
    {
        "beds": ["two", "three", "four"],
        "kind": ["flat", "terraced house", "bungalow", "cottage"],
        "deal": ["for sale", "to rent"],
        "feature": ["a south-facing garden", "a garage", "sea views"],
    },
    vary_keys=("beds", "kind", "deal"),
)
WEATHER = pooled(
    "weather_outlook",
    (
        lambda s: f"Is there a chance of {s['wx']} in {s['city']} on {s['day']}?",
        lambda s: f"Could {s['city']} get {s['wx']} on {s['day']}?",
        lambda s: f"Forecast check for {s['city']}: any {s['wx']} expected on {s['day']}?",
    ),
    {
        "wx": ["rain", "snow", "frost", "thunderstorms"],
        "city": ["Krakow", "Calgary", "Sapporo", "Edinburgh"],
        "day": ["Saturday morning", "Sunday afternoon", "Monday night"],
    },
)
COOKING = pooled(
    "cooking_method",
    (
        lambda s: f"How long does it take to {s['method']} a {s['weight']} {s['cut']}?",
        lambda s: (
            f"I want to {s['method']} a {s['weight']} {s['cut']}. How much time should I allow?"
        ),
        lambda s: f"Cooking time to {s['method']} a {s['weight']} {s['cut']}, please.",
    ),
    {
        "method": ["roast", "braise", "smoke", "pressure-cook"],
        "cut": ["pork shoulder", "leg of lamb", "beef brisket"],
        "weight": ["1.5 kg", "2 kg", "3 kg"],
    },
    vary_keys=("method", "cut"),
)
STRETCH = pooled(
    "stretch_body_part",
    (
        lambda s: (
            f"Give me a {s['minutes']}-minute stretching routine for my {s['part']} to do "
            f"{s['when']}."
        ),
        lambda s: (
            f"What stretches for my {s['part']} can I do {s['when']}? About {s['minutes']} "
            f"minutes in total."
        ),
        lambda s: f"{cap(s['minutes'])}-minute stretch plan, {s['part']}, to do {s['when']}.",
    ),
    {
        "minutes": ["five", "ten", "fifteen"],
        "part": ["lower back", "hamstrings", "neck", "hips", "shoulders"],
        "when": ["after running", "before bed", "at my desk"],
    },
    vary_keys=("part", "when"),
)

FAMILIES = (LIGHTS, THERMOSTAT, INSURANCE, GARDEN, PET, LISTING, WEATHER, COOKING, STRETCH)
