"""Hosts, links and QR codes: a forged Host header never reaches a link, a code, a cache or a 500.

Without a base URL the links follow the request's host, so only the allowed
hosts are answered (the local names by default) and the answers say
``Vary: Host``; with one, links always carry it. QR images are rendered once
per link, format and size. Only http(s) source addresses leave the service,
and a base URL that is no address is a one-line error. The forged-host cost and
the over-long label are checked on the real server (waitress), the rest
through Flask's test client.
"""
from __future__ import annotations

import io
import json
import socket
import threading
import time
from pathlib import Path

import pytest
import qrcode
from bs4 import BeautifulSoup
from click.testing import CliRunner

from helpers import index_texts, serving
from policy_search import open_service
from policy_search.cli import main
from web.app import create_app

zxingcpp = pytest.importorskip("zxingcpp", reason="zxing-cpp (test extra) decodes the QR codes")
Image = pytest.importorskip("PIL.Image", reason="pillow (test extra) loads the images")

BASE = "https://zc.example.cn"
FORGED = "evil.example"
#: A host name with a 64-character label: werkzeug's IDNA encoding refuses it.
LONG_LABEL = "a" * 64 + ".example.cn"
#: The forged host of the finding: 2 KB of well-formed labels, which once made each code cost 2 s of CPU.
HUGE_HOST = ".".join(["a" * 63] * 32)
#: Base URLs that are no address: each is a one-line error with a hint, never a traceback.
BAD_BASE_URLS = ["https://a\\b", "https://zc.example.cn:99999", "https://zc example.cn",
                 "https://zc.example.cn/\x07", "https://政策.cn", "javascript:alert(1)"]


def decode_png(data: bytes) -> list[str]:
    return [found.text for found in zxingcpp.read_barcodes(Image.open(io.BytesIO(data)))]


@pytest.fixture
def client_for(corpus_data_dir, monkeypatch):
    """Test clients of apps over the corpus, made with the given config; their indexes closed after."""
    monkeypatch.delenv("POLICY_SEARCH_BASE_URL", raising=False)
    apps = []

    def make(**config):
        app = create_app({"DATA_DIR": str(corpus_data_dir), **config})
        apps.append(app)
        return app.test_client()
    yield make
    for app in apps:
        holder = app.extensions["policy_search"]
        if holder._service is not None:
            holder._service.close()


@pytest.fixture(scope="module")
def pid(corpus_data_dir) -> str:
    with open_service(corpus_data_dir) as service:
        return service.search("稳岗", limit=1).hits[0].id


def permanent_link(html: str) -> str:
    return BeautifulSoup(html, "html.parser").select_one("p.link a")["href"]


# --- which hosts are answered ----------------------------------------------------------------------


def test_a_forged_host_is_refused_without_a_base_url(client_for, pid):
    client = client_for()
    page = client.get(f"/p/{pid}", headers={"Host": FORGED})
    html = page.get_data(as_text=True)
    assert page.status_code == 400 and 'lang="zh-CN"' in html and "请求有误" in html
    assert FORGED not in html
    api = client.get(f"/api/policies/{pid}", headers={"Host": FORGED})
    assert api.status_code == 400 and api.get_json()["error"]["parameter"] == "Host"
    assert FORGED not in api.get_data(as_text=True)
    assert client.get(f"/p/{pid}/qr.png?size=40", headers={"Host": FORGED}).status_code == 400
    assert client.get("/", headers={"Host": FORGED}).status_code == 400


def test_an_allowed_host_is_answered_and_its_links_carry_it(client_for, pid):
    client = client_for(ALLOWED_HOSTS="zc.internal:8080, localhost")
    link = f"http://zc.internal:8080/p/{pid}"
    page = client.get(f"/p/{pid}", headers={"Host": "zc.internal:8080"})
    assert page.status_code == 200 and permanent_link(page.get_data(as_text=True)) == link
    api = client.get(f"/api/policies/{pid}", headers={"Host": "ZC.internal:8080"})
    assert api.status_code == 200 and api.get_json()["link"] == link
    code = client.get(f"/p/{pid}/qr.png", headers={"Host": "zc.internal:8080"})
    assert code.status_code == 200 and decode_png(code.data) == [link]
    for response in (page, api, code):
        assert "Host" in response.vary, response.headers
    again = client.get(f"/p/{pid}/qr.png", headers={"Host": "zc.internal:8080",
                                                     "If-None-Match": code.headers["ETag"]})
    assert again.status_code == 304 and "Host" in again.vary
    assert client.get(f"/p/{pid}", headers={"Host": "zc.internal:9090"}).status_code == 400
    local = client.get(f"/api/policies/{pid}")  # the test client's Host is localhost
    assert local.status_code == 200 and local.get_json()["link"] == f"http://localhost/p/{pid}"


def test_a_search_code_follows_an_allowed_host_and_a_forged_one_saves_nothing(corpus_copy, monkeypatch):
    """生成二维码 writes: a copy of the corpus. Its POST passes the same Host check as any request."""
    monkeypatch.delenv("POLICY_SEARCH_BASE_URL", raising=False)
    client = create_app({"DATA_DIR": str(corpus_copy), "ALLOWED_HOSTS": "zc.internal:8080"}).test_client()
    refused = client.post("/s", data={"q": "稳岗"}, headers={"Host": FORGED, "Origin": f"http://{FORGED}"})
    assert refused.status_code == 400 and FORGED not in refused.get_data(as_text=True)
    with open_service(corpus_copy) as service:
        assert service.catalog.saved_searches() == {}
    host = {"Host": "zc.internal:8080"}
    saved = client.post("/s", data={"q": "稳岗"}, headers={**host, "Origin": "http://zc.internal:8080"})
    assert saved.status_code == 303
    page = client.get(saved.headers["Location"], headers=host)
    link = BeautifulSoup(page.get_data(as_text=True), "html.parser").select_one(".search-code figcaption a")["href"]
    assert link == "http://zc.internal:8080" + saved.headers["Location"].removesuffix("/qr")
    assert "Host" in page.vary
    code = client.get(saved.headers["Location"] + ".png", headers=host)
    assert decode_png(code.data) == [link] and "Host" in code.vary
    # the Origin of another port of the same name is another site
    other = client.post("/s", data={"q": "稳岗"}, headers={**host, "Origin": "http://zc.internal:9090"})
    assert other.status_code == 403


def test_with_a_base_url_the_host_never_reaches_a_link(client_for, pid):
    client = client_for(BASE_URL="HTTPS://ZC.example.cn/")
    link = f"{BASE}/p/{pid}"
    page = client.get(f"/p/{pid}", headers={"Host": FORGED})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and permanent_link(html) == link and FORGED not in html
    api = client.get(f"/api/policies/{pid}", headers={"Host": FORGED})
    assert api.status_code == 200 and api.get_json()["link"] == link
    code = client.get(f"/p/{pid}/qr.png", headers={"Host": FORGED})
    assert decode_png(code.data) == [link]
    assert "Host" not in code.vary and "public" in code.headers["Cache-Control"]
    for host in (LONG_LABEL, "zc.example.cn:99999", "bad host", ""):
        answer = client.get(f"/p/{pid}", headers={"Host": host})
        assert answer.status_code == 400 and "请求有误" in answer.get_data(as_text=True), host


def test_qr_codes_are_rendered_once_per_link_format_and_size(client_for, pid, monkeypatch):
    renders = []
    make = qrcode.QRCode.make

    def counted_make(self, *args, **kwargs):
        renders.append(self)
        return make(self, *args, **kwargs)
    monkeypatch.setattr(qrcode.QRCode, "make", counted_make)
    client = client_for(ALLOWED_HOSTS="render-count.test")  # a host no other test renders codes for
    host = {"Host": "render-count.test"}
    first = client.get(f"/p/{pid}/qr.png?size=40", headers=host)
    assert first.status_code == 200 and len(renders) == 1
    for _ in range(4):
        again = client.get(f"/p/{pid}/qr.png?size=40", headers=host)
        assert again.data == first.data and again.headers["ETag"] == first.headers["ETag"]
    assert len(renders) == 1
    client.get(f"/p/{pid}/qr.png?size=39", headers=host)
    client.get(f"/p/{pid}/qr.svg", headers=host)
    client.get(f"/p/{pid}/qr.svg?size=39", headers=host)  # an SVG has no pixel size: the same image
    assert len(renders) == 3


# --- the real server --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(corpus_data_dir):
    with serving(corpus_data_dir) as running:
        yield running


def raw_get(server, path: str, host: str, timeout: float = 60.0) -> tuple[int, dict, bytes]:
    """A GET with exactly this Host header; the status, the headers (lower-case names) and the body."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode("ascii"))
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.strip().lower(): value.strip() for name, _, value in (l.partition(":") for l in lines)}
    return int(status_line.split()[1]), headers, body


def test_the_real_server_refuses_forged_hosts_at_once(server, pid):
    """Eight 2 KB forged hosts asking for the largest code at once: all refused, no code rendered."""
    answers = []

    def ask():
        started = time.perf_counter()
        status, _, body = raw_get(server, f"/p/{pid}/qr.png?size=40", HUGE_HOST)
        answers.append((status, time.perf_counter() - started, body))
    started = time.perf_counter()
    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    assert [status for status, _, _ in answers] == [400] * 8
    assert all(b'lang="zh-CN"' in body and HUGE_HOST.encode() not in body for _, _, body in answers)
    assert elapsed < 3.0, f"eight forged requests took {elapsed:.1f} s"
    status, _, _ = raw_get(server, "/api/search?q=%E7%A8%B3%E5%B2%97", f"127.0.0.1:{server.port}")
    assert status == 200


def test_the_real_server_answers_a_host_label_over_63_characters_with_400(server, pid):
    for path in (f"/p/{pid}", "/", "/no/such/page", f"/p/{pid}/qr.svg"):
        status, headers, body = raw_get(server, path, LONG_LABEL)
        assert status == 400, (path, status, body[:200])
        assert headers["content-type"].startswith("text/html") and "请求有误".encode() in body
    status, headers, body = raw_get(server, f"/api/policies/{pid}", LONG_LABEL)
    assert status == 400 and json.loads(body)["error"]["parameter"] == "Host"
    status, headers, body = raw_get(server, f"/p/{pid}", f"localhost:{server.port}")
    assert status == 200 and f"http://localhost:{server.port}/p/{pid}".encode() in body
    assert "host" in headers["vary"].lower()


# --- source addresses -------------------------------------------------------------------------------

URLS = {"js": "javascript:alert(1)", "data": "data:text/html,<script>alert(1)</script>",
        "upper": "HTTPS://www.gov.cn/zhengce/content/2020-03/05/content_1.htm", "relative": "/zhengce/1.htm"}


@pytest.fixture(scope="module")
def url_site(tmp_path_factory):
    """One policy per kind of source address; the app over them and their ids by kind."""
    root = tmp_path_factory.mktemp("web-hosts-urls")
    texts = {}
    for n, (kind, url) in enumerate(URLS.items(), start=1):
        texts[f"{kind}.txt"] = f"峄城区人民政府关于来源地址{kind}的通知\n峄政发〔2020〕{n}号\n来源地址测试。\n"
        texts[f"{kind}.txt.meta.json"] = json.dumps({"url": url})
    data_dir = index_texts(root / "src", root / "var", texts)
    with open_service(data_dir) as service:
        ids = {kind: next(p.id for p in service.list_policies() if kind in p.title) for kind in URLS}
    app = create_app({"DATA_DIR": str(data_dir)})
    yield app.test_client(), ids
    app.extensions["policy_search"].get().close()


def test_only_http_source_addresses_leave_the_service(url_site):
    client, ids = url_site
    urls = {kind: client.get(f"/api/policies/{pid}").get_json()["url"] for kind, pid in ids.items()}
    assert urls == {"js": None, "data": None, "relative": None,
                    "upper": "https://www.gov.cn/zhengce/content/2020-03/05/content_1.htm"}
    soup = BeautifulSoup(client.get(f"/p/{ids['upper']}").get_data(as_text=True), "html.parser")
    source = soup.find("a", string="来源网页")
    assert source is not None and source["href"] == urls["upper"]
    for kind in ("js", "data", "relative"):
        html = client.get(f"/p/{ids[kind]}").get_data(as_text=True)
        assert "来源网页" not in html and URLS[kind] not in html


# --- base URLs on the command line ------------------------------------------------------------------


def run_cli(data_dir: Path, *args: str):
    return CliRunner().invoke(main, ["--data-dir", str(data_dir), *args])


def assert_one_line_usage_error(result, option: str) -> None:
    assert result.exit_code == 2, result.output
    assert f"Error: {option}" in result.output and "Hint:" in result.output
    assert "Traceback" not in result.output and isinstance(result.exception, (SystemExit, type(None)))


@pytest.mark.parametrize("base_url", BAD_BASE_URLS)
def test_booklet_refuses_a_base_url_that_is_no_address(corpus_data_dir, tmp_path, base_url, monkeypatch):
    monkeypatch.delenv("POLICY_SEARCH_BASE_URL", raising=False)
    result = run_cli(corpus_data_dir, "booklet", "-o", str(tmp_path / "b.html"), "--base-url", base_url)
    assert_one_line_usage_error(result, "--base-url")
    assert not (tmp_path / "b.html").exists()


@pytest.mark.parametrize("base_url", BAD_BASE_URLS)
def test_qr_refuses_a_base_url_that_is_no_address(corpus_data_dir, tmp_path, pid, base_url, monkeypatch):
    monkeypatch.delenv("POLICY_SEARCH_BASE_URL", raising=False)
    result = run_cli(corpus_data_dir, "qr", pid, "-o", str(tmp_path / "c.png"), "--base-url", base_url)
    assert_one_line_usage_error(result, "--base-url")
    assert not (tmp_path / "c.png").exists()


@pytest.fixture
def served_apps(monkeypatch):
    """``serve`` without serving: waitress.serve records the app it was given."""
    import waitress

    apps = []
    monkeypatch.setattr(waitress, "serve", lambda app, **kwargs: apps.append(app))
    monkeypatch.delenv("POLICY_SEARCH_BASE_URL", raising=False)
    monkeypatch.delenv("POLICY_SEARCH_ALLOWED_HOSTS", raising=False)
    yield apps
    for app in apps:
        app.extensions["policy_search"].get().close()


def test_serve_checks_its_base_url_and_answers_its_own_hosts(corpus_data_dir, served_apps, pid):
    assert_one_line_usage_error(run_cli(corpus_data_dir, "serve", "--base-url", "https://a\\b"), "--base-url")
    assert_one_line_usage_error(run_cli(corpus_data_dir, "serve", "--allowed-hosts", "a b,c"),
                                "--allowed-hosts")
    assert served_apps == []
    assert run_cli(corpus_data_dir, "serve", "--host", "10.1.2.3", "--port", "8080").exit_code == 0
    client = served_apps[-1].test_client()
    for host, status in (("10.1.2.3:8080", 200), ("127.0.0.1:8080", 200), ("localhost", 200),
                         (FORGED, 400), (LONG_LABEL, 400)):
        assert client.get(f"/api/policies/{pid}", headers={"Host": host}).status_code == status, host
    result = run_cli(corpus_data_dir, "serve", "--base-url", "https://zc.example.cn:8443/zc/")
    assert result.exit_code == 0, result.output
    answer = served_apps[-1].test_client().get(f"/api/policies/{pid}", headers={"Host": FORGED})
    assert answer.get_json()["link"] == f"https://zc.example.cn:8443/zc/p/{pid}"
