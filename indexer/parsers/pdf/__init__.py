"""PDF files with a text layer, read with pdfminer.six's layout analysis.

How the text is put back together:

* Characters are regrouped by pdfminer into lines and boxes (``LAPARAMS``);
  boxes come in pdfminer's reading order. A page laid out in columns (found
  by its gutters) is read one column after the other. Characters outside the
  page or outside the clipping path's bounding box are dropped (office
  exports that split a table cell over two pages draw it on both and clip it).
* Within a line, no space is put between Chinese characters, even where
  justification spreads them apart; two Latin words keep one space; a gap
  wider than ``CELL_GAP_EM`` character widths (two table columns that
  pdfminer merged) becomes a space.
* Consecutive lines are joined into one paragraph (no space between Chinese
  characters, a space between Latin words) when the first line reaches the
  right edge of the text block and the next one is directly below it, in the
  same font size and not indented (Chinese paragraphs start with a two
  character indent). Anything else, a short line (headings, the last line of
  a paragraph, one ending in 。：；！？ early), a bigger vertical gap, an
  indented line, starts a new paragraph: one paragraph a line in the output.
  Paragraphs continue across page breaks.
* Ruled tables (cell borders drawn as lines or thin rectangles, at least two
  columns) are read row by row: one line a row, cells left to right joined by
  a TAB (``CELL_SEPARATOR``), the lines inside a cell joined like a paragraph.
* Page numbers (``— 3 —``, ``- 3 -``, ``第 3 页``, ``3/10``, a bare number ...)
  in the top/bottom band of a page are dropped, and so is any line that
  repeats in that band on most pages (running headers and footers).

Guards: ``MAX_PAGES`` pages and a wall-clock budget (``TIME_BUDGET_S``,
checked while pages are interpreted, not only between them, as characters and
paths are drawn). Work the budget cannot see, such as a million operators that
draw nothing or a slow layout analysis, is stopped by the pipeline's per-file
limit (``PARSE_TIME_LIMIT_S``, see ``indexer/timelimit.py``).

Modules: ``entry`` (``parse``, file checks, error mapping), ``reader``
(pdfminer over the pages, the Info title), ``interpreter`` (clock and
clipping-path aware pdfminer), ``page`` (one page's characters into lines and
table rows), ``lines`` (characters into text), ``tables`` (ruled tables),
``furniture`` (page numbers, running headers/footers), ``columns`` (text-block
edges, column layout), ``paragraphs`` (lines into paragraphs), ``chars``
(character classes), ``model`` (the data types).
"""
from __future__ import annotations

from .columns import COLUMN_MAX_SHARE, COLUMN_MIN_LINES
from .entry import CID_ERROR_SHARE, EOF_SEARCH_BYTES, MAX_PAGES, TIME_BUDGET_S, parse
from .furniture import MARGIN_BAND, REPEAT_SHARE
from .interpreter import MAX_FLOW_BOXES
from .lines import CELL_GAP_EM
from .paragraphs import PARAGRAPH_GAP
from .reader import LAPARAMS
from .reader import decode_pdf_string as _decode_pdf_string  # the tests import it by this name
from .tables import CELL_SEPARATOR, MAX_RULINGS_PER_PAGE

__all__ = [
    "parse",
    "CELL_SEPARATOR",
    "MAX_PAGES",
    "TIME_BUDGET_S",
    "LAPARAMS",
    "PARAGRAPH_GAP",
    "MARGIN_BAND",
    "REPEAT_SHARE",
    "EOF_SEARCH_BYTES",
    "CID_ERROR_SHARE",
    "CELL_GAP_EM",
    "MAX_RULINGS_PER_PAGE",
    "COLUMN_MAX_SHARE",
    "COLUMN_MIN_LINES",
    "MAX_FLOW_BOXES",
]
