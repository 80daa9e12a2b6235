"""Word lists the slot rules read (cache/slots.py): unit spellings and their canonical unit,
units, amount suffixes, calendar names and number words with their value.

Data only. A number word maps to the digits it means ("twelve" -> "12", "dozen" -> "12"), so
"two cats" and "2 cats" agree; "last" maps to itself (an ordinal without a number)."""

from __future__ import annotations

UNIT_ALIASES = {
    "km": "kilometers", "kilometer": "kilometers", "kilometres": "kilometers",
    "mi": "miles", "mile": "miles", "kg": "kilograms", "kilogram": "kilograms",
    "lb": "pounds", "lbs": "pounds", "pound": "pounds", "l": "liters", "liter": "liters",
    "litres": "liters", "gallon": "gallons", "m": "meters", "meter": "meters",
    "metres": "meters", "ft": "feet", "foot": "feet", "inch": "inches",
    "cm": "centimeters", "centimeter": "centimeters", "c": "celsius", "f": "fahrenheit",
    "g": "grams", "gram": "grams", "oz": "ounces", "ounce": "ounces", "mb": "megabytes",
    "gb": "gigabytes", "tb": "terabytes", "kb": "kilobytes", "ms": "milliseconds",
    "s": "seconds", "sec": "seconds", "second": "seconds", "min": "minutes",
    "minute": "minutes", "h": "hours", "hr": "hours", "hour": "hours", "day": "days",
    "week": "weeks", "month": "months", "year": "years", "usd": "dollars",
    "dollar": "dollars", "eur": "euros", "euro": "euros",
}  # fmt: skip
UNITS = frozenset(UNIT_ALIASES.values()) | {
    "inches", "mph", "kph", "kmh", "celsius", "fahrenheit", "kelvin", "percent", "degrees", "yards",
    "millimeters", "acres", "hectares", "watts", "volts", "calories", "bytes", "cups",
}  # fmt: skip
AMOUNT = frozenset("rs inr usd eur gbp bn st nd rd th yr yrs".split())
CALENDAR = frozenset(
    "january february march april may june july august september october november december "
    "monday tuesday wednesday thursday friday saturday sunday".split()
) - {"may"}
NUMBER_WORDS = {
    w: str(i)
    for names in (
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen twenty",
        "zeroth first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
        "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth",
    )
    for i, w in enumerate(names.split())
} | {
    **{w: str(10 * i) for i, w in enumerate(
        "thirty forty fifty sixty seventy eighty ninety".split(), start=3)},
    "hundred": "100", "thousand": "1000", "million": "1000000", "billion": "1000000000",
    "dozen": "12", "half": "0.5", "quarter": "0.25", "quarters": "0.25", "last": "last",
}  # fmt: skip
