"""The PDF parser on the real PDFs in ../shared/data/pdf and on PDFs made here.

Synthetic PDFs are written with reportlab (STSong-Light, a CID font every
PDF reader knows) or, where reportlab cannot express the case, byte by byte.
"""
from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from indexer.parsers.pdf import CELL_SEPARATOR, parse
from policy_search.errors import (
    CorruptDocumentError,
    DocumentError,
    EmptyDocumentError,
    EncryptedDocumentError,
    FileTooLargeError,
    NoTextLayerError,
    UnsupportedFormatError,
)

from helpers import SHARED_DATA, SHARED_MISSING

DATA_DIR = SHARED_DATA
PDF_DIR = DATA_DIR / "pdf"
REAL_PDFS = sorted(PDF_DIR.glob("*.pdf")) if PDF_DIR.is_dir() else []
NO_DATA = SHARED_MISSING
needs_data = pytest.mark.skipif(not REAL_PDFS, reason=NO_DATA)
#: Parameters for the per-file tests: the files, or one placeholder that is skipped with the reason.
REAL_PDFS_PARAMS = REAL_PDFS or [pytest.param(None, marks=pytest.mark.skip(reason=NO_DATA))]

CJK = re.compile(r"[\u4e00-\u9fff]")
#: What a page number left in the text would look like.
PAGE_NUMBER_LINE = re.compile(r"^\s*(?:[-—–－]?\s*\d{1,3}\s*[-—–－]?|第\s*\d+\s*页|\d{1,3}\s*/\s*\d{1,3})\s*$")

FONT = "STSong-Light"
A4_W, A4_H = 595.28, 841.89
LEFT = 72.0
SIZE = 16.0
PER_LINE = 26  # 26 full-width characters of 16 pt: the text block is 416 pt wide
FILLER = (
    "为深入贯彻落实党中央国务院关于推动高质量发展的决策部署进一步扩大高水平对外开放加快建设现代化产业体系"
    "持续优化营商环境着力推动经济实现质的有效提升和量的合理增长结合本市实际制定本方案"
)


def _cjk_font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _wrap(text: str, per_line: int = PER_LINE, indent: int = 2) -> list[tuple[int, str]]:
    """Cut a paragraph into full lines the way Word does for Chinese: (indent, text) pairs."""
    lines = [(indent, text[: per_line - indent])]
    rest = text[per_line - indent:]
    while rest:
        lines.append((0, rest[:per_line]))
        rest = rest[per_line:]
    return lines


def _straddling(word: str, cut_after: int, tail: str, first_line_chars: int = PER_LINE - 2) -> str:
    """A paragraph whose first line ends after word[:cut_after]: the word is split by the line break."""
    head = FILLER[: first_line_chars - cut_after]
    return head + word + tail


def _page_furniture(c, page_no: int) -> None:
    c.setFont(FONT, 12)
    c.drawCentredString(A4_W / 2, A4_H - 50, "枣庄市人民政府文件")
    c.drawCentredString(A4_W / 2, 40, f"— {page_no} —")


@pytest.fixture(scope="module")
def policy_pdf(tmp_path_factory) -> Path:
    """Two pages: running header, page-number footer, wrapped paragraphs, a paragraph across the page break."""
    from reportlab.pdfgen import canvas

    _cjk_font()
    path = tmp_path_factory.mktemp("pdf") / "policy.pdf"
    c = canvas.Canvas(str(path), pagesize=(A4_W, A4_H))
    c.setTitle("关于印发示范区建设方案的通知")
    blocks = [
        ("title", "关于印发示范区建设方案的通知"),
        ("para", _straddling("示范区", 2, "建设工作，现将有关事项通知如下，请结合实际认真贯彻执行。")),
        ("heading", "一、总体要求"),
        ("para", FILLER[:60] + "，努力打造国际一流营商环境。"),
        ("para", FILLER[10:40] + "。"),
    ]
    y = A4_H - 110
    _page_furniture(c, 1)
    for kind, text in blocks:
        if kind == "title":
            c.setFont(FONT, 22)
            c.drawCentredString(A4_W / 2, y, text)
            y -= 50
            continue
        c.setFont(FONT, SIZE)
        for indent, line in _wrap(text) if kind == "para" else [(2, text)]:
            c.drawString(LEFT + indent * SIZE, y, line)
            y -= 28
    # a paragraph that runs off the bottom of page 1: 先行先试 is split by the page break
    cross = FILLER[: PER_LINE - 2 + PER_LINE - 2] + "先行先试" + "，形成一批可复制可推广的制度创新成果。"
    lines = _wrap(cross)
    first_page, second_page = lines[:2], lines[2:]
    assert first_page[-1][1].endswith("先行") and second_page[0][1].startswith("先试")
    y = 110
    for indent, line in first_page:
        c.drawString(LEFT + indent * SIZE, y, line)
        y -= 28
    c.showPage()
    _page_furniture(c, 2)
    c.setFont(FONT, SIZE)
    y = A4_H - 110
    for indent, line in second_page:
        c.drawString(LEFT + indent * SIZE, y, line)
        y -= 28
    y -= 20
    for indent, line in [(2, "二、保障措施")] + _wrap("各区县要加强组织领导，明确责任分工，确保各项任务落到实处。"):
        c.drawString(LEFT + indent * SIZE, y, line)
        y -= 28
    c.save()
    return path


@pytest.fixture(scope="module")
def policy_doc(policy_pdf):
    return parse(policy_pdf)


# -- synthetic: text reconstruction ---------------------------------------------


def test_word_split_across_lines_is_joined(policy_doc):
    assert "示范区建设工作，现将有关事项通知如下" in policy_doc.text


def test_paragraph_continues_across_the_page_break(policy_doc):
    assert "先行先试，形成一批可复制可推广的制度创新成果。" in policy_doc.text


def test_running_header_and_page_numbers_are_dropped(policy_doc):
    assert "枣庄市人民政府文件" not in policy_doc.text
    assert "—" not in policy_doc.text
    assert not any(PAGE_NUMBER_LINE.match(line) for line in policy_doc.text.splitlines())


def test_one_paragraph_a_line(policy_doc):
    lines = policy_doc.text.splitlines()
    assert lines[0] == "关于印发示范区建设方案的通知"
    assert "一、总体要求" in lines
    assert "二、保障措施" in lines
    assert FILLER[:60] + "，努力打造国际一流营商环境。" in lines
    assert FILLER[10:40] + "。" in lines
    assert "各区县要加强组织领导，明确责任分工，确保各项任务落到实处。" in lines
    assert len(lines) == 8
    assert not any(" " in line for line in lines)  # no spaces slipped in between Chinese characters


def test_title_from_info_dictionary(policy_doc):
    assert policy_doc.format == "pdf"
    assert policy_doc.metadata == {"title": "关于印发示范区建设方案的通知"}
    assert policy_doc.warnings == []


def test_latin_words_keep_their_spaces_across_lines(tmp_path):
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen import canvas

    words = ("The pilot free trade zone shall open its market to foreign investment and simplify customs "
             "procedures for goods in transit through the zone 2024 edition").split()
    lines, line = [], ""
    for word in words:  # greedy wrap to 300 pt, as a word processor does
        trial = f"{line} {word}".strip()
        if stringWidth(trial, "Helvetica", 12) > 300:
            lines.append(line)
            line = word
        else:
            line = trial
    lines.append(line)
    path = tmp_path / "latin.pdf"
    c = canvas.Canvas(str(path))
    c.setFont("Helvetica", 12)
    y = 700
    for text in lines:
        c.drawString(72, y, text)
        y -= 16
    c.save()
    assert len(lines) >= 3
    assert parse(path).text == " ".join(words)


def _random_policy(seed: int) -> list[str]:
    """Headings and paragraphs of random policy-like Chinese, with numbers and a Latin phrase."""
    import random as _random

    rng = _random.Random(seed)

    def sentence() -> str:
        text = "".join(rng.choice(FILLER) for _ in range(rng.randint(8, 30)))
        if rng.random() < 0.3:
            text += f"{rng.randint(1, 2024)}{rng.choice(['年', '万元', '%', '个'])}"
        if rng.random() < 0.15:
            text += " Free Trade Zone "
        return text + rng.choice("，，，、。；")

    paragraphs = []
    for heading in ("一、总体要求", "二、主要任务", "三、保障措施"):
        paragraphs.append(heading)
        for _ in range(rng.randint(2, 5)):
            paragraphs.append("".join(sentence() for _ in range(rng.randint(2, 9)))[:-1] + "。")
    return paragraphs


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("style", ["indented", "spaced"])
def test_typeset_document_comes_back_paragraph_for_paragraph(tmp_path, seed, style):
    """Justified text wrapped by reportlab's own CJK line breaker, over several pages.

    Paragraphs either start with a two-character indent, or have no indent
    and a gap above them (as web and WPS exports do).
    """
    from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    _cjk_font()
    spacing = dict(firstLineIndent=32) if style == "indented" else dict(firstLineIndent=0, spaceBefore=12)
    body = ParagraphStyle("b", fontName=FONT, fontSize=16, leading=28, alignment=TA_JUSTIFY, wordWrap="CJK", **spacing)
    title = ParagraphStyle("t", fontName=FONT, fontSize=22, leading=32, alignment=TA_CENTER, wordWrap="CJK")

    def furniture(c, doc):
        c.setFont(FONT, 10)
        c.drawCentredString(A4[0] / 2, A4[1] - 40, "某某市人民政府办公室文件")
        c.drawCentredString(A4[0] / 2, 30, f"- {doc.page} -")

    paragraphs = _random_policy(seed)
    path = tmp_path / "typeset.pdf"
    story = [Paragraph("关于印发某某示范区建设实施方案的通知", title), Spacer(1, 20)]
    story += [Paragraph(text, body) for text in paragraphs]
    SimpleDocTemplate(str(path), pagesize=A4, leftMargin=80, rightMargin=80).build(
        story, onFirstPage=furniture, onLaterPages=furniture
    )
    lines = parse(path).text.splitlines()
    expected = ["关于印发某某示范区建设实施方案的通知", *paragraphs]
    assert [re.sub(r"\s", "", line) for line in lines] == [re.sub(r"\s", "", p) for p in expected]
    assert all("Free Trade Zone" in line for line in lines if "Free" in line)


def test_two_columns_are_read_one_after_the_other(tmp_path):
    from reportlab.pdfgen import canvas

    _cjk_font()
    size, per_line = 12.0, 18  # two columns of 18 characters (216 pt), 40 pt gutter
    left_paras = [FILLER[:40] + "。", FILLER[40:75] + "。"]
    right_paras = [_straddling("示范区", 1, "建设取得明显成效，形成一批标志性成果。", per_line - 2), FILLER[5:30] + "。"]
    path = tmp_path / "columns.pdf"
    c = canvas.Canvas(str(path), pagesize=(A4_W, A4_H))
    c.setFont(FONT, 20)
    c.drawCentredString(A4_W / 2, A4_H - 80, "市人民政府公报")
    c.setFont(FONT, size)
    for x, paras in ((60.0, left_paras), (60.0 + per_line * size + 40, right_paras)):
        y = A4_H - 130
        for para in paras:
            for indent, line in _wrap(para, per_line):
                c.drawString(x + indent * size, y, line)
                y -= 20
    c.save()
    assert _wrap(right_paras[0], per_line)[0][1].endswith("示")
    assert parse(path).text.splitlines() == ["市人民政府公报", *left_paras, *right_paras]


def test_page_with_thousands_of_scattered_words_is_fast(tmp_path):
    import random as _random

    from reportlab.pdfgen import canvas

    rng = _random.Random(5)
    path = tmp_path / "map.pdf"
    c = canvas.Canvas(str(path), pagesize=(2000, 2000))
    c.setFont("Helvetica", 6)
    for i in range(3000):  # like a map or a scatter of labels: thousands of separate text boxes
        c.drawString(rng.uniform(0, 1950), rng.uniform(0, 1990), f"w{i}")
    c.save()
    started = time.monotonic()
    words = parse(path).text.split()
    assert time.monotonic() - started < 10
    assert len(words) > 2900


def test_ruled_table_is_read_row_by_row(tmp_path):
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle
    from reportlab.lib.styles import ParagraphStyle

    _cjk_font()
    body = ParagraphStyle("body", fontName=FONT, fontSize=12, leading=18)
    data = [
        ["项目", "金额（万元）", "备注"],
        ["一般公共预算", "1,234.56", "商业\n企业"],
        ["政府性基金", "0", "无"],
    ]
    table = Table(data, colWidths=[150, 120, 80])
    table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), FONT, 12), ("GRID", (0, 0), (-1, -1), 0.5, (0, 0, 0))]))
    path = tmp_path / "table.pdf"
    SimpleDocTemplate(str(path), pagesize=A4).build([Paragraph("附表：收支情况", body), table, Paragraph("以上数据为预算数。", body)])
    lines = parse(path).text.splitlines()
    assert lines == [
        "附表：收支情况",
        CELL_SEPARATOR.join(["项目", "金额（万元）", "备注"]),
        CELL_SEPARATOR.join(["一般公共预算", "1,234.56", "商业企业"]),
        CELL_SEPARATOR.join(["政府性基金", "0", "无"]),
        "以上数据为预算数。",
    ]


def test_clipped_away_text_is_not_extracted(tmp_path):
    from reportlab.pdfgen import canvas

    _cjk_font()
    path = tmp_path / "clip.pdf"
    c = canvas.Canvas(str(path))
    c.setFont(FONT, 14)
    c.drawString(72, 700, "可见的正文内容")
    c.saveState()
    clip = c.beginPath()
    clip.rect(60, 600, 400, 60)
    c.clipPath(clip, stroke=0, fill=0)
    c.drawString(72, 620, "裁剪区域之内")
    c.drawString(72, 500, "被裁掉的重复文字")
    c.restoreState()
    c.drawString(72, 450, "恢复之后可见")
    c.save()
    text = parse(path).text
    assert "可见的正文内容" in text and "裁剪区域之内" in text and "恢复之后可见" in text
    assert "被裁掉" not in text


# -- synthetic: metadata ------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Microsoft Word - 关于印发方案的通知.doc", None),
        ("通知.docx", None),
        ("  ", None),
        ("Pilot Zone Plan", "Pilot Zone Plan"),
    ],
)
def test_noise_titles_are_ignored(tmp_path, title, expected):
    from reportlab.pdfgen import canvas

    path = tmp_path / "t.pdf"
    c = canvas.Canvas(str(path))
    c.setTitle(title)
    c.setFont("Helvetica", 12)
    c.drawString(72, 700, "Body text of the notice.")
    c.save()
    assert parse(path).metadata.get("title") == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"\xfe\xff" + "示范区建设方案".encode("utf-16-be"), "示范区建设方案"),
        (b"\xff\xfe" + "示范区".encode("utf-16-le"), "示范区"),
        (b"\xef\xbb\xbf" + "示范区".encode("utf-8"), "示范区"),
        ("关于示范区的通知".encode("gbk"), "关于示范区的通知"),  # no BOM: some Chinese producers do this
        (b"Plan \x84 2024", "Plan \u2014 2024"),  # PDFDocEncoding: 0x84 is an em dash
    ],
)
def test_pdf_string_decoding(raw, expected):
    from indexer.parsers.pdf import _decode_pdf_string

    assert _decode_pdf_string(raw) == expected


# -- synthetic: bad input -----------------------------------------------------------


def test_empty_file(tmp_path):
    path = tmp_path / "empty.pdf"
    path.write_bytes(b"")
    with pytest.raises(EmptyDocumentError):
        parse(path)


def test_random_bytes(tmp_path):
    import random

    path = tmp_path / "random.pdf"
    path.write_bytes(random.Random(7).randbytes(20_000))
    with pytest.raises(CorruptDocumentError, match="not a PDF"):
        parse(path)


def test_garbage_after_a_pdf_header(tmp_path):
    import random

    path = tmp_path / "garbage.pdf"
    path.write_bytes(b"%PDF-1.7\n" + random.Random(8).randbytes(20_000) + b"\n%%EOF\n")
    with pytest.raises(CorruptDocumentError):
        parse(path)


def test_a_docx_named_pdf(tmp_path):
    path = tmp_path / "word.pdf"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(UnsupportedFormatError, match="ZIP"):
        parse(path)


def test_truncated_pdf(policy_pdf, tmp_path):
    data = policy_pdf.read_bytes()
    path = tmp_path / "truncated.pdf"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CorruptDocumentError, match="incomplete"):
        parse(path)


@needs_data
def test_truncated_real_pdf(tmp_path):
    data = REAL_PDFS[0].read_bytes()
    path = tmp_path / "truncated.pdf"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CorruptDocumentError):
        parse(path)


def test_encrypted_pdf(tmp_path):
    from reportlab.lib.pdfencrypt import StandardEncryption
    from reportlab.pdfgen import canvas

    _cjk_font()
    path = tmp_path / "secret.pdf"
    c = canvas.Canvas(str(path), encrypt=StandardEncryption("user-pw", "owner-pw"))
    c.setFont(FONT, 14)
    c.drawString(72, 700, "内部资料")
    c.save()
    with pytest.raises(EncryptedDocumentError, match="password"):
        parse(path)


def test_pdf_encrypted_with_empty_user_password_is_read(tmp_path):
    from reportlab.lib.pdfencrypt import StandardEncryption
    from reportlab.pdfgen import canvas

    path = tmp_path / "owner-only.pdf"
    c = canvas.Canvas(str(path), encrypt=StandardEncryption("", "owner-pw", canCopy=0, canModify=0))
    c.setTitle("Open Government Report")
    c.setFont("Helvetica", 12)
    c.drawString(72, 700, "Anyone may open this report without a password.")
    c.save()
    doc = parse(path)
    assert doc.text == "Anyone may open this report without a password."
    assert doc.metadata == {"title": "Open Government Report"}


def test_image_only_pdf(tmp_path):
    from PIL import Image
    from reportlab.pdfgen import canvas

    image = tmp_path / "scan.png"
    Image.new("L", (200, 100), color=200).save(image)
    path = tmp_path / "scan.pdf"
    c = canvas.Canvas(str(path))
    c.rect(50, 50, 300, 300, stroke=1, fill=0)
    c.drawImage(str(image), 100, 500, width=200, height=100)
    c.showPage()
    c.rect(50, 50, 300, 300, stroke=1, fill=1)
    c.save()
    with pytest.raises(NoTextLayerError, match="OCR"):
        parse(path)


def _raw_pdf(content: bytes, extra_font: bool = False) -> bytes:
    """A minimal PDF written by hand: one page, an Identity-H font without a ToUnicode map."""
    fonts = b"/F1 4 0 R" + (b" /F2 6 0 R" if extra_font else b"")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << " + fonts + b" >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type0 /BaseFont /NoMap /Encoding /Identity-H /DescendantFonts [<< /Type /Font "
        b"/Subtype /CIDFontType2 /BaseFont /NoMap /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) "
        b"/Supplement 0 >> /DW 1000 >>] >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_text_that_is_all_undecodable_glyphs(tmp_path):
    path = tmp_path / "cid.pdf"
    path.write_bytes(_raw_pdf(b"BT /F1 12 Tf 72 700 Td <0041004200430044004500460047> Tj ET"))
    with pytest.raises(NoTextLayerError, match="Unicode"):
        parse(path)


def test_a_few_undecodable_glyphs_give_a_warning(tmp_path):
    path = tmp_path / "some-cid.pdf"
    content = (b"BT /F2 12 Tf 72 700 Td (Policy text that can be read without any trouble at all.) Tj ET\n"
               b"BT /F1 12 Tf 72 680 Td <00410042> Tj ET")
    path.write_bytes(_raw_pdf(content, extra_font=True))
    doc = parse(path)
    assert doc.text == "Policy text that can be read without any trouble at all."
    assert "(cid:" not in doc.text
    assert len(doc.warnings) == 1 and "could not be decoded" in doc.warnings[0]


def test_time_budget(policy_pdf):
    with pytest.raises(CorruptDocumentError, match="longer than 0 s"):
        parse(policy_pdf, time_budget=0)


def test_page_limit(policy_pdf):
    with pytest.raises(FileTooLargeError, match="more than 1 pages"):
        parse(policy_pdf, max_pages=1)


def test_missing_file_is_a_document_error(tmp_path):
    with pytest.raises(DocumentError):
        parse(tmp_path / "nowhere.pdf")


# -- the real PDFs ------------------------------------------------------------------

#: Phrases seen in the files (pdftotext/pdfminer), most of them broken over a
#: line or a page in the PDF; each must come out unbroken.
PHRASES = {
    "hzq2023_working.pdf": [
        "本报告由淮安市洪泽区人民政府办公室根据《中华人民共和国政府信息公开条例》",
        "严格执行“分级审核、先审后发”程序",  # split across the page 1/2 break
        "电子邮箱：hzzwgk@126.com",
        "（四）政府信息公开平台建设情况。加强对区政府网站、政务新媒体动态全面监管",
        "行政许可\t550",
        "二、上年结转政府信息公开申请数量\t0\t0\t0\t0\t0\t0\t0",
    ],
    "szfgs2024.pdf": [
        "淮安市人民政府2024年政府信息公开工作年度报告",
        "政府信息公开行政复议351件，其中结果维持72件",
        "行政处罚\t3985758",
    ],
    "上海市普陀区商务委员会25年预算.pdf": [
        "负责建立健全生活必需品市场供应应急机制",  # split across a page, the text repeated there is clipped
        "比2024年预算执行数增加24,558.18万元",  # a number that did not fit the line
        "一、财政拨款收入\t371,514,655.00\t一、一般公共服务支出\t21,601,733.00",
    ],
    "上海市普陀区规划和自然资源局 2024 年度部门决算.pdf": [
        "履行全民所有自然资源资产所有者职责和所有国土空间用途管制职责",
        "2\t上海市普陀区规划和自然资源局执法大队（下属参公事业单位）",
    ],
    "上海市普陀区人民政府万里街道办事处24年预算.pdf": [
        "上海市普陀区人民政府万里街道办事处是普陀区政府的派出机关",
    ],
}


@pytest.fixture(scope="module")
def real_docs():
    """Each real PDF parsed once for the whole module."""
    return {path.name: parse(path) for path in REAL_PDFS}


@needs_data
@pytest.mark.parametrize("path", REAL_PDFS_PARAMS, ids=lambda p: getattr(p, "name", "no-data"))
def test_real_pdf_is_readable(real_docs, path):
    doc = real_docs[path.name]
    assert doc.format == "pdf" and doc.source_path == path
    chars = re.sub(r"\s", "", doc.text)
    assert len(chars) > 1000
    assert len(CJK.findall(chars)) / len(chars) > 0.4
    assert "(cid:" not in doc.text and "\ufffd" not in doc.text
    assert doc.warnings == []
    for line in doc.text.splitlines():
        assert line == line.strip() and line, repr(line)
        assert not PAGE_NUMBER_LINE.match(line), f"page number left in: {line!r}"


@needs_data
@pytest.mark.parametrize("path", REAL_PDFS_PARAMS, ids=lambda p: getattr(p, "name", "no-data"))
def test_real_pdf_line_wraps_are_joined(real_docs, path):
    """Every body line that pdfminer's plain extraction shows wrapped is joined here."""
    from pdfminer.high_level import extract_text

    text = re.sub(r"\s", "", real_docs[path.name].text)
    lines = [re.sub(r"\s", "", line) for line in extract_text(str(path)).splitlines()]
    lines = [line for line in lines if line]
    windows = [
        a[-4:] + b[:4]
        for a, b in zip(lines, lines[1:])
        if len(a) >= 25 and CJK.fullmatch(a[-1]) and CJK.match(b) and all(CJK.fullmatch(ch) for ch in a[-4:] + b[:4])
    ]
    assert windows, "expected some wrapped body lines"
    missing = [w for w in windows if w not in text]
    assert not missing, f"{len(missing)} of {len(windows)} wraps not joined: {missing[:5]}"


@needs_data
@pytest.mark.parametrize("name", sorted(PHRASES))
def test_real_pdf_phrases(real_docs, name):
    if name not in real_docs:
        pytest.skip(f"{name} not in ../shared/data/pdf")
    text = real_docs[name].text
    for phrase in PHRASES[name]:
        assert phrase in text, phrase


@needs_data
def test_real_pdf_page_footers_and_order(real_docs):
    doc = real_docs["hzq2023_working.pdf"]
    assert "- 1 -" not in doc.text and "- 2 -" not in doc.text
    lines = doc.text.splitlines()
    headings = ["一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
                "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况", "六、其他需要报告的事项"]
    positions = [lines.index(h) for h in headings]
    assert positions == sorted(positions)
    assert doc.metadata["title"] == "洪泽区人民政府2023年政府信息公开工作年度报告"


@needs_data
def test_real_pdf_clipped_duplicates_are_gone(real_docs):
    """Office exports that split a cell over two pages draw the whole text on both and clip it."""
    for name in ("上海市普陀区商务委员会25年预算.pdf", "上海市普陀区商务委员会单位25年预算.pdf"):
        if name in real_docs:
            assert real_docs[name].text.count("13、完成区委、区政府交办的其他任务。") == 1


@needs_data
def test_real_pdfs_parse_quickly():
    started = time.monotonic()
    parse(REAL_PDFS[0])
    assert time.monotonic() - started < 10
