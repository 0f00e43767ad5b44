"""Lines into paragraphs (across pages too): one paragraph or table row a line of output."""
from __future__ import annotations

from collections import Counter

from .chars import join_pieces
from .columns import block_edges, page_layout
from .model import BlockMetrics, Line, Page, TableRow
from .tables import CELL_SEPARATOR

#: A drop between two lines of more than this many times the page's usual
#: line pitch is a paragraph break (space before/after a paragraph).
PARAGRAPH_GAP = 1.3

_SENTENCE_END = tuple("。！？；：.!?;:”’」』）)")


def assemble(pages: list[Page]) -> str:
    """Join lines into paragraphs (across pages too); one paragraph or table row a line."""
    body_size = _body_size(pages)
    edges = block_edges(pages)
    paragraphs: list[str] = []
    prev: tuple[Line, BlockMetrics, int] | None = None
    for page in pages:
        items, metrics = page_layout(page, edges)
        for item in items:
            if isinstance(item, TableRow):
                paragraphs.append(item.text)
                prev = None
                continue
            here = metrics[id(item)]
            if prev is not None and _continues(prev[0], prev[1], item, here, prev[2] == page.number, body_size):
                paragraphs[-1] = join_pieces(paragraphs[-1], item.text)
            else:
                paragraphs.append(item.text)
            prev = (item, here, page.number)
    lines = (" ".join(p.split()) if CELL_SEPARATOR not in p else _tidy_row(p) for p in paragraphs)
    return "\n".join(line for line in lines if line)


def _body_size(pages: list[Page]) -> float:
    """The font size (rounded) that most of the flow text is set in; 12 if there is none."""
    sizes = Counter()
    for page in pages:
        for line in page.flow_lines():
            sizes[round(line.size)] += len(line.text)
    return sizes.most_common(1)[0][0] if sizes else 12.0


def _continues(a: Line, ma: BlockMetrics, b: Line, mb: BlockMetrics, same_page: bool, body_size: float) -> bool:
    """Does line b carry on the paragraph that line a belongs to?"""
    size = max(a.size, b.size)
    if abs(a.size - b.size) > 0.15 * size:
        return False
    if same_page and not _directly_below(a, ma, b, size):
        return False
    if same_page and _is_heading_pair(a, b, ma, body_size):
        return True
    if b.x0 - mb.left >= 1.2 * b.size:
        return False  # indented: a new paragraph
    room = ma.right - a.x1
    if room <= max(1.5 * a.size, 0.04 * (ma.right - ma.left)):
        return True
    # a shorter line still continues when the next line's first word would not have fit
    return not a.text.endswith(_SENTENCE_END) and room < b.lead + 0.5 * a.size


def _directly_below(a: Line, ma: BlockMetrics, b: Line, size: float) -> bool:
    """Line b is the next line under a on the page: no gap, not another column or cell."""
    drop = a.y0 - b.y0
    if drop <= 0.3 * size or drop > max(PARAGRAPH_GAP * ma.pitch, 1.2 * size) + 1:
        return False  # not directly below: a gap, another column, or out of order
    if b.x0 > a.x1:
        return False  # starts right of where the line above ends: another column or cell
    return True


def _is_heading_pair(a: Line, b: Line, m: BlockMetrics, body_size: float) -> bool:
    """Two centred lines of a title in a large font, wrapped."""
    if a.size < 1.15 * body_size:
        return False
    centre = (m.left + m.right) / 2
    return abs((a.x0 + a.x1) / 2 - centre) < 2 * a.size and abs((b.x0 + b.x1) / 2 - centre) < 2 * a.size


def _tidy_row(row: str) -> str:
    """Collapse spaces inside the cells of a table row, keeping the cell separators."""
    cells = (" ".join(c.split()) for c in row.split(CELL_SEPARATOR))
    return CELL_SEPARATOR.join(c for c in cells if c)
