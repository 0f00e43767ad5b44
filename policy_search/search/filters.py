"""Filters that narrow a search: level, region, applies-to, topic, industry, in force."""
from __future__ import annotations

import datetime
from dataclasses import dataclass

from whoosh import query as wq

from policy_search.text import divisions
from policy_search.errors import QueryError
from policy_search.models import ALL_INDUSTRIES, LEVELS

#: valid_until values sort as ISO dates; anything before this is no date at all.
_EARLIEST = "1900-01-01"


@dataclass
class Filters:
    """What a search is narrowed to; empty fields do not narrow."""

    level: str | None = None
    region: str | None = None
    applies_to: str | None = None
    topic: str | None = None
    industry: str | None = None
    in_force: bool = False

    def is_empty(self) -> bool:
        """True when nothing narrows the search."""
        return not (self.level or self.region or self.applies_to or self.topic
                    or self.industry or self.in_force)


def _within(region: str) -> wq.Query:
    """Policies issued in a region or anywhere under it."""
    division = divisions.resolve(region)
    return wq.Term("region_keys", division.code)


def applies_to_query(region: str) -> wq.Query:
    """Policies that apply to an enterprise located in a region: central ones plus its chain."""
    division = divisions.resolve(region)
    chain = [wq.Term("region_code", d.code) for d in divisions.ancestors_and_self(division)]
    return wq.Or([wq.Term("level", "central"), *chain])


def industry_query(industry: str) -> wq.Query:
    """Policies for an industry, including those for every industry (不限行业)."""
    return wq.Or([wq.Term("industries", industry), wq.Term("industries", ALL_INDUSTRIES)])


def not_expired_query(today: datetime.date) -> wq.Query:
    """Policies not known to have expired before today (unknown counts as in force)."""
    yesterday = (today - datetime.timedelta(days=1)).isoformat()
    return wq.Not(wq.TermRange("valid_until", _EARLIEST, yesterday))


def build_filter(filters: Filters, today: datetime.date | None = None) -> wq.Query | None:
    """The Whoosh filter query for a Filters, or None when it does not narrow."""
    parts: list[wq.Query] = []
    if filters.level:
        if filters.level not in LEVELS:
            raise QueryError(f"unknown level {filters.level!r}", hint=f"use one of: {', '.join(LEVELS)}")
        parts.append(wq.Term("level", filters.level))
    if filters.region:
        parts.append(_within(filters.region))
    if filters.applies_to:
        parts.append(applies_to_query(filters.applies_to))
    if filters.topic:
        parts.append(wq.Term("topics", filters.topic))
    if filters.industry:
        parts.append(industry_query(filters.industry))
    if filters.in_force:
        parts.append(not_expired_query(today or datetime.date.today()))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else wq.And(parts)
