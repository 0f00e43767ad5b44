"""Finding given words in several texts at once, over the texts' code points with NumPy.

Searching a text with ``str.find`` or a regular expression costs a pass over the text for
each word (or one slow pass for an alternation of many). Here the texts are laid end to
end as one array of code points; one lookup marks the places whose character starts some
word, and each word is then checked at its own places only.
"""
from __future__ import annotations

import numpy as np

#: The last code point of the Basic Multilingual Plane: the lookup of first characters covers
#: the plane; a word starting beyond it is for the caller to find some other way.
BMP_LAST = 0xFFFF


def findable(word: str) -> bool:
    """True when :func:`word_places` can look for the word (not empty, first character in the plane)."""
    return bool(word) and ord(word[0]) < BMP_LAST


def word_places(texts: list[str], words: list[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """For each word (each :func:`findable`), every place it starts in a text (overlapping
    ones too): the positions in the texts laid end to end, in order, and the texts' numbers.

    >>> found = word_places(["减免房租", "房租减免减免"], ["减免", "房租"])
    >>> [(w, at.tolist(), text.tolist()) for w, (at, text) in found.items()]
    [('减免', [0, 6, 8], [0, 1, 1]), ('房租', [2, 4], [0, 1])]
    """
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64))
    if not words or not texts:
        return {word: empty for word in words}
    codes = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), np.uint32)
    ends = np.cumsum([len(text) for text in texts])
    leading = np.zeros(BMP_LAST + 1, bool)
    leading[[ord(word[0]) for word in words]] = True
    starts = np.flatnonzero(leading.take(codes, mode="clip"))  # beyond the plane: never leading
    heads = codes[starts]
    places = {}
    for word in words:
        at = starts[heads == ord(word[0])]
        at = at[at + len(word) <= len(codes)]
        for offset, char in enumerate(word[1:], 1):
            at = at[codes[at + offset] == ord(char)]
        text = np.searchsorted(ends, at, side="right")
        inside = at + len(word) <= ends[np.minimum(text, len(ends) - 1)]  # not running into the next
        places[word] = (at[inside], text[inside])
    return places


def text_starts(texts: list[str]) -> np.ndarray:
    """Where each text starts when they are laid end to end."""
    return np.cumsum([0] + [len(text) for text in texts[:-1]]) if texts else np.zeros(0, np.int64)
