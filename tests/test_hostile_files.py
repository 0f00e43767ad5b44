"""Hostile and broken files never hang, crash or cost data.

Each file is made here, in a temporary folder: entity bombs, markup nested
100,000 deep, enormous single lines, files with the wrong extension, damaged
Word files, and a PDF that keeps the parser busy. Every one of them either is
read correctly or becomes one ``failed`` line with a reason a person can act
on; the good files of the same batch are ingested, the batch finishes in
bounded time, and what was indexed before is still found.
"""
from __future__ import annotations

import io
import json
import signal
import threading
import time
import zipfile
import zlib

import docx
import pytest
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from indexer.parsers import base
from indexer.pipeline import ingest
from indexer.timelimit import ParseTimeoutError, run_within_limit
from policy_search import open_service
from policy_search.storage.catalog import Catalog
from policy_search.settings import DataPaths

from helpers import write_policy

pytestmark = pytest.mark.timeout(240)

#: The whole hostile batch must finish within this (it takes a few seconds).
BATCH_SECONDS = 40


def notice(number: int, subject: str) -> str:
    """A short policy notice; ``subject`` is the phrase the test searches for."""
    return (f"峄城区人民政府关于{subject}的通知（示例）\n峄政发〔2020〕{number}号\n"
            f"各镇人民政府、街道办事处：\n现就{subject}有关事项通知如下。\n峄城区人民政府\n2020年2月20日")


# --- file makers


def laughs_dtd(root: str, levels: int = 10) -> tuple[str, str]:
    """A DOCTYPE declaring nested entities (10**levels "lol"s once expanded), and the reference."""
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, levels)]
    return f"<!DOCTYPE {root} [\n" + "\n".join(entities) + "\n]>\n", f"&lol{levels - 1};"


def html_laughs(number: int, subject: str) -> bytes:
    dtd, ref = laughs_dtd("html")
    body = "".join(f"<p>{line}</p>" for line in notice(number, subject).split("\n"))
    return f"{dtd}<html><head><title>通知</title></head><body>{body}<p>{ref}</p></body></html>".encode()


def xhtml_laughs(number: int, subject: str) -> bytes:
    dtd, ref = laughs_dtd("html")
    body = "".join(f"<p>{line}</p>" for line in notice(number, subject).split("\n"))
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n{dtd}'
            f'<html xmlns="http://www.w3.org/1999/xhtml"><head><title>通知</title></head>'
            f"<body>{body}<p>{ref}</p></body></html>").encode()


def docx_bytes(text: str) -> bytes:
    """A real .docx written by python-docx, one paragraph a line."""
    document = docx.Document()
    for line in text.split("\n"):
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def rezip(data: bytes, change_main_part) -> bytes:
    """The .docx ``data`` with word/document.xml replaced by ``change_main_part(xml)`` (None drops it)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "word/document.xml":
                content = change_main_part(content.decode())
                if content is None:
                    continue
                content = content.encode()
            archive.writestr(info.filename, content)
    return out.getvalue()


def docx_laughs() -> bytes:
    dtd, ref = laughs_dtd("w:document")

    def add_dtd(xml: str) -> str:
        root = xml.index("<w:document")
        return xml[:root] + dtd + xml[root:].replace("稳岗返还", "稳岗返还" + ref, 1)
    return rezip(docx_bytes(notice(31, "稳岗返还")), add_dtd)


def docx_deep(depth: int = 20_000) -> bytes:
    """Content controls nested ``depth`` deep (the part stays under the zip-bomb ratio check)."""
    nest = "<w:sdt><w:sdtContent>" * depth + "</w:sdtContent></w:sdt>" * depth
    return rezip(docx_bytes(notice(32, "社保缓缴")), lambda xml: xml.replace("<w:body>", "<w:body>" + nest, 1))


def html_deep(depth: int = 100_000) -> bytes:
    return ("<html><body>" + "<div>" * depth + "深层文字" + "</div>" * depth + "</body></html>").encode()


def text_one_line(megabytes: int) -> bytes:
    return ("通知正文" * (megabytes * 2**20 // 12)).encode()


def html_one_text_node(megabytes: int) -> bytes:
    return b"<html><body><p>" + b"text " * (megabytes * 2**20 // 5) + b"</p></body></html>"


def markdown_brackets(number: int, subject: str, brackets: int = 200_000) -> bytes:
    """A Markdown notice with one line of unclosed "[" (quadratic for a naive link pattern)."""
    return ("# " + notice(number, subject) + "\n" + "[" * brackets + "\n").encode()


def jsonl_with_deep_record() -> bytes:
    rows = [json.dumps({"docid": "j1", "text": notice(41, "创业担保贷款")}, ensure_ascii=False),
            '{"docid": "deep", "text": ' + "[" * 100_000 + "]" * 100_000 + "}",
            json.dumps({"docid": "j3", "text": notice(43, "技能提升补贴")}, ensure_ascii=False)]
    return "\n".join(rows).encode()


def pdf_with_text(text: str) -> bytes:
    """A one-page PDF of Chinese text (Adobe's STSong-Light, which readers map to Unicode)."""
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.setFont("STSong-Light", 12)
    for i, line in enumerate(text.split("\n")):
        pdf.drawString(72, 760 - 20 * i, line)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def busy_pdf(operators: int) -> bytes:
    """A small, valid PDF whose one page sets the fill colour ``operators`` times.

    The operators draw nothing, so the PDF reader's own clock (checked as
    characters and paths are drawn) never runs; 3 million of them keep
    pdfminer busy for half a minute, in a 12 KB file.
    """
    content = zlib.compress(b"BT /F1 12 Tf 72 720 Td (Notice) Tj ET " + b"0 g " * operators, 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


# --- the batch: expected failures (name → words of the reason) and files that must be read


FAILS = {
    "laughs.docx": (docx_laughs, "entit"),
    "deep.html": (html_deep, "nested"),
    "endless-dtd.html": (lambda: b'<!DOCTYPE html [<!ENTITY a "x">' + html_deep(10), "dtd"),
    "deep.docx": (docx_deep, "nested"),
    "one-line-30mb.txt": (lambda: text_one_line(30), "characters"),
    "one-node-20mb.html": (lambda: html_one_text_node(20), "characters"),
    "half.docx": (lambda: docx_bytes(notice(33, "电费补贴"))[:1500], "damaged"),
    "no-body.docx": (lambda: rezip(docx_bytes(notice(34, "电费补贴")), lambda xml: None), "not a word"),
}

#: name → (content, the phrase it must be found by)
READ = {
    "laughs.html": (lambda: html_laughs(21, "房租减免"), "房租减免"),
    "laughs-xhtml.htm": (lambda: xhtml_laughs(22, "消费券发放"), "消费券发放"),
    "brackets.md": (lambda: markdown_brackets(23, "租金补助"), "租金补助"),
    "really-a-pdf.docx": (lambda: pdf_with_text(notice(24, "稳岗补贴")), "稳岗补贴"),
    "really-a-docx.pdf": (lambda: docx_bytes(notice(25, "一次性吸纳就业补贴")), "一次性吸纳就业补贴"),
    "utf16-bom.html": (lambda: ("\ufeff" + notice(26, "见习补贴")).encode("utf-16-le"), "见习补贴"),
    "utf16-no-bom.html": (lambda: notice(27, "贷款贴息").encode("utf-16-le"), "贷款贴息"),
    "records.jsonl": (jsonl_with_deep_record, "创业担保贷款"),
}


def file_name(entry: dict) -> str:
    return entry["path"].rsplit("/", 1)[-1]


@pytest.fixture(scope="module")
def hostile_batch(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("var")
    kept = write_policy(tmp_path_factory.mktemp("before"), "kept.txt", notice(1, "以工代训"))
    assert not ingest([kept], data_dir).failed
    folder = tmp_path_factory.mktemp("hostile")
    write_policy(folder, "good.txt", notice(2, "防疫物资保障"))
    for name, (make, _) in {**FAILS, **READ}.items():
        (folder / name).write_bytes(make())
    started = time.monotonic()
    report = ingest([folder], data_dir)
    return report, time.monotonic() - started, data_dir


def test_batch_finishes_in_bounded_time(hostile_batch):
    _, seconds, _ = hostile_batch
    assert seconds < BATCH_SECONDS


@pytest.mark.parametrize("name", sorted(FAILS))
def test_each_hostile_file_is_one_failure_with_a_reason(hostile_batch, name):
    report, _, _ = hostile_batch
    reasons = [f["error"] for f in report.failed if file_name(f) == name]
    assert len(reasons) == 1, report.failed
    assert FAILS[name][1] in reasons[0].lower()
    assert "Traceback" not in reasons[0] and "unexpected error" not in reasons[0]


def test_nothing_else_failed(hostile_batch):
    report, _, _ = hostile_batch
    failed = sorted(file_name(f) for f in report.failed)
    assert failed == sorted(FAILS) + ["records.jsonl:2"]


def test_deeply_nested_json_record_fails_alone(hostile_batch):
    report, _, _ = hostile_batch
    reason = next(f["error"] for f in report.failed if file_name(f) == "records.jsonl:2")
    assert "nested too deeply" in reason


@pytest.mark.parametrize("name", sorted(READ))
def test_files_with_hostile_parts_or_wrong_names_are_read(hostile_batch, name):
    _, _, data_dir = hostile_batch
    with open_service(data_dir) as service:
        assert service.search(f'"{READ[name][1]}"').total == 1


@pytest.mark.parametrize("name, promised, found", [
    ("really-a-pdf.docx", "Word (.docx)", "PDF"), ("really-a-docx.pdf", "PDF", "Word (.docx)")])
def test_a_wrong_extension_is_named_beside_the_format_read(hostile_batch, name, promised, found):
    report, _, _ = hostile_batch
    warnings = [w["warning"] for w in report.warnings if file_name(w) == name]
    assert warnings == [f"the extension .{name.rsplit('.', 1)[1]} says {promised}, but the content is {found}: "
                        f"read as {found}"]


def test_files_whose_extension_agrees_carry_no_such_warning(hostile_batch):
    report, _, _ = hostile_batch
    named = {file_name(w) for w in report.warnings if w["warning"].startswith("the extension")}
    assert sorted(named) == ["really-a-docx.pdf", "really-a-pdf.docx"]


def test_good_and_earlier_files_are_searchable(hostile_batch):
    report, _, data_dir = hostile_batch
    assert report.added == 1 + len(READ) + 1  # good.txt, each READ file, the jsonl's second good record
    with open_service(data_dir) as service:
        for phrase in ("以工代训", "防疫物资保障", "技能提升补贴"):
            assert service.search(f'"{phrase}"').total == 1, phrase


@pytest.mark.parametrize("name", ["laughs.html", "laughs-xhtml.htm"])
def test_entities_are_not_expanded_nor_their_declarations_kept(hostile_batch, name):
    _, _, data_dir = hostile_batch
    with open_service(data_dir) as service:
        text = next(p.text for p in service.list_policies() if p.source.path.endswith(name))
    assert "lollol" not in text and "ENTITY" not in text and "]>" not in text
    assert len(text) < 1000


# --- a file that keeps the parser busy: the per-file time limit


def test_slow_pdf_is_stopped_by_the_time_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(base, "PARSE_TIME_LIMIT_S", 2)
    data_dir = tmp_path / "var"
    ingest([write_policy(tmp_path / "before", "kept.txt", notice(1, "以工代训"))], data_dir)
    folder = tmp_path / "batch"
    write_policy(folder, "good.txt", notice(2, "防疫物资保障"))
    (folder / "busy.pdf").write_bytes(busy_pdf(3_000_000))

    started = time.monotonic()
    report = ingest([folder], data_dir)
    assert time.monotonic() - started < 15
    assert report.added == 1
    assert [file_name(f) for f in report.failed] == ["busy.pdf"]
    assert "longer than 2 s" in report.failed[0]["error"]
    with open_service(data_dir) as service:
        assert service.search('"以工代训"').total == 1
        assert service.search('"防疫物资保障"').total == 1


def test_a_timed_out_file_leaves_no_trace_and_is_tried_again(tmp_path, monkeypatch):
    monkeypatch.setattr(base, "PARSE_TIME_LIMIT_S", 1)
    busy = tmp_path / "in" / "busy.pdf"
    busy.parent.mkdir()
    busy.write_bytes(busy_pdf(3_000_000))
    data_dir = tmp_path / "var"
    for _ in range(2):
        report = ingest([busy], data_dir)
        assert (report.unchanged, len(report.failed)) == (0, 1)
    catalog = Catalog(DataPaths(data_dir).catalog_file)
    try:
        assert catalog.source(str(busy.resolve())) is None
    finally:
        catalog.close()


def swallows_errors_while_sleeping(seconds: float) -> str:
    """A parser whose broad ``except Exception`` must not hide the time limit."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            time.sleep(0.05)
        except Exception:  # noqa: BLE001 - on purpose
            pass
    return "finished"


def test_broad_except_in_a_parser_cannot_swallow_the_limit():
    started = time.monotonic()
    with pytest.raises(ParseTimeoutError, match="longer than 0.3 s"):
        run_within_limit(0.3, swallows_errors_while_sleeping, 5)
    assert time.monotonic() - started < 2


def test_limit_puts_back_the_previous_handler_and_timer():
    handler_before = signal.getsignal(signal.SIGALRM)
    delay_before, _ = signal.getitimer(signal.ITIMER_REAL)  # pytest-timeout's, when it uses signals
    assert run_within_limit(30, sum, [1, 2]) == 3
    assert signal.getsignal(signal.SIGALRM) is handler_before
    delay_after, _ = signal.getitimer(signal.ITIMER_REAL)
    if delay_before:
        assert 0 < delay_after <= delay_before
    else:
        assert delay_after == 0


def test_no_limit_off_the_main_thread():
    """Signals only reach the main thread: elsewhere the work runs to its end."""
    results = []
    worker = threading.Thread(target=lambda: results.append(run_within_limit(0.05, swallows_errors_while_sleeping, 0.2)))
    worker.start()
    worker.join(5)
    assert results == ["finished"]
