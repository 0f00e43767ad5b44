"""Regenerate the generated files of the sample corpus from ``corpus/_src``.

The sample corpus (``corpus/``) is written for policy-search; every document
in it is fictional. Most files are written by hand, but the binary and the
non-UTF-8 ones are generated here from UTF-8 sources kept in ``corpus/_src``:

* PDF  -- reportlab, built-in CID font ``STSong-Light`` (not embedded), A4,
  laid out like an official document: running header, wrapped lines (Chinese
  text wraps in the middle of words), page numbers "— 1 —" alternating right
  and left as GB/T 9704 prescribes.
* DOCX -- python-docx: title paragraph, body paragraphs, optional table,
  header and footer (with a PAGE field), core properties.
* re-encoded text -- the same text written as GBK, GB18030, UTF-8 with BOM,
  UTF-16 (HTML too), as Chinese government sites often serve them.

Source format (``corpus/_src/<name>.txt``): first line the title, then one
paragraph a line. Lines starting with ``|`` are table rows, cells separated
by ``|`` (the first row is the table head). The signature block (issuer lines
and the date line) is recognised at the end and set right-aligned.

Output is deterministic: reportlab runs with ``invariant=1`` (fixed dates
and document ID); DOCX core-property dates come from the document date and
the ZIP is rewritten with fixed timestamps. Byte identity assumes the same
reportlab/python-docx versions and the same zlib.

Usage::

    python scripts/make_corpus.py            # rewrite the files in corpus/
    python scripts/make_corpus.py OUT_DIR    # write them under OUT_DIR instead
"""
from __future__ import annotations

import argparse
import io
import re
import sys
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
SRC = CORPUS / "_src"

CREATOR = "policy-search scripts/make_corpus.py"
SAMPLE_NOTE = "示例文件，仅供演示"


@dataclass(frozen=True)
class Target:
    """One generated file: its source in ``_src`` and where it goes."""

    src: str
    out: str
    kind: str  # "pdf" | "docx" | "encode"
    header: str = ""
    encoding: str = ""
    newline: str = "\n"


TARGETS: tuple[Target, ...] = (
    # PDF
    Target("zrzyb-2020-8-yongdi.txt", "central/zrzyb-2020-8-yongdi.pdf", "pdf", header="自然资源部办公厅"),
    Target("lrs-2020-36-yigong-daixun.txt", "shandong/lrs-2020-36-yigong-daixun.pdf", "pdf",
           header="山东省人力资源和社会保障厅文件"),
    Target("zzf-2020-3-fugong-fuchan.txt", "zaozhuang/zzf-2020-3-fugong-fuchan.pdf", "pdf", header="枣庄市人民政府文件"),
    Target("yzbf-2020-3-chungeng.txt", "yicheng/yzbf-2020-3-chungeng.pdf", "pdf", header="峄城区人民政府办公室"),
    Target("jszf-2020-15-minying.txt", "other/jszf-2020-15-minying.pdf", "pdf", header="江苏省人民政府文件"),
    # DOCX
    Target("swzj-2020-28-nashui-fuwu.txt", "central/swzj-2020-28-nashui-fuwu.docx", "docx", header="国家税务总局"),
    Target("lcj-2020-10-tiexi-danbao.txt", "shandong/lcj-2020-10-tiexi-danbao.docx", "docx", header="山东省财政厅"),
    Target("zzjr-2020-2-shoudai-xudai.txt", "zaozhuang/zzjr-2020-2-shoudai-xudai.docx", "docx",
           header="枣庄市地方金融监督管理局"),
    Target("yzf-2020-2-fugong-fuchan.txt", "yicheng/yzf-2020-2-fugong-fuchan.docx", "docx", header="峄城区人民政府"),
    Target("zjzb-2020-7-xiaowei.txt", "other/zjzb-2020-7-xiaowei.docx", "docx", header="浙江省人民政府办公厅"),
    # Re-encoded text and HTML
    Target("czb-2020-13-zengzhishui.txt", "central/czb-2020-13-zengzhishui.txt", "encode", encoding="utf-8-sig"),
    Target("lzbf-2020-5-zhongxiao.txt", "shandong/lzbf-2020-5-zhongxiao.txt", "encode", encoding="gbk",
           newline="\r\n"),
    Target("zzwl-2020-6-wenlv.txt", "zaozhuang/zzwl-2020-6-wenlv.txt", "encode", encoding="gb18030"),
    Target("zzyq-2020-15-fangkong.html", "zaozhuang/zzyq-2020-15-fangkong.html", "encode", encoding="gbk"),
    Target("yzj-2020-5-jianzhu.txt", "yicheng/yzj-2020-5-jianzhu.txt", "encode", encoding="gbk"),
    Target("yrs-2020-8-rencai.txt", "yicheng/yrs-2020-8-rencai.txt", "encode", encoding="utf-16"),
)


# --------------------------------------------------------------------------
# Reading and classifying a source
# --------------------------------------------------------------------------

DOC_NUMBER_RE = re.compile(r"(〔\d{4}〕\d+号|公告\d{4}年第\d+号)$")
DATE_RE = re.compile(r"^(\d{4}年\d{1,2}月\d{1,2}日|[〇○零一二三四五六七八九]{4}年[一二三四五六七八九十]{1,2}月[一二三四五六七八九十]{1,3}日)$")
HEADING_RE = re.compile(r"^[一二三四五六七八九十]+、[^。；]{1,20}$")
SIGN_PUNCT = set("。，；：、（）")


@dataclass
class Block:
    """A paragraph-level unit: ``kind`` decides how it is set."""

    kind: str  # title | docno | center | addressee | heading | para | sign | table
    text: str = ""
    rows: tuple[tuple[str, ...], ...] = ()


def read_source(path: Path) -> list[str]:
    """The non-empty lines of a UTF-8 source file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip()]


def signature_range(lines: list[str]) -> tuple[int, int]:
    """Indices ``[start, end]`` of the issuer lines and the date line."""
    end = max(i for i, line in enumerate(lines) if DATE_RE.match(line))
    start = end
    while start > 0 and len(lines[start - 1]) <= 30 and not SIGN_PUNCT & set(lines[start - 1]):
        start -= 1
    return start, end


def classify(lines: list[str]) -> list[Block]:
    """Turn source lines into blocks (first line is the title)."""
    blocks = [Block("title", lines[0])]
    sign_start, sign_end = signature_range(lines)
    body_started = False
    i = 1
    while i < len(lines):
        line = lines[i]
        if line.startswith("|"):
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(tuple(c.strip() for c in lines[i].strip("|").split("|")))
                i += 1
            blocks.append(Block("table", rows=tuple(rows)))
            continue
        if sign_start <= i <= sign_end:
            kind = "sign"
        elif i == 1 and DOC_NUMBER_RE.search(line):
            kind = "docno"
        elif SAMPLE_NOTE in line:
            kind = "center"
        elif not body_started and line.endswith("："):
            kind = "addressee"
        elif HEADING_RE.match(line):
            kind = "heading"
        else:
            kind = "para"
        body_started = body_started or kind in ("addressee", "para", "heading")
        blocks.append(Block(kind, line))
        i += 1
    return blocks


def issuers(blocks: list[Block]) -> list[str]:
    """The issuer lines of the signature block."""
    sign = [b.text for b in blocks if b.kind == "sign"]
    return sign[:-1]


CN_DIGITS = {"〇": 0, "○": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4,
             "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def cn_number(text: str) -> int:
    """Value of a small Chinese numeral (一 .. 三十一)."""
    if "十" not in text:
        return CN_DIGITS[text]
    tens, _, units = text.partition("十")
    return (CN_DIGITS[tens] if tens else 1) * 10 + (CN_DIGITS[units] if units else 0)


def document_date(blocks: list[Block]) -> datetime:
    """The date of the signature block as a UTC datetime at 09:00."""
    text = [b.text for b in blocks if b.kind == "sign"][-1]
    m = re.match(r"(\d{4})年(\d{1,2})月(\d{1,2})日", text)
    if m:
        y, mo, d = (int(g) for g in m.groups())
    else:
        year, rest = text.split("年")
        month, rest = rest.split("月")
        y = int("".join(str(CN_DIGITS[c]) for c in year))
        mo, d = cn_number(month), cn_number(rest.rstrip("日"))
    return datetime(y, mo, d, 9, 0, 0, tzinfo=timezone.utc)


# --------------------------------------------------------------------------
# PDF
# --------------------------------------------------------------------------

PDF_FONT = "STSong-Light"
NO_LINE_START = set("，。、；：？！）》」』”’〕】%．,.;:!?)")
NO_LINE_END = set("（《「『“‘〔【(")
TOKEN_RE = re.compile(r"[A-Za-z0-9.%]+|.", re.S)


def mm(value: float) -> float:
    return value * 72 / 25.4


@dataclass(frozen=True)
class PageGeometry:
    """GB/T 9704 layout: 156 x 225 mm type area, 22 lines of 28 characters."""

    width: float = mm(210)
    height: float = mm(297)
    left: float = mm(28)
    top: float = mm(37)
    text_width: float = mm(156)
    text_height: float = mm(225)
    body_size: float = 16
    title_size: float = 22

    @property
    def leading(self) -> float:
        return self.text_height / 22

    @property
    def bottom(self) -> float:
        return self.height - self.top - self.text_height


def text_width(text: str, size: float) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return stringWidth(text, PDF_FONT, size)


def wrap(text: str, size: float, first_width: float, width: float) -> list[str]:
    """Greedy line breaking with simple kinsoku rules (hanging punctuation)."""
    lines: list[str] = []
    current = ""
    limit = first_width
    for token in TOKEN_RE.findall(text):
        if current and text_width(current + token, size) > limit and token not in NO_LINE_START:
            carry = ""
            while current and current[-1] in NO_LINE_END:
                carry, current = current[-1] + carry, current[:-1]
            lines.append(current)
            current, limit = carry, width
        current += token
    if current:
        lines.append(current)
    return lines


class PdfWriter:
    """Sets blocks on A4 pages with running header and page numbers."""

    def __init__(self, out: io.BytesIO, header: str, geometry: PageGeometry = PageGeometry()):
        from reportlab.pdfgen.canvas import Canvas

        self.g = geometry
        self.header = header
        self.canvas = Canvas(out, pagesize=(geometry.width, geometry.height), invariant=1)
        self.page = 0
        self.y = 0.0
        self.new_page()

    def new_page(self) -> None:
        if self.page:
            self.canvas.showPage()
        self.page += 1
        self.draw_header()
        self.draw_footer()
        self.y = self.g.height - self.g.top

    def draw_header(self) -> None:
        c, g = self.canvas, self.g
        c.setFillColorRGB(0.8, 0, 0)
        c.setFont(PDF_FONT, 12)
        c.drawCentredString(g.width / 2, g.height - mm(22), self.header)
        c.setStrokeColorRGB(0.8, 0, 0)
        c.setLineWidth(0.8)
        c.line(g.left, g.height - mm(25), g.left + g.text_width, g.height - mm(25))
        c.setFillColorRGB(0, 0, 0)

    def draw_footer(self) -> None:
        c, g = self.canvas, self.g
        label = f"— {self.page} —"
        c.setFont(PDF_FONT, 14)
        y = g.bottom - mm(14)
        if self.page % 2:
            c.drawRightString(g.left + g.text_width - 14, y, label)
        else:
            c.drawString(g.left + 14, y, label)

    def line(self, text: str, size: float, x: float, leading: float, align: str = "left") -> None:
        if self.y - leading < self.g.bottom:
            self.new_page()
        self.y -= leading
        self.canvas.setFont(PDF_FONT, size)
        if align == "center":
            self.canvas.drawCentredString(self.g.left + self.g.text_width / 2, self.y, text)
        elif align == "right":
            self.canvas.drawRightString(x, self.y, text)
        else:
            self.canvas.drawString(x, self.y, text)

    def paragraph(self, text: str, size: float, indent: float, leading: float, align: str = "left") -> None:
        g = self.g
        lines = wrap(text, size, g.text_width - indent, g.text_width)
        for n, line in enumerate(lines):
            x = g.left + (indent if n == 0 else 0)
            self.line(line, size, x, leading, align)

    def block(self, block: Block) -> None:
        g, size = self.g, self.g.body_size
        if block.kind == "title":
            self.paragraph(block.text, g.title_size, 0, g.title_size * 1.6, "center")
            self.y -= g.leading / 2
        elif block.kind in ("docno", "center"):
            self.paragraph(block.text, size, 0, g.leading, "center")
        elif block.kind == "addressee":
            self.y -= g.leading / 2
            self.paragraph(block.text, size, 0, g.leading)
        elif block.kind == "sign":
            self.line(block.text, size, g.left + g.text_width - 4 * size, g.leading, "right")
        elif block.kind == "table":
            for row in block.rows:
                self.paragraph("　".join(row), size, 0, g.leading)
        else:
            self.paragraph(block.text, size, 2 * size, g.leading)

    def finish(self, title: str, author: str) -> None:
        c = self.canvas
        c.setTitle(title)
        c.setAuthor(author)
        c.setSubject(SAMPLE_NOTE)
        c.setCreator(CREATOR)
        c.save()


def render_pdf(blocks: list[Block], header: str) -> bytes:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))
    buf = io.BytesIO()
    writer = PdfWriter(buf, header)
    first_sign = next(i for i, b in enumerate(blocks) if b.kind == "sign")
    for i, block in enumerate(blocks):
        if i == first_sign:
            writer.y -= writer.g.leading  # blank line before the signature
        writer.block(block)
    writer.finish(blocks[0].text, " ".join(issuers(blocks)))
    return buf.getvalue()


# --------------------------------------------------------------------------
# DOCX
# --------------------------------------------------------------------------

FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
BODY_FONT = "仿宋_GB2312"
TITLE_FONT = "方正小标宋简体"
HEADING_FONT = "黑体"


def set_run_font(run, name: str, size: float, bold: bool = False) -> None:
    """Font for a run, including the East Asian font slot."""
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold or None
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def add_paragraph(doc, text: str, kind: str):
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    p = doc.add_paragraph()
    font, size = BODY_FONT, 16
    if kind == "title":
        p.alignment, font, size = WD_ALIGN_PARAGRAPH.CENTER, TITLE_FONT, 22
        p.paragraph_format.space_after = Pt(16)
    elif kind in ("docno", "center"):
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    elif kind == "sign":
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        p.paragraph_format.right_indent = Pt(64)
    elif kind in ("para", "heading"):
        p.paragraph_format.first_line_indent = Pt(32)
        if kind == "heading":
            font = HEADING_FONT
    set_run_font(p.add_run(text), font, size)
    return p


def add_table(doc, rows: tuple[tuple[str, ...], ...]) -> None:
    table = doc.add_table(rows=len(rows), cols=len(rows[0]))
    table.style = doc.styles["Table Grid"]
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            cell = table.cell(r, c)
            set_run_font(cell.paragraphs[0].add_run(text), BODY_FONT, 12, bold=(r == 0))


def add_page_field(paragraph) -> None:
    """Append a PAGE field (cached value 1) to a paragraph."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def fld_char(kind: str):
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        return el

    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = " PAGE "
    for part in (fld_char("begin"), instr, fld_char("separate")):
        paragraph.add_run()._r.append(part)
    paragraph.add_run("1")
    paragraph.add_run()._r.append(fld_char("end"))


def set_header_footer(doc, header: str) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    section = doc.sections[0]
    head = section.header.paragraphs[0]
    head.alignment = WD_ALIGN_PARAGRAPH.CENTER
    set_run_font(head.add_run(header), BODY_FONT, 10.5)
    foot = section.footer.paragraphs[0]
    foot.alignment = WD_ALIGN_PARAGRAPH.CENTER
    foot.add_run("— ")
    add_page_field(foot)
    foot.add_run(" —")


def set_page(doc) -> None:
    from docx.shared import Mm

    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)


def set_core_properties(doc, blocks: list[Block]) -> None:
    props = doc.core_properties
    when = document_date(blocks)
    author = " ".join(issuers(blocks))
    props.title = blocks[0].text
    props.author = author
    props.last_modified_by = author
    props.comments = SAMPLE_NOTE
    props.subject = ""
    props.keywords = ""
    props.revision = 1
    props.created = when
    props.modified = when


def normalise_zip(data: bytes) -> bytes:
    """Rewrite a ZIP with fixed timestamps and attributes, same member order."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.create_system = 0
            fixed.external_attr = 0
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def render_docx(blocks: list[Block], header: str) -> bytes:
    import docx

    doc = docx.Document()
    set_page(doc)
    set_header_footer(doc, header)
    for block in blocks:
        if block.kind == "table":
            add_table(doc, block.rows)
        else:
            add_paragraph(doc, block.text, block.kind)
    set_core_properties(doc, blocks)
    buf = io.BytesIO()
    doc.save(buf)
    return normalise_zip(buf.getvalue())


# --------------------------------------------------------------------------
# Re-encoded text
# --------------------------------------------------------------------------


def encode_text(text: str, encoding: str, newline: str) -> bytes:
    """Text in a legacy or BOM-marked encoding; UTF-16 is little-endian with BOM."""
    text = text.replace("\r\n", "\n").replace("\n", newline)
    if encoding == "utf-16":
        return b"\xff\xfe" + text.encode("utf-16-le")
    return text.encode(encoding)


# --------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------


def build(target: Target, src_dir: Path = SRC) -> bytes:
    """The bytes of one generated file."""
    path = src_dir / target.src
    if target.kind == "encode":
        return encode_text(path.read_text(encoding="utf-8"), target.encoding, target.newline)
    blocks = classify(read_source(path))
    if target.kind == "pdf":
        return render_pdf(blocks, target.header)
    if target.kind == "docx":
        return render_docx(blocks, target.header)
    raise ValueError(f"unknown target kind {target.kind!r}")


def make_all(out_dir: Path = CORPUS, src_dir: Path = SRC) -> list[Path]:
    """Write every target under ``out_dir``; returns the written paths."""
    written = []
    for target in TARGETS:
        dest = out_dir / target.out
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(build(target, src_dir))
        written.append(dest)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Regenerate the sample corpus' PDF, DOCX and re-encoded files.")
    parser.add_argument("out_dir", nargs="?", type=Path, default=CORPUS,
                        help="corpus root to write into (default: the repository's corpus/)")
    args = parser.parse_args(argv)
    for path in make_all(args.out_dir):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
