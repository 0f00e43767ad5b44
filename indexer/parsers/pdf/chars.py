"""Character classes and the rule for joining two pieces of one paragraph."""
from __future__ import annotations


def is_cjk(ch: str) -> bool:
    """Chinese/Japanese/Korean characters and full-width punctuation."""
    o = ord(ch)
    return (
        0x2E80 <= o <= 0x9FFF
        or 0xAC00 <= o <= 0xD7AF
        or 0xF900 <= o <= 0xFAFF
        or 0xFE30 <= o <= 0xFE4F
        or 0xFF00 <= o <= 0xFFEF
        or 0x20000 <= o <= 0x3FFFF
        or 0x2010 <= o <= 0x2027  # — ‘ ’ “ ” … used in Chinese text
    )


def is_latin(ch: str) -> bool:
    """A character after/before which a word space matters (not CJK, not a space)."""
    return not ch.isspace() and not is_cjk(ch)


def join_pieces(a: str, b: str) -> str:
    """Join two pieces of one paragraph: a space only between two Latin words."""
    if not a:
        return b
    if not b:
        return a
    if a[-1].isalnum() and b[0].isalnum() and not is_cjk(a[-1]) and not is_cjk(b[0]):
        return f"{a} {b}"
    if a[-1] in ",;:.!?)" and b[0].isalnum() and not is_cjk(b[0]):
        return f"{a} {b}"
    return a + b
