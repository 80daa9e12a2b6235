"""Second blind suite, language families: a translation's form of address (tu/vous, du/Sie,
tú/usted), an Italian table booking, a Portuguese card request, a Spanish subscription change,
a Japanese (romaji) weather question, and a markdown sprint board with emoji statuses (written
under the blindness rules in `blind2_families.py`).
"""

from __future__ import annotations

from benchmarks.blind_pool import cap, pooled
from benchmarks.heldout_families import Slots


def _address(lang: str, familiar: str, polite: str) -> list[str]:
    return [f"{lang}, addressing the reader as {w}" for w in (familiar, polite)]


REGISTER = pooled(
    "translation_register",
    (
        lambda s: f'Render this message in {s["target"]}: "{s["text"]}"',
        lambda s: f'"{s["text"]}" - I need this message in {s["target"]}.',
        lambda s: f'Please translate the following into {s["target"]}. Message: "{s["text"]}"',
    ),
    {
        "target": [
            _address("French", "tu", "vous"),
            _address("German", "du", "Sie"),
            _address("Spanish", "tú", "usted"),
        ],
        "text": [
            "Could you send me the signed form by Friday?",
            "Thanks for your patience, your order ships tomorrow.",
            "Please don't forget to bring your ID to the appointment.",
        ],
    },
    vary_keys=("target",),
)
ITALIAN = pooled(
    "italian_booking",
    (
        lambda s: (
            f"Vorrei prenotare un tavolo per {s['n']} persone {s['when']} alle {s['time']}, "
            f"{s['place']}."
        ),
        lambda s: (
            f"È possibile avere un tavolo per {s['n']} persone {s['when']} alle {s['time']}, "
            f"{s['place']}?"
        ),
        lambda s: (
            f"Prenotazione: {s['n']} persone, {s['when']}, alle {s['time']}, {s['place']}. "
            f"C'è posto?"
        ),
    ),
    {
        "n": ["due", "quattro", "sei"],
        "when": ["stasera", "domani sera", "venerdì sera"],
        "time": ["19:30", "20:00", "21:15"],
        "place": ["all'aperto", "al chiuso"],
    },
    vary_keys=("n", "when", "place"),
)
PORTUGUESE = pooled(
    "portuguese_card",
    (
        lambda s: f"Quero {s['act']} o meu cartão de {s['kind']} que termina em {s['last4']}.",
        lambda s: (
            f"Preciso {s['act']} o cartão de {s['kind']} com final {s['last4']}. Pode me ajudar?"
        ),
        lambda s: (
            f"Cartão de {s['kind']} terminado em {s['last4']}: como faço para {s['act']} esse "
            f"cartão?"
        ),
    ),
    {
        "act": ["bloquear", "desbloquear", "cancelar"],
        "kind": ["crédito", "débito"],
        "last4": ["4821", "0937", "7714"],
    },
    vary_keys=("act", "kind"),
)
SPANISH = pooled(
    "spanish_subscription",
    (
        lambda s: f"Quiero {s['act']} mi suscripción {s['plan']} a partir del {s['date']}.",
        lambda s: f"Me gustaría {s['act']} mi suscripción {s['plan']} desde el {s['date']}.",
        lambda s: (
            f"Sobre mi suscripción {s['plan']}: necesito {s['act']}la a partir del {s['date']}."
        ),
    ),
    {
        "act": ["cancelar", "pausar", "renovar"],
        "plan": ["mensual", "anual"],
        "date": ["1 de marzo", "15 de abril", "30 de junio"],
    },
    vary_keys=("act", "plan"),
)
ROMAJI = pooled(
    "japanese_romaji_weather",
    (
        lambda s: f"{cap(s['when'])} no {s['city']} no tenki wa dou desu ka?",
        lambda s: f"{s['city']} no {s['when']} no tenki o oshiete kudasai.",
        lambda s: f"{cap(s['when'])}, {s['city']} wa donna tenki ni narimasu ka?",
    ),
    {
        "when": ["kyou", "ashita", "asatte", "raishuu no getsuyoubi"],
        "city": ["Tokyo", "Osaka", "Sapporo", "Fukuoka"],
    },
    vary_keys=("when",),
)

_ITEMS = ("login page", "payment flow", "email alerts")
_STATUS = ["✅ done", "❌ blocked", "⏳ in progress"]


def _board(s: Slots, line: str) -> str:
    return "\n".join(line.format(item, s[k]) for item, k in zip(_ITEMS, "abc", strict=True))


EMOJI = pooled(
    "emoji_board",
    (
        lambda s: (
            f"## 🗂️ Sprint board\n{_board(s, '- **{}**: {}')}\n\n👉 Write a short standup "
            f"update for {s['aud']} from this board."
        ),
        lambda s: (
            f"👉 Turn this board into a short standup update for {s['aud']}:\n\n"
            f"| item | status |\n|---|---|\n{_board(s, '| {} | {} |')}"
        ),
        lambda s: (
            f"Standup update for {s['aud']}, please (keep it short) 🙏\n\n{_board(s, '* {} → {}')}"
        ),
    ),
    {"a": _STATUS, "b": _STATUS, "c": _STATUS, "aud": ["the team", "the client"]},
    vary_keys=("a", "b", "c"),
)

FAMILIES = (REGISTER, ITALIAN, PORTUGUESE, SPANISH, ROMAJI, EMOJI)
