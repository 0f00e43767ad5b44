"""The HTML pages on the sample corpus, through Flask's test client.

Every page is read the way a visitor's browser would: status, then what the
page shows (titles, counts, links), parsed with BeautifulSoup rather than
matched as raw text where structure matters.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from bs4 import BeautifulSoup
from helpers import CORPUS

BASE_URL = "https://zc.example.cn"  # the BASE_URL of the corpus_app fixture
YICHENG_CHAIN = ("", "370000", "370400", "370404")  # central, 山东省, 枣庄市, 峄城区
LEVEL_HEADS = ("中央", "省级", "市级", "区县级")


# --- fixtures and small helpers ------------------------------------------------------


@pytest.fixture(scope="module")
def client(corpus_app):
    return corpus_app.test_client()


@pytest.fixture(scope="module")
def policies(corpus_app):
    """Every catalogued policy of the corpus, by the file name it came from (bulk: by id)."""
    with corpus_app.app_context():
        service = corpus_app.extensions["policy_search"].get()
        found = service.list_policies()
    by_name = {}
    for policy in found:
        key = policy.id if policy.source.format in ("jsonl", "tsv") else Path(policy.source.path).name
        by_name[key] = policy
    return by_name


def page(client, url: str, status: int = 200, **query) -> BeautifulSoup:
    response = client.get(url, query_string=query or None)
    assert response.status_code == status, (url, query, response.status_code)
    assert response.mimetype == "text/html"
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def api(client, url: str, **query) -> dict:
    response = client.get(url, query_string=query or None)
    assert response.status_code == 200, (url, query, response.get_data(as_text=True))
    return response.get_json()


def corpus_file(name: str) -> Path:
    """A policy file of corpus/ by name (not its UTF-8 source under _src/)."""
    found = [p for p in CORPUS.rglob(name) if "_src" not in p.relative_to(CORPUS).parts]
    assert len(found) == 1, found
    return found[0]


def hit_ids(soup: BeautifulSoup, scope: str = "section.hits") -> list[str]:
    """The policy ids of the hit cards in a part of a page, in order."""
    return [a["href"].rsplit("/", 1)[1] for a in soup.select(f"{scope} article.hit h3 a")]


def shown_total(soup: BeautifulSoup) -> int:
    return int(soup.select_one(".results-bar .count strong").get_text())


# --- home ----------------------------------------------------------------------------


def test_home_shows_the_newest_policies_and_topic_shortcuts(client):
    soup = page(client, "/")
    assert "30 条" in soup.select_one(".hero .lead").get_text()
    newest = hit_ids(soup, "section.newest")
    assert newest == [h["id"] for h in api(client, "/api/search", sort="date", limit=6)["hits"]]
    shortcuts = soup.select(".shortcuts a.chip")
    assert shortcuts and all(a["href"].startswith("/search?topic=") for a in shortcuts)
    assert soup.select_one("form[role=search] input[name=q]") is not None


# --- search --------------------------------------------------------------------------


def test_search_page_finds_a_key_word_and_marks_it(client):
    soup = page(client, "/search", q="复工复产")
    expected = api(client, "/api/search", q="复工复产")
    assert shown_total(soup) == expected["total"] > 10
    assert hit_ids(soup) == [h["id"] for h in expected["hits"]]
    snippets = soup.select("section.hits p.snippet")
    assert snippets and all(s.find("mark") for s in snippets[:5])
    assert {m.get_text() for s in snippets for m in s.find_all("mark")} >= {"复工复产"}
    assert soup.select_one("form[role=search] input[name=q]")["value"] == "复工复产"


def test_search_page_answers_a_whole_question(client):
    soup = page(client, "/search", q="小微企业房租减免怎么申请")
    titles = [a.get_text() for a in soup.select("section.hits article.hit h3 a")]
    assert shown_total(soup) > 0
    assert any("房租" in t for t in titles[:3]), titles[:3]
    assert soup.select_one(".no-results") is None


def test_search_page_without_matches_suggests_what_to_do(client):
    soup = page(client, "/search", q="量子引力火箭发动机")
    assert shown_total(soup) == 0
    advice = soup.select_one(".no-results")
    assert advice is not None and advice.find("a", href="/match") is not None


def test_search_page_offers_the_five_facets(client):
    soup = page(client, "/search")
    groups = [div["data-facet"] for div in soup.select("details.facets div.facet")]
    assert groups == ["level", "topic", "industry", "region", "type"]
    counts = [int(n.get_text()) for n in soup.select('div.facet[data-facet="level"] span.n')]
    assert sum(counts) == shown_total(soup) == 30


def _facet_links(soup: BeautifulSoup, group: str) -> list[tuple[str, int]]:
    return [(a["href"], int(a.select_one("span.n").get_text()))
            for a in soup.select(f'div.facet[data-facet="{group}"] a.chip')]


_COUNTS_DIFFER = ("the facet count is of policies whose own {0} is the value, but its link "
                  "filters with wider rules ({1}), so the page behind it shows more results "
                  "than the chip promised (labels.facet_groups / facets.FACET_FIELDS)")


@pytest.mark.parametrize("group", [
    "level",
    "topic",
    "industry",
    "region",
])
def test_a_facet_link_leads_to_as_many_results_as_its_count(client, group):
    soup = page(client, "/search")
    links = _facet_links(soup, group)
    assert links
    wrong = {}
    for href, count in links:
        total = shown_total(page(client, href))
        if total != count:
            wrong[unquote(href)] = (count, total)
    assert not wrong, f"facet count vs results behind the link: {wrong}"


def test_sorting_by_date_puts_the_newest_first(client):
    soup = page(client, "/search", q="复工复产", sort="date", limit="50")
    by_date = api(client, "/api/search", q="复工复产", sort="date", limit=50)["hits"]
    assert hit_ids(soup) == [h["id"] for h in by_date]
    dates = [h["written_date"] for h in by_date]
    assert dates == sorted(dates, reverse=True)
    assert soup.select_one(".sort span.on").get_text() == "按日期"
    relevance = api(client, "/api/search", q="复工复产", limit=50)["hits"]
    assert [h["id"] for h in relevance] != [h["id"] for h in by_date]


def test_second_page_continues_the_first(client):
    first = page(client, "/search", q="复工复产", limit="5")
    second = page(client, "/search", q="复工复产", limit="5", page="2")
    total = shown_total(first)
    assert total == 13  # the corpus has 13 policies mentioning 复工复产
    assert len(hit_ids(first)) == len(hit_ids(second)) == 5
    assert not set(hit_ids(first)) & set(hit_ids(second))
    assert "第 2 / 3 页" in second.select_one("nav.pager").get_text()
    for rel, wanted_page in (("prev", ["1"]), ("next", ["3"])):
        args = parse_qs(urlsplit(second.select_one(f'nav.pager a[rel="{rel}"]')["href"]).query)
        assert args.get("page", ["1"]) == wanted_page and args["limit"] == ["5"] and args["q"] == ["复工复产"]
    last = page(client, "/search", q="复工复产", limit="5", page="3")
    assert len(hit_ids(last)) == 3 and last.select_one('nav.pager a[rel="next"]') is None


def test_active_filters_show_as_chips_that_drop_them(client):
    soup = page(client, "/search", q="复工复产", level="county", in_force="1")
    chips = {a.get_text(" ", strip=True): a["href"] for a in soup.select("ul.active-filters a")}
    assert set(chips) == {"区县级 ×", "仅看有效 ×"}
    assert parse_qs(urlsplit(chips["区县级 ×"]).query) == {"q": ["复工复产"], "in_force": ["1"]}


# --- one-click lookup -------------------------------------------------------------------


def test_match_page_without_a_place_shows_the_choosers(client):
    soup = page(client, "/match")
    assert soup.select_one("select[name=province]") is not None
    assert soup.select_one("section.match-result") is None
    assert len(soup.select("select[name=province] option")) > 30  # every province, plus the prompt


def test_match_page_for_yicheng_groups_its_chain_central_first(client):
    soup = page(client, "/match", province="370000", city="370400", county="370404")
    result = soup.select_one("section.match-result")
    heads = [h.contents[0].strip() for h in result.select("h3.level-head")]
    assert heads == list(LEVEL_HEADS)
    expected = api(client, "/api/match", region="370404")
    shown = hit_ids(soup, "section.match-result")
    assert shown == [h["id"] for hits in expected["groups"].values() for h in hits]
    assert f"{expected['total']} 条" in result.select_one("h2").get_text()
    assert "山东省枣庄市峄城区" in result.select_one("h2").get_text()
    for hits in expected["groups"].values():
        assert {h["region"]["code"] for h in hits} <= set(YICHENG_CHAIN)
    titles = " ".join(a.get_text() for a in result.select("article.hit h3 a"))
    for elsewhere in ("杭州", "江苏", "浙江"):
        assert elsewhere not in titles
    selected = {s["name"]: s.select_one("option[selected]")["value"] for s in soup.select("form.match select")
                if s.select_one("option[selected]")}
    assert selected == {"province": "370000", "city": "370400", "county": "370404"}


def test_match_page_ignores_a_county_left_over_from_another_province(client):
    soup = page(client, "/match", province="370000", city="370400", county="330102")
    assert "山东省枣庄市的政策" in soup.select_one("section.match-result h2").get_text()


# --- a policy's own page --------------------------------------------------------------


def test_policy_page_shows_title_document_number_and_paragraphs(client, policies):
    policy = policies["yzf-2020-2-fugong-fuchan.docx"]
    soup = page(client, f"/p/{policy.id}")
    assert soup.select_one("article.policy h1").get_text() == policy.title
    assert policy.title in soup.title.get_text()
    facts = {dt.get_text(): dt.find_next_sibling("dd").get_text() for dt in soup.select("dl.facts dt")}
    assert facts["文号"] == policy.doc_number == "峄政发〔2020〕2号"
    assert facts["发文机关"] == policy.issuer
    paragraphs = [p.get_text() for p in soup.select("div.body p")]
    assert paragraphs == [line.strip() for line in policy.text.splitlines() if line.strip()]
    assert len(paragraphs) > 10
    assert soup.select_one("aside.share p.link a")["href"] == f"{BASE_URL}/p/{policy.id}"
    assert soup.select_one("div.actions a.button")["href"] == f"/p/{policy.id}/original"


def test_policy_page_lists_related_policies_cited_one_first(client, policies):
    policy = policies["yzf-2020-2-fugong-fuchan.docx"]  # cites 枣政发〔2020〕3号
    cited = policies["zzf-2020-3-fugong-fuchan.pdf"]
    soup = page(client, f"/p/{policy.id}")
    related = hit_ids(soup, "section.related")
    assert soup.select_one("section.related h2").get_text() == "相关政策"
    assert related and related[0] == cited.id
    assert policy.id not in related and len(related) == len(set(related))


@pytest.mark.parametrize("name", [
    "yzf-2020-2-fugong-fuchan.docx",      # DOCX
    "zzf-2020-3-fugong-fuchan.pdf",       # PDF
    "gbf-2020-6-fugong-jiuye.html",       # HTML
    "rsbf-2020-11-shebao-jianmian.md",    # Markdown
    "lzbf-2020-5-zhongxiao.txt",          # GBK text
    "zzrs-2020-12-wengang-fanhuan",       # no extension
])
def test_download_returns_the_original_file_unchanged(client, policies, name):
    policy = policies[name]
    on_disk = corpus_file(name).read_bytes()
    response = client.get(f"/p/{policy.id}/original")
    assert response.status_code == 200
    assert response.get_data() == on_disk
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    suffix = Path(name).suffix
    if suffix:
        assert unquote(disposition).endswith(suffix)


def test_download_of_a_bulk_record_is_its_text(client, policies):
    policy = policies["bulk-yinfa-2020-12"]
    soup = page(client, f"/p/{policy.id}")
    assert "下载原文（文本）" in soup.select_one("div.actions").get_text()
    response = client.get(f"/p/{policy.id}/original")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert response.headers["Content-Disposition"] == f"attachment; filename={policy.id}.txt"
    body = response.get_data().decode("utf-8")
    assert body.startswith(policy.title + "\n") and policy.text.strip() in body
    assert b'"id"' not in response.get_data()  # not the whole jsonl line, nor the other records


def test_text_download_names_its_charset_once(client, policies):
    response = client.get("/p/bulk-yinfa-2020-12/original")
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"


# --- static files and errors ------------------------------------------------------------


@pytest.mark.parametrize("name, mimetype", [("style.css", "text/css"), ("match.js", "text/javascript")])
def test_static_files_are_served(client, name, mimetype):
    response = client.get(f"/static/{name}")
    assert response.status_code == 200
    assert response.mimetype == mimetype
    assert response.get_data()


@pytest.mark.parametrize("url", ["/no-such-page", "/p/zzzzzzzzzz", "/search/extra", "/static/none.css"])
def test_unknown_page_is_a_friendly_chinese_404(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    soup = BeautifulSoup(html, "html.parser")
    assert soup.html["lang"] == "zh-CN"
    assert soup.select_one(".error-page .status").get_text() == "404"
    assert soup.select_one(".error-page form[role=search] input[name=q]") is not None
    assert soup.select_one('.error-page a[href="/"]') is not None
    assert "Not Found" not in html and "Traceback" not in html


def test_post_to_a_page_is_405_html(client):
    response = client.post("/search", data={"q": "复工复产"})
    assert response.status_code == 405
    assert response.mimetype == "text/html"
    assert re.search(r'<p class="status">405</p>', response.get_data(as_text=True))


def test_405_page_says_which_methods_are_allowed(client):
    response = client.post("/search")
    assert response.headers.get("Allow", "").replace(" ", "").split(",").count("GET") == 1


# --- the home district (POLICY_SEARCH_HOME_REGION) -------------------------------------------


@pytest.fixture(scope="module")
def home_client(corpus_data_dir):
    """An app over the corpus run for 峄城区, the district named as the setting allows: a name."""
    from web.app import create_app

    app = create_app({"DATA_DIR": str(corpus_data_dir), "BASE_URL": BASE_URL, "HOME_REGION": "峄城区"})
    yield app.test_client()
    if app.extensions["policy_search"]._service is not None:
        app.extensions["policy_search"]._service.close()


def chosen(soup: BeautifulSoup) -> dict[str, str]:
    """The value each chooser of /match shows as selected."""
    out = {}
    for select in soup.select("form.match fieldset select"):
        option = select.select_one("option[selected]")
        out[select["name"]] = option["value"] if option else ""
    return out


def test_match_starts_at_the_home_district(home_client, client):
    soup = page(home_client, "/match")
    assert chosen(soup) == {"province": "370000", "city": "370400", "county": "370404"}
    assert "山东省枣庄市峄城区" in soup.select_one("section.match-result h2").get_text()
    assert hit_ids(soup, "section.match-result") == hit_ids(page(client, "/match", region="370404"),
                                                            "section.match-result")
    # without the setting, nothing is chosen
    assert chosen(page(client, "/match")) == {"province": ""}


@pytest.mark.parametrize("query, expected", [
    ({"province": ""}, {"province": ""}),                       # the visitor cleared the province
    ({"province": "330000"}, {"province": "330000", "city": ""}),  # and chose another one
    ({"region": "枣庄市"}, {"province": "370000", "city": "370400", "county": ""}),
    ({"industry": "制造业"}, {"province": "370000", "city": "370400", "county": "370404"}),
])
def test_a_place_the_visitor_chooses_wins_over_the_home_district(home_client, query, expected):
    assert chosen(page(home_client, "/match", **query)) == expected


def test_the_home_page_lists_local_policies_first(home_client, client):
    soup = page(home_client, "/")
    sections = [s for s in soup.select("main > section")]
    assert sections[0].get("class") == ["hero"] and sections[1].get("class") == ["local"]
    local = sections[1]
    assert "本地政策" in local.select_one("h2").get_text() and "峄城区" in local.select_one("h2").get_text()
    expected = api(client, "/api/search", applies_to="370404", type="policy", sort="date", limit=50)
    assert hit_ids(soup, "section.local") == [h["id"] for h in expected["hits"]][:5]
    assert all(h["type"] == "policy" for h in expected["hits"])
    assert {h["region"]["code"] for h in expected["hits"]} <= set(YICHENG_CHAIN)
    more = local.select_one("a.more")
    assert f"{expected['total']} 条" in more.get_text()
    assert hit_ids(page(home_client, more["href"]), "section.hits") == [h["id"] for h in expected["hits"]][:10]
    # no home district, no such list
    assert page(client, "/").select_one("section.local") is None


@pytest.mark.parametrize("setting", ["火星区", "12345", "市中区"])
def test_an_unusable_home_district_stops_the_app_and_the_server(corpus_data_dir, setting):
    from click.testing import CliRunner

    from policy_search.cli import main
    from policy_search.errors import ConfigurationError
    from web.app import create_app

    with pytest.raises(ConfigurationError, match="POLICY_SEARCH_HOME_REGION"):
        create_app({"DATA_DIR": str(corpus_data_dir), "HOME_REGION": setting})
    result = CliRunner().invoke(main, ["--data-dir", str(corpus_data_dir), "serve", "--port", "0"],
                                env={"POLICY_SEARCH_HOME_REGION": setting})
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert re.search(r"^Error: POLICY_SEARCH_HOME_REGION: .+\nHint: .+", result.output, re.MULTILINE)


# --- links to other sites in every footer ----------------------------------------------------


def footer_links(soup: BeautifulSoup) -> list[tuple[str, str]]:
    return [(a.get_text(), a["href"]) for a in soup.select("footer.site nav.external-links a")]


@pytest.mark.parametrize("url", ["/", "/search?q=稳岗", "/match", "/downloads", "/nope"])
def test_every_footer_shows_the_links_of_the_data_file_opening_safely(client, url):
    from policy_search.external_links import default_path

    data = json.loads(default_path().read_text(encoding="utf-8"))
    response = client.get(url)
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert footer_links(soup) == [(link["title"], link["url"]) for link in data["links"]]
    assert footer_links(soup)[0] == ("国务院政策文件库", "https://www.gov.cn/zhengce/zhengceku/")
    for a in soup.select("footer.site nav.external-links a"):
        assert a["target"] == "_blank" and "noopener" in a["rel"]


def test_the_footer_follows_an_edited_file(corpus_data_dir, tmp_path):
    from web.app import create_app

    edited = tmp_path / "links.json"
    edited.write_text(json.dumps({"_about": "test", "links": [
        {"title": "峄城区人民政府", "url": "http://www.yicheng.gov.cn/"},
        {"title": "<b>山东省政府</b>", "url": "https://www.shandong.gov.cn/?a=1&b=2"}]}, ensure_ascii=False),
        encoding="utf-8")
    app = create_app({"DATA_DIR": str(corpus_data_dir), "EXTERNAL_LINKS_FILE": str(edited)})
    html = app.test_client().get("/").get_data(as_text=True)
    assert footer_links(BeautifulSoup(html, "html.parser")) == [
        ("峄城区人民政府", "http://www.yicheng.gov.cn/"), ("<b>山东省政府</b>", "https://www.shandong.gov.cn/?a=1&b=2")]
    assert "&lt;b&gt;山东省政府" in html and "<b>山东" not in html


@pytest.mark.parametrize("content, message", [
    ("not json", "is not JSON"),
    ('{"links": {}}', "has no list 'links'"),
    ('{"links": [{"title": "x", "url": "javascript:alert(1)"}]}', "link 1 of"),
    ('{"links": [{"title": "x", "url": "/relative"}]}', "is not an http(s) address"),
    ('{"links": [{"title": "", "url": "https://www.gov.cn/"}]}', "has no title"),
    ('{"links": [{"title": "a\\nb", "url": "https://www.gov.cn/"}]}', "is not one line"),
    ('{"links": [{"url": "https://www.gov.cn/"}]}', "has no title"),
    ('{"links": ["https://www.gov.cn/"]}', "is not an object"),
    ('{"links": [' + ",".join(['{"title": "x", "url": "https://www.gov.cn/"}'] * 13) + "]}", "at most 12"),
])
def test_a_bad_links_file_stops_the_app_with_a_message_naming_it(corpus_data_dir, tmp_path, content, message):
    from policy_search.errors import ConfigurationError
    from web.app import create_app

    bad = tmp_path / "links.json"
    bad.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigurationError, match=re.escape(message)) as raised:
        create_app({"DATA_DIR": str(corpus_data_dir), "EXTERNAL_LINKS_FILE": str(bad)})
    assert str(bad) in str(raised.value) and "_about" in raised.value.hint
