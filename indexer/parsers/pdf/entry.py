"""``parse()``: a PDF file to a RawDocument, with the file checks and error mapping."""
from __future__ import annotations

import time
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

from ..base import MAX_FILE_BYTES, MAX_TEXT_CHARS, RawDocument
from .furniture import drop_page_furniture
from .model import BudgetExceeded
from .paragraphs import assemble
from .reader import read_pages

#: Refuse PDFs with more pages than this.
MAX_PAGES = 2_000
#: Wall-clock seconds one file may take; overridable per call.
TIME_BUDGET_S = 60.0
#: A complete PDF ends with %%EOF within this many bytes of its end.
EOF_SEARCH_BYTES = 4096
#: Undecodable glyphs ``(cid:NN)`` over this share of all characters: the text is unusable.
CID_ERROR_SHARE = 0.3


def parse(path: Path, *, time_budget: float = TIME_BUDGET_S, max_pages: int = MAX_PAGES) -> RawDocument:
    """Read a PDF's text layer in reading order, without page furniture."""
    path = Path(path)
    check_file(path)
    try:
        text, title, warnings = _extract(path, time.monotonic() + time_budget, max_pages)
    except DocumentError:
        raise
    except BudgetExceeded as exc:
        raise CorruptDocumentError(
            f"PDF took longer than {time_budget:g} s to read and was abandoned; it is unusually complex or malformed"
        ) from exc
    except MemoryError as exc:
        raise FileTooLargeError("PDF is too large to read into memory") from exc
    except RecursionError as exc:
        raise CorruptDocumentError("PDF is malformed (its object structure nests without end)") from exc
    except Exception as exc:  # pdfminer raises many kinds on damaged files
        raise translate_error(exc) from exc
    metadata = {"title": title} if title else {}
    return RawDocument(text=text, format="pdf", metadata=metadata, warnings=warnings, source_path=path)


def _extract(path: Path, deadline: float, max_pages: int) -> tuple[str, str | None, list[str]]:
    """Text, title and warnings of a PDF; DocumentError for unusable text."""
    pages, title, cid_count, char_count = read_pages(path, deadline, max_pages)
    warnings = _undecodable_warnings(cid_count, char_count)
    drop_page_furniture(pages)
    text = assemble(pages)
    if not text:
        raise NoTextLayerError("scanned/image-only PDF: no text layer beyond page numbers; run OCR first")
    if len(text) > MAX_TEXT_CHARS:
        raise FileTooLargeError(f"PDF holds over {MAX_TEXT_CHARS:,} characters of text; split it into smaller files")
    return text, title, warnings


def _undecodable_warnings(cid_count: int, char_count: int) -> list[str]:
    """Refuse a PDF without usable text; a warning when some characters could not be decoded."""
    if char_count == 0:
        raise NoTextLayerError("scanned/image-only PDF: no text layer; run OCR first")
    if cid_count / char_count > CID_ERROR_SHARE:
        raise NoTextLayerError(
            f"PDF text cannot be decoded: {cid_count / char_count:.0%} of its characters use fonts without a "
            "Unicode mapping; run OCR on it first"
        )
    if not cid_count:
        return []
    return [
        f"{cid_count} of {char_count} characters ({cid_count / char_count:.1%}) could not be decoded "
        "(fonts without a Unicode mapping) and were left out"
    ]


def check_file(path: Path) -> None:
    """Size, emptiness, signature and completeness, before pdfminer reads it."""
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(1024)
            fh.seek(max(0, size - EOF_SEARCH_BYTES))
            tail = fh.read()
    except OSError as exc:
        raise CorruptDocumentError(f"PDF cannot be opened ({reason(exc)})") from exc
    if size == 0:
        raise EmptyDocumentError("file is empty (0 bytes)")
    if size > MAX_FILE_BYTES:
        raise FileTooLargeError(f"file is {size / 2**20:.0f} MB, over the {MAX_FILE_BYTES // 2**20} MB limit")
    if b"%PDF-" not in head:
        _refuse_non_pdf(head)
    if b"%%EOF" not in tail:
        raise CorruptDocumentError(
            "PDF is incomplete (it has no end-of-file marker): the download or copy was probably cut off"
        )


def _refuse_non_pdf(head: bytes) -> None:
    """Raise an error naming what a file without a %PDF header probably is."""
    if head.startswith(b"PK\x03\x04"):
        raise UnsupportedFormatError("not a PDF: the file is a ZIP package (perhaps a .docx) with a .pdf name")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnsupportedFormatError("not a PDF: the file is an old Office document (.doc/.xls) with a .pdf name")
    if head.lstrip()[:5].lower() in (b"<html", b"<!doc"):
        raise UnsupportedFormatError("not a PDF: the file is a web page (HTML) with a .pdf name")
    raise CorruptDocumentError("not a PDF file (no %PDF header): the file is damaged or has the wrong name")


def translate_error(exc: Exception) -> DocumentError:
    """Turn a pdfminer exception into a DocumentError a person can act on."""
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

    if isinstance(exc, PDFPasswordIncorrect):
        return EncryptedDocumentError("PDF is encrypted (password protected); save an unprotected copy and ingest that")
    if isinstance(exc, PDFEncryptionError):
        return EncryptedDocumentError(
            f"PDF is encrypted with a method we cannot open ({reason(exc)}); save an unprotected copy and ingest that"
        )
    return CorruptDocumentError(f"PDF is damaged and cannot be read ({reason(exc)})")


def reason(exc: BaseException) -> str:
    """A short, single-line reason from an exception, for error messages."""
    msg = " ".join(str(exc).split())[:200]
    return f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__
