"""``parse()``: a .docx file to a RawDocument, with the error mapping and the title."""
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
    FileTooLargeError,
    UnsupportedFormatError,
)

from ..base import MAX_TEXT_CHARS, RawDocument
from .body import body_lines
from .guard import check_container, reason
from .numbering import Numbering

#: Titles that tools fill in by themselves (python-docx writes "Word Document"
#: when a file has no core properties part).
_NOISE_TITLES = {"word document", "untitled", "无标题", "document", "文档", "microsoft word"}
_FILENAME_TITLE = re.compile(r"(?i)(^microsoft word\s*-|\.(docx?|wps|pdf|rtf|txt)\s*$)")


def parse(path: Path) -> RawDocument:
    """Read a .docx file's body text (paragraphs and table rows) and its title."""
    path = Path(path)
    check_container(path)
    lines, title = _read(path)
    text = "\n".join(lines)
    if not text:
        raise EmptyDocumentError("Word document holds no text (only empty paragraphs, pictures or headers)")
    if len(text) > MAX_TEXT_CHARS:
        raise FileTooLargeError(f"Word document holds over {MAX_TEXT_CHARS:,} characters of text; split it into smaller files")
    metadata = {"title": title} if title else {}
    return RawDocument(text=text, format="docx", metadata=metadata, source_path=path)


def _read(path: Path) -> tuple[list[str], str | None]:
    """Body lines and title through python-docx; its exceptions as DocumentErrors."""
    try:
        import docx as python_docx  # python-docx; imported late, it is slow to load

        document = python_docx.Document(str(path))
        lines = body_lines(document.element.body, Numbering.of(document))
        title = core_title(document)
    except DocumentError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise CorruptDocumentError(f"Word document is damaged or incomplete ({reason(exc)})") from exc
    except etree.XMLSyntaxError as exc:
        raise xml_error(exc) from exc
    except KeyError as exc:
        raise CorruptDocumentError(f"Word document is damaged: a part is missing or is not valid XML ({reason(exc)})") from exc
    except ValueError as exc:
        if "not a Word file" in str(exc):  # e.g. a .dotx template or a .docm renamed
            raise UnsupportedFormatError(f"not a Word document body ({reason(exc)}); save it as a normal .docx") from exc
        raise CorruptDocumentError(f"Word document could not be read ({reason(exc)})") from exc
    except MemoryError as exc:
        raise FileTooLargeError("Word document is too large to read into memory") from exc
    except Exception as exc:  # python-docx raises many kinds on odd files
        raise CorruptDocumentError(f"Word document could not be read ({reason(exc)})") from exc
    return lines, title


def xml_error(exc: etree.XMLSyntaxError) -> DocumentError:
    """The reason for XML that python-docx's parser refused; libxml2's safety limits named plainly."""
    message = str(exc).lower()
    if "depth" in message:
        return CorruptDocumentError(
            "Word document's XML is nested too deeply (over 256 levels) to read; "
            "the file is damaged or built to crash readers")
    if "text node" in message:
        return FileTooLargeError(
            "Word document holds a single piece of text over 10 MB without a break; "
            "the file is damaged or built to exhaust memory")
    return CorruptDocumentError(f"Word document is damaged: a part is missing or is not valid XML ({reason(exc)})")


def core_title(document) -> str | None:
    """The document's title property, if it states one."""
    try:
        title = document.core_properties.title
    except Exception:  # a damaged core.xml must not cost us the body text
        return None
    title = " ".join((title or "").split())
    if not title or title.casefold() in _NOISE_TITLES or _FILENAME_TITLE.search(title):
        return None
    return title
