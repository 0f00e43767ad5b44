"""Tagging a policy: level, region, topics and industries.

Topic and industry rules live in ``policy_search/data/*.json`` for staff to
edit. Level and region are read from the issuer, the 文号 prefix and the
title; a given value always wins.
"""
from __future__ import annotations

import functools
import json
import re
from importlib import resources

from policy_search.fold import fold
from policy_search.models import LEVELS, Region

_CENTRAL_ISSUER = re.compile(
    r"^(中共中央|国务院|全国人民代表大会|全国人大|最高人民|国家|中华人民共和国|中国人民银行|中国银保监会|"
    r"中国证监会|海关总署|财政部|教育部|科学技术部|科技部|工业和信息化部|工信部|公安部|民政部|司法部|"
    r"人力资源社会保障部|人力资源和社会保障部|人社部|自然资源部|生态环境部|住房和城乡建设部|住房城乡建设部|"
    r"交通运输部|水利部|农业农村部|商务部|文化和旅游部|国家卫生健康委|应急管理部|审计署|市场监管总局|税务总局)")
_CENTRAL_DOC_PREFIX = re.compile(r"^(国发|国办发|国办函|国函|国令|财税|财|人社部|人社厅|税总|自然资|商|工信部|发改|银保监)")
_MUNICIPALITIES = ("北京市", "天津市", "上海市", "重庆市")
_PLACE = re.compile(r"^(?P<province>[\u4e00-\u9fff]{2,7}?(?:省|自治区))?(?P<city>[\u4e00-\u9fff]{2,8}?(?:市|自治州|地区|盟))?"
                    r"(?P<county>[\u4e00-\u9fff]{1,8}?(?:区|县|旗|市))?")


@functools.lru_cache(maxsize=None)
def _rules(name: str) -> dict:
    return json.loads(resources.files("policy_search.data").joinpath(name).read_text(encoding="utf-8"))


def score_labels(title: str, text: str, labels: dict[str, dict[str, int]], title_factor: float) -> dict[str, float]:
    """Evidence score of each label: keyword weight per body occurrence (up to 3) plus title bonus."""
    scores: dict[str, float] = {}
    for label, keywords in labels.items():
        score = 0.0
        for word, weight in keywords.items():
            score += weight * min(text.count(word), 3)
            if title and word in title:
                score += weight * title_factor
        if score:
            scores[label] = score
    return scores


def classify_topics(title: str, text: str) -> list[str]:
    """Topics with enough evidence, strongest first."""
    rules = _rules("topics.json")
    scores = score_labels(title, text, rules["topics"], rules["title_factor"])
    return [t for t, s in sorted(scores.items(), key=lambda kv: -kv[1]) if s >= rules["threshold"]]


def classify_industries(title: str, text: str) -> list[str]:
    """Industries with enough evidence, or the 'all industries' tag when none has."""
    rules = _rules("industries.json")
    scores = score_labels(title, text, rules["industries"], rules["title_factor"])
    found = [t for t, s in sorted(scores.items(), key=lambda kv: -kv[1]) if s >= rules["threshold"]]
    return found or [rules["all_industries"]]


def infer_level_region(issuer: str, doc_number: str, title: str) -> tuple[str | None, Region]:
    """Level and region from who issued the policy (basic form; refined by the tags issue)."""
    for source in (issuer or "", title or ""):
        if _CENTRAL_ISSUER.match(source):
            return "central", Region()
        if source.startswith(_MUNICIPALITIES):
            name = source[:3]
            rest = source[3:]
            county = re.match(r"^([\u4e00-\u9fff]{1,6}?(?:区|县))", rest)
            if county and not rest.startswith(("区县", "区域")):
                return "county", Region(name=county.group(1), path=[name, county.group(1)])
            return "provincial", Region(name=name, path=[name])
        match = _PLACE.match(source)
        if match and (match["province"] or match["city"] or match["county"]):
            path = [p for p in (match["province"], match["city"], match["county"]) if p]
            level = "county" if match["county"] else ("municipal" if match["city"] else "provincial")
            return level, Region(name=path[-1], path=path)
    if doc_number and _CENTRAL_DOC_PREFIX.match(doc_number):
        return "central", Region()
    return None, Region()


def classify(title: str, text: str, issuer: str | None, doc_number: str | None) -> dict:
    """All inferred tags of a policy."""
    level, region = infer_level_region(fold(issuer or ""), doc_number or "", fold(title or ""))
    return {"level": level if level in LEVELS else None, "region": region,
            "topics": classify_topics(title or "", text), "industries": classify_industries(title or "", text)}
