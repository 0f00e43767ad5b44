"""Where a question is about, as a soft constraint on ranking.

A question naming a place ("上海市对复工企业员工有何要求") is seldom answered by a document of
another province. The places a query names (full or short names, any level, traditional script
folded) are looked up in the division table; a best hit whose place profile — its region tag and
the places its opening names, each with every division above it — lies wholly in other provinces
scores :data:`ELSEWHERE_FACTOR` of its score. National documents and documents naming no place
are left as they are: a national policy applies everywhere. A bonus for the named place itself
was measured and lowered MRR (``bench/relevance.py``: see the README), so there is none.
"""
from __future__ import annotations

from policy_search.text import divisions
from policy_search.text.fold import fold

#: The score a best hit keeps when the question names a place and the hit is wholly elsewhere.
ELSEWHERE_FACTOR = 0.85
#: Characters of a document's (folded) opening read for the places it names.
OPENING_CHARS = 200
#: Longest name looked up in a query.
LONGEST_NAME = 12


def provinces_named(text: str) -> set[str]:
    """The two-digit province prefixes of the places a question names (longest names first).

    >>> sorted(provinces_named("上海市对复工企业员工有何要求")), sorted(provinces_named("廣東省醫療物資"))
    (['31'], ['44'])
    >>> provinces_named("小微企业房租减免怎么申请")
    set()
    """
    folded = fold(text or "")
    found: set[str] = set()
    i = 0
    while i < len(folded):
        for size in range(min(LONGEST_NAME, len(folded) - i), 1, -1):
            named = divisions.lookup(folded[i:i + size])
            if named:
                found.update(d.code[:2] for d in named)
                i += size
                break
        else:
            i += 1
    return found


def document_provinces(region_code: str, level: str | None, folded_opening: str) -> set[str]:
    """The provinces of a document's place profile: its region and the places its opening names;
    empty for a national document or one naming no place (neutral)."""
    if level == "central":
        return set()
    codes = {region_code[:2]} if region_code and region_code[:2].isdigit() else set()
    codes.update(d.code[:2] for d, _, _ in divisions.find_places(folded_opening[:OPENING_CHARS]))
    return codes


def is_elsewhere(question_provinces: set[str], profile: set[str]) -> bool:
    """True when the document is placed, and none of its provinces is one the question names."""
    return bool(question_provinces) and bool(profile) and not (profile & question_provinces)
