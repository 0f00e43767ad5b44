"""Fuzzing the web app: whatever a visitor sends, a clear answer, never a 500, never a hang.

Three layers:

* Hypothesis property tests through the Flask test client, over an index of corpus/ that also
  holds a saved search, an alias and a removed policy (so redirects and 410s are reached too):
  arbitrary text, bytes, extra and repeated parameters, arbitrary ids, methods and ETags.
* Hand-picked pathological requests: huge queries, search-engine syntax, unbalanced quotes,
  invalid UTF-8, NUL bytes, path traversal in ids, a 10 KB URL.
* Raw requests and Schemathesis against the real ``policy-search serve`` (waitress) over
  corpus/: no 5xx, and every status, content type and body as the OpenAPI document the server
  publishes at /api/openapi.json says.

Every generator is derandomized, so a run is reproducible and CI is not flaky.
"""
from __future__ import annotations

import json
import socket
import time
import urllib.request
from urllib.parse import quote, quote_from_bytes, urlencode, urlsplit

import pytest
import schemathesis
from helpers import CORPUS, serving
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.config import SchemathesisConfig
from werkzeug.datastructures import MultiDict

from indexer.pipeline import ingest
from policy_search import open_service
from policy_search.links import canonical_search, saved_search_id
from policy_search.models import LEVELS
from policy_search.search.query import MAX_QUERY_CHARS, MAX_QUERY_WORDS
from policy_search.search.service import SORTS
from policy_search.vocabulary import industry_names, topic_names
from policy_search.storage.writer import PolicyWriter
from web.app import create_app
from web.openapi import openapi_document

#: Every status the app may answer a GET with. 308 is werkzeug's own redirect of a path with
#: a doubled slash (``/p//x`` to ``/p/x``); 304 a QR code whose ETag the client already has.
ALLOWED_STATUSES = {200, 301, 302, 304, 308, 400, 404, 405, 410, 414}
REDIRECTS = {301, 302, 308}
#: Hosts a redirect may name: none (relative), the test client's, or the configured BASE_URL's.
OWN_HOSTS = {"", "localhost", "zc.example.cn"}
#: The most one answer may take (the first search also loads jieba: see ``client``).
REQUEST_SECONDS = 3.0
PATHOLOGICAL_SECONDS = 2.0

HOSTILE_SCRIPT = "<script>alert(1)</script>"
ALIAS_ID = "old-id-2019"

SEARCH_NAMES = ("q", "level", "topic", "industry", "region", "applies_to", "in_force", "sort",
                "page", "limit")
MATCH_NAMES = ("region", "province", "city", "county", "industry", "topic", "in_force")
#: Names no endpoint reads, or reads elsewhere: they must be ignored or checked.
STRAY_NAMES = ("size", "id", "format", "callback", "q[]", "__proto__", "", " q", "Q", "page ")

#: Strings that have broken web apps before: markup, SQL, templates, traversal, odd Unicode.
HOSTILE_STRINGS = (
    HOSTILE_SCRIPT, "<img src=x onerror=alert(1)>", "\"'><b>", "' OR '1'='1' --",
    "'; DROP TABLE policies; --", "1; SELECT * FROM catalog", "{{7*7}}", "${7*7}", "{% raw %}",
    "${jndi:ldap://x/a}", "%s%s%s%n", "%00", "%ff", "%", "../../etc/passwd", "..\\..\\windows",
    "\u202e稳岗补贴", "\u200f\u200e", "\u200b\u200c\u200d", "\ufeff", "👨‍👩‍👧‍👦🇨🇳", "稳岗😀补贴",
    "，。！？：；（）【】「」『』《》", "＂稳岗＂", "ｑ＝稳岗", "e\u0301" * 80, "\U0010ffff\ufffe\uffff",
    "\x00", "\t\n\r", "\x1b[31m", "\x7f", "null", "None", "undefined", "NaN", "-1", "0", "01",
    "1e3", "0x10", "９", "٣", "true", "yes", "on", " ", "", "稳岗", "\"稳岗", "“稳岗", "「",
    "((((", "))))", "[a TO b]", "title:稳岗", "稳* 补?", "稳岗~2", "稳岗^3", "AND OR NOT",
)
#: Values every endpoint understands, so that generated requests also get past the checks.
VALID_VALUES = (*LEVELS, *SORTS, *topic_names(), *industry_names(), "370404", "370400",
                "370000", "山东省", "枣庄市", "峄城区", "1", "0", "2", "50", "复工复产 稳岗")


# ---------------------------------------------------------------- strategies

def text_without_surrogates(min_size: int = 0, max_size: int = 40) -> st.SearchStrategy[str]:
    return st.text(st.characters(exclude_categories=("Cs",)), min_size=min_size, max_size=max_size)


def printable_text(max_size: int = 40) -> st.SearchStrategy[str]:
    """Text a visitor could type: no control characters, so the value gets past the checks."""
    return st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=max_size)


CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
PRINTABLE_ASCII = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
FULL_WIDTH = st.characters(min_codepoint=0xFF01, max_codepoint=0xFF5E)

param_values = st.one_of(
    text_without_surrogates(),
    printable_text(),
    st.text(st.one_of(CJK, FULL_WIDTH, st.sampled_from(" \"“”「」-－*?~^:()")), max_size=60),
    text_without_surrogates(min_size=180, max_size=260),  # around the 200-character limit
    st.sampled_from(HOSTILE_STRINGS),
    st.sampled_from(VALID_VALUES),
    st.tuples(st.sampled_from(HOSTILE_STRINGS + VALID_VALUES), printable_text(10)).map("".join),
)


def query_pairs(names: tuple[str, ...]) -> st.SearchStrategy[list[tuple[str, str]]]:
    """Known, stray and random parameter names (repeats included) with arbitrary values."""
    name = st.one_of(st.sampled_from(names), st.sampled_from(STRAY_NAMES), text_without_surrogates(1, 10))
    return st.lists(st.tuples(name, param_values), max_size=8)


def encoded_bytes_query(names: tuple[str, ...]) -> st.SearchStrategy[str]:
    """A query string of percent-encoded arbitrary bytes: invalid UTF-8 included."""
    pair = st.tuples(st.sampled_from(names), st.binary(max_size=30))
    return st.lists(pair, min_size=1, max_size=5).map(
        lambda pairs: "&".join(f"{name}={quote_from_bytes(value, safe='')}" for name, value in pairs))


TRAVERSALS = ("..", ".", "../..", "..%2f..%2fetc%2fpasswd", "../../etc/passwd", "..\\..\\windows",
              "%2e%2e", "/etc/passwd", "C:\\Windows\\win.ini", "file:///etc/passwd", "~root",
              "....//....//etc/passwd", "..;/..;/", "%252e%252e%252f")

# ---------------------------------------------------------------- the answers


def is_api(url: str) -> bool:
    return url.startswith("/api/")


def check_answer(response, url: str, seconds: float, method: str = "GET") -> None:
    """What every answer must be: an expected status, in time, and well-formed for its kind."""
    status, body = response.status_code, response.get_data()
    where = f"{method} {url[:300]!r} -> {status}"
    assert status in ALLOWED_STATUSES, f"{where}: {body[:300]!r}"
    assert seconds < REQUEST_SECONDS, f"{where} took {seconds:.2f} s"
    if status in REDIRECTS:
        check_redirect(response, where)
    elif method in ("HEAD", "OPTIONS"):
        return
    elif is_api(url):
        check_json_answer(response, where)
    elif response.mimetype == "text/html":
        assert b'lang="zh-CN"' in body, f"{where}: an HTML answer without lang=\"zh-CN\""
        assert HOSTILE_SCRIPT.encode() not in body, f"{where} echoes markup unescaped"


def check_redirect(response, where: str) -> None:
    """A redirect stays on this site: never an open redirect to a host from the request."""
    target = urlsplit(response.headers.get("Location", ""))
    assert target.path.startswith("/"), f"{where}: Location {target.geturl()!r}"
    assert target.netloc in OWN_HOSTS, f"{where}: redirects off-site to {target.geturl()!r}"


def check_json_answer(response, where: str) -> None:
    assert response.mimetype == "application/json", f"{where}: {response.mimetype}"
    data = json.loads(response.get_data())
    if response.status_code >= 400:
        error = data.get("error")
        assert isinstance(error, dict), f"{where}: no error object in {data}"
        assert isinstance(error.get("code"), str) and error["code"], f"{where}: {data}"
        assert isinstance(error.get("message"), str) and error["message"], f"{where}: {data}"


def fetch(client, url: str, method: str = "GET", **kwargs):
    """Ask the app and check the answer; return it for more checks."""
    started = time.perf_counter()
    response = client.open(url, method=method, **kwargs)
    check_answer(response, url, time.perf_counter() - started, method)
    return response


def with_query(path: str, pairs: list[tuple[str, str]]) -> str:
    return f"{path}?{urlencode(pairs, quote_via=quote)}" if pairs else path


# ---------------------------------------------------------------- the app under test


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """corpus/ ingested, plus a saved search, an alias and a removed policy; the app over it."""
    data_dir = tmp_path_factory.mktemp("fuzz-var")
    report = ingest([CORPUS], data_dir)
    assert not report.failed, report.failed
    search = canonical_search({"q": "稳岗", "topic": "稳岗就业"})
    with open_service(data_dir) as service:
        ids = [p.id for p in service.list_policies()]
        service.catalog.save_search(saved_search_id(search), search)
    removed, renamed = ids[0], ids[1]
    with PolicyWriter(data_dir) as writer:
        with writer.transaction():
            writer.remove(removed)
            writer.alias(ALIAS_ID, renamed)
        writer.commit()
    app = create_app({"DATA_DIR": str(data_dir), "BASE_URL": "https://zc.example.cn"})
    yield {"app": app, "ids": ids, "saved": saved_search_id(search), "removed": removed,
           "renamed": renamed, "data_dir": data_dir}
    holder = app.extensions["policy_search"]
    if holder._service is not None:
        holder._service.close()


@pytest.fixture(scope="module")
def client(site):
    client = site["app"].test_client()
    assert client.get("/api/search?q=稳岗补贴").status_code == 200  # loads jieba once, untimed
    return client


@pytest.fixture(scope="module")
def known_ids(site) -> set[str]:
    """Every id the app answers 200, 301 or 410 for."""
    return {*site["ids"], ALIAS_ID}


FUZZ = settings(max_examples=500, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# ---------------------------------------------------------------- 1. properties


@FUZZ
@given(path=st.sampled_from(["/search", "/api/search", "/feed.atom"]), pairs=query_pairs(SEARCH_NAMES))
def test_a_search_answers_any_parameters(client, path, pairs):
    event(f"status {fetch(client, with_query(path, pairs)).status_code}")


@FUZZ
@given(path=st.sampled_from(["/match", "/api/match"]), pairs=query_pairs(MATCH_NAMES))
def test_the_lookup_answers_any_parameters(client, path, pairs):
    event(f"status {fetch(client, with_query(path, pairs)).status_code}")


@settings(FUZZ, max_examples=300)
@given(path=st.sampled_from(["/search", "/api/search", "/match", "/api/match"]),
       query=encoded_bytes_query(SEARCH_NAMES + MATCH_NAMES))
def test_percent_encoded_bytes_are_never_a_500(client, path, query):
    event(f"status {fetch(client, f'{path}?{query}').status_code}")


@settings(FUZZ, max_examples=200)
@given(path=st.sampled_from(["/search", "/api/search"]),
       name=st.sampled_from(SEARCH_NAMES),
       values=st.lists(param_values, min_size=2, max_size=6))
def test_a_repeated_parameter_is_answered(client, path, name, values):
    fetch(client, with_query(path, [(name, v) for v in values]))


ID_PAGES = ("/api/policies/{}", "/p/{}", "/p/{}/original", "/p/{}/qr.png", "/p/{}/qr.svg",
            "/s/{}", "/s/{}/qr", "/s/{}/qr.png", "/s/{}/feed.atom", "/downloads/{}.html", "/downloads/{}.pdf")


@st.composite
def ids_to_try(draw, site) -> str:
    """Real ids, their near misses, links' ids, traversals and arbitrary text."""
    real = st.sampled_from(site["ids"])
    return draw(st.one_of(
        real, st.sampled_from([ALIAS_ID, site["saved"], site["removed"]]),
        real.map(str.upper), real.map(lambda i: i[:-1]), real.map(lambda i: i + "x"),
        st.tuples(real, st.sampled_from(["/", "%", "\x00", " ", ".txt", "/..", "?"])).map("".join),
        st.sampled_from(TRAVERSALS), st.sampled_from(HOSTILE_STRINGS),
        text_without_surrogates(max_size=80), st.text("ab0-_/.", max_size=200),
    ))


@settings(FUZZ, max_examples=800)
@given(data=st.data(), page=st.sampled_from(ID_PAGES), slashes_kept=st.booleans())
def test_any_id_is_a_page_a_redirect_or_a_404(client, site, known_ids, data, page, slashes_kept):
    pid = data.draw(ids_to_try(site), label="id")
    url = page.format(quote(pid, safe="/" if slashes_kept else ""))
    response = fetch(client, url)
    event(f"status {response.status_code}")
    is_known = (pid in known_ids if page.startswith(("/p/", "/api/"))
                else pid == site["saved"] if page.startswith("/s/") else False)  # nothing published
    if not is_known and pid and "/" not in pid:
        assert response.status_code == 404, f"{url!r} -> {response.status_code}"


@settings(FUZZ, max_examples=200)
@given(data=st.data(), kind=st.sampled_from(["/p/{}/qr.png", "/p/{}/qr.svg", "/s/{}/qr.png"]),
       size=st.one_of(st.none(), st.integers(-5, 60).map(str), param_values),
       etag=st.one_of(st.none(), st.just("*"), st.text(PRINTABLE_ASCII)))
def test_qr_codes_answer_any_size_and_etag(client, site, data, kind, size, etag):
    pid = site["saved"] if kind.startswith("/s/") else data.draw(st.sampled_from(site["ids"]))
    headers = {"If-None-Match": etag} if etag is not None else {}
    pairs = [("size", size)] if size is not None else []
    response = fetch(client, with_query(kind.format(pid), pairs), headers=headers)
    event(f"status {response.status_code}")
    if response.status_code == 200:
        assert response.mimetype in ("image/png", "image/svg+xml")


@settings(FUZZ, max_examples=200)
@given(path=st.sampled_from(["/feed.atom", "/feed.atom?topic=稳岗就业", "/s/{saved}/feed.atom"]),
       etag=st.one_of(st.none(), st.just("*"), st.text(PRINTABLE_ASCII)),
       since=st.one_of(st.none(), st.text(PRINTABLE_ASCII), st.sampled_from(
           ["Mon, 01 Jan 2001 00:00:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT", "Thu, 01 Jan 1970 00:00:00 GMT"])))
def test_feeds_answer_any_validators(client, site, path, etag, since):
    headers = {k: v for k, v in (("If-None-Match", etag), ("If-Modified-Since", since)) if v is not None}
    response = fetch(client, path.format(saved=site["saved"]), headers=headers)
    event(f"status {response.status_code}")
    assert response.status_code in (200, 304)
    if response.status_code == 200:
        assert response.mimetype == "application/atom+xml" and response.headers["ETag"]


ALL_PAGES = ("/", "/search", "/api/search", "/match", "/api/match", "/api/facets",
             "/api/openapi.json", "/p/{id}", "/p/{id}/original", "/p/{id}/qr.png", "/api/policies/{id}",
             "/s/{saved}", "/s/{saved}/qr", "/feed.atom", "/s/{saved}/feed.atom", "/static/style.css",
             "/static/nope.css", "/downloads", "/downloads/originals", "/downloads/all.html",
             "/nowhere", "/api/nowhere")


@settings(FUZZ, max_examples=200)
@given(page=st.sampled_from(ALL_PAGES),
       method=st.sampled_from(["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"]),
       body=st.one_of(st.none(), st.binary(max_size=200)))
def test_any_method_is_answered_or_refused_with_405(client, site, page, method, body):
    url = page.format(id=site["ids"][3], saved=site["saved"])
    response = fetch(client, url, method=method, data=body)
    if method not in ("GET", "HEAD", "OPTIONS"):
        assert response.status_code in (404, 405), f"{method} {url} -> {response.status_code}"


@FUZZ
@given(pairs=query_pairs(("topic", "page")))
def test_the_download_centre_answers_any_parameters(client, pairs):
    for path in ("/downloads", "/downloads/originals"):
        event(f"status {fetch(client, with_query(path, pairs)).status_code}")


#: What 生成二维码 (POST /s) may answer: the code's page (303), or a 4xx page, never a 500.
SAVE_STATUSES = {303, 400, 413, 414}
_clients = iter(range(1, 10**9))


@settings(FUZZ, max_examples=300)
@given(pairs=query_pairs(SEARCH_NAMES), raw=st.one_of(st.none(), st.binary(max_size=300)))
def test_saving_any_form_is_a_code_or_a_clear_refusal(client, site, pairs, raw):
    """Any form (or any body at all) POSTed to /s; each example from an address of its own, so the
    budget per address (a 429, tested in test_links_qr.py) does not hide what the form does."""
    n = next(_clients)
    address = f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"
    started = time.perf_counter()
    if raw is None:
        response = client.post("/s", data=MultiDict(pairs), environ_base={"REMOTE_ADDR": address})
    else:
        response = client.post("/s", data=raw, content_type="application/x-www-form-urlencoded",
                               environ_base={"REMOTE_ADDR": address})
    seconds = time.perf_counter() - started
    status = response.status_code
    event(f"status {status}")
    assert status in SAVE_STATUSES, (pairs, raw, status, response.get_data()[:300])
    assert seconds < REQUEST_SECONDS
    if status == 303:
        location = urlsplit(response.headers["Location"])
        assert location.netloc in OWN_HOSTS and location.path.startswith("/s/") and location.path.endswith("/qr")
        fetch(client, location.path)  # the code's page of what was saved answers too
    else:
        assert response.mimetype == "text/html" and b'lang="zh-CN"' in response.get_data()
        assert HOSTILE_SCRIPT.encode() not in response.get_data()


# ---------------------------------------------------------------- 2. pathological queries

#: 200 distinct CJK characters: jieba makes a hundred-odd words, each several Whoosh terms.
DISTINCT_CJK = "".join(chr(0x4E00 + 97 * i) for i in range(MAX_QUERY_CHARS))
COMMON_WORDS = ("企业稳岗返还社保减免租金财政补贴贷款贴息就业培训" * 20)[:MAX_QUERY_CHARS]
ASCII_TERMS = " ".join(chr(ord("a") + i % 26) for i in range(MAX_QUERY_CHARS))[:MAX_QUERY_CHARS]
NUMBERED_TERMS = " ".join(f"w{i}" for i in range(100))[:MAX_QUERY_CHARS]

#: Queries of more than MAX_QUERY_WORDS words (distinct-cjk segments into 197): refused, 400.
PAST_THE_WORD_CAP = {"distinct-cjk"}
PATHOLOGICAL_QUERIES = {
    "distinct-cjk": DISTINCT_CJK, "common-words": COMMON_WORDS, "ascii-terms": ASCII_TERMS,
    "numbered-terms": NUMBERED_TERMS, "many-phrases": ('"稳岗" ' * 40)[:MAX_QUERY_CHARS],
    "many-exclusions": ("-租金 " * 50)[:MAX_QUERY_CHARS], "many-doc-numbers": "鲁政发〔2020〕1号" * 16,
    "one-over-the-limit": "稳" * (MAX_QUERY_CHARS + 1), "spaces-over-the-limit": " " * 300,
    "star": "*", "question": "?", "stars": "* ** *** ?*?", "fuzzy": "稳岗~2", "boost": "补贴^3",
    "field": "title:稳岗", "field-only": "title:", "boolean": "稳岗 AND 补贴 OR NOT 租金",
    "range": "[a TO b]", "range-cjk": "{2020 TO 2021]", "regex": "/.*/", "escape": "\\",
    "quote": '"稳岗', "quotes": '"""', "curly-quote": "“稳岗", "corner-bracket": "「",
    "corner-brackets": "「『」』", "parens": "((((", "close-parens": "))))", "brackets": "[[[",
    "lone-minus": "-", "double-minus": "--", "full-width-minus": "－", "minus-space": "- - -",
    "minus-quote": '-"稳岗"', "stop-words": "的 了 和 是 在 与 及", "punctuation": "，。！？：；、…—",
    "ascii-punctuation": "!@#$%^&*()_+=-`~[]{}|;':\",./<>?", "tab-newline": "稳岗\t补贴\n租金",
    "rtl": "\u202e补贴\u202c", "zero-width": "稳\u200b岗", "emoji": "😀🎉🇨🇳", "bom": "\ufeff稳岗",
    "combining": "e\u0301" * 50, "private-use": "\ue000\uf8ff", "nonchar": "\uffff\ufffe",
    "sql": "' OR 1=1; --", "markup": HOSTILE_SCRIPT, "template": "{{config}}",
}
CONTROL_QUERIES = {"nul": "稳岗\x00补贴", "escape-char": "\x1b[31m", "bell": "\x07", "del": "\x7f"}


@pytest.mark.parametrize("path", ["/api/search", "/search"])
@pytest.mark.parametrize("extra", ["", "&sort=date", "&page=1000&limit=50", "&in_force=1&applies_to=370404"])
@pytest.mark.parametrize("name", list(PATHOLOGICAL_QUERIES))
def test_a_pathological_query_is_answered_quickly(client, path, extra, name):
    query = PATHOLOGICAL_QUERIES[name]
    started = time.perf_counter()
    response = fetch(client, f"{path}?q={quote(query, safe='')}{extra}")
    assert time.perf_counter() - started < PATHOLOGICAL_SECONDS
    expected = 414 if len(query) > MAX_QUERY_CHARS else 400 if name in PAST_THE_WORD_CAP else 200
    assert response.status_code == expected, response.get_data()[:300]


@pytest.mark.parametrize("path", ["/api/search", "/search", "/api/match", "/match"])
@pytest.mark.parametrize("name", list(CONTROL_QUERIES))
def test_a_control_character_is_a_400(client, path, name):
    param = "q" if "search" in path else "region"
    response = fetch(client, f"{path}?{param}={quote(CONTROL_QUERIES[name], safe='')}")
    assert response.status_code == 400


@pytest.mark.parametrize("query", ["%ff%fe%00", "%ff%fe", "%e4%b8", "%ed%a0%80", "%c0%af", "%f4%90%80%80"])
@pytest.mark.parametrize("path", ["/api/search", "/search"])
def test_percent_encoded_invalid_utf8_is_answered(client, path, query):
    response = fetch(client, f"{path}?q={query}")
    assert response.status_code in (200, 400)


@pytest.mark.parametrize("raw", [b"q=\xff\xfe", b"q=\xe7\xa8\xb3\xff", b"region=\xc0\xaf", b"page=\xff"])
@pytest.mark.parametrize("path", ["/api/search", "/search", "/match", "/api/match", "/p/{id}/qr.png"])
def test_raw_invalid_utf8_in_the_query_string_is_a_400_or_a_200(client, site, path, raw):
    url = path.format(id=site["ids"][2])
    started = time.perf_counter()
    response = client.get(url, environ_overrides={"QUERY_STRING": raw.decode("latin-1")})
    check_answer(response, url, time.perf_counter() - started)
    assert response.status_code in (200, 400), response.get_data()[:200]


def test_raw_utf8_in_the_query_string_is_read_as_utf8(client):
    """Valid raw UTF-8 (a client that doesn't percent-encode) is decoded, not refused."""
    raw = "q=稳岗".encode().decode("latin-1")
    response = client.get("/api/search", environ_overrides={"QUERY_STRING": raw})
    assert response.status_code == 200
    assert response.get_json()["query"] == "稳岗"


@pytest.mark.parametrize("raw", [b"/p/\xff\xfe", b"/api/policies/\xe4\xb8\x00", b"/s/\xc0\xaf",
                                 b"/p/\xff/original", b"/p/\xff/qr.png"])
def test_raw_invalid_utf8_in_the_path_is_a_404(client, raw):
    path = raw.decode("latin-1")
    started = time.perf_counter()
    response = client.get("/", environ_overrides={"PATH_INFO": path})
    check_answer(response, path, time.perf_counter() - started)
    assert response.status_code == 404


@pytest.mark.parametrize("url", [
    "/api/search?" + "x=" + "a" * 10_240,
    "/api/search?" + "&".join(f"p{i}=v" for i in range(2000)),
    "/search?" + "&".join(["q=稳岗"] * 1000),
    "/api/search?q=" + "a" * 10_240,
    "/p/" + "a" * 10_240,
    "/api/policies/" + "%2e" * 3500,
])
def test_a_10_kb_url_is_answered_quickly(client, url):
    started = time.perf_counter()
    response = fetch(client, url)
    assert time.perf_counter() - started < PATHOLOGICAL_SECONDS
    assert response.status_code in (200, 404, 414)


# ---------------------------------------------------------------- 3. traversal in ids

TRAVERSAL_URLS = [
    "/p/..%2f..%2fetc%2fpasswd", "/p/%2e%2e/original", "/p/%2e%2e%2f%2e%2e%2fetc%2fpasswd/original",
    "/p/../../etc/passwd", "/p/..%2f..%2fsetup.cfg/original", "/p/..%252f..%252fetc%252fpasswd",
    "/api/policies/..%5c..%5cwindows", "/api/policies/..%2f..%2fetc%2fpasswd",
    "/api/policies/%2e%2e%2fcatalog.sqlite3", "/s/../../", "/s/..%2f..%2fetc%2fpasswd",
    "/s/%2e%2e/qr.png", "/p/a%00b", "/p/%00/original", "/api/policies/%00", "/s/%00",
    "/p/" + "a" * 65, "/api/policies/" + "a" * 65, "/s/" + "a" * 65, "/p/" + "a" * 4096 + "/original",
    "/p/%2fetc%2fpasswd/original", "/p/C:%5cWindows%5cwin.ini/original", "/p/file:%2f%2f%2fetc%2fpasswd",
    "/static/..%2f..%2fsetup.cfg", "/static/../../setup.cfg", "/static/%2e%2e/%2e%2e/setup.cfg",
]
#: What a leaked file would start with or contain.
FILE_MARKERS = (b"root:x:0:0", b"[metadata]", b"SQLite format 3", b"[extensions]", b"install_requires")


@pytest.mark.parametrize("url", TRAVERSAL_URLS)
def test_a_path_in_an_id_is_a_404_and_never_a_file(client, url):
    response = fetch(client, url)
    if response.status_code == 308:  # werkzeug merging a doubled slash: where it leads counts
        response = client.get(url, follow_redirects=True)
    assert response.status_code in (400, 404), f"{url} -> {response.status_code}"
    body = response.get_data()
    assert not any(marker in body for marker in FILE_MARKERS), f"{url} leaks a file: {body[:200]!r}"


@pytest.mark.parametrize("suffix", ["/..%2f..%2fsetup.cfg", "%2f..%2f..%2fsetup.cfg", "/../../../setup.cfg",
                                    "/original/..%2f..%2fsetup.cfg", "/original%00.pdf"])
def test_a_real_id_with_a_path_after_it_is_not_a_file(client, site, suffix):
    response = fetch(client, f"/p/{site['ids'][2]}{suffix}")
    assert response.status_code == 404
    assert not any(marker in response.get_data() for marker in FILE_MARKERS)


def test_the_real_ids_still_answer(client, site):
    """The fuzzed ids are meaningful: the real ones, the alias, the removal and the saved search work."""
    pid = site["ids"][2]
    assert fetch(client, f"/p/{pid}").status_code == 200
    assert fetch(client, f"/api/policies/{pid}").status_code == 200
    assert fetch(client, f"/p/{pid}/original").status_code == 200
    assert fetch(client, f"/p/{ALIAS_ID}").status_code == 301
    assert fetch(client, f"/p/{site['removed']}").status_code == 410
    assert fetch(client, f"/s/{site['saved']}").status_code == 302
    assert fetch(client, f"/p/{pid}/qr.png", headers={"If-None-Match": "*"}).status_code == 304


# ---------------------------------------------------------------- 4. the real server

@pytest.fixture(scope="module")
def server_url(corpus_data_dir):
    """A running ``policy-search serve`` (waitress) over the corpus index, on a free port."""
    with serving(corpus_data_dir, ready_path="/api/openapi.json") as server:
        yield server.url


def raw_request(server_url: str, target: bytes, timeout: float = 5.0) -> tuple[int, bytes]:
    """Send a request line exactly as given (no client escaping); the status and the body."""
    host, port = server_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: " + host.encode()
                     + b"\r\nConnection: close\r\n\r\n")
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    answer = b"".join(chunks)
    status_line, _, rest = answer.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


@pytest.mark.parametrize("target", [
    b"/api/search?q=\xff\xfe", b"/search?q=\xe7\xa8\xb3\xe5\xb2\x97", b"/p/\xff\xfe",
    b"/api/policies/\xe4\xb8",
    b"/search?q=%00", b"/api/search?q=a\x00b", b"/p/a\x00b", b"/api/search?q=%ff%fe%00",
    b"/api/search?q=" + b"a" * 10_240, b"/api/search?x=" + b"a" * 10_240, b"/p/" + b"a" * 10_240,
    b"/p/..%2f..%2fetc%2fpasswd", b"/p/%2e%2e/original", b"/api/policies/..%5c..%5cwindows", b"/s/../../",
    b"/static/../../setup.cfg", b"/static/..%2f..%2fsetup.cfg",
])
def test_the_real_server_answers_raw_requests_with_a_clear_status(server_url, target):
    """Bytes no client library would send; waitress itself refuses a non-ASCII request line (400)."""
    started = time.perf_counter()
    status, body = raw_request(server_url, target)
    assert time.perf_counter() - started < PATHOLOGICAL_SECONDS
    assert status in ALLOWED_STATUSES and status < 500, (target[:80], status, body[:200])
    assert not any(marker in body for marker in FILE_MARKERS)


SCHEMA_EXAMPLES = 100
#: What the API answers a value the document calls invalid: 400, or 414 for an over-long query.
REJECTION_STATUSES = [400, 404, 414]
SCHEMATHESIS_CONFIG = SchemathesisConfig.from_dict({
    "generation": {"mode": "all", "deterministic": True, "max-examples": SCHEMA_EXAMPLES, "database": "none"},
    "checks": {"negative_data_rejection": {"expected-statuses": REJECTION_STATUSES}},
    "request-timeout": 10,
})
#: Loaded from the document the app builds, as the server only starts with the tests (and
#: ``schemathesis.pytest.from_fixture``, the lazy loader, fails under pytest 9: it sets
#: ``request.node._nodeid``, gone from pytest's nodes). The next test checks that the real server
#: publishes this very document.
API_SCHEMA = schemathesis.openapi.from_dict(openapi_document(), config=SCHEMATHESIS_CONFIG)
CONFORMANCE_CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
                      response_schema_conformance, response_headers_conformance]


def test_the_server_publishes_the_document_under_test(server_url):
    with urllib.request.urlopen(f"{server_url}/api/openapi.json", timeout=5) as response:
        assert response.headers.get_content_type() == "application/json"
        served = json.load(response)
    assert served == json.loads(json.dumps(openapi_document()))
    assert sorted(served["paths"]) == ["/api/facets", "/api/match", "/api/openapi.json",
                                       "/api/policies/{id}", "/api/search"]


@API_SCHEMA.parametrize()
@settings(max_examples=SCHEMA_EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_the_api_keeps_to_its_openapi_document(case, server_url):
    """Generated requests, valid and invalid: no 5xx; every status, type and body as documented."""
    response = case.call_and_validate(base_url=server_url, checks=CONFORMANCE_CHECKS, timeout=10)
    assert response.elapsed < REQUEST_SECONDS


#: Requests that find policies, so the documented shapes of full answers are checked too
#: (generated regions and ids almost never name a real one).
ANSWERING_REQUESTS = [
    ("/api/search", {"q": "稳岗补贴"}), ("/api/search", {"q": "复工复产", "sort": "date", "limit": 50}),
    ("/api/search", {"q": '"租金减免" -北京', "applies_to": "370404", "in_force": "1"}),
    ("/api/search", {"q": "鲁政发〔2020〕", "level": "provincial", "page": 1}),
    ("/api/search", {"topic": "金融支持", "industry": "制造业", "region": "山东省"}),
    ("/api/search", {"q": DISTINCT_CJK[:MAX_QUERY_WORDS]}), ("/api/search", {"q": "稳岗", "page": 1000, "limit": 50}),
    ("/api/match", {"region": "370404"}), ("/api/match", {"region": "峄城区", "topic": "稳岗就业"}),
    ("/api/match", {"province": "370000", "city": "370400", "county": "370404", "industry": "不限行业"}),
    ("/api/match", {"province": "330000", "city": "370400", "in_force": "true"}),
    ("/api/facets", {}),
]


@pytest.mark.parametrize("path, query", ANSWERING_REQUESTS)
def test_full_answers_keep_to_the_document(server_url, path, query):
    case = API_SCHEMA[path]["GET"].Case(query=query)
    response = case.call_and_validate(base_url=server_url, checks=CONFORMANCE_CHECKS, timeout=10)
    assert response.status_code == 200


def test_every_policy_keeps_to_the_document(server_url, corpus_data_dir):
    operation = API_SCHEMA["/api/policies/{id}"]["GET"]
    with open_service(corpus_data_dir) as service:
        ids = [p.id for p in service.list_policies()]
    for pid in ids:
        response = operation.Case(path_parameters={"id": pid}).call_and_validate(
            base_url=server_url, checks=CONFORMANCE_CHECKS, timeout=10)
        assert response.status_code == 200, pid


def has_an_empty_value(case) -> bool:
    return any(value == "" for value in (case.query or {}).values())


@API_SCHEMA.parametrize()
@settings(max_examples=SCHEMA_EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_values_the_document_calls_invalid_are_refused(case, server_url):
    """A value outside the documented schema is a 4xx (an empty value aside: see the next test)."""
    if has_an_empty_value(case):
        return
    case.call_and_validate(base_url=server_url, checks=[negative_data_rejection], timeout=10)


def documented_parameter(path: str, name: str) -> dict:
    parameters = openapi_document()["paths"][path]["get"]["parameters"]
    return next(p for p in parameters if p["name"] == name)


@pytest.mark.parametrize("path, name", [
    ("/api/search", "level"), ("/api/search", "topic"), ("/api/search", "industry"),
    ("/api/search", "in_force"), ("/api/search", "sort"), ("/api/search", "page"), ("/api/search", "limit"),
    ("/api/match", "industry"), ("/api/match", "topic"), ("/api/match", "in_force"),
])
def test_an_empty_value_is_refused_or_documented(server_url, path, name):
    query = f"{name}=" + ("&region=370404" if path == "/api/match" else "")
    status, _ = raw_request(server_url, f"{path}?{query}".encode())
    assert status == 400 or documented_parameter(path, name).get("allowEmptyValue") is True, status


def documented_fields(schema: dict) -> set[str]:
    return set(schema.get("properties", {}))


def response_schema(path: str) -> dict:
    responses = openapi_document()["paths"][path]["get"]["responses"]
    return responses["200"]["content"]["application/json"]["schema"]


def fetch_json(server_url: str, path: str) -> dict:
    with urllib.request.urlopen(server_url + path, timeout=5) as response:
        return json.load(response)


#: Where each documented object is found in an answer: (URL, how to pick it, its schema).
ANSWERED_OBJECTS = {
    "search": ("/api/search", lambda data: data, lambda doc: response_schema("/api/search")),
    "hit": ("/api/search?q=%E7%A8%B3%E5%B2%97", lambda data: data["hits"][0],
            lambda doc: doc["components"]["schemas"]["Hit"]),
    "match-hit": ("/api/match?region=370404", lambda data: next(iter(data["groups"].values()))[0],
                  lambda doc: doc["components"]["schemas"]["Hit"]),
    "policy": ("/api/policies/{id}", lambda data: data, lambda doc: response_schema("/api/policies/{id}")),
}


@pytest.mark.parametrize("what", [
    "search", "hit", "match-hit",
    "policy",
])
def test_every_field_the_api_returns_is_documented(server_url, corpus_data_dir, what):
    url, pick, schema_of = ANSWERED_OBJECTS[what]
    with open_service(corpus_data_dir) as service:
        pid = service.list_policies()[0].id
    returned = set(pick(fetch_json(server_url, url.replace("{id}", pid))))
    documented = documented_fields(schema_of(openapi_document()))
    assert returned <= documented, f"undocumented: {sorted(returned - documented)}"
