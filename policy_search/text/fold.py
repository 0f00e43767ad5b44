"""Length-preserving character folding applied to documents and queries alike.

Traditional characters fold to simplified ones, full-width letters and digits
to ASCII, Latin letters to lower case. Every character maps to exactly one
character, so offsets into the folded text are offsets into the original:
highlighting marks the original words.

:func:`simplify` does the first of these alone (traditional to simplified, width and case
kept), for readers of a document's layout that must see it as written but for its script.
"""
from __future__ import annotations

import functools

import numpy as np
import opencc

_CJK_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))


@functools.lru_cache(maxsize=1)
def folding_table() -> dict[int, int]:
    """The translate() table: one character to one character."""
    table: dict[int, int] = {}
    converter = opencc.OpenCC("t2s")
    for low, high in _CJK_RANGES:
        for codepoint in range(low, high + 1):
            char = chr(codepoint)
            folded = converter.convert(char)
            if len(folded) == 1 and folded != char:
                table[codepoint] = ord(folded)
    for codepoint in range(0xFF01, 0xFF5F):  # full-width ASCII block
        table[codepoint] = codepoint - 0xFEE0
    table[0x3000] = 0x20  # ideographic space
    for codepoint in range(ord("A"), ord("Z") + 1):
        table[codepoint] = codepoint + 32
    for codepoint in range(0xFF21, 0xFF3B):  # full-width capitals straight to lower case
        table[codepoint] = codepoint - 0xFEE0 + 32
    return table


@functools.lru_cache(maxsize=1)
def script_table() -> dict[int, int]:
    """The part of :func:`folding_table` that folds traditional characters to simplified ones."""
    return {source: target for source, target in folding_table().items()
            if any(low <= source <= high for low, high in _CJK_RANGES)}


#: Texts at least this long are folded through :func:`_fold_table_array` (a lookup over the
#: code points as an array, about eight times faster than ``str.translate`` on a policy's text).
ARRAY_FOLD_CHARS = 512
_BMP = 0x10000


@functools.lru_cache(maxsize=2)
def _fold_table_array(script_only: bool = False) -> np.ndarray:
    """The folding table (or :func:`script_table`) as a lookup array over the Basic
    Multilingual Plane (``uint32``: a few traditional characters fold to one beyond it).
    Characters beyond the plane are not in the table and fold to themselves."""
    table = np.arange(_BMP, dtype=np.uint32)
    for source, target in (script_table() if script_only else folding_table()).items():
        table[source] = target
    return table


def _fold_array(text: str, script_only: bool = False) -> str:
    """:func:`fold` (or :func:`simplify`) as one array lookup over the UTF-32 code points of ``text``."""
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), np.uint32)
    table = _fold_table_array(script_only)
    if codes.max() < _BMP:
        folded = table[codes]
    else:
        folded = np.where(codes < _BMP, table[np.minimum(codes, _BMP - 1)], codes)
    return folded.tobytes().decode("utf-32-le", "surrogatepass")


def fold(text: str) -> str:
    """Fold traditional to simplified, full-width to half-width, upper to lower case.

    >>> fold("復工復產 ＡＢＣ２０２０")
    '复工复产 abc2020'
    >>> fold("復產" * 400) == "复产" * 400
    True
    """
    if len(text) < ARRAY_FOLD_CHARS:
        return text.translate(folding_table())
    return _fold_array(text)


def simplify(text: str) -> str:
    """Traditional characters to simplified ones, one for one; nothing else changes.

    >>> simplify("嶧城區人民政府辦公室 ＡＢＣ：")
    '峄城区人民政府办公室 ＡＢＣ：'
    """
    if len(text) < ARRAY_FOLD_CHARS:
        return text.translate(script_table())
    return _fold_array(text, script_only=True)
