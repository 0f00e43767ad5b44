"""Facet counts for the current query: how many matches each level, topic, industry, region has.

Each count equals the number of matches the same value finds as a filter: a
region counts the policies issued in it or anywhere under it (keyed by its
6-digit code), and an industry counts the policies for every industry
(不限行业) too. Counts come from the value masks of an :class:`engine.Snapshot`,
kept as (value, document) pairs so that a query's counts are one ``bincount``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from policy_search.models import ALL_INDUSTRIES

#: facet name in the JSON → index field
FACET_FIELDS = {"level": "level", "topic": "topics", "industry": "industries", "region": "region_keys",
                "type": "type"}


def is_shown(name: str, value: str) -> bool:
    """True for a facet value a count is given for: not empty, and a region only as its 6-digit
    code (``region_keys`` also holds names and the codes of the regions above).

    >>> is_shown("region", "370404"), is_shown("region", "山东省"), is_shown("level", "")
    (True, False, False)
    """
    return bool(value) and (name != "region" or (value.isdigit() and len(value) == 6))


def facet_counts(arrays, matched: np.ndarray) -> dict[str, dict[str, int]]:
    """Counts per facet value over the ``matched`` documents, largest first, zeros left out."""
    return {name: _counts(facet_pairs(arrays, name, field), matched)
            for name, field in FACET_FIELDS.items()}


@dataclass
class FacetPairs:
    """One facet of a generation: its values (``shown``: those a count is given for; ``rank``:
    each value's place in text order) and its (value row, document) pairs.

    ``everyone`` is the row of the value that every other value counts too (不限行业 for
    the industries), and ``shared_rows``/``shared_docs`` the pairs of a value and a
    document that holds ``everyone`` as well (counted once, not twice).
    """

    values: np.ndarray
    shown: np.ndarray
    rank: np.ndarray
    rows: np.ndarray
    docs: np.ndarray
    everyone: int | None = None
    shared_rows: np.ndarray | None = None
    shared_docs: np.ndarray | None = None


def _counts(facet: FacetPairs, matched: np.ndarray) -> dict[str, int]:
    """The facet's counts over ``matched``: largest first, then by value; zeros left out."""
    size = len(facet.values)
    totals = np.bincount(facet.rows[matched[facet.docs]], minlength=size)
    if facet.everyone is not None:
        shared = np.bincount(facet.shared_rows[matched[facet.shared_docs]], minlength=size)
        totals = totals + totals[facet.everyone] - shared
    kept = np.flatnonzero(facet.shown & (totals > 0))
    kept = kept[np.lexsort((facet.rank[kept], -totals[kept]))]
    return dict(zip(facet.values[kept].tolist(), totals[kept].tolist()))


def facet_pairs(arrays, name: str, field: str) -> FacetPairs:
    """A facet's values and (value row, document) pairs, made once per generation from the
    value masks and kept with the generation's masks. An industry counts the policies for
    every industry (不限行业) too."""
    key = ("facet pairs", name)
    found = arrays.cached_mask(key)
    if found is None:
        values, matrix = arrays.value_masks(field)
        shown = [is_shown(name, v) for v in values]
        rank = np.argsort(np.argsort(np.array(values, dtype=object), kind="stable"))
        found = FacetPairs(np.array(values, dtype=object), np.array(shown, bool), rank,
                           *np.nonzero(matrix))
        if name == "industry" and ALL_INDUSTRIES in values:
            found.everyone = values.index(ALL_INDUSTRIES)
            found.shared_rows, found.shared_docs = np.nonzero(matrix & matrix[found.everyone])
        arrays.keep_mask(key, found)
    return found
