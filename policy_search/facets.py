"""Facet counts for the current query: how many matches each level, topic, industry, region has."""
from __future__ import annotations

from whoosh import sorting

#: facet name in the JSON → index field
FACET_FIELDS = {"level": "level", "topic": "topics", "industry": "industries", "region": "region_name"}
_MULTI_VALUED = {"topics", "industries"}


def facet_spec() -> dict:
    """The ``groupedby`` argument for a Whoosh search."""
    return {name: sorting.FieldFacet(field, allow_overlap=field in _MULTI_VALUED, maptype=sorting.Count)
            for name, field in FACET_FIELDS.items()}


def facet_counts(results) -> dict[str, dict[str, int]]:
    """Counts per facet value, largest first, empty values left out."""
    counts = {}
    for name in FACET_FIELDS:
        groups = results.groups(name)
        pairs = ((_text(k), n) for k, n in groups.items())
        counts[name] = dict(sorted(((k, n) for k, n in pairs if k), key=lambda kv: (-kv[1], kv[0])))
    return counts


def _text(key) -> str:
    if isinstance(key, bytes):
        return key.decode("utf-8")
    return "" if key is None else str(key)
