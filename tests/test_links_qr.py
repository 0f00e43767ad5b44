"""Permanent links and QR codes: decoded with a real QR decoder, opened through the app.

Codes are read back with zxing-cpp; SVG codes are rasterised by Debian's chromium first.
"""
import base64
import io
import json
import re
import shutil
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from click.testing import CliRunner

from indexer.pipeline import ingest
from policy_search import open_service
from policy_search.cli import main
from policy_search.links import saved_search_id
from policy_search.storage.writer import PolicyWriter

from helpers import CORPUS, write_policy

BASE = "https://zc.example.cn"
CHROMIUM = Path("/usr/bin/chromium")

zxingcpp = pytest.importorskip("zxingcpp", reason="zxing-cpp (test extra) decodes the QR codes")
Image = pytest.importorskip("PIL.Image", reason="pillow (test extra) loads the images")


def decode_png(data: bytes) -> list[str]:
    return [found.text for found in zxingcpp.read_barcodes(Image.open(io.BytesIO(data)))]


@pytest.fixture(scope="module")
def svg_renderer():
    """Rasterise an SVG in chromium and return the PNG bytes."""
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is missing: apt-get install chromium (see README, Browser tests)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (test extra) drives chromium")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM),
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page(viewport={"width": 400, "height": 400})

        def render(svg: bytes) -> bytes:
            src = "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
            page.set_content(f'<body style="margin:0;background:#fff"><img id="c" src="{src}" width="300" height="300"></body>')
            return page.locator("#c").screenshot()

        yield render
        browser.close()


def run_cli(data_dir: Path, *args: str):
    return CliRunner().invoke(main, ["--data-dir", str(data_dir), *args])


@pytest.fixture
def app_for(monkeypatch):
    monkeypatch.delenv("POLICY_SEARCH_BASE_URL", raising=False)

    def make(data_dir: Path):
        from web import create_app
        return create_app({"DATA_DIR": str(data_dir), "BASE_URL": BASE}).test_client()
    return make


def some_policy_id(data_dir: Path) -> tuple[str, str]:
    with open_service(data_dir) as service:
        hit = service.search("稳岗", limit=1).hits[0]
    return hit.id, hit.title


def test_cli_png_code_decodes_to_the_permanent_link_which_opens_the_policy(
        corpus_data_dir, tmp_path, app_for):
    pid, title = some_policy_id(corpus_data_dir)
    out = tmp_path / "code.png"
    result = run_cli(corpus_data_dir, "qr", pid, "-o", str(out), "--base-url", BASE)
    assert result.exit_code == 0, result.output
    assert decode_png(out.read_bytes()) == [f"{BASE}/p/{pid}"]
    page = app_for(corpus_data_dir).get(urlsplit(f"{BASE}/p/{pid}").path)
    assert page.status_code == 200 and title in page.get_data(as_text=True)


def test_cli_svg_code_decodes_to_the_permanent_link(corpus_data_dir, tmp_path, svg_renderer):
    pid, _ = some_policy_id(corpus_data_dir)
    out = tmp_path / "code.svg"
    assert run_cli(corpus_data_dir, "qr", pid, "-o", str(out), "--base-url", BASE).exit_code == 0
    assert out.read_bytes().lstrip().startswith(b"<?xml")
    assert decode_png(svg_renderer(out.read_bytes())) == [f"{BASE}/p/{pid}"]


def test_web_codes_decode_and_are_cacheable(corpus_data_dir, app_for, svg_renderer):
    client = app_for(corpus_data_dir)
    pid, _ = some_policy_id(corpus_data_dir)
    png = client.get(f"/p/{pid}/qr.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert decode_png(png.data) == [f"{BASE}/p/{pid}"]
    svg = client.get(f"/p/{pid}/qr.svg")
    assert svg.mimetype == "image/svg+xml"
    assert decode_png(svg_renderer(svg.data)) == [f"{BASE}/p/{pid}"]
    assert png.headers["ETag"] and "max-age" in png.headers["Cache-Control"]
    again = client.get(f"/p/{pid}/qr.png", headers={"If-None-Match": png.headers["ETag"]})
    assert again.status_code == 304 and not again.data
    bigger = client.get(f"/p/{pid}/qr.png?size=16")
    assert bigger.headers["ETag"] != png.headers["ETag"] and len(bigger.data) > len(png.data)
    assert client.get(f"/p/{pid}/qr.png?size=999").status_code == 400


def test_the_policy_page_shows_its_code_and_link(corpus_data_dir, app_for):
    pid, _ = some_policy_id(corpus_data_dir)
    html = app_for(corpus_data_dir).get(f"/p/{pid}").get_data(as_text=True)
    assert f'src="/p/{pid}/qr.svg"' in html and f"{BASE}/p/{pid}</a>" in html


def test_printing_without_a_base_url_is_a_clear_error(corpus_data_dir, tmp_path, monkeypatch):
    monkeypatch.delenv("POLICY_SEARCH_BASE_URL", raising=False)
    pid, _ = some_policy_id(corpus_data_dir)
    result = run_cli(corpus_data_dir, "qr", pid, "-o", str(tmp_path / "c.png"))
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "Error: no public address" in result.output and "POLICY_SEARCH_BASE_URL" in result.output
    monkeypatch.setenv("POLICY_SEARCH_BASE_URL", "https://env.example.cn/")
    assert run_cli(corpus_data_dir, "qr", pid, "-o", str(tmp_path / "c.png")).exit_code == 0
    assert decode_png((tmp_path / "c.png").read_bytes()) == [f"https://env.example.cn/p/{pid}"]


def test_ids_survive_a_fresh_data_directory(tmp_path, corpus_data_dir, app_for):
    fresh = tmp_path / "rebuilt"
    report = ingest([CORPUS], fresh)
    assert not report.failed
    with open_service(corpus_data_dir) as old, open_service(fresh) as new:
        old_ids = {p.id for p in old.list_policies()}
        assert old_ids == {p.id for p in new.list_policies()}
    client = app_for(fresh)
    assert all(client.get(f"/p/{pid}").status_code == 200 for pid in sorted(old_ids))


def test_a_corrected_doc_number_keeps_the_old_id_as_a_redirect(tmp_path, app_for):
    folder, data_dir = tmp_path / "docs", tmp_path / "var"
    path = write_policy(folder, "notice.txt", "峄城区关于稳岗返还的通知\n峄政发〔2020〕1号\n对稳岗企业返还失业保险费。")
    ingest([folder], data_dir)
    old_id, _ = some_policy_id(data_dir)
    path.write_text("峄城区关于稳岗返还的通知\n峄政发〔2020〕11号\n对稳岗企业返还失业保险费。", encoding="utf-8")
    ingest([folder], data_dir)
    new_id, _ = some_policy_id(data_dir)
    assert new_id != old_id
    client = app_for(data_dir)
    moved = client.get(f"/p/{old_id}")
    assert moved.status_code == 301 and moved.headers["Location"].endswith(f"/p/{new_id}")
    assert client.get(f"/p/{old_id}/qr.png").status_code == 301
    assert client.get(f"/p/{new_id}").status_code == 200
    assert run_cli(data_dir, "links", "check").exit_code == 0



SAVED_PAGE = ("<html><head><meta charset='utf-8'><title>某某省人民政府</title></head><body>"
              "<div class='logo'>某某省人民政府</div><div class='lanmu'>政策文件</div>"
              "<div class='box'><p>某某省人民政府办公厅关于支持春季农业生产的通知</p>"
              "<p>各市人民政府：</p><p>为支持春季农业生产，对种粮大户给予一次性补贴。</p>"
              "<p>某某省人民政府办公厅</p><p>2020年2月11日</p></div></body></html>")


def _ingest_without_furniture_words(monkeypatch, paths, data_dir):
    """Ingest as the service did before it knew site furniture: no words in the rules file."""
    from indexer import furniture
    with monkeypatch.context() as patched:
        patched.setattr(furniture, "rules", lambda: furniture.rules_from({}))
        return ingest(paths, data_dir)


def _titles(data_dir):
    with open_service(data_dir) as service:
        return {p.id: p.title for p in service.list_policies()}


def test_an_id_changed_by_a_better_title_keeps_answering_301(tmp_path, app_for, monkeypatch):
    """A page saved with its site's header was titled by the site's name; read again with the
    furniture words (after an upgrade, or after staff add a word) it gets its own title and,
    its id being made of title and issuer, a new id: the old one redirects to it."""
    folder, data_dir = tmp_path / "docs", tmp_path / "var"
    write_policy(folder, "page.html", SAVED_PAGE)
    _ingest_without_furniture_words(monkeypatch, [folder], data_dir)
    ((old_id, old_title),) = _titles(data_dir).items()
    assert old_title == "某某省人民政府"

    report = ingest([folder], data_dir)  # the rules changed, so the unchanged file is read again
    ((new_id, new_title),) = _titles(data_dir).items()
    assert new_title == "某某省人民政府办公厅关于支持春季农业生产的通知"
    assert new_id != old_id and report.unchanged == 0
    assert any(f"old id {old_id} now redirects to {new_id}" in w["warning"] for w in report.warnings)
    client = app_for(data_dir)
    moved = client.get(f"/p/{old_id}")
    assert moved.status_code == 301 and moved.headers["Location"].endswith(f"/p/{new_id}")
    assert client.get(f"/p/{old_id}/qr.png").status_code == 301
    assert client.get(f"/p/{new_id}").status_code == 200
    assert run_cli(data_dir, "links", "check").exit_code == 0
    assert ingest([folder], data_dir).unchanged == 1  # and nothing is read again after that


def test_bulk_records_whose_ids_change_with_better_titles_each_redirect(tmp_path, app_for, monkeypatch):
    """A bulk file without ids: each record whose id changes is followed to its own new id
    (the record with the same text), none is lost."""
    folder, data_dir = tmp_path / "docs", tmp_path / "var"
    rows = ["某某省人民政府 政策文件 某某省人民政府办公厅关于支持春季农业生产的通知 各市： 对种粮大户给予补贴。",
            "某某市人民政府 通知公告 某某市财政局关于延长申报期限的通知 各区： 申报期限延长至3月31日。",
            "某某县关于做好复工复产的通知 各乡镇： 统筹做好复工复产。"]
    write_policy(folder, "rows.jsonl", "".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in rows))
    _ingest_without_furniture_words(monkeypatch, [folder], data_dir)
    before = _texts(data_dir)
    report = ingest([folder], data_dir)
    after = _texts(data_dir)
    assert sorted(_titles(data_dir).values()) == [
        "某某县关于做好复工复产的通知", "某某市财政局关于延长申报期限的通知", "某某省人民政府办公厅关于支持春季农业生产的通知"]
    changed = [old_id for old_id in before if old_id not in after]
    assert len(changed) == 2 and report.removed == 0
    id_of_text = {text: pid for pid, text in after.items()}
    client = app_for(data_dir)
    for old_id in changed:
        moved = client.get(f"/p/{old_id}")
        assert moved.status_code == 301
        assert moved.headers["Location"].endswith(f"/p/{id_of_text[before[old_id]]}")
    assert run_cli(data_dir, "links", "check").exit_code == 0


def _texts(data_dir):
    with open_service(data_dir) as service:
        return {p.id: service.get(p.id).policy.text for p in service.list_policies()}

def test_a_removed_policy_answers_410_with_its_replacement(tmp_path, app_for):
    folder, data_dir = tmp_path / "docs", tmp_path / "var"
    shutil.copytree(CORPUS / "central", folder)
    ingest([folder], data_dir)
    with open_service(data_dir) as service:
        first, second = [h.id for h in service.search("", limit=2, sort="date").hits]
    assert run_cli(data_dir, "remove", first, "--replaced-by", second).exit_code == 0
    page = app_for(data_dir).get(f"/p/{first}")
    html = page.get_data(as_text=True)
    assert page.status_code == 410 and "已撤下" in html and f'href="/p/{second}"' in html
    assert run_cli(data_dir, "links", "check").exit_code == 0


def test_a_saved_search_code_opens_its_search(corpus_copy, tmp_path, app_for):
    # qr --search saves the search in the catalog: a copy, not the session's read-only index.
    corpus_data_dir = corpus_copy
    out = tmp_path / "poster.png"
    result = run_cli(corpus_data_dir, "qr", "--search", "稳岗补贴", "--topic", "稳岗就业",
                     "--applies-to", "峄城区", "-o", str(out), "--base-url", BASE)
    assert result.exit_code == 0, result.output
    [link] = decode_png(out.read_bytes())
    assert link.startswith(f"{BASE}/s/") and len(urlsplit(link).path) <= 12
    client = app_for(corpus_data_dir)
    opened = client.get(urlsplit(link).path)
    assert opened.status_code == 302 and "/search?" in opened.headers["Location"]
    page = client.get(opened.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "稳岗就业" in html and "article" in html
    # the same search gets the same short id, so a code printed twice is the same code
    again = run_cli(corpus_data_dir, "qr", "--search", "稳岗补贴 ", "--topic", "稳岗就业",
                    "--applies-to", "370404", "-o", str(tmp_path / "again.png"), "--base-url", BASE)
    assert decode_png((tmp_path / "again.png").read_bytes()) == [link]
    assert client.get("/s/zzzzzzzz").status_code == 404


def test_links_check_reports_what_no_longer_resolves(tmp_path):
    folder, data_dir = tmp_path / "docs", tmp_path / "var"
    write_policy(folder, "a.txt", "峄城区关于房租减免的通知\n对小微企业减免房租。")
    ingest([folder], data_dir)
    with PolicyWriter(data_dir) as writer:
        writer.catalog.add_alias("oldgone123", "missing456")
        writer.catalog.conn.commit()
    result = run_cli(data_dir, "links", "check")
    assert result.exit_code == 1
    assert "alias oldgone123" in result.output and "missing456" in result.output


# --- 生成二维码: the code of a search, made from its page ------------------------------------------

def code_form(client, url: str) -> tuple[str, dict]:
    """The 生成二维码 form of a search page: where it posts and the fields it sends."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(client.get(url).get_data(as_text=True), "html.parser")
    form = soup.select_one("form.make-code")
    assert form["method"] == "post" and form.select_one("button").get_text() == "生成二维码"
    return form["action"], {i["name"]: i["value"] for i in form.select("input[type=hidden]")}


def make_code(client, url: str, **headers):
    """Press 生成二维码 on a search page: the answer to the form's POST."""
    action, fields = code_form(client, url)
    return client.post(action, data=fields, headers=headers)


def code_of_page(client, location: str) -> tuple[str, list[str]]:
    """The code page's link, and what its PNG download decodes to."""
    from bs4 import BeautifulSoup

    page = client.get(location)
    assert page.status_code == 200
    soup = BeautifulSoup(page.get_data(as_text=True), "html.parser")
    png = soup.select_one('.search-code a[href$="size=16"]')["href"]
    image = client.get(png)
    assert image.status_code == 200 and image.mimetype == "image/png"
    return soup.select_one(".search-code figcaption a")["href"], decode_png(image.data)


SEARCH_PAGE = "/search?q=" + quote("稳岗补贴") + "&topic=" + quote("稳岗就业") + "&applies_to=" + quote("峄城区")


def test_the_code_of_a_search_page_decodes_to_its_short_link_which_opens_that_search(corpus_copy, app_for):
    client = app_for(corpus_copy)
    answer = make_code(client, SEARCH_PAGE)
    assert answer.status_code == 303
    sid = re.fullmatch(r"/s/([a-z0-9]+)/qr", answer.headers["Location"]).group(1)
    link, decoded = code_of_page(client, answer.headers["Location"])
    assert decoded == [link] == [f"{BASE}/s/{sid}"]
    assert sid == saved_search_id({"q": "稳岗补贴", "topic": "稳岗就业", "applies_to": "370404"})
    opened = client.get(f"/s/{sid}")
    assert opened.status_code == 302
    same = client.get(opened.headers["Location"]).get_data(as_text=True)
    original = client.get(SEARCH_PAGE).get_data(as_text=True)
    assert re.findall(r'href="(/p/[^"]+)"', same) == re.findall(r'href="(/p/[^"]+)"', original)


def test_the_same_search_twice_is_the_same_code_and_one_row(corpus_copy, app_for, tmp_path):
    client = app_for(corpus_copy)
    first = make_code(client, SEARCH_PAGE).headers["Location"]
    # the same search asked differently: the place by its code, words with a space, a later page
    second = make_code(client, "/search?q=" + quote("稳岗补贴 ") + "&applies_to=370404&topic="
                       + quote("稳岗就业") + "&page=2").headers["Location"]
    assert first == second
    with open_service(corpus_copy) as service:
        assert len(service.catalog.saved_searches()) == 1
    # and the command line prints that very code for it
    result = run_cli(corpus_copy, "qr", "--search", "稳岗补贴", "--topic", "稳岗就业", "--applies-to",
                     "峄城区", "-o", str(tmp_path / "poster.png"), "--base-url", BASE)
    assert decode_png((tmp_path / "poster.png").read_bytes()) == [f"{BASE}{first[:-3]}"]
    different = make_code(client, SEARCH_PAGE + "&sort=date").headers["Location"]
    assert different != first


def test_every_search_page_offers_the_code_even_without_words(corpus_copy, app_for):
    client = app_for(corpus_copy)
    for url in ("/search", "/search?in_force=1&level=county", "/search?q=" + quote("量子引力火星殖民")):
        answer = make_code(client, url)
        assert answer.status_code == 303
        link, decoded = code_of_page(client, answer.headers["Location"])
        assert decoded == [link]
    assert code_form(client, "/search?in_force=1&level=county")[1] == {"level": "county", "in_force": "1"}


def test_saving_is_limited_per_client_address_with_429_and_retry_after(corpus_copy, app_for):
    from web.ratelimit import SAVES_PER_MINUTE

    client = app_for(corpus_copy)
    statuses = [client.post("/s", data={"q": f"稳岗{n}"}).status_code for n in range(SAVES_PER_MINUTE)]
    assert statuses == [303] * SAVES_PER_MINUTE
    over = client.post("/s", data={"q": "稳岗补贴"})
    assert over.status_code == 429 and over.mimetype == "text/html"
    assert 1 <= int(over.headers["Retry-After"]) <= 60
    assert "秒后再试" in over.get_data(as_text=True)
    # even the same search counts: the budget is for requests, not for new rows
    assert client.post("/s", data={"q": "稳岗0"}).status_code == 429
    # another address has a budget of its own, also one a proxy on this machine names
    other = client.post("/s", data={"q": "稳岗补贴"}, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert other.status_code == 303
    proxied = client.post("/s", data={"q": "稳岗补贴"},
                          headers={"X-Forwarded-For": "6.6.6.6, 10.9.8.7"})
    assert proxied.status_code == 303
    # what a client writes into X-Forwarded-For itself is not read when it is not the proxy
    for _ in range(SAVES_PER_MINUTE - 1):
        client.post("/s", data={"q": "稳岗补贴"}, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    forged = client.post("/s", data={"q": "稳岗补贴"}, headers={"X-Forwarded-For": "10.0.0.99"},
                         environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert forged.status_code == 429
    with open_service(corpus_copy) as service:
        assert len(service.catalog.saved_searches()) == SAVES_PER_MINUTE + 1


@pytest.mark.parametrize("headers", [
    {"Origin": "https://evil.example"}, {"Origin": "null"}, {"Origin": "https://zc.example.cn.evil.example"},
    {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"},
    {"Origin": f"{BASE}", "Sec-Fetch-Site": "cross-site"},
])
def test_a_save_asked_by_another_site_is_refused(corpus_copy, app_for, headers):
    client = app_for(corpus_copy)
    answer = make_code(client, SEARCH_PAGE, **headers)
    assert answer.status_code == 403 and "不是从本站的页面发出的" in answer.get_data(as_text=True)
    with open_service(corpus_copy) as service:
        assert service.catalog.saved_searches() == {}


@pytest.mark.parametrize("headers", [{"Origin": BASE, "Sec-Fetch-Site": "same-origin"},
                                     {"Origin": "http://localhost"}, {"Sec-Fetch-Site": "none"}, {}])
def test_a_save_from_this_site_or_a_program_is_answered(corpus_copy, app_for, headers):
    assert make_code(app_for(corpus_copy), SEARCH_PAGE, **headers).status_code == 303


@pytest.mark.parametrize("data, status", [
    ({"level": "nowhere"}, 400), ({"applies_to": "火星区"}, 400), ({"q": "稳" * 201}, 414),
    ({"q": "稳岗\x00"}, 400), ({"q": "x" * 20_000}, 413),
])
def test_a_bad_form_is_a_4xx_page_and_saves_nothing(corpus_copy, app_for, data, status):
    client = app_for(corpus_copy)
    answer = client.post("/s", data=data)
    assert answer.status_code == status and answer.mimetype == "text/html"
    assert 'lang="zh-CN"' in answer.get_data(as_text=True)
    with open_service(corpus_copy) as service:
        assert service.catalog.saved_searches() == {}


def test_only_the_form_writes(corpus_copy, app_for):
    client = app_for(corpus_copy)
    assert client.get("/s").status_code == 405
    assert client.get("/s?q=" + quote("稳岗")).status_code == 405
    assert client.post("/s/abcdefgh/qr").status_code == 405
    assert client.get("/s/abcdefgh/qr").status_code == 404  # a code page of no saved search
    with open_service(corpus_copy) as service:
        assert service.catalog.saved_searches() == {}


def test_the_budget_slides_with_the_minute_and_forgets_the_quietest_addresses():
    from web.ratelimit import RateLimiter, TooManyRequests

    now = [1000.0]
    limiter = RateLimiter(3, window=60, max_keys=2, clock=lambda: now[0])
    for seconds in (0, 10, 20):
        now[0] = 1000.0 + seconds
        limiter.spend("a")
    with pytest.raises(TooManyRequests) as over:
        limiter.spend("a")
    assert over.value.retry_after == 40  # the first save leaves the minute at 1060
    now[0] = 1060.0
    limiter.spend("a")  # and then there is room for one
    with pytest.raises(TooManyRequests):
        limiter.spend("a")
    limiter.spend("b")
    limiter.spend("c")  # a third address: the quietest one ("a", spent longest ago) is forgotten
    limiter.spend("a")
