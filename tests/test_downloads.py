"""下载中心: ``booklet --publish`` writes the set into the data directory, ``/downloads`` lists and
serves it, and the originals of the policies by topic.

The set is published by the real command over a copy of the corpus index (HTML only here: the
PDFs are printed and fetched by chromium in ``tests/test_browser.py``), then read through the
real app. Booklets are parsed as a reader would (BeautifulSoup), files compared byte for byte.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner
from filelock import FileLock

from policy_search import open_service
from policy_search.cli import main
from policy_search.models import LEVEL_NAMES_ZH, LEVELS
from policy_search.publications import (INDEX_FILE, LOCK_FILE, booklet_key, publication_dir,
                                        read_publication)
from policy_search.vocabulary import topic_names
from web.app import create_app

BASE = "https://zc.example.cn"
YICHENG = "370404"


def run_cli(data_dir: Path, *args: str, env: dict | None = None):
    return CliRunner().invoke(main, ["--data-dir", str(data_dir), *args], env=env)


def publish(data_dir: Path, *args: str, env: dict | None = None):
    result = run_cli(data_dir, "booklet", "--publish", "--no-pdf", "--base-url", BASE, *args,
                     env={"POLICY_SEARCH_HOME_REGION": "", **(env or {})})
    assert result.exit_code == 0, result.output
    return result


def copy_of(corpus_data_dir: Path, folder: Path) -> Path:
    shutil.copytree(corpus_data_dir, folder, ignore=shutil.ignore_patterns("*-shm", "*.lock", "*WRITELOCK"))
    return folder


@pytest.fixture(scope="module")
def published(corpus_data_dir, tmp_path_factory) -> Path:
    """A copy of the corpus index with the set published (every place, HTML only)."""
    data_dir = copy_of(corpus_data_dir, tmp_path_factory.mktemp("published") / "var")
    publish(data_dir)
    return data_dir


def app_over(data_dir: Path, **config):
    return create_app({"DATA_DIR": str(data_dir), "BASE_URL": BASE, **config})


@pytest.fixture(scope="module")
def client(published):
    app = app_over(published)
    yield app.test_client()
    if app.extensions["policy_search"]._service is not None:
        app.extensions["policy_search"]._service.close()


def page(client, url: str, status: int = 200) -> BeautifulSoup:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    assert response.mimetype == "text/html"
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def expected_counts(data_dir: Path, **common) -> dict[str, int]:
    """What each booklet of the set must hold, counted by searches of the service itself."""
    common = {"type": "policy", **common}
    with open_service(data_dir) as service:
        def count(**extra) -> int:
            return service.search("", limit=1, details=False, **common, **extra).total
        counts = {booklet_key("all"): count()}
        counts.update({booklet_key("level", lv): count(level=lv) for lv in LEVELS})
        counts.update({booklet_key("topic", t): count(topic=t) for t in topic_names()})
    return {key: n for key, n in counts.items() if n}


# ---------------------------------------------------------------- what --publish writes

def test_the_set_is_everything_then_each_level_and_topic_that_holds_a_policy(published):
    publication = read_publication(published)
    expected = expected_counts(published)
    assert [b.key for b in publication.booklets] == list(expected)  # all, levels, topics in file order
    assert {b.key: b.count for b in publication.booklets} == expected
    assert expected["all"] == 30 and len(expected) > 10
    labels = {b.key: b.label for b in publication.booklets}
    assert labels["all"] == "全部政策" and labels["level-county"] == LEVEL_NAMES_ZH["county"]
    assert labels[booklet_key("topic", "稳岗就业")] == "稳岗就业"
    assert publication.filters == {"applies_to": None, "in_force": False, "type": "policy"}
    assert publication.pdf_note and all(set(b.files) == {"html"} for b in publication.booklets)


def test_each_published_booklet_holds_its_policies_under_its_title(published):
    publication = read_publication(published)
    folder = publication_dir(published) / publication.folder
    for booklet in publication.booklets:
        data = (folder / booklet.files["html"].name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == booklet.files["html"].sha256
        assert len(data) == booklet.files["html"].size
        soup = BeautifulSoup(data.decode("utf-8"), "html.parser")
        assert soup.select_one(".cover h1").get_text() == booklet.title == soup.title.get_text()
        assert len(soup.select("main article.entry")) == booklet.count, booklet.key
    titles = {b.key: b.title for b in publication.booklets}
    assert titles["all"] == "峄城区惠企政策汇编"
    assert titles["level-central"] == "峄城区惠企政策汇编（中央）"
    assert titles[booklet_key("topic", "稳岗就业")] == "峄城区稳岗就业政策汇编"


def test_the_command_lists_what_it_published(corpus_data_dir, tmp_path):
    data_dir = copy_of(corpus_data_dir, tmp_path / "var")
    output = publish(data_dir).output
    publication = read_publication(data_dir)
    assert f"Published {len(publication.booklets)} booklets as HTML into" in output
    for booklet in publication.booklets:
        assert re.search(rf"^  {booklet.key} +{booklet.count}  {re.escape(booklet.title)}$", output, re.M)


def test_publishing_again_replaces_the_set_and_deletes_the_old_files(corpus_data_dir, tmp_path):
    data_dir = copy_of(corpus_data_dir, tmp_path / "var")
    publish(data_dir)
    first = read_publication(data_dir)
    publish(data_dir, "--in-force", "--applies-to", YICHENG)
    second = read_publication(data_dir)
    root = publication_dir(data_dir)
    assert second.folder != first.folder and not (root / first.folder).exists()
    assert sorted(p.name for p in root.iterdir() if not p.name.startswith(".")) == sorted([INDEX_FILE, second.folder])
    assert second.filters == {"applies_to": YICHENG, "in_force": True, "type": "policy"}
    assert {b.key: b.count for b in second.booklets} == expected_counts(data_dir, applies_to=YICHENG, in_force=True)
    assert second.booklet("all").count < first.booklet("all").count


def test_the_home_district_is_the_default_place_and_all_means_everywhere(corpus_data_dir, tmp_path):
    data_dir = copy_of(corpus_data_dir, tmp_path / "var")
    publish(data_dir, env={"POLICY_SEARCH_HOME_REGION": "山东省枣庄市峄城区"})
    local = read_publication(data_dir)
    assert local.filters["applies_to"] == YICHENG
    assert {b.key: b.count for b in local.booklets} == expected_counts(data_dir, applies_to=YICHENG)
    assert local.booklet("all").count < 30
    publish(data_dir, "--applies-to", "all", env={"POLICY_SEARCH_HOME_REGION": YICHENG})
    assert read_publication(data_dir).filters["applies_to"] is None
    assert read_publication(data_dir).booklet("all").count == 30


@pytest.mark.parametrize("args, message", [
    ((), "give either -o FILE.html|.pdf or --publish"),
    (("--publish", "-o", "x.html"), "give either -o FILE.html|.pdf or --publish"),
    (("--publish", "--title", "汇编"), "it takes --applies-to, --in-force and --type only"),
    (("--publish", "--topic", "人才"), "it takes --applies-to, --in-force and --type only"),
    (("--publish", "--level", "county"), "it takes --applies-to, --in-force and --type only"),
])
def test_conflicting_options_are_a_usage_error(corpus_data_dir, args, message):
    result = run_cli(corpus_data_dir, "booklet", "--base-url", BASE, *args)
    assert result.exit_code == 2 and message in result.output, result.output


def test_an_unknown_home_district_stops_the_command_with_a_hint(corpus_data_dir):
    result = run_cli(corpus_data_dir, "booklet", "--publish", "--base-url", BASE,
                     env={"POLICY_SEARCH_HOME_REGION": "火星区"})
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "Error: POLICY_SEARCH_HOME_REGION: unknown region '火星区'" in result.output
    assert "Hint:" in result.output and not publication_dir(corpus_data_dir).exists()


def test_a_second_publisher_is_refused_while_one_writes(corpus_data_dir, tmp_path):
    data_dir = copy_of(corpus_data_dir, tmp_path / "var")
    publication_dir(data_dir).mkdir()
    with FileLock(str(publication_dir(data_dir) / LOCK_FILE)):
        result = run_cli(data_dir, "booklet", "--publish", "--no-pdf", "--base-url", BASE)
    assert result.exit_code == 1
    assert "Error: another booklet --publish is writing the download centre's set" in result.output
    assert read_publication(data_dir) is None


def test_published_files_get_the_mode_of_any_new_file_not_a_private_one(published):
    """A web server running as another user must read them: not mkstemp's 0600."""
    umask = os.umask(0o022)
    os.umask(umask)
    publication = read_publication(published)
    root = publication_dir(published)
    for path in (root / INDEX_FILE, root / publication.folder / "all.html"):
        assert path.stat().st_mode & 0o777 == 0o666 & ~umask, oct(path.stat().st_mode)


# ---------------------------------------------------------------- /downloads

def test_the_centre_lists_every_booklet_with_its_links(client, published):
    publication = read_publication(published)
    soup = page(client, "/downloads")
    items = soup.select("section.booklets li.booklet")
    assert [li["data-key"] for li in items] == [b.key for b in publication.booklets]
    for li in items:
        booklet = publication.booklet(li["data-key"])
        assert li.select_one(".label").get_text() == booklet.label
        assert li.select_one(".title").get_text() == booklet.title
        assert li.select_one(".n").get_text() == f"{booklet.count} 条政策"
        assert [a["href"] for a in li.select("a")] == [f"/downloads/{booklet.key}.html"]  # no PDFs in this set
    heads = [h.get_text() for h in soup.select("section.booklets h3.group-head")]
    assert heads == ["汇编全本", "按层级", "按主题"]
    assert "没有 PDF 版本" in soup.select_one("section.booklets").get_text()
    assert publication.published_at[:10] in soup.select_one("section.booklets .meta").get_text()


def test_the_centre_is_linked_from_every_page(client):
    for url in ("/", "/search?q=稳岗", "/match", "/downloads", "/nope"):
        soup = BeautifulSoup(client.get(url).get_data(as_text=True), "html.parser")
        assert soup.select_one('header.site nav a[href="/downloads"]').get_text() == "下载中心"
        assert soup.select_one('footer.site a[href="/downloads"]') is not None


def test_a_booklet_is_served_as_published(client, published):
    publication = read_publication(published)
    booklet = publication.booklet(booklet_key("topic", "稳岗就业"))
    response = client.get(f"/downloads/{booklet.key}.html")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert response.get_data() == (publication_dir(published) / publication.folder / booklet.files["html"].name).read_bytes()
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith(f'inline; filename="{booklet.key}.html"; ')
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == f"{booklet.title}.html"
    csp = response.headers["Content-Security-Policy"]
    assert "sandbox" in csp and "script-src" not in csp and "default-src 'none'" in csp
    assert response.headers["ETag"].strip('"') == booklet.files["html"].sha256
    again = client.get(f"/downloads/{booklet.key}.html", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("url", [
    "/downloads/nope.html", "/downloads/all.pdf", "/downloads/level-nowhere.html", "/downloads/all.txt",
    "/downloads/index.json", "/downloads/../published/index.json", "/downloads/%2e%2e%2findex.json.html",
    "/downloads/topic-00000000.html",
])
def test_anything_else_under_downloads_is_a_friendly_404(client, url):
    response = client.get(url)
    assert response.status_code == 404 and response.mimetype == "text/html", url
    assert "Content-Disposition" not in response.headers
    assert b'"booklets"' not in response.get_data()


def test_without_a_publication_the_page_says_how_staff_make_one(corpus_app):
    soup = page(corpus_app.test_client(), "/downloads")
    notice = soup.select_one("section.booklets .notice")
    assert "还没有发布政策汇编" in notice.get_text()
    assert "policy-search booklet --publish" in notice.select_one("pre").get_text()
    assert not soup.select("li.booklet")
    assert corpus_app.test_client().get("/downloads/all.html").status_code == 404


@pytest.mark.parametrize("damage", [
    b"not json", b"{}", b'{"format": 99}', "中文".encode("gbk"),
    json.dumps({"format": 1, "folder": "../../etc", "published_at": "x", "base_url": BASE,
                "filters": {}, "booklets": []}).encode(),
    json.dumps({"format": 1, "folder": "20260301T091504-0badcafe", "published_at": "x", "base_url": BASE,
                "filters": {}, "booklets": [{"key": "../../../etc/passwd", "group": "all", "label": "x",
                                             "title": "x", "count": 1, "files": {}}]}).encode(),
    json.dumps({"format": 1, "folder": "20260301T091504-0badcafe", "published_at": "x", "base_url": BASE,
                "filters": {}, "booklets": [{"key": "all", "group": "all", "label": "x", "title": "x",
                                             "count": 1, "files": {"html": {"name": "../../catalog.sqlite3",
                                                                            "size": 1, "sha256": "0"}}}]}).encode(),
])
def test_a_damaged_index_is_a_notice_never_a_500(published, tmp_path, damage):
    data_dir = copy_of(published, tmp_path / "var")
    (publication_dir(data_dir) / INDEX_FILE).write_bytes(damage)
    client = app_over(data_dir).test_client()
    soup = page(client, "/downloads")
    assert "汇编文件目录已损坏" in soup.select_one("section.booklets .notice").get_text()
    assert client.get("/downloads/all.html").status_code == 404


# ---------------------------------------------------------------- originals by topic

def test_originals_of_a_topic_newest_first_each_with_its_download(client, published):
    soup = page(client, "/downloads/originals?topic=" + quote("稳岗就业"))
    rows = soup.select("ul.originals-list li.original")
    with open_service(published) as service:
        found = service.search("", sort="date", limit=20, details=False, topic="稳岗就业", type="policy")
    assert [li.select_one("h3 a")["href"] for li in rows] == [f"/p/{hit.id}" for hit in found.hits]
    assert f"共 {found.total} 条" in soup.select_one("p.count").get_text()
    kinds = set()
    for li in rows:
        pid = li.select_one("h3 a")["href"].rsplit("/", 1)[1]
        link = li.select_one("a.button")
        assert link["href"] == f"/p/{pid}/original"
        download = client.get(link["href"])
        assert download.status_code == 200 and download.headers["Content-Disposition"].startswith("attachment")
        kind = re.search(r"（(.+)）", link.get_text()).group(1)
        kinds.add(kind)
        with open_service(published) as service:
            source = service.get(pid).policy.source
        if kind == "文本":  # a record of a bulk file: its own text
            assert download.mimetype == "text/plain" and download.get_data()
        else:  # the file ingest recorded, byte for byte
            assert kind == source.format.upper()
            assert download.get_data() == Path(source.path).read_bytes()
    assert len(kinds) >= 2, kinds  # the corpus's 稳岗就业 policies come in several formats


def test_the_topics_of_the_originals_carry_their_counts(client, published):
    chips = page(client, "/downloads").select("section.originals a.chip")
    assert chips
    with open_service(published) as service:
        for chip in chips:
            name, count = chip.get_text().rsplit(maxsplit=1)
            assert chip["href"] == "/downloads/originals?topic=" + quote(name)
            assert int(count) == service.search("", limit=1, topic=name, type="policy").total > 0


def test_with_a_home_district_the_originals_are_those_that_apply_there(published):
    client = app_over(published, HOME_REGION=YICHENG).test_client()
    soup = page(client, "/downloads/originals?topic=" + quote("稳岗就业"))
    with open_service(published) as service:
        local = service.search("", sort="date", limit=20, topic="稳岗就业", type="policy", applies_to=YICHENG)
        everywhere = service.search("", limit=1, topic="稳岗就业", type="policy").total
    assert [li.select_one("h3 a")["href"] for li in soup.select("li.original")] == [f"/p/{h.id}" for h in local.hits]
    assert local.total < everywhere
    assert "适用于峄城区的稳岗就业政策" in soup.select_one("p.count").get_text()


@pytest.mark.parametrize("query, status", [("", 200), ("?topic=", 200), ("?topic=火星", 400),
                                           ("?topic=%E7%A8%B3%E5%B2%97%E5%B0%B1%E4%B8%9A&page=0", 400),
                                           ("?topic=%E7%A8%B3%E5%B2%97%E5%B0%B1%E4%B8%9A&page=9", 200)])
def test_the_originals_page_checks_its_parameters(client, query, status):
    soup = page(client, "/downloads/originals" + query, status=status)
    if status == 200 and "topic=%" not in query:
        assert soup.select("ul.topic-choice a.chip") and not soup.select("li.original")
