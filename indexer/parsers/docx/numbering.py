"""Automatic list numbering (``w:numPr``): the "第一条", "（一）", "1." Word generates."""
from __future__ import annotations

import re

from .number_formats import format_number
from .ooxml import PPR, w


class Numbering:
    """Renders the list numbers Word draws in front of numbered paragraphs.

    Counters run per list (numId) and level; a level restarts after a higher
    level moves on. Bullets are left out. Numbering defined through a
    paragraph style (headings linked to a list) is followed too.
    """

    def __init__(self, numbering_xml=None, styles_xml=None):
        self.levels: dict[str, dict[int, dict]] = {}  # numId -> ilvl -> {start, fmt, text, legal}
        self.style_num: dict[str, tuple[str, int]] = {}  # styleId -> (numId, ilvl)
        self.counters: dict[str, list[int | None]] = {}
        if numbering_xml is not None:
            self._read_numbering(numbering_xml)
        if styles_xml is not None:
            self._read_styles(styles_xml)

    @classmethod
    def of(cls, document) -> "Numbering":
        """The numbering of a python-docx document (empty if it has none or it is unreadable)."""
        from docx.opc.constants import RELATIONSHIP_TYPE as RT

        parts = []
        for rel in (RT.NUMBERING, RT.STYLES):
            try:
                parts.append(document.part.part_related_by(rel).element)
            except Exception:  # missing or damaged: number nothing
                parts.append(None)
        try:
            return cls(*parts)
        except Exception:
            return cls()

    def _read_numbering(self, root) -> None:
        """Levels of every list (num), from its abstract definition and its overrides."""
        abstract = {}
        for node in root.iterchildren(w("abstractNum")):
            abstract[node.get(w("abstractNumId"))] = {
                int(lvl.get(w("ilvl"), "0")): _level(lvl) for lvl in node.iterchildren(w("lvl"))
            }
        for node in root.iterchildren(w("num")):
            ref = node.find(w("abstractNumId"))
            levels = {k: dict(v) for k, v in abstract.get(ref.get(w("val")) if ref is not None else None, {}).items()}
            for override in node.iterchildren(w("lvlOverride")):
                ilvl = int(override.get(w("ilvl"), "0"))
                lvl = override.find(w("lvl"))
                if lvl is not None:
                    levels[ilvl] = _level(lvl)
                start = override.find(w("startOverride"))
                if start is not None and ilvl in levels:
                    levels[ilvl]["start"] = _int(start.get(w("val")), 1)
            self.levels[node.get(w("numId"))] = levels

    def _read_styles(self, root) -> None:
        """The list each paragraph style numbers with, its own or through the styles it is based on."""
        based_on, own = {}, {}
        for style in root.iterchildren(w("style")):
            sid = style.get(w("styleId"))
            base = style.find(w("basedOn"))
            if base is not None:
                based_on[sid] = base.get(w("val"))
            num_pr = style.find(f"{PPR}/{w('numPr')}")
            if num_pr is not None:
                own[sid] = _num_pr(num_pr)
        for sid in set(own) | set(based_on):
            seen, current = set(), sid
            while current is not None and current not in own and current not in seen:
                seen.add(current)
                current = based_on.get(current)
            if current in own:
                self.style_num[sid] = own[current]

    def label(self, p) -> str | None:
        """The number shown before paragraph p, advancing the counters, or None."""
        num_id, ilvl = self._list_of(p)
        levels = self.levels.get(num_id) if num_id not in (None, "0") else None
        if not levels or ilvl not in levels:
            return None
        counters = self._advance(num_id, ilvl, levels[ilvl]["start"])
        level = levels[ilvl]
        if level["fmt"] in ("bullet", "none"):
            return None

        def placeholder(match: re.Match) -> str:
            k = int(match.group(1)) - 1
            ref = levels.get(k, level)
            value = counters[k] if 0 <= k < 9 and counters[k] is not None else ref["start"]
            return format_number(value, "decimal" if level["legal"] else ref["fmt"])

        return re.sub(r"%([1-9])", placeholder, level["text"]).strip() or None

    def _list_of(self, p) -> tuple[str | None, int]:
        """The list (numId) and level (0-8) of paragraph p: its own numPr over its style's."""
        ppr = p.find(PPR)
        num_id = ilvl = None
        if ppr is not None:
            style = ppr.find(w("pStyle"))
            if style is not None and style.get(w("val")) in self.style_num:
                num_id, ilvl = self.style_num[style.get(w("val"))]
            num_pr = ppr.find(w("numPr"))
            if num_pr is not None:
                own_id, own_lvl = _num_pr(num_pr)
                num_id = own_id if own_id is not None else num_id
                ilvl = own_lvl if own_lvl is not None else ilvl
        return num_id, min(max(ilvl or 0, 0), 8)

    def _advance(self, num_id: str, ilvl: int, start: int) -> list[int | None]:
        """Count one more item at this level of the list; deeper levels restart."""
        counters = self.counters.setdefault(num_id, [None] * 9)
        counters[ilvl] = start if counters[ilvl] is None else counters[ilvl] + 1
        counters[ilvl + 1:] = [None] * (8 - ilvl)
        return counters


def _level(lvl) -> dict:
    """One list level's start value, number format, label template and legal-numbering flag."""
    def val(tag: str, default: str) -> str:
        node = lvl.find(w(tag))
        return node.get(w("val"), default) if node is not None else default

    return {
        "start": _int(val("start", "1"), 1),
        "fmt": val("numFmt", "decimal"),
        "text": val("lvlText", ""),
        "legal": lvl.find(w("isLgl")) is not None,
    }


def _num_pr(num_pr) -> tuple[str | None, int | None]:
    """The numId and ilvl a ``w:numPr`` states (None for either it leaves out)."""
    num_id, ilvl = num_pr.find(w("numId")), num_pr.find(w("ilvl"))
    return (
        num_id.get(w("val")) if num_id is not None else None,
        _int(ilvl.get(w("val")), 0) if ilvl is not None else None,
    )


def _int(value, default: int) -> int:
    """int(value), or default when it is missing or not a number."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
