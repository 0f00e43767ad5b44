"""Reading a PDF document with pdfminer: every page's items, and the Info title."""
from __future__ import annotations

import re
import time
from pathlib import Path

from policy_search.errors import CorruptDocumentError, FileTooLargeError

from .chars import is_cjk
from .interpreter import clip_aware_interpreter, guarded_aggregator
from .model import BudgetExceeded, Page
from .page import page_items

#: pdfminer layout parameters (see pdfminer.layout.LAParams).
LAPARAMS = dict(line_margin=0.5, char_margin=2.0, word_margin=0.1, boxes_flow=0.5, all_texts=True)

_NOISE_TITLES = {"untitled", "无标题", "document", "文档", "microsoft word", "wps 文字", "powerpoint presentation"}
_FILENAME_TITLE = re.compile(r"(?i)(^microsoft\s+(word|excel|powerpoint)\s*-|\.(docx?|wps|pdf|rtf|txt|xlsx?|pptx?|html?)\s*$)")


def read_pages(path: Path, deadline: float, max_pages: int) -> tuple[list[Page], str | None, int, int]:
    """Interpret every page; return pages, title, undecodable and total char counts."""
    from pdfminer.layout import LAParams
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfinterp import PDFResourceManager
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser

    pages: list[Page] = []
    cid_count = char_count = 0
    with path.open("rb") as fh:
        document = PDFDocument(PDFParser(fh), password="")
        title = document_title(document)
        manager = PDFResourceManager(caching=True)
        device = guarded_aggregator(manager, LAParams(**LAPARAMS), deadline)
        interpreter = clip_aware_interpreter(manager, device)
        for number, page in enumerate(PDFPage.create_pages(document), start=1):
            if number > max_pages:
                raise FileTooLargeError(f"PDF has more than {max_pages:,} pages; split it into smaller files")
            interpreter.process_page(page)
            layout = device.get_result()
            parsed, cids, chars = page_items(layout, number)
            pages.append(parsed)
            cid_count += cids
            char_count += chars
            if time.monotonic() > deadline:
                raise BudgetExceeded
    if not pages:
        raise CorruptDocumentError("PDF has no pages")
    return pages, title, cid_count, char_count


def document_title(document) -> str | None:
    """A sensible Title from the PDF info dictionary, or None."""
    from pdfminer.pdftypes import resolve1

    for info in document.info:
        try:
            raw = resolve1(info.get("Title")) if isinstance(info, dict) else None
        except Exception:  # a damaged info dictionary must not cost us the text
            continue
        if isinstance(raw, bytes):
            raw = decode_pdf_string(raw)
        if not isinstance(raw, str):
            continue
        title = " ".join(raw.replace("\x00", "").split())
        if _is_sensible_title(title):
            return title
    return None


def _is_sensible_title(title: str) -> bool:
    """Not empty, not too long, not a tool's placeholder or a file name, with some letters."""
    if not title or len(title) > 300 or title.casefold() in _NOISE_TITLES or _FILENAME_TITLE.search(title):
        return False
    return any(ch.isalpha() for ch in title)


def decode_pdf_string(raw: bytes) -> str:
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
            if any(is_cjk(ch) for ch in text):
                return text
    return decode_text(raw)
