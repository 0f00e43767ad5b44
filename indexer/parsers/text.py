"""Plain text and Markdown files."""
from __future__ import annotations

import re
from pathlib import Path

from policy_search.errors import EmptyDocumentError

from ..textcodec import decode_text
from .base import RawDocument

_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
_MD_EMPHASIS = re.compile(r"(\*\*|__|`)")
#: A link's text and target may not hold brackets of their own kind: each "[" then
#: scans only to the next one, which keeps a line of a million "[" linear, not quadratic.
_MD_LINK = re.compile(r"\[([^\[\]]*)\]\([^()]*\)")


def clean_lines(text: str) -> str:
    """Strip each line, drop blank ones, normalise line ends.

    >>> clean_lines("  一、总则\\r\\n\\n　　第一条  ")
    '一、总则\\n第一条'
    """
    lines = (line.strip(" \t\u3000\xa0") for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    return "\n".join(line for line in lines if line)


def markdown_to_text(text: str) -> tuple[str, str | None]:
    """Markdown to plain text, and the first heading as the title.

    >>> markdown_to_text("# 标题\\n正文**重点**")
    ('标题\\n正文重点', '标题')
    """
    title = None
    lines = []
    for line in text.splitlines():
        if line.strip().startswith("<!--"):
            continue
        if _MD_HEADING.match(line):
            line = _MD_HEADING.sub("", line)
            if title is None and line.strip():
                title = line.strip()
        lines.append(_MD_LINK.sub(r"\1", _MD_EMPHASIS.sub("", line)))
    return clean_lines("\n".join(lines)), title


def parse_text(path: Path) -> RawDocument:
    """A plain text file in any common Chinese encoding."""
    text = clean_lines(decode_text(path.read_bytes()))
    if not text:
        raise EmptyDocumentError("the file holds no text")
    return RawDocument(text=text, format="txt", source_path=path)


def parse_markdown(path: Path) -> RawDocument:
    """A Markdown file; its first heading is taken as the title."""
    text, title = markdown_to_text(decode_text(path.read_bytes()))
    if not text:
        raise EmptyDocumentError("the file holds no text")
    metadata = {"title": title} if title else {}
    return RawDocument(text=text, format="md", metadata=metadata, source_path=path)
