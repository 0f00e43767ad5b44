"""文号 (发文字号) recognition and normalisation, shared by indexing and querying.

The canonical form is the official one: agency prefix, the year in 〔〕, the
serial number without leading zeros, then 号 — ``国办发〔2020〕6号``. Two other
official shapes are kept as they are written: decrees ``国令第706号`` (prefix
ending in 令) and announcements ``海关总署公告2020年第19号``.

Finding 文号 in running text is a heuristic (see :func:`find_doc_numbers`):
the year bracket and 号 are unambiguous, the prefix is not, because Chinese
has no spaces and a 文号 often follows its issuer's name or a title directly.

Text is folded before it is matched (:func:`policy_search.text.fold.fold`:
traditional to simplified, one character for one), and a 文号 is reported as
the document writes it: ``嶧政辦發〔2020〕5號`` stays traditional, with only the
brackets made canonical. What a 文号 is looked up by is its key,
:func:`doc_number_key` (folded, without spaces), so either script finds the
other. A joint announcement keeps every issuer before 公告, separated by a
space as written: ``财政部 税务总局公告2020年第13号``.
"""
from __future__ import annotations

import re
import unicodedata

from policy_search.text.fold import fold

__all__ = ["normalize_doc_number", "find_doc_numbers", "doc_number_variants", "doc_number_key"]

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
#: How the name of an organ ends (folded), for the several issuers of a joint announcement
#: (财政部 税务总局公告…): a name before the space that ends otherwise is not an issuer.
_ISSUER_ENDINGS = ("部", "局", "署", "委", "厅", "院", "行", "会", "办", "室", "中心", "政府", "公司")
#: At most this many issuers are joined before a joint announcement's last one.
_MAX_JOINT = 6


def _prepare(s: str) -> str:
    """NFKC-fold (full-width digits, letters and brackets) and drop whitespace."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", s))


def _number(num: str) -> str | None:
    """Serial number without leading zeros, or None for zero."""
    stripped = num.lstrip("0")
    return stripped or None


def _canonical_decree(prefix: str, num: str, mark: str = "号") -> str:
    """``国令第706号`` form, mapping long decree names to their short form."""
    return f"{_DECREE_ALIASES.get(fold(prefix), prefix)}第{num}{mark}"


def normalize_doc_number(s: str) -> str | None:
    """Canonical form of a 文号 given on its own, or None if ``s`` is not one.

    Characters are kept as written (traditional stays traditional); the brackets become
    〔〕, the serial number loses its zeros and 第. Issuers of a joint announcement keep
    one space between them.

    >>> normalize_doc_number("国办发[2020]6号")
    '国办发〔2020〕6号'
    >>> normalize_doc_number("国办发（２０２０）第06号")
    '国办发〔2020〕6号'
    >>> normalize_doc_number("国务院令 第706号")
    '国令第706号'
    >>> normalize_doc_number("嶧政辦發[2020]5號")
    '嶧政辦發〔2020〕5號'
    >>> normalize_doc_number("财政部　税务总局公告2020年第13号")
    '财政部 税务总局公告2020年第13号'
    >>> normalize_doc_number("2020年6月") is None
    True
    """
    if not s:
        return None
    written = _prepare(s)
    folded = fold(written)  # one character for one: a span of one is the same span of the other
    tail = re.search(r"(?<=号)(?:文件|文)$", folded)
    if tail:
        written, folded = written[:tail.start()], folded[:tail.start()]
    mark = written[-1] if folded.endswith("号") else "号"
    m = _BRACKET_FULL.fullmatch(folded)
    if m:
        prefix = written[m.start("prefix"):m.end("prefix")].strip("·")
        num = _number(m["num"])
        if not prefix or num is None or not _PREFIX_CHAR_RE.search(prefix):
            return None
        return f"{prefix}〔{m['year']}〕{num}{mark}"
    m = _NOTICE_FULL.fullmatch(folded)
    if m:
        num = _number(m["num"])
        if not num or len(m["prefix"]) <= 2:
            return None
        prefix = _spaced_issuers(s, written[:m.end("prefix") - 2])
        return f"{prefix}公告{m['year']}年第{num}{mark}"
    m = _DECREE_FULL.fullmatch(folded)
    if m and len(m["prefix"]) > 1:
        num = _number(m["num"])
        prefix = written[m.start("prefix"):m.end("prefix")]
        return _canonical_decree(prefix, num, mark) if num else None
    return None


def _spaced_issuers(given: str, prefix: str) -> str:
    """``prefix`` (without spaces) with the spaces ``given`` has between its issuers, where each
    name before a space ends like an organ's (财政部 税务总局); other spaces are dropped."""
    spaced = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", given)).strip()
    out, taken = "", 0
    for piece in spaced.split(" "):
        if taken >= len(prefix):
            break
        piece = piece[:len(prefix) - taken]
        taken += len(piece)
        joint = len(out) >= 2 and fold(out).endswith(_ISSUER_ENDINGS) and len(piece) >= 2
        out += (" " if joint else "") + piece
    return out


def doc_number_key(number: str) -> str:
    """What a 文号 is looked up by: canonical, folded (traditional to simplified, lower case),
    without spaces. The index holds it, and a 文号 typed in a query becomes it.

    >>> doc_number_key("嶧政辦發[2020]5號"), doc_number_key("财政部 税务总局公告2020年第13号")
    ('峄政办发〔2020〕5号', '财政部税务总局公告2020年第13号')
    """
    canonical = normalize_doc_number(number) or number or ""
    return re.sub(r"\s+", "", fold(canonical))


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


def _prefix_run(text: str, pos: int) -> tuple[int, int]:
    """Where the run of prefix characters ending at ``pos`` starts and ends (spaces right
    before ``pos`` skipped)."""
    i = pos
    while i > 0 and text[i - 1] in " \t" and pos - i < 2:
        i -= 1
    start = i
    while start > 0 and i - start < _SCAN_BACK and _PREFIX_CHAR_RE.match(text[start - 1]):
        start -= 1
    if start > 0 and start < i and text[start] in "年月日号" and text[start - 1].isdigit():
        start += 1  # "2018年9月6日国务院令…": the 日 ends a date
    return start, i


def _prefix_before(text: str, pos: int, single_chars: bool = True) -> tuple[int, int]:
    """Where the agency prefix of a 文号 whose bracket or 公告 starts at ``pos`` starts and
    ends: the run before it, cut as :func:`_trim_prefix` cuts it."""
    start, end = _prefix_run(text, pos)
    return end - len(_trim_prefix(text[start:end], single_chars)), end


def _joint_issuers_start(folded: str, start: int) -> int:
    """Where the issuers of a joint announcement start: organ names separated by spaces
    before the last one's name (``财政部 税务总局公告…``); ``start`` when there are none."""
    for _ in range(_MAX_JOINT):
        gap = start
        while gap > 0 and folded[gap - 1] in " \t" and start - gap < 2:
            gap -= 1
        if gap == start:
            break  # no space before the name: no other issuer
        run_start, run_end = _prefix_run(folded, gap)
        if run_end != gap or run_start == run_end:
            break
        name = _trim_prefix(folded[run_start:gap])
        if len(name) < 2 or not name.endswith(_ISSUER_ENDINGS):
            break
        start = gap - len(name)
        if start != run_start:
            break  # a boundary word (根据, 的 …) stands before this name
    return start


def find_doc_numbers(text: str) -> list[str]:
    """All 文号 in ``text``, canonical, in order of appearance, without repeats.

    The prefix is the run of Chinese characters or letters right before the
    year bracket, cut after the last boundary word (文件, 根据, 通知, 的, an
    organ-name ending such as 有限公司 ...): a 文号 written straight after a
    title or an issuer's name keeps only the agency abbreviation. Matching is
    done on the folded text; each 文号 is spelled as the text writes it (see the
    module docstring), and one written twice, in either script, is listed once.

    >>> find_doc_numbers("根据《国务院办公厅关于…的通知》（国办发〔2020〕6号）和鲁政办发[2020]5号文件")
    ['国办发〔2020〕6号', '鲁政办发〔2020〕5号']
    >>> find_doc_numbers("山东省医疗保险事业中心文件鲁医保中心发〔2020〕11号关于…")
    ['鲁医保中心发〔2020〕11号']
    >>> find_doc_numbers("嶧城區人民政府辦公室\\n嶧政辦發〔2020〕5號")
    ['嶧政辦發〔2020〕5號']
    >>> find_doc_numbers("财政部 税务总局公告2020年第13号")
    ['财政部 税务总局公告2020年第13号']
    """
    if not text or ("号" not in text and "號" not in text):
        return []  # every form ends in 号 (號 folds to it): most lines hold none
    written = unicodedata.normalize("NFKC", text)
    folded = fold(written)  # one character for one: positions in one are positions in the other
    found: list[tuple[int, str]] = []
    for m in _BRACKET_CORE.finditer(folded):
        start, end = _prefix_before(folded, m.start())
        num = _number(m["num"])
        if start < end and num:
            found.append((m.start(), f"{written[start:end]}〔{m['year']}〕{num}{written[m.end() - 1]}"))
    for m in _NOTICE_CORE.finditer(folded):
        start, end = _prefix_before(folded, m.start())
        num = _number(m["num"])
        if end - start >= 2 and num:
            start = _joint_issuers_start(folded, start)
            prefix = re.sub(r"\s+", " ", written[start:end])
            found.append((m.start(), f"{prefix}公告{m['year']}年第{num}{written[m.end() - 1]}"))
    for m in _DECREE_CORE.finditer(folded):
        run_start, end = _prefix_run(folded, m.start())
        raw = folded[run_start:end]
        alias = next((a for a in _DECREE_ALIASES if (raw + "令").endswith(a)), None)
        # a decree names its organ in full (…感染的肺炎…指挥部令): no cut at 的/和
        start = end - (len(alias) - 1 if alias else len(_trim_prefix(raw, single_chars=False)))
        num = _number(m["num"])
        if start < end and num:
            found.append((m.start(), _canonical_decree(written[start:end] + "令", num, written[m.end() - 1])))
    seen: set[str] = set()
    result = []
    for _, number in sorted(found):
        key = doc_number_key(number)
        if key not in seen:
            seen.add(key)
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
