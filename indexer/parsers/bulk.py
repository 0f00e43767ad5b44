"""Bulk files holding many policies: ``.tsv`` (columns ``docid`` and ``text``) and ``.jsonl``.

Each record becomes its own RawDocument; a bad record is reported on its own
line number and the rest of the file goes on.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from policy_search.errors import DocumentError, EmptyDocumentError, UnsupportedFormatError

from ..textcodec import decode_text
from .base import MAX_TEXT_CHARS, RawDocument

#: Record keys taken over as metadata, under the Policy field they mean.
FIELD_ALIASES = {
    "id": "id", "docid": "id", "title": "title", "doc_number": "doc_number",
    "issuer": "issuer", "written_date": "written_date", "publish_date": "publish_date",
    "level": "level", "region": "region", "topics": "topics", "industries": "industries",
    "url": "url", "valid_until": "valid_until", "type": "type",
}


@dataclass
class BulkRecord:
    """One record of a bulk file: where it is, and what it gave (a document or an error)."""

    line: int
    document: RawDocument | None = None
    error: DocumentError | None = None


def _record_to_document(record: dict, fmt: str, path: Path) -> RawDocument:
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        raise EmptyDocumentError("record has no 'text'")
    if len(text) > MAX_TEXT_CHARS:
        raise DocumentError(f"record text is over {MAX_TEXT_CHARS:,} characters")
    metadata = {}
    for key, value in record.items():
        field = FIELD_ALIASES.get(key)
        if field and value not in (None, "", []):
            metadata[field] = value
    if "id" in metadata:
        metadata["id"] = str(metadata["id"])
    return RawDocument(text=text.strip(), format=fmt, metadata=metadata, source_path=path)


def read_tsv(path: Path) -> Iterator[BulkRecord]:
    """Records of a TSV file with a header naming at least ``docid`` and ``text``."""
    csv.field_size_limit(MAX_TEXT_CHARS)
    reader = csv.DictReader(io.StringIO(decode_text(path.read_bytes())), delimiter="\t",
                            quoting=csv.QUOTE_NONE)
    columns = set(reader.fieldnames or [])
    if not {"docid", "text"} <= columns:
        raise UnsupportedFormatError("TSV without the header columns 'docid' and 'text'",
                                     hint="the first line must name the columns, e.g. docid<TAB>text")
    line = 1
    while True:
        line += 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield BulkRecord(line, error=DocumentError(f"unreadable row: {exc}"))
            continue
        try:
            yield BulkRecord(line, document=_record_to_document(row, "tsv", path))
        except DocumentError as exc:
            yield BulkRecord(line, error=exc)


def read_jsonl(path: Path) -> Iterator[BulkRecord]:
    """Records of a JSON Lines file, one object with at least ``text`` a line."""
    for line_number, line in enumerate(decode_text(path.read_bytes()).splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            yield BulkRecord(line_number, error=DocumentError(f"not valid JSON ({exc.msg})"))
            continue
        except RecursionError:
            yield BulkRecord(line_number, error=DocumentError("JSON nested too deeply to read (arrays or objects inside one another without end)"))
            continue
        if not isinstance(record, dict):
            yield BulkRecord(line_number, error=DocumentError("line is not a JSON object"))
            continue
        try:
            yield BulkRecord(line_number, document=_record_to_document(record, "jsonl", path))
        except DocumentError as exc:
            yield BulkRecord(line_number, error=exc)
