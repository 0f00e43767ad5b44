"""Policies in the order they first entered the catalog, newest first: what is new.

A search's matches come from the index (the same matching as a search sorted by date); the
order comes from the catalog's ``created_at``. What a feed or the home page's 新收录 list shows
is made by :meth:`SearchService.first_seen`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:
    from policy_search.search.service import Hit

#: The most policies one answer lists.
MAX_FIRST_SEEN = 50


@dataclass
class SeenHit:
    """A policy as a search hit (its snippet the opening of its text), with when it first entered
    the catalog and when it last changed (the same time when it never changed since)."""

    hit: "Hit"
    first_seen: float
    updated: float

    @property
    def changed(self) -> bool:
        """True when the policy changed after it entered."""
        return self.updated > self.first_seen


@dataclass
class SeenPage:
    """The newest matches by first-seen time, how many matched, the index generation read, and
    when the catalog last changed (any policy added, changed or removed; None when empty)."""

    entries: list[SeenHit]
    total: int
    generation: int
    last_change: float | None = None
    partial: bool = False


def pick_newest(matching: dict[str, int], newest_rows: Iterable[tuple[str, float, float]],
                limit: int) -> list[tuple[int, float, float]]:
    """``(ref, first_seen, updated)`` of the first ``limit`` rows of the catalog's newest-first
    rows (``(id, created_at, updated_at)``) whose id is among ``matching`` (id -> the index's
    reference); stops reading the rows once it has them.

    >>> pick_newest({"a": 0, "c": 2}, iter([("b", 9, 9), ("c", 8, 8.5), ("a", 7, 7)]), 5)
    [(2, 8, 8.5), (0, 7, 7)]
    """
    chosen = []
    if limit <= 0 or not matching:
        return chosen
    for policy_id, created_at, updated_at in newest_rows:
        ref = matching.get(policy_id)
        if ref is None:
            continue
        chosen.append((ref, created_at, updated_at))
        if len(chosen) == limit:
            break
    return chosen
