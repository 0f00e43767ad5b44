"""Snippets: the passage of a policy that matched, with the matched words located."""
from __future__ import annotations

import functools
import html
import itertools
import re

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


def _term_pattern(terms: list[str]) -> re.Pattern | None:
    return _pattern_of(tuple(terms))


@functools.lru_cache(maxsize=256)
def _pattern_of(terms: tuple[str, ...]) -> re.Pattern | None:
    """The terms as one regular expression, longest first, in one group (for ``split``; made
    once for the hits of a query)."""
    wanted = sorted({t for t in terms if t}, key=len, reverse=True)
    return re.compile("(" + "|".join(map(re.escape, wanted)) + ")") if wanted else None


def _spans(folded: str, pattern: re.Pattern) -> list[tuple[int, int, str]]:
    """(start, end, term) of the first ``MAX_MATCHES`` matches (leftmost, longest term first, not
    overlapping), read off ``re.split``: the pieces between the matches give their places."""
    pieces = pattern.split(folded, MAX_MATCHES)
    ends = list(itertools.accumulate(map(len, pieces)))
    return list(zip(ends[0:-1:2], ends[1::2], pieces[1::2]))


def best_passage(text: str, terms: list[str], length: int = SNIPPET_CHARS,
                 folded: str | None = None) -> tuple[str, list[list[int]]]:
    """The passage of ``length`` characters holding the most distinct query terms, and their offsets.

    Terms are matched on the folded text (traditional script and full-width forms
    find simplified, half-width terms); folding keeps offsets, so the passage and
    its marks come from the original text. A window never ends inside a mark.

    >>> best_passage("前言。" * 80 + "申请稳岗返还的条件", ["稳岗返还", "申请"], 20)
    ('。前言。申请稳岗返还的条件', [[4, 6], [6, 10]])
    """
    pattern = _term_pattern(terms)
    folded = fold(text) if folded is None else folded
    spans = _spans(folded, pattern) if pattern is not None else []
    if not spans:
        return opening(text, length), []
    start, end = _densest_window(spans, length)
    lead = max(0, start - max(0, length - (end - start)) // 3)
    stop = max(end, min(len(text), lead + length))
    marks = [[s - lead, e - lead] for s, e, _ in spans if lead <= s and e <= stop]
    return text[lead:stop].replace("\n", " "), marks


def best_passages(texts: list[str], terms: list[str], length: int = SNIPPET_CHARS,
                  folded: list[str | None] | None = None) -> list[tuple[str, list[list[int]]]]:
    """:func:`best_passage` of each text (``folded``: the folded texts, None where not at hand).

    >>> best_passages(["无关", "稳岗返还"], ["稳岗"], 20)
    [('无关', []), ('稳岗返还', [[0, 2]])]
    """
    folded = folded or [None] * len(texts)
    return [best_passage(text, terms, length, known) for text, known in zip(texts, folded)]


def _densest_window(spans: list[tuple[int, int, str]], length: int) -> tuple[int, int]:
    """Start and end of the run of matches within ``length`` characters with the most distinct terms."""
    best, best_key = (spans[0][0], spans[0][1]), (0, 0)
    counts: dict[str, int] = {}
    left = 0
    for right, (_, end, term) in enumerate(spans):
        counts[term] = counts.get(term, 0) + 1
        while left < right and end - spans[left][0] > length:  # one match longer than the window stays
            old = spans[left][2]
            counts[old] -= 1
            if not counts[old]:
                del counts[old]
            left += 1
        key = (len(counts), right - left + 1)
        if key > best_key:
            best_key, best = key, (spans[left][0], end)
    return best
