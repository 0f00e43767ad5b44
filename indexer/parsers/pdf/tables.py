"""Ruled tables: border segments, grouped into tables, text fragments into cells and rows."""
from __future__ import annotations

from .chars import join_pieces
from .model import Line, Ruling, TableRow

#: Table cells are joined with this on a row's line.
CELL_SEPARATOR = "\t"
#: Pages with more ruling segments than this skip table detection (it is quadratic).
MAX_RULINGS_PER_PAGE = 3_000


def rulings_of(obj) -> list[Ruling]:
    """Ruling segments drawn by a line or rectangle: table borders."""
    from pdfminer.layout import LTLine

    x0, y0, x1, y1 = obj.bbox
    w, h = x1 - x0, y1 - y0
    visible_fill = getattr(obj, "fill", False) and not _is_white(getattr(obj, "non_stroking_color", None))
    visible = getattr(obj, "stroke", False) or visible_fill or isinstance(obj, LTLine)
    if not visible:
        return []
    if h <= 2.5 and w >= 3:
        return [Ruling(x0, (y0 + y1) / 2, x1, (y0 + y1) / 2)]
    if w <= 2.5 and h >= 3:
        return [Ruling((x0 + x1) / 2, y0, (x0 + x1) / 2, y1)]
    if getattr(obj, "stroke", False) and not isinstance(obj, LTLine):
        return [Ruling(x0, y0, x1, y0), Ruling(x0, y1, x1, y1), Ruling(x0, y0, x0, y1), Ruling(x1, y0, x1, y1)]
    return []


def _is_white(color) -> bool:
    """True for a white fill colour (gray 1, RGB 1,1,1 or CMYK 0,0,0,0)."""
    if isinstance(color, (int, float)):
        return color >= 0.99
    if isinstance(color, (list, tuple)):
        values = [v for v in color if isinstance(v, (int, float))]
        if len(values) in (1, 3):
            return all(v >= 0.99 for v in values)
        if len(values) == 4:
            return all(v <= 0.01 for v in values)
    return False


def find_tables(segments: list[Ruling], tol: float = 3.0) -> list[dict]:
    """Group touching rulings; a group with 3+ column borders and 2+ row borders is a table."""
    tables = []
    for segs in _touching_groups(segments, tol):
        hs = [s for s in segs if s.horizontal]
        vs = [s for s in segs if not s.horizontal]
        if len(distinct(s.x0 for s in vs)) >= 3 and len(distinct(s.y0 for s in hs)) >= 2:
            tables.append({
                "h": hs,
                "v": vs,
                "bbox": (min(s.x0 for s in segs), min(s.y0 for s in segs), max(s.x1 for s in segs), max(s.y1 for s in segs)),
            })
    return tables


def _touching_groups(segments: list[Ruling], tol: float) -> list[list[Ruling]]:
    """Segments grouped by touching (within tol), transitively: union-find over all pairs."""
    n = len(segments)
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(n):
        a = segments[i]
        for j in range(i + 1, n):
            b = segments[j]
            if a.x0 - tol <= b.x1 and b.x0 - tol <= a.x1 and a.y0 - tol <= b.y1 and b.y0 - tol <= a.y1:
                parent[find(i)] = find(j)
    groups: dict[int, list[Ruling]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(segments[i])
    return list(groups.values())


def distinct(values, tol: float = 2.0) -> list[float]:
    """Values merged when closer than tol."""
    out: list[float] = []
    for v in sorted(values):
        if not out or v - out[-1] > tol:
            out.append(v)
    return out


def table_of(frag: Line, tables: list[dict]) -> int | None:
    """Index of the table whose area holds the fragment's centre, if any."""
    cx, cy = (frag.x0 + frag.x1) / 2, (frag.y0 + frag.y1) / 2
    for i, t in enumerate(tables):
        x0, y0, x1, y1 = t["bbox"]
        if x0 - 1 <= cx <= x1 + 1 and y0 - 1 <= cy <= y1 + 1:
            return i
    return None


def table_rows(table: dict, members: list[Line]) -> list[TableRow]:
    """Assign fragments to cells bounded by the table's rulings; one TableRow per row of cells."""
    cells: dict[tuple, list[Line]] = {}
    for frag in members:
        cells.setdefault(_cell_of(frag, table), []).append(frag)
    rows: dict[int, list[tuple[float, str]]] = {}
    tops = distinct(key[0] for key in cells)
    for (top, left, _bottom, _right), frags in cells.items():
        row_top = min(tops, key=lambda t: abs(t - top))
        rows.setdefault(row_top, []).append((left, _cell_text(frags)))
    out = []
    for top in sorted(rows, reverse=True):
        cells_text = [t for _, t in sorted(rows[top])]
        out.append(TableRow(text=CELL_SEPARATOR.join(cells_text), y1=top))
    return out


def _cell_of(frag: Line, table: dict) -> tuple[int, int, int, int]:
    """The cell (top, left, bottom, right, rounded) whose rulings enclose the fragment's centre."""
    tx0, ty0, tx1, ty1 = table["bbox"]
    cx, cy = (frag.x0 + frag.x1) / 2, (frag.y0 + frag.y1) / 2
    top = min((s.y0 for s in table["h"] if s.y0 >= cy and s.x0 - 2 <= cx <= s.x1 + 2), default=ty1)
    bottom = max((s.y0 for s in table["h"] if s.y0 < cy and s.x0 - 2 <= cx <= s.x1 + 2), default=ty0)
    left = max((s.x0 for s in table["v"] if s.x0 <= cx and s.y0 - 2 <= cy <= s.y1 + 2), default=tx0)
    right = min((s.x0 for s in table["v"] if s.x0 > cx and s.y0 - 2 <= cy <= s.y1 + 2), default=tx1)
    return (round(top), round(left), round(bottom), round(right))


def _cell_text(frags: list[Line]) -> str:
    """The fragments of one cell, top to bottom and left to right, joined like a paragraph."""
    frags.sort(key=lambda f: (-f.y1, f.x0))
    text = frags[0].text
    for frag in frags[1:]:
        text = join_pieces(text, frag.text)
    return text
