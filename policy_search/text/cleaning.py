"""Making given text safe to show and to send: one line, no control characters.

Titles, 文号, issuers and file names come from people and from other programs
(sidecars, manifests, bulk columns, backups, file names on disk). They end up
in HTML, in HTTP headers (a download's file name), in one-line reports and in
QR captions, where a carriage return or a NUL breaks things. The body text keeps
its line breaks; everything that is meant to be one line goes through
:func:`one_line`.
"""
from __future__ import annotations

import re
import unicodedata

#: Characters that break a line or are invisible controls: C0, DEL, C1, and the Unicode line
#: and paragraph separators.
_BREAKING = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_FORMAT_CATEGORIES = {"Cc", "Zl", "Zp"}


def one_line(value: str) -> str:
    """``value`` with every run of control or line-breaking characters made one space, trimmed.

    >>> one_line("关于做好\\r\\n稳岗返还\\x00工作的通知 ")
    '关于做好 稳岗返还 工作的通知'
    >>> one_line("国办发〔2020〕6号")
    '国办发〔2020〕6号'
    """
    return _BREAKING.sub(" ", value).strip()


def has_controls(value: str) -> bool:
    """True when ``value`` holds a control or line-breaking character.

    >>> has_controls("a\\nb"), has_controls("峄城区")
    (True, False)
    """
    return any(unicodedata.category(ch) in _FORMAT_CATEGORIES for ch in value)


def printable_path(value: str) -> str:
    """A file name or path for a one-line report: control characters shown escaped, not obeyed.

    >>> printable_path("batch/evil\\nname.txt")
    'batch/evil\\\\nname.txt'
    """
    if not has_controls(value):
        return value
    return "".join(ch.encode("unicode_escape").decode("ascii")
                   if unicodedata.category(ch) in _FORMAT_CATEGORIES else ch for ch in value)
