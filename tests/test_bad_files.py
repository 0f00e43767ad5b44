"""Bad input never costs data: every kind of broken file is one failed line with a reason."""
import io
import json
import zipfile

import docx
import pytest
from reportlab.pdfgen import canvas

from indexer.pipeline import ingest
from indexer.parsers import base
from policy_search import open_service

from helpers import write_policy

GOOD = "峄城区人民政府关于个体工商户房租减免的通知（示例）\n峄政发〔2020〕7号\n减免三个月房租。\n峄城区人民政府\n2020年2月20日"


def pdf_bytes(draw, **kwargs) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, **kwargs)
    draw(pdf)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def encrypted_pdf() -> bytes:
    return pdf_bytes(lambda c: c.drawString(72, 720, "secret"), encrypt="password")


def image_only_pdf() -> bytes:
    return pdf_bytes(lambda c: c.rect(72, 72, 300, 500, fill=1))


def docx_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            chunk = b"\x20" * (1 << 20)
            for _ in range(300):
                member.write(chunk)
    return buffer.getvalue()


BAD_FILES = {
    "empty.txt": b"",
    "blank.md": b"   \n\n  ",
    "truncated.pdf": pdf_bytes(lambda c: c.drawString(72, 720, "hello"))[:300],
    "random.docx": bytes(range(256)) * 8,
    "encrypted.pdf": encrypted_pdf(),
    "scan.pdf": image_only_pdf(),
    "bomb.docx": docx_bomb(),
    "old-word.doc": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,
    "photo.html": b"\x89PNG\r\n\x1a\n" + b"\x00" * 100,
    "nothing.html": b"<html><head><script>var a=1;</script></head><body>  </body></html>",
}


@pytest.fixture(scope="module")
def bad_batch(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad")
    write_policy(folder, "good.txt", GOOD)
    for name, content in BAD_FILES.items():
        (folder / name).write_bytes(content)
    data_dir = tmp_path_factory.mktemp("var")
    first = write_policy(tmp_path_factory.mktemp("first"), "kept.txt",
                         GOOD.replace("7号", "8号").replace("房租减免", "以工代训"))
    ingest([first], data_dir)
    report = ingest([folder], data_dir)
    return report, data_dir


def test_good_file_is_ingested_alongside_the_bad(bad_batch):
    report, _ = bad_batch
    assert report.added == 1


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_each_bad_file_fails_with_a_reason(bad_batch, name):
    report, _ = bad_batch
    reasons = {f["path"].rsplit("/", 1)[-1]: f["error"] for f in report.failed}
    assert name in reasons
    assert len(reasons[name]) > 10 and "Traceback" not in reasons[name]


def test_reasons_say_what_is_wrong(bad_batch):
    report, _ = bad_batch
    reasons = {f["path"].rsplit("/", 1)[-1]: f["error"].lower() for f in report.failed}
    assert "encrypt" in reasons["encrypted.pdf"] or "password" in reasons["encrypted.pdf"]
    assert "text layer" in reasons["scan.pdf"] or "scan" in reasons["scan.pdf"]
    assert "empty" in reasons["empty.txt"] or "no text" in reasons["empty.txt"]


def test_nothing_already_indexed_is_lost(bad_batch):
    _, data_dir = bad_batch
    with open_service(data_dir) as service:
        assert service.search('"以工代训"').total == 1
        assert service.search('"房租减免"').total == 1


def test_oversized_file_is_refused_before_reading(tmp_path, monkeypatch):
    monkeypatch.setattr(base, "MAX_FILE_BYTES", 1000)
    monkeypatch.setattr("indexer.pipeline.MAX_FILE_BYTES", 1000)
    write_policy(tmp_path / "b", "big.txt", GOOD * 50)
    report = ingest([tmp_path / "b"], tmp_path / "var")
    assert report.added == 0 and "limit" in report.failed[0]["error"]


# --- a fragment is no policy; an extension that disagrees with the content is said


def notice(number: int) -> str:
    return GOOD.replace("7号", f"{number}号").replace("房租减免", f"第{number}批房租减免")


def test_a_fragment_without_a_title_is_refused_and_a_short_titled_document_kept(tmp_path):
    folder = tmp_path / "docs"
    write_policy(folder, "stub.txt", "减免三个月房租。")
    write_policy(folder, "note.md", "测试\n123")
    write_policy(folder, "page.html", "<html><body><p>正在加载，请稍候……</p></body></html>")
    write_policy(folder, "titled.txt", "关于减免房租的通知\n减免三个月房租。")
    write_policy(folder, "given-title.txt", "减免三个月房租。")
    (folder / "given-title.txt.meta.json").write_text(json.dumps({"title": "峄城区减免房租的通知"}, ensure_ascii=False),
                                                      encoding="utf-8")
    write_policy(folder, "untitled-but-whole.txt", "为支持小微企业和个体工商户渡过难关，对承租国有房产的企业减免三个月房租，"
                                                   "由街道办事处统一受理申请，财政局按季度拨付补贴资金。")
    report = ingest([folder], tmp_path / "var")
    reasons = {f["path"].rsplit("/", 1)[-1]: f["error"] for f in report.failed}
    assert sorted(reasons) == ["note.md", "page.html", "stub.txt"]
    for reason in reasons.values():
        assert "too short to be a policy" in reason and "no title" in reason and ".meta.json" in reason
    assert "8 characters" in reasons["stub.txt"]
    assert report.added == 3
    with open_service(tmp_path / "var") as service:
        titles = {p.title for p in service.list_policies()}
    assert {"关于减免房租的通知", "峄城区减免房租的通知"} <= titles


def docx_of(text: str) -> bytes:
    document = docx.Document()
    for line in text.split("\n"):
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_an_extension_that_disagrees_with_the_content_is_a_warning_naming_both(tmp_path):
    folder = tmp_path / "docs"
    write_policy(folder, "plain.docx", notice(11))
    write_policy(folder, "page.pdf", "<html><body>" + "".join(f"<p>{line}</p>" for line in notice(12).split("\n"))
                 + "</body></html>")
    (folder / "word.txt").write_bytes(docx_of(notice(13)))
    write_policy(folder, "markdown.txt", "# " + notice(14))   # Markdown read as text is no surprise
    write_policy(folder, "agrees.txt", notice(15))
    write_policy(folder, "no-extension", notice(16))
    report = ingest([folder], tmp_path / "var")
    assert not report.failed and report.added == 6
    warnings = {}
    for w in report.warnings:
        warnings.setdefault(w["path"].rsplit("/", 1)[-1], []).append(w["warning"])
    assert warnings == {
        "plain.docx": ["the extension .docx says Word (.docx), but the content is plain text: read as plain text"],
        "page.pdf": ["the extension .pdf says PDF, but the content is HTML: read as HTML"],
        "word.txt": ["the extension .txt says plain text, but the content is Word (.docx): read as Word (.docx)"],
    }
