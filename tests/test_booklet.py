"""The printed compendium (``policy-search booklet``): contents, order, filters, escaping, and codes
that a phone can read.

The codes are checked the way a reader meets them: the booklet is rendered by a real chromium
(Debian's, through Playwright; never Playwright's own download), each entry's code is photographed
and decoded with zxing-cpp, and the decoded link is opened in the web app. Renderings are saved to
``test-output/booklet/``. The browser tests skip, saying why, without chromium, Playwright or
zxing-cpp.
"""
from __future__ import annotations

import io
import logging
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner

from policy_search import booklet as booklet_module
from policy_search.booklet import clip_at_sentence, summary_of
from policy_search.cli import main
from policy_search.links import policy_link
from policy_search.models import LEVEL_NAMES_ZH, LEVELS, Policy, validity_status

from helpers import REPO, index_texts

BASE = "https://zc.example.cn"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
RENDERINGS = REPO / "test-output" / "booklet"
#: A4 at 96 dpi.
A4_WIDTH_PX, A4_HEIGHT_PX = 794, 1123


# ---------------------------------------------------------------- making booklets

def make_booklet(data_dir: Path, output: Path, *options: str, base_url: str | None = BASE,
                 home_region: str = ""):
    """Run ``policy-search booklet`` through click (with ``POLICY_SEARCH_HOME_REGION`` as given,
    none by default); returns the result (exceptions propagate)."""
    args = ["--data-dir", str(data_dir), "booklet", "-o", str(output), *options]
    if base_url:
        args += ["--base-url", base_url]
    return CliRunner().invoke(main, args, catch_exceptions=False,
                              env={"POLICY_SEARCH_HOME_REGION": home_region})


def read_booklet(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def entries(page: BeautifulSoup) -> list:
    return page.select("main article.entry")


def entry_ids(page: BeautifulSoup) -> list[str]:
    return [entry["data-policy-id"] for entry in entries(page)]


def printed_count(output: str) -> int:
    found = re.search(r"Wrote .+: (\d+) policies\.", output)
    assert found, output
    return int(found.group(1))


@pytest.fixture(scope="module")
def corpus_booklet(corpus_data_dir, tmp_path_factory) -> tuple[Path, str]:
    """The booklet of the whole corpus, written once: its path and what the command printed."""
    path = tmp_path_factory.mktemp("booklet") / "政策汇编.html"
    result = make_booklet(corpus_data_dir, path)
    assert result.exit_code == 0, result.output
    return path, result.output


@pytest.fixture(scope="module")
def corpus_policies(corpus_data_dir) -> dict[str, Policy]:
    from policy_search import open_service

    with open_service(corpus_data_dir) as service:
        return {policy.id: policy for policy in service.list_policies()}


@pytest.fixture
def no_base_url_setting(monkeypatch):
    monkeypatch.delenv("POLICY_SEARCH_BASE_URL", raising=False)


# ---------------------------------------------------------------- contents and order

def test_every_policy_once_with_its_code_and_link(corpus_booklet, corpus_policies):
    path, output = corpus_booklet
    page = read_booklet(path)
    ids = entry_ids(page)
    assert len(ids) == len(set(ids)) == len(corpus_policies) == printed_count(output) == 30
    assert set(ids) == set(corpus_policies)
    for entry in entries(page):
        policy = corpus_policies[entry["data-policy-id"]]
        assert entry.select_one(".entry-title").get_text().endswith(policy.title)
        assert len(entry.select("svg.qr")) == 1
        assert entry.select_one(".entry-link").get_text() == policy_link(BASE, policy.id)
        if policy.doc_number:
            assert policy.doc_number in entry.select_one(".entry-facts").get_text()
    assert len(page.select("svg.qr")) == 30 + 1  # one per policy, one for the home page on the cover


def test_self_contained_a4_chinese_document(corpus_booklet):
    path, _ = corpus_booklet
    html = path.read_text(encoding="utf-8")
    page = read_booklet(path)
    assert page.html["lang"] == "zh-CN"
    assert page.title.get_text() == "峄城区惠企政策汇编" == page.select_one(".cover h1").get_text()
    style = page.style.get_text()
    assert "size: A4" in style and "Noto Sans CJK SC" in style and "Noto Serif CJK SC" in style
    assert "break-inside: avoid" in style and "page-break-inside: avoid" in style
    assert "<?xml" not in html
    assert not page.select("script, link[rel=stylesheet], img[src]")  # nothing to fetch
    cover = page.select_one(".cover").get_text()
    assert "收录政策30件" in cover and "扫码直达" in cover and "编印日期" in cover


def _rank(policy: Policy, topic_order: list[str]) -> tuple:
    level = LEVELS.index(policy.level) if policy.level in LEVELS else len(LEVELS)
    first_topic = policy.topics[0] if policy.topics else "其他"
    return level, topic_order.index(first_topic)


def test_order_is_level_then_topic_then_newest(corpus_booklet, corpus_policies):
    page = read_booklet(corpus_booklet[0])
    parts = page.select("main section.part")
    assert [part.select_one("h2").get_text() for part in parts] == \
        [f"{LEVEL_NAMES_ZH[level]}政策" for level in LEVELS]
    for part in parts:
        for topic in part.select("section.topic"):
            name = topic.select_one(".topic-name").contents[0].strip()
            listed = [corpus_policies[e["data-policy-id"]] for e in topic.select("article.entry")]
            assert all((p.topics[0] if p.topics else "其他") == name for p in listed)
            dates = [p.written_date or p.publish_date or "" for p in listed]
            assert dates == sorted(dates, reverse=True)
    numbers = [int(e.select_one(".entry-title .no").get_text()) for e in entries(page)]
    assert numbers == list(range(1, 31))


def test_contents_link_every_entry_in_order(corpus_booklet):
    page = read_booklet(corpus_booklet[0])
    targets = [a["href"] for a in page.select("nav.contents .toc-entries a")]
    assert targets == [f"#p-{pid}" for pid in entry_ids(page)]
    anchors = {element["id"] for element in page.select("[id]")}
    assert all(a["href"][1:] in anchors for a in page.select("nav.contents a"))
    assert [h.a.get_text(" ", strip=True) for h in page.select("nav.contents .toc-part > h3")] == \
        ["第一部分 中央政策", "第二部分 省级政策", "第三部分 市级政策", "第四部分 区县级政策"]


def test_summaries_are_short_and_end_cleanly(corpus_booklet, corpus_policies):
    page = read_booklet(corpus_booklet[0])
    for entry in entries(page):
        policy = corpus_policies[entry["data-policy-id"]]
        summary = entry.select_one(".entry-summary").get_text()
        assert 30 <= len(summary) <= booklet_module.SUMMARY_MAX + 2, summary
        assert summary.endswith(("。", "……")), summary
        assert policy.title not in summary and "示例文件" not in summary and "仅供演示" not in summary
        assert not summary.startswith("各"), summary  # not the addressee


def test_policies_without_level_or_topic_come_last_under_other():
    policies = [
        Policy(id="a", title="无层级无主题", text="", written_date="2020-05-01"),
        Policy(id="b", title="区县人才", text="", level="county", topics=["人才"], written_date="2020-01-01"),
        Policy(id="c", title="区县无主题", text="", level="county", written_date="2020-06-01"),
        Policy(id="d", title="区县复工", text="", level="county", topics=["复工复产", "人才"]),
        Policy(id="e", title="中央自定主题", text="", level="central", topics=["自定主题"]),
    ]
    book = booklet_module.build_booklet(policies, BASE, title="T", filters=[],
                                        today=booklet_module.datetime.date(2024, 5, 1))
    layout = [(part.name, [(group.name, [e.policy.id for e in group.entries]) for group in part.topics])
              for part in book.parts]
    assert layout == [("中央政策", [("自定主题", ["e"])]),
                      ("区县级政策", [("复工复产", ["d"]), ("人才", ["b"]), ("其他", ["c"])]),
                      ("其他政策", [("其他", ["a"])])]
    assert [e.number for part in book.parts for g in part.topics for e in g.entries] == [1, 2, 3, 4, 5]
    assert book.count == 5 and book.generated == "2024年5月1日"


def test_summary_skips_the_head_of_a_document():
    text = ("山东省人民政府\n关于某事的通知\n鲁政发〔2020〕3号\n（示例文件）\n各市人民政府，省政府各部门：\n"
            "为帮助企业渡过难关，现就有关事项通知如下：\n一、总体要求\n（一）减免房租。其余内容从略。")
    policy = Policy(id="x", title="山东省人民政府关于某事的通知", text=text, doc_number="鲁政发〔2020〕3号")
    assert summary_of(policy) == "为帮助企业渡过难关，现就有关事项通知如下：（一）减免房租。其余内容从略。"
    assert summary_of(Policy(id="y", title="空", text="")) == ""


def test_clip_prefers_a_sentence_end_then_a_clause():
    sentence = "甲" * 50 + "。" + "乙" * 60 + "。"
    assert clip_at_sentence(sentence, 80) == "甲" * 50 + "。"
    clauses = "甲" * 70 + "，" + "乙" * 60
    assert clip_at_sentence(clauses, 80) == "甲" * 70 + "……"
    assert clip_at_sentence("短。", 80) == "短。"


# ---------------------------------------------------------------- filters and options

def test_level_filter(corpus_data_dir, corpus_policies, tmp_path):
    path = tmp_path / "county.html"
    result = make_booklet(corpus_data_dir, path, "--level", "county")
    assert result.exit_code == 0, result.output
    page = read_booklet(path)
    county = {pid for pid, p in corpus_policies.items() if p.level == "county"}
    assert set(entry_ids(page)) == county and printed_count(result.output) == len(county) > 0
    assert [h.get_text() for h in page.select("main section.part h2")] == ["区县级政策"]
    assert page.select_one(".cover h1").get_text() == "峄城区惠企政策汇编（区县级）"


def test_topic_filter(corpus_data_dir, corpus_policies, tmp_path):
    path = tmp_path / "jobs.html"
    result = make_booklet(corpus_data_dir, path, "--topic", "稳岗就业")
    assert result.exit_code == 0, result.output
    page = read_booklet(path)
    tagged = {pid for pid, p in corpus_policies.items() if "稳岗就业" in p.topics}
    assert set(entry_ids(page)) == tagged and printed_count(result.output) == len(tagged) > 1
    assert page.select_one(".cover h1").get_text() == "峄城区稳岗就业政策汇编"
    assert "主题" in page.select_one(".cover-facts").get_text()


def test_applies_to_and_in_force_filters_and_title_option(corpus_data_dir, corpus_policies, tmp_path):
    path = tmp_path / "yicheng.html"
    result = make_booklet(corpus_data_dir, path, "--applies-to", "峄城区", "--in-force",
                          "--title", "榴乡惠企政策手册")
    assert result.exit_code == 0, result.output
    page = read_booklet(path)
    for pid in entry_ids(page):
        policy = corpus_policies[pid]
        assert policy.level == "central" or policy.region.name in ("山东省", "枣庄市", "峄城区")
        assert validity_status(policy.valid_until) != "expired"
    assert not page.select(".expired")
    assert page.title.get_text() == page.select_one(".cover h1").get_text() == "榴乡惠企政策手册"
    facts = page.select_one(".cover-facts").get_text()
    assert "山东省枣庄市峄城区" in facts and "现行有效" in facts


def test_the_home_district_is_the_default_place(corpus_data_dir, tmp_path):
    from policy_search import open_service

    with open_service(corpus_data_dir) as service:
        applies = {h.id for h in service.search("", limit=50, details=False, type="policy",
                                                applies_to="370404").hits}
    assert 0 < len(applies) < 30
    result = make_booklet(corpus_data_dir, tmp_path / "home.html", home_region="370404")
    assert result.exit_code == 0, result.output
    page = read_booklet(tmp_path / "home.html")
    assert set(entry_ids(page)) == applies
    assert page.select_one(".cover h1").get_text() == "峄城区惠企政策汇编"
    assert "山东省枣庄市峄城区" in page.select_one(".cover-facts").get_text()
    # an explicit place wins, and 'all' means every place
    make_booklet(corpus_data_dir, tmp_path / "city.html", "--applies-to", "枣庄市", home_region="370404")
    assert read_booklet(tmp_path / "city.html").select_one(".cover h1").get_text() == "枣庄市惠企政策汇编"
    make_booklet(corpus_data_dir, tmp_path / "all.html", "--applies-to", "all", home_region="峄城区")
    assert len(entry_ids(read_booklet(tmp_path / "all.html"))) == 30


@pytest.mark.parametrize("setting, message", [
    ("火星区", "unknown region '火星区'"), ("999999", "unknown division code '999999'"),
    ("市中区", "region '市中区' is ambiguous"),
])
def test_an_unusable_home_district_is_one_error_with_a_hint(corpus_data_dir, tmp_path, setting, message):
    result = make_booklet(corpus_data_dir, tmp_path / "b.html", home_region=setting)
    assert result.exit_code == 1 and not (tmp_path / "b.html").exists()
    assert f"Error: POLICY_SEARCH_HOME_REGION: {message}" in result.output
    assert re.search(r"^Hint: .+POLICY_SEARCH_HOME_REGION empty", result.output, re.MULTILINE)


def test_hostile_text_is_escaped(tmp_path, data_dir):
    hostile = ("<script>alert('title')</script>关于<b>稳岗</b>的通知\n峄政发〔2020〕99号\n"
               "为支持企业，<script>alert('body')</script>现通知如下：<img src=x onerror=alert(1)>。\n"
               "一、稳岗返还。按规定返还失业保险费。\n峄城区人民政府\n2020年3月1日")
    index_texts(tmp_path / "docs", data_dir, {"hostile.txt": hostile})
    path = tmp_path / "hostile.html"
    result = make_booklet(data_dir, path)
    assert result.exit_code == 0, result.output
    html = path.read_text(encoding="utf-8")
    assert "<script" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;script&gt;alert" in html
    assert len(entries(read_booklet(path))) == 1


def test_missing_base_url_is_one_error_with_a_hint(corpus_data_dir, tmp_path, no_base_url_setting):
    result = make_booklet(corpus_data_dir, tmp_path / "b.html", base_url=None)
    assert result.exit_code == 1
    assert re.search(r"^Error: .+$", result.output, re.MULTILINE) and re.search(r"^Hint: .+$", result.output, re.MULTILINE)
    assert "Traceback" not in result.output and not (tmp_path / "b.html").exists()


def test_base_url_from_the_environment(corpus_data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("POLICY_SEARCH_BASE_URL", "https://zc.yicheng.gov.cn/")
    path = tmp_path / "b.html"
    assert make_booklet(corpus_data_dir, path, "--level", "central", base_url=None).exit_code == 0
    links = {e.get_text() for e in read_booklet(path).select(".entry-link")}
    assert links and all(link.startswith("https://zc.yicheng.gov.cn/p/") for link in links)


def test_empty_selection_and_bad_suffix_are_errors(corpus_data_dir, tmp_path):
    empty = make_booklet(corpus_data_dir, tmp_path / "none.html", "--topic", "不存在的主题")
    assert empty.exit_code == 1
    assert "Error: no policy matches" in empty.output and "Hint: drop a filter" in empty.output
    wrong = make_booklet(corpus_data_dir, tmp_path / "book.docx")
    assert wrong.exit_code == 1 and "Hint: name the output file .html" in wrong.output
    assert not list(tmp_path.iterdir())


def test_pdf_without_chromium_says_what_to_do(corpus_data_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(booklet_module, "CHROMIUM", tmp_path / "no-chromium")
    result = make_booklet(corpus_data_dir, tmp_path / "book.pdf")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "Hint: write .html and print it from a browser, or install chromium" in result.output


# ---------------------------------------------------------------- in a real browser

def _browser_missing() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} not found: apt-get install -y chromium fonts-noto-cjk"
    for module, package in (("playwright.sync_api", "playwright"), ("zxingcpp", "zxing-cpp"),
                            ("PIL", "pillow")):
        try:
            __import__(module)
        except ImportError:
            return f"{package} not installed: pip install -e '.[test]'"
    return None


BROWSER_MISSING = _browser_missing()
needs_browser = pytest.mark.skipif(BROWSER_MISSING is not None, reason=BROWSER_MISSING or "")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _open(browser, path: Path, width: int = A4_WIDTH_PX, scale: int = 1):
    context = browser.new_context(viewport={"width": width, "height": A4_HEIGHT_PX},
                                  device_scale_factor=scale, locale="zh-CN")
    page = context.new_page()
    page.goto(path.as_uri(), wait_until="load")
    page.evaluate("document.fonts.ready.then(() => true)")
    return context, page


def _decode(png: bytes) -> list[str]:
    import zxingcpp
    from PIL import Image

    return [code.text for code in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


@pytest.fixture(scope="module")
def scanned(browser, corpus_booklet) -> dict[str, tuple[list[str], str]]:
    """Per policy id: what its photographed code decodes to, and the link printed under it."""
    context, page = _open(browser, corpus_booklet[0], scale=2)
    found = {}
    try:
        for entry in page.locator("main article.entry").all():
            entry.scroll_into_view_if_needed()
            decoded = _decode(entry.locator("svg.qr").screenshot())
            printed = entry.locator(".entry-link").evaluate("e => e.textContent")
            found[entry.get_attribute("data-policy-id")] = (decoded, printed)
        found["<cover>"] = (_decode(page.locator(".cover svg.qr").screenshot()), BASE + "/")
    finally:
        context.close()
    return found


@needs_browser
def test_every_code_decodes_to_its_policy_link(scanned, corpus_policies):
    assert set(scanned) - {"<cover>"} == set(corpus_policies)
    for policy_id, (decoded, printed) in scanned.items():
        expected = BASE + "/" if policy_id == "<cover>" else policy_link(BASE, policy_id)
        assert decoded == [expected], (policy_id, decoded)
        assert printed == expected


@needs_browser
def test_decoded_links_open_their_policies(scanned, corpus_app, corpus_policies):
    client = corpus_app.test_client()
    for policy_id, (decoded, _) in scanned.items():
        if policy_id == "<cover>":
            continue
        response = client.get(urlsplit(decoded[0]).path)
        assert response.status_code == 200, decoded
        heading = BeautifulSoup(response.get_data(as_text=True), "html.parser").h1.get_text(strip=True)
        assert heading == corpus_policies[policy_id].title


@needs_browser
def test_rendering_at_a4_width(browser, corpus_booklet):
    RENDERINGS.mkdir(parents=True, exist_ok=True)
    context, page = _open(browser, corpus_booklet[0])
    try:
        page.screenshot(path=str(RENDERINGS / "booklet.png"), full_page=True)
        page.locator(".cover").screenshot(path=str(RENDERINGS / "booklet-first-page.png"))
        page.emulate_media(media="print")
        styles = page.evaluate("""() => ({
            parts: [...document.querySelectorAll('main section.part')]
                .map(e => getComputedStyle(e).breakBefore),
            entries: [...new Set([...document.querySelectorAll('article.entry')]
                .map(e => getComputedStyle(e).breakInside))],
            sideways: document.documentElement.scrollWidth > window.innerWidth,
            codeMm: document.querySelector('article.entry svg.qr').getBoundingClientRect().width * 25.4 / 96,
        })""")
    finally:
        context.close()
    assert styles["parts"] == ["page"] * 4
    assert styles["entries"] == ["avoid"]
    assert not styles["sideways"]
    assert 28 <= styles["codeMm"] <= 32


@needs_browser
def test_print_layout_at_the_width_of_a_printed_page(browser, corpus_booklet):
    # The A4 page less its 18 mm side margins: the column the printed text flows in.
    context, page = _open(browser, corpus_booklet[0], width=round((210 - 2 * 18) * 96 / 25.4))
    try:
        page.emulate_media(media="print")
        page.screenshot(path=str(RENDERINGS / "booklet-print.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        context.close()


@needs_browser
def test_readable_on_a_phone(browser, corpus_booklet):
    context, page = _open(browser, corpus_booklet[0], width=375)
    try:
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.locator("main article.entry").first.screenshot(path=str(RENDERINGS / "booklet-phone-entry.png"))
    finally:
        context.close()


@needs_browser
def test_pdf_keeps_each_entry_on_one_page(corpus_data_dir, corpus_policies, tmp_path):
    # A separate process: Playwright's sync API cannot start while this module's browser runs.
    path = tmp_path / "booklet.pdf"
    command = [sys.executable, "-m", "policy_search.cli", "--data-dir", str(corpus_data_dir),
               "booklet", "-o", str(path), "--base-url", BASE]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert path.read_bytes().startswith(b"%PDF")
    RENDERINGS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, RENDERINGS / "booklet.pdf")
    if shutil.which("pdftoppm"):  # poppler-utils, when present: the printed pages as pictures
        subprocess.run(["pdftoppm", "-r", "60", "-png", str(path), str(RENDERINGS / "pdf-page")],
                       check=False, timeout=60)

    pages = _pdf_page_texts(path)
    assert len(pages) >= 6  # cover, contents, a part per level
    for policy_id, policy in corpus_policies.items():
        holding = [i for i, text in enumerate(pages)
                   if re.search(rf"/p/{re.escape(policy_id)}(?=\s|$)", text)]
        assert len(holding) == 1, (policy_id, holding)
        assert _title_pattern(policy.title).search("".join(pages[holding[0]].split())), policy_id


def _title_pattern(title: str) -> re.Pattern:
    """The start of a title as found in PDF text, where a few characters come out as radicals (⺠ for 民)."""
    head = "".join(unicodedata.normalize("NFKC", title).split())[:12]
    return re.compile("".join(f"(?:{re.escape(c)}|[\u2e80-\u2eff])" if "\u4e00" <= c <= "\u9fff"
                              else re.escape(c) for c in head))


def _pdf_page_texts(path: Path) -> list[str]:
    """Each page's text, NFKC-folded (CJK fonts map some characters to radicals)."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTTextContainer

    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    texts = []
    for layout in extract_pages(str(path)):
        text = "".join(e.get_text() for e in layout if isinstance(e, LTTextContainer))
        texts.append(unicodedata.normalize("NFKC", text))
    return texts
