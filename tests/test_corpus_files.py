"""Checks on the project's own sample corpus (corpus/) and its generator.

These tests read the files directly (pdfminer, python-docx, bs4), not through
the ingest, so they guard the corpus itself: enough documents in every
format, every one marked as a sample, PDFs and DOCX files that extract, and
generated files that match what scripts/make_corpus.py makes.
"""
from __future__ import annotations

import csv
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
SCRIPT = ROOT / "scripts" / "make_corpus.py"

SAMPLE_MARK = re.compile(r"（示例文件，[仅僅]供演示）")
NOT_POLICIES = {"manifest.csv", "README.md"}
POLICY_FIELDS = {"title", "doc_number", "issuer", "written_date", "publish_date",
                 "level", "region", "topics", "industries", "url"}
LEVELS = {"central", "provincial", "municipal", "county"}


def load_make_corpus():
    spec = importlib.util.spec_from_file_location("make_corpus", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_corpus", module)
    spec.loader.exec_module(module)
    return module


make_corpus = load_make_corpus()


def squash(text: str) -> str:
    """Text without any whitespace (PDF lines wrap mid-word)."""
    return "".join(text.split())


def policy_files() -> list[Path]:
    """Files the ingest should treat as policies (sidecars, manifest, _src excluded)."""
    found = []
    for path in sorted(CORPUS.rglob("*")):
        rel = path.relative_to(CORPUS)
        if not path.is_file() or any(part[0] in "_." for part in rel.parts):
            continue
        if path.name in NOT_POLICIES or path.name.endswith(".meta.json"):
            continue
        found.append(path)
    return found


def decode_plain(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def html_text(data: bytes) -> str:
    from bs4 import BeautifulSoup

    charset = re.search(rb'<meta[^>]+charset="?([\w-]+)', data, re.I).group(1).decode()
    soup = BeautifulSoup(data.decode(charset), "html.parser")
    for tag in soup(["script", "style"]):
        tag.decompose()
    return soup.get_text("\n")


def pdf_text(path: Path) -> str:
    from pdfminer.high_level import extract_text

    return extract_text(str(path))


def docx_paragraphs(path: Path) -> list[str]:
    import docx

    return [p.text for p in docx.Document(str(path)).paragraphs]


def jsonl_records(path: Path) -> list[dict]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def policy_texts() -> list[tuple[str, str]]:
    """(name, text) for every policy; a .jsonl file gives one per record."""
    texts = []
    for path in policy_files():
        name = str(path.relative_to(CORPUS))
        suffix = path.suffix.lower()
        if suffix == ".jsonl":
            texts += [(f"{name}#{r['id']}", r["text"]) for r in jsonl_records(path)]
        elif suffix == ".pdf":
            texts.append((name, pdf_text(path)))
        elif suffix == ".docx":
            texts.append((name, "\n".join(docx_paragraphs(path))))
        elif suffix == ".html":
            texts.append((name, html_text(path.read_bytes())))
        else:
            texts.append((name, decode_plain(path.read_bytes())))
    return texts


@pytest.fixture(scope="module")
def texts() -> list[tuple[str, str]]:
    return policy_texts()


def targets(kind: str):
    return [t for t in make_corpus.TARGETS if t.kind == kind]


# (a) ------------------------------------------------------------------------

def test_at_least_26_policies_in_every_format(texts):
    assert len(texts) >= 26
    by_suffix: dict[str, int] = {}
    for path in policy_files():
        by_suffix[path.suffix.lower()] = by_suffix.get(path.suffix.lower(), 0) + 1
    for suffix, minimum in {".md": 5, ".txt": 5, ".html": 4, ".pdf": 4, ".docx": 4, ".jsonl": 1, "": 1}.items():
        assert by_suffix.get(suffix, 0) >= minimum, (suffix, by_suffix)
    assert len(jsonl_records(CORPUS / "bulk" / "policies.jsonl")) == 3


def test_levels_have_their_folders():
    for folder in ("central", "shandong", "zaozhuang", "yicheng", "other"):
        assert len([p for p in policy_files() if p.parent.name == folder]) >= 4, folder


# (b) ------------------------------------------------------------------------

def test_every_text_is_marked_as_sample(texts):
    unmarked = [name for name, text in texts if not SAMPLE_MARK.search(text)]
    assert not unmarked


def test_two_documents_are_entirely_traditional(texts):
    traditional = [name for name, text in texts if "關於" in text and "关于" not in text and "复" not in text]
    assert len(traditional) >= 2, traditional


@pytest.mark.parametrize("path", [p for p in policy_files() if p.suffix in (".md", ".txt", "")],
                         ids=lambda p: p.name)
def test_plain_text_length(path):
    text = decode_plain(path.read_bytes())
    assert 300 <= len(squash(text)) <= 1500


def test_encodings_are_as_advertised():
    def head(rel: str) -> bytes:
        return (CORPUS / rel).read_bytes()

    assert head("central/czb-2020-13-zengzhishui.txt").startswith(b"\xef\xbb\xbf")
    assert head("yicheng/yrs-2020-8-rencai.txt").startswith(b"\xff\xfe")
    for rel in ("shandong/lzbf-2020-5-zhongxiao.txt", "yicheng/yzj-2020-5-jianzhu.txt",
                "zaozhuang/zzyq-2020-15-fangkong.html"):
        with pytest.raises(UnicodeDecodeError):
            head(rel).decode("utf-8")
        head(rel).decode("gbk")
    gb18030 = head("zaozhuang/zzwl-2020-6-wenlv.txt")
    with pytest.raises(UnicodeDecodeError):
        gb18030.decode("gbk")
    assert "•" in gb18030.decode("gb18030")
    assert b'<meta charset="gbk">' in head("zaozhuang/zzyq-2020-15-fangkong.html")


# (c) ------------------------------------------------------------------------

def source_lines(target) -> list[str]:
    return make_corpus.read_source(make_corpus.SRC / target.src)


@pytest.mark.parametrize("target", targets("pdf"), ids=lambda t: t.out)
def test_pdf_extracts_title_and_body(target):
    text = pdf_text(CORPUS / target.out)
    assert "(cid:" not in text
    lines = source_lines(target)
    assert squash(lines[0]) in squash(text)
    body = []
    for page in text.split("\f"):
        page_lines = [line for line in page.splitlines() if line.strip()]
        if not page_lines:
            continue
        assert page_lines[0] == target.header
        assert re.fullmatch(r"— \d+ —", page_lines[-1])
        body += page_lines[1:-1]
    assert squash("".join(body)) == squash("".join(lines))


def test_some_pdf_runs_over_two_pages():
    from pdfminer.pdfpage import PDFPage

    pages = []
    for target in targets("pdf"):
        with open(CORPUS / target.out, "rb") as fh:
            pages.append(len(list(PDFPage.get_pages(fh))))
    assert max(pages) >= 2


@pytest.mark.parametrize("target", targets("docx"), ids=lambda t: t.out)
def test_docx_has_title_body_and_separate_header(target):
    import docx

    document = docx.Document(str(CORPUS / target.out))
    paragraphs = [p.text for p in document.paragraphs]
    lines = source_lines(target)
    assert paragraphs[0] == lines[0]
    assert document.core_properties.title == lines[0]
    # body = the source's non-table lines, nothing from header or footer
    assert paragraphs == [line for line in lines if not line.startswith("|")]
    section = document.sections[0]
    assert section.header.paragraphs[0].text == target.header
    assert section.footer.paragraphs[0].text == "— 1 —"


def test_some_docx_has_a_table():
    import docx

    tables = [len(docx.Document(str(CORPUS / t.out)).tables) for t in targets("docx")]
    assert sum(1 for n in tables if n) >= 1


# metadata files ---------------------------------------------------------------

def test_sidecars_describe_existing_files():
    sidecars = sorted(CORPUS.rglob("*.meta.json"))
    assert len(sidecars) >= 3
    for sidecar in sidecars:
        assert sidecar.with_name(sidecar.name[: -len(".meta.json")]).is_file()
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
        assert set(meta) <= POLICY_FIELDS
        assert meta.get("level", "county") in LEVELS


def test_manifest_rows_name_files_of_its_folder():
    manifest = CORPUS / "zaozhuang" / "manifest.csv"
    with open(manifest, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == ["file", "title", "doc_number", "issuer", "written_date",
                                     "publish_date", "level", "region", "topics", "industries"]
        rows = list(reader)
    assert len(rows) >= 2
    for row in rows:
        assert (manifest.parent / row["file"]).is_file()
        assert row["level"] in LEVELS | {""}


def test_bulk_records_have_all_fields():
    for record in jsonl_records(CORPUS / "bulk" / "policies.jsonl"):
        assert {"id", "text"} | POLICY_FIELDS <= set(record)
        assert record["level"] in LEVELS


# (d) ------------------------------------------------------------------------

def test_make_corpus_is_reproducible(tmp_path):
    subprocess.run([sys.executable, str(SCRIPT), str(tmp_path)], check=True, capture_output=True)
    different = [t.out for t in make_corpus.TARGETS
                 if (tmp_path / t.out).read_bytes() != (CORPUS / t.out).read_bytes()]
    assert not different, "regenerate with: python scripts/make_corpus.py"
