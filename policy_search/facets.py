"""Facet counts for the current query: how many matches each level, topic, industry, region has.

Each count equals the number of matches the same value finds as a filter: a
region counts the policies issued in it or anywhere under it (keyed by its
6-digit code), and an industry counts the policies for every industry
(不限行业) too. Counts come from the value masks of an :class:`engine.Snapshot`.
"""
from __future__ import annotations

import numpy as np

from .models import ALL_INDUSTRIES

#: facet name in the JSON → index field
FACET_FIELDS = {"level": "level", "topic": "topics", "industry": "industries", "region": "region_keys"}


def facet_counts(arrays, matched: np.ndarray) -> dict[str, dict[str, int]]:
    """Counts per facet value over the ``matched`` documents, largest first, zeros left out."""
    counts = {}
    for name, field in FACET_FIELDS.items():
        values, rows = arrays.value_masks(field)
        if name == "industry" and ALL_INDUSTRIES in values:
            rows = rows | rows[values.index(ALL_INDUSTRIES)]
        totals = np.count_nonzero(rows & matched, axis=1)
        pairs = {v: int(n) for v, n in zip(values, totals) if n and v}
        if name == "region":
            pairs = {k: n for k, n in pairs.items() if k.isdigit() and len(k) == 6}
        counts[name] = dict(sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0])))
    return counts
