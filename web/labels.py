"""What the templates show: Chinese labels, facet links, active-filter chips, region steps."""
from __future__ import annotations

import datetime

from flask import url_for

from policy_search.text import divisions
from policy_search.models import DOC_TYPE_NAMES_ZH, LEVEL_NAMES_ZH
from policy_search.search.filters import FILTER_FIELDS, FLAG, REGION, FilterField

STATUS_NAMES = {"in_force": "有效", "expired": "已过期", "unknown": "有效期未注明"}
FACET_TITLES = {"level": "层级", "topic": "主题", "industry": "行业", "region": "地区", "type": "类型"}
FACET_SHOWN = 8


def level_name(level: str | None) -> str:
    return LEVEL_NAMES_ZH.get(level or "", "未定级")  # also the lookup's "unrated" group


def type_name(doc_type: str | None) -> str:
    return DOC_TYPE_NAMES_ZH.get(doc_type or "", doc_type or "")


def status_name(status: str) -> str:
    return STATUS_NAMES.get(status, status)


def local_day(timestamp: float) -> str:
    """The day of a Unix time on the server's clock, as YYYY-MM-DD."""
    return datetime.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d")


def region_label(code: str | None) -> str:
    division = divisions.get(code) if code else None
    return "".join(divisions.path_names(division)) if division else (code or "")


def facet_groups(facets: dict, params) -> list[dict]:
    """Each facet with its values as links that narrow the current search (page reset to 1)."""
    groups = []
    for name, counts in facets.items():
        if not counts:
            continue
        items = []
        for value, count in list(counts.items())[:FACET_SHOWN]:
            param, shown = name, value
            if name == "level":
                shown = level_name(value)
            elif name == "type":
                shown = type_name(value)
            elif name == "region":
                division = divisions.get(value)
                if division is None:
                    continue
                shown = division.name
            current = getattr(params, param, None)
            args = params.query_args(**{param: None if current == value else value, "page": None})
            items.append({"label": shown, "count": count, "active": current == value,
                          "url": url_for("pages.search", **args)})
        if items:
            groups.append({"name": name, "title": FACET_TITLES.get(name, name), "items": items})
    return groups


def filter_chip_label(spec: FilterField, value) -> str:
    """How a filter in force reads on its chip: 区县级, 适用于：山东省枣庄市峄城区, 仅看有效 …"""
    if spec.kind == FLAG:
        return spec.title
    if spec.kind == REGION:
        return f"{spec.title}：{region_label(value)}"
    if spec.name == "level":
        return level_name(value)
    if spec.name == "type":
        return type_name(value)
    return value


def active_filters(params) -> list[dict]:
    """The filters in force, each with a link that drops it."""
    chips = []
    for spec in FILTER_FIELDS:
        value = getattr(params, spec.name)
        if value:
            chips.append({"label": filter_chip_label(spec, value), "url": url_for(
                "pages.search", **params.query_args(**{spec.name: None, "page": None}))})
    return chips


def region_steps(chosen) -> list[dict]:
    """The province → city → county choosers of /match, each with its options and selection."""
    chain = divisions.ancestors_and_self(chosen) if chosen else []
    provinces = [d for d in divisions.all_divisions() if d.kind == "province"]
    steps = [{"name": "省", "options": provinces, "selected": chain[0].code if chain else None}]
    for depth, title in ((1, "市"), (2, "区县")):
        if len(chain) < depth:
            break
        options = divisions.children(chain[depth - 1])
        if not options:
            break
        selected = chain[depth].code if len(chain) > depth else None
        steps.append({"name": title, "options": options, "selected": selected})
    return steps
