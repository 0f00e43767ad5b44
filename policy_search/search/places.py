"""Where a question is about, as a soft constraint on ranking.

A question naming a place ("上海市对复工企业员工有何要求") is seldom answered by a document of
another province. The places a question's words name are looked up in the division table: full
names of any level, short names of provinces and cities only (a county's short name is often a
word: 延长, 资源, 通道). Each document's provinces — of its region tag and of the places its opening
names — are found once, when it is indexed (:func:`document_provinces`, the ``provinces`` field);
a best hit placed wholly in provinces the question does not name scores :data:`ELSEWHERE_FACTOR`
of its score. National documents and documents naming no place are left as they are: a national
policy applies everywhere. A bonus for the named place itself was measured and lowered MRR on both
halves of the dev questions, so there is none.
"""
from __future__ import annotations

from policy_search.text import divisions
from policy_search.text.fold import fold

#: The score a best hit keeps when the question names a place and the hit is wholly elsewhere.
ELSEWHERE_FACTOR = 0.85
#: Characters of a document's opening (after folding) read for the places it names.
OPENING_CHARS = 200
#: Longest name looked up in a question's word.
LONGEST_NAME = 12


def provinces_named(words: list[str]) -> set[str]:
    """The two-digit province prefixes of the places a question's words name.

    >>> sorted(provinces_named(["上海市", "复工"])), sorted(provinces_named(["廣東省", "醫療"]))
    (['31'], ['44'])
    >>> provinces_named(["延长", "资源", "通道", "小微企业"])  # county short names that are words
    set()
    """
    found: set[str] = set()
    for word in words:
        folded = fold(word)
        i = 0
        while i < len(folded):
            for size in range(min(LONGEST_NAME, len(folded) - i), 1, -1):
                piece = folded[i:i + size]
                named = [d for d in divisions.lookup(piece) if d.name == piece or d.kind != "county"]
                if named:
                    found.update(d.code[:2] for d in named)
                    i += size
                    break
            else:
                i += 1
    return found


def document_provinces(region_code: str, level: str | None, text: str) -> list[str]:
    """The provinces of a document's place profile, sorted: its region's and those of the places
    its opening names; none for a national document (neutral everywhere)."""
    if level == "central":
        return []
    codes = {region_code[:2]} if region_code[:2].isdigit() else set()
    codes.update(d.code[:2] for d, _, _ in divisions.find_places(fold(text[:OPENING_CHARS])))
    return sorted(codes)


def is_elsewhere(question_provinces: set[str], profile: list[str]) -> bool:
    """True when the document is placed, and none of its provinces is one the question names."""
    return bool(question_provinces) and bool(profile) and not (set(profile) & question_provinces)
