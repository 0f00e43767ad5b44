"""Decoding text files whose encoding nobody wrote down.

Chinese government sites publish UTF-8, UTF-8 with a BOM, UTF-16 and, very
often, GBK/GB2312 (decoded here as GB18030, their superset). The order is:
byte-order mark, UTF-16 without one (recognised by its NUL bytes), strict
UTF-8, then charset-normalizer among the encodings Chinese text actually
comes in.
"""
from __future__ import annotations

import codecs

from charset_normalizer import from_bytes

from policy_search.errors import DecodingError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_CHINESE_CANDIDATES = ["gb18030", "big5", "utf_16_le", "utf_16_be"]
_GB_FAMILY = {"gb2312", "gbk", "gb18030", "hz"}
#: How much of a file the BOM-less UTF-16 test looks at.
_UTF16_SAMPLE_BYTES = 4096
#: Share of UTF-16 code units that must have a NUL byte on one side (ASCII: digits, line breaks).
_UTF16_MIN_NUL_SHARE = 0.1
#: Share of code units with a NUL on the other side that is still text (CJK like U+4E00 has one).
_UTF16_MAX_OTHER_NUL_SHARE = 0.05
#: Below this, statistics mislead (two GBK characters look like Big5): GB18030 is assumed.
_MIN_BYTES_TO_DETECT = 64


def bom_encoding(data: bytes) -> str | None:
    """The encoding announced by a byte-order mark, if any.

    >>> bom_encoding(b"\\xef\\xbb\\xbfabc"), bom_encoding(b"abc")
    ('utf-8-sig', None)
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    return None


def utf16_without_bom(data: bytes) -> str | None:
    """The codec of UTF-16 text that has no byte-order mark (utf-16-le or utf-16-be), else None.

    Chinese text nearly always holds some ASCII (digits, line breaks), and in
    UTF-16 each ASCII character has a NUL byte, always on the same side of
    the pair; the sample must also decode into text without control characters.

    >>> utf16_without_bom("第1条\\n".encode("utf-16-le")), utf16_without_bom("第1条\\n".encode("utf-8"))
    ('utf-16-le', None)
    """
    sample = data[:_UTF16_SAMPLE_BYTES]
    units = len(sample) // 2
    if units < 2:
        return None
    even_nuls, odd_nuls = sample[0::2].count(0), sample[1::2].count(0)
    if odd_nuls >= _UTF16_MIN_NUL_SHARE * units and even_nuls <= _UTF16_MAX_OTHER_NUL_SHARE * units:
        codec = "utf-16-le"
    elif even_nuls >= _UTF16_MIN_NUL_SHARE * units and odd_nuls <= _UTF16_MAX_OTHER_NUL_SHARE * units:
        codec = "utf-16-be"
    else:
        return None
    try:
        text = codecs.getincrementaldecoder(codec)().decode(sample)  # a pair cut at the end is fine
    except UnicodeDecodeError:
        return None
    controls = sum(1 for ch in text if ch < " " and ch not in "\t\n\r\f")
    return codec if controls <= len(text) // 100 else None


def detect_encoding(data: bytes) -> str:
    """The most likely encoding of Chinese text bytes; raises DecodingError."""
    by_bom = bom_encoding(data) or utf16_without_bom(data)
    if by_bom:
        return by_bom
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    best = None
    if len(data) >= _MIN_BYTES_TO_DETECT:
        best = from_bytes(data[:200_000], cp_isolation=_CHINESE_CANDIDATES).best()
    if best is not None:
        name = best.encoding.lower().replace("-", "_")
        return "gb18030" if name in _GB_FAMILY else best.encoding
    try:
        data.decode("gb18030")
        return "gb18030"
    except UnicodeDecodeError:
        pass
    raise DecodingError("text encoding not recognised (tried UTF-8, UTF-16, GB18030, Big5)",
                        hint="save the file as UTF-8 and ingest it again")


def decode_text(data: bytes, declared: str | None = None) -> str:
    """Bytes to text: a declared encoding first when it works, else detection.

    >>> decode_text("稳岗返还".encode("gbk"))
    '稳岗返还'
    """
    if declared and not bom_encoding(data):
        name = declared.strip().lower()
        if name in {"gb2312", "gbk", "x-gbk", "gb_2312-80"}:
            name = "gb18030"
        try:
            return data.decode(name)
        except (LookupError, UnicodeDecodeError):
            pass
    encoding = detect_encoding(data)
    try:
        return data.decode(encoding)
    except (LookupError, UnicodeDecodeError) as exc:
        raise DecodingError(f"text does not decode as {encoding}: {exc.reason}",
                            hint="save the file as UTF-8 and ingest it again") from exc
