"""Word 2007+ (.docx) files: body paragraphs and tables in document order.

What comes out, one line each: every non-empty body paragraph (a manual line
break ``w:br`` inside a paragraph also starts a new line), every table row
(its cells joined by a TAB, ``CELL_SEPARATOR``; a cell's own paragraphs are
joined by a space), and the paragraphs of text boxes, right after the
paragraph that anchors them. Headers, footers, comments, footnotes and
deleted (tracked) text are left out. Numbers typed into the text (``一、``,
``（二）``, ``1.``) are kept as they are; list numbers that Word generates
(``w:numPr``, directly or through a paragraph style, e.g. ``第一条`` or
``（一）``) are written out in front of their paragraph as Word shows them
(bullets are left out).

Before python-docx sees the file, the zip is checked without inflating it:
declared uncompressed sizes against ``MAX_INFLATED_BYTES``, compression ratios
(decompression bombs), member count, the presence of ``word/document.xml``,
and the head of every XML part for a DTD (``<!DOCTYPE``/``<!ENTITY``: Word
never writes one, and entity expansion is the "billion laughs" attack;
python-docx's own parser also has ``resolve_entities=False``).

Modules: ``entry`` (``parse``, error mapping, title), ``guard`` (the
container checks), ``body`` (paragraphs, tables, text boxes), ``numbering``
and ``number_formats`` (generated list numbers), ``ooxml`` (element names).
"""
from __future__ import annotations

from .body import CELL_SEPARATOR
from .entry import parse
from .guard import MAX_COMPRESSION_RATIO, MAX_PROLOG_BYTES, MAX_ZIP_MEMBERS, RATIO_CHECK_MIN_BYTES

__all__ = [
    "parse",
    "CELL_SEPARATOR",
    "MAX_COMPRESSION_RATIO",
    "RATIO_CHECK_MIN_BYTES",
    "MAX_ZIP_MEMBERS",
    "MAX_PROLOG_BYTES",
]
