"""Atom feeds of what is new (/feed.atom, /feed.atom?<search>, /s/<id>/feed.atom), read back with
feedparser, a real and independent feed parser: entries, their order by first-seen time, links,
updated times, the 50-entry bound, filters, saved searches, 304s, bad parameters, and a feed that
follows a new ingest while the server keeps running.

Every index is made by the real ingest from real files in a temporary folder.
"""
from __future__ import annotations

import calendar
import json
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote, urlsplit

import feedparser
import pytest
from bs4 import BeautifulSoup

from helpers import serving, write_policy
from indexer.pipeline import ingest
from policy_search import open_service
from policy_search.links import canonical_search, saved_search_id
from policy_search.storage.writer import PolicyWriter
from web.app import create_app

BASE = "https://zc.example.cn"
ATOM = "application/atom+xml"


def record(number: int, *, topic: str = "财税支持", level: str = "municipal", date: str = "2020-03-01",
           words: str = "减免房租") -> dict:
    """A bulk record of a small policy."""
    return {"id": f"feed-{number:03d}", "title": f"枣庄市关于第{number}项{words}措施的通知（示例）",
            "doc_number": f"枣政发〔2020〕{number}号", "issuer": "枣庄市人民政府", "written_date": date,
            "publish_date": date, "level": level, "region": "枣庄市", "topics": [topic],
            "text": f"为支持企业发展，现就第{number}项{words}措施通知如下。对符合条件的企业给予支持。"}


def write_bulk(folder: Path, name: str, records: list[dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def ingest_ok(paths, data_dir: Path):
    report = ingest(paths, data_dir)
    assert not report.failed, report.failed
    return report


OLD_NOTICE = """峄城区关于稳岗返还的补充通知（示例）
峄区发〔2018〕2号
各镇（街道），区直各部门：
落实稳岗返还政策，返还企业上年度失业保险费的50%。
峄城区人民政府
2018年6月1日
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Two batches: four bulk policies dated 2020-2021, then one dated 2018 (the newest to enter,
    the oldest by its own date). A saved search for 稳岗 in 稳岗就业."""
    root = tmp_path_factory.mktemp("feeds")
    data_dir = root / "var"
    first = [record(1, date="2020-03-01"), record(2, topic="稳岗就业", words="稳岗返还", date="2021-01-05"),
             record(3, level="provincial", date="2020-07-01"), record(4, topic="稳岗就业", words="稳岗补贴",
                                                                     date="2020-05-01")]
    ingest_ok([write_bulk(root / "batch1", "first.jsonl", first)], data_dir)
    ingest_ok([write_policy(root / "batch2", "old.txt", OLD_NOTICE)], data_dir)
    saved = canonical_search({"q": "稳岗", "topic": "稳岗就业"})
    with open_service(data_dir) as service:
        service.catalog.save_search(saved_search_id(saved), saved)
    app = create_app({"DATA_DIR": str(data_dir), "BASE_URL": BASE})
    yield {"data_dir": data_dir, "root": root, "app": app, "saved": saved_search_id(saved)}
    holder = app.extensions["policy_search"]
    if holder._service is not None:
        holder._service.close()


@pytest.fixture(scope="module")
def client(site):
    return site["app"].test_client()


def read_feed(client, url: str, **headers) -> tuple[object, feedparser.FeedParserDict]:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, (url, response.status_code, response.get_data(as_text=True)[:300])
    assert response.mimetype == ATOM
    parsed = feedparser.parse(response.get_data())
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return response, parsed


def entry_ids(parsed) -> list[str]:
    return [entry.link.rsplit("/", 1)[1] for entry in parsed.entries]


def first_seen_order(data_dir: Path) -> list[str]:
    """The active policies, the latest to enter the catalog first, as the catalog has them."""
    with open_service(data_dir) as service:
        return [row[0] for row in service.catalog.newest_first_seen()]


def epoch(struct) -> float:
    return calendar.timegm(struct)


# --- the feed of everything -----------------------------------------------------------


def test_the_feed_lists_every_policy_the_latest_to_enter_first(client, site):
    response, feed = read_feed(client, "/feed.atom")
    order = first_seen_order(site["data_dir"])
    assert entry_ids(feed) == order and len(order) == 5
    old = feed.entries[0]  # entered last, though its own date is the oldest
    assert old.title == "峄城区关于稳岗返还的补充通知（示例）"
    by_date = [h["id"] for h in client.get("/api/search?sort=date&limit=50").get_json()["hits"]]
    assert by_date[-1] == entry_ids(feed)[0], "the document-date order puts it last"
    assert feed.feed.title == "政策空间站 · 新收录"
    assert feed.feed.id == f"{BASE}/feed.atom"
    assert {link.rel: link.href for link in feed.feed.links} == {"self": f"{BASE}/feed.atom",
                                                                 "alternate": f"{BASE}/"}
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"


def test_each_entry_links_to_the_permanent_page_and_says_what_the_policy_is(client, site):
    _, feed = read_feed(client, "/feed.atom")
    entry = next(e for e in feed.entries if e.link.endswith("/feed-002"))
    assert entry.link == entry.id == f"{BASE}/p/feed-002"
    assert entry.title == "枣庄市关于第2项稳岗返还措施的通知（示例）"
    assert entry.author == "枣庄市人民政府"
    assert [tag.term for tag in entry.tags] == ["稳岗就业"]
    assert entry.summary.startswith("为支持企业发展，现就第2项稳岗返还措施")
    content = BeautifulSoup(entry.content[0].value, "html.parser")
    facts = dict(zip([dt.get_text() for dt in content.select("dt")], [dd.get_text() for dd in content.select("dd")]))
    assert facts["文号"] == "枣政发〔2020〕2号" and facts["发文机关"] == "枣庄市人民政府"
    assert facts["成文日期"] == "2021-01-05" and facts["层级"] == "市级"
    assert entry.published_parsed == entry.updated_parsed, "never changed: updated is when it entered"
    with open_service(site["data_dir"]) as service:
        entered = service.catalog.policy_status("feed-002")["created_at"]
    assert abs(epoch(entry.published_parsed) - entered) < 1
    # the permanent link opens the policy in the app
    assert client.get(urlsplit(entry.link).path).status_code == 200


def test_the_feed_is_at_most_50_entries(tmp_path):
    data_dir = tmp_path / "var"
    ingest_ok([write_bulk(tmp_path / "b", "many.jsonl", [record(n) for n in range(1, 56)])], data_dir)
    app = create_app({"DATA_DIR": str(data_dir), "BASE_URL": BASE})
    _, feed = read_feed(app.test_client(), "/feed.atom")
    assert len(feed.entries) == 50
    assert entry_ids(feed) == first_seen_order(data_dir)[:50]
    published = [epoch(e.published_parsed) for e in feed.entries]
    assert published == sorted(published, reverse=True)


# --- a search's feed, a saved search's feed ---------------------------------------------


def test_a_filter_narrows_the_feed_to_the_search(client, site):
    _, everything = read_feed(client, "/feed.atom")
    _, narrowed = read_feed(client, "/feed.atom?topic=稳岗就业")
    searched = {h["id"] for h in client.get("/api/search?topic=稳岗就业&limit=50").get_json()["hits"]}
    assert set(entry_ids(narrowed)) == searched == {"feed-002", "feed-004", entry_ids(everything)[0]}
    assert entry_ids(narrowed) == [i for i in entry_ids(everything) if i in searched]
    assert narrowed.feed.title == "政策空间站 · 新收录：稳岗就业"
    _, provincial = read_feed(client, "/feed.atom?level=provincial")
    assert entry_ids(provincial) == ["feed-003"]


def test_a_filter_declared_for_searches_narrows_feeds_too(tmp_path):
    """The document type filter was declared for searches only (web/params.py, filters.py): the
    feeds take it from search_params with no word of their own."""
    news = {**record(2), "type": "news"}
    data_dir = tmp_path / "var"
    ingest_ok([write_bulk(tmp_path / "b", "p.jsonl", [record(1), news, record(3)])], data_dir)
    app = create_app({"DATA_DIR": str(data_dir), "BASE_URL": BASE})
    client = app.test_client()
    _, feed = read_feed(client, "/feed.atom?type=news")
    assert entry_ids(feed) == ["feed-002"] and feed.feed.title.endswith("新闻动态")
    _, policies = read_feed(client, "/feed.atom?type=policy")
    assert set(entry_ids(policies)) == {"feed-001", "feed-003"}
    refused = client.get("/feed.atom?type=gossip")
    assert refused.status_code == 400 and refused.get_json()["error"]["parameter"] == "type"


def test_a_query_with_words_is_ordered_by_first_seen_not_relevance(client, site):
    _, feed = read_feed(client, "/feed.atom?q=稳岗返还")
    ranked = [h["id"] for h in client.get("/api/search?q=稳岗返还&limit=50").get_json()["hits"]]
    assert set(entry_ids(feed)) == set(ranked) and len(ranked) >= 2
    order = first_seen_order(site["data_dir"])
    assert entry_ids(feed) == sorted(ranked, key=order.index)
    assert feed.feed.id == f"{BASE}/feed.atom?q=%E7%A8%B3%E5%B2%97%E8%BF%94%E8%BF%98"


def test_paging_and_order_do_not_change_a_feed(client):
    _, plain = read_feed(client, "/feed.atom?topic=稳岗就业")
    _, asked = read_feed(client, "/feed.atom?sort=date&page=2&limit=1&topic=稳岗就业")
    assert entry_ids(asked) == entry_ids(plain) and asked.feed.id == plain.feed.id


def test_a_saved_search_has_its_feed(client, site):
    sid = site["saved"]
    _, saved = read_feed(client, f"/s/{sid}/feed.atom")
    _, same = read_feed(client, "/feed.atom?q=稳岗&topic=稳岗就业")
    assert entry_ids(saved) == entry_ids(same) and len(saved.entries) >= 2
    assert saved.feed.id == f"{BASE}/s/{sid}/feed.atom"
    assert {link.rel: link.href for link in saved.feed.links}["alternate"] == f"{BASE}/s/{sid}"
    missing = client.get("/s/nosuchid/feed.atom")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("query, status, parameter", [
    ("level=nowhere", 400, "level"), ("topic=不是主题", 400, "topic"), ("region=火星", 400, "region"),
    ("in_force=maybe", 400, "in_force"), ("page=0", 400, "page"), ("limit=500", 400, "limit"),
    ("q=" + "稳" * 201, 414, "q"), ("q=%01", 400, "q"),
])
def test_bad_parameters_are_refused_as_the_api_refuses_them(client, query, status, parameter):
    feed = client.get(f"/feed.atom?{query}")
    api = client.get(f"/api/search?{query}")
    assert feed.status_code == api.status_code == status
    assert feed.get_json()["error"] == api.get_json()["error"]
    assert feed.get_json()["error"]["parameter"] == parameter


# --- caching: ETag, Last-Modified, 304 --------------------------------------------------


def test_a_client_with_the_current_feed_gets_304(client):
    first = client.get("/feed.atom?topic=稳岗就业")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert etag.startswith('"') and modified.endswith("GMT")
    assert "no-cache" in first.headers["Cache-Control"]
    again = client.get("/feed.atom?topic=稳岗就业", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b"" and again.headers["ETag"] == etag
    assert client.get("/feed.atom?topic=稳岗就业", headers={"If-Modified-Since": modified}).status_code == 304
    assert client.get("/feed.atom?topic=稳岗就业", headers={"If-None-Match": '"other"'}).status_code == 200
    assert client.get("/feed.atom?topic=稳岗就业",
                      headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}).status_code == 200
    # an ETag that does not match wins over a date that does
    both = client.get("/feed.atom?topic=稳岗就业", headers={"If-None-Match": '"other"', "If-Modified-Since": modified})
    assert both.status_code == 200
    # another search is another feed
    assert client.get("/feed.atom", headers={"If-None-Match": etag}).status_code == 200


def test_an_update_and_a_removal_change_the_feed(tmp_path):
    data_dir = tmp_path / "var"
    folder = tmp_path / "b"
    ingest_ok([write_bulk(folder, "p.jsonl", [record(1), record(2), record(3)])], data_dir)
    app = create_app({"DATA_DIR": str(data_dir), "BASE_URL": BASE})
    client = app.test_client()
    before_response, before = read_feed(client, "/feed.atom")
    etag = before_response.headers["ETag"]
    time.sleep(1.1)  # the update's time is a second later, in whole-second dates too
    changed = record(2)
    changed["text"] += "补充：支持期限延长至年底。"
    ingest_ok([write_bulk(folder, "p.jsonl", [record(1), changed, record(3)])], data_dir)
    assert client.get("/feed.atom", headers={"If-None-Match": etag}).status_code == 200
    _, after = read_feed(client, "/feed.atom")
    assert entry_ids(after) == entry_ids(before), "an update keeps its place: first-seen order"
    entry = next(e for e in after.entries if e.link.endswith("/feed-002"))
    assert epoch(entry.updated_parsed) > epoch(entry.published_parsed)
    assert entry.published_parsed == next(e for e in before.entries if e.link.endswith("/feed-002")).published_parsed
    assert "延长至年底" in entry.content[0].value
    assert after.feed.updated_parsed == entry.updated_parsed
    with PolicyWriter(data_dir) as writer:
        with writer.transaction():
            writer.remove("feed-001")
        writer.commit()
    _, removed = read_feed(client, "/feed.atom")
    assert "feed-001" not in entry_ids(removed) and len(removed.entries) == 2


def test_without_a_base_url_links_follow_the_host_and_say_so(site):
    app = create_app({"DATA_DIR": str(site["data_dir"])})
    try:
        response = app.test_client().get("/feed.atom", base_url="http://localhost:5000")
        parsed = feedparser.parse(response.get_data())
        assert parsed.entries[0].link.startswith("http://localhost:5000/p/")
        assert "Host" in response.headers["Vary"]
    finally:
        service = app.extensions["policy_search"]._service
        if service is not None:
            service.close()


# --- autodiscovery ------------------------------------------------------------------------


def alternate_feed(client, url: str) -> dict:
    soup = BeautifulSoup(client.get(url).get_data(as_text=True), "html.parser")
    links = soup.select('head link[rel="alternate"][type="application/atom+xml"]')
    assert len(links) == 1, links
    assert links[0]["title"]
    return {"href": links[0]["href"], "title": links[0]["title"]}


def test_pages_name_their_feed_in_the_head(client, site):
    home = alternate_feed(client, "/")
    assert home == {"href": f"{BASE}/feed.atom", "title": "政策空间站 · 新收录"}
    search = alternate_feed(client, "/search?q=稳岗返还&level=municipal&page=1")
    assert search["href"] == f"{BASE}/feed.atom?q=%E7%A8%B3%E5%B2%97%E8%BF%94%E8%BF%98&level=municipal"
    _, feed = read_feed(client, urlsplit(search["href"]).path + "?" + urlsplit(search["href"]).query)
    page_ids = {a["href"].rsplit("/", 1)[1] for a in BeautifulSoup(
        client.get("/search?q=稳岗返还&level=municipal").get_data(as_text=True), "html.parser").select("article.hit h3 a")}
    assert set(entry_ids(feed)) == page_ids
    # a saved search's page (where its short link leads) offers the saved search's own feed
    opened = client.get(f"/s/{site['saved']}")
    assert opened.status_code == 302
    saved = alternate_feed(client, opened.headers["Location"])
    assert saved["href"] == f"{BASE}/s/{site['saved']}/feed.atom"


# --- a running server sees a new ingest ---------------------------------------------------


def fetch(url: str, **headers):
    """Status, headers (names in any case) and body of a GET to the running server."""
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


#: The feed of a search for 稳岗返还, as a client asks for it.
SEARCHED = "/feed.atom?q=" + quote("稳岗返还")


def test_a_running_server_serves_a_new_ingest_in_its_feeds(tmp_path):
    data_dir = tmp_path / "var"
    folder = tmp_path / "incoming"
    ingest_ok([write_bulk(folder, "first.jsonl", [record(1), record(2, topic="稳岗就业", words="稳岗返还")])],
              data_dir)
    with serving(data_dir, threads=4) as server:
        status, headers, body = fetch(server.url + "/feed.atom")
        assert status == 200
        searched_status, searched_headers, _ = fetch(server.url + SEARCHED)
        assert searched_status == 200
        before = feedparser.parse(body)
        assert fetch(server.url + "/feed.atom", **{"If-None-Match": headers["ETag"]})[0] == 304

        write_policy(folder, "new.txt", OLD_NOTICE)  # a new file in the same folder, ingested while it runs
        ingest_ok([folder], data_dir)

        status, new_headers, body = fetch(server.url + "/feed.atom", **{"If-None-Match": headers["ETag"]})
        assert status == 200 and new_headers["ETag"] != headers["ETag"]
        after = feedparser.parse(body)
        assert not after.bozo
        assert len(after.entries) == len(before.entries) + 1
        assert after.entries[0].title == "峄城区关于稳岗返还的补充通知（示例）"
        assert [e.id for e in after.entries[1:]] == [e.id for e in before.entries]
        # a client that keeps only the date sees the change too
        assert fetch(server.url + "/feed.atom", **{"If-Modified-Since": headers["Last-Modified"]})[0] == 200
        # and so does a search's feed the new policy matches
        status, _, body = fetch(server.url + SEARCHED, **{"If-None-Match": searched_headers["ETag"]})
        assert status == 200
        assert feedparser.parse(body).entries[0].title == "峄城区关于稳岗返还的补充通知（示例）"


# --- the home page's 新收录 -----------------------------------------------------------------


def test_the_home_page_lists_the_latest_to_enter_beside_the_newest_by_date(client, site):
    soup = BeautifulSoup(client.get("/").get_data(as_text=True), "html.parser")
    recent = [a["href"].rsplit("/", 1)[1] for a in soup.select("section.recent article.hit h3 a")]
    newest = [a["href"].rsplit("/", 1)[1] for a in soup.select("section.newest article.hit h3 a")]
    _, feed = read_feed(client, "/feed.atom")
    assert recent == entry_ids(feed)[:6] == first_seen_order(site["data_dir"])[:6]
    assert soup.select_one("section.recent h2").get_text().startswith("新收录")
    # the 2018 notice entered last: first among the new, last by its own date
    assert recent[0] == newest[-1] and newest[0] != recent[0]
    assert soup.select_one("section.recent article.hit .note").get_text().startswith("收录于 ")
    assert soup.select_one("section.recent a.feed-link")["href"] == f"{BASE}/feed.atom"
