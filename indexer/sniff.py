"""Working out a file's real format from its content, the extension only breaking ties."""
from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

from policy_search.errors import EncryptedDocumentError, UnsupportedFormatError

from .textcodec import bom_encoding, utf16_without_bom

_HEAD_BYTES = 4096
_HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body|meta|title|div|p)\b",
                         re.IGNORECASE | re.DOTALL)
_MARKDOWN_EXTENSIONS = {".md", ".markdown"}
#: The format a file's extension promises, for the ones people use for policies (an unknown
#: extension, or none, promises nothing).
EXTENSION_FORMATS = {
    ".pdf": "pdf", ".docx": "docx", ".doc": "doc", ".html": "html", ".htm": "html", ".shtml": "html",
    ".md": "md", ".markdown": "md", ".txt": "txt", ".tsv": "tsv", ".jsonl": "jsonl",
}
#: Formats named for people, in the batch report.
FORMAT_NAMES = {
    "pdf": "PDF", "docx": "Word (.docx)", "doc": "old Word (.doc)", "html": "HTML", "md": "Markdown",
    "txt": "plain text", "tsv": "TSV (one policy a row)", "jsonl": "JSON Lines (one policy a line)",
}
#: Plain text and Markdown are read alike: one written as the other is no surprise.
_TEXT_FORMATS = {"txt", "md"}


def _looks_binary(head: bytes) -> bool:
    """True when bytes that are not UTF-16/32 text hold NULs or many control characters."""
    if bom_encoding(head) or utf16_without_bom(head):
        return False
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    return bool(head) and controls / len(head) > 0.05


def _text_head(head: bytes) -> bytes:
    """The head of a text file as ASCII-compatible bytes (UTF-16 folded down)."""
    encoding = bom_encoding(head) or utf16_without_bom(head)
    if encoding in ("utf-16", "utf-32", "utf-16-le", "utf-16-be"):
        try:
            return head.decode(encoding, errors="ignore").encode("utf-8")
        except UnicodeError:
            return head
    return head.removeprefix(b"\xef\xbb\xbf")


def _zip_format(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile as exc:
        raise UnsupportedFormatError(f"damaged ZIP/Word file ({exc})",
                                     hint="open it in Word and save it again") from exc
    if "word/document.xml" in names:
        return "docx"
    raise UnsupportedFormatError("ZIP archive that is not a Word (.docx) document",
                                 hint="unpack it and ingest the documents inside")


def _bulk_format(path: Path, head: bytes) -> str | None:
    suffix = path.suffix.lower()
    first_line = _text_head(head).split(b"\n", 1)[0].strip()
    columns = first_line.decode("utf-8", errors="ignore").split("\t")
    if suffix == ".tsv" or ("docid" in columns and "text" in columns):
        return "tsv"
    if suffix == ".jsonl" or first_line.startswith(b"{"):
        try:
            if suffix == ".jsonl" or isinstance(json.loads(first_line), dict):
                return "jsonl"
        except ValueError:
            return None
    return None


def sniff_format(path: Path) -> str:
    """One of pdf, docx, html, md, txt, tsv, jsonl; raises for what we cannot read."""
    with open(path, "rb") as handle:
        head = handle.read(_HEAD_BYTES)
    if head.startswith(b"%PDF-") or b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return _zip_format(path)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise EncryptedDocumentError(
            "old Word (.doc) or password-protected Office file",
            hint="open it in Word and save it as .docx without a password")
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"II*\x00", b"MM\x00*")):
        raise UnsupportedFormatError("an image, not a document",
                                     hint="policies must be PDF, Word, HTML or text files")
    if _looks_binary(head):
        raise UnsupportedFormatError("binary data, not a document format we read",
                                     hint="supported: PDF, DOCX, HTML, TXT, MD, TSV, JSONL")
    text_head = _text_head(head)
    bulk = _bulk_format(path, head)
    if bulk:
        return bulk
    if _HTML_START.match(text_head) or path.suffix.lower() in (".html", ".htm", ".shtml"):
        return "html"
    if path.suffix.lower() in _MARKDOWN_EXTENSIONS or text_head.lstrip().startswith(b"# "):
        return "md"
    return "txt"


def extension_mismatch(path: Path, fmt: str) -> str | None:
    """A warning for the batch report when a file's extension promises another format than
    the content ``fmt`` it was read as (which wins), naming both; None when they agree.

    >>> extension_mismatch(Path("a.docx"), "txt")
    'the extension .docx says Word (.docx), but the content is plain text: read as plain text'
    >>> extension_mismatch(Path("a.txt"), "md") is None, extension_mismatch(Path("notes"), "html") is None
    (True, True)
    """
    suffix = path.suffix.lower()
    promised = EXTENSION_FORMATS.get(suffix)
    if promised is None or promised == fmt or {promised, fmt} <= _TEXT_FORMATS:
        return None
    found = FORMAT_NAMES.get(fmt, fmt)
    return (f"the extension {suffix} says {FORMAT_NAMES[promised]}, but the content is {found}: "
            f"read as {found}")
