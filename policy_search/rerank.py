"""Second look at the best hits: how densely one passage covers the query.

BM25F counts matches anywhere in a policy. A policy that answers a question
usually has one passage where most of the question's words stand together, so
the top hits get a bonus for the share of the query's character bigrams (each
weighted by its idf) found in their best window of text.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

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
    if not text:
        return 0.0
    return passage_shares([fold(text) if folded is None else folded], weights)[0]


def passage_shares(folded_texts: list[str], weights: dict[str, float],
                   stop: Callable[[], bool] | None = None) -> list[float] | None:
    """:func:`passage_share` of several folded texts at once (one pass of array work for all).

    ``stop``, asked before each text is searched, ends the work early: None is returned.

    >>> passage_shares(["稳岗返还政策", "", "补贴"], {"稳岗": 1.0, "返还": 1.0, "补贴": 2.0})
    [0.5, 0.0, 0.5]
    """
    total = sum(weights.values())
    if not total:
        return [0.0] * len(folded_texts)
    pieces = list(weights)
    found = []
    for text in folded_texts:
        if stop is not None and stop():
            return None
        found.append(_occurrences(text, pieces))
    return _best_windows(found, pieces, weights).tolist()


def _occurrences(folded: str, pieces: list[str], cap: int = 400) -> tuple[list[int], list[int]]:
    """Positions of each piece in a text and the piece's number, at most ``cap`` a piece."""
    positions: list[int] = []
    numbers: list[int] = []
    for number, piece in enumerate(pieces):
        start = folded.find(piece)
        seen = len(positions)
        while start >= 0 and len(positions) - seen < cap:
            positions.append(start)
            start = folded.find(piece, start + 1)
        numbers += [number] * (len(positions) - seen)
    return positions, numbers


#: Apart by this much (a multiple of ``WINDOW_STEP``), the occurrences of two texts never
#: share a window, so the texts of one call are laid end to end on one line.
_TEXT_GAP = WINDOW_STEP * 2**32
#: Weights become integers in units of 2**-40 so that a window's weight is an exact sum:
#: equal texts get equal shares whatever else is in the call.
_WEIGHT_UNIT = 2.0**40


def _best_windows(found: list[tuple[list[int], list[int]]], pieces: list[str],
                  weights: dict[str, float]) -> np.ndarray:
    """The best window share of each text, from its occurrences (position, piece number).

    The occurrences are taken in order of position (then piece, as text). For each one,
    the window ends there and starts at the first occurrence whose step-aligned position
    leaves room for the piece within ``WINDOW_CHARS`` (never moving back); a piece counts
    when its last occurrence so far lies in the window. An occurrence thus counts from
    itself up to (not including) the next occurrence of its piece or the first window
    that starts after it: summed as a difference array, every window's weight at once.
    """
    best = np.zeros(len(found))
    counts = np.array([len(positions) for positions, _ in found])
    if not counts.sum():
        return best
    unit = np.array([round(weights[p] * _WEIGHT_UNIT) for p in pieces], np.int64)
    text_rank = np.argsort(np.argsort(np.array(pieces, dtype=object), kind="stable"))
    lengths = np.array([len(p) for p in pieces], np.int64)
    text_of = np.repeat(np.arange(len(found)), counts)
    position = np.concatenate([np.asarray(p, np.int64) for p, _ in found]) + text_of * _TEXT_GAP
    piece = np.concatenate([np.asarray(n, np.int64) for _, n in found])
    order = np.lexsort((text_rank[piece], position))
    position, piece, text_of = position[order], piece[order], text_of[order]
    steps = len(position)
    reach = position + lengths[piece] - WINDOW_CHARS
    first_start = -(-reach // WINDOW_STEP) * WINDOW_STEP  # the window's start, step-aligned, rounded up
    left = np.searchsorted(position, np.maximum.accumulate(first_start), side="left")
    counted_until = np.minimum(_next_same(piece), np.searchsorted(left, np.arange(steps), side="right"))
    change = np.zeros(steps + 1, np.int64)
    np.add.at(change, np.arange(steps), unit[piece])
    np.subtract.at(change, counted_until, unit[piece])
    window = np.cumsum(change[:steps])
    starts = np.flatnonzero(np.r_[True, text_of[1:] != text_of[:-1]])
    best[text_of[starts]] = np.maximum.reduceat(window, starts) / unit.sum()
    return best


def _next_same(piece: np.ndarray) -> np.ndarray:
    """For each step, the next step of the same piece (the number of steps when none)."""
    steps = len(piece)
    by_piece = np.lexsort((np.arange(steps), piece))
    following = np.full(steps, steps)
    same = piece[by_piece[1:]] == piece[by_piece[:-1]]
    following[by_piece[:-1][same]] = by_piece[1:][same]
    return following


def query_weights(words: list[str], idf: Callable[[str], float]) -> dict[str, float]:
    """The distinct bigrams of the query words, each with its idf."""
    pieces = dict.fromkeys(piece for word in words for piece, _ in bigram_pieces(word))
    return {piece: idf(piece) for piece in pieces}


def rerank(scored: list[tuple[float, str, object]], weights: dict[str, float],
           stop: Callable[[], bool] | None = None) -> list[tuple[float, object]] | None:
    """Re-order (score, folded text, item) triples by score plus the passage bonus; returns
    (score, item). ``stop``, asked before each text is searched, ends the work early: None."""
    if not scored:
        return []
    top = max(score for score, _, _ in scored)
    bonus = DENSITY_WEIGHT * top
    shares = passage_shares([text for _, text, _ in scored], weights, stop=stop)
    if shares is None:
        return None
    out = [(score + bonus * share, item) for (score, _, item), share in zip(scored, shares)]
    out.sort(key=lambda pair: -pair[0])
    return out
