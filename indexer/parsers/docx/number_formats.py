"""List counters written in Word's number formats: 一、二十一, 壹, 甲乙丙, ①, Ⅳ ..."""
from __future__ import annotations

_CN_DIGITS = "零一二三四五六七八九"
_CN_LEGAL = "零壹贰叁肆伍陆柒捌玖"
_TIANGAN = "甲乙丙丁戊己庚辛壬癸"
_DIZHI = "子丑寅卯辰巳午未申酉戌亥"
_CHINESE_COUNTING = (
    "chineseCounting", "chineseCountingThousand", "japaneseCounting", "taiwaneseCounting",
    "ideographDigital", "japaneseDigitalTenThousand",
)


def format_number(n: int, fmt: str) -> str:
    """A list counter in one of Word's number formats (decimal for those not known)."""
    if fmt in _CHINESE_COUNTING:
        return chinese_number(n)
    if fmt == "chineseLegalSimplified":
        return chinese_number(n, _CN_LEGAL, "拾佰仟")
    if fmt in ("ideographTraditional", "ideographZodiac"):
        cycle = _TIANGAN if fmt == "ideographTraditional" else _DIZHI
        return cycle[(n - 1) % len(cycle)] if n > 0 else str(n)
    if fmt in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese") and 1 <= n <= 20:
        return chr(0x2460 + n - 1)
    if fmt == "decimalFullWidth":
        return str(n).translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
    if fmt == "decimalZero":
        return f"{n:02d}"
    if fmt in ("upperLetter", "lowerLetter") and n > 0:
        letter = chr(ord("A") + (n - 1) % 26) * ((n - 1) // 26 + 1)
        return letter if fmt == "upperLetter" else letter.lower()
    if fmt in ("upperRoman", "lowerRoman") and 0 < n < 4000:
        roman = roman_number(n)
        return roman if fmt == "upperRoman" else roman.lower()
    return str(n)


def chinese_number(n: int, digits: str = _CN_DIGITS, units: str = "十百千") -> str:
    """1 -> 一, 10 -> 十, 21 -> 二十一, 105 -> 一百零五 (up to 9999)."""
    if n <= 0 or n > 9999:
        return str(n)
    parts, zero = [], False
    for unit, value in ((units[2], 1000), (units[1], 100), (units[0], 10), ("", 1)):
        d, n = divmod(n, value)
        if d:
            if zero:
                parts.append(digits[0])
            parts.append(("" if unit == units[0] and d == 1 and not parts else digits[d]) + unit)
            zero = False
        elif parts:
            zero = True
    return "".join(parts)


def roman_number(n: int) -> str:
    """n in upper-case Roman numerals (MCMXCIV)."""
    out = []
    for value, sym in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                       (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        count, n = divmod(n, value)
        out.append(sym * count)
    return "".join(out)
