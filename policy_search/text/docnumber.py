"""文号 (发文字号) recognition and normalisation, shared by indexing and querying.

The canonical form is the official one: agency prefix, the year in 〔〕, the
serial number without leading zeros, then 号 — ``国办发〔2020〕6号``. Two other
official shapes are kept as they are written: decrees ``国令第706号`` (prefix
ending in 令) and announcements ``海关总署公告2020年第19号``.

Finding 文号 in running text is a heuristic (see :func:`find_doc_numbers`):
the year bracket and 号 are unambiguous, the prefix is not, because Chinese
has no spaces and a 文号 often follows its issuer's name or a title directly.
"""
from __future__ import annotations

import re
import unicodedata

__all__ = ["normalize_doc_number", "find_doc_numbers", "doc_number_variants"]

# Bracket kinds seen around the year, after NFKC (（ → (, ［ → [, ﹝ → 〔).
_OPEN = "〔[(【{〈〖"
_CLOSE = "〕])】}〉〗"
_YEAR = r"(?:19|20)\d{2}"
_PREFIX_CHAR = r"\u3400-\u4dbf\u4e00-\u9fffA-Za-z"
_MAX_PREFIX = 20
# How far back to look for a prefix before trimming it (a title may run into it).
_SCAN_BACK = 40

_BRACKET_FULL = re.compile(
    rf"(?P<prefix>[{_PREFIX_CHAR}·]{{1,30}})[{re.escape(_OPEN)}](?P<year>{_YEAR})"
    rf"[{re.escape(_CLOSE)}]第?(?P<num>\d{{1,6}})号?"
)
_DECREE_FULL = re.compile(rf"(?P<prefix>[{_PREFIX_CHAR}]{{0,29}}令)第?(?P<num>\d{{1,6}})号?")
_NOTICE_FULL = re.compile(
    rf"(?P<prefix>[{_PREFIX_CHAR}]{{0,28}}公告)(?P<year>{_YEAR})年?第?(?P<num>\d{{1,6}})号?"
)

_BRACKET_CORE = re.compile(
    rf"[{re.escape(_OPEN)}]\s*(?P<year>{_YEAR})\s*[{re.escape(_CLOSE)}]\s*第?\s*(?P<num>\d{{1,6}})\s*号"
)
_DECREE_CORE = re.compile(r"令\s*第\s*(?P<num>\d{1,6})\s*号")
_NOTICE_CORE = re.compile(rf"公告\s*(?P<year>{_YEAR})\s*年\s*第\s*(?P<num>\d{{1,6}})\s*号")
_PREFIX_CHAR_RE = re.compile(rf"[{_PREFIX_CHAR}]")

#: Words after which a 文号 prefix starts: the prefix is what follows the last
#: of them. "Strong" ones may leave a one-character prefix (团〔2021〕4号).
_STRONG_BOUNDARIES = (
    "文件", "事项", "加急", "特急", "特提", "平急", "急件", "明电", "签发", "盖章",
    "纪要", "会签", "商请", "提供",
    "根据", "按照", "依据", "参照", "依照", "对照", "执行", "贯彻", "落实", "引用", "重申",
    "下发", "发布", "出台", "制定", "实施", "废止", "修订", "结合", "通过",
    "关于", "印发", "转发", "通知", "意见", "决定", "通报", "批复", "公告", "公布",
    "的", "和", "及", "与", "或", "见", "即", "了", "在", "将", "如", "是", "按", "依", "请", "由",
)
#: Organ-name endings: cut after them only when two or more characters remain,
#: so that 鲁医保中心发 or 京地税局发 keep their own 中心/局.
_WEAK_BOUNDARIES = (
    "有限公司", "公司", "人民政府", "办公厅", "办公室", "委员会", "纪检监察组", "中心", "厅", "局",
)
_DECREE_ALIASES = {"中华人民共和国国务院令": "国令", "国务院令": "国令"}


def _prepare(s: str) -> str:
    """NFKC-fold (full-width digits, letters and brackets) and drop whitespace."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", s))


def _number(num: str) -> str | None:
    """Serial number without leading zeros, or None for zero."""
    stripped = num.lstrip("0")
    return stripped or None


def _canonical_decree(prefix: str, num: str) -> str:
    """``国令第706号`` form, mapping long decree names to their short form."""
    return f"{_DECREE_ALIASES.get(prefix, prefix)}第{num}号"


def normalize_doc_number(s: str) -> str | None:
    """Canonical form of a 文号 given on its own, or None if ``s`` is not one.

    >>> normalize_doc_number("国办发[2020]6号")
    '国办发〔2020〕6号'
    >>> normalize_doc_number("国办发（２０２０）第06号")
    '国办发〔2020〕6号'
    >>> normalize_doc_number("国务院令 第706号")
    '国令第706号'
    >>> normalize_doc_number("2020年6月") is None
    True
    """
    if not s:
        return None
    t = _prepare(s)
    t = re.sub(r"(?<=号)(?:文件|文)$", "", t)
    m = _BRACKET_FULL.fullmatch(t)
    if m:
        prefix = m["prefix"].strip("·")
        num = _number(m["num"])
        if not prefix or num is None or not _PREFIX_CHAR_RE.search(prefix):
            return None
        return f"{prefix}〔{m['year']}〕{num}号"
    m = _NOTICE_FULL.fullmatch(t)
    if m:
        num = _number(m["num"])
        return f"{m['prefix']}{m['year']}年第{num}号" if num and len(m["prefix"]) > 2 else None
    m = _DECREE_FULL.fullmatch(t)
    if m and len(m["prefix"]) > 1:
        num = _number(m["num"])
        return _canonical_decree(m["prefix"], num) if num else None
    return None


def _trim_prefix(p: str, single_chars: bool = True) -> str:
    """Shortest plausible agency abbreviation at the end of a run of characters.

    ``single_chars=False`` ignores one-character boundaries (的, 和 …), for
    decrees whose prefix is a full organ name.

    >>> _trim_prefix("山东省医疗保险事业中心文件鲁医保中心发")
    '鲁医保中心发'
    >>> _trim_prefix("国家电网有限公司加急办值通")
    '办值通'
    >>> _trim_prefix("根据国办发")
    '国办发'
    """
    masked = p.replace("共和国", "###")  # 中华人民共和国 is a name, its 和 no boundary
    cut = 0
    for words, keep in ((_STRONG_BOUNDARIES, 1), (_WEAK_BOUNDARIES, 2)):
        for w in words:
            if len(w) == 1 and not single_chars:
                continue
            start = masked.rfind(w)
            while start != -1:
                end = start + len(w)
                if len(p) - end >= keep:
                    cut = max(cut, end)
                    break
                start = masked.rfind(w, 0, start)
    p = p[cut:]
    limit = _MAX_PREFIX if single_chars else 30
    return p[-limit:]


def _prefix_before(text: str, pos: int) -> str:
    """The run of prefix characters ending at ``pos`` (spaces before ``pos`` skipped)."""
    i = pos
    while i > 0 and text[i - 1] in " \t" and pos - i < 2:
        i -= 1
    start = i
    while start > 0 and i - start < _SCAN_BACK and _PREFIX_CHAR_RE.match(text[start - 1]):
        start -= 1
    if start > 0 and start < i and text[start] in "年月日号" and text[start - 1].isdigit():
        start += 1  # "2018年9月6日国务院令…": the 日 ends a date
    return text[start:i]


def find_doc_numbers(text: str) -> list[str]:
    """All 文号 in ``text``, canonical, in order of appearance, without repeats.

    The prefix is the run of Chinese characters or letters right before the
    year bracket, cut after the last boundary word (文件, 根据, 通知, 的, an
    organ-name ending such as 有限公司 ...): a 文号 written straight after a
    title or an issuer's name keeps only the agency abbreviation.

    >>> find_doc_numbers("根据《国务院办公厅关于…的通知》（国办发〔2020〕6号）和鲁政办发[2020]5号文件")
    ['国办发〔2020〕6号', '鲁政办发〔2020〕5号']
    >>> find_doc_numbers("山东省医疗保险事业中心文件鲁医保中心发〔2020〕11号关于…")
    ['鲁医保中心发〔2020〕11号']
    """
    if not text:
        return []
    t = unicodedata.normalize("NFKC", text)
    found: list[tuple[int, str]] = []
    for m in _BRACKET_CORE.finditer(t):
        prefix = _trim_prefix(_prefix_before(t, m.start()))
        num = _number(m["num"])
        if prefix and num:
            found.append((m.start(), f"{prefix}〔{m['year']}〕{num}号"))
    for m in _NOTICE_CORE.finditer(t):
        prefix = _trim_prefix(_prefix_before(t, m.start()))
        num = _number(m["num"])
        if len(prefix) >= 2 and num:
            found.append((m.start(), f"{prefix}公告{m['year']}年第{num}号"))
    for m in _DECREE_CORE.finditer(t):
        raw = _prefix_before(t, m.start())
        alias = next((a for a in _DECREE_ALIASES if (raw + "令").endswith(a)), None)
        # a decree names its organ in full (…感染的肺炎…指挥部令): no cut at 的/和
        prefix = alias[:-1] if alias else _trim_prefix(raw, single_chars=False)
        num = _number(m["num"])
        if len(prefix) >= 1 and num:
            found.append((m.start(), _canonical_decree(prefix + "令", num)))
    seen: set[str] = set()
    result = []
    for _, number in sorted(found):
        if number not in seen:
            seen.add(number)
            result.append(number)
    return result


def doc_number_variants(canonical: str) -> list[str]:
    """Spellings people type for a 文号, canonical first ([] （） () 【】, with or without 号).

    >>> doc_number_variants("国办发〔2020〕6号")[:4]
    ['国办发〔2020〕6号', '国办发[2020]6号', '国办发（2020）6号', '国办发(2020)6号']
    >>> doc_number_variants("不是文号")
    []
    """
    norm = normalize_doc_number(canonical)
    if norm is None:
        return []
    variants = [norm]
    m = re.fullmatch(r"(.+)〔(\d{4})〕(\d+)号", norm)
    if m:
        prefix, year, num = m.groups()
        brackets = ("〔〕", "[]", "（）", "()", "【】")
        variants += [f"{prefix}{o}{year}{c}{num}号" for o, c in brackets]
        variants += [f"{prefix}{o}{year}{c}{num}" for o, c in brackets]
        variants.append(f"{prefix}〔{year}〕第{num}号")
    m = re.fullmatch(r"国令第(\d+)号", norm)
    if m:
        variants += [f"国务院令第{m[1]}号", f"中华人民共和国国务院令第{m[1]}号"]
    return list(dict.fromkeys(variants))
