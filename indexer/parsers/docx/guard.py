"""Checks on the .docx container before python-docx sees it: format, zip bombs, DTDs.

The zip is checked without inflating it: declared uncompressed sizes against
``MAX_INFLATED_BYTES``, compression ratios (decompression bombs), member
count, the presence of ``word/document.xml``, and the head of every XML part
for a DTD (``<!DOCTYPE``/``<!ENTITY``: Word never writes one, and entity
expansion is the "billion laughs" attack).
"""
from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

from policy_search.errors import (
    CorruptDocumentError,
    DocumentError,
    EmptyDocumentError,
    EncryptedDocumentError,
    FileTooLargeError,
    UnsupportedFormatError,
)

from ..base import MAX_FILE_BYTES, MAX_INFLATED_BYTES

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


def reason(exc: BaseException) -> str:
    """A short, single-line reason from an exception, for error messages."""
    msg = " ".join(str(exc).split())[:200]
    return f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__


def check_container(path: Path) -> None:
    """Refuse files that are not a sane .docx zip, without inflating anything large."""
    size = _check_file_head(path)
    try:
        _check_zip(path, size)
    except DocumentError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError) as exc:
        raise CorruptDocumentError(f"Word document is damaged or incomplete (its zip structure cannot be read: {reason(exc)})") from exc


def _check_file_head(path: Path) -> int:
    """Size limits and the file signature (a zip, not OLE or another format); the file size."""
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise CorruptDocumentError(f"Word document cannot be opened ({reason(exc)})") from exc
    if size == 0:
        raise EmptyDocumentError("file is empty (0 bytes)")
    if size > MAX_FILE_BYTES:
        raise FileTooLargeError(f"file is {size / 2**20:.0f} MB, over the {MAX_FILE_BYTES // 2**20} MB limit")
    if head.startswith(_OLE_MAGIC):
        _refuse_ole(path)
    if not head.startswith(_ZIP_MAGIC):
        raise UnsupportedFormatError(f"not a Word .docx file: {_sniff(head)}")
    return size


def _check_zip(path: Path, size: int) -> None:
    """Member count, sizes and ratios from the zip directory, and the prolog of every XML part."""
    declared = _declared_member_count(path, size)
    if declared is not None and declared > MAX_ZIP_MEMBERS:
        raise FileTooLargeError(f"Word document's zip holds {declared:,} parts, over the {MAX_ZIP_MEMBERS:,} limit")
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        _check_members(infos)
        for info in infos:
            if info.filename.endswith((".xml", ".rels")):
                _check_prolog(zf, info)


def _declared_member_count(path: Path, size: int) -> int | None:
    """The entry count in the zip's end record, read before zipfile loads the whole directory."""
    with path.open("rb") as fh:
        fh.seek(max(0, size - 65_557))  # the end record (22 bytes) plus the longest comment
        tail = fh.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        return None  # no end record: zipfile will say the file is damaged
    total = int.from_bytes(tail[at + 10: at + 12], "little")
    return None if total == 0xFFFF else total  # 0xFFFF: a zip64 count, checked after opening


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
