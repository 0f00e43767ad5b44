"""HTML parser: decode the bytes, read the gov.cn 信息表, keep only the main text.

The body is taken from a known content container when the page has one
(gov.cn: ``id="UCAP-CONTENT"``, ``class="pages_content"``; common CMS
containers such as ``TRS_Editor``); otherwise from ``<article>``/``<main>`` or
the whole ``<body>``, after navigation, footers, share bars and link lists are
removed. Block elements become line breaks, one paragraph a line.

``metadata`` gets, as found (extract.py normalises): title, doc_number,
issuer, written_date, publish_date, index_number and subject (主题分类) from a
信息表, which is then removed from the page; else title from ``<meta
name="ArticleTitle">`` or a ``<title>`` without its site name, and
publish_date from ``<meta name="PubDate">`` or a "发布时间：" on the page.

lxml's HTML parser never loads a DTD, fetches external entities or expands
entities a page declares itself ("billion laughs"); an internal DTD subset
(``<!DOCTYPE html [ ... ]>``, which only XHTML written by hand or by an
attacker has) is removed before parsing, so its declarations cannot leak into
the text either. ``huge_tree`` stays on: it lifts libxml2's nesting limit
from 256 to 2,048 levels, which some CMS pages need; markup nested deeper than
that is refused with a :class:`DocumentError` instead of being silently cut
short.
"""
from __future__ import annotations

import codecs
import re
from pathlib import Path

import lxml.etree
import lxml.html

from indexer.furniture import clean_stated_title
from indexer.textcodec import bom_encoding, detect_encoding
from indexer.parsers.base import MAX_FILE_BYTES, MAX_TEXT_CHARS, RawDocument
from policy_search.errors import (
    DocumentError,
    EmptyDocumentError,
    FileTooLargeError,
    UnsupportedFormatError,
)

__all__ = ["parse", "parse_bytes", "decode_html", "clean_page_title"]

_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
#: Where a DOCTYPE may start: it must come before the root element, near the top.
_DOCTYPE_HEAD_CHARS = 4096
_DOCTYPE_WITH_SUBSET = re.compile(r"<!doctype[^\[>]*\[", re.I)
_SUBSET_END = re.compile(r"\]\s*>")
_GB_LABELS = {"gb2312", "gbk", "gb_2312-80", "gb2312-80", "x-gbk", "cp936", "ms936",
              "windows-936", "csgb2312", "euc-cn", "gb18030", "chinese"}
_NOT_HTML_MAGIC = (b"%PDF-", b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"\x89PNG", b"\xff\xd8\xff", b"GIF8")

#: Removed wherever they are.
_ALWAYS_DROP = {"script", "style", "noscript", "template", "svg", "canvas", "iframe", "frame",
                "frameset", "object", "embed", "applet", "button", "select", "textarea",
                "input", "link", "meta", "map", "audio", "video"}
#: Removed unless they hold much of the page's text (some sites wrap it all in a form).
_PAGE_CHROME = {"form", "header", "footer"}
_JUNK_ATTR = re.compile(
    r"nav|menu|footer|share|breadcrumb|crumb|toolbar|sidebar|copyright|qr_?code|qr_container|"
    r"position|location|tools|btns|print|fontsize|banner|bottom|top-?bar",
    re.I,
)
#: Inside a known content container only these id/class words mark furniture.
_JUNK_ATTR_IN_CONTENT = re.compile(r"share|qr_?code|qr_container|toolbar|fontsize|btns", re.I)
#: Short blocks starting like this are page furniture (generic pages only).
_CHROME_TEXT = re.compile(
    r"^\s*(?:当前位置|您当前的位置|您现在的位置|您的位置|所在位置|字号\s*[:：]|【?打印|【?关闭|"
    r"分享到|扫一扫|发布时间\s*[:：]|发布日期\s*[:：]|来源\s*[:：]|浏览次数|欢迎(?:访问|光临|您))")
_CHROME_TEXT_MAX = 150
_PUBLISHED = re.compile(
    r"(?:发布时间|发布日期)\s*[:：]\s*((?:19|20)\d{2}\s*[-年./]\s*\d{1,2}\s*[-月./]\s*\d{1,2}\s*日?)")
_LINK_LIST_TAGS = {"ul", "ol", "dl", "div", "table", "tbody", "tr", "td", "section", "p"}
_BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "tbody",
          "thead", "tfoot", "ul", "ol", "dl", "dt", "dd", "section", "article", "main",
          "blockquote", "pre", "address", "center", "hr", "figure", "figcaption", "caption",
          "fieldset", "legend", "header", "footer", "nav", "aside", "details", "summary",
          "body", "html", "form", "title"}
_CELL = {"td", "th"}
#: Known main-content containers, most specific first: ("id" or "class", lower-cased value).
_CONTENT_MARKERS = (
    ("id", "ucap-content"), ("class", "pages_content"), ("class", "trs_editor"),
    ("class", "trs_ueditor"), ("id", "zoom"), ("class", "article-content"),
    ("class", "article_content"), ("class", "wip_art_con"), ("class", "art_con"),
)
_TITLE_TAGS = {"h1", "h2", "h3"}
#: 信息表 labels (whitespace and colon removed) → metadata key; None: recognised, not kept.
_INFO_LABELS = {
    "索引号": "index_number", "主题分类": "subject", "发文机关": "issuer", "发布机构": "issuer",
    "发文单位": "issuer", "成文日期": "written_date", "标题": "title", "名称": "title",
    "发文字号": "doc_number", "文号": "doc_number", "发布日期": "publish_date", "主题词": None,
}
_INFO_INLINE = re.compile(r"^\s*(%s)\s*[:：]\s*(.+)$" % "|".join(
    r"\s*".join(label) for label in _INFO_LABELS), re.S)
_META_HINTS = {"articletitle": "title", "pubdate": "publish_date",
               "publishdate": "publish_date", "firstpublishedtime": "publish_date"}
_DOC_TITLE_END = re.compile(
    r"(?:通知|意见|办法|措施|决定|方案|规定|条例|公告|通告|通报|批复|函|报告|细则|规则|规划|纲要|"
    r"答复|决议|令|法|预案|计划|要点|指南|指引)(?:[（(][^（()）]{1,20}[)）])?$")
_WS = re.compile(r"[\s\u200b\u200c\u200d\ufeff]+")
#: Share of the page's text above which an element is never dropped as chrome.
_KEEP_SHARE = 0.4


def _codec_for(label: str) -> str | None:
    """Python codec for a declared charset label; GB family → gb18030 (a superset)."""
    label = label.strip().lower()
    if label in _GB_LABELS:
        return "gb18030"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def decode_html(data: bytes) -> tuple[str, list[str]]:
    """Decode HTML bytes (BOM, then declared charset, then detection); return text, warnings.

    >>> decode_html('<meta charset="gb2312"><p>通知</p>'.encode("gbk"))[0][-9:]
    '<p>通知</p>'
    """
    by_bom = bom_encoding(data)
    if by_bom:
        return data.decode(by_bom, errors="replace"), []
    warnings: list[str] = []
    m = _META_CHARSET.search(data[:8192])
    declared = _codec_for(m.group(1).decode("ascii", "replace")) if m else None
    if m and declared is None:
        warnings.append(f"unknown charset {m.group(1).decode('ascii', 'replace')!r} declared")
    if declared:
        try:
            return data.decode(declared), warnings
        except UnicodeDecodeError:
            text = data.decode(declared, errors="replace")
            if text.count("\ufffd") <= max(2, len(text) // 1000):
                return text, warnings + [f"a few bytes are not valid {declared}; replaced"]
            warnings.append(f"declared charset {declared} does not fit the bytes; detecting")
    codec = detect_encoding(data)
    text = data.decode(codec, errors="replace")
    if codec != "utf-8":
        warnings.append(f"encoding detected as {codec}")
    return text, warnings


def clean_page_title(title: str) -> str:
    """A ``<title>`` without the site's name and section labels (parts split at _ | and
    spaced dashes); "" when nothing else is left.

    Parts that are only a site's or institution's name or a section label (政策解读,
    首页 …; see indexer/furniture.py) go. Of the rest, the part that reads like a document
    title (ends in 通知, 意见, 办法 …) wins, then a title in 《》, else the first part:
    sites put their name after the title far more often.

    >>> clean_page_title("国务院关于印发…的通知_政府信息公开专栏")
    '国务院关于印发…的通知'
    >>> clean_page_title("中国政府网 - 国务院办公厅关于调整国家教材委员会组成人员的通知")
    '国务院办公厅关于调整国家教材委员会组成人员的通知'
    >>> clean_page_title("部门解读｜《关于…的若干措施》_政策解读_山东省人民政府")
    '《关于…的若干措施》'
    >>> clean_page_title("山东省人民政府门户网站")
    ''
    """
    parts = [p.strip() for p in re.split(r"\s*[_|｜]\s*|\s+[-－—–]+\s+", _WS.sub(" ", title))]
    parts = [cleaned for p in parts if p and (cleaned := clean_stated_title(p))]
    if not parts:
        return ""
    return next((p for p in parts if _DOC_TITLE_END.search(p)),
                next((p for p in parts if p.startswith("《") and p.endswith("》")), parts[0]))


def _text_len(s: str | None) -> int:
    """Number of non-whitespace characters in ``s`` (no list of one string a character).

    >>> _text_len(" 通知\u3000正文 x ")
    5
    """
    return sum(map(len, s.split())) if s else 0


def drop_internal_subset(text: str) -> str:
    """A page without the internal DTD subset of its DOCTYPE (entity declarations).

    >>> drop_internal_subset('<!DOCTYPE html [<!ENTITY a "x">]><p>&a;</p>')
    '<!DOCTYPE html><p>&a;</p>'
    """
    start = _DOCTYPE_WITH_SUBSET.search(text, 0, _DOCTYPE_HEAD_CHARS)
    if start is None:
        return text
    end = _SUBSET_END.search(text, start.end())
    if end is None:
        raise UnsupportedFormatError("the page starts with a DTD that never ends; it is not a readable HTML page")
    return text[:start.start()] + "<!DOCTYPE html>" + text[end.end():]


def _own_text(el) -> str:
    """All text inside ``el`` (not its tail), whitespace collapsed."""
    return _WS.sub(" ", "".join(el.itertext())).strip()


def _build_tree(text: str):
    """Parse decoded HTML with lxml; refuse markup nested past libxml2's depth limit."""
    text = drop_internal_subset(_XML_DECL.sub("", text, count=1))
    if not text.strip():
        raise EmptyDocumentError("the HTML file is empty")
    parser = lxml.html.HTMLParser(huge_tree=True, remove_comments=True, remove_pis=True,
                                  no_network=True)
    try:
        root = lxml.html.document_fromstring(text, parser=parser)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise EmptyDocumentError(f"no HTML content could be parsed: {exc}") from exc
    for err in parser.error_log:
        if "depth" in err.message.lower() or err.type_name == "ERR_RESOURCE_LIMIT":
            raise DocumentError(
                "the HTML markup is nested too deeply (over 2,000 levels) to read completely",
                hint="the markup is probably broken or hostile; re-export the page")
    return root


def _head_hints(root) -> tuple[dict, str | None]:
    """Hints from ``<meta>`` (ArticleTitle, PubDate …), and the cleaned ``<title>``."""
    hints: dict = {}
    for meta in root.iter("meta"):
        key = _META_HINTS.get((meta.get("name") or "").strip().lower())
        content = (meta.get("content") or "").strip()
        if key and content and key not in hints:
            hints[key] = content
    title_el = root.find(".//title")
    page_title = clean_page_title(_own_text(title_el)) if title_el is not None else ""
    return hints, (page_title if len(page_title) >= 4 else None)


def _trust_page_title(page_title: str, lines: list[str]) -> bool:
    """A ``<title>`` counts as the document's title if it reads like one or the body repeats it.

    This keeps a bare site name ("某某市人民政府门户网站") out of the metadata.
    """
    if _DOC_TITLE_END.search(page_title):
        return True
    return _WS.sub("", page_title) in _WS.sub("", "".join(lines[:10]))


def _info_label(text: str) -> str | None:
    """The 信息表 label a cell's text is, or None."""
    compact = _WS.sub("", text).rstrip(":：")
    return compact if compact in _INFO_LABELS else None


def read_info_table(root) -> dict:
    """Read and remove gov.cn-style 信息表 tables (label cell, value cell); return raw values.

    Only tables with two or more recognised labels count (or a lone 主题词
    table, gov.cn's second small table), so a body table with a 标题 cell is
    left alone.
    """
    per_table: dict = {}
    for cell in root.iter("td", "th"):
        text = _own_text(cell)
        label = _info_label(text)
        value = None
        if label is not None:
            sibling = cell.getnext()
            value = _own_text(sibling) if sibling is not None else ""
        else:
            m = _INFO_INLINE.match(text) if len(text) < 300 else None
            if not m:
                continue
            label, value = _WS.sub("", m.group(1)), m.group(2).strip()
        table = next(cell.iterancestors("table"), None)
        if table is None:
            continue
        per_table.setdefault(table, []).append((label, value))
    metadata: dict = {}
    for table, pairs in per_table.items():
        labels = {label for label, _ in pairs}
        if len(labels) < 2 and labels != {"主题词"}:
            continue
        for label, value in pairs:
            key = _INFO_LABELS[label]
            if key and value and key not in metadata:
                metadata[key] = value
        if table.getparent() is not None:
            table.drop_tree()
    return metadata


def _subtree_stats(root) -> dict:
    """Per element: (text chars, text chars inside links, number of links), bottom-up."""
    stats: dict = {}
    stack = [(root, False)]
    while stack:
        el, done = stack.pop()
        if not done:
            stack.append((el, True))
            stack.extend((child, False) for child in el)
            continue
        is_link = el.tag == "a"
        total = _text_len(el.text) if isinstance(el.tag, str) else 0
        link_chars = links = 0
        for child in el:
            c_total, c_link, c_links = stats[child]
            tail = _text_len(child.tail)
            total += c_total + tail
            link_chars += c_link
            links += c_links
        if is_link:
            link_chars, links = total, links + 1
        stats[el] = (total, link_chars, links)
    return stats


def _is_chrome(el, tag: str, in_article: bool, stats: dict, page_chars: int,
               generic: bool) -> bool:
    """Whether ``el`` is navigation, footer, sharing or other non-content markup.

    ``generic`` (no known content container) adds two rules: link lists
    (3+ links making most of the text) and short blocks that start like page
    furniture (当前位置, 字号, 打印, 发布时间 …).
    """
    if tag in _ALWAYS_DROP or tag in ("nav", "aside", "menu"):
        return True
    chars, link_chars, links = stats.get(el, (0, 0, 0))
    if page_chars and chars >= _KEEP_SHARE * page_chars:
        return False
    if tag in _PAGE_CHROME and not (in_article and tag in ("header", "footer")):
        return True
    attrs = f"{el.get('id') or ''} {el.get('class') or ''}".strip()
    if attrs and (_JUNK_ATTR if generic else _JUNK_ATTR_IN_CONTENT).search(attrs):
        return True
    if not generic:
        return False
    if tag in _LINK_LIST_TAGS and links >= 3 and link_chars >= 0.6 * chars:
        return True
    return 0 < chars <= _CHROME_TEXT_MAX and bool(_CHROME_TEXT.match("".join(el.itertext())))


def _drop_chrome(scope, generic: bool) -> None:
    """Remove non-content elements below ``scope`` (top-down, whole subtrees at once)."""
    stats = _subtree_stats(scope)
    page_chars = stats[scope][0]
    doomed = []
    stack = [(scope, False)]
    while stack:
        el, in_article = stack.pop()
        for child in el:
            tag = child.tag if isinstance(child.tag, str) else None
            if tag is None:
                continue
            if _is_chrome(child, tag, in_article, stats, page_chars, generic):
                doomed.append(child)
            else:
                stack.append((child, in_article or tag in ("article", "main")))
    for el in doomed:
        el.drop_tree()


def _content_root(root):
    """The page's known main-content container, if it has one with text."""
    found: dict = {}
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        ident = (el.get("id") or "").strip().lower()
        classes = (el.get("class") or "").lower().split()
        for marker in _CONTENT_MARKERS:
            if marker not in found and (ident == marker[1] if marker[0] == "id" else marker[1] in classes):
                found[marker] = el
    for marker in _CONTENT_MARKERS:
        el = found.get(marker)
        if el is not None and _text_len("".join(el.itertext())) >= 10:
            return el
    return None


def _fallback_root(body):
    """``<article>`` or ``<main>`` with the most text, else the body."""
    candidates = [el for el in body.iter("article", "main")]
    best = max(candidates, key=lambda el: _text_len("".join(el.itertext())), default=None)
    if best is not None and _text_len("".join(best.itertext())) >= 50:
        return best
    return body


def html_to_lines(el) -> list[str]:
    """Text of ``el`` one paragraph a line: blocks and ``<br>`` break lines, cells are spaced."""
    parts: list[str] = []
    stack: list = [("open", el)]
    pre_depth = 0
    while stack:
        kind, node = stack.pop()
        if kind == "close":
            tag = node.tag if isinstance(node.tag, str) else ""
            if tag == "pre":
                pre_depth -= 1
            if tag in _BLOCK:
                parts.append("\n")
            if node is not el and node.tail:
                parts.append(_flow(node.tail, pre_depth))
            continue
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag in _BLOCK:
            parts.append("\n")
        elif tag in _CELL:
            parts.append(" ")
        if tag == "pre":
            pre_depth += 1
        if tag and node.text:
            parts.append(_flow(node.text, pre_depth))
        stack.append(("close", node))
        stack.extend(("open", child) for child in reversed(node))
    lines = (_WS.sub(" ", line).strip() for line in "".join(parts).split("\n"))
    return [line for line in lines if line]


def _flow(text: str, pre_depth: int) -> str:
    """Inline text: whitespace runs become one space (inside ``<pre>`` newlines stay)."""
    if pre_depth > 0:
        return "\n".join(_WS.sub(" ", line) for line in text.splitlines())
    return _WS.sub(" ", text)


def _outside_heading(root, container, title_hint: str | None) -> list[str]:
    """Lines of a heading outside the content container that repeats the page title.

    Headings are ``<h1>``–``<h3>`` or elements whose class/id says "title"; one
    counts when its text, spaces removed, is the title hint or most of it.
    """
    if not title_hint:
        return []
    hint = _WS.sub("", title_hint)
    body = root.find("body")
    for el in (body if body is not None else root).iter():
        if not isinstance(el.tag, str) or el is container:
            continue
        marks = f"{el.get('class') or ''} {el.get('id') or ''}".lower()
        if el.tag not in _TITLE_TAGS and "title" not in marks:
            continue
        text = _WS.sub("", "".join(el.itertext()))
        if len(text) >= 4 and (text == hint or (text in hint and len(text) >= 0.6 * len(hint))):
            if any(anc is container for anc in el.iterancestors()):
                return []  # the container holds the heading itself
            return html_to_lines(el)
    return []


def _page_hints(root) -> dict:
    """A publish date stated anywhere on the page (发布时间：…), before furniture is dropped."""
    body = root.find("body")
    if body is None:
        return {}
    m = _PUBLISHED.search("".join(body.itertext()))
    return {"publish_date": m.group(1).strip()} if m else {}


def parse_bytes(data: bytes, source_path: Path | None = None) -> RawDocument:
    """Parse HTML bytes into a RawDocument (see :func:`parse`)."""
    if len(data) > MAX_FILE_BYTES:
        raise FileTooLargeError(f"the file is over {MAX_FILE_BYTES // (1024 * 1024)} MB")
    if data.lstrip()[:8].startswith(_NOT_HTML_MAGIC):
        raise UnsupportedFormatError("this file is not HTML (binary content)")
    if not data.strip():
        raise EmptyDocumentError("the HTML file is empty")
    text, warnings = decode_html(data)
    try:
        root = _build_tree(text)
        metadata, page_title = _head_hints(root)
        for key, value in _page_hints(root).items():
            metadata.setdefault(key, value)
        metadata.update(read_info_table(root))
        body = root.find("body")
        if body is None:
            body = root
        container = _content_root(root)
        if container is not None:
            _drop_chrome(container, generic=False)
            lines = html_to_lines(container)
            heading = _outside_heading(root, container, metadata.get("title") or page_title)
            if heading and _WS.sub("", "".join(heading)) not in _WS.sub("", "".join(lines[:4])):
                lines[:0] = heading
        else:
            _drop_chrome(body, generic=True)
            lines = html_to_lines(_fallback_root(body))
    except RecursionError as exc:
        raise DocumentError("the HTML is nested too deeply to read",
                            hint="the markup is probably broken or hostile") from exc
    if "title" not in metadata and page_title and _trust_page_title(page_title, lines):
        metadata["title"] = page_title
    body_text = "\n".join(lines)
    if not body_text:
        raise EmptyDocumentError("the HTML page has no text outside its markup")
    if len(body_text) > MAX_TEXT_CHARS:
        raise FileTooLargeError(f"the page's text is over {MAX_TEXT_CHARS:,} characters")
    return RawDocument(text=body_text, format="html", metadata=metadata, warnings=warnings,
                       source_path=source_path)


def parse(path: Path) -> RawDocument:
    """Read one HTML file: main text one paragraph a line, 信息表 and ``<meta>`` hints as metadata."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise FileTooLargeError(f"{path.name} is over {MAX_FILE_BYTES // (1024 * 1024)} MB")
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return parse_bytes(data, source_path=path)
