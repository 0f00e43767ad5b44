"""Encodings and content-based format detection."""
import codecs
import zipfile

import pytest

from indexer.sniff import sniff_format
from indexer.textcodec import decode_text
from policy_search.errors import EncryptedDocumentError, UnsupportedFormatError

TEXT = "关于支持小微企业复工复产的若干措施（示例）\n一、对小微企业减免房租三个月。\n二、稳岗返还政策延续实施。"


@pytest.mark.parametrize("encoding,prefix", [
    ("utf-8", b""),
    ("utf-8", codecs.BOM_UTF8),
    ("utf-16-le", codecs.BOM_UTF16_LE),
    ("utf-16-be", codecs.BOM_UTF16_BE),
    ("gbk", b""),
    ("gb18030", b""),
])
def test_chinese_text_decodes_in_every_common_encoding(encoding, prefix):
    assert decode_text(prefix + TEXT.encode(encoding)) == TEXT


def test_short_gbk_is_not_mistaken_for_big5():
    assert decode_text("示例".encode("gbk")) == "示例"


def test_declared_charset_wins_when_it_decodes():
    assert decode_text(TEXT.encode("gbk"), declared="gb2312") == TEXT


@pytest.mark.parametrize("content,name,expected", [
    (b"%PDF-1.7\n...", "noext", "pdf"),
    (b"<!DOCTYPE html><html><body>x</body></html>", "page.txt", "html"),
    ("<html lang='zh-CN'><p>通知</p></html>".encode("gbk"), "page", "html"),
    ("# 标题\n正文".encode(), "notes", "md"),
    ("正文".encode(), "notes.md", "md"),
    ("普通文本".encode("gbk"), "plain", "txt"),
    (b"docid\ttext\n1\tabc\n", "rows.txt", "tsv"),
    (b'{"text": "abc"}\n', "rows", "jsonl"),
    (codecs.BOM_UTF16_LE + "<html><body>通知</body></html>".encode("utf-16-le"), "u16.htm", "html"),
])
def test_format_comes_from_content(tmp_path, content, name, expected):
    path = tmp_path / name
    path.write_bytes(content)
    assert sniff_format(path) == expected


def test_docx_detected_without_extension(tmp_path):
    path = tmp_path / "word-file"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    assert sniff_format(path) == "docx"


@pytest.mark.parametrize("content,error", [
    (b"PK\x03\x04" + b"\x00" * 50, UnsupportedFormatError),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 50, EncryptedDocumentError),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, UnsupportedFormatError),
    (bytes(range(256)) * 4, UnsupportedFormatError),
])
def test_unreadable_content_is_refused_with_a_reason(tmp_path, content, error):
    path = tmp_path / "file.pdf"
    path.write_bytes(content)
    with pytest.raises(error) as info:
        sniff_format(path)
    assert str(info.value)


def test_zip_that_is_not_word_is_named_as_such(tmp_path):
    path = tmp_path / "a.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(UnsupportedFormatError, match="not a Word"):
        sniff_format(path)
