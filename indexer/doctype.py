"""A document's type: 政策文件 (policy), 政策解读 (interpretation), 新闻动态 (news) or other.

The rules are data, in ``policy_search/data/doc_types.json`` (its ``_about`` says how they are
read, for the staff who edit them). A type given by a sidecar, manifest or bulk column wins over
the inferred one (see :mod:`build` and ``retag``).
"""
from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass

from policy_search.rules import rule_text
from policy_search.models import DOC_TYPE_NAMES_ZH, DOC_TYPES
from policy_search.text.docnumber import find_doc_numbers
from policy_search.text.fold import fold

_QUOTED_TITLE = re.compile(r"《[^》]{4,80}》")


@dataclass(frozen=True)
class TypeRules:
    """The rules of ``doc_types.json``, folded and compiled."""

    head_chars: int
    interpretation_title: tuple[str, ...]
    qa_title: tuple[str, ...]
    qa_tail: int
    interpretation_head: tuple[re.Pattern, ...]
    other_title: tuple[str, ...]
    salutations: tuple[re.Pattern, ...]
    policy_title_endings: tuple[str, ...]
    news_title_words: tuple[str, ...]


@functools.lru_cache(maxsize=1)
def type_rules() -> TypeRules:
    """The type rules as shipped in the package data."""
    raw = json.loads(rule_text("doc_types.json"))

    def phrases(key: str) -> tuple[str, ...]:
        return tuple(fold(p) for p in raw[key])

    def patterns(key: str) -> tuple[re.Pattern, ...]:
        return tuple(re.compile(fold(p)) for p in raw[key])

    return TypeRules(head_chars=int(raw["head_chars"]), interpretation_title=phrases("interpretation_title"),
                     qa_title=phrases("qa_title"), qa_tail=int(raw["qa_tail"]),
                     interpretation_head=patterns("interpretation_head"), other_title=phrases("other_title"),
                     salutations=patterns("salutation_patterns"),
                     policy_title_endings=phrases("policy_title_endings"),
                     news_title_words=phrases("news_title_words"))


def infer_type(title: str, text: str, doc_number: str | None = None) -> str:
    """The type of a document from its title, the head of its text and its 文号.

    >>> infer_type("关于印发稳岗返还办法的通知", "各区县人力资源社会保障局：现将办法印发给你们。")
    'policy'
    >>> infer_type("《关于支持中小企业的若干措施》政策解读", "近日，市政府办公室印发了《若干措施》。")
    'interpretation'
    >>> infer_type("我市出台十条措施助力企业复工", "本报讯（记者 王某）日前，我市出台……")
    'news'
    """
    rules = type_rules()
    folded_title = fold(title or "").strip()
    head = fold(_head(title or "", text or "", rules.head_chars))
    if any(word in folded_title for word in rules.interpretation_title):
        return "interpretation"
    formal = "关于" in folded_title and _ends_as_policy(folded_title, rules)  # 关于印发…服务指南的通知
    if not formal and any(word in folded_title for word in rules.other_title):
        return "other"  # a service guide, a general knowledge Q&A, a list
    if _explains_a_policy(folded_title, head, rules):
        return "interpretation"
    if any(word in folded_title for word in rules.qa_title):
        return "other"  # a Q&A naming no policy: a service's FAQ
    opening = fold((text or "").lstrip()[:rules.head_chars])
    if _is_policy(folded_title, head, opening, doc_number, rules):
        return "policy"
    return "news"  # what a policy library holds besides: reports of what was done or decided


def _head(title: str, text: str, size: int) -> str:
    """The first ``size`` characters of the text after its title."""
    body = text.lstrip()
    at = body.find(title.strip()) if title.strip() else -1
    if 0 <= at < 200:
        body = body[at + len(title.strip()):]
    return body.lstrip(" \u3000\n\t：:")[:size]


def _cites_a_policy(text: str) -> bool:
    return bool(_QUOTED_TITLE.search(text) or find_doc_numbers(text))


def _explains_a_policy(title: str, head: str, rules: TypeRules) -> bool:
    """A Q&A about a policy it cites, or a head that says it explains one."""
    tail = title.rstrip("。.!！?？ ")[-rules.qa_tail:]
    if any(word in tail for word in rules.qa_title) and _cites_a_policy(f"{title}\n{head}"):
        return True
    return any(pattern.search(head) for pattern in rules.interpretation_head)


def _ends_as_policy(title: str, rules: TypeRules) -> bool:
    return _without_remarks(title).endswith(rules.policy_title_endings)


def _without_remarks(title: str) -> str:
    """A title without what follows its name: a remark in brackets ((试行), (征求意见稿), (示例)), a
    文号, spaces.

    >>> _without_remarks("关于减免房租的通知（征求意见稿） 〔2020〕3号")
    '关于减免房租的通知'
    """
    previous = None
    while previous != title:
        previous = title
        title = re.sub(r"(\s+|[（(][^（）()]{0,12}[）)]|[〔\[]\d{4}[〕\]]\d*号?)$", "", title)
    return title


def _is_policy(title: str, head: str, opening: str, doc_number: str | None, rules: TypeRules) -> bool:
    """A 文号, an address to its recipients (after the title, or opening a text whose title is
    taken from further down), or a title ending as policies end."""
    if doc_number or any(pattern.search(text) for pattern in rules.salutations for text in (head, opening)):
        return True
    if not _ends_as_policy(title, rules):
        return False
    return "关于" in title or not any(word in title for word in rules.news_title_words)


#: What staff may write for a type: its code or its Chinese name.
_TYPE_ALIASES = {**{code: code for code in DOC_TYPES}, **{name: code for code, name in DOC_TYPE_NAMES_ZH.items()}}


def known_type(value: str) -> str | None:
    """A type as given by staff (its code or its Chinese name), or None when it is none."""
    return _TYPE_ALIASES.get((value or "").strip())
