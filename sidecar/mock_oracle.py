"""Oracle answers for the mock upstream: the answer depends on a prompt's meaning, not its wording.

A wrong cache hit is then visible end to end: two prompts get the same answer exactly when they
mean the same thing. Meaning, in order:
1. a registered text (``register``/``from_clusters``: every question of a QQP paraphrase
   cluster maps to the cluster's id);
2. a registered template family (``add_family``: wording variants as regexes with named
   slots): the family id plus the normalized slot values, so "order 123" and "order 124" differ
   while two wordings of "order 123" agree;
3. otherwise the normalized text itself (an unknown prompt only agrees with itself).
Answers are deterministic words drawn from the meaning's digest, so the exact judge compares
them exactly and different meanings also read differently to the embedding judge.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from cache.text import normalize

_WORDS = (
    "amber basalt cedar delta ember fjord granite harbor indigo juniper kelp lagoon meadow "
    "nickel orchard prairie quartz river saffron tundra umber valley willow xenon yarrow zephyr "
    "anchor beacon canyon dune estuary falcon glacier heron island jetty kestrel lantern "
    "marble nectar opal pebble quill reef summit timber"
).split()


@dataclass
class Oracle:
    """Maps prompts to meanings and meanings to fixed answers."""

    texts: dict[str, str] = field(default_factory=dict)  # normalized text -> meaning id
    families: list[tuple[re.Pattern[str], str]] = field(default_factory=list)
    answer_words: int = 12

    def register(self, text: str, meaning: str) -> None:
        """``text`` means ``meaning`` (e.g. a QQP cluster id)."""
        self.texts[normalize(text)] = meaning

    @classmethod
    def from_clusters(cls, clusters: Iterable[Sequence[str]], prefix: str = "qqp") -> Oracle:
        """Every question of cluster ``i`` means ``{prefix}:{i}``."""
        oracle = cls()
        for i, cluster in enumerate(clusters):
            for text in cluster:
                oracle.register(text, f"{prefix}:{i}")
        return oracle

    def add_family(self, family: str, patterns: Iterable[str]) -> None:
        """Wording variants of one template; named groups are its slots."""
        for pattern in patterns:
            self.families.append((re.compile(pattern, re.IGNORECASE | re.DOTALL), family))

    def meaning(self, text: str) -> str:
        """The meaning id of a prompt."""
        key = normalize(text)
        if key in self.texts:
            return self.texts[key]
        stripped = text.strip()
        for pattern, family in self.families:
            if m := pattern.fullmatch(stripped):
                slots = ",".join(f"{k}={normalize(v)}" for k, v in sorted(m.groupdict().items()))
                return f"{family}({slots})"
        return f"text:{key}"

    def answer(self, text: str) -> str:
        """The fixed answer to a prompt's meaning."""
        meaning = self.meaning(text)
        digest = hashlib.blake2b(meaning.encode(), digest_size=8).digest()
        rng = random.Random(int.from_bytes(digest, "little"))
        words = " ".join(rng.choice(_WORDS) for _ in range(self.answer_words))
        return f"[{digest.hex()[:10]}] {words}."
