"""Site furniture: what a page saved from a government site carries above the document.

A page saved from a site, or a scraped record, often starts with the site's name and its
section labels before the document's own heading::

    山东省人民政府 政策文件 山东省人民政府办公厅印发关于…的通知 …
    山东省人民政府 政策解读 部门解读｜《关于…的若干措施》 …
    首页 > 通知公告 > 正文 …

The words are staff-editable, in ``policy_search/data/title_furniture.json``: section and
navigation labels (``sections``), how a site's name ends (``site_name_endings``) and how
an institution's name ends (``institution_endings``, with ``not_institution_endings`` for
words that only look like one). Text is folded (traditional → simplified, full-width →
half-width) before it is compared, one character for one, so a cut made on the folded
text is made at the same place in the original.
"""
from __future__ import annotations

import functools
import hashlib
import json
import re
from dataclasses import dataclass

from policy_search.rules import rule_text
from policy_search.errors import ConfigurationError
from policy_search.text.fold import fold

__all__ = [
    "FurnitureRules", "rules", "rules_from", "parse_rules", "is_navigation", "is_site_name", "is_institution_name",
    "is_only_a_name", "cut_section_label", "strip_site_head", "clean_stated_title",
]

RULES_FILE = "title_furniture.json"
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff"
#: What stands between the parts of a breadcrumb or after a section label (folded forms).
_SEPARATORS = r"\s>»›/|_:\-—–·•"
_SEPARATOR_SPLIT = re.compile(f"[{_SEPARATORS}]+")
_ONLY_SEPARATORS = re.compile(f"^[{_SEPARATORS}]+$")
_NAME_SPLIT = re.compile(r"[\s、,，]+")
_NAME_CHARS = re.compile(rf"^[{_CJK}()（）]+$")
#: An institution's name is at most this long (中共…领导小组指挥部 names run to about 40).
_NAME_MAX = 40
#: How many lines at the top of a document may be furniture.
_HEAD_LINES = 12
#: Section labels (and a breadcrumb of them) glued to a heading stand in its first characters.
_LABEL_CHARS = 60


@dataclass(frozen=True)
class FurnitureRules:
    """The word lists of the rules file, folded; ``digest`` changes when any of them does."""

    sections: frozenset[str]
    site_name_endings: tuple[str, ...]
    institution_endings: tuple[str, ...]
    not_institution_endings: tuple[str, ...]
    digest: str


_LISTS = ("sections", "site_name_endings", "institution_endings", "not_institution_endings")


def rules_from(data: dict) -> FurnitureRules:
    """Rules from the parsed rules file (keys starting with ``_`` are comments).

    >>> rules_from({"sections": "政策文件"})
    Traceback (most recent call last):
    ...
    policy_search.errors.ConfigurationError: title_furniture.json: 'sections' must be a list of words
    """
    for key in _LISTS:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(w, str) for w in value):
            raise ConfigurationError(f"{RULES_FILE}: {key!r} must be a list of words",
                                     hint=f"write it as [\"word\", \"word\"]; the file's _about says what it holds")

    def words(key: str) -> list[str]:
        return [fold(w).strip() for w in data.get(key, []) if w.strip()]

    def longest_first(key: str) -> tuple[str, ...]:
        return tuple(sorted(set(words(key)), key=len, reverse=True))

    content = {k: v for k, v in data.items() if not k.startswith("_")}
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()
    return FurnitureRules(
        sections=frozenset(words("sections")),
        site_name_endings=longest_first("site_name_endings"),
        institution_endings=longest_first("institution_endings"),
        not_institution_endings=longest_first("not_institution_endings"),
        digest=digest[:16],
    )


@functools.lru_cache(maxsize=1)
def rules() -> FurnitureRules:
    """The rules of ``policy_search/data/title_furniture.json``."""
    return parse_rules(rule_text(RULES_FILE))


def parse_rules(raw: str) -> FurnitureRules:
    """Rules from the text of the rules file; a file that is no JSON object is a ConfigurationError.

    >>> parse_rules('{"sections": ["政策文件",]}')
    Traceback (most recent call last):
    ...
    policy_search.errors.ConfigurationError: title_furniture.json is not valid JSON: Expecting value (line 1, column 22)
    """
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{RULES_FILE} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
                                 hint=f"fix policy_search/data/{RULES_FILE}, or restore it with git") from exc
    if not isinstance(data, dict):
        raise ConfigurationError(f"{RULES_FILE} must hold one JSON object",
                                 hint=f"restore policy_search/data/{RULES_FILE} with git")
    return rules_from(data)


def _compact(s: str) -> str:
    return re.sub(r"\s+", "", fold(s or ""))


def _is_section(word: str) -> bool:
    return bool(word) and word.rstrip(":") in rules().sections


def is_navigation(line: str) -> bool:
    """Whether a line is a section label or a breadcrumb of them (当前位置：首页 > 政策文件 > 正文).

    >>> is_navigation("政策文件"), is_navigation("当前位置：首页 > 政策解读"), is_navigation("关于…的通知")
    (True, True, False)
    >>> is_navigation("山东省人民政府 > 政策文件")
    True
    """
    parts = [p for p in _SEPARATOR_SPLIT.split(fold(line or "")) if p]
    if not parts or not any(_is_section(p) for p in parts):
        return False
    return all(_is_section(p) or is_site_name(p) or is_institution_name(p) for p in parts)


def is_site_name(s: str) -> bool:
    """Whether ``s`` is a site's name: Chinese characters ending like one (…门户网站, …政府网).

    >>> is_site_name("山东省人民政府门户网站"), is_site_name("中国政府网"), is_site_name("织密防控网")
    (True, True, False)
    """
    compact = _compact(s)
    return (3 <= len(compact) <= _NAME_MAX and bool(_NAME_CHARS.match(compact))
            and compact.endswith(rules().site_name_endings))


def _is_one_institution(name: str) -> bool:
    r = rules()
    return (2 <= len(name) <= _NAME_MAX and bool(_NAME_CHARS.match(name)) and "关于" not in name
            and name.endswith(r.institution_endings) and not name.endswith(r.not_institution_endings))


def is_institution_name(s: str) -> bool:
    """Whether ``s`` is only the names of one or more institutions (each ending like one).

    >>> is_institution_name("山东省人民政府"), is_institution_name("人力资源社会保障部 财政部 税务总局")
    (True, True)
    >>> is_institution_name("湖北将再建一所应急后备医院"), is_institution_name("稳住经济大局")
    (False, False)
    """
    parts = [p for p in _NAME_SPLIT.split(fold(s or "")) if p]
    return bool(parts) and all(_is_one_institution(p) for p in parts)


def is_only_a_name(title: str | None) -> bool:
    """Whether a title is no title: only a site's or institutions' names, or navigation.

    >>> is_only_a_name("山东省人民政府"), is_only_a_name("政策解读"), is_only_a_name("山东省人民政府关于…的通知")
    (True, True, False)
    """
    title = (title or "").strip()
    return bool(title) and (is_institution_name(title) or is_site_name(title) or is_navigation(title))


def cut_section_label(line: str) -> str | None:
    """What follows a section label glued to a heading with a separator, else None.

    >>> cut_section_label("部门解读｜《关于…的若干措施》")
    '《关于…的若干措施》'
    >>> cut_section_label("当前位置：首页 > 政策文件 > 关于…的通知")
    '关于…的通知'
    >>> cut_section_label("政策解读") is None, cut_section_label("解读新政策") is None
    (True, True)
    """
    folded = fold(line or "")
    cut = None
    for match in re.finditer(f"[{_SEPARATORS}]+", folded[:_LABEL_CHARS]):
        head = folded[:match.start()]
        if not head.strip():
            continue
        if not is_navigation(head):
            break
        cut = match.end()
    rest = line[cut:].strip() if cut is not None else ""
    return rest if rest and not is_navigation(rest) else None


def _is_furniture_line(line: str) -> bool:
    return is_navigation(line) or cut_section_label(line) is not None


def strip_site_head(lines: list[str]) -> tuple[list[str], bool]:
    """The lines without the site furniture at their top, and whether any was there.

    Furniture is a section label or breadcrumb, a site's or institution's name right above
    one, separators between them, and a section label glued to the heading.

    >>> strip_site_head(["山东省人民政府", "政策文件", "山东省人民政府办公厅印发…的通知", "正文"])
    (['山东省人民政府办公厅印发…的通知', '正文'], True)
    >>> strip_site_head(["山东省人民政府", "政策解读", "部门解读｜《关于…》", "正文"])
    (['《关于…》', '正文'], True)
    >>> strip_site_head(["枣庄市人民政府", "关于…的通知"])
    (['枣庄市人民政府', '关于…的通知'], False)
    """
    i = 0
    limit = min(len(lines), _HEAD_LINES)
    while i < limit:
        line = lines[i]
        next_line = lines[i + 1] if i + 1 < len(lines) else ""
        if is_navigation(line) or (i > 0 and _ONLY_SEPARATORS.match(fold(line))):
            i += 1
            continue
        if (is_site_name(line) or is_institution_name(line)) and _is_furniture_line(next_line):
            i += 1
            continue
        rest = cut_section_label(line)
        if rest is not None:
            return [rest, *lines[i + 1:]], True
        break
    return lines[i:], i > 0


def clean_stated_title(title: str | None) -> str | None:
    """A title a file states (a page's ``<title>``, a bulk ``title`` column) without site
    furniture at its start; None when it is only a site's or institution's name.

    >>> clean_stated_title("山东省人民政府 政策文件 山东省人民政府办公厅印发…的通知")
    '山东省人民政府办公厅印发…的通知'
    >>> clean_stated_title("山东省人民政府") is None, clean_stated_title("国务院关于…的通知")
    (True, '国务院关于…的通知')
    """
    if title is None:
        return None
    title = str(title).strip()
    words = title.split()
    rest, stripped = strip_site_head(words)
    cleaned = " ".join(rest) if stripped else title
    return None if not cleaned or is_only_a_name(cleaned) else cleaned
