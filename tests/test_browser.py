"""Real-browser tests of the web pages: Playwright driving Debian's chromium, phone and desktop.

The pages are served by the real ``policy-search serve`` command (waitress) over an index of
corpus/. Every test runs once per viewport and saves screenshots to
``test-output/screenshots/{viewport}-{step}.png``. Skips, saying why, when chromium, Playwright
or a CJK font is missing (install: ``apt-get install -y chromium fonts-noto-cjk``). Playwright's
own browser downloads are never used.
"""
from __future__ import annotations

import re
import shutil
import subprocess
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
    context = browser.new_context(**VIEWPORTS[viewport], locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    tab = Tab(page=page, viewport=viewport, base_url=base_url)
    page.on("console", lambda message: _record_console_error(tab, message))
    page.on("pageerror", lambda error: tab.errors.append(f"uncaught: {error}"))
    yield tab
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
