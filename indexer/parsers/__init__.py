"""The parser registry: one entry a format, each ``parse(path) -> RawDocument``.

A new format is one module and one line here. Bulk formats (many policies in
one file) have readers yielding records instead.
"""
from __future__ import annotations

from typing import Callable, Iterator

from .base import RawDocument
from .bulk import BulkRecord, read_jsonl, read_tsv
from .text import parse_markdown, parse_text


def _pdf(path):
    from .pdf import parse
    return parse(path)


def _docx(path):
    from .docx import parse
    return parse(path)


def _html(path):
    from .html import parse
    return parse(path)


PARSERS: dict[str, Callable] = {
    "pdf": _pdf,
    "docx": _docx,
    "html": _html,
    "txt": parse_text,
    "md": parse_markdown,
}

BULK_READERS: dict[str, Callable[..., Iterator[BulkRecord]]] = {
    "tsv": read_tsv,
    "jsonl": read_jsonl,
}

__all__ = ["PARSERS", "BULK_READERS", "RawDocument", "BulkRecord"]
