"""Filters that narrow a search: level, region, applies-to, topic, industry, in force."""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field, make_dataclass
from typing import Callable, Optional, Sequence

from whoosh import query as wq

from policy_search.text import divisions
from policy_search.errors import QueryError
from policy_search.models import ALL_INDUSTRIES, DOC_TYPES, LEVELS

#: valid_until values sort as ISO dates; anything before this is no date at all.
_EARLIEST = "1900-01-01"


#: Kinds of filter: one of a set of values, a region (a division's name or code), on or off.
CHOICE, REGION, FLAG = "choice", "region", "flag"


@dataclass(frozen=True)
class FilterField:
    """One way a search can be narrowed, declared once.

    Its ``name`` is the :class:`Filters` attribute, the keyword of ``SearchService.search``, the
    URL parameter (pages, API, feeds), the saved-search key and, with dashes, the command-line
    option; the web's parameters, the OpenAPI document and the CLI options are made from
    :data:`FILTER_FIELDS`. ``values`` gives the allowed values of a choice; ``fixed``: they are few
    and never change (the command line offers them as choices). ``title`` is its Chinese name.
    """

    name: str
    kind: str
    help: str
    title: str
    values: Callable[[], Sequence[str]] | None = None
    fixed: bool = False

    @property
    def option(self) -> str:
        """The command-line option: ``--applies-to``."""
        return "--" + self.name.replace("_", "-")


def _topics() -> Sequence[str]:
    from policy_search.vocabulary import topic_names
    return topic_names()


def _industries() -> Sequence[str]:
    from policy_search.vocabulary import industry_names
    return industry_names()


#: Every filter, in the order they are offered.
FILTER_FIELDS: tuple[FilterField, ...] = (
    FilterField("level", CHOICE, "Only this level of issuer.", "层级", lambda: LEVELS, fixed=True),
    FilterField("region", REGION, "Only policies issued in this region or below it (name or code, e.g. 枣庄市).",
                "发布地区"),
    FilterField("applies_to", REGION, "Only policies that apply to an enterprise in this region: central ones "
                "plus those of the region and the regions above it (name or code, e.g. 峄城区).", "适用于"),
    FilterField("topic", CHOICE, "Only this topic, e.g. 稳岗就业.", "主题", _topics),
    FilterField("industry", CHOICE, "Only this industry, e.g. 制造业 (不限行业 policies match every industry).",
                "行业", _industries),
    FilterField("in_force", FLAG, "Leave out policies known to have expired.", "仅看有效"),
    FilterField("type", CHOICE, "Only this type of document: policy (政策文件), interpretation (政策解读), "
                "news (新闻动态) or other.", "类型", lambda: DOC_TYPES, fixed=True),
)
#: The filters' names.
FILTER_NAMES: tuple[str, ...] = tuple(f.name for f in FILTER_FIELDS)


def _is_empty(self) -> bool:
    """True when nothing narrows the search."""
    return not any(getattr(self, name) for name in FILTER_NAMES)


#: What a search is narrowed to, one attribute per filter of :data:`FILTER_FIELDS` (a choice or a
#: region: a value or None; a flag: True or False); empty ones do not narrow.
Filters = make_dataclass(
    "Filters",
    [(f.name, bool if f.kind == FLAG else Optional[str], field(default=False if f.kind == FLAG else None))
     for f in FILTER_FIELDS],
    namespace={"is_empty": _is_empty, "__doc__": "What a search is narrowed to (see FILTER_FIELDS).",
               "__module__": __name__})


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
    if filters.type:
        if filters.type not in DOC_TYPES:
            raise QueryError(f"unknown type {filters.type!r}", hint=f"use one of: {', '.join(DOC_TYPES)}")
        parts.append(wq.Term("type", filters.type))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else wq.And(parts)
