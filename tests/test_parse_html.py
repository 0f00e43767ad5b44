"""HTML parser: decoding, main-text selection, 信息表, hostile markup, real gov.cn pages."""
from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from indexer.extract import extract_metadata
from indexer.parsers.base import RawDocument
from indexer.parsers.html import parse, parse_bytes
from policy_search.text.dates import parse_chinese_date
from policy_search.text.docnumber import normalize_doc_number
from policy_search.errors import (
    DocumentError,
    EmptyDocumentError,
    FileTooLargeError,
    UnsupportedFormatError,
)

from helpers import SHARED_DATA

DATA = SHARED_DATA
GOVCN = DATA / "govcn"
#: gov.cn states 2004-04-17 as 成文日期, the page's own signature reads 二〇〇四年四月二十七日.
SIGNATURE_DISAGREES_WITH_GOVCN = {"html/content_5351624.html"}
#: Page furniture of gov.cn (and script) that must never reach the body text.
GARBAGE = ("var ", "function(", "function (", "扫一扫", "索引号", "主题分类", "发文字号", "主 题 词",
           "【我要纠错】", "打印本页", "关闭窗口", "AddFavorite", "javascript", "<", "&nbsp;")

PARAGRAPHS = "".join(f"<p>　　第{i}条 为了规范政府信息公开工作，保障公民依法获取政府信息。</p>" for i in range(1, 30))


def page(body: str, head: str = '<meta charset="utf-8">') -> bytes:
    return f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>".encode()


def write(tmp_path: Path, data: bytes, name: str = "page.html") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --- decoding


def test_gbk_declared_in_meta_charset(tmp_path):
    html = '<html><head><meta charset="gb2312"><title>通知</title></head><body><p>关于做好复工复产工作的通知</p></body></html>'
    doc = parse(write(tmp_path, html.encode("gbk")))
    assert doc.text == "关于做好复工复产工作的通知"
    assert doc.format == "html" and doc.source_path == tmp_path / "page.html"


def test_gb2312_label_decoded_as_gb18030_superset():
    # 镕 is GBK-only, 㐀 needs GB18030's four-byte codes: a "gb2312" page may hold both.
    html = ('<meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
            '<p>朱镕基同志 㐀 的讲话</p>')
    assert parse_bytes(html.encode("gb18030")).text == "朱镕基同志 㐀 的讲话"


def test_bom_wins(tmp_path):
    html = '<meta charset="gbk"><p>国务院办公厅</p>'
    assert parse_bytes(b"\xef\xbb\xbf" + html.encode("utf-8")).text == "国务院办公厅"
    assert parse_bytes(html.encode("utf-16")).text == "国务院办公厅"  # with BOM


def test_undeclared_gbk_is_detected():
    html = "<html><body>" + PARAGRAPHS + "</body></html>"
    doc = parse_bytes(html.encode("gbk"))
    assert "第1条 为了规范政府信息公开工作，保障公民依法获取政府信息。" in doc.text.splitlines()


def test_wrongly_declared_utf8_falls_back_to_detection():
    html = '<html><head><meta charset="utf-8"></head><body>' + PARAGRAPHS + "</body></html>"
    doc = parse_bytes(html.encode("gb18030"))
    assert "保障公民依法获取政府信息" in doc.text
    assert doc.warnings  # the mismatch is reported


# --- main text and structure


def test_block_structure_and_whitespace():
    body = ("<div><p>&nbsp;&nbsp;　　第一段<b>加粗</b>文字</p><p></p><p><br> </p>"
            "<p>第二段<br>换行后</p><ul><li>一</li><li>二</li></ul>"
            "<table><tr><td>姓名</td><td>职务</td></tr></table><h2>标 题</h2>尾巴</div>")
    assert parse_bytes(page(body)).text.split("\n") == [
        "第一段加粗文字", "第二段", "换行后", "一", "二", "姓名 职务", "标 题", "尾巴"]


def test_navigation_footer_share_and_scripts_dropped():
    body = ("<header><a href='/'>首页</a><a href='/a'>机构</a></header>"
            "<nav><ul><li><a href='/'>首页</a></li><li>政务公开</li></ul></nav>"
            "<div class='breadcrumb'>当前位置：首页 &gt; 政策</div>"
            "<div id='main'><article><h1>关于印发某某办法的通知</h1>" + PARAGRAPHS + "</article>"
            "<div class='share-bar'>分享到：微信 微博</div></div>"
            "<aside>相关阅读</aside><script>var x = function(){};</script><style>p{}</style>"
            "<footer>版权所有 网站地图</footer><div id='copyright'>主办单位</div>")
    text = parse_bytes(page(body)).text
    assert text.startswith("关于印发某某办法的通知\n第1条")
    for junk in ("首页", "当前位置", "分享到", "相关阅读", "var x", "版权所有", "主办单位", "政务公开"):
        assert junk not in text


def test_link_lists_dropped_without_known_container():
    links = "".join(f"<li><a href='/n{i}'>其他新闻标题第{i}条</a></li>" for i in range(8))
    body = f"<div class='list'><ul>{links}</ul></div><div>{PARAGRAPHS}</div>"
    text = parse_bytes(page(body)).text
    assert "其他新闻标题" not in text and "第29条" in text


def test_whole_page_form_is_not_dropped():
    # ASP.NET sites wrap the whole page in a <form>: it holds the text, so it stays.
    body = f"<form id='form1'><div class='nav'><a href='/'>首页</a></div><div>{PARAGRAPHS}</div></form>"
    text = parse_bytes(page(body)).text
    assert "第1条" in text and "首页" not in text


def test_known_container_preferred_and_outside_h1_kept():
    body = ("<div class='header'><h1>中国政府网</h1></div>"
            "<div class='article'><h1>国务院关于印发某某方案的通知</h1><div class='pages-date'>2019-01-24 来源：</div>"
            f"<div class='pages_content'>{PARAGRAPHS}</div></div><div>相关稿件 其他</div>")
    doc = parse_bytes(page(body, '<meta charset="utf-8"><title>国务院关于印发某某方案的通知_政府信息公开专栏</title>'))
    assert doc.text.split("\n")[:2] == ["国务院关于印发某某方案的通知", "第1条 为了规范政府信息公开工作，保障公民依法获取政府信息。"]
    assert "中国政府网" not in doc.text and "相关稿件" not in doc.text
    assert doc.metadata["title"] == "国务院关于印发某某方案的通知"


def test_container_id_any_case_and_title_block_with_br():
    body = ("<div class='top-bar'><span>欢迎访问示例网站</span><a href='/a'>无障碍</a></div>"
            "<div class='location'>您当前的位置：首页 &gt; 政府文件</div>"
            "<div class='article-title'>山东省人民政府<br>关于持续优化营商环境的若干措施</div>"
            "<div class='info'><span>发布时间：2020-04-15 09:30</span><span>来源：省政府办公厅</span></div>"
            f"<div id='Zoom'>{PARAGRAPHS}</div><div class='btns'><a>【打印本页】</a><a>【关闭窗口】</a></div>")
    head = '<meta charset="utf-8"><title>山东省人民政府关于持续优化营商环境的若干措施 - 示例省政府门户网站</title>'
    doc = parse_bytes(page(body, head))
    assert doc.text.split("\n")[:3] == ["山东省人民政府", "关于持续优化营商环境的若干措施",
                                        "第1条 为了规范政府信息公开工作，保障公民依法获取政府信息。"]
    assert doc.metadata["publish_date"] == "2020-04-15"
    assert extract_metadata(doc)["issuer"] == "山东省人民政府"


def test_generic_page_furniture_dropped_by_text():
    body = ("<div class='top'><span>欢迎访问示例网站</span><a href='/a'>无障碍</a></div>"
            "<div class='where'>当前位置：<a href='/'>首页</a> &gt;&gt; 通知公告</div>"
            "<div class='box'><h2>关于做好春耕生产工作的通知</h2>"
            "<div class='meta'><span>发布时间：2020-02-12 09:30</span><span>浏览次数：1024</span></div>"
            f"<div class='text'>{PARAGRAPHS}</div><div><a>【打印本页】</a> <a>【关闭窗口】</a></div></div>")
    doc = parse_bytes(page(body))
    lines = doc.text.split("\n")
    assert lines[0] == "关于做好春耕生产工作的通知" and lines[1].startswith("第1条")
    assert lines[-1].startswith("第29条")
    assert doc.metadata["publish_date"] == "2020-02-12"


def test_head_hints():
    head = ('<meta charset="utf-8"><title>标题_某某市人民政府</title>'
            '<meta name="ArticleTitle" content="关于某事的通知"><meta name="PubDate" content="2020-02-05 10:00">')
    doc = parse_bytes(page("<p>正文内容</p>", head))
    assert doc.metadata == {"title": "关于某事的通知", "publish_date": "2020-02-05 10:00"}
    doc = parse_bytes(page("<p>正文内容</p>", '<meta charset="utf-8"><title>关于某事的通知 - 某某市人民政府网</title>'))
    assert doc.metadata["title"] == "关于某事的通知"
    # a bare site name is no document title; a headline the body repeats is
    doc = parse_bytes(page("<p>正文内容</p>", '<meta charset="utf-8"><title>某某市人民政府门户网站</title>'))
    assert "title" not in doc.metadata
    doc = parse_bytes(page("<h1>天津推出金融服务助企业复工</h1><p>正文内容</p>",
                           '<meta charset="utf-8"><title>天津推出金融服务助企业复工_某某网</title>'))
    assert doc.metadata["title"] == "天津推出金融服务助企业复工"



def test_page_saved_with_its_sites_header_is_titled_by_the_document():
    """A page whose <title> is only the site's name and whose text starts with the site's
    name and a section label: the document's own heading is the title."""
    head = '<meta charset="utf-8"><title>某某省人民政府</title>'
    body = ("<div class='logo'>某某省人民政府</div><div class='lanmu'>政策文件</div>"
            "<div class='box'><p>某某省人民政府办公厅关于支持春季农业生产的通知</p>"
            f"<div>{PARAGRAPHS}</div></div>")
    doc = parse_bytes(page(body, head))
    assert doc.text.startswith("某某省人民政府\n政策文件\n")
    assert "title" not in doc.metadata  # a site's name is no title, even when the page repeats it
    assert extract_metadata(doc)["title"] == "某某省人民政府办公厅关于支持春季农业生产的通知"


def test_interpretation_page_is_titled_by_the_quoted_document():
    quoted = "《关于加快恢复农业生产确保农产品供应的若干措施》"
    head = f'<meta charset="utf-8"><title>部门解读｜{quoted}_政策解读_某某省人民政府</title>'
    body = (f"<div>某某省人民政府</div><div>政策解读</div><h1>部门解读｜{quoted}</h1>"
            f"<div>{PARAGRAPHS}</div>")
    doc = parse_bytes(page(body, head))
    assert doc.metadata["title"] == quoted
    # the text alone says the same: the section labels and the site's name are skipped
    assert extract_metadata(RawDocument(text=doc.text, format="html"))["title"] == quoted


def test_info_table_read_and_removed():
    table = ("<table><tr><td><b>索 引 号：</b></td><td>000014349/2020-00001</td>"
             "<td><b>主题分类：</b></td><td>劳动、人事、监察\\就业</td></tr>"
             "<tr><td>发文机关:</td><td>国务院办公厅</td><td>成文日期：</td><td>2020年02月05日</td></tr>"
             "<tr><td>标　　题：</td><td colspan=3>国务院办公厅关于某事的通知</td></tr>"
             "<tr><td>发文字号：</td><td>国办发〔2020〕6号</td><td>发布日期：</td><td>2020年02月06日</td></tr></table>")
    doc = parse_bytes(page(table + f"<div>{PARAGRAPHS}</div>"))
    assert doc.metadata == {
        "index_number": "000014349/2020-00001", "subject": "劳动、人事、监察\\就业", "issuer": "国务院办公厅",
        "written_date": "2020年02月05日", "title": "国务院办公厅关于某事的通知", "doc_number": "国办发〔2020〕6号",
        "publish_date": "2020年02月06日"}
    assert "索引号" not in doc.text and "000014349" not in doc.text and "国办发" not in doc.text


def test_inline_info_cells_and_body_table_with_one_label_untouched():
    inline = "<table><tr><td>发文字号：京政发〔2020〕3号</td><td>成文日期：2020-03-05</td></tr></table>"
    doc = parse_bytes(page(inline + "<p>正文</p>"))
    assert doc.metadata["doc_number"] == "京政发〔2020〕3号" and doc.text == "正文"
    body_table = "<table><tr><td>标题</td><td>内容</td></tr><tr><td>甲</td><td>乙</td></tr></table>"
    assert parse_bytes(page(body_table)).text == "标题 内容\n甲 乙"


# --- hostile or empty input


def test_deep_nesting_finishes_with_document_error_at_most():
    html = "<html><body>" + "<div>" * 100_000 + "深层文字" + "</div>" * 100_000 + "</body></html>"
    start = time.monotonic()
    try:
        doc = parse_bytes(html.encode())
    except DocumentError as exc:
        assert "nested" in str(exc)
    else:
        assert "深层文字" in doc.text
    assert time.monotonic() - start < 10


def test_moderate_nesting_is_read():
    html = "<html><body>" + "<div>" * 1500 + "深层文字" + "</div>" * 1500 + "</body></html>"
    assert parse_bytes(html.encode()).text == "深层文字"


def test_external_entities_not_expanded(tmp_path):
    secret = write(tmp_path, b"TOP-SECRET-CONTENT", "secret.txt")
    html = (f'<?xml version="1.0"?><!DOCTYPE html [<!ENTITY xxe SYSTEM "file://{secret}">]>'
            "<html><body><p>正文&xxe;结束</p></body></html>")
    assert "TOP-SECRET" not in parse_bytes(html.encode()).text


@pytest.mark.parametrize("data", [b"", b"   \n", page(""), page("<script>var a=1;</script><style>p{}</style>"),
                                  page("<nav>首页</nav>")])
def test_empty_pages(data):
    with pytest.raises(EmptyDocumentError):
        parse_bytes(data)


def test_binary_file_refused():
    with pytest.raises(UnsupportedFormatError):
        parse_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj")


def test_missing_file_is_document_error(tmp_path):
    with pytest.raises(DocumentError):
        parse(tmp_path / "missing.html")


def test_too_large_refused(monkeypatch, tmp_path):
    import indexer.parsers.html as html_parser
    monkeypatch.setattr(html_parser, "MAX_FILE_BYTES", 10)
    with pytest.raises(FileTooLargeError):
        parse(write(tmp_path, page("<p>正文内容正文内容</p>")))


# --- real gov.cn pages


def _govcn_rows() -> list[dict]:
    path = GOVCN / "policies.jsonl"
    if not path.exists():
        pytest.skip(f"real data not available: {path} (expected beside the project in ../shared/data)")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _govcn_ids() -> list[str]:
    path = GOVCN / "policies.jsonl"
    if not path.exists():
        return ["missing"]
    return [json.loads(line)["html_file"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def govcn_rows():
    return {row["html_file"]: row for row in _govcn_rows()}


def _expected(row: dict) -> dict:
    return {
        "title": row["title"],
        "doc_number": normalize_doc_number(row["release_number"]),
        "issuer": row["release_office"],
        "written_date": parse_chinese_date(row["written_date"]),
        "publish_date": parse_chinese_date(row["publish_date"]),
    }


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("html_file", _govcn_ids())
def test_govcn_page(govcn_rows, html_file):
    row = govcn_rows[html_file]
    doc = parse(GOVCN / html_file)
    assert extract_metadata(doc) == _expected(row)
    assert doc.metadata["index_number"] == row["index_number"]
    assert doc.metadata["subject"] == row["topic"]
    body, reference = _squash(doc.text), _squash(row["text"])
    assert reference in body and len(reference) >= 0.9 * len(body)
    for junk in GARBAGE:
        assert junk not in doc.text, junk
    assert "" not in doc.text.split("\n")


@pytest.mark.parametrize("html_file", _govcn_ids())
def test_govcn_page_text_alone(govcn_rows, html_file):
    """Without the 信息表 the text itself must give title, 文号, issuer and 成文日期."""
    row = govcn_rows[html_file]
    doc = parse(GOVCN / html_file)
    meta = extract_metadata(RawDocument(text=doc.text, format="html"))
    expected = _expected(row)
    for key in ("title", "doc_number", "issuer"):
        assert meta[key] == expected[key], key
    if html_file not in SIGNATURE_DISAGREES_WITH_GOVCN:
        assert meta["written_date"] == expected["written_date"]
    assert meta["publish_date"] is None  # not stated in the body


@pytest.mark.parametrize("html_file", _govcn_ids()[:10])
def test_govcn_page_without_known_container(govcn_rows, html_file):
    """The generic fallback (no UCAP-CONTENT) still yields the body and nothing else."""
    row = govcn_rows[html_file]
    data = (GOVCN / html_file).read_bytes().replace(b'id="UCAP-CONTENT"', b"").replace(b'class="b12c"', b"")
    doc = parse_bytes(data)
    assert _squash(doc.text) == _squash(row["text"])
    assert doc.metadata["doc_number"] == row["release_number"]
