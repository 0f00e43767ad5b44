"""Topic and industry tags from editable keyword rules.

The rules live in ``policy_search/data/topics.json`` and
``policy_search/data/industries.json``; their ``_about`` entries explain the
format to the staff who edit them. Title and text are folded (traditional to
simplified, full-width to half-width, lower case) before matching, and so are
the rules.

Scoring, per label:

* ``ignore`` phrases are blanked out of the text first, so a stock phrase
  ("疫情防控期间") gives no evidence for the label.
* A sentence holding one of a label's ``not_with`` words gives it no evidence, nor does a title
  holding one: the masks of a tax exemption for donations are no prevention measure.
* Keywords are matched longest first and each match blanks its span, so
  "复工复产" counts once, not again as "复工" and "复产".
* Each distinct keyword adds its weight for its first occurrence and
  ``repeat`` times its weight for each further one, up to ``cap`` occurrences.
  An occurrence that is an item of an enumeration (next to "、") counts only
  ``list_factor``: a sector named in a list of many is a passing mention.
* A keyword in the title adds ``title_factor`` times its weight once more.
* A label is tagged when its score reaches its threshold, raised for texts
  longer than ``long_text`` characters by the square root of the excess ratio
  and not more than ``max_raise`` times; a ``strong`` phrase in the title or
  text is enough on its own.

Any of the settings may be given per label to override the file's.
"""
from __future__ import annotations

import functools
import json
import math
import operator
import re
from dataclasses import dataclass, field

from policy_search.rules import rule_text
from policy_search.text.fold import fold

_BLANK = "\u3000"  # text is folded before matching, so no keyword contains it
_LIST_MARKS = "、"
DEFAULT_SETTINGS = {"title_factor": 2.0, "threshold": 6.0, "repeat": 0.5, "cap": 5, "list_factor": 0.5,
                    "long_text": 6000, "max_raise": 2.0, "short_text": 0, "min_factor": 1.0}


@dataclass(frozen=True)
class LabelRule:
    """One label's keywords (longest first), strong and ignored phrases, and scoring settings."""

    name: str
    keywords: tuple[tuple[str, float], ...]
    strong: tuple[str, ...]
    ignore: tuple[str, ...]
    settings: dict
    #: sentences holding one of these give the label no evidence (folded)
    not_with: tuple[str, ...] = ()


@dataclass(frozen=True)
class RuleSet:
    """All labels of one rule file, the file's settings and the file as read."""

    labels: tuple[LabelRule, ...]
    settings: dict
    raw: dict = field(repr=False)
    #: the file's ``measure_words``, folded: evidence counts only in sentences holding one
    #: (none: every sentence counts)
    measure_words: tuple[str, ...] = ()


def _read_data(name: str) -> dict:
    """A JSON rule file (the rules folder's copy, else the package's: see :mod:`policy_search.rules`)."""
    return json.loads(rule_text(name))


def label_rule(name: str, spec: dict, settings: dict) -> LabelRule:
    """A LabelRule from one JSON entry: phrases folded, keywords longest first, settings overridden."""
    keywords = sorted(((fold(word), float(weight)) for word, weight in spec["keywords"].items()),
                      key=lambda kw: -len(kw[0]))
    return LabelRule(name=name, keywords=tuple(keywords),
                     strong=tuple(fold(p) for p in spec.get("strong", [])),
                     ignore=tuple(sorted((fold(p) for p in spec.get("ignore", [])), key=len, reverse=True)),
                     settings={key: float(spec.get(key, value)) for key, value in settings.items()},
                     not_with=tuple(fold(w) for w in spec.get("not_with", [])))


@functools.lru_cache(maxsize=None)
def load_rules(name: str, section: str) -> RuleSet:
    """The rules of one file (``topics.json``/``topics``, ``industries.json``/``industries``), read once."""
    raw = _read_data(name)
    settings = {**DEFAULT_SETTINGS, **raw.get("settings", {})}
    specs = raw[section]
    general = raw.get("all_industries")
    if general in specs:
        specs = {**specs, general: _general_spec(specs, general)}
    labels = tuple(label_rule(label, spec, settings) for label, spec in specs.items())
    return RuleSet(labels=labels, settings=settings, raw=raw,
                   measure_words=tuple(fold(word) for word in raw.get("measure_words", ())))


#: Words for the enterprises of one industry (餐饮企业, 运输企业): no evidence of a general policy.
_ENTERPRISE_WORDS = ("企业", "商户")
#: An industry keyword of at least this weight names that industry (餐饮, 物流; not 企业 or 运输).
_NAMING_WEIGHT = 3.0


def _general_spec(specs: dict, general: str) -> dict:
    """The 不限行业 rule with the enterprises of a named industry (its keywords of weight
    ``_NAMING_WEIGHT``, then 企业 or 商户) among its ignored phrases: 餐饮企业 says the policy
    is for restaurants, not for enterprises in general."""
    named = {word + end for label, spec in specs.items() if label != general
             for word, weight in spec["keywords"].items() if float(weight) >= _NAMING_WEIGHT
             for end in _ENTERPRISE_WORDS}
    return {**specs[general], "ignore": sorted(set(specs[general].get("ignore", [])) | named)}


def _blank(text: str, phrase: str) -> str:
    """The text with every occurrence of phrase blanked out."""
    return text.replace(phrase, _BLANK * len(phrase)) if phrase in text else text


def _occurrences(text: str, phrase: str, list_factor: float) -> list[float]:
    """The value of each occurrence of phrase: 1, or list_factor for an item of an enumeration."""
    values: list[float] = []
    start = text.find(phrase)
    while start >= 0:
        end = start + len(phrase)
        in_list = (start > 0 and text[start - 1] in _LIST_MARKS) or (end < len(text) and text[end] in _LIST_MARKS)
        values.append(list_factor if in_list else 1.0)
        start = text.find(phrase, end)
    return values


def keyword_evidence(values: list[float], settings: dict) -> float:
    """Evidence of one keyword from its occurrence values: the best counts fully, the rest 'repeat', up to 'cap'."""
    ranked = sorted(values, reverse=True)[: int(settings["cap"])]
    return ranked[0] + settings["repeat"] * sum(ranked[1:]) if ranked else 0.0


def length_factor(length: int, settings: dict) -> float:
    """How much a text's threshold is scaled by its length: raised by sqrt(length / long_text) for a
    long text, at most max_raise; lowered by sqrt(length / short_text) for a short one, down to
    min_factor (a short notice names its subject fewer times); 1 in between.

    >>> settings = {"long_text": 6000, "max_raise": 2, "short_text": 1600, "min_factor": 0.5}
    >>> [round(length_factor(n, settings), 2) for n in (200, 900, 3000, 24000, 60000)]
    [0.5, 0.75, 1.0, 2.0, 2.0]
    """
    if length < float(settings["short_text"]):
        return max(math.sqrt(length / float(settings["short_text"])), float(settings["min_factor"]))
    ratio = length / float(settings["long_text"])
    return min(max(1.0, math.sqrt(ratio)), float(settings["max_raise"]))


def character_pairs(text: str) -> frozenset[str]:
    """Every two characters side by side in a text (what a phrase needs to be in it).

    >>> sorted(character_pairs("稳岗返还"))
    ['岗返', '稳岗', '返还']
    """
    return frozenset(map(operator.add, text, text[1:]))


def may_hold(pairs: frozenset[str] | None, phrase: str) -> bool:
    """False when the text whose :func:`character_pairs` these are cannot hold the phrase
    (its first or last two characters never stand together there); a cheap check before
    scanning the whole text for it."""
    return pairs is None or len(phrase) < 2 or (phrase[:2] in pairs and phrase[-2:] in pairs)


def _without_ignored(rule: LabelRule, title: str, text: str,
                     pairs: frozenset[str] | None = None) -> tuple[str, str]:
    """Title and text without what gives the label no evidence: its ignored phrases blanked out,
    and the sentences (or the whole title) holding one of its ``not_with`` words."""
    for phrase in rule.ignore:
        title = _blank(title, phrase)
        if may_hold(pairs, phrase):
            text = _blank(text, phrase)
    if rule.not_with:
        text = _blank_sentences(text, rule.not_with, holding=True)
        if any(word in title for word in rule.not_with):
            title = ""
    return title, text


def label_score(rule: LabelRule, title: str, text: str, pairs: frozenset[str] | None = None) -> float:
    """Evidence score of one label in an already folded title and text (``pairs``: the text's
    :func:`character_pairs`, to skip keywords it cannot hold)."""
    title, text = _without_ignored(rule, title, text, pairs)
    settings, score = rule.settings, 0.0
    for word, weight in rule.keywords:
        values = _occurrences(text, word, settings["list_factor"]) if may_hold(pairs, word) else []
        if values:
            score += weight * keyword_evidence(values, settings)
            text = _blank(text, word)
        if word in title:
            score += weight * settings["title_factor"]
            title = _blank(title, word)
    return score


def has_strong(rule: LabelRule, title: str, text: str, pairs: frozenset[str] | None = None) -> bool:
    """Whether a strong phrase of the label is in the folded title or text (outside ignored phrases)."""
    if not rule.strong:
        return False
    title, text = _without_ignored(rule, title, text, pairs)
    return any((may_hold(pairs, p) and p in text) or p in title for p in rule.strong)


def score_labels(title: str, text: str, rules: RuleSet) -> dict[str, float]:
    """Score of every label with evidence, relative to its threshold (1.0 or more = tagged)."""
    title, text = fold(title or ""), fold(text or "")
    return _score_folded(title, text, rules, character_pairs(text))


def _score_folded(title: str, text: str, rules: RuleSet, pairs: frozenset[str]) -> dict[str, float]:
    """:func:`score_labels` of a folded title and text, given the text's character pairs."""
    length = len(text)
    text = measures_only(text, rules.measure_words)
    scores: dict[str, float] = {}
    for rule in rules.labels:
        threshold = rule.settings["threshold"] * length_factor(length, rule.settings)
        score = label_score(rule, title, text, pairs) / threshold
        if has_strong(rule, title, text, pairs):
            score = max(score, 1.0)
        if score > 0:
            scores[rule.name] = score
    return scores


_SENTENCE = re.compile(r"[^。；;！!？?\n]*[。；;！!？?\n]?")


def measures_only(text: str, words: tuple[str, ...]) -> str:
    """The folded text with every sentence that holds none of ``words`` blanked out (its length
    kept): evidence must stand in a measure (减免, 补贴, 贷款 …), not in a mention.

    >>> measures_only("医院接诊患者。对餐饮企业给予补贴。", ("补贴",)).strip("\u3000")
    '对餐饮企业给予补贴。'
    """
    return _blank_sentences(text, words, holding=False) if words else text


def _blank_sentences(text: str, words: tuple[str, ...], holding: bool) -> str:
    """The folded text with the sentences that hold one of ``words`` (``holding``), or that hold
    none of them, blanked out; its length kept."""
    return "".join(_BLANK * len(sentence) if any(word in sentence for word in words) == holding else sentence
                   for sentence in _SENTENCE.findall(text))


def _passing(scores: dict[str, float]) -> list[str]:
    """Labels at or above their threshold, strongest first."""
    return [name for name, s in sorted(scores.items(), key=lambda kv: -kv[1]) if s >= 1.0]


def classify_topics(title: str, text: str) -> list[str]:
    """Topics with enough evidence, strongest first."""
    return _passing(score_labels(title, text, load_rules("topics.json", "topics")))


def classify_industries(title: str, text: str) -> list[str]:
    """Industries the policy targets, strongest first; 不限行业 first when it is for enterprises in
    general; none when it targets no enterprises."""
    return industries_from_scores(score_labels(title, text, load_rules("industries.json", "industries")))


def topics_and_industries(folded_title: str, folded_text: str) -> tuple[list[str], list[str]]:
    """:func:`classify_topics` and :func:`classify_industries` of a title and text folded already
    (each folded, and its character pairs made, once for both)."""
    pairs = character_pairs(folded_text)
    topics = _score_folded(folded_title, folded_text, load_rules("topics.json", "topics"), pairs)
    industries = _score_folded(folded_title, folded_text, load_rules("industries.json", "industries"), pairs)
    return _passing(topics), industries_from_scores(industries)


def industries_from_scores(scores: dict[str, float]) -> list[str]:
    """The industries of the scores: 不限行业 first when the policy is for enterprises in general;
    none when it targets no enterprises (a school closure, advice to the public). An industry with
    ``dominant_ratio`` times the general evidence makes the document that industry's alone: the
    enterprises it speaks of are that industry's."""
    rules = load_rules("industries.json", "industries")
    general = rules.raw["all_industries"]
    found = [name for name in _passing(scores) if name != general]
    general_score = scores.get(general, 0.0)
    if not found:
        return [general] if general_score >= 1.0 else []
    dominant_ratio = rules.raw.get("dominant_ratio")
    dominated = dominant_ratio is not None and general_score * dominant_ratio <= scores[found[0]]
    many = len(found) >= rules.raw.get("general_from", len(scores) + 1)  # a package for many sectors
    return ([general] if (general_score >= 1.0 and not dominated) or many else []) + found
