"""Sixth blind suite, prompts in Swedish, Indonesian and Polish (rules in `blind6_families.py`).

Kinds of change: cancel/change/return, the order number and the delivery method of a Swedish
web-shop order; how many portions were ordered and delivered and the remedy asked for in an
Indonesian food-delivery complaint; the route (its direction), the fare and the class of a
Polish train ticket.
"""

from __future__ import annotations

from benchmarks.blind_pool import cap, pooled

SWEDISH = pooled(
    "swedish_order_change",
    (
        lambda s: (
            f"Hej! Jag vill {s['act']} min beställning {s['nr']} med {s['lev']}. Hur gör jag?"
        ),
        lambda s: f"Hur gör jag för att {s['act']} beställning {s['nr']}? Jag valde {s['lev']}.",
        lambda s: (
            f"Beställning {s['nr']} ({s['lev']}): jag skulle vilja {s['act']} den. Vad ska jag "
            "göra?"
        ),
    ),
    {
        "act": ["avboka", "ändra", "returnera"],
        "nr": ["40517", "45017", "40571"],
        "lev": ["hemleverans", "upphämtning i butik"],
    },
)

INDONESIAN = pooled(
    "indonesian_food_delivery",
    (
        lambda s: (
            f"Saya memesan {s['ordered']} porsi nasi goreng lewat aplikasi, tetapi yang datang "
            f"hanya {s['came']} porsi. Bagaimana cara meminta {s['remedy']}?"
        ),
        lambda s: (
            f"Bagaimana cara meminta {s['remedy']}? Pesanan saya {s['ordered']} porsi nasi "
            f"goreng lewat aplikasi, yang datang hanya {s['came']} porsi."
        ),
        lambda s: (
            f"Pesanan nasi goreng lewat aplikasi: {s['ordered']} porsi, yang datang hanya "
            f"{s['came']} porsi. Saya ingin {s['remedy']}, caranya bagaimana?"
        ),
    ),
    {
        "ordered": ["tiga", "empat", "lima"],
        "came": ["satu", "dua"],
        "remedy": ["pengembalian dana", "pengiriman ulang", "voucher"],
    },
)

POLISH = pooled(
    "polish_train_ticket",
    (
        lambda s: (
            f"Chcę kupić bilet {s['fare']} {s['route']} {s['cls']} na jutro rano. Ile kosztuje?"
        ),
        lambda s: f"Ile kosztuje bilet {s['fare']} {s['route']} {s['cls']}, na jutro rano?",
        lambda s: (
            f"{cap(s['route'])} jadę jutro rano. Ile zapłacę za bilet {s['fare']} {s['cls']}?"
        ),
    ),
    {
        "route": [
            "z Krakowa do Warszawy",
            "z Warszawy do Krakowa",
            "z Gdańska do Poznania",
            "z Wrocławia do Łodzi",
        ],
        "fare": ["normalny", "ulgowy"],
        "cls": ["w pierwszej klasie", "w drugiej klasie"],
    },
)

FAMILIES = (SWEDISH, INDONESIAN, POLISH)
