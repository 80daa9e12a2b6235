"""Cheap, format-agnostic text features of a prompt (numpy/stdlib only, ~20 us per prompt).

The router's input is ``[embedding (384), text_features(text)]``. The embedding is the one the
semantic cache already computed; these features add what a mean-pooled sentence embedding
blurs: size, code, math notation, how many asks/constraints, script/language. They are counts
and shares, never tied to one benchmark's layout (no "A) B) C) D)" detector).
"""

from __future__ import annotations

import math
import re

import numpy as np

FEATURE_NAMES: tuple[str, ...] = (
    "log_chars",
    "log_words",
    "log_lines",
    "mean_word_len",
    "code_fence",
    "code_char_share",
    "code_keywords",
    "digit_share",
    "log_numbers",
    "math_op_share",
    "latex",
    "log_questions",
    "log_constraints",
    "log_list_items",
    "non_ascii_share",
    "ascii_upper_share",
    "reasoning_words",
)

_WORD = re.compile(r"\w+", re.UNICODE)
_NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:[.,]\d+)*(?:/\d+)?%?")
_CODE_CHARS = "{}[]();=<>_\\|&#@$`"
_MATH_OPS = "+-*/^=<>%"
_DIGIT = re.compile(r"\d")
_ASCII_LETTER = re.compile(r"[A-Za-z]")
_ASCII_UPPER = re.compile(r"[A-Z]")
_CODE_KW = re.compile(
    r"\b(def|return|function|class|import|include|void|const|let|var|public|static|"
    r"lambda|select|from|where|elif|println|printf|async|await|struct|impl|fn)\b|=>|::|->|\+\+",
    re.IGNORECASE,
)
_LATEX = re.compile(r"\\(frac|sqrt|sum|int|alpha|beta|pi|cdot|times|leq|geq|mathbb)|\$[^$\n]+\$")
_CONSTRAINT = re.compile(
    r"\b(must|should|exactly|at least|at most|no more than|without|only|do not|don't|never|"
    r"always|ensure|make sure|format|in \d+ words|step by step|each|every|include)\b",
    re.IGNORECASE,
)
# Line starting with a bullet or an enumerator: "-", "*", "1.", "2)", "a.", "(b)", "B)".
_LIST_ITEM = re.compile(r"^\s*(?:[-*\u2022]|\(?\w{1,2}[.)])\s+\S", re.MULTILINE)
_REASONING = re.compile(
    r"\b(why|explain|prove|derive|calculate|compute|solve|how many|how much|estimate|"
    r"compare|analy[sz]e|evaluate|implement|design|optimi[sz]e|debug|probability|justify)\b",
    re.IGNORECASE,
)


def _log(n: float) -> float:
    return math.log1p(n)


# Long prompts are scanned on head + tail only: bounds the cost (a 100 kB paste would take
# milliseconds of regex) while the size features still see the full length.
_SCAN_HEAD = 4000
_SCAN_TAIL = 2000


def text_features(text: str) -> np.ndarray:
    """Feature vector (float32, len(FEATURE_NAMES)) for one prompt."""
    full_len = len(text)
    n_lines = text.count("\n") + 1
    if full_len > _SCAN_HEAD + _SCAN_TAIL:
        text = text[:_SCAN_HEAD] + "\n" + text[-_SCAN_TAIL:]
    scale = full_len / max(len(text), 1)  # scale counts of a truncated scan back up
    n = max(len(text), 1)
    words = _WORD.findall(text)
    n_words = len(words)
    # str.count / regex / encode run in C; a per-character Python loop was 5x slower.
    code_chars = sum(text.count(c) for c in _CODE_CHARS)
    math_ops = sum(text.count(c) for c in _MATH_OPS)
    digits = len(_DIGIT.findall(text))
    non_ascii = len(text) - len(text.encode("ascii", "ignore"))
    letters = len(_ASCII_LETTER.findall(text))
    upper = len(_ASCII_UPPER.findall(text))
    values = (
        _log(full_len),
        _log(n_words * scale),
        _log(n_lines),
        min(sum(len(w) for w in words) / max(n_words, 1), 20.0),
        1.0 if "```" in text else 0.0,
        code_chars / n,
        _log(len(_CODE_KW.findall(text))),
        digits / n,
        _log(len(_NUMBER.findall(text))),
        math_ops / n,
        1.0 if _LATEX.search(text) else 0.0,
        _log(text.count("?") + text.count("\uff1f")),
        _log(len(_CONSTRAINT.findall(text))),
        _log(len(_LIST_ITEM.findall(text))),
        non_ascii / n,
        upper / max(letters, 1),
        _log(len(_REASONING.findall(text))),
    )
    return np.asarray(values, dtype=np.float32)


def feature_matrix(texts: list[str]) -> np.ndarray:
    """Stack ``text_features`` for many prompts: (n, len(FEATURE_NAMES)) float32."""
    if not texts:
        return np.zeros((0, len(FEATURE_NAMES)), dtype=np.float32)
    return np.stack([text_features(t) for t in texts])
