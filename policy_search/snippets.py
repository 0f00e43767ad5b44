"""Snippets: the passage of a policy that matched, with the matched words located."""
from __future__ import annotations

import functools
import html
import itertools
import re
from dataclasses import dataclass

import numpy as np

from .fold import fold
from .windows import distinct_weight

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
    out, last = [], 0
    for start, end in sorted(highlights):
        if start < last:
            continue
        out.append(html.escape(snippet[last:start]))
        out.append(f"<mark>{html.escape(snippet[start:end])}</mark>")
        last = end
    out.append(html.escape(snippet[last:]))
    return "".join(out)


#: Most matches looked at in one text when choosing a passage.
MAX_MATCHES = 5000


@functools.lru_cache(maxsize=256)
def _term_pattern(terms: tuple[str, ...]) -> re.Pattern | None:
    """The terms as one regular expression, longest first, in one group (for ``split``)."""
    wanted = sorted({t for t in terms if t}, key=len, reverse=True)
    return re.compile("(" + "|".join(map(re.escape, wanted)) + ")") if wanted else None


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
    """:func:`best_passage` of several texts (``folded``: their folded texts, None where not
    at hand), the densest windows of all of them found in one pass of array work.

    >>> best_passages(["无关", "稳岗返还"], ["稳岗"], 20)
    [('无关', []), ('稳岗返还', [[0, 2]])]
    """
    folded = folded or [None] * len(texts)
    folded = [fold(text) if known is None else known for text, known in zip(texts, folded)]
    pattern = _term_pattern(tuple(terms))
    spans = [_spans(text, pattern) for text in folded]
    windows = _densest_windows(spans, length)
    return [_passage(text, span, window, length) for text, span, window in zip(texts, spans, windows)]


@dataclass
class _Spans:
    """The matches of the terms in one text, in order: starts, ends, and which term each is."""

    starts: np.ndarray
    ends: np.ndarray
    terms: list[str]


def _spans(folded: str, pattern: re.Pattern | None) -> _Spans:
    """The first ``MAX_MATCHES`` matches of the pattern in a folded text (leftmost, longest
    term first, not overlapping), read off ``re.split``: the pieces between matches give
    their places."""
    pieces = pattern.split(folded, MAX_MATCHES) if pattern is not None else [folded]
    sizes = np.fromiter(map(len, pieces), np.int64, len(pieces))
    starts = np.cumsum(sizes)[0:-1:2]
    return _Spans(starts, starts + sizes[1::2], pieces[1::2])


def _passage(text: str, spans: _Spans, window: tuple[int, int] | None,
             length: int) -> tuple[str, list[list[int]]]:
    """The snippet around a window of matches and the marks within it (the opening of the
    text when nothing matched)."""
    if window is None:
        return opening(text, length), []
    start, end = window
    lead = max(0, start - max(0, length - (end - start)) // 3)
    stop = max(end, min(len(text), lead + length))
    inside = (spans.starts >= lead) & (spans.ends <= stop)
    marks = np.stack([spans.starts[inside] - lead, spans.ends[inside] - lead], axis=1)
    return text[lead:stop].replace("\n", " "), marks.tolist()


#: Apart by this much, the matches of two texts never fall within one window.
_TEXT_GAP = 2**40


def _densest_windows(spans: list[_Spans], length: int) -> list[tuple[int, int] | None]:
    """For each text, the start and end of the run of matches within ``length`` characters with
    the most distinct terms (then the most matches; the first such run), None without matches.

    The run ending at a match starts at the first match beginning at most ``length`` before
    its end (the texts laid end to end, far apart).
    """
    counts = [len(s.terms) for s in spans]
    windows: list[tuple[int, int] | None] = [None] * len(spans)
    if not sum(counts):
        return windows
    text = np.repeat(np.arange(len(spans)), counts)
    starts = np.concatenate([s.starts for s in spans]) + text * _TEXT_GAP
    ends = np.concatenate([s.ends for s in spans]) + text * _TEXT_GAP
    found = list(itertools.chain.from_iterable(s.terms for s in spans))
    names = {name: number for number, name in enumerate(dict.fromkeys(found))}
    term = np.fromiter(map(names.__getitem__, found), np.int64, len(found))
    steps = np.arange(len(text))
    left = np.searchsorted(starts, ends - length, side="left")
    distinct = distinct_weight(term, np.ones(len(text), np.int64), left)
    key = np.where(left <= steps, distinct * (len(text) + 1) + (steps - left + 1), 0)
    order = np.lexsort((steps, -key, text))
    for best in order[np.r_[True, text[order][1:] != text[order][:-1]]].tolist():
        number = int(text[best])
        # no run fits when every term is longer than the window: then the text's first match
        start, end = (starts[left[best]] if key[best] > 0 else starts[best]), ends[best]
        windows[number] = (int(start) - number * _TEXT_GAP, int(end) - number * _TEXT_GAP)
    return windows
