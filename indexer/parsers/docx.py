"""Word 2007+ (.docx) files: body paragraphs and tables in document order.

What comes out, one line each: every non-empty body paragraph (a manual line
break ``w:br`` inside a paragraph also starts a new line), every table row
(its cells joined by a TAB, ``CELL_SEPARATOR``; a cell's own paragraphs are
joined by a space), and the paragraphs of text boxes, right after the
paragraph that anchors them. Headers, footers, comments, footnotes and
deleted (tracked) text are left out. Numbering that Word generates (``w:numPr``)
is not in the text; numbers typed into the text (``一、``, ``（二）``, ``1.``)
are kept as they are.

Before python-docx sees the file, the zip is checked without inflating it:
declared uncompressed sizes against ``MAX_INFLATED_BYTES``, compression ratios
(decompression bombs), member count, the presence of ``word/document.xml``,
and the head of every XML part for a DTD (``<!DOCTYPE``/``<!ENTITY``: Word
never writes one, and entity expansion is the "billion laughs" attack;
python-docx's own parser also has ``resolve_entities=False``).
"""
from __future__ import annotations

import re
import zipfile
import zlib
from pathlib import Path

from lxml import etree

from policy_search.errors import (
    CorruptDocumentError,
    DocumentError,
    EmptyDocumentError,
    EncryptedDocumentError,
    FileTooLargeError,
    UnsupportedFormatError,
)

from .base import MAX_FILE_BYTES, MAX_INFLATED_BYTES, MAX_TEXT_CHARS, RawDocument

#: Cells of a table row are joined with this (a tab: whitespace to a tokenizer,
#: and still visibly a column break in a snippet).
CELL_SEPARATOR = "\t"
#: Refuse a member that inflates more than this many times its packed size...
MAX_COMPRESSION_RATIO = 100
#: ...once it is bigger than this (small XML parts legitimately reach 100:1).
RATIO_CHECK_MIN_BYTES = 4 * 1024 * 1024
#: A real .docx has a few dozen parts; thousands is a malformed or hostile zip.
MAX_ZIP_MEMBERS = 5_000
#: How far into an XML part we look for the start of the root element.
MAX_PROLOG_BYTES = 256 * 1024

_MAIN_PART = "word/document.xml"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK"
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_WPS_TXBX = "{http://schemas.microsoft.com/office/word/2010/wordprocessingShape}txbx"
_V_TEXTBOX = "{urn:schemas-microsoft-com:vml}textbox"


def _w(tag: str) -> str:
    return f"{{{_W}}}{tag}"


_P, _TBL, _TR, _TC, _R = _w("p"), _w("tbl"), _w("tr"), _w("tc"), _w("r")
_T, _TAB, _BR, _CR = _w("t"), _w("tab"), _w("br"), _w("cr")
_NB_HYPHEN, _SOFT_HYPHEN = _w("noBreakHyphen"), _w("softHyphen")
_TXBX_CONTENT, _SDT_CONTENT = _w("txbxContent"), _w("sdtContent")
_VMERGE, _TCPR = _w("vMerge"), _w("tcPr")
_ALT_CONTENT, _MC_CHOICE = f"{{{_MC}}}AlternateContent", f"{{{_MC}}}Choice"
#: Subtrees whose text is not part of the visible body text.
_SKIP = {
    _w("del"), _w("moveFrom"), _w("instrText"), _w("delText"), _w("pPr"), _w("rPr"),
    _w("footnoteReference"), _w("endnoteReference"), _w("commentReference"),
    _w("fldData"), _w("sectPr"), _TCPR, _w("tblPr"), _w("tblGrid"), _w("trPr"), _w("sdtPr"),
}
#: Containers whose children are body-level blocks (paragraphs, tables ...).
_BLOCK_CONTAINERS = {_SDT_CONTENT, _w("customXml"), _w("ins"), _w("moveTo"), _w("sdt")}
#: Titles that tools fill in by themselves (python-docx writes "Word Document"
#: when a file has no core properties part).
_NOISE_TITLES = {"word document", "untitled", "无标题", "document", "文档", "microsoft word"}
_FILENAME_TITLE = re.compile(r"(?i)(^microsoft word\s*-|\.(docx?|wps|pdf|rtf|txt)\s*$)")
_LINE_STRIP = " \t\u3000\xa0\u200b\ufeff"
_SPACES = re.compile(r"[ \u3000\xa0]{2,}")


def parse(path: Path) -> RawDocument:
    """Read a .docx file's body text (paragraphs and table rows) and its title."""
    path = Path(path)
    _check_container(path)
    try:
        import docx as python_docx  # python-docx; imported late, it is slow to load

        document = python_docx.Document(str(path))
        lines = _body_lines(document.element.body)
        title = _core_title(document)
    except DocumentError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise CorruptDocumentError(f"Word document is damaged or incomplete ({_reason(exc)})") from exc
    except (KeyError, etree.XMLSyntaxError) as exc:
        raise CorruptDocumentError(f"Word document is damaged: a part is missing or is not valid XML ({_reason(exc)})") from exc
    except ValueError as exc:
        if "not a Word file" in str(exc):  # e.g. a .dotx template or a .docm renamed
            raise UnsupportedFormatError(f"not a Word document body ({_reason(exc)}); save it as a normal .docx") from exc
        raise CorruptDocumentError(f"Word document could not be read ({_reason(exc)})") from exc
    except MemoryError as exc:
        raise FileTooLargeError("Word document is too large to read into memory") from exc
    except Exception as exc:  # python-docx raises many kinds on odd files
        raise CorruptDocumentError(f"Word document could not be read ({_reason(exc)})") from exc
    text = "\n".join(lines)
    if not text:
        raise EmptyDocumentError("Word document holds no text (only empty paragraphs, pictures or headers)")
    if len(text) > MAX_TEXT_CHARS:
        raise FileTooLargeError(f"Word document holds over {MAX_TEXT_CHARS:,} characters of text; split it into smaller files")
    metadata = {"title": title} if title else {}
    return RawDocument(text=text, format="docx", metadata=metadata, source_path=path)


def _reason(exc: BaseException) -> str:
    """A short, single-line reason from an exception, for error messages."""
    msg = " ".join(str(exc).split())[:200]
    return f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__


# -- container checks, before python-docx touches the file ------------------


def _check_container(path: Path) -> None:
    """Refuse files that are not a sane .docx zip, without inflating anything large."""
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise CorruptDocumentError(f"Word document cannot be opened ({_reason(exc)})") from exc
    if size == 0:
        raise EmptyDocumentError("file is empty (0 bytes)")
    if size > MAX_FILE_BYTES:
        raise FileTooLargeError(f"file is {size / 2**20:.0f} MB, over the {MAX_FILE_BYTES // 2**20} MB limit")
    if head.startswith(_OLE_MAGIC):
        _refuse_ole(path)
    if not head.startswith(_ZIP_MAGIC):
        raise UnsupportedFormatError(f"not a Word .docx file: {_sniff(head)}")
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            _check_members(infos)
            for info in infos:
                if info.filename.endswith((".xml", ".rels")):
                    _check_prolog(zf, info)
    except DocumentError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError) as exc:
        raise CorruptDocumentError(f"Word document is damaged or incomplete (its zip structure cannot be read: {_reason(exc)})") from exc


def _sniff(head: bytes) -> str:
    """Name what a non-zip file probably is, for the error message."""
    if head.startswith(b"%PDF"):
        return "it is a PDF file"
    if head.lstrip().lower().startswith((b"<html", b"<!doc", b"<?xml")):
        return "it is an HTML/XML text file"
    if head.startswith(b"{\\rtf"):
        return "it is an RTF file; save it as .docx"
    return "its content is not a zip package (damaged, or a different format with a .docx name)"


def _refuse_ole(path: Path) -> None:
    """An OLE compound file: an encrypted .docx or an old binary .doc."""
    data = path.read_bytes()
    if "EncryptedPackage".encode("utf-16-le") in data or "EncryptionInfo".encode("utf-16-le") in data:
        raise EncryptedDocumentError(
            "Word document is encrypted (password protected); save a copy as .docx without a password and ingest that"
        )
    if "WordDocument".encode("utf-16-le") in data:
        raise UnsupportedFormatError("old Word 97-2003 .doc format; open it in Word or WPS and save it as .docx")
    raise UnsupportedFormatError(
        "encrypted Word document or old .doc/.xls format (an OLE compound file); save it as .docx without a password"
    )


def _check_members(infos: list[zipfile.ZipInfo]) -> None:
    """Declared sizes, ratios and member count, read from the zip directory only."""
    if len(infos) > MAX_ZIP_MEMBERS:
        raise FileTooLargeError(f"Word document's zip holds {len(infos):,} parts, over the {MAX_ZIP_MEMBERS:,} limit")
    names = {info.filename for info in infos}
    if _MAIN_PART not in names:
        raise UnsupportedFormatError("zip file is not a Word document (it has no word/document.xml)")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise EncryptedDocumentError("Word document's zip is password protected; save an unprotected copy and ingest that")
        total += info.file_size
        if total > MAX_INFLATED_BYTES:
            raise FileTooLargeError(
                f"Word document would inflate to over {MAX_INFLATED_BYTES // 2**20} MB when unpacked; refused as a possible zip bomb"
            )
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_CHECK_MIN_BYTES and ratio > MAX_COMPRESSION_RATIO:
            raise FileTooLargeError(
                f"Word document part {info.filename} is compressed {ratio:,.0f}:1 "
                f"(over {MAX_COMPRESSION_RATIO}:1); refused as a possible zip bomb"
            )


def _check_prolog(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Refuse an XML part that declares a DTD or entities before its root element."""
    with zf.open(info) as fh:
        head = fh.read(MAX_PROLOG_BYTES)
    text = _decode_head(head)
    pos = 0
    while True:
        lt = text.find("<", pos)
        if lt < 0:
            if len(head) >= MAX_PROLOG_BYTES:
                raise CorruptDocumentError(f"Word document part {info.filename} has no XML root element in its first {MAX_PROLOG_BYTES // 1024} KB")
            return  # empty or tiny part: python-docx will judge it
        nxt = text[lt + 1: lt + 2]
        if nxt == "?":
            end = text.find("?>", lt)
        elif text.startswith("<!--", lt):
            end = text.find("-->", lt)
        elif nxt == "!":
            raise CorruptDocumentError(
                f"Word document part {info.filename} declares a DTD/XML entities, which Word never writes; "
                "refused as unsafe (possible entity-expansion attack)"
            )
        else:
            return  # the root element starts: no DTD can follow
        if end < 0:
            return
        pos = end + 2


def _decode_head(head: bytes) -> str:
    """Decode the first bytes of an XML part (UTF-8, or UTF-16 with a BOM)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head[: len(head) // 2 * 2].decode("utf-16", errors="replace")
    return head.decode("utf-8", errors="replace")


# -- body text ---------------------------------------------------------------


def _body_lines(body) -> list[str]:
    """All text lines of the document body in order."""
    out: list[str] = []
    _blocks(body, out)
    return out


def _blocks(container, out: list[str]) -> None:
    """Emit paragraphs and tables that are children of a block container."""
    for child in container:
        tag = child.tag
        if tag == _P:
            boxes: list = []
            _emit_lines(_paragraph_text(child, boxes), out)
            for box in boxes:
                _blocks(box, out)
        elif tag == _TBL:
            _table(child, out)
        elif tag in _BLOCK_CONTAINERS:
            _blocks(child, out)
        elif tag == _ALT_CONTENT:
            choice = child.find(_MC_CHOICE)
            if choice is not None:
                _blocks(choice, out)


def _emit_lines(text: str, out: list[str]) -> None:
    """Split on manual line breaks, tidy, and keep the non-empty lines."""
    for line in text.split("\n"):
        line = _SPACES.sub(" ", line.strip(_LINE_STRIP))
        if line:
            out.append(line)


def _paragraph_text(p, boxes: list) -> str:
    """A paragraph's visible text; text boxes found inside are added to ``boxes``."""
    parts: list[str] = []
    _inline(p, parts, boxes)
    return "".join(parts)


def _inline(elem, parts: list[str], boxes: list) -> None:
    """Walk runs, hyperlinks, fields ... in a paragraph, collecting text."""
    for child in elem:
        tag = child.tag
        if not isinstance(tag, str) or tag in _SKIP:
            continue
        if tag == _T:
            parts.append(child.text or "")
        elif tag == _TAB:
            parts.append(" ")
        elif tag in (_BR, _CR):
            parts.append("\n")
        elif tag == _NB_HYPHEN:
            parts.append("-")
        elif tag == _SOFT_HYPHEN:
            continue
        elif tag == _TXBX_CONTENT:
            boxes.append(child)
        elif tag == _ALT_CONTENT:
            choice = child.find(_MC_CHOICE)  # the fallback repeats the same content
            if choice is not None:
                _inline(choice, parts, boxes)
        elif tag == _P:  # a paragraph nested oddly (e.g. in an sdt inside a run)
            parts.append("\n")
            _inline(child, parts, boxes)
            parts.append("\n")
        else:
            _inline(child, parts, boxes)


def _table(tbl, out: list[str]) -> None:
    """One line a row, cells joined by CELL_SEPARATOR; merged cells counted once."""
    for tr in tbl.iter(_TR):
        if _enclosing_table(tr) is not tbl:
            continue  # rows of nested tables are read as part of their cell
        cells = []
        for tc in tr.iter(_TC):
            if _enclosing_row(tc) is not tr or _is_vmerge_continuation(tc):
                continue
            cell_lines: list[str] = []
            _blocks(tc, cell_lines)
            text = " ".join(line.replace(CELL_SEPARATOR, " ") for line in cell_lines)
            if text:
                cells.append(text)
        if cells:
            out.append(CELL_SEPARATOR.join(cells))


def _enclosing_table(elem):
    parent = elem.getparent()
    while parent is not None and parent.tag != _TBL:
        parent = parent.getparent()
    return parent


def _enclosing_row(elem):
    parent = elem.getparent()
    while parent is not None and parent.tag != _TR:
        parent = parent.getparent()
    return parent


def _is_vmerge_continuation(tc) -> bool:
    """A cell continuing a vertical merge repeats nothing; its text is in the top cell."""
    tcpr = tc.find(_TCPR)
    if tcpr is None:
        return False
    vmerge = tcpr.find(_VMERGE)
    return vmerge is not None and vmerge.get(_w("val"), "continue") == "continue"


def _core_title(document) -> str | None:
    """The document's title property, if it states one."""
    try:
        title = document.core_properties.title
    except Exception:  # a damaged core.xml must not cost us the body text
        return None
    title = " ".join((title or "").split())
    if not title or title.casefold() in _NOISE_TITLES or _FILENAME_TITLE.search(title):
        return None
    return title
