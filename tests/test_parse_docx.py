"""The DOCX parser on the 96 real reports in ../shared/data/docx and on files made here.

Similarity to the publisher's ``.txt`` twin: both texts are split into lines
and every whitespace character is removed; lines are aligned with
``difflib.SequenceMatcher`` (no autojunk), and characters of the lines that do
not match exactly are aligned again, character by character. The score is
``2 * matched characters / (characters of both texts)``, the same ratio
``SequenceMatcher.ratio()`` gives, computed in two stages so that long
documents stay fast (a few ms each).
"""
from __future__ import annotations

import difflib
import io
import random
import re
import statistics
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from indexer.parsers.docx import CELL_SEPARATOR, parse
from policy_search.errors import (
    CorruptDocumentError,
    DocumentError,
    EmptyDocumentError,
    EncryptedDocumentError,
    FileTooLargeError,
    UnsupportedFormatError,
)

from helpers import SHARED_DATA, SHARED_MISSING

DATA_DIR = SHARED_DATA
DOCX_DIR = DATA_DIR / "docx"
REAL_DOCX = sorted(DOCX_DIR.glob("*.docx")) if DOCX_DIR.is_dir() else []
NO_DATA = SHARED_MISSING
needs_data = pytest.mark.skipif(not REAL_DOCX, reason=NO_DATA)
#: Parameters for the per-file tests: the files, or one placeholder that is skipped with the reason.
REAL_DOCX_PARAMS = REAL_DOCX or [pytest.param(None, marks=pytest.mark.skip(reason=NO_DATA))]
MIN_SIMILARITY = 0.9

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NAMESPACES = (
    f'xmlns:w="{W_NS}" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
    'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'xmlns:v="urn:schemas-microsoft-com:vml"'
)
XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
CONTENT_TYPES = (
    XML_DECL + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
PACKAGE_RELS = (
    XML_DECL + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="word/document.xml"/></Relationships>'
)


# -- similarity ---------------------------------------------------------------------

_WS = re.compile(r"\s+")


def _lines(text: str) -> list[str]:
    return [line for line in (_WS.sub("", raw) for raw in text.splitlines()) if line]


def similarity(a: str, b: str) -> float:
    """2*M/T over whitespace-free text, aligned line by line, then char by char inside differing runs."""
    la, lb = _lines(a), _lines(b)
    total = sum(map(len, la)) + sum(map(len, lb))
    if not total:
        return 1.0
    matched = 0
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, la, lb, autojunk=False).get_opcodes():
        if op == "equal":
            matched += sum(len(line) for line in la[i1:i2])
        elif op == "replace":
            sa, sb = "".join(la[i1:i2]), "".join(lb[j1:j2])
            blocks = difflib.SequenceMatcher(None, sa, sb, autojunk=False).get_matching_blocks()
            matched += sum(block.size for block in blocks)
    return 2 * matched / total


def test_similarity_measure():
    assert similarity("一、总则\n第一条", "一、总则\n\n　第一条 ") == 1.0
    assert similarity("", "") == 1.0
    assert similarity("示范区", "") == 0.0
    assert similarity("abcd\nefgh", "abXd\nefgh") == pytest.approx(2 * 7 / 16)


# -- the real reports ---------------------------------------------------------------

_scores: dict[str, float] = {}


@needs_data
@pytest.mark.parametrize("path", REAL_DOCX_PARAMS, ids=lambda p: getattr(p, "stem", "no-data"))
def test_real_docx_matches_its_text_twin(path):
    doc = parse(path)
    assert doc.format == "docx" and doc.source_path == path
    assert "\n\n" not in doc.text and doc.text == doc.text.strip()
    twin = path.with_suffix(".txt").read_text(encoding="utf-8")
    score = similarity(doc.text, twin)
    _scores[path.name] = score
    assert score >= MIN_SIMILARITY, f"{path.name}: similarity {score:.4f}"


@needs_data
def test_real_docx_similarity_summary():
    """Min and median over all files (also for the report); runs after the per-file test."""
    for path in REAL_DOCX:
        if path.name not in _scores:
            _scores[path.name] = similarity(parse(path).text, path.with_suffix(".txt").read_text(encoding="utf-8"))
    scores = list(_scores.values())
    print(f"\nDOCX similarity over {len(scores)} files: min {min(scores):.4f}, median {statistics.median(scores):.4f}")
    assert len(scores) == len(REAL_DOCX)
    assert min(scores) >= MIN_SIMILARITY
    assert statistics.median(scores) >= 0.98


@needs_data
def test_real_docx_headings_and_lists_are_kept():
    path = DOCX_DIR / "北京.docx"
    if not path.exists():
        pytest.skip("北京.docx not in ../shared/data/docx")
    lines = parse(path).text.splitlines()
    assert lines[0] == "各位代表："
    assert "一、2023年工作回顾" in lines


# -- synthetic: structure -------------------------------------------------------------


def _python_docx(path: Path) -> Path:
    import docx
    from docx.enum.text import WD_BREAK

    document = docx.Document()
    document.core_properties.title = "关于印发示范区建设方案的通知"
    document.sections[0].header.paragraphs[0].text = "枣庄市人民政府文件"
    document.sections[0].footer.paragraphs[0].text = "— 1 —"
    document.add_paragraph("各区县人民政府：")
    document.add_paragraph("")
    document.add_paragraph("　　现将《示范区建设方案》印发给你们，请认真贯彻执行。  ")
    run = document.add_paragraph("一、总体要求").add_run()
    run.add_break(WD_BREAK.LINE)
    run.add_text("（一）指导思想")
    table = document.add_table(rows=4, cols=3)
    for cell, value in zip(table.rows[0].cells, ("项目", "金额", "备注")):
        cell.text = value
    tall = table.cell(1, 0).merge(table.cell(2, 0))  # vertical merge: rows 1-2 of column 0
    tall.text = "一般公共预算"
    table.cell(1, 1).text = "1,234.56"
    table.cell(2, 1).text = "5.00"
    table.cell(2, 2).text = "第一段"
    table.cell(2, 2).add_paragraph("第二段")
    wide = table.cell(3, 0).merge(table.cell(3, 2))  # one cell spanning three columns
    wide.text = "合计：两项"
    document.add_paragraph("1. 加强组织领导。")
    document.add_paragraph("")
    document.save(path)
    return path


@pytest.fixture(scope="module")
def made_docx(tmp_path_factory) -> Path:
    return _python_docx(tmp_path_factory.mktemp("docx") / "made.docx")


def test_paragraphs_and_tables_in_document_order(made_docx):
    doc = parse(made_docx)
    assert doc.text.splitlines() == [
        "各区县人民政府：",
        "现将《示范区建设方案》印发给你们，请认真贯彻执行。",
        "一、总体要求",
        "（一）指导思想",
        CELL_SEPARATOR.join(["项目", "金额", "备注"]),
        CELL_SEPARATOR.join(["一般公共预算", "1,234.56"]),  # the empty cell is skipped
        CELL_SEPARATOR.join(["5.00", "第一段 第二段"]),  # the vertically merged cell is not repeated
        "合计：两项",  # the merged cell once, not three times
        "1. 加强组织领导。",
    ]


def test_headers_and_footers_are_left_out(made_docx):
    text = parse(made_docx).text
    assert "枣庄市人民政府文件" not in text and "— 1 —" not in text


def test_title_from_core_properties(made_docx, tmp_path):
    assert parse(made_docx).metadata == {"title": "关于印发示范区建设方案的通知"}
    import docx

    plain = tmp_path / "untitled.docx"
    document = docx.Document()
    document.add_paragraph("正文")
    document.save(plain)
    assert parse(plain).metadata == {}


def _write_docx(path: Path, document_xml: str | bytes, extra: dict[str, bytes | str] | None = None) -> Path:
    """A .docx written part by part, for markup python-docx cannot produce."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", CONTENT_TYPES)
        zf.writestr("_rels/.rels", PACKAGE_RELS)
        zf.writestr("word/document.xml", document_xml)
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return path


def _body(xml: str) -> str:
    return f"{XML_DECL}<w:document {NAMESPACES}><w:body>{xml}</w:body></w:document>"


def _p(text: str) -> str:
    return f"<w:p><w:r><w:t xml:space=\"preserve\">{text}</w:t></w:r></w:p>"


def test_text_boxes_tracked_changes_and_fields(tmp_path):
    textbox = "<w:txbxContent>" + _p("文本框中的说明") + "</w:txbxContent>"
    body = (
        _p("第一段。")
        + "<w:p><w:r><w:t>保留</w:t></w:r><w:del><w:r><w:delText>删除的文字</w:delText></w:r></w:del>"
        "<w:ins><w:r><w:t>插入的文字</w:t></w:r></w:ins>"
        "<w:r><w:fldChar w:fldCharType=\"begin\"/></w:r><w:r><w:instrText>PAGE \\* MERGEFORMAT</w:instrText></w:r>"
        "<w:r><w:fldChar w:fldCharType=\"end\"/></w:r>"
        "<w:hyperlink><w:r><w:t>链接文字</w:t></w:r></w:hyperlink></w:p>"
        "<w:p><w:r><mc:AlternateContent><mc:Choice Requires=\"wps\"><w:drawing><wp:anchor><a:graphic><a:graphicData>"
        f"<wps:wsp><wps:txbx>{textbox}</wps:txbx></wps:wsp></a:graphicData></a:graphic></wp:anchor></w:drawing>"
        f"</mc:Choice><mc:Fallback><w:pict><v:shape><v:textbox>{textbox}</v:textbox></v:shape></w:pict></mc:Fallback>"
        "</mc:AlternateContent></w:r><w:r><w:t>锚定段落</w:t></w:r></w:p>"
        "<w:sdt><w:sdtPr><w:alias w:val=\"目录\"/></w:sdtPr><w:sdtContent>" + _p("内容控件中的段落") + "</w:sdtContent></w:sdt>"
        + _p("   ")
        + "<w:sectPr/>"
    )
    doc = parse(_write_docx(tmp_path / "rich.docx", _body(body)))
    assert doc.text.splitlines() == [
        "第一段。",
        "保留插入的文字链接文字",
        "锚定段落",
        "文本框中的说明",  # once: the fallback copy of the text box is skipped
        "内容控件中的段落",
    ]


def test_document_with_no_text(tmp_path):
    with pytest.raises(EmptyDocumentError):
        parse(_write_docx(tmp_path / "blank.docx", _body(_p("") + _p("　　"))))


# -- synthetic: bad input -----------------------------------------------------------


def test_empty_file(tmp_path):
    path = tmp_path / "empty.docx"
    path.write_bytes(b"")
    with pytest.raises(EmptyDocumentError):
        parse(path)


def test_random_bytes(tmp_path):
    path = tmp_path / "random.docx"
    path.write_bytes(random.Random(3).randbytes(30_000))
    with pytest.raises(UnsupportedFormatError, match="not a Word .docx"):
        parse(path)


def test_pdf_named_docx(tmp_path):
    path = tmp_path / "report.docx"
    path.write_bytes(b"%PDF-1.7\n...")
    with pytest.raises(UnsupportedFormatError, match="PDF"):
        parse(path)


def test_zip_that_is_not_a_word_document(tmp_path):
    path = tmp_path / "sheet.docx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(UnsupportedFormatError, match="word/document.xml"):
        parse(path)


def test_truncated_docx(made_docx, tmp_path):
    data = made_docx.read_bytes()
    path = tmp_path / "truncated.docx"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CorruptDocumentError):
        parse(path)


@needs_data
def test_truncated_real_docx(tmp_path):
    data = REAL_DOCX[0].read_bytes()
    path = tmp_path / "truncated.docx"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CorruptDocumentError):
        parse(path)


def test_broken_xml_inside(tmp_path):
    path = _write_docx(tmp_path / "broken.docx", _body(_p("正文"))[:-30])
    with pytest.raises(CorruptDocumentError):
        parse(path)


def _ole_file(stream_names: list[str]) -> bytes:
    """The start of an OLE compound file with directory entries carrying these names."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    entries = b"".join(name.encode("utf-16-le").ljust(128, b"\x00") for name in stream_names)
    return header + entries


def test_encrypted_word_document(tmp_path):
    path = tmp_path / "secret.docx"
    path.write_bytes(_ole_file(["Root Entry", "EncryptionInfo", "EncryptedPackage"]))
    with pytest.raises(EncryptedDocumentError, match="without a password"):
        parse(path)


def test_old_binary_doc(tmp_path):
    path = tmp_path / "old.docx"
    path.write_bytes(_ole_file(["Root Entry", "WordDocument", "1Table"]))
    with pytest.raises(UnsupportedFormatError, match="save it as .docx"):
        parse(path)


def _bomb(path: Path, megabytes: int) -> Path:
    """A .docx whose word/document.xml inflates to this many MB of zeros (small on disk)."""
    chunk = b"\x00" * (1 << 20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", CONTENT_TYPES)
        zf.writestr("_rels/.rels", PACKAGE_RELS)
        with zf.open("word/document.xml", "w", force_zip64=True) as fh:
            for _ in range(megabytes):
                fh.write(chunk)
    return path


def _refused_quickly(path: Path, error: type[DocumentError], match: str) -> None:
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(error, match=match):
            parse(path)
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < 2.0
    assert peak < 16 * 2**20, f"peak {peak / 2**20:.1f} MB"


def test_zip_bomb_is_refused_before_inflating(tmp_path):
    path = _bomb(tmp_path / "bomb.docx", 220)
    assert path.stat().st_size < 2 * 2**20
    _refused_quickly(path, FileTooLargeError, "zip bomb")


def test_absurd_compression_ratio_is_refused(tmp_path):
    path = _bomb(tmp_path / "ratio.docx", 20)
    _refused_quickly(path, FileTooLargeError, "compressed")


BILLION_LAUGHS = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    "<!-- a comment first, to hide the DTD from naive checks -->\n"
    '<!DOCTYPE w:document [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
    + "]>"
)


def test_billion_laughs_is_refused(tmp_path):
    xml = BILLION_LAUGHS + f"<w:document {NAMESPACES}><w:body>{_p('&lol9;')}</w:body></w:document>"
    path = _write_docx(tmp_path / "laughs.docx", xml)
    _refused_quickly(path, CorruptDocumentError, "entit")


def test_entity_declaration_in_another_part_is_refused(tmp_path):
    core = BILLION_LAUGHS + "<cp:coreProperties xmlns:cp=\"x\"><title>&lol9;</title></cp:coreProperties>"
    path = _write_docx(tmp_path / "core.docx", _body(_p("正文")), {"docProps/core.xml": core})
    with pytest.raises(CorruptDocumentError, match="docProps/core.xml"):
        parse(path)


def test_utf16_part_with_a_dtd_is_refused(tmp_path):
    xml = BILLION_LAUGHS.replace('encoding="UTF-8"', 'encoding="UTF-16"') + f"<w:document {NAMESPACES}/>"
    path = _write_docx(tmp_path / "utf16.docx", b"\xff\xfe" + xml.encode("utf-16-le"))
    with pytest.raises(CorruptDocumentError, match="entit"):
        parse(path)


def test_python_docx_parser_does_not_expand_entities():
    """Defence in depth: even past our check, python-docx's parser would not expand them."""
    from docx.oxml.parser import parse_xml
    from lxml import etree

    xml = BILLION_LAUGHS + f"<w:document {NAMESPACES}><w:body>{_p('&lol9;')}</w:body></w:document>"
    started = time.monotonic()
    try:
        root = parse_xml(xml.encode())
    except etree.XMLSyntaxError:
        pass  # libxml2 refuses the amplification outright
    else:
        assert len("".join(root.itertext())) < 1000
    assert time.monotonic() - started < 1.0


def test_missing_file_is_a_document_error(tmp_path):
    with pytest.raises(DocumentError):
        parse(tmp_path / "nowhere.docx")


def test_docx_in_memory_roundtrip_keeps_order(tmp_path):
    """Many paragraphs and tables interleaved come out in order."""
    import docx

    document = docx.Document()
    expected = []
    for i in range(20):
        document.add_paragraph(f"第{i}段")
        expected.append(f"第{i}段")
        if i % 5 == 0:
            table = document.add_table(rows=1, cols=2)
            table.cell(0, 0).text, table.cell(0, 1).text = f"表{i}", "值"
            expected.append(f"表{i}{CELL_SEPARATOR}值")
    buffer = io.BytesIO()
    document.save(buffer)
    path = tmp_path / "order.docx"
    path.write_bytes(buffer.getvalue())
    assert parse(path).text.splitlines() == expected


def test_zip_with_too_many_parts_is_refused(tmp_path):
    path = tmp_path / "many.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("[Content_Types].xml", CONTENT_TYPES)
        zf.writestr("word/document.xml", _body(_p("正文")))
        for i in range(6_000):
            zf.writestr(f"customXml/item{i}.bin", b"")
    with pytest.raises(FileTooLargeError, match="parts"):
        parse(path)


def test_no_core_properties_part_gives_no_title(tmp_path):
    """python-docx invents the title "Word Document" when the part is missing; that is not a title."""
    doc = parse(_write_docx(tmp_path / "bare.docx", _body(_p("正文"))))
    assert doc.text == "正文"
    assert doc.metadata == {}


NUMBERING_XML = (
    XML_DECL + f'<w:numbering xmlns:w="{W_NS}">'
    '<w:abstractNum w:abstractNumId="0">'
    '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="第%1条"/></w:lvl>'
    '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="（%2）"/></w:lvl>'
    '<w:lvl w:ilvl="2"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%2.%3"/></w:lvl>'
    "</w:abstractNum>"
    '<w:abstractNum w:abstractNumId="1"><w:lvl w:ilvl="0"><w:numFmt w:val="bullet"/><w:lvlText w:val="\uf0b7"/></w:lvl></w:abstractNum>'
    '<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>'
    '<w:num w:numId="2"><w:abstractNumId w:val="1"/></w:num>'
    '<w:num w:numId="3"><w:abstractNumId w:val="0"/><w:lvlOverride w:ilvl="0"><w:startOverride w:val="10"/></w:lvlOverride></w:num>'
    "</w:numbering>"
)


def _numbered(text: str, num_id: int, ilvl: int = 0) -> str:
    return (f'<w:p><w:pPr><w:numPr><w:ilvl w:val="{ilvl}"/><w:numId w:val="{num_id}"/></w:numPr></w:pPr>'
            f"<w:r><w:t>{text}</w:t></w:r></w:p>")


def test_word_list_numbers_are_written_out(tmp_path):
    """Numbers Word generates (第一条, （一）...) are not in the XML text; they are rendered as Word shows them."""
    content_types = CONTENT_TYPES.replace(
        "</Types>",
        '<Override PartName="/word/numbering.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.numbering+xml"/></Types>',
    )
    document_rels = (
        XML_DECL + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/numbering" '
        'Target="numbering.xml"/></Relationships>'
    )
    body = (
        _numbered("为了规范管理，制定本办法。", 1)
        + _numbered("本办法适用于：", 1)
        + _numbered("企业；", 1, 1)
        + _numbered("个体工商户。", 1, 1)
        + _numbered("细目", 1, 2)
        + _numbered("", 1)  # an empty numbered paragraph still takes 第三条
        + _numbered("本办法自发布之日起施行。", 1)
        + _numbered("要点", 2)  # a bullet: no label
        + _numbered("另一个列表从十开始。", 3)
        + _p("不编号的段落。")
    )
    path = tmp_path / "numbered.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", content_types)
        zf.writestr("_rels/.rels", PACKAGE_RELS)
        zf.writestr("word/document.xml", _body(body))
        zf.writestr("word/_rels/document.xml.rels", document_rels)
        zf.writestr("word/numbering.xml", NUMBERING_XML)
    assert parse(path).text.splitlines() == [
        "第一条为了规范管理，制定本办法。",
        "第二条本办法适用于：",
        "（一）企业；",
        "（二）个体工商户。",
        "二.1 细目",  # each placeholder in its own level's format, as Word does (unless isLgl)
        "第四条本办法自发布之日起施行。",
        "要点",
        "第十条另一个列表从十开始。",
        "不编号的段落。",
    ]


def test_list_style_numbers(tmp_path):
    import docx

    document = docx.Document()
    for text in ("第一项", "第二项"):
        document.add_paragraph(text, style="List Number")
    document.add_paragraph("圆点项", style="List Bullet")
    path = tmp_path / "list.docx"
    document.save(path)
    assert parse(path).text.splitlines() == ["1. 第一项", "2. 第二项", "圆点项"]
