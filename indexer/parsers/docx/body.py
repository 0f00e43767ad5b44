"""The document body in order: paragraphs, table rows, text boxes; tracked deletions left out."""
from __future__ import annotations

import re

from .numbering import Numbering
from .ooxml import (
    ALT_CONTENT, BR, CR, MC_CHOICE, NB_HYPHEN, P, PPR, SDT_CONTENT, SOFT_HYPHEN, T, TAB, TBL, TC, TCPR, TR,
    TXBX_CONTENT, VMERGE, w,
)

#: Cells of a table row are joined with this (a tab: whitespace to a tokenizer,
#: and still visibly a column break in a snippet).
CELL_SEPARATOR = "\t"

#: Subtrees whose text is not part of the visible body text.
_SKIP = {
    w("del"), w("moveFrom"), w("instrText"), w("delText"), PPR, w("rPr"),
    w("footnoteReference"), w("endnoteReference"), w("commentReference"),
    w("fldData"), w("sectPr"), TCPR, w("tblPr"), w("tblGrid"), w("trPr"), w("sdtPr"),
}
#: Containers whose children are body-level blocks (paragraphs, tables ...).
_BLOCK_CONTAINERS = {SDT_CONTENT, w("customXml"), w("ins"), w("moveTo"), w("sdt")}
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
_SPACES = re.compile(r"\s{2,}")


def body_lines(body, numbering: Numbering) -> list[str]:
    """All text lines of the document body in order."""
    out: list[str] = []
    _blocks(body, out, numbering)
    return out


def _blocks(container, out: list[str], numbering: Numbering) -> None:
    """Emit paragraphs and tables that are children of a block container."""
    for child in container:
        tag = child.tag
        if tag == P:
            _paragraph(child, out, numbering)
        elif tag == TBL:
            _table(child, out, numbering)
        elif tag in _BLOCK_CONTAINERS:
            _blocks(child, out, numbering)
        elif tag == ALT_CONTENT:
            choice = child.find(MC_CHOICE)
            if choice is not None:
                _blocks(choice, out, numbering)


def _paragraph(p, out: list[str], numbering: Numbering) -> None:
    """Emit a paragraph's lines, its list number in front, then the text boxes it anchors."""
    boxes: list = []
    text = _paragraph_text(p, boxes)
    label = numbering.label(p)  # advances the counters even for an empty paragraph, as Word does
    if label and text.strip():
        text = label + ("" if _is_cjk(label[-1]) or label[-1].isspace() else " ") + text.lstrip()
    _emit_lines(text, out)
    for box in boxes:
        _blocks(box, out, numbering)


def _emit_lines(text: str, out: list[str]) -> None:
    """Split on manual line breaks, tidy, and keep the non-empty lines."""
    for line in text.split("\n"):
        line = _SPACES.sub(" ", line.strip().strip(_INVISIBLE).strip())
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
        if tag == T:
            parts.append(child.text or "")
        elif tag == TAB:
            parts.append(" ")
        elif tag in (BR, CR):
            parts.append("\n")
        elif tag == NB_HYPHEN:
            parts.append("-")
        elif tag == SOFT_HYPHEN:
            continue
        elif tag == TXBX_CONTENT:
            boxes.append(child)
        elif tag == ALT_CONTENT:
            choice = child.find(MC_CHOICE)  # the fallback repeats the same content
            if choice is not None:
                _inline(choice, parts, boxes)
        elif tag == P:  # a paragraph nested oddly (e.g. in an sdt inside a run)
            parts.append("\n")
            _inline(child, parts, boxes)
            parts.append("\n")
        else:
            _inline(child, parts, boxes)


def _table(tbl, out: list[str], numbering: Numbering) -> None:
    """One line a row, cells joined by CELL_SEPARATOR; merged cells counted once."""
    for tr in tbl.iter(TR):
        if _enclosing(tr, TBL) is not tbl:
            continue  # rows of nested tables are read as part of their cell
        cells = []
        for tc in tr.iter(TC):
            if _enclosing(tc, TR) is not tr or _is_vmerge_continuation(tc):
                continue
            text = _cell_text(tc, numbering)
            if text:
                cells.append(text)
        if cells:
            out.append(CELL_SEPARATOR.join(cells))


def _cell_text(tc, numbering: Numbering) -> str:
    """A table cell's lines joined by a space (tabs inside it become spaces)."""
    cell_lines: list[str] = []
    _blocks(tc, cell_lines, numbering)
    return " ".join(line.replace(CELL_SEPARATOR, " ") for line in cell_lines)


def _enclosing(elem, tag: str):
    """The nearest ancestor of elem with this tag, or None."""
    parent = elem.getparent()
    while parent is not None and parent.tag != tag:
        parent = parent.getparent()
    return parent


def _is_vmerge_continuation(tc) -> bool:
    """A cell continuing a vertical merge repeats nothing; its text is in the top cell."""
    tcpr = tc.find(TCPR)
    if tcpr is None:
        return False
    vmerge = tcpr.find(VMERGE)
    return vmerge is not None and vmerge.get(w("val"), "continue") == "continue"


def _is_cjk(ch: str) -> bool:
    """Chinese characters and full-width punctuation (no space needed after a label ending in one)."""
    o = ord(ch)
    return 0x2E80 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0xFF00 <= o <= 0xFFEF or 0x3000 <= o <= 0x303F
