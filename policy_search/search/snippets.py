"""Snippets: the passage of a policy that matched, with the matched words located."""
from __future__ import annotations

import functools
import html
import itertools
import re
from typing import NamedTuple

import numpy as np

from policy_search.search.windows import distinct_weight
from policy_search.text.fold import fold

SNIPPET_CHARS = 160


def opening(text: str, limit: int = SNIPPET_CHARS) -> str:
    """The first characters of a text, on one line, for a snippet without matches.

    >>> opening("第一行\\n第二行", 5)
    '第一行 第…'
    """
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit] + "…"


def marked_html(snippet: str, highlights: list[list[int]]) -> str:
    """The snippet HTML-escaped, with each matched word in ``<mark>``; marks are never split.

    >>> marked_html("<b>稳岗</b>返还", [[3, 5]])
    '&lt;b&gt;<mark>稳岗</mark>&lt;/b&gt;返还'
    """
    escape = html.escape if _HTML_SPECIAL.search(snippet) else str  # most snippets need none
    out, last = [], 0
    for start, end in sorted(highlights):
        if start < last:
            continue
        out.append(escape(snippet[last:start]))
        out.append(f"<mark>{escape(snippet[start:end])}</mark>")
        last = end
    out.append(escape(snippet[last:]))
    return "".join(out)


#: The characters ``html.escape`` replaces.
_HTML_SPECIAL = re.compile("[&<>\"']")


#: Most matches looked at in one text when choosing a passage.
MAX_MATCHES = 5000

#: Past this many characters to compare (long terms that begin with a common character) or
#: this many candidate matches overlapped by others, matches are found with the regular
#: expression instead of array work.
MAX_ARRAY_CHECKS = 1_000_000
MAX_OVERLAPPED = 1000

_BMP_LAST = 0xFFFF
#: Closes each text in the joined code points: no term holds it, so none runs past its text.
_TEXT_END = 0xFFFFFFFF
#: Pads the shorter terms in :attr:`_Terms.grid`: no text holds it.
_PAD = 0xFFFFFFFE


def best_passage(text: str, terms: list[str], length: int = SNIPPET_CHARS,
                 folded: str | None = None) -> tuple[str, list[list[int]]]:
    """The passage of ``length`` characters holding the most distinct query terms, and their offsets.

    Terms are matched on the folded text (traditional script and full-width forms
    find simplified, half-width terms); folding keeps offsets, so the passage and
    its marks come from the original text. A window never ends inside a mark.

    >>> best_passage("前言。" * 80 + "申请稳岗返还的条件", ["稳岗返还", "申请"], 20)
    ('。前言。申请稳岗返还的条件', [[4, 6], [6, 10]])
    """
    return best_passages([text], terms, length, [folded])[0]


def best_passages(texts: list[str], terms: list[str], length: int = SNIPPET_CHARS,
                  folded: list[str | None] | None = None) -> list[tuple[str, list[list[int]]]]:
    """:func:`best_passage` of each text (``folded``: the folded texts, None where not at hand);
    a text without a match gives its :func:`opening`.

    The matches of all the texts are found and weighed together, as array work: NumPy's
    cost per call is paid once for the hits of a search, not once for each hit.

    >>> best_passages(["无关", "稳岗返还"], ["稳岗"], 20)
    [('无关', []), ('稳岗返还', [[0, 2]])]
    """
    query = _terms_of(tuple(terms))
    if query is None or not texts:
        return [(opening(text, length), []) for text in texts]
    folded = [fold(text) if done is None else done
              for text, done in zip(texts, folded or [None] * len(texts))]
    found = _matches(folded, query)
    passages = dict(_passages(texts, found, length)) if len(found.start) else {}
    return [passages.get(k) or (opening(text, length), []) for k, text in enumerate(texts)]


class _Terms(NamedTuple):
    """The distinct terms of a query, in order of their first character, the longer first.

    A term's number is its place in ``words``. ``grid`` holds their characters, a term a
    column, padded to the longest term. Terms whose first characters are alike form a
    group (all those beyond the Basic Multilingual Plane form one): ``heads`` holds the
    first character of each group (at most ``_BMP_LAST``), ``firsts`` the number of its
    first term and ``sizes`` its number of terms.
    """

    words: tuple[str, ...]
    lengths: np.ndarray
    grid: np.ndarray
    heads: np.ndarray
    firsts: np.ndarray
    sizes: np.ndarray

    def leading(self) -> np.ndarray:
        """For each character of the plane, whether a term begins with it (one beyond the
        plane is looked up as ``_BMP_LAST``)."""
        table = np.zeros(_BMP_LAST + 1, bool)
        table[self.heads] = True
        return table

    def groups(self) -> np.ndarray:
        """For each character of the plane that a term begins with, the number of its group."""
        table = np.zeros(_BMP_LAST + 1, np.uint8 if len(self.heads) <= 256 else np.int64)
        table[self.heads] = np.arange(len(self.heads))
        return table


@functools.lru_cache(maxsize=256)
def _terms_of(terms: tuple[str, ...]) -> _Terms | None:
    """The terms as :class:`_Terms`, None without any; made once for the hits of a query.

    >>> found = _terms_of(("申请", "稳岗", "稳岗返还", "", "𠮷"))
    >>> found.words, found.grid.shape, found.heads.tolist(), found.sizes.tolist()
    (('申请', '稳岗返还', '稳岗', '𠮷'), (4, 4), [30003, 31283, 65535], [1, 2, 1])
    """
    words = tuple(sorted({t for t in terms if t}, key=lambda t: (ord(t[0]), -len(t))))
    if not words:
        return None
    width = max(map(len, words))
    grid = np.array([[ord(c) for c in word] + [_PAD] * (width - len(word)) for word in words], np.uint32)
    head = [min(ord(word[0]), _BMP_LAST) for word in words]
    firsts = [number for number, first in enumerate(head) if not number or first != head[number - 1]]
    sizes = [past - first for first, past in zip(firsts, firsts[1:] + [len(words)])]
    return _Terms(words, np.array([len(word) for word in words]), np.ascontiguousarray(grid.T),
                  np.array([head[first] for first in firsts]), np.array(firsts), np.array(sizes))


def _code_points(text: str) -> np.ndarray:
    """The code points of a text, as it counts them (a lone surrogate is one too).

    >>> _code_points("a𠮷").tolist()
    [97, 134071]
    """
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), np.uint32)


class _Matches(NamedTuple):
    """The matches in the texts of one call, the texts joined with one character after each:
    the ``start`` and ``end`` of each match there, its ``term`` (a number) and its ``text``,
    in order; ``begins[k]``: where text ``k`` begins."""

    start: np.ndarray
    end: np.ndarray
    term: np.ndarray
    text: np.ndarray
    begins: np.ndarray


def _matches(folded: list[str], terms: _Terms) -> _Matches:
    """The first ``MAX_MATCHES`` matches in each of the folded texts: leftmost, longest term
    first, not overlapping, as ``re.split`` finds them with the terms' alternation.

    Array work (:func:`_array_matches`), or the regular expression itself
    (:func:`_split_matches`) where that would take too much.
    """
    sizes = np.array([len(text) + 1 for text in folded], np.int64)
    ends = sizes.cumsum()
    found = _array_matches(folded, terms, ends)
    start, end, term = _split_matches(folded, terms) if found is None else found
    text = ends.searchsorted(start, side="right")
    if len(start) > MAX_MATCHES:
        keep = np.arange(len(text)) - text.searchsorted(text) < MAX_MATCHES  # a text's first ones
        start, end, term, text = start[keep], end[keep], term[keep], text[keep]
    return _Matches(start, end, term, text, ends - sizes)


def _array_matches(folded: list[str], terms: _Terms, ends: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Start, end and term of the matches in the joined texts (``ends``: where each text's
    closing character is, plus one), from their code points; None when there would be
    too many characters to compare or too many overlapped matches.

    Where a term is, the longest one there is a candidate (:func:`_longest_at`); those
    that begin before the end of an earlier one kept are dropped (:func:`_overlapped`).
    """
    joined = "\0".join(folded).encode("utf-32-le", "surrogatepass") + b"\0\0\0\0"
    codes = np.frombuffer(bytearray(joined), np.uint32)
    codes[ends - 1] = _TEXT_END
    found = _longest_at(codes, terms)
    if found is None:
        return None
    start, term = found
    end = start + terms.lengths[term]
    dropped = _overlapped(start, end)
    if dropped is None:
        return None
    if not dropped:
        return start, end, term
    keep = np.ones(len(start), bool)
    keep[dropped] = False
    return start[keep], end[keep], term[keep]


def _longest_at(codes: np.ndarray, terms: _Terms) -> tuple[np.ndarray, np.ndarray] | None:
    """The places in ``codes`` where a term is, in order, with the longest term there; None
    when that takes more than ``MAX_ARRAY_CHECKS`` comparisons of characters.

    Each place whose character begins a group of terms is tried with each term of the
    group, longest first, all tries at once: the characters from there on are compared
    with the term's column of ``terms.grid``.
    """
    at = terms.leading().take(codes, mode="clip").nonzero()[0]
    group = terms.groups().take(codes[at], mode="clip")
    tries = terms.sizes[group]
    place = at.repeat(tries)  # a place once for each term of its group, in the group's order
    term = np.arange(len(place)) + (terms.firsts[group] - (tries.cumsum() - tries)).repeat(tries)
    width = len(terms.grid)
    if len(place) * width > MAX_ARRAY_CHECKS:
        return None
    chars = codes.take(np.arange(width)[:, None] + place, mode="clip")
    alike = (chars == terms.grid.take(term, axis=1)).sum(axis=0)
    there = (alike == terms.lengths[term]).nonzero()[0]
    place, term = place[there], term[there]
    longest = np.ones(len(place), bool)  # the first try that is there, at each place
    longest[1:] = place[1:] != place[:-1]
    return place[longest], term[longest]


def _overlapped(start: np.ndarray, end: np.ndarray) -> list[int] | None:
    """Which of the candidate matches (in order of start) a left-to-right search passes
    over: those that begin before the end of the last one kept. None when more than
    ``MAX_OVERLAPPED`` are overlapped by an earlier one, kept or not.

    A candidate that begins after the end of every earlier one is kept; only the others
    are looked at one by one.

    >>> _overlapped(np.array([0, 1, 2, 5]), np.array([2, 3, 4, 6]))
    [1]
    """
    overlapped = (start[1:] < np.maximum.accumulate(end)[:-1]).nonzero()[0] + 1
    if len(overlapped) > MAX_OVERLAPPED:
        return None
    dropped, kept_end, previous = [], 0, -2
    for i, starts_at, ends_at, end_before in zip(overlapped.tolist(), start[overlapped].tolist(),
                                                 end[overlapped].tolist(), end[overlapped - 1].tolist()):
        if i != previous + 1:
            kept_end = end_before  # the candidate before these is overlapped by none: kept
        if starts_at < kept_end:
            dropped.append(i)
        else:
            kept_end = ends_at
        previous = i
    return dropped


@functools.lru_cache(maxsize=256)
def _pattern_of(words: tuple[str, ...]) -> re.Pattern:
    """The terms as one regular expression, longest first, in one group (for ``split``)."""
    return re.compile("(" + "|".join(map(re.escape, sorted(words, key=len, reverse=True))) + ")")


def _split_matches(folded: list[str], terms: _Terms) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start, end and term of the matches in the joined texts, read off ``re.split`` of each
    text, whose pieces alternate between the text before a match and the match.

    After each text's pieces comes one piece for the character that follows the text in
    the joined texts: it keeps the matches of every text at odd places of the one list of
    pieces, and is dropped from the matches.
    """
    pattern = _pattern_of(terms.words)
    pieces: list[str] = []
    count = []
    for text in folded:
        split = pattern.split(text, MAX_MATCHES)
        pieces += split
        pieces.append("\0")
        count.append(len(split) // 2)
    places = np.cumsum(np.fromiter(map(len, pieces), np.int64, len(pieces)))
    real = np.ones(len(pieces) // 2, bool)
    real[np.cumsum(np.array(count) + 1) - 1] = False
    numbers = {word: number for number, word in enumerate(terms.words)}
    term = np.fromiter(map(numbers.get, pieces[1::2], itertools.repeat(-1)), np.int64, len(real))
    return places[0::2][real], places[1::2][real], term[real]


def _densest_windows(found: _Matches, length: int) -> tuple[np.ndarray, np.ndarray]:
    """The first and the last match of the densest window of each text with matches: the
    run of matches within ``length`` characters with the most distinct terms, then with
    the most matches; the first such run on a tie.

    The texts lie on one line, each shifted a window's length further than the one before,
    so that no window holds matches of two texts. The window that ends with a match begins
    with the first match that starts no more than ``length`` characters before that end,
    or with the match itself when that one is longer than the window;
    :func:`windows.distinct_weight` counts its distinct terms.
    """
    shift = found.text * (max(length, 0) + 1)
    start, end = found.start + shift, found.end + shift
    matches = len(start)
    steps = np.arange(matches)
    first = np.minimum(start.searchsorted(end - length, side="left"), steps)
    distinct = distinct_weight(found.term, np.ones(matches, np.int64), first)
    # distinct terms, then matches, then the earliest: one number, the largest best
    ranked = (distinct * (MAX_MATCHES + 1) + (steps - first)) * matches - steps
    texts = np.concatenate(([0], (found.text[1:] != found.text[:-1]).nonzero()[0] + 1))
    last = -np.maximum.reduceat(ranked, texts) % matches
    return first[last], last


def _passages(texts: list[str], found: _Matches, length: int) -> list[tuple[int, tuple[str, list[list[int]]]]]:
    """The number, passage and marks of each text with matches: its densest window, with up
    to a third of the room left before it and the rest after it, within the text; the
    marks are the matches in the passage, a run of the text's matches."""
    first, last = _densest_windows(found, length)
    which = found.text[last].tolist()
    begins = found.begins[which]
    lead, stop = [], []
    for k, start, end in zip(which, (found.start[first] - begins).tolist(), (found.end[last] - begins).tolist()):
        lead.append(max(0, start - max(0, length - (end - start)) // 3))
        stop.append(max(end, min(len(texts[k]), lead[-1] + length)))
    since = found.start.searchsorted(begins + lead, side="left")
    count = found.end.searchsorted(begins + stop, side="right") - since
    before = count.cumsum() - count
    marked = np.arange(before[-1] + count[-1]) + (since - before).repeat(count)
    offset = (begins + lead).repeat(count)
    marks = np.stack((found.start[marked] - offset, found.end[marked] - offset), axis=1).tolist()
    return [(k, (texts[k][at:to].replace("\n", " "), marks[i:i + n]))
            for k, at, to, i, n in zip(which, lead, stop, before.tolist(), count.tolist())]
