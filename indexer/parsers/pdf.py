"""PDF files with a text layer, read with pdfminer.six's layout analysis.

How the text is put back together:

* Characters are regrouped by pdfminer into lines and boxes (``LAPARAMS``);
  boxes come in pdfminer's reading order (columns are read one after the
  other). Characters outside the page (content that overflows the page and
  is clipped away) are dropped.
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
checked while pages are interpreted, not only between them).
"""
from __future__ import annotations

import bisect
import logging
import math
import re
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from policy_search.errors import (
    CorruptDocumentError,
    DocumentError,
    EmptyDocumentError,
    EncryptedDocumentError,
    FileTooLargeError,
    NoTextLayerError,
    UnsupportedFormatError,
)

from .base import MAX_FILE_BYTES, MAX_TEXT_CHARS, RawDocument

#: Refuse PDFs with more pages than this.
MAX_PAGES = 2_000
#: Wall-clock seconds one file may take; overridable per call.
TIME_BUDGET_S = 60.0
#: pdfminer layout parameters (see pdfminer.layout.LAParams).
LAPARAMS = dict(line_margin=0.5, char_margin=2.0, word_margin=0.1, boxes_flow=0.5, all_texts=True)
#: Table cells are joined with this on a row's line.
CELL_SEPARATOR = "\t"
#: Share of the page height, at the top and at the bottom, searched for
#: page numbers and running headers/footers.
MARGIN_BAND = 0.12
#: A line in the margin band on at least this share of pages is a running header/footer.
REPEAT_SHARE = 0.5
#: Undecodable glyphs ``(cid:NN)`` over this share of all characters: the text is unusable.
CID_ERROR_SHARE = 0.3
#: A gap between two characters of a line wider than this many character
#: widths separates them with a space even between Chinese characters.
CELL_GAP_EM = 1.0
#: Pages with more ruling segments than this skip table detection (it is quadratic).
MAX_RULINGS_PER_PAGE = 3_000

log = logging.getLogger(__name__)

_CID = re.compile(r"\(cid:\d+\)")
_PAGE_NUMBER = re.compile(
    r"""^(?:
        [-—–－─_~·•.\s]*\d{1,4}[-—–－─_~·•.\s]*                 # 3, - 3 -, — 3 —, ·3·
      | 第\s*\d{1,4}\s*页(?:\s*[,，/、]?\s*共\s*\d{1,4}\s*页)?  # 第 3 页, 第3页 共10页
      | 共\s*\d{1,4}\s*页\s*[,，/、]?\s*第\s*\d{1,4}\s*页        # 共10页 第3页
      | \d{1,4}\s*/\s*\d{1,4}                                     # 3/10
      | (?:page|p\.)\s*\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?          # Page 3 of 10
      | [-—–－\s]*[ivxlcIVXLC]{1,6}[-—–－\s]*                      # - ii -
    )$""",
    re.VERBOSE | re.IGNORECASE,
)
_SENTENCE_END = tuple("。！？；：.!?;:”’」』）)")
_NOISE_TITLES = {"untitled", "无标题", "document", "文档", "microsoft word", "wps 文字", "powerpoint presentation"}
_FILENAME_TITLE = re.compile(r"(?i)(^microsoft\s+(word|excel|powerpoint)\s*-|^wps|\.(docx?|wps|pdf|rtf|txt|xlsx?|pptx?|html?)\s*$)")


class _BudgetExceeded(Exception):
    """Internal: the wall-clock budget ran out."""


@dataclass
class _Line:
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
class _Page:
    """What a page contributes: flow lines and table rows, in reading order."""

    number: int
    width: float
    height: float
    items: list = field(default_factory=list)  # _Line (flow) or _Row (table row)


@dataclass
class _Row:
    """One table row, already joined into text."""

    text: str
    y1: float


@dataclass
class _Seg:
    """A ruling segment: horizontal (y0 == y1) or vertical (x0 == x1)."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def horizontal(self) -> bool:
        return self.y1 - self.y0 < self.x1 - self.x0


# -- entry point ---------------------------------------------------------


def parse(path: Path, *, time_budget: float = TIME_BUDGET_S, max_pages: int = MAX_PAGES) -> RawDocument:
    """Read a PDF's text layer in reading order, without page furniture."""
    path = Path(path)
    _check_file(path)
    deadline = time.monotonic() + time_budget
    warnings: list[str] = []
    try:
        pages, title, cid_count, char_count = _read(path, deadline, time_budget, max_pages)
    except DocumentError:
        raise
    except _BudgetExceeded as exc:
        raise CorruptDocumentError(
            f"PDF took longer than {time_budget:g} s to read and was abandoned; it is unusually complex or malformed"
        ) from exc
    except MemoryError as exc:
        raise FileTooLargeError("PDF is too large to read into memory") from exc
    except RecursionError as exc:
        raise CorruptDocumentError("PDF is malformed (its object structure nests without end)") from exc
    except Exception as exc:  # pdfminer raises many kinds on damaged files
        raise _translate(exc) from exc
    if char_count == 0:
        raise NoTextLayerError("scanned/image-only PDF: no text layer; run OCR first")
    if cid_count / char_count > CID_ERROR_SHARE:
        raise NoTextLayerError(
            f"PDF text cannot be decoded: {cid_count / char_count:.0%} of its characters use fonts without a "
            "Unicode mapping; run OCR on it first"
        )
    if cid_count:
        warnings.append(
            f"{cid_count} of {char_count} characters ({cid_count / char_count:.1%}) could not be decoded "
            "(fonts without a Unicode mapping) and were left out"
        )
    _drop_page_furniture(pages)
    text = _assemble(pages)
    if not text:
        raise NoTextLayerError("scanned/image-only PDF: no text layer beyond page numbers; run OCR first")
    if len(text) > MAX_TEXT_CHARS:
        raise FileTooLargeError(f"PDF holds over {MAX_TEXT_CHARS:,} characters of text; split it into smaller files")
    metadata = {"title": title} if title else {}
    return RawDocument(text=text, format="pdf", metadata=metadata, warnings=warnings, source_path=path)


def _check_file(path: Path) -> None:
    """Size, emptiness, signature and completeness, before pdfminer reads it."""
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(1024)
            fh.seek(max(0, size - 2048))
            tail = fh.read()
    except OSError as exc:
        raise CorruptDocumentError(f"PDF cannot be opened ({_reason(exc)})") from exc
    if size == 0:
        raise EmptyDocumentError("file is empty (0 bytes)")
    if size > MAX_FILE_BYTES:
        raise FileTooLargeError(f"file is {size / 2**20:.0f} MB, over the {MAX_FILE_BYTES // 2**20} MB limit")
    if b"%PDF-" not in head:
        if head.startswith(b"PK\x03\x04"):
            raise UnsupportedFormatError("not a PDF: the file is a ZIP package (perhaps a .docx) with a .pdf name")
        if head.startswith(b"\xd0\xcf\x11\xe0"):
            raise UnsupportedFormatError("not a PDF: the file is an old Office document (.doc/.xls) with a .pdf name")
        if head.lstrip()[:5].lower() in (b"<html", b"<!doc"):
            raise UnsupportedFormatError("not a PDF: the file is a web page (HTML) with a .pdf name")
        raise CorruptDocumentError("not a PDF file (no %PDF header): the file is damaged or has the wrong name")
    if b"%%EOF" not in tail:
        raise CorruptDocumentError(
            "PDF is incomplete (it has no end-of-file marker): the download or copy was probably cut off"
        )


def _translate(exc: Exception) -> DocumentError:
    """Turn a pdfminer exception into a DocumentError a person can act on."""
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

    if isinstance(exc, PDFPasswordIncorrect):
        return EncryptedDocumentError("PDF is encrypted (password protected); save an unprotected copy and ingest that")
    if isinstance(exc, PDFEncryptionError):
        return EncryptedDocumentError(
            f"PDF is encrypted with a method we cannot open ({_reason(exc)}); save an unprotected copy and ingest that"
        )
    return CorruptDocumentError(f"PDF is damaged and cannot be read ({_reason(exc)})")


def _reason(exc: BaseException) -> str:
    """A short, single-line reason from an exception, for error messages."""
    msg = " ".join(str(exc).split())[:200]
    return f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__


# -- reading pages -------------------------------------------------------------


def _read(path: Path, deadline: float, budget: float, max_pages: int):
    """Interpret every page; return pages, title, undecodable and total char counts."""
    from pdfminer.layout import LAParams
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfinterp import PDFResourceManager
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser

    pages: list[_Page] = []
    cid_count = char_count = 0
    with path.open("rb") as fh:
        document = PDFDocument(PDFParser(fh), password="")
        title = _title(document)
        manager = PDFResourceManager(caching=True)
        device = _guarded_aggregator(manager, LAParams(**LAPARAMS), deadline)
        interpreter = _clip_aware_interpreter(manager, device)
        for number, page in enumerate(PDFPage.create_pages(document), start=1):
            if number > max_pages:
                raise FileTooLargeError(f"PDF has more than {max_pages:,} pages; split it into smaller files")
            interpreter.process_page(page)
            layout = device.get_result()
            parsed, cids, chars = _page_items(layout, number)
            pages.append(parsed)
            cid_count += cids
            char_count += chars
            if time.monotonic() > deadline:
                raise _BudgetExceeded
    if not pages:
        raise CorruptDocumentError("PDF has no pages")
    return pages, title, cid_count, char_count


def _guarded_aggregator(manager, laparams, deadline: float):
    """A PDFPageAggregator that checks the clock and marks characters outside the clip."""
    from pdfminer.converter import PDFPageAggregator

    class _Guarded(PDFPageAggregator):
        ticks = 0
        clip: tuple[float, float, float, float] | None = None

        def tick(self) -> None:
            self.ticks += 1
            if self.ticks % 512 == 0 and time.monotonic() > deadline:
                raise _BudgetExceeded

        def render_char(self, *args, **kwargs):
            self.tick()
            adv = super().render_char(*args, **kwargs)
            if self.clip is not None:
                _mark_if_clipped(getattr(self.cur_item, "_objs", None), self.clip)
            return adv

        def paint_path(self, *args, **kwargs):
            self.tick()
            return super().paint_path(*args, **kwargs)

    return _Guarded(manager, laparams=laparams)


def _mark_if_clipped(objs, clip) -> None:
    """Tag the character just added when its centre lies outside the clip rectangle."""
    if not objs:
        return
    ch = objs[-1]
    cx, cy = (ch.x0 + ch.x1) / 2, (ch.y0 + ch.y1) / 2
    x0, y0, x1, y1 = clip
    if not (x0 - 1 <= cx <= x1 + 1 and y0 - 1 <= cy <= y1 + 1):
        ch.clipped_away = True


def _clip_aware_interpreter(manager, device):
    """A PDFPageInterpreter that follows the clipping path's bounding box.

    pdfminer ignores clipping (``W``/``W*``); office exports that split a
    long cell over two pages draw the whole text on both pages and clip it,
    which would duplicate it. Only the clip's bounding box is kept (a superset
    of the visible area), so no visible character is ever dropped.
    """
    from pdfminer.pdfinterp import PDFPageInterpreter
    from pdfminer.utils import apply_matrix_pt

    class _ClipAware(PDFPageInterpreter):
        clip: tuple[float, float, float, float] | None = None
        inherited_clip: tuple[float, float, float, float] | None = None

        def init_state(self, ctm) -> None:
            super().init_state(ctm)
            self.clip = self.inherited_clip
            self.clip_stack: list = []
            self.pending_clip = None
            self.device.clip = self.clip

        def subinterp(self):
            sub = super().subinterp()
            sub.inherited_clip = self.clip
            return sub

        def do_q(self) -> None:
            self.device.tick()
            self.clip_stack.append(self.clip)
            super().do_q()

        def do_Q(self) -> None:
            if self.clip_stack:
                self.clip = self.device.clip = self.clip_stack.pop()
            super().do_Q()

        def do_Do(self, xobjid_arg) -> None:
            super().do_Do(xobjid_arg)
            self.device.clip = self.clip

        def _set_pending(self) -> None:
            points = [
                apply_matrix_pt(self.ctm, (seg[i], seg[i + 1]))
                for seg in self.curpath
                for i in range(1, len(seg) - 1, 2)
                if isinstance(seg[i], (int, float)) and isinstance(seg[i + 1], (int, float))
            ]
            if points:
                xs, ys = [p[0] for p in points], [p[1] for p in points]
                self.pending_clip = (min(xs), min(ys), max(xs), max(ys))

        def _apply_pending(self) -> None:
            if self.pending_clip is None:
                return
            new, self.pending_clip = self.pending_clip, None
            if self.clip is not None:
                new = (max(new[0], self.clip[0]), max(new[1], self.clip[1]), min(new[2], self.clip[2]), min(new[3], self.clip[3]))
            self.clip = self.device.clip = new

        def do_W(self) -> None:
            self._set_pending()

        def do_W_a(self) -> None:
            self._set_pending()

        def do_n(self) -> None:
            self._apply_pending()
            super().do_n()

        def do_S(self) -> None:
            self._apply_pending()
            super().do_S()

        def do_f(self) -> None:
            self._apply_pending()
            super().do_f()

        def do_f_a(self) -> None:
            self._apply_pending()
            super().do_f_a()

        def do_F(self) -> None:
            self._apply_pending()
            self.do_f()

        def do_B(self) -> None:
            self._apply_pending()
            super().do_B()

        def do_B_a(self) -> None:
            self._apply_pending()
            super().do_B_a()

    return _ClipAware(manager, device)


def _title(document) -> str | None:
    """A sensible Title from the PDF info dictionary, or None."""
    from pdfminer.pdftypes import resolve1

    for info in document.info:
        raw = resolve1(info.get("Title")) if isinstance(info, dict) else None
        if isinstance(raw, bytes):
            raw = _decode_pdf_string(raw)
        if not isinstance(raw, str):
            continue
        title = " ".join(raw.replace("\x00", "").split())
        if not title or len(title) > 300 or title.casefold() in _NOISE_TITLES or _FILENAME_TITLE.search(title):
            continue
        if not any(ch.isalpha() for ch in title):
            continue
        return title
    return None


def _decode_pdf_string(raw: bytes) -> str:
    """Decode a PDF text string: UTF-16 with a BOM, UTF-8 with a BOM, else PDFDocEncoding.

    Some Chinese producers write GBK bytes without a BOM; those are recognised
    when they decode cleanly as GB18030 into CJK text.
    """
    from pdfminer.utils import decode_text

    if raw.startswith(b"\xfe\xff"):
        return raw[2:].decode("utf-16-be", errors="replace")
    if raw.startswith(b"\xff\xfe"):
        return raw[2:].decode("utf-16-le", errors="replace")
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="replace")
    if any(b > 0x7F for b in raw):
        for codec in ("utf-8", "gb18030"):
            try:
                text = raw.decode(codec)
            except UnicodeDecodeError:
                continue
            if any(_is_cjk(ch) for ch in text):
                return text
    return decode_text(raw)


# -- one page: characters to lines, tables to rows ----------------------------------


def _page_items(layout, number: int) -> tuple[_Page, int, int]:
    """Flow lines and table rows of one laid-out page, in reading order."""
    from pdfminer.layout import LTChar, LTFigure, LTLine, LTRect, LTTextBox, LTTextLine

    px0, py0, px1, py1 = layout.bbox
    page = _Page(number=number, width=px1 - px0, height=py1 - py0)
    raw_lines: list[list] = []  # each: list of LTChar of one pdfminer line, in reading order
    segments: list[_Seg] = []
    cid_count = char_count = 0

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
                segments.extend(_rulings(obj))

    walk(layout)
    tables = _find_tables(segments) if len(segments) <= MAX_RULINGS_PER_PAGE else []
    table_vsegs = sorted((s for t in tables for s in t["v"]), key=lambda s: s.x0)
    table_vx = [s.x0 for s in table_vsegs]
    fragments: list[_Line] = []
    for chars in raw_lines:
        visible = []
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
        fragments.extend(_line_fragments(visible, table_vsegs, table_vx))
    emitted: set[int] = set()
    for frag in fragments:
        frag.table = _table_of(frag, tables)
        if frag.table is None:
            page.items.append(frag)
        elif frag.table not in emitted:
            emitted.add(frag.table)
            members = [f for f in fragments if _table_of(f, tables) == frag.table]
            page.items.extend(_table_rows(tables[frag.table], members))
    return page, cid_count, char_count


def _is_private_use(text: str) -> bool:
    """Glyphs mapped into the Unicode private use area carry no readable text."""
    return len(text) == 1 and 0xE000 <= ord(text) <= 0xF8FF


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


def _rulings(obj) -> list[_Seg]:
    """Ruling segments drawn by a line or rectangle: table borders."""
    from pdfminer.layout import LTLine

    x0, y0, x1, y1 = obj.bbox
    w, h = x1 - x0, y1 - y0
    visible_fill = getattr(obj, "fill", False) and not _is_white(getattr(obj, "non_stroking_color", None))
    visible = getattr(obj, "stroke", False) or visible_fill or isinstance(obj, LTLine)
    if not visible:
        return []
    if h <= 2.5 and w >= 3:
        return [_Seg(x0, (y0 + y1) / 2, x1, (y0 + y1) / 2)]
    if w <= 2.5 and h >= 3:
        return [_Seg((x0 + x1) / 2, y0, (x0 + x1) / 2, y1)]
    if getattr(obj, "stroke", False) and not isinstance(obj, LTLine):
        return [_Seg(x0, y0, x1, y0), _Seg(x0, y1, x1, y1), _Seg(x0, y0, x0, y1), _Seg(x1, y0, x1, y1)]
    return []


def _find_tables(segments: list[_Seg], tol: float = 3.0) -> list[dict]:
    """Group touching rulings; a group with 3+ column borders and 2+ row borders is a table."""
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
    groups: dict[int, list[_Seg]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(segments[i])
    tables = []
    for segs in groups.values():
        hs = [s for s in segs if s.horizontal]
        vs = [s for s in segs if not s.horizontal]
        if len(_distinct(s.x0 for s in vs)) >= 3 and len(_distinct(s.y0 for s in hs)) >= 2:
            tables.append({
                "h": hs,
                "v": vs,
                "bbox": (min(s.x0 for s in segs), min(s.y0 for s in segs), max(s.x1 for s in segs), max(s.y1 for s in segs)),
            })
    return tables


def _distinct(values, tol: float = 2.0) -> list[float]:
    """Values merged when closer than tol."""
    out: list[float] = []
    for v in sorted(values):
        if not out or v - out[-1] > tol:
            out.append(v)
    return out


def _table_of(frag: _Line, tables: list[dict]) -> int | None:
    """Index of the table whose area holds the fragment's centre, if any."""
    cx, cy = (frag.x0 + frag.x1) / 2, (frag.y0 + frag.y1) / 2
    for i, t in enumerate(tables):
        x0, y0, x1, y1 = t["bbox"]
        if x0 - 1 <= cx <= x1 + 1 and y0 - 1 <= cy <= y1 + 1:
            return i
    return None


def _line_fragments(chars: list, vsegs: list[_Seg], vx: list[float]) -> list[_Line]:
    """Turn one pdfminer line into text, split where a table's column border runs between characters."""
    chars = sorted(chars, key=lambda c: c.x0)
    out: list[_Line] = []
    current: list = []
    for ch in chars:
        if current and _border_between(current[-1], ch, vsegs, vx):
            out.extend(_make_line(current))
            current = []
        current.append(ch)
    out.extend(_make_line(current))
    return out


def _border_between(left, right, vsegs: list[_Seg], vx: list[float]) -> bool:
    """Does a vertical table ruling run between these two characters?"""
    if not vx:
        return False
    lo = bisect.bisect_left(vx, min(left.x1, right.x0) - 1.5)
    hi = bisect.bisect_right(vx, max(left.x1, right.x0) + 1.5)
    cy = (right.y0 + right.y1) / 2
    return any(vsegs[k].y0 - 1 <= cy <= vsegs[k].y1 + 1 for k in range(lo, hi))


def _make_line(chars: list) -> list[_Line]:
    """Text of a run of characters: CJK-aware spacing, duplicate (fake bold) glyphs dropped."""
    parts: list[str] = []
    kept = []
    pending_space = False
    prev = None
    for ch in chars:
        text = ch.get_text()
        if not text.strip():
            pending_space = True
            continue
        if prev is not None and text == prev.get_text() and abs(ch.x0 - prev.x0) < 0.3 * ch.size and abs(ch.y0 - prev.y0) < 0.3 * ch.size:
            continue  # the same glyph painted twice, slightly offset (a "bold" effect)
        if prev is not None:
            gap = ch.x0 - prev.x1
            size = min(ch.size, prev.size) or 1.0
            wide = gap > CELL_GAP_EM * size
            spaced = pending_space or gap > 0.25 * size
            if wide or (spaced and _latin(parts[-1][-1]) and _latin(text[0])):
                parts.append(" ")
        parts.append(text)
        kept.append(ch)
        prev = ch
        pending_space = False
    if not kept:
        return []
    sizes = [c.size for c in kept]
    lead_end = kept[0].x1
    for ch in kept[1:]:
        if not _latin(ch.get_text()[0]) or not _latin(kept[0].get_text()[0]):
            break
        lead_end = ch.x1
    return [_Line(
        text="".join(parts),
        x0=kept[0].x0,
        y0=min(c.y0 for c in kept),
        x1=max(c.x1 for c in kept),
        y1=max(c.y1 for c in kept),
        size=statistics.median(sizes),
        lead=lead_end - kept[0].x0,
    )]


def _table_rows(table: dict, members: list[_Line]) -> list[_Row]:
    """Assign fragments to cells bounded by the table's rulings; one _Row per row of cells."""
    tx0, ty0, tx1, ty1 = table["bbox"]
    cells: dict[tuple, list[_Line]] = {}
    for frag in members:
        cx, cy = (frag.x0 + frag.x1) / 2, (frag.y0 + frag.y1) / 2
        top = min((s.y0 for s in table["h"] if s.y0 >= cy and s.x0 - 2 <= cx <= s.x1 + 2), default=ty1)
        bottom = max((s.y0 for s in table["h"] if s.y0 < cy and s.x0 - 2 <= cx <= s.x1 + 2), default=ty0)
        left = max((s.x0 for s in table["v"] if s.x0 <= cx and s.y0 - 2 <= cy <= s.y1 + 2), default=tx0)
        right = min((s.x0 for s in table["v"] if s.x0 > cx and s.y0 - 2 <= cy <= s.y1 + 2), default=tx1)
        cells.setdefault((round(top), round(left), round(bottom), round(right)), []).append(frag)
    rows: dict[int, list[tuple[float, str]]] = {}
    tops = _distinct(key[0] for key in cells)
    for (top, left, _bottom, _right), frags in cells.items():
        frags.sort(key=lambda f: (-f.y1, f.x0))
        text = frags[0].text
        for prev, frag in zip(frags, frags[1:]):
            text = _join(text, frag.text)
        row_top = min(tops, key=lambda t: abs(t - top))
        rows.setdefault(row_top, []).append((left, text))
    out = []
    for top in sorted(rows, reverse=True):
        cells_text = [t for _, t in sorted(rows[top])]
        out.append(_Row(text=CELL_SEPARATOR.join(cells_text), y1=top))
    return out


# -- page furniture -------------------------------------------------------------


def _normalise_furniture(text: str) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", text))


def _in_band(line: _Line, page: _Page) -> str | None:
    """'top' or 'bottom' when the line lies in the page's margin band."""
    band = MARGIN_BAND * page.height
    if line.y0 >= page.height - band:
        return "top"
    if line.y1 <= band:
        return "bottom"
    return None


def _band_candidates(page: _Page) -> list[_Line]:
    """The two outermost flow lines at the top and at the bottom, if inside the band."""
    flow = [it for it in page.items if isinstance(it, _Line)]
    top = sorted((l for l in flow if _in_band(l, page) == "top"), key=lambda l: -l.y1)[:2]
    bottom = sorted((l for l in flow if _in_band(l, page) == "bottom"), key=lambda l: l.y0)[:2]
    return top + bottom


def _drop_page_furniture(pages: list[_Page]) -> None:
    """Remove page numbers and running headers/footers in place."""
    seen: Counter[str] = Counter()
    for page in pages:
        seen.update({_normalise_furniture(l.text) for l in _band_candidates(page)})
    need = max(2, math.ceil(REPEAT_SHARE * len(pages)))
    running = {key for key, n in seen.items() if n >= need and len(pages) >= 2}
    for page in pages:
        candidates = {id(l) for l in _band_candidates(page)}
        kept = []
        for item in page.items:
            if isinstance(item, _Line) and _in_band(item, page):
                if _PAGE_NUMBER.match(item.text.strip()):
                    continue
                if id(item) in candidates and _normalise_furniture(item.text) in running:
                    continue
            kept.append(item)
        page.items = kept


# -- paragraphs ------------------------------------------------------------------


def _is_cjk(ch: str) -> bool:
    """Chinese/Japanese/Korean characters and full-width punctuation."""
    o = ord(ch)
    return (
        0x2E80 <= o <= 0x9FFF
        or 0xAC00 <= o <= 0xD7AF
        or 0xF900 <= o <= 0xFAFF
        or 0xFE30 <= o <= 0xFE4F
        or 0xFF00 <= o <= 0xFFEF
        or 0x20000 <= o <= 0x3FFFF
        or 0x2010 <= o <= 0x2027  # — ‘ ’ “ ” … used in Chinese text
    )


def _latin(ch: str) -> bool:
    """A character after/before which a word space matters (not CJK, not a space)."""
    return not ch.isspace() and not _is_cjk(ch)


def _join(a: str, b: str) -> str:
    """Join two pieces of one paragraph: a space only between two Latin words."""
    if not a:
        return b
    if not b:
        return a
    if a[-1].isalnum() and b[0].isalnum() and not _is_cjk(a[-1]) and not _is_cjk(b[0]):
        return f"{a} {b}"
    if a[-1] in ",;:.!?)" and b[0].isalnum() and not _is_cjk(b[0]):
        return f"{a} {b}"
    return a + b


@dataclass
class _Metrics:
    """Text-block geometry of a page, for paragraph decisions."""

    left: float
    right: float
    pitch: float


def _block_edges(pages: list[_Page]) -> dict[int, tuple[float, float]]:
    """Left and right edge of the text block for each page width, over the whole document.

    The right edge is the 90th percentile of line ends (justified body lines
    reach it; a sparse cover page alone would not tell); the left edge is the
    leftmost line start shared by several lines.
    """
    by_width: dict[int, list[_Line]] = {}
    for page in pages:
        by_width.setdefault(round(page.width), []).extend(it for it in page.items if isinstance(it, _Line))
    edges = {}
    for width, lines in by_width.items():
        if not lines:
            continue
        ends = sorted(l.x1 for l in lines)
        right = ends[int(0.9 * (len(ends) - 1))]
        starts = Counter(round(l.x0 / 2) for l in lines)
        support = max(2, 0.05 * len(lines))
        common = [k * 2 for k, n in starts.items() if n >= support]
        left = min(common) if common else min(l.x0 for l in lines)
        edges[width] = (left, right)
    return edges


def _metrics(page: _Page, edges: dict[int, tuple[float, float]]) -> _Metrics | None:
    """Document-wide block edges for this page's width, and this page's line pitch."""
    flow = [it for it in page.items if isinstance(it, _Line)]
    if not flow:
        return None
    left, right = edges[round(page.width)]
    pitches = [a.y0 - b.y0 for a, b in zip(flow, flow[1:]) if 0 < a.y0 - b.y0 <= 3 * max(a.size, b.size)]
    pitch = statistics.median(pitches) if pitches else 1.5 * statistics.median(l.size for l in flow)
    return _Metrics(left=left, right=right, pitch=pitch)


def _continues(a: _Line, ma: _Metrics, b: _Line, mb: _Metrics, same_page: bool, body_size: float) -> bool:
    """Does line b carry on the paragraph that line a belongs to?"""
    size = max(a.size, b.size)
    if abs(a.size - b.size) > 0.15 * size:
        return False
    if same_page:
        drop = a.y0 - b.y0
        if drop <= 0.3 * size or drop > max(1.6 * ma.pitch, 1.3 * size) + 1:
            return False  # not directly below: a gap, another column, or out of order
        if b.x0 > a.x1:
            return False  # starts right of where the line above ends: another column or cell
    if same_page and _is_heading_pair(a, b, ma, body_size):
        return True
    if b.x0 - mb.left >= 1.2 * b.size:
        return False  # indented: a new paragraph
    room = ma.right - a.x1
    if room <= max(1.5 * a.size, 0.04 * (ma.right - ma.left)):
        return True
    # a shorter line still continues when the next line's first word would not have fit
    return not a.text.endswith(_SENTENCE_END) and room < b.lead + 0.5 * a.size


def _is_heading_pair(a: _Line, b: _Line, m: _Metrics, body_size: float) -> bool:
    """Two centred lines of a title in a large font, wrapped."""
    if a.size < 1.15 * body_size:
        return False
    centre = (m.left + m.right) / 2
    return abs((a.x0 + a.x1) / 2 - centre) < 2 * a.size and abs((b.x0 + b.x1) / 2 - centre) < 2 * a.size


def _assemble(pages: list[_Page]) -> str:
    """Join lines into paragraphs (across pages too); one paragraph or table row a line."""
    sizes = Counter()
    for page in pages:
        for it in page.items:
            if isinstance(it, _Line):
                sizes[round(it.size)] += len(it.text)
    body_size = sizes.most_common(1)[0][0] if sizes else 12.0
    edges = _block_edges(pages)
    paragraphs: list[str] = []
    prev: tuple[_Line, _Metrics, int] | None = None
    for page in pages:
        metrics = _metrics(page, edges)
        for item in page.items:
            if isinstance(item, _Row):
                paragraphs.append(item.text)
                prev = None
                continue
            if prev is not None and _continues(prev[0], prev[1], item, metrics, prev[2] == page.number, body_size):
                paragraphs[-1] = _join(paragraphs[-1], item.text)
            else:
                paragraphs.append(item.text)
            prev = (item, metrics, page.number)
    lines = (" ".join(p.split()) if CELL_SEPARATOR not in p else _tidy_row(p) for p in paragraphs)
    return "\n".join(line for line in lines if line)


def _tidy_row(row: str) -> str:
    """Collapse spaces inside the cells of a table row, keeping the cell separators."""
    cells = (" ".join(c.split()) for c in row.split(CELL_SEPARATOR))
    return CELL_SEPARATOR.join(c for c in cells if c)
