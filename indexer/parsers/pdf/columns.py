"""Text-block geometry: the block's edges and line pitch, and pages laid out in columns."""
from __future__ import annotations

import math
import statistics
from collections import Counter

from .model import BlockMetrics, Line, Page

#: Columns: side-by-side clusters of lines narrower than this share of the
#: text block, each with at least this many lines.
COLUMN_MAX_SHARE = 0.55
COLUMN_MIN_LINES = 4

Edges = dict[int, tuple[float, float]]


def block_edges(pages: list[Page]) -> Edges:
    """Left and right edge of the text block for each page width, over the whole document.

    The right edge is the 90th percentile of line ends (justified body lines
    reach it; a sparse cover page alone would not tell); the left edge is the
    leftmost line start shared by several lines.
    """
    by_width: dict[int, list[Line]] = {}
    for page in pages:
        by_width.setdefault(round(page.width), []).extend(page.flow_lines())
    edges = {}
    for width, lines in by_width.items():
        if lines:
            edges[width] = _edges_of(lines)
    return edges


def page_layout(page: Page, edges: Edges) -> tuple[list, dict[int, BlockMetrics]]:
    """The page's items in reading order, and geometry for each flow line (by id).

    Lines use the document-wide block edges for the page width, except on a
    page laid out in columns, where each column has its own edges and the
    columns are read one after the other (pdfminer interleaves them when
    lines are widely spaced).
    """
    flow = page.flow_lines()
    if not flow:
        return page.items, {}
    left, right = edges[round(page.width)]
    pitch = _line_pitch(flow)
    page_metrics = BlockMetrics(left=left, right=right, pitch=pitch)
    metrics = {id(line): page_metrics for line in flow}
    columns = _columns(flow, right - left)
    if not columns:
        return page.items, metrics
    for column in columns:
        col_left, col_right = _edges_of(column)
        col_metrics = BlockMetrics(left=col_left, right=col_right, pitch=pitch)
        metrics.update({id(line): col_metrics for line in column})
    has_tables = len(flow) < len(page.items)
    items = page.items if has_tables else _reading_order(flow, columns)
    return items, metrics


def _line_pitch(flow: list[Line]) -> float:
    """The page's usual distance from one line to the next (1.5 font sizes if it cannot tell)."""
    pitches = [a.y0 - b.y0 for a, b in zip(flow, flow[1:]) if 0 < a.y0 - b.y0 <= 3 * max(a.size, b.size)]
    return statistics.median(pitches) if pitches else 1.5 * statistics.median(l.size for l in flow)


def _edges_of(lines: list[Line]) -> tuple[float, float]:
    """Left edge (leftmost start shared by several lines) and right edge (90th percentile end)."""
    ends = sorted(l.x1 for l in lines)
    right = ends[int(0.9 * (len(ends) - 1))]
    starts = Counter(round(l.x0 / 2) for l in lines)
    support = max(2, 0.05 * len(lines))
    common = [k * 2 for k, n in starts.items() if n >= support]
    left = min(common) if common else min(l.x0 for l in lines)
    return left, right


def _columns(flow: list[Line], block_width: float) -> list[list[Line]]:
    """Columns of text side by side on a page, or [] for a single-column page.

    Gutters are vertical strips that (almost) no line narrower than
    ``COLUMN_MAX_SHARE`` of the block crosses, with text on both sides. The
    lines between two gutters form a column if there are at least
    ``COLUMN_MIN_LINES`` of them and most end at the same right edge
    (justified text). Lines crossing a gutter (titles) belong to no column.
    """
    narrow = [l for l in flow if l.x1 - l.x0 < COLUMN_MAX_SHARE * block_width]
    if len(narrow) < 2 * COLUMN_MIN_LINES:
        return []
    splits = _gutters(narrow)
    if not splits:
        return []
    bounds = [-math.inf, *splits, math.inf]
    columns = [[l for l in narrow if a <= l.x0 and l.x1 <= b] for a, b in zip(bounds, bounds[1:])]
    if not all(_is_column(column) for column in columns):
        return []
    return columns


def _gutters(narrow: list[Line], step: float = 2.0) -> list[float]:
    """Middles of the vertical strips (at least half a font size wide) that almost no line crosses."""
    lo, hi = min(l.x0 for l in narrow), max(l.x1 for l in narrow)
    cover = [0] * (int((hi - lo) / step) + 2)
    for line in narrow:
        for b in range(int((line.x0 - lo) / step), int((line.x1 - lo) / step) + 1):
            cover[b] += 1
    quiet = max(1, len(narrow) // 10)
    min_gutter = 0.5 * statistics.median(l.size for l in narrow)
    splits, run_start = [], None
    for b, n in enumerate(cover):
        if n <= quiet and run_start is None:
            run_start = b
        elif n > quiet and run_start is not None:
            if run_start > 0 and (b - run_start) * step >= min_gutter:
                splits.append(lo + (run_start + b) / 2 * step)
            run_start = None
    return splits


def _is_column(column: list[Line]) -> bool:
    """Enough lines, most of them ending at the column's right edge (justified text)."""
    if len(column) < COLUMN_MIN_LINES:
        return False
    _, col_right = _edges_of(column)
    return sum(1 for l in column if col_right - l.x1 <= 1.5 * l.size) >= 0.5 * len(column)


def _reading_order(flow: list[Line], columns: list[list[Line]]) -> list[Line]:
    """Top to bottom; within a stretch between full-width lines, one column after the other."""
    column_of = {id(l): k for k, column in enumerate(columns) for l in column}
    ordered: list[Line] = []
    stretch: list[Line] = []
    for line in sorted(flow, key=lambda l: (-l.y1, l.x0)):
        if id(line) in column_of:
            stretch.append(line)
            continue
        ordered.extend(sorted(stretch, key=lambda l: (column_of[id(l)], -l.y1, l.x0)))
        stretch = []
        ordered.append(line)
    ordered.extend(sorted(stretch, key=lambda l: (column_of[id(l)], -l.y1, l.x0)))
    return ordered
