"""The pieces a PDF page is broken into: lines, table rows, rulings, page geometry."""
from __future__ import annotations

from dataclasses import dataclass, field


class BudgetExceeded(Exception):
    """Internal: the wall-clock budget ran out."""


@dataclass
class Line:
    """One line (or one table-cell fragment of a line) of a page."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    size: float
    lead: float = 0.0  # width of the first word (a Latin run) or first character
    table: int | None = None


@dataclass
class TableRow:
    """One table row, already joined into text."""

    text: str
    y1: float


@dataclass
class Page:
    """What a page contributes: flow lines and table rows, in reading order."""

    number: int
    width: float
    height: float
    items: list = field(default_factory=list)  # Line (flow) or TableRow

    def flow_lines(self) -> list[Line]:
        """The page's flow lines (everything but table rows), in order."""
        return [it for it in self.items if isinstance(it, Line)]


@dataclass
class Ruling:
    """A ruling segment: horizontal (y0 == y1) or vertical (x0 == x1)."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def horizontal(self) -> bool:
        """True for a horizontal segment (wider than tall)."""
        return self.y1 - self.y0 < self.x1 - self.x0


@dataclass
class BlockMetrics:
    """Text-block geometry of a page (or column), for paragraph decisions."""

    left: float
    right: float
    pitch: float
