"""The printed compendium (汇编): every selected policy with a QR code of its permanent link.

One self-contained HTML file (inline CSS, inline SVG codes) laid out for A4: a cover, contents
grouped by level and topic, then one entry per policy (title, 文号, issuer, date, a short summary,
the code and the link printed under it). A ``.pdf`` output prints that HTML with Debian's chromium
through Playwright, imported only then.

Order: level (中央 → 省级 → 市级 → 区县级, then policies of no known level), then topic (a policy
is listed under its first topic, in the order of ``data/topics.json``; no topic: 其他), then date,
newest first.
"""
from __future__ import annotations

import datetime
import functools
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment, PackageLoader
from markupsafe import Markup, escape

from policy_search.errors import ConfigurationError
from policy_search.links import policy_link
from policy_search.models import DOC_TYPE_NAMES_ZH, LEVEL_NAMES_ZH, LEVELS, Policy, validity_status
from policy_search.qr import qr_svg
from policy_search.search.service import MAX_LIMIT
from policy_search.vocabulary import topic_names

#: Where the compendium is for when no --applies-to says otherwise.
DEFAULT_PLACE = "峄城区"
#: The group of policies without a topic, and of policies without a level.
OTHER = "其他"
NO_LEVEL = "unrated"
#: A summary is at most SUMMARY_MAX characters, cut at a sentence end past SUMMARY_SOFT if it can.
SUMMARY_MAX = 110
SUMMARY_SOFT = 72
SUMMARY_MIN = 40
#: Side of a printed code, quiet zone included.
QR_MM = 30

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PDF_HINT = "write .html and print it from a browser, or install chromium"
OUTPUT_KINDS = {".html": "html", ".htm": "html", ".pdf": "pdf"}

_SENTENCE_ENDS = "。！？!?"
_CLAUSE_ENDS = "；;，,"
_DOC_NUMBER_LINE = re.compile(r"^\S{0,20}([〔\[【（(]\s*\d{4}\s*[〕\]】）)]|\d{4}年)\s*第?\s*\d+\s*[号號]$")
_LEAD_IN = ("如下", "以下", "现就", "现将", "制定")


# ------------------------------------------------------------------ what the template shows

@dataclass
class Entry:
    """One policy as printed."""

    number: int
    policy: Policy
    link: str
    summary: str
    code: Markup

    @property
    def anchor(self) -> str:
        return f"p-{self.policy.id}"

    @property
    def link_head(self) -> str:
        """The link up to its path, printed on the first line under the code."""
        return self.link[:self.link.rfind("/p/")]

    @property
    def link_tail(self) -> str:
        """``/p/<id>``, printed on the second line."""
        return self.link[self.link.rfind("/p/"):]

    @property
    def date(self) -> str:
        return chinese_date(self.policy.written_date or self.policy.publish_date)

    @property
    def valid_until(self) -> str:
        return chinese_date(self.policy.valid_until)

    @property
    def expired(self) -> bool:
        return validity_status(self.policy.valid_until) == "expired"


@dataclass
class TopicGroup:
    """The policies of one level listed under one topic."""

    name: str
    anchor: str
    entries: list[Entry] = field(default_factory=list)


@dataclass
class LevelPart:
    """One part of the compendium: the policies of one level, by topic."""

    key: str
    name: str
    ordinal: str
    topics: list[TopicGroup] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return f"level-{self.key}"

    @property
    def count(self) -> int:
        return sum(len(group.entries) for group in self.topics)


@dataclass
class Booklet:
    """Everything the template needs."""

    title: str
    filters: list[tuple[str, str]]
    generated: str
    count: int
    parts: list[LevelPart]
    #: The service's home page, with a code on the cover.
    home_link: str
    home_code: Markup


# ------------------------------------------------------------------ the command's entry point

def write_booklet(service, output, base_url: str, *, title: str | None = None,
                  today: datetime.date | None = None, **filters) -> int:
    """Write the compendium of the policies matching the ``filters`` (by name, see
    :data:`filters.FILTER_FIELDS`) to ``output``; returns their count.

    ``output`` ending in ``.html`` gets the HTML (UTF-8), ``.pdf`` that HTML printed by chromium.
    """
    target = Path(output)
    kind = output_kind(target)
    if kind == "pdf":
        check_pdf_printer()
    booklet = make_booklet(service, base_url, title=title, today=today, **filters)
    html = render_booklet(booklet)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(target, print_pdf(html) if kind == "pdf" else html.encode("utf-8"))
    return booklet.count


def make_booklet(service, base_url: str, *, title: str | None = None,
                 today: datetime.date | None = None, **filters) -> Booklet:
    """The compendium of the policies matching the ``filters``, ready to render; an empty
    selection is a ConfigurationError."""
    policies = select_policies(service, **filters)
    if not policies:
        raise ConfigurationError(f"no policy matches {describe_filters(**filters)}",
                                 hint="drop a filter")
    default = default_title(filters.get("topic"), filters.get("level"), filters.get("applies_to"))
    return build_booklet(policies, base_url, title=title or default,
                         filters=filter_labels(**filters), today=today or datetime.date.today())


def output_kind(target: Path) -> str:
    """'html' or 'pdf' from the file name; anything else is a configuration error."""
    kind = OUTPUT_KINDS.get(target.suffix.lower())
    if kind is None:
        raise ConfigurationError(f"cannot write a booklet as {target.name!r}",
                                 hint="name the output file .html (print it from a browser) or .pdf")
    return kind


def select_policies(service, **filters) -> list[Policy]:
    """Every policy in search that matches the filters, page by page, newest first."""
    ids: list[str] = []
    page = 1
    while True:
        result = service.search("", sort="date", limit=MAX_LIMIT, page=page, details=False, **filters)
        ids.extend(hit.id for hit in result.hits)
        if page >= result.pages:
            break
        page += 1
    return [service.get(policy_id).policy for policy_id in ids]


# ------------------------------------------------------------------ titles and filters

def region_path(applies_to: str) -> tuple[str, str]:
    """The name of a region and its full path written as one place, e.g. 山东省枣庄市峄城区."""
    from policy_search.text import divisions

    region = divisions.region_of(divisions.resolve(applies_to))
    return region.name, "".join(region.path) or region.name


def default_title(topic: str | None, level: str | None, applies_to: str | None) -> str:
    """The cover title the filters suggest.

    >>> default_title(None, None, None), default_title("稳岗就业", "county", None)
    ('峄城区惠企政策汇编', '峄城区稳岗就业政策汇编（区县级）')
    """
    place = region_path(applies_to)[0] if applies_to else DEFAULT_PLACE
    title = f"{place}{topic}政策汇编" if topic else f"{place}惠企政策汇编"
    return f"{title}（{LEVEL_NAMES_ZH[level]}）" if level else title


def filter_labels(**filters) -> list[tuple[str, str]]:
    """The filters as (label, value) rows for the cover; one row saying so when there are none.

    >>> filter_labels(topic="人才", in_force=True)
    [('主题', '人才'), ('有效性', '仅收录现行有效的政策')]
    """
    from policy_search.search.filters import FILTER_FIELDS, REGION

    shown = {"applies_to": "适用地区", "in_force": "有效性"}
    rows = []
    for spec in sorted(FILTER_FIELDS, key=lambda f: f.name != "applies_to"):  # the place first
        value = filters.get(spec.name)
        if not value:
            continue
        if spec.name == "in_force":
            value = "仅收录现行有效的政策"
        elif spec.kind == REGION:
            value = region_path(value)[1]
        elif spec.name == "level":
            value = LEVEL_NAMES_ZH[value]
        elif spec.name == "type":
            value = DOC_TYPE_NAMES_ZH[value]
        rows.append((shown.get(spec.name, spec.title), value))
    return rows or [("范围", "全部已收录政策")]


def describe_filters(**filters) -> str:
    """The filters in one phrase for an error message."""
    given = [f"{name.replace('_', '-')}={value}" for name, value in filters.items()
             if value and value is not True]
    given += [f"--{name.replace('_', '-')}" for name, value in filters.items() if value is True]
    return "the filters " + ", ".join(given) if given else "(the index is empty)"


def chinese_date(iso: str | None) -> str:
    """An ISO date written the Chinese way.

    >>> chinese_date("2020-03-05"), chinese_date(None), chinese_date("2020")
    ('2020年3月5日', '', '2020')
    """
    if not iso:
        return ""
    try:
        day = datetime.date.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{day.year}年{day.month}月{day.day}日"


# ------------------------------------------------------------------ summaries

def summary_of(policy: Policy, limit: int = SUMMARY_MAX) -> str:
    """Two or three printed lines: the opening after title, 文号 and addressee, cut at a sentence end.

    A short lead-in ("…现提出以下措施。") is followed by the first measure.

    >>> text = "某局关于某事的通知\\n某发〔2020〕1号\\n各有关单位：\\n为支持企业，现通知如下：\\n一、标题\\n（一）减免房租。其余略。"
    >>> summary_of(Policy(id="x", title="某局关于某事的通知", text=text))
    '为支持企业，现通知如下：（一）减免房租。其余略。'
    """
    paragraphs = body_paragraphs(policy)
    if not paragraphs:
        return ""
    summary = paragraphs[0]
    if len(summary) < limit * 2 // 3 or summary.endswith(("：", ":")):
        measure = next((p for p in paragraphs[1:] if any(end in p for end in _SENTENCE_ENDS)), "")
        summary += measure
    return clip_at_sentence(summary, limit)


def body_paragraphs(policy: Policy) -> list[str]:
    """The text's lines with the front matter (title, 文号, notes, addressee) left out."""
    lines = [line.strip() for line in policy.text.splitlines() if line.strip()]
    start = 0
    while start < min(len(lines), 8) and is_front_matter(lines[start], policy):
        start += 1
    return lines[start:]


def is_front_matter(line: str, policy: Policy) -> bool:
    """A line of the head of a document: part of the title, the 文号, a note in brackets, the addressee."""
    compact = line.replace(" ", "").replace("\u3000", "")
    title = policy.title.replace(" ", "").replace("\u3000", "")
    if len(compact) >= 2 and compact in title:
        return True
    if compact == (policy.doc_number or "").replace(" ", "") or _DOC_NUMBER_LINE.match(compact):
        return True
    if compact[:1] in "（(" and compact[-1:] in "）)":
        return True
    return is_addressee(compact)


def is_addressee(line: str) -> bool:
    """The 主送机关 line: ends with a colon, has no full stop and is not the lead-in to the measures.

    >>> is_addressee("各镇人民政府、街道办事处，区政府各部门："), is_addressee("现就有关事项通知如下：")
    (True, False)
    """
    return (line.endswith(("：", ":")) and not any(end in line for end in _SENTENCE_ENDS)
            and not any(phrase in line for phrase in _LEAD_IN))


def clip_at_sentence(text: str, limit: int = SUMMARY_MAX) -> str:
    """``text`` cut at a sentence end within ``limit`` characters, else at a clause (marked ……).

    A sentence end past ``SUMMARY_SOFT`` is best, then a clause end past it, then either past
    ``SUMMARY_MIN``.

    >>> clip_at_sentence("短句。" * 50, 12)
    '短句。短句。短句。短句。'
    >>> clip_at_sentence("一句话。" + "很长的一个分句，" * 20, 40)
    '一句话。很长的一个分句，很长的一个分句，很长的一个分句，很长的一个分句……'
    """
    if len(text) <= limit:
        return text
    head = text[:limit]
    sentence_end = max(head.rfind(mark) for mark in _SENTENCE_ENDS) + 1
    clause_end = max(head.rfind(mark) for mark in _CLAUSE_ENDS)
    for floor in (min(SUMMARY_SOFT, limit * 2 // 3), min(SUMMARY_MIN, limit // 3)):
        if sentence_end >= floor:
            return head[:sentence_end]
        if clause_end >= floor:
            return head[:clause_end] + "……"
    return head[:-1] + "……"


# ------------------------------------------------------------------ grouping and ordering

def build_booklet(policies: list[Policy], base_url: str, *, title: str,
                  filters: list[tuple[str, str]], today: datetime.date) -> Booklet:
    """Number the policies in printed order and group them into parts and topics."""
    parts: list[LevelPart] = []
    number = 0
    for index, level in enumerate(level_order(policies)):
        part = LevelPart(key=level, name=level_name(level), ordinal=chinese_ordinal(index + 1))
        in_level = [p for p in policies if level_of(p) == level]
        for topic_index, topic in enumerate(topic_order(in_level)):
            group = TopicGroup(name=topic, anchor=f"{part.anchor}-t{topic_index + 1}")
            for policy in newest_first([p for p in in_level if listed_topic(p) == topic]):
                number += 1
                group.entries.append(make_entry(number, policy, base_url))
            part.topics.append(group)
        parts.append(part)
    return Booklet(title=title, filters=filters, generated=chinese_date(today.isoformat()),
                   count=number, parts=parts, home_link=f"{base_url.rstrip('/')}/",
                   home_code=inline_qr(f"{base_url.rstrip('/')}/"))


def make_entry(number: int, policy: Policy, base_url: str) -> Entry:
    link = policy_link(base_url, policy.id)
    return Entry(number=number, policy=policy, link=link, summary=summary_of(policy),
                 code=inline_qr(link))


def level_of(policy: Policy) -> str:
    """The part a policy is printed in: its level, or NO_LEVEL."""
    return policy.level if policy.level in LEVELS else NO_LEVEL


def level_order(policies: list[Policy]) -> list[str]:
    """The levels present, 中央 first, those of no known level last."""
    present = {level_of(p) for p in policies}
    return [level for level in (*LEVELS, NO_LEVEL) if level in present]


def level_name(level: str) -> str:
    return f"{LEVEL_NAMES_ZH[level]}政策" if level in LEVEL_NAMES_ZH else "其他政策"


def listed_topic(policy: Policy) -> str:
    """The topic a policy is listed under: its first one, or 其他."""
    return policy.topics[0] if policy.topics else OTHER


def topic_order(policies: list[Policy]) -> list[str]:
    """The topics the policies are listed under: the rule file's order, unknown ones next, 其他 last."""
    present = {listed_topic(p) for p in policies}
    known = [t for t in topic_names() if t in present]
    unknown = sorted(present - set(known) - {OTHER})
    return known + unknown + ([OTHER] if OTHER in present else [])


def newest_first(policies: list[Policy]) -> list[Policy]:
    """By date, newest first; undated last; ties by title."""
    by_title = sorted(policies, key=lambda p: p.title)
    dated = sorted((p for p in by_title if p.written_date or p.publish_date),
                   key=lambda p: p.written_date or p.publish_date, reverse=True)
    return dated + [p for p in by_title if not (p.written_date or p.publish_date)]


def chinese_ordinal(n: int) -> str:
    """一, 二, … 十 for the parts.

    >>> chinese_ordinal(4)
    '四'
    """
    return "一二三四五六七八九十"[n - 1] if 1 <= n <= 10 else str(n)


# ------------------------------------------------------------------ QR code and rendering

def inline_qr(link: str) -> Markup:
    """The code of ``link`` as an ``<svg>`` element to put in the page, sized by the stylesheet."""
    return Markup(_inline_svg(link))


@functools.lru_cache(maxsize=4096)
def _inline_svg(link: str) -> str:
    """Rendered once per link: a publication prints each policy in several booklets."""
    svg = qr_svg(link).decode("utf-8")
    svg = svg[svg.index("<svg"):]
    label = escape(f"二维码：{link}")
    svg = re.sub(r'^<svg width="[^"]*" height="[^"]*"',
                 f'<svg class="qr" role="img" aria-label="{label}" shape-rendering="crispEdges"',
                 svg, count=1)
    return svg


def render_booklet(booklet: Booklet) -> str:
    """The booklet's HTML."""
    env = Environment(loader=PackageLoader("policy_search", "templates"), autoescape=True,
                      trim_blocks=True, lstrip_blocks=True)
    return env.get_template("booklet.html").render(book=booklet, qr_mm=QR_MM)


def write_atomically(target: Path, data: bytes) -> None:
    """Write through a temporary file beside the target, so no reader sees half a booklet.

    The file gets the mode ``open()`` would give it (not the temporary file's 0600): a web server
    running as another user reads what ``booklet --publish`` writes.
    """
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        os.fchmod(handle, 0o666 & ~_umask())
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# ------------------------------------------------------------------ PDF through chromium

def check_pdf_printer() -> None:
    """Fail early, with a hint, when a PDF cannot be printed here."""
    if not CHROMIUM.exists():
        raise ConfigurationError(f"a PDF booklet needs chromium at {CHROMIUM}", hint=PDF_HINT)
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        raise ConfigurationError("a PDF booklet needs the playwright package", hint=PDF_HINT) from None


def print_pdf(html: str) -> bytes:
    """The HTML printed to an A4 PDF by chromium (margins and page breaks from the stylesheet)."""
    return print_pdfs([html])[0]


def print_pdfs(htmls: list[str]) -> list[bytes]:
    """Each HTML printed to an A4 PDF, in one chromium session (a publication prints many)."""
    from playwright.sync_api import Error as BrowserError
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                try:
                    printed = []
                    for number, html in enumerate(htmls):
                        page_file = Path(folder) / f"booklet-{number}.html"
                        page_file.write_text(html, encoding="utf-8")
                        page = browser.new_page()
                        try:
                            page.goto(page_file.as_uri(), wait_until="load")
                            page.evaluate("document.fonts.ready.then(() => true)")
                            printed.append(page.pdf(format="A4", print_background=True))
                        finally:
                            page.close()
                    return printed
                finally:
                    browser.close()
        except BrowserError as exc:
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ConfigurationError(f"chromium could not print the booklet: {first_line}",
                                     hint=PDF_HINT) from None
