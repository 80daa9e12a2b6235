"""Fifth blind suite, prompts in Spanish, German, French, Portuguese and Dutch, and a grammar
lesson (rules in `blind5_families.py`).

Kinds of change: a transit pass's period, zone and fare class; the taxpayer's status, the
expense and how many home-office days; the document to renew, the applicant, why and where
they live; prepaid/postpaid, the data allowance and where roaming works; the rented bike, how
much longer and where it goes back; the tense, the language, how many examples and the level.
"""

from __future__ import annotations

from benchmarks.blind_pool import cap, pooled

TRANSIT = pooled(
    "spanish_transit_pass",
    (
        lambda s: (
            f"Quiero comprar un abono {s['period']} de transporte para la zona {s['zone']}, "
            f"con tarifa {s['fare']}. ¿Cuánto cuesta?"
        ),
        lambda s: (
            f"¿Qué precio tiene el abono {s['period']} de la zona {s['zone']} si pago la "
            f"tarifa {s['fare']}? Me gustaría comprarlo."
        ),
        lambda s: (
            f"Tarifa {s['fare']}, zona {s['zone']}, abono {s['period']}: ¿cuánto tendría que "
            f"pagar para comprarlo?"
        ),
    ),
    {
        "period": ["mensual", "anual", "trimestral"],
        "zone": ["A", "B1", "C2"],
        "fare": ["joven", "general", "de jubilado"],
    },
)
TAX = pooled(
    "german_home_office_tax",
    (
        lambda s: (
            f"Kann ich als {s['status']} die Kosten für {s['item']} von der Steuer absetzen, "
            f"wenn ich {s['days']} Tage pro Woche im Homeoffice arbeite?"
        ),
        lambda s: (
            f"Ich arbeite {s['days']} Tage in der Woche von zu Hause und bin {s['status']}. "
            f"Darf ich {s['item']} steuerlich geltend machen?"
        ),
        lambda s: (
            f"Steuerfrage: {s['status']}, {s['days']} Tage Homeoffice wöchentlich. Sind die "
            f"Ausgaben für {s['item']} absetzbar?"
        ),
    ),
    {
        "status": ["Angestellter", "Selbstständiger", "Student"],
        "item": ["einen Schreibtisch", "meine Internetrechnung", "einen Bürostuhl"],
        "days": ["zwei", "drei", "vier"],
    },
)
RENEWAL = pooled(
    "french_document_renewal",
    (
        lambda s: (
            f"Quels documents faut-il fournir pour renouveler le {s['doc']} d'un {s['who']} "
            f"{s['why']}, quand on habite {s['where']} ?"
        ),
        lambda s: (
            f"{cap(s['why'])}, je dois renouveler le {s['doc']} d'un {s['who']}, et nous "
            f"habitons {s['where']}. Quelles pièces dois-je apporter ?"
        ),
        lambda s: (
            f"Renouvellement du {s['doc']} pour un {s['who']}, {s['why']}, avec un domicile "
            f"{s['where']} : quelle est la liste des justificatifs ?"
        ),
    ),
    {
        "doc": ["passeport", "permis de conduire"],
        "who": ["adulte", "jeune de dix-sept ans"],
        "why": ["après un vol", "après une perte", "après son expiration"],
        "where": ["en France", "à l'étranger"],
    },
)
MOBILE = pooled(
    "portuguese_mobile_plan",
    (
        lambda s: (
            f"Quero mudar o meu plano {s['kind']} para um com {s['data']} de dados e roaming "
            f"{s['roaming']}. Quanto fica por mês?"
        ),
        lambda s: (
            f"Quanto custa por mês um plano com roaming {s['roaming']} e {s['data']} de dados? "
            f"Hoje tenho um plano {s['kind']} e quero trocar."
        ),
        lambda s: (
            f"Mudança de plano: atualmente {s['kind']}; desejo {s['data']} de dados e roaming "
            f"{s['roaming']}. Qual seria o preço mensal?"
        ),
    ),
    {
        "kind": ["pré-pago", "pós-pago"],
        "data": ["10 GB", "50 GB", "100 GB"],
        "roaming": ["na Europa", "nas Américas", "em todo o mundo"],
    },
)
BIKE = pooled(
    "dutch_bike_rental_extend",
    (
        lambda s: (
            f"Kan ik de gehuurde {s['bike']} {s['extra']} langer houden en hem daarna bij "
            f"{s['place']} inleveren?"
        ),
        lambda s: (
            f"Ik heb een {s['bike']} gehuurd. Is het mogelijk om hem {s['extra']} langer te "
            f"houden en bij {s['place']} terug te brengen?"
        ),
        lambda s: (
            f"Verlenging van de huur: {s['bike']}, {s['extra']} langer, terugbrengen bij "
            f"{s['place']}. Gaat dat?"
        ),
    ),
    {
        "bike": ["elektrische fiets", "bakfiets", "stadsfiets"],
        "extra": ["een dag", "een week", "twee uur"],
        "place": ["het centraal station", "ons hotel", "de veerhaven"],
    },
)
TENSE = pooled(
    "grammar_tense_usage",
    (
        lambda s: (
            f"Explain when to use the {s['tense']} in {s['lang']}, with {s['n']} example "
            f"sentences for {s['level']} learners."
        ),
        lambda s: (
            f"For {s['level']} learners of {s['lang']}: when is the {s['tense']} used? Give "
            f"{s['n']} example sentences."
        ),
        lambda s: (
            f"{s['lang']} grammar lesson on the {s['tense']}. Explain its uses to {s['level']} "
            f"students and include {s['n']} examples."
        ),
    ),
    {
        "tense": ["subjunctive", "imperfect", "conditional"],
        "lang": ["Spanish", "Portuguese"],
        "n": ["three", "five"],
        "level": ["beginner", "advanced"],
    },
)

FAMILIES = (TRANSIT, TAX, RENEWAL, MOBILE, BIKE, TENSE)
