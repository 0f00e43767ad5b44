"""Length-preserving character folding applied to documents and queries alike.

Traditional characters fold to simplified ones, full-width letters and digits
to ASCII, Latin letters to lower case. Every character maps to exactly one
character, so offsets into the folded text are offsets into the original:
highlighting marks the original words.
"""
from __future__ import annotations

import functools

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


def fold(text: str) -> str:
    """Fold traditional to simplified, full-width to half-width, upper to lower case.

    >>> fold("復工復產 ＡＢＣ２０２０")
    '复工复产 abc2020'
    """
    return text.translate(folding_table())
