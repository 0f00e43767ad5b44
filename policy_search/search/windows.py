"""Sliding windows over sorted occurrences, as array work: what :mod:`rerank` and :mod:`snippets`
ask of the matches in a text (the distinct terms within a window, weighted)."""
from __future__ import annotations

import numpy as np


def distinct_weight(items: np.ndarray, weights: np.ndarray, left: np.ndarray) -> np.ndarray:
    """For each step ``i``, the summed weight of the distinct items among steps ``left[i]`` to
    ``i`` (``left`` never decreasing; a window with ``left[i] > i`` is empty).

    A step counts from itself up to (not including) the next step of its item or the first
    window that starts after it, so the sums are one difference array. Integer weights
    give exact sums.

    >>> distinct_weight(np.array([0, 1, 0, 2]), np.array([5, 1, 5, 2]), np.array([0, 0, 1, 3])).tolist()
    [5, 6, 6, 2]
    """
    steps = np.arange(len(items))
    counted_until = np.minimum(next_same(items), np.searchsorted(left, steps, side="right"))
    change = (np.bincount(steps, weights, len(items) + 1)
              - np.bincount(counted_until, weights, len(items) + 1))
    return np.cumsum(change[:-1]).astype(np.int64)


def next_same(items: np.ndarray) -> np.ndarray:
    """For each step, the next step of the same item (the number of steps when none).

    >>> next_same(np.array([3, 1, 3, 3])).tolist()
    [2, 4, 3, 4]
    """
    steps = len(items)
    by_item = np.lexsort((np.arange(steps), items))
    following = np.full(steps, steps)
    same = items[by_item[1:]] == items[by_item[:-1]]
    following[by_item[:-1][same]] = by_item[1:][same]
    return following
