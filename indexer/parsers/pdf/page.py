"""One laid-out page: its visible characters into lines, its ruled tables into rows."""
from __future__ import annotations

import re

from .lines import line_fragments
from .model import Line, Page, Ruling
from .tables import MAX_RULINGS_PER_PAGE, find_tables, rulings_of, table_of, table_rows

_CID = re.compile(r"\(cid:\d+\)")


def page_items(layout, number: int) -> tuple[Page, int, int]:
    """Flow lines and table rows of one laid-out page, in reading order; undecodable and total char counts."""
    px0, py0, px1, py1 = layout.bbox
    page = Page(number=number, width=px1 - px0, height=py1 - py0)
    raw_lines, segments = _collect(layout)
    tables = find_tables(segments) if len(segments) <= MAX_RULINGS_PER_PAGE else []
    table_vsegs = sorted((s for t in tables for s in t["v"]), key=lambda s: s.x0)
    table_vx = [s.x0 for s in table_vsegs]
    fragments: list[Line] = []
    cid_count = char_count = 0
    for chars in raw_lines:
        visible, cids, counted = _visible_chars(chars, layout.bbox)
        cid_count += cids
        char_count += counted
        fragments.extend(line_fragments(visible, table_vsegs, table_vx))
    _place_fragments(page, fragments, tables)
    return page, cid_count, char_count


def _collect(layout) -> tuple[list[list], list[Ruling]]:
    """The characters of each pdfminer line (in reading order) and the ruling segments of a page."""
    from pdfminer.layout import LTChar, LTFigure, LTLine, LTRect, LTTextBox, LTTextLine

    raw_lines: list[list] = []
    segments: list[Ruling] = []

    def walk(container) -> None:
        for obj in container:
            if isinstance(obj, LTTextBox):
                for line in obj:
                    if isinstance(line, LTTextLine):
                        raw_lines.append([c for c in line if isinstance(c, LTChar)])
            elif isinstance(obj, LTTextLine):
                raw_lines.append([c for c in obj if isinstance(c, LTChar)])
            elif isinstance(obj, LTFigure):
                walk(obj)
            elif isinstance(obj, (LTRect, LTLine)):
                segments.extend(rulings_of(obj))

    walk(layout)
    return raw_lines, segments


def _visible_chars(chars: list, bbox) -> tuple[list, int, int]:
    """The characters of a line that are visible and decodable; undecodable and counted chars."""
    px0, py0, px1, py1 = bbox
    visible = []
    cid_count = char_count = 0
    for ch in chars:
        cx, cy = (ch.x0 + ch.x1) / 2, (ch.y0 + ch.y1) / 2
        if not (px0 <= cx <= px1 and py0 <= cy <= py1) or getattr(ch, "clipped_away", False):
            continue  # outside the page or the clipping path: not visible
        text = ch.get_text()
        if not text.strip():
            visible.append(ch)
            continue
        char_count += 1
        if _CID.fullmatch(text) or _is_private_use(text):
            cid_count += 1
            continue
        visible.append(ch)
    return visible, cid_count, char_count


def _place_fragments(page: Page, fragments: list[Line], tables: list[dict]) -> None:
    """Append flow fragments to the page, and each table's rows where its first fragment was."""
    emitted: set[int] = set()
    for frag in fragments:
        frag.table = table_of(frag, tables)
        if frag.table is None:
            page.items.append(frag)
        elif frag.table not in emitted:
            emitted.add(frag.table)
            members = [f for f in fragments if table_of(f, tables) == frag.table]
            page.items.extend(table_rows(tables[frag.table], members))


def _is_private_use(text: str) -> bool:
    """Glyphs mapped into the Unicode private use area carry no readable text."""
    return len(text) == 1 and 0xE000 <= ord(text) <= 0xF8FF
