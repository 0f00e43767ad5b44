"""Which policy a 政策解读 explains: it cites the policy's 文号, or quotes its title in 《》.

Titles are compared as *keys*: folded, without spaces and punctuation, without the wrappers a
title carries or drops when quoted (an issuer before 关于, 印发/转发, a place name in front, a
closing 的通知/的意见 …), so 《关于加快恢复农业生产的若干措施》 in an interpretation and
"山东省人民政府办公厅关于印发加快恢复农业生产的若干措施的通知" share one. Every document of the
index holds the keys of its title; an interpretation also holds what it cites (the 文号 and
quoted titles of its title and head). A link is looked up when a page or record is shown, so it
follows whichever side was ingested later, and a corrected 文号 or title. Two documents are
linked only when their regions agree (one is the other's, or above it, or either has none): a
吉林 interpretation does not explain a 北京 policy of the same name.

A place a title starts with may be left out on one side only: 《应对疫情支持中小企业若干措施》
finds 北京市应对疫情支持中小企业若干措施, and 《北京市…》 a title naming no place; but two titles
naming different places (本溪市…, 辽宁省…) are two documents. The key without its place is marked
with ``~`` in what a document is known by. An interpretation whose title quotes a document
explains that one; the titles its head quotes then are what that document was based on
(根据《辽宁省…》, in a 解读 of 《本溪市…》), and count only when its title quotes none.
"""
from __future__ import annotations

import re
import unicodedata

from policy_search.text.docnumber import doc_number_key, find_doc_numbers
from policy_search.text.fold import fold

#: Characters of an interpretation read for what it cites, after its title.
HEAD_CHARS = 300
#: A key shorter than this names no particular policy (《通知》, 《若干措施》).
MIN_KEY_CHARS = 8
#: Marks a key without the place name its title starts with (see the module's docstring).
PLACE_LEFT_OUT = "~"
_QUOTED = re.compile(r"《([^《》]{4,120})》")
_ISSUER_THEN_ABOUT = re.compile(r"^.{0,40}?关于")
_PUBLISHING = re.compile(r"^(印发|转发|公布|发布|下发|出台)")
_CLOSING = re.compile(r"的?(通知|意见|公告|通告|决定|函|批复)$")
_ISSUING = (re.compile(r"现将《([^《》]{4,120})》(?:印发|转发)"),
            re.compile(r"《([^《》]{4,120})》已经[^。，]{0,20}同意[，,]?现(?:予)?(?:印发|转发)"))
_PLACE = re.compile(r"^[\u4e00-\u9fff]{1,8}?(省|市|自治区|自治州|区|县|旗)")


def _squeezed(text: str) -> str:
    """Folded, without spaces, punctuation and symbols."""
    return "".join(ch for ch in fold(text) if unicodedata.category(ch)[0] in "LN")


def _key_and_place_free(title: str) -> tuple[str, str | None]:
    """A title's key, and its key without the place name it starts with (None when it names none)."""
    key = _squeezed(title or "")
    key = _ISSUER_THEN_ABOUT.sub("", key, count=1) if "关于" in key[:41] else key
    key = _CLOSING.sub("", _PUBLISHING.sub("", key))
    place_free = _PLACE.sub("", key, count=1)
    return key, (place_free if place_free != key else None)


def _long_enough(keys: list[str | None]) -> list[str]:
    return [k for k in dict.fromkeys(keys) if k and len(k.lstrip(PLACE_LEFT_OUT)) >= MIN_KEY_CHARS]


def title_keys(title: str) -> list[str]:
    """The keys a title is known by (see the module's docstring): its key, and its key without
    the place it names, marked ``~``.

    >>> title_keys("山东省人民政府办公厅关于印发积极应对疫情加快恢复农业生产若干措施的通知")
    ['积极应对疫情加快恢复农业生产若干措施']
    >>> title_keys("《关于积极应对疫情加快恢复农业生产若干措施》")
    ['积极应对疫情加快恢复农业生产若干措施']
    >>> title_keys("关于印发《加快恢复农业生产若干措施》落实细则的通知")  # another document
    ['加快恢复农业生产若干措施落实细则']
    >>> title_keys("北京市应对疫情影响促进中小微企业持续健康发展的若干措施")
    ['北京市应对疫情影响促进中小微企业持续健康发展的若干措施', '~应对疫情影响促进中小微企业持续健康发展的若干措施']
    """
    key, place_free = _key_and_place_free(title)
    return _long_enough([key, PLACE_LEFT_OUT + place_free if place_free else None])


def quotation_keys(quoted: str) -> list[str]:
    """The keys a quoted title looks for: its own; without the place it names (a title that
    names none), or, naming none, the ``~`` key of a title that does.

    >>> quotation_keys("本溪市应对疫情支持中小企业若干政策措施")
    ['本溪市应对疫情支持中小企业若干政策措施', '应对疫情支持中小企业若干政策措施']
    >>> quotation_keys("关于应对疫情支持中小企业若干政策措施")
    ['应对疫情支持中小企业若干政策措施', '~应对疫情支持中小企业若干政策措施']
    """
    key, place_free = _key_and_place_free(quoted)
    return _long_enough([key, place_free if place_free else PLACE_LEFT_OUT + key])


def known_as(title: str, text: str) -> list[str]:
    """The keys a document is known by: its title's, and those of what its head says it issues
    ("现将《…》印发给你们", "《…》已经省政府同意，现印发给你们": a notice issuing measures is
    quoted by the measures' title).

    >>> known_as("山东省人民政府", "《关于加快恢复农业生产的若干措施》已经省政府同意，现印发给你们。")
    ['加快恢复农业生产的若干措施']
    """
    head = _head(title, text)
    issued = [t for pattern in _ISSUING for t in pattern.findall(head)]
    return list(dict.fromkeys(k for t in [title, *issued] for k in title_keys(t)))


def cited_by(title: str, text: str) -> tuple[list[str], list[str]]:
    """What a document's title and head cite: its 文号s (as their keys, :func:`doc_number_key`) and
    the keys of its quoted titles (those of its title when it quotes any, else those of its head).

    >>> cited_by("关于《本溪市支持中小企业若干政策措施》的解读", "根据《辽宁省支持中小企业若干政策措施》制定")[1]
    ['本溪市支持中小企业若干政策措施', '支持中小企业若干政策措施']
    """
    head = _head(title, text)
    numbers = list(dict.fromkeys(doc_number_key(n) for n in find_doc_numbers(f"{title}\n{head}")))
    quoted = _QUOTED.findall(title) or _QUOTED.findall(head)
    keys = [key for quotation in quoted for key in quotation_keys(quotation)]
    return numbers, list(dict.fromkeys(keys))


def _head(title: str, text: str) -> str:
    body = text or ""
    at = body.find(title) if title else -1
    if 0 <= at < 200:
        body = body[at + len(title):]
    return body[:HEAD_CHARS]


def regions_agree(first: str, second: str) -> bool:
    """True when two region codes are one, or one is above the other, or either is unknown.

    >>> regions_agree("370000", "370400"), regions_agree("220000", "110000"), regions_agree("", "110000")
    (True, False, True)
    """
    from policy_search.text import divisions

    if not first or not second or first == second:
        return True
    if "national" in (first, second):
        return True
    chains = []
    for code in (first, second):
        division = divisions.get(code)
        chains.append({d.code for d in divisions.ancestors_and_self(division)} if division else {code})
    return first in chains[1] or second in chains[0]
