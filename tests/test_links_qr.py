"""Permanent links and QR codes: decoded with a real QR decoder, opened through the app.

Codes are read back with zxing-cpp; SVG codes are rasterised by Debian's chromium first.
"""
import base64
import io
import json
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from indexer.pipeline import ingest
from policy_search import open_service
from policy_search.cli import main
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
