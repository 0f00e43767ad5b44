"""How long a policy is in force, read from its own text: ``valid_until`` as ISO ``YYYY-MM-DD``.

Only sentences about the document's own validity are read. A sentence counts when it
holds a validity phrase and either names the document (本通知, 本意见, 本办法, 本措施,
以上政策, 上述措施…, 自印发之日起, 自2020年3月1日起施行) or starts its clause with the
phrase (``有效期至…``, ``政策执行期限…``, ``（三）执行期为…``). It must also lie in the
document's tail (the last 25% or the last 800 characters, whichever is longer), except
``有效期至…``, which counts anywhere. Of several such sentences the last one wins; of
several end dates in that sentence the latest wins.

Recognised phrases (the text is simplified Chinese, full-width folded or not):

* an end date after 至 / 到 / 截至 / 截止(日期|时间)为 / 止于, in a sentence with
  有效期(限), 执行期(限), 实施期(限), 施行期(限), 执行时限, 截止日期:
  ``有效期至2020年12月31日``, ``有效期截至2021年6月30日``, ``执行期限至2020年12月31日``,
  ``实施期限为2020年2月1日至2020年6月30日``, ``有效期为2020年3月1日至2022年2月28日``,
  ``政策执行期限自2020年2月1日起至2020年12月31日止``, ``截止日期为2020年12月31日``,
  ``执行期为…至…``, ``有效期：2020年3月1日—2022年2月28日``;
* with the document named: ``本通知执行至2020年底``, ``…自印发之日起实施，至2020年12月31日止``,
  ``本通知自发布之日起暂执行至2020年6月30日止``, ``本办法2022年12月31日到期``;
* end forms: a full date (as :func:`policy_search.text.dates.find_dates` reads it),
  ``2020年底`` / ``2020年年底`` / ``2020年末`` (12-31), ``2020年6月底`` / ``6月末`` and
  ``2020年12月`` (last day of the month), ``6月30日`` (year taken from the sentence or start);
* a period: ``有效期两年`` / ``有效期2年`` / ``有效期3个月`` / ``有效期五年`` / ``有效期半年``,
  ``施行期暂定为6个月``, ``执行期为自政策发布之日起的3个月``, ``执行期限自发布之日起3个月止``:
  the start (``自2020年3月1日起`` in the sentence or the one before, else ``start_date``)
  plus the period minus one day.

Not an end (None): ``暂行``, ``长期有效``, ``自印发之日起施行`` alone, ``有效期至疫情解除``,
``截止日期视疫情情况另行公告``, a measure's own period (``2020年2月至6月减半征收…``,
``失业保险费率…执行至2021年7月31日``), an extended certificate or licence
(``延长有效期至6月底``, ``有效期顺延至…``).
"""
from __future__ import annotations

import calendar
import datetime
import re
import unicodedata

from policy_search.text.dates import find_dates

__all__ = ["find_valid_until"]

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
              "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}

_TAIL_SHARE = 0.25
_TAIL_CHARS = 800

_DOC_NOUN = (r"(?:实施意见|意见|实施办法|办法|若干措施|政策措施|措施|政策|通知|公告|通告|实施方案|方案"
             r"|实施细则|细则|规定|决定|文件|指引|条款|规则)")
_DOC_MARKER = re.compile(
    rf"(?:(?<![成基根资样日版文账课原剧脚标范])本|以上|上述|该)[^,。;《》]{{0,8}}?{_DOC_NOUN}"
    r"|自[^,。;]{0,8}?(?:印发|发布|公布|颁布|下发|发文|出台|签发)之日起"
)
#: Phrases that name the validity period itself ("执行期间", "有效期内" are not such phrases).
_STRONG = re.compile(r"有效期限?(?!内)|(?:执行|实施|施行)(?:期(?!间)限?|时限)|截止(?:日期|时间|期限)")
_NUMBERING = r"(?:[一二三四五六七八九十]+、|\d+[.、]|第[一二三四五六七八九十百\d]+条)"
_CLAUSE_PREFIX = re.compile(
    rf"^{_NUMBERING}?\s*(?:(?:本|以上|上述|该)[^,]{{0,6}}?)?(?:相关|各项|有关)?{_DOC_NOUN}?(?:的)?(?:适用)?$")
_CLAUSE_BREAK = re.compile(r"[,:()\[\]\s“”\"]")
_CLAUSE_END = re.compile(r"[,;。]")
_EXTENSION = re.compile(r"延长|顺延|延期|续期|展期")
_SENTENCE = re.compile(r"[^。;!?\n]+[。;!?\n]?")

_END_BEFORE = re.compile(r"(?:至|到|截至|截止(?:到|于)?(?:日期|时间)?|止于)\s*(?:为|是|:)?\s*$")
_END_AFTER = re.compile(r"^\s*(?:止|到期)")
_RANGE_DASH = re.compile(r"^\s*[-—–~～]+\s*$")
_OPEN_END = re.compile(
    r"(?:有效期限?|(?:执行|实施|施行)期限?)\s*(?:延长|顺延)?\s*(?:为|是|:)?\s*(?:至|到|截至)\s*")
_START = re.compile(r"^\s*(?:零时|0时)?\s*(?:起|施行|实施|执行|生效)")

_NUM = r"(?:\d{1,3}(?!\d)|[一二两三四五六七八九十]{1,3}|半)"
_PERIOD = re.compile(
    r"(?:有效期限?|(?:执行|实施|施行)(?:期限?|时限))\s*(?:暂定)?\s*(?:为|是|:)?\s*"
    rf"(?P<from>自[^,。;]{{0,20}}?起)?\s*(?:的)?\s*(?P<n>{_NUM})\s*"
    r"(?P<unit>个月|个自然月|周年|年|天|日)(?P<half>半)?(?!内)"
)

_YEAR = r"(?P<y>(?:19|20)\d{2})\s*年\s*"
_PARTIAL_DATES = (
    # 2020年底, 2020年年底, 2020年末
    re.compile(rf"{_YEAR}(?:年\s*)?(?:底|末)"),
    # 2020年6月底, 6月末, 2020年6月份底
    re.compile(rf"(?:{_YEAR})?(?<!\d)(?P<m>\d{{1,2}})\s*月\s*(?:份\s*)?(?:底|末)"),
    # 2020年12月, 2020年12月份 (the whole month)
    re.compile(rf"{_YEAR}(?P<m>\d{{1,2}})\s*月(?:份)?(?!\s*(?:\d|份|底|末))"),
    # 6月30日 without a year
    re.compile(r"(?<!\d)(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日号]"),
)


def _fold(text: str) -> str:
    """Full-width digits and punctuation to ASCII (NFKC), ideographic spaces to spaces.

    >>> _fold("有效期至２０２０年１２月３１日；")
    '有效期至2020年12月31日;'
    """
    return unicodedata.normalize("NFKC", text)


def _cn_int(s: str) -> int | None:
    """Value of a small count in digits or Chinese numerals (一 … 九十九, 两), else None.

    >>> _cn_int("3"), _cn_int("两"), _cn_int("十"), _cn_int("十二"), _cn_int("二十四"), _cn_int("三三")
    (3, 2, 10, 12, 24, None)
    """
    if s.isdigit():
        return int(s)
    if "十" in s:
        tens, _, units = s.partition("十")
        if len(tens) > 1 or len(units) > 1 or "十" in units:
            return None
        t = _CN_DIGITS.get(tens) if tens else 1
        u = _CN_DIGITS.get(units) if units else 0
        return None if t is None or u is None else t * 10 + u
    return _CN_DIGITS.get(s) if len(s) == 1 else None


def _month_end(year: int, month: int) -> datetime.date | None:
    """Last day of a month, None for a month that does not exist.

    >>> _month_end(2020, 2), _month_end(2021, 2), _month_end(2020, 13)
    (datetime.date(2020, 2, 29), datetime.date(2021, 2, 28), None)
    """
    if not 1 <= month <= 12 or not 1900 <= year <= 2099:
        return None
    return datetime.date(year, month, calendar.monthrange(year, month)[1])


def period_end(start: datetime.date, n: int, unit: str) -> datetime.date:
    """Last day of a period of ``n`` units ('year', 'month' or 'day') that begins on ``start``.

    >>> period_end(datetime.date(2020, 3, 5), 2, "year")
    datetime.date(2022, 3, 4)
    >>> period_end(datetime.date(2020, 2, 10), 3, "month"), period_end(datetime.date(2020, 2, 29), 1, "year")
    (datetime.date(2020, 5, 9), datetime.date(2021, 2, 28))
    >>> period_end(datetime.date(2020, 1, 31), 1, "month"), period_end(datetime.date(2020, 3, 1), 30, "day")
    (datetime.date(2020, 2, 29), datetime.date(2020, 3, 30))
    """
    if unit == "day":
        return start + datetime.timedelta(days=n - 1)
    months = start.month - 1 + (n * 12 if unit == "year" else n)
    year, month = start.year + months // 12, months % 12 + 1
    last = calendar.monthrange(year, month)[1]
    if start.day <= last:
        anniversary = datetime.date(year, month, start.day)
    else:  # 1 month after 31 January: the period runs to the end of February
        anniversary = datetime.date(year, month, last) + datetime.timedelta(days=1)
    return anniversary - datetime.timedelta(days=1)


def _date_spans(sentence: str) -> list[tuple[int, int, int | None, int, int | None]]:
    """Dates and partial dates in a sentence as ``(start, end, year, month, day)``, in order.

    ``year`` is None when the text gives none; ``day`` is None for "the whole month".

    >>> [s[2:] for s in _date_spans("自2020年2月1日起至6月30日止，2020年年底前，2021年3月份")]
    [(2020, 2, 1), (None, 6, 30), (2020, 12, 31), (2021, 3, None)]
    """
    spans = [(s, e, int(iso[:4]), int(iso[5:7]), int(iso[8:])) for iso, s, e in find_dates(sentence)]
    for kind, pattern in enumerate(_PARTIAL_DATES):
        for m in pattern.finditer(sentence):
            if any(s < m.end() and m.start() < e for s, e, *_ in spans):
                continue
            groups = m.groupdict()
            year = int(groups["y"]) if groups.get("y") else None
            if kind == 0:
                month, day = 12, 31
            else:
                month, day = int(m["m"]), int(groups["d"]) if groups.get("d") else None
            spans.append((m.start(), m.end(), year, month, day))
    return sorted(spans)


def _resolve(year: int | None, month: int, day: int | None, year_hint: int | None) -> datetime.date | None:
    """A real date from a (partial) date, taking a missing year from ``year_hint``."""
    year = year if year is not None else year_hint
    if year is None:
        return None
    end = _month_end(year, month)
    if end is None or day is None:
        return end
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None


def _end_dates(sentence: str, start_date: datetime.date | None) -> list[datetime.date]:
    """End dates in a sentence: dates after 至/到/截至/截止, before 止/到期, or after a range dash.

    A date without a year takes the year of an earlier date in the sentence, else that of
    ``start_date`` (and is dropped if it then falls before ``start_date``).

    >>> _end_dates("实施期限为2020年2月1日至2020年6月30日", None)
    [datetime.date(2020, 6, 30)]
    >>> _end_dates("有效期到2020年6月底，自2020年1月1日起", None)
    [datetime.date(2020, 6, 30)]
    >>> _end_dates("有效期至6月30日", datetime.date(2020, 2, 1)), _end_dates("有效期至6月30日", None)
    ([datetime.date(2020, 6, 30)], [])
    """
    spans = _date_spans(sentence)
    ends = []
    for i, (start, end, year, month, day) in enumerate(spans):
        before, after = sentence[max(0, start - 20):start], sentence[end:end + 5]
        dash = i > 0 and _RANGE_DASH.match(sentence[spans[i - 1][1]:start])
        if not (_END_BEFORE.search(before) or _END_AFTER.match(after) or dash):
            continue
        earlier_years = [s[2] for s in spans[:i] if s[2] is not None]
        if year is None and not earlier_years:
            date = _resolve(None, month, day, start_date.year) if start_date else None
            if date is not None and date < start_date:
                date = None
        else:
            date = _resolve(year, month, day, earlier_years[-1] if earlier_years else None)
        if date is not None:
            ends.append(date)
    return ends


def _open_ended(sentence: str) -> bool:
    """True when the validity runs to an event, not a date (``有效期至疫情解除``).

    >>> _open_ended("有效期至新冠肺炎疫情解除"), _open_ended("有效期至2020年底")
    (True, False)
    """
    starts = {s for s, *_ in _date_spans(sentence)}
    return any(m.end() not in starts for m in _OPEN_END.finditer(sentence))


def _as_date(iso: str | None) -> datetime.date | None:
    """The date of an ISO string, None for None or anything that is not one.

    >>> _as_date("2020-03-05"), _as_date("2020-02-30"), _as_date(None)
    (datetime.date(2020, 3, 5), None, None)
    """
    try:
        return datetime.date.fromisoformat(iso[:10]) if iso else None
    except ValueError:
        return None


def _start_in(sentence: str) -> datetime.date | None:
    """The date after 自 that a sentence starts something on (``自2020年3月1日起施行``)."""
    for iso, start, end in find_dates(sentence):
        if sentence[:start].rstrip().endswith("自") and _START.match(sentence[end:]):
            return datetime.date.fromisoformat(iso)
    return None


def _period_length(n: str, unit: str, half: bool) -> tuple[int, str] | None:
    """A period as ``(count, 'year' | 'month' | 'day')`` from its number and unit words.

    >>> _period_length("两", "年", False), _period_length("半", "年", False), _period_length("一", "年", True)
    ((2, 'year'), (6, 'month'), (18, 'month'))
    >>> _period_length("3", "个月", False), _period_length("30", "天", False)
    ((3, 'month'), (30, 'day'))
    """
    years = unit in ("年", "周年")
    if n == "半":
        return (6, "month") if years and not half else None
    count = _cn_int(n)
    if not count:
        return None
    if years:
        return (count * 12 + 6, "month") if half else (count, "year")
    if half:
        return None
    return count, "day" if unit in ("天", "日") else "month"


def _period(sentence: str, previous: str, start_date: datetime.date | None) -> datetime.date | None:
    """End of a relative period (``有效期两年``) in a sentence, or None."""
    m = _PERIOD.search(sentence)
    length = _period_length(m["n"], m["unit"], bool(m["half"])) if m else None
    if length is None:
        return None
    start = _start_in(m["from"] or "") or _start_in(sentence) or _start_in(previous) or start_date
    return period_end(start, *length) if start else None


def _weak_end(sentence: str) -> bool:
    """True when an end date follows 执行/实施/施行/有效…至, or sits in 至…止 / …到期."""
    for start, end, *_ in _date_spans(sentence):
        before, after = sentence[max(0, start - 30):start], sentence[end:end + 5]
        if re.search(r"(?:执行|实施|施行|有效|适用)[^,。;]{0,12}?(?:至|到|截至|截止)\s*$", before):
            return True
        if re.search(r"(?:至|到)\s*$", before) and _END_AFTER.match(after):
            return True
        if re.match(r"^\s*到期", after):
            return True
    return False


def _at_clause_start(sentence: str, pos: int) -> bool:
    """True when only numbering or a document noun precedes ``pos`` in its clause."""
    clause_start = max((m.end() for m in _CLAUSE_BREAK.finditer(sentence, 0, pos)), default=0)
    return bool(_CLAUSE_PREFIX.match(sentence[clause_start:pos]))


def _is_validity_sentence(sentence: str, in_tail: bool) -> bool:
    """True when a sentence states the document's own validity period."""
    named = bool(_DOC_MARKER.search(sentence))
    for m in _STRONG.finditer(sentence):
        if not (named or _at_clause_start(sentence, m.start())):
            continue
        clause_end = _CLAUSE_END.search(sentence, m.end())
        if not named and _EXTENSION.search(sentence, 0, clause_end.start() if clause_end else len(sentence)):
            continue
        if in_tail or re.match(r"有效期限?\s*(?:至|到|截至)", sentence[m.start():]):
            return True
    return named and in_tail and _weak_end(sentence)


def find_valid_until(text: str, start_date: str | None) -> str | None:
    """Last day the policy is in force, as ISO, from its own validity phrase; None if unstated.

    >>> find_valid_until("……。本通知自印发之日起施行，有效期至2020年12月31日。", None)
    '2020-12-31'
    >>> find_valid_until("……。本通知自印发之日起施行，有效期两年。", "2020-03-05")
    '2022-03-04'
    >>> find_valid_until("对小微企业2020年2月至6月减半征收房产税。本办法自印发之日起施行。", "2020-02-10") is None
    True
    """
    if not text:
        return None
    text = _fold(text)
    tail_start = len(text) - max(int(len(text) * _TAIL_SHARE), _TAIL_CHARS)
    sentences = [(m.start(), m.end(), m.group()) for m in _SENTENCE.finditer(text)]
    chosen = None
    for i, (_, end, sentence) in enumerate(sentences):
        if _is_validity_sentence(sentence, in_tail=end > tail_start):
            chosen = i
    if chosen is None:
        return None
    sentence = sentences[chosen][2]
    previous = sentences[chosen - 1][2] if chosen else ""
    if _open_ended(sentence):
        return None
    start = _as_date(start_date)
    ends = _end_dates(sentence, start)
    end = max(ends) if ends else _period(sentence, previous, start)
    return end.isoformat() if end else None
