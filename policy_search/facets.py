"""Facet counts for the current query: how many matches each level, topic, industry, region has.

Each count equals the number of matches the same value finds as a filter: a
region counts the policies issued in it or anywhere under it (keyed by its
6-digit code), and an industry counts the policies for every industry
(不限行业) too.
"""
from __future__ import annotations

from whoosh import sorting

from .models import ALL_INDUSTRIES

#: facet name in the JSON → index field
FACET_FIELDS = {"level": "level", "topic": "topics", "industry": "industries", "region": "region_keys"}
_MULTI_VALUED = {"topics", "industries", "region_keys"}


def facet_spec() -> dict:
    """The ``groupedby`` argument for a Whoosh search."""
    return {name: sorting.FieldFacet(field, allow_overlap=field in _MULTI_VALUED,
                                     maptype=sorting.UnorderedList if name == "industry" else sorting.Count)
            for name, field in FACET_FIELDS.items()}


def facet_counts(results) -> dict[str, dict[str, int]]:
    """Counts per facet value, largest first, empty values left out."""
    counts = {}
    for name in FACET_FIELDS:
        groups = {_text(k): v for k, v in results.groups(name).items()}
        if name == "industry":
            groups = _with_general_industry(groups)
        pairs = {k: n for k, n in groups.items() if k}
        if name == "region":
            pairs = {k: n for k, n in pairs.items() if k.isdigit() and len(k) == 6}
        counts[name] = dict(sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0])))
    return counts


def _with_general_industry(groups: dict[str, list[int]]) -> dict[str, int]:
    """Per industry, the policies for it or for every industry (as the industry filter finds them)."""
    general = set(groups.get(ALL_INDUSTRIES, ()))
    return {k: len(set(docs) | general) for k, docs in groups.items()}


def _text(key) -> str:
    if isinstance(key, bytes):
        return key.decode("utf-8")
    return "" if key is None else str(key)


def facet_counts_from_arrays(arrays, matched) -> dict[str, dict[str, int]]:
    """The same counts as :func:`facet_counts`, from an :class:`engine.Snapshot` and a match mask."""
    import numpy as np

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
