"""Real-browser tests of the web pages: Playwright driving Debian's chromium, phone and desktop.

The pages are served by the real ``policy-search serve`` command (waitress) over an index of
corpus/. Every test runs once per viewport and saves screenshots to
``test-output/screenshots/{viewport}-{step}.png``. Skips, saying why, when chromium, Playwright
or a CJK font is missing (install: ``apt-get install -y chromium fonts-noto-cjk``). Playwright's
own browser downloads are never used.
"""
from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import subprocess
import sys
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from helpers import REPO, serving

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOTS = REPO / "test-output" / "screenshots"
MIN_TOUCH_PX = 44

#: The viewports every test runs at: a phone (iPhone X size) and a desktop window.
VIEWPORTS = {
    "phone": {"viewport": {"width": 375, "height": 812}, "is_mobile": True, "has_touch": True,
              "device_scale_factor": 2},
    "desktop": {"viewport": {"width": 1280, "height": 900}},
}


def _cjk_font_installed() -> bool:
    if shutil.which("fc-list") is None:
        return False
    listing = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, check=False)
    return bool(listing.stdout.strip())


if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} not found: apt-get install -y chromium fonts-noto-cjk",
                allow_module_level=True)
if not _cjk_font_installed():
    pytest.skip("no Chinese font (fc-list :lang=zh is empty): apt-get install -y fonts-noto-cjk",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api",
                               reason="playwright not installed: pip install -e '.[test]'")

pytestmark = pytest.mark.browser


# ---------------------------------------------------------------- the server and the browser

@pytest.fixture(scope="module")
def base_url(corpus_data_dir):
    """The URL of a running ``policy-search serve`` over the corpus index."""
    with serving(corpus_data_dir) as server:
        yield server.url


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module", params=list(VIEWPORTS))
def viewport(request) -> str:
    """The name of the viewport the test runs at: ``phone`` or ``desktop``."""
    return request.param


@dataclass
class Tab:
    """A browser page at one viewport, recording console errors and uncaught exceptions."""

    page: object
    viewport: str
    base_url: str
    errors: list[str] = field(default_factory=list)
    expected_failures: set[str] = field(default_factory=set)

    @property
    def is_phone(self) -> bool:
        return self.viewport == "phone"

    def open(self, path: str, status: int = 200) -> None:
        if status >= 400:
            self.expected_failures.add(self.base_url + path)
        response = self.page.goto(self.base_url + path)
        assert response is not None and response.status == status, (path, response and response.status)

    def navigate_by(self, action) -> None:
        """Run ``action`` (a click, a choice) and wait for the page it loads."""
        with self.page.expect_navigation():
            action()
        self.page.wait_for_load_state("load")

    def screenshot(self, step: str, full_page: bool = False) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{self.viewport}-{step}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def check_page(self) -> None:
        """What every page must do: Chinese language, no sideways scrolling, no errors so far."""
        assert self.page.get_attribute("html", "lang") == "zh-CN"
        scroll_width, inner_width = self.page.evaluate(
            "[document.documentElement.scrollWidth, window.innerWidth]")
        assert scroll_width <= inner_width, (
            f"{self.page.url} scrolls sideways at {self.viewport}: {scroll_width} > {inner_width} px")
        assert not self.errors, f"browser errors on {self.page.url}: {self.errors}"

    def height_of(self, selector: str) -> float:
        box = self.page.locator(selector).first.bounding_box()
        assert box is not None, f"{selector} is not visible"
        return box["height"]

    def result_count(self) -> int:
        return int(self.page.locator(".results-bar .count strong").inner_text())


@pytest.fixture
def tab(browser, viewport, base_url):
    with _tab_at(browser, viewport, base_url) as tab:
        yield tab


@contextlib.contextmanager
def _tab_at(browser, viewport: str, base_url: str):
    context = browser.new_context(**VIEWPORTS[viewport], locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    tab = Tab(page=page, viewport=viewport, base_url=base_url)
    page.on("console", lambda message: _record_console_error(tab, message))
    page.on("pageerror", lambda error: tab.errors.append(f"uncaught: {error}"))
    try:
        yield tab
    finally:
        context.close()


def _record_console_error(tab: Tab, message) -> None:
    # Chromium reports Content-Security-Policy violations as console errors too. Not counted: the
    # icon the browser asks for by itself (/favicon.ico, which the site does not have) and the
    # status of a page the test opens expecting an error status.
    if message.type != "error":
        return
    source = message.location.get("url", "")
    failed_load = message.text.startswith("Failed to load resource")
    if failed_load and (source.endswith("/favicon.ico") or source in tab.expected_failures):
        return
    tab.errors.append(f"console: {message.text} ({source})")


def _search_from_home(tab: Tab, query: str) -> None:
    tab.open("/")
    tab.page.fill("form.search input[name=q]", query)
    tab.navigate_by(lambda: tab.page.click("form.search button[type=submit]"))
    assert "/search?" in tab.page.url


def _label_and_count(chip) -> tuple[str, int]:
    """A facet chip's label and count: '复工复产 12' -> ('复工复产', 12)."""
    label, count = chip.inner_text().rsplit(maxsplit=1)
    return label.strip(), int(count)


# ---------------------------------------------------------------- the tests

def test_home_page(tab):
    tab.open("/")
    page = tab.page
    assert page.locator("form.search input[name=q]").is_visible()
    assert page.locator(".shortcuts .chip").count() > 0
    assert page.locator(".newest .hit").count() > 0
    assert page.locator(".recent .hit").count() > 0, "the 新收录 list beside the newest by date"
    if tab.is_phone:
        assert tab.height_of("form.search input[name=q]") >= MIN_TOUCH_PX
        assert tab.height_of("form.search button[type=submit]") >= MIN_TOUCH_PX
    tab.screenshot("home")
    tab.check_page()


@pytest.mark.parametrize("query, step", [
    ("复工复产", "search-keyword"),
    ("小微企业房租减免怎么申请", "search-question"),
])
def test_search_from_home(tab, query, step):
    _search_from_home(tab, query)
    page = tab.page
    hits = page.locator("article.hit")
    assert hits.count() > 0, f"no hits for {query}"
    assert page.locator("article.hit .snippet mark").count() > 0, "no highlighted words in snippets"
    assert page.input_value("form.search input[name=q]") == query
    tab.screenshot(step)
    tab.check_page()


def test_narrow_by_topic_facet(tab):
    _search_from_home(tab, "复工复产")
    page = tab.page
    before = tab.result_count()
    page.click("details.facets summary")
    chip = page.locator(".facet[data-facet=topic] .chip:not(.on)").first
    label, count = _label_and_count(chip)
    tab.screenshot("facets-open")
    tab.navigate_by(chip.click)
    assert "topic=" in page.url
    assert 0 < tab.result_count() <= before
    assert tab.result_count() == count, "the chip's count is the number of results it leads to"
    active = page.locator(".active-filters .chip")
    assert active.count() >= 1
    assert label in active.first.inner_text()
    tab.screenshot("facet-chosen")
    tab.check_page()


def test_open_policy_from_results(tab):
    _search_from_home(tab, "复工复产")
    page = tab.page
    link = page.locator("article.hit h3 a").first
    title = link.inner_text().strip()
    tab.navigate_by(link.click)
    assert re.search(r"/p/[\w-]+$", page.url), page.url
    assert page.locator("article.policy h1").inner_text().strip() == title
    assert page.locator("article.policy dl.facts dt").count() >= 2
    assert page.locator("article.policy .body p").count() > 0
    assert page.get_attribute(".actions a.button", "href").endswith("/original")
    assert page.locator(".share").is_visible()
    tab.screenshot("policy", full_page=True)
    tab.check_page()


def test_match_shandong_zaozhuang_yicheng(tab):
    tab.open("/match")
    page = tab.page
    assert page.locator("select[name=city]").count() == 0
    tab.check_page()
    tab.navigate_by(lambda: page.select_option("select[name=province]", "370000"))
    assert page.locator("select[name=city]").is_visible()
    tab.navigate_by(lambda: page.select_option("select[name=city]", "370400"))
    assert page.locator("select[name=county]").is_visible()
    # The county chooser submits on change too; the button then asks again with the same choice.
    tab.navigate_by(lambda: page.select_option("select[name=county]", "370404"))
    assert page.input_value("select[name=county]") == "370404"
    tab.navigate_by(lambda: page.click("form.match button[type=submit]"))
    result = page.locator(".match-result")
    assert result.is_visible()
    assert "峄城区" in result.locator("h2").inner_text()
    heads = result.locator(".level-head")
    assert heads.count() >= 2, "expected policies from more than one level"
    assert heads.first.inner_text().strip()
    assert result.locator("article.hit").count() > 0
    if tab.is_phone:
        assert tab.height_of("select[name=province]") >= MIN_TOUCH_PX
    tab.screenshot("match")
    heads.first.scroll_into_view_if_needed()
    tab.screenshot("match-first-group")
    tab.check_page()


def test_search_page_offers_the_feed_of_that_search(tab):
    feedparser = pytest.importorskip("feedparser", reason="feedparser not installed: pip install -e '.[test]'")
    _search_from_home(tab, "复工复产")
    page = tab.page
    link = page.locator('head link[rel="alternate"][type="application/atom+xml"]')
    assert link.count() == 1, "one feed named in the head"
    assert "复工复产" in link.get_attribute("title")
    href = link.evaluate("element => element.href")  # as the browser resolves it
    assert "/feed.atom?q=" in href
    total = tab.result_count()
    shown = [a.get_attribute("href").rsplit("/", 1)[1] for a in page.locator("article.hit h3 a").all()]
    answer = page.request.get(href)
    assert answer.status == 200 and answer.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(answer.body())
    assert not feed.bozo and feed.version == "atom10"
    ids = [entry.link.rsplit("/", 1)[1] for entry in feed.entries]
    assert len(ids) == min(total, 50) and set(shown) <= set(ids), "the feed holds the search's policies"
    assert feed.feed.links[0].href == href
    tab.check_page()


def test_no_results_page(tab):
    tab.open("/search?q=" + urllib.request.quote("量子引力火星殖民"))
    page = tab.page
    assert page.locator("article.hit").count() == 0
    assert page.locator(".no-results").is_visible()
    tab.screenshot("no-results")
    tab.check_page()


def test_paging_through_all_policies(tab):
    tab.open("/search")
    page = tab.page
    pager = page.locator(".pager")
    if pager.count() == 0:
        pytest.skip("the corpus fits on one page")
    tab.navigate_by(lambda: page.click(".pager a[rel=next]"))
    assert "page=2" in page.url
    assert page.locator("article.hit").count() > 0
    tab.screenshot("page-2")
    tab.check_page()


def test_not_found_page(tab):
    tab.open("/p/no-such-policy", status=404)
    page = tab.page
    assert page.locator(".error-page .status").inner_text().strip() == "404"
    assert page.locator(".error-page form.search input[name=q]").is_visible()
    tab.screenshot("not-found")
    tab.check_page()


# ---------------------------------------------------------------- a district's site: its own data directory

#: The district the second server is run for, and the public address its booklets print.
HOME_REGION = "370404"
PUBLIC_URL = "https://zc.example.cn"


@pytest.fixture(scope="module")
def district(corpus_data_dir, tmp_path_factory):
    """A copy of the corpus index with the download centre's set published (HTML and PDF, by the
    real command), served with POLICY_SEARCH_HOME_REGION=370404. A copy: 生成二维码 writes."""
    data_dir = tmp_path_factory.mktemp("district") / "var"
    shutil.copytree(corpus_data_dir, data_dir, ignore=shutil.ignore_patterns("*-shm", "*.lock", "*WRITELOCK"))
    settings = {"POLICY_SEARCH_HOME_REGION": HOME_REGION}
    # a process of its own: Playwright's sync API cannot start while this module's browser runs
    published = subprocess.run(
        [sys.executable, "-m", "policy_search.cli", "--data-dir", str(data_dir), "booklet", "--publish",
         "--base-url", PUBLIC_URL], capture_output=True, text=True, timeout=600, env={**os.environ, **settings})
    assert published.returncode == 0, published.stderr
    with serving(data_dir, env=settings) as server:
        yield {"url": server.url, "data_dir": data_dir}


@pytest.fixture
def district_tab(browser, viewport, district):
    with _tab_at(browser, viewport, district["url"]) as tab:
        yield tab


def _decode_qr(png: bytes) -> list[str]:
    zxingcpp = pytest.importorskip("zxingcpp", reason="zxing-cpp (test extra) decodes the QR codes")
    image = pytest.importorskip("PIL.Image", reason="pillow (test extra) loads the images")
    return [found.text for found in zxingcpp.read_barcodes(image.open(io.BytesIO(png)))]


def test_download_centre_serves_the_published_booklets(district_tab, district):
    from policy_search.publications import publication_dir, read_publication

    tab, page = district_tab, district_tab.page
    publication = read_publication(district["data_dir"])
    tab.open("/")
    tab.navigate_by(lambda: page.click("header.site nav a:text('下载中心')"))
    assert page.url == tab.base_url + "/downloads"
    items = page.locator("section.booklets li.booklet")
    assert items.count() == len(publication.booklets) > 10
    assert "适用于山东省枣庄市峄城区" in page.locator("section.booklets .meta").first.inner_text()
    tab.screenshot("downloads", full_page=True)
    tab.check_page()
    county = page.locator("li.booklet[data-key=level-county]")
    title = county.locator(".title").inner_text()
    count = int(re.match(r"\d+", county.locator(".n").inner_text()).group())
    assert title == "峄城区惠企政策汇编（区县级）" and count == publication.booklet("level-county").count

    # 在线阅读: the booklet itself, in the browser, ready to print
    tab.navigate_by(lambda: county.locator("a", has_text="在线阅读").click())
    assert page.url == tab.base_url + "/downloads/level-county.html"
    assert page.title() == title == page.locator(".cover h1").inner_text()
    assert page.locator("main article.entry").count() == count
    tab.screenshot("downloads-booklet")
    tab.check_page()

    # PDF: following its link downloads the printed booklet, under its title
    tab.open("/downloads")
    with page.expect_download() as started:
        page.locator("li.booklet[data-key=level-county] a", has_text="PDF").click()
    download = started.value
    assert download.suggested_filename == f"{title}.pdf"
    printed = Path(download.path()).read_bytes()
    folder = publication_dir(district["data_dir"]) / publication.folder
    assert printed.startswith(b"%PDF-") and printed == (folder / "level-county.pdf").read_bytes()


def test_search_code_decodes_to_the_short_link_of_that_search(district_tab):
    from policy_search.links import saved_search_id

    tab, page = district_tab, district_tab.page
    _search_from_home(tab, "稳岗补贴")
    total = tab.result_count()
    tab.navigate_by(lambda: page.click("form.make-code button"))
    sid = re.search(r"/s/([a-z0-9]+)/qr$", page.url).group(1)
    assert sid == saved_search_id({"q": "稳岗补贴"})  # the same search from either viewport: one id
    link = page.locator(".search-code figcaption a").inner_text()
    assert link == f"{tab.base_url}/s/{sid}"
    code = page.locator(".search-code figure img")
    code.scroll_into_view_if_needed()
    assert _decode_qr(code.screenshot()) == [link]
    tab.screenshot("search-code", full_page=True)
    tab.check_page()
    # what a phone that scans the code opens: the same search
    tab.open(f"/s/{sid}")
    assert "/search?" in page.url and page.input_value("form.search input[name=q]") == "稳岗补贴"
    assert tab.result_count() == total


def test_the_home_district_is_chosen_and_its_policies_come_first(district_tab):
    tab, page = district_tab, district_tab.page
    tab.open("/match")
    assert [page.input_value(f"select[name={name}]") for name in ("province", "city", "county")] == \
        ["370000", "370400", "370404"]
    assert "峄城区" in page.locator(".match-result h2").inner_text()
    tab.screenshot("match-home")
    tab.check_page()
    tab.open("/")
    sections = page.locator("main > section")
    assert sections.nth(0).get_attribute("class") == "hero"
    assert sections.nth(1).get_attribute("class") == "local"
    assert "本地政策" in sections.nth(1).locator("h2").inner_text()
    assert sections.nth(1).locator("article.hit").count() == 5
    links = page.locator("footer.site nav.external-links a")
    assert links.count() == 3 and links.first.inner_text() == "国务院政策文件库"
    assert all("noopener" in (a.get_attribute("rel") or "") for a in links.all())
    tab.screenshot("home-local")
    page.locator("footer.site").scroll_into_view_if_needed()
    tab.screenshot("home-footer")
    tab.check_page()
