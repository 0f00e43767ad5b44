"""What a hostile document, query or path can and cannot do to the web app.

A small index is built once for this module with a policy whose title, body
and metadata are markup, plus policies that are then removed, replaced and
renamed (aliased). Pages must show such markup as text, the API must return
it as data, downloads must never leave the catalog, and every answer carries
the security headers.
"""
from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from helpers import REPO, index_texts

from policy_search import open_service
from policy_search.storage.writer import PolicyWriter
from web.app import create_app

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
BREAKOUT = "\"'><b>"
HOSTILE_TITLE = f"{SCRIPT}{BREAKOUT}关于{IMG}减免房租的通知"
HOSTILE_BODY = (f"为支持小微企业，{SCRIPT}现对房租减免通知如下。{IMG} 一、减免房租三个月。{BREAKOUT}粗体\n"
                "二、申请方式：向街道办提出。\n")
HOSTILE_META = {"url": "javascript:alert(1)", "issuer": "<i>机关</i>", "doc_number": "<u>鲁</u>发〔2020〕1号",
                "region": "峄城区"}
#: Raw strings that must never reach a page unescaped.
RAW_MARKUP = (SCRIPT, IMG, BREAKOUT, "<b>", "<i>", "<u>", "onerror=alert(1)>")
#: Tags of the templates that hostile input could forge; none of them is ever in a template.
FORGED_TAGS = {"img", "b", "i", "u", "iframe", "object", "embed", "svg"}
ALIAS = "old-id-2019"


# --- the module's index ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The hostile policy and a removed/replaced/renamed trio, ingested once; their ids by role."""
    root = tmp_path_factory.mktemp("web-safety")
    data_dir = index_texts(root / "src", root / "var", {
        "evil.txt": f"{HOSTILE_TITLE}\n{HOSTILE_BODY}",
        "evil.txt.meta.json": json.dumps(HOSTILE_META, ensure_ascii=False),
        "old.txt": "峄城区人民政府关于旧版稳岗返还的通知\n峄政发〔2019〕1号\n旧版稳岗返还办法，琥珀条款。\n",
        "new.txt": "峄城区人民政府关于新版稳岗返还的通知\n峄政发〔2020〕9号\n新版稳岗返还办法。\n",
        "gone.txt": "峄城区人民政府关于临时停车管理的通知\n峄政发〔2020〕10号\n临时停车管理，琥珀条款。\n",
    })
    with open_service(data_dir) as service:
        titles = {p.title: p.id for p in service.list_policies()}
    ids = {"evil": titles[HOSTILE_TITLE],
           "old": titles["峄城区人民政府关于旧版稳岗返还的通知"],
           "new": titles["峄城区人民政府关于新版稳岗返还的通知"],
           "gone": titles["峄城区人民政府关于临时停车管理的通知"]}
    with PolicyWriter(data_dir) as writer:
        with writer.transaction():
            writer.remove(ids["old"], replaced_by=ids["new"])
            writer.remove(ids["gone"])
            writer.alias(ALIAS, ids["new"])
        writer.commit()
    app = create_app({"DATA_DIR": str(data_dir)})  # started after the changes, as after a deploy
    yield {"client": app.test_client(), "ids": ids, "source_dir": root / "src", "data_dir": data_dir}
    app.extensions["policy_search"].get().close()


@pytest.fixture(scope="module")
def client(site):
    return site["client"]


@pytest.fixture(scope="module")
def ids(site):
    return site["ids"]


@pytest.fixture(scope="module")
def corpus_client(corpus_app):
    return corpus_app.test_client()


# --- helpers ---------------------------------------------------------------------------------------


def html_of(response) -> str:
    assert response.mimetype == "text/html", response.mimetype
    return response.get_data(as_text=True)


def assert_inert(html: str) -> BeautifulSoup:
    """The page holds no raw hostile markup and no tag, handler or URL it could have forged."""
    for raw in RAW_MARKUP:
        assert raw not in html, f"unescaped {raw!r}"
    soup = BeautifulSoup(html, "html.parser")
    forged = {tag.name for tag in soup.find_all(FORGED_TAGS) if not _is_own_qr_code(tag)}
    assert not forged, forged
    assert_no_inline_code(soup)
    return soup


def _is_own_qr_code(tag) -> bool:
    """The QR image of a policy's page or of a saved search's code page: the one <img> the site puts there."""
    return tag.name == "img" and re.fullmatch(r"/[ps]/[A-Za-z0-9_-]+/qr\.svg", tag.get("src", "")) is not None


def assert_no_inline_code(soup: BeautifulSoup) -> None:
    """Nothing a strict CSP would block: inline scripts, handlers, styles, javascript: URLs."""
    for script in soup.find_all("script"):
        assert script.get("src", "").startswith("/static/"), script
        assert not script.string or not script.string.strip(), script
    assert soup.find("style") is None
    for tag in soup.find_all(True):
        for name, value in tag.attrs.items():
            assert not name.lower().startswith("on"), (tag.name, name)
            assert name.lower() != "style", tag.name
            if name.lower() in ("href", "src", "action", "formaction"):
                url = str(value).strip().lower()
                assert not url.startswith(("javascript:", "vbscript:")), value
                if tag.name in ("a", "script", "form", "iframe", "button"):
                    assert not url.startswith("data:"), value


def tags_in(fragment: str) -> set[str]:
    return {name.lower() for name in re.findall(r"</?\s*([a-zA-Z][\w-]*)", fragment)}


# --- hostile documents and queries -------------------------------------------------------------------


@pytest.mark.parametrize("url, query", [
    ("/", {}),
    ("/search", {}),
    ("/search", {"q": "房租减免"}),
    ("/search", {"q": SCRIPT}),
    ("/search", {"q": f"{IMG} {BREAKOUT} 房租"}),
    ("/search", {"q": SCRIPT, "level": "central"}),         # no results
    ("/search", {"level": SCRIPT}),                          # error page naming the value
    ("/search", {"region": IMG}),
    ("/search", {"q": SCRIPT * 20}),                         # 414 page
    ("/match", {"region": "370404"}),
    ("/match", {"province": SCRIPT}),
    ("/match", {"region": BREAKOUT}),
])
def test_hostile_text_is_never_markup_on_a_page(client, url, query):
    response = client.get(url, query_string=query)
    assert response.status_code in (200, 400, 414)
    assert_inert(html_of(response))


def test_the_no_results_page_echoes_a_hostile_query_as_text(client):
    soup = assert_inert(html_of(client.get("/search", query_string={"q": SCRIPT, "level": "central"})))
    assert soup.select_one(".no-results") is not None
    assert SCRIPT in soup.select_one(".results-bar .count").get_text()
    assert soup.select_one("form[role=search] input[name=q]")["value"] == SCRIPT
    assert SCRIPT in soup.title.get_text()


def test_the_error_page_names_a_hostile_value_as_text(client):
    response = client.get("/search", query_string={"level": SCRIPT})
    assert response.status_code == 400
    soup = assert_inert(html_of(response))
    assert SCRIPT in soup.select_one(".error-page").get_text()


@pytest.mark.parametrize("path", [f"/p/{SCRIPT}", f"/p/{IMG}", f"/p/{BREAKOUT}", f"/p/{SCRIPT}/original"])
def test_a_hostile_policy_id_is_a_harmless_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert_inert(html_of(response))


def test_a_hostile_policy_page_shows_its_markup_as_text(client, ids):
    response = client.get(f"/p/{ids['evil']}")
    assert response.status_code == 200
    soup = assert_inert(html_of(response))
    assert soup.select_one("article.policy h1").get_text() == HOSTILE_TITLE
    assert HOSTILE_TITLE in soup.title.get_text()
    body = soup.select_one("div.body").get_text()
    assert SCRIPT in body and IMG in body and BREAKOUT in body
    facts = soup.select_one("dl.facts").get_text()
    assert "<i>机关</i>" in facts and "<u>鲁</u>发〔2020〕1号" in facts


def test_a_javascript_source_url_is_not_linked(client, ids):
    soup = BeautifulSoup(html_of(client.get(f"/p/{ids['evil']}")), "html.parser")
    assert "来源网页" not in soup.select_one("div.actions").get_text()
    assert not soup.find(href=re.compile(r"^\s*javascript:", re.IGNORECASE))


def test_snippets_carry_no_tag_but_mark(client, ids):
    soup = assert_inert(html_of(client.get("/search", query_string={"q": "房租减免"})))
    evil = soup.find("a", href=f"/p/{ids['evil']}")
    assert evil is not None and evil.get_text() == HOSTILE_TITLE
    snippets = soup.select("section.hits p.snippet")
    assert snippets and any(s.find("mark") for s in snippets)
    for snippet in snippets:
        assert {tag.name for tag in snippet.find_all(True)} <= {"mark"}


def test_the_api_returns_hostile_text_as_data(client, ids):
    response = client.get("/api/search", query_string={"q": f"{SCRIPT} 房租减免"})
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    data = response.get_json()
    assert data["query"] == f"{SCRIPT} 房租减免"
    hit = next(h for h in data["hits"] if h["id"] == ids["evil"])
    assert hit["title"] == HOSTILE_TITLE
    assert hit["issuer"] == "<i>机关</i>"
    assert "<mark>" in hit["snippet_html"]
    assert tags_in(hit["snippet_html"]) == {"mark"}
    assert "&lt;" in hit["snippet_html"] and "<script" not in hit["snippet_html"]
    policy = client.get(f"/api/policies/{ids['evil']}").get_json()
    assert policy["title"] == HOSTILE_TITLE
    assert SCRIPT in policy["text"] and IMG in policy["text"] and BREAKOUT in policy["text"]


def test_the_api_does_not_reveal_server_paths(client, site, ids):
    text = client.get(f"/api/policies/{ids['new']}").get_data(as_text=True)
    assert str(site["source_dir"]) not in text
    assert str(REPO) not in text


# --- removed, replaced and renamed policies -----------------------------------------------------------


def test_a_replaced_policy_is_410_with_a_notice_and_the_new_link(client, ids):
    response = client.get(f"/p/{ids['old']}")
    assert response.status_code == 410
    soup = BeautifulSoup(html_of(response), "html.parser")
    notice = soup.select_one(".notice")
    assert notice is not None and "已撤下" in notice.get_text()
    assert notice.find("a", href=f"/p/{ids['new']}") is not None
    assert soup.select_one("article.policy h1").get_text() == "峄城区人民政府关于旧版稳岗返还的通知"
    assert soup.select_one("section.related") is None


def test_a_removed_policy_without_replacement_is_410_with_the_notice_only(client, ids):
    response = client.get(f"/p/{ids['gone']}")
    assert response.status_code == 410
    notice = BeautifulSoup(html_of(response), "html.parser").select_one(".notice")
    assert "已撤下" in notice.get_text() and notice.find("a") is None


def test_removed_policies_are_out_of_search_but_known_to_the_api(client, ids):
    found = [h["id"] for h in client.get("/api/search", query_string={"q": "琥珀条款"}).get_json()["hits"]]
    assert ids["old"] not in found and ids["gone"] not in found
    data = client.get(f"/api/policies/{ids['old']}").get_json()
    assert data["removed"] is True and data["replaced_by"] == ids["new"]


_STALE_SEARCHER = (
    "the local backend (policy_search/storage/backends/local.py) refreshing with Searcher.refresh(), "
    "which in whoosh-reloaded 2.7.5 reuses the open SegmentReader of any segment whose id is "
    "unchanged (Segment.__eq__ compares ids only), with its old deletion set: a running app "
    "keeps listing removed policies, and both versions of an updated one, until restarted")


@pytest.fixture
def live(tmp_path):
    """An app that is already serving when the catalog changes under it."""
    data_dir = index_texts(tmp_path / "src", tmp_path / "var", {
        "amber.txt": "峄城区人民政府关于琥珀产业的通知\n峄政发〔2020〕21号\n琥珀条款第一版。\n"})
    app = create_app({"DATA_DIR": str(data_dir)})
    client = app.test_client()
    hits = client.get("/api/search", query_string={"q": "琥珀"}).get_json()["hits"]
    assert len(hits) == 1
    yield {"client": client, "id": hits[0]["id"], "src": tmp_path / "src", "data_dir": data_dir}
    app.extensions["policy_search"].get().close()


def _amber_hits(client) -> list[dict]:
    return client.get("/api/search", query_string={"q": "琥珀"}).get_json()["hits"]


def test_a_policy_removed_while_serving_leaves_the_results(live):
    with PolicyWriter(live["data_dir"]) as writer:
        with writer.transaction():
            writer.remove(live["id"])
        writer.commit()
    assert live["client"].get(f"/p/{live['id']}").status_code == 410  # the catalog knows at once
    assert _amber_hits(live["client"]) == []


def test_a_policy_updated_while_serving_is_listed_once_in_its_new_version(live):
    index_texts(live["src"], live["data_dir"], {
        "amber.txt": "峄城区人民政府关于琥珀产业的通知\n峄政发〔2020〕21号\n琥珀条款第二版。\n"})
    hits = _amber_hits(live["client"])
    assert [h["id"] for h in hits] == [live["id"]]
    assert "第二版" in hits[0]["snippet"]


def test_an_alias_redirects_permanently_to_the_current_id(client, ids):
    response = client.get(f"/p/{ALIAS}")
    assert response.status_code == 301
    assert response.headers["Location"].endswith(f"/p/{ids['new']}")
    followed = client.get(f"/p/{ALIAS}", follow_redirects=True)
    assert followed.status_code == 200 and len(followed.history) == 1
    title = BeautifulSoup(html_of(followed), "html.parser").select_one("article.policy h1").get_text()
    assert title == "峄城区人民政府关于新版稳岗返还的通知"
    assert client.get(f"/api/policies/{ALIAS}").get_json()["id"] == ids["new"]


# --- downloads never leave the catalog ----------------------------------------------------------------

SECRETS = (b"[metadata]", b"root:x:", b"install_requires", b"[tool:pytest]")


@pytest.mark.parametrize("path", [
    "/p/../../etc/passwd/original",
    "/p/..%2f..%2fetc%2fpasswd/original",
    "/p/%2e%2e%2fsetup.cfg/original",
    "/p/%2E%2E/%2E%2E/setup.cfg/original",
    "/p/%252e%252e%252fsetup.cfg/original",
    "/p//etc/passwd/original",
    "/p/setup.cfg/original",
    "/p/corpus/README.md/original",
    "/p/.env/original",
    "/p/..%5c..%5csetup.cfg/original",
    "/p/%00/original",
    "/p/C:%5cWindows%5cwin.ini/original",
    "/static/../setup.cfg",
    "/static/%2e%2e/setup.cfg",
    "/static/..%2fsetup.cfg",
    "/static/%2e%2e%2f%2e%2e%2fetc/passwd",
])
def test_a_path_instead_of_an_id_never_reaches_a_file(corpus_client, path):
    response = corpus_client.get(path)
    if response.status_code == 308:  # werkzeug merges doubled slashes first
        assert urlsplit(response.headers["Location"]).path.startswith("/p/")
        response = corpus_client.get(path, follow_redirects=True)
    assert response.status_code == 404, (path, response.status_code)
    assert "Content-Disposition" not in response.headers
    body = response.get_data()
    assert not any(secret in body for secret in SECRETS)


def test_a_real_id_followed_by_a_path_is_not_a_download(corpus_client, corpus_app):
    with corpus_app.app_context():
        some_id = corpus_app.extensions["policy_search"].get().list_policies()[0].id
    for path in (f"/p/{some_id}/../../setup.cfg", f"/p/{some_id}/original/../../setup.cfg",
                 f"/p/{some_id}/x/original"):
        response = corpus_client.get(path)
        assert response.status_code in (301, 404), path
        assert not any(secret in response.get_data() for secret in SECRETS)


# --- headers on every answer ------------------------------------------------------------------------

CORPUS_URLS = [
    ("get", "/"), ("get", "/search?q=复工复产"), ("get", "/match"), ("get", "/match?region=370404"),
    ("get", "/api/search?q=复工复产"), ("get", "/api/facets"), ("get", "/api/openapi.json"),
    ("get", "/api/match?region=370404"), ("get", "/static/style.css"), ("get", "/static/match.js"),
    ("get", "/nope"), ("get", "/api/nope"), ("get", "/search?level=foo"), ("get", "/api/search?level=foo"),
    ("get", "/search?q=" + "政" * 201), ("post", "/api/search"), ("post", "/search"),
    ("get", "/p/zzzzzzzzzz"), ("get", "/api/policies/zzzzzzzzzz"), ("head", "/search"),
    ("get", "/downloads"), ("get", "/downloads/originals?topic=稳岗就业"), ("get", "/downloads/all.html"),
    ("post", "/downloads"), ("get", "/s"),
]


def check_security_headers(response) -> None:
    headers = response.headers
    csp = {}
    for directive in headers["Content-Security-Policy"].split(";"):
        name, *values = directive.split()
        csp[name.lower()] = values
    script_src = csp.get("script-src", csp.get("default-src"))
    assert script_src, "no script-src or default-src"
    assert not {"'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:"} & set(script_src)
    assert csp.get("object-src") == ["'none'"]
    assert csp.get("frame-ancestors") == ["'none'"] or headers.get("X-Frame-Options") == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] in ("no-referrer", "same-origin", "strict-origin",
                                          "strict-origin-when-cross-origin")


@pytest.mark.parametrize("method, url", CORPUS_URLS)
def test_every_answer_carries_the_security_headers(corpus_client, method, url):
    check_security_headers(getattr(corpus_client, method)(url))


def test_downloads_redirects_and_gone_pages_carry_the_security_headers(client, corpus_client, corpus_app, ids):
    with corpus_app.app_context():
        some_id = corpus_app.extensions["policy_search"].get().list_policies()[0].id
    responses = [corpus_client.get(f"/p/{some_id}"), corpus_client.get(f"/p/{some_id}/original"),
                 corpus_client.get("/p/bulk-yinfa-2020-12/original"), corpus_client.get(f"/api/policies/{some_id}"),
                 client.get(f"/p/{ALIAS}"), client.get(f"/p/{ids['old']}"), client.get(f"/p/{ids['evil']}")]
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 301, 410, 200]
    for response in responses:
        check_security_headers(response)


@pytest.mark.parametrize("url", ["/", "/search", "/search?q=复工复产", "/match", "/match?region=370404",
                                 "/nope", "/search?page=0", "/p/bulk-yinfa-2020-12", "/downloads",
                                 "/downloads/originals?topic=稳岗就业"])
def test_no_page_has_inline_script_or_style(corpus_client, url):
    assert_no_inline_code(BeautifulSoup(html_of(corpus_client.get(url)), "html.parser"))


def test_the_code_of_a_search_and_its_page_carry_the_headers_and_no_inline_code(client):
    """生成二维码 writes (a saved search): this module's own index, never the session's corpus."""
    saved = client.post("/s", data={"q": HOSTILE_TITLE[:60]})
    assert saved.status_code == 303
    check_security_headers(saved)
    page = client.get(saved.headers["Location"])
    check_security_headers(page)
    soup = assert_inert(html_of(page))
    assert_no_inline_code(soup)
    refused = client.post("/s", data={"q": "稳岗"}, headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403
    check_security_headers(refused)


def test_the_match_page_loads_its_script_from_static(corpus_client):
    soup = BeautifulSoup(html_of(corpus_client.get("/match")), "html.parser")
    sources = [s["src"] for s in soup.find_all("script")]
    assert sources == ["/static/match.js"]
    assert corpus_client.get(sources[0]).status_code == 200
