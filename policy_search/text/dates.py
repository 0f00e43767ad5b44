"""Dates in Chinese official documents, as ISO ``YYYY-MM-DD``.

Understood: ``2020年2月20日`` (also 号 for 日), ``二〇二〇年二月二十日`` with 〇/○/零/O
for zero, ``2020-02-20``, ``2020.2.20``, ``2020/2/20``, full-width digits.
Only real calendar dates are returned (no 2月30日), years 1900–2099.
"""
from __future__ import annotations

import datetime
import re
import unicodedata

__all__ = ["parse_chinese_date", "find_dates"]

_CN_DIGITS = {"〇": 0, "○": 0, "零": 0, "O": 0,
              "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}
_CN_DIGIT = "〇○零O一二两三四五六七八九"
_CN_NUMBER = f"[{_CN_DIGIT}十]{{1,3}}"

_DATE_RE = re.compile(
    # 2020年2月20日 (digits, optional spaces; NFKC has folded full-width digits)
    r"(?<!\d)(?P<y1>(?:19|20)\d{2})\s*年\s*(?P<m1>\d{1,2})\s*月\s*(?P<d1>\d{1,2})\s*[日号]"
    # 二〇二〇年二月二十日
    rf"|(?P<y2>[{_CN_DIGIT}]{{4}})\s*年\s*(?P<m2>{_CN_NUMBER})\s*月\s*(?P<d2>{_CN_NUMBER})\s*[日号]"
    # 2020-02-20, 2020.2.20, 2020/2/20 (same separator twice, not inside a longer number)
    r"|(?<![\d.])(?P<y3>(?:19|20)\d{2})(?P<sep>[-./])(?P<m3>\d{1,2})(?P=sep)(?P<d3>\d{1,2})(?![\d.])"
)


def _cn_number(s: str) -> int | None:
    """Value of a small Chinese numeral (一 … 三十一, also 二〇 digit style).

    >>> _cn_number("二十一"), _cn_number("十"), _cn_number("三十"), _cn_number("一二")
    (21, 10, 30, 12)
    """
    if "十" in s:
        tens, _, units = s.partition("十")
        if "十" in units or len(tens) > 1 or len(units) > 1:
            return None
        t = _CN_DIGITS[tens] if tens else 1
        u = _CN_DIGITS[units] if units else 0
        return t * 10 + u
    value = 0
    for ch in s:
        value = value * 10 + _CN_DIGITS[ch]
    return value


def _iso(year: int | None, month: int | None, day: int | None) -> str | None:
    """ISO string for a valid date in 1900–2099, else None."""
    if year is None or month is None or day is None or not 1900 <= year <= 2099:
        return None
    try:
        return datetime.date(year, month, day).isoformat()
    except ValueError:
        return None


def _from_match(m: re.Match) -> str | None:
    """ISO date for one match of the date pattern."""
    if m["y1"]:
        return _iso(int(m["y1"]), int(m["m1"]), int(m["d1"]))
    if m["y2"]:
        return _iso(_cn_number(m["y2"]), _cn_number(m["m2"]), _cn_number(m["d2"]))
    return _iso(int(m["y3"]), int(m["m3"]), int(m["d3"]))


def _fold(text: str) -> str:
    """Full-width digits and punctuation to ASCII, keeping string positions.

    NFKC is applied per character and only where it yields one character, so
    offsets into the folded text are offsets into the original.
    """
    out = []
    for ch in text:
        folded = unicodedata.normalize("NFKC", ch) if ord(ch) > 0x7F else ch
        out.append(folded if len(folded) == 1 else ch)
    return "".join(out)


def parse_chinese_date(s: str) -> str | None:
    """ISO date for a string that is one date (surrounding spaces allowed), else None.

    >>> parse_chinese_date("2020年2月20日")
    '2020-02-20'
    >>> parse_chinese_date("二○二○年二月二十日")
    '2020-02-20'
    >>> parse_chinese_date("２０２０.2.5")
    '2020-02-05'
    >>> parse_chinese_date("2020年2月30日") is None
    True
    """
    if not s:
        return None
    m = _DATE_RE.fullmatch(_fold(s).strip())
    return _from_match(m) if m else None


def find_dates(text: str) -> list[tuple[str, int, int]]:
    """Every valid date in ``text`` as ``(iso, start, end)`` offsets into ``text``.

    >>> find_dates("自2020年3月1日起施行，二〇二〇年二月三十日无效")
    [('2020-03-01', 1, 10)]
    """
    if not text:
        return []
    result = []
    for m in _DATE_RE.finditer(_fold(text)):
        iso = _from_match(m)
        if iso:
            result.append((iso, m.start(), m.end()))
    return result
