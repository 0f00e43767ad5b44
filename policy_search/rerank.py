"""Second look at the best hits: how densely one passage covers the query.

BM25F counts matches anywhere in a policy. A policy that answers a question
usually has one passage where most of the question's words stand together, so
the top hits get a bonus for the share of the query's character bigrams (each
weighted by its idf) found in their best window of text.
"""
from __future__ import annotations

from typing import Callable

from .analysis import bigram_pieces
from .fold import fold

#: How many of the best hits get the second look.
RERANK_DEPTH = 20
#: Width of a passage in characters, and the step between passages.
WINDOW_CHARS = 300
WINDOW_STEP = 50
#: Bonus of a hit covering every query bigram in one passage, as a share of the top score.
DENSITY_WEIGHT = 0.2


def passage_share(text: str, weights: dict[str, float], folded: str | None = None) -> float:
    """Best idf-weighted share of the query bigrams found within one window of ``text``.

    Windows start every ``WINDOW_STEP`` characters; only windows holding some
    occurrence are looked at, so long texts cost what their matches cost.

    >>> passage_share("稳岗返还政策", {"稳岗": 1.0, "返还": 1.0, "补贴": 2.0})
    0.5
    """
    total = sum(weights.values())
    if not total or not text:
        return 0.0
    folded = fold(text) if folded is None else folded
    found = sorted(_occurrences(folded, weights))
    best = 0.0
    in_window: dict[str, int] = {}
    weight_in = 0.0
    left = 0
    for pos, piece in found:
        # the window is the step-aligned one that starts at or before the first occurrence kept
        if in_window.get(piece, 0) == 0:
            weight_in += weights[piece]
        in_window[piece] = in_window.get(piece, 0) + 1
        while pos - (found[left][0] // WINDOW_STEP) * WINDOW_STEP + len(piece) > WINDOW_CHARS:
            old = found[left][1]
            in_window[old] -= 1
            if not in_window[old]:
                weight_in -= weights[old]
            left += 1
        best = max(best, weight_in / total)
        if best >= 1.0:
            break
    return best


def _occurrences(folded: str, weights: dict[str, float], cap: int = 400):
    """(position, piece) of every occurrence of each piece, at most ``cap`` a piece."""
    for piece in weights:
        start, seen = folded.find(piece), 0
        while start >= 0 and seen < cap:
            yield start, piece
            seen += 1
            start = folded.find(piece, start + 1)


def query_weights(words: list[str], idf: Callable[[str], float]) -> dict[str, float]:
    """The distinct bigrams of the query words, each with its idf."""
    pieces = dict.fromkeys(piece for word in words for piece, _ in bigram_pieces(word))
    return {piece: idf(piece) for piece in pieces}


def rerank(scored: list[tuple[float, str, object]], weights: dict[str, float]) -> list[tuple[float, object]]:
    """Re-order (score, folded text, item) triples by score plus the passage bonus; returns (score, item)."""
    if not scored:
        return []
    top = max(score for score, _, _ in scored)
    bonus = DENSITY_WEIGHT * top
    out = [(score + bonus * passage_share(text, weights, folded=text), item) for score, text, item in scored]
    out.sort(key=lambda pair: -pair[0])
    return out
