"""The characters of one pdfminer line into text: CJK-aware spacing, split at table borders."""
from __future__ import annotations

import bisect
import statistics

from .chars import is_latin
from .model import Line, Ruling

#: A gap between two characters of a line wider than this many character
#: widths separates them with a space even between Chinese characters.
CELL_GAP_EM = 1.0


def line_fragments(chars: list, vsegs: list[Ruling], vx: list[float]) -> list[Line]:
    """Turn one pdfminer line into text, split where a table's column border runs between characters."""
    chars = sorted(chars, key=lambda c: c.x0)
    out: list[Line] = []
    current: list = []
    for ch in chars:
        if current and _border_between(current[-1], ch, vsegs, vx):
            out.extend(_make_line(current))
            current = []
        current.append(ch)
    out.extend(_make_line(current))
    return out


def _border_between(left, right, vsegs: list[Ruling], vx: list[float]) -> bool:
    """Does a vertical table ruling run between these two characters?"""
    if not vx:
        return False
    lo = bisect.bisect_left(vx, min(left.x1, right.x0) - 1.5)
    hi = bisect.bisect_right(vx, max(left.x1, right.x0) + 1.5)
    cy = (right.y0 + right.y1) / 2
    return any(vsegs[k].y0 - 1 <= cy <= vsegs[k].y1 + 1 for k in range(lo, hi))


def _make_line(chars: list) -> list[Line]:
    """Text of a run of characters: CJK-aware spacing, duplicate (fake bold) glyphs dropped."""
    parts, kept = _spaced_text(chars)
    if not kept:
        return []
    return [Line(
        text="".join(parts),
        x0=kept[0].x0,
        y0=min(c.y0 for c in kept),
        x1=max(c.x1 for c in kept),
        y1=max(c.y1 for c in kept),
        size=statistics.median(c.size for c in kept),
        lead=_lead_width(kept),
    )]


def _spaced_text(chars: list) -> tuple[list[str], list]:
    """The text pieces of a run (spaces put in where they belong) and the characters kept."""
    parts: list[str] = []
    kept = []
    pending_space = False
    prev = None
    for ch in chars:
        text = ch.get_text()
        if not text.strip():
            pending_space = True
            continue
        if prev is not None and text == prev.get_text() and _overprinted(prev, ch):
            continue  # the same glyph painted twice, slightly offset (a "bold" effect)
        if prev is not None and _space_between(prev, ch, pending_space, parts[-1][-1], text[0]):
            parts.append(" ")
        parts.append(text)
        kept.append(ch)
        prev = ch
        pending_space = False
    return parts, kept


def _space_between(prev, ch, pending_space: bool, last: str, first: str) -> bool:
    """A space between two characters: a wide gap, or a word space between Latin letters."""
    gap = ch.x0 - prev.x1
    size = min(ch.size, prev.size) or 1.0
    wide = gap > CELL_GAP_EM * size
    spaced = pending_space or gap > 0.25 * size
    return wide or (spaced and is_latin(last) and is_latin(first))


def _lead_width(kept: list) -> float:
    """Width of the first word (a run of Latin characters) or else of the first character."""
    lead_end = kept[0].x1
    for ch in kept[1:]:
        if not is_latin(ch.get_text()[0]) or not is_latin(kept[0].get_text()[0]):
            break
        lead_end = ch.x1
    return lead_end - kept[0].x0


def _overprinted(a, b) -> bool:
    """Two glyphs drawn on (nearly) the same spot: a fake-bold duplicate, not two letters."""
    width = max(a.x1 - a.x0, 0.1)
    return abs(b.x0 - a.x0) < 0.25 * width and abs(b.y0 - a.y0) < 0.25 * width
