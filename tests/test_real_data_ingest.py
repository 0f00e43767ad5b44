"""The whole pipeline over the real shared documents: every file ingests, metadata comes out right."""
import hashlib
import json

import pytest

from indexer.pipeline import ingest
from policy_search import open_service
from policy_search.text.dates import parse_chinese_date

from helpers import shared


@pytest.fixture(scope="module")
def real_batch(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("real-var")
    folders = [shared("pdf"), shared("docx"), shared("govcn", "html")]
    report = ingest(folders, data_dir)
    return report, data_dir


def test_every_real_pdf_docx_and_page_ingests(real_batch):
    report, _ = real_batch
    assert report.failed == []
    assert report.files == 10 + 96 * 2 + 40


def test_each_document_is_one_policy(real_batch):
    """A .docx and its .txt twin are one policy; so are two cities' identical reports."""
    _, data_dir = real_batch
    distinct_reports = {hashlib.sha256(p.read_bytes()).hexdigest() for p in shared("docx").glob("*.txt")}
    with open_service(data_dir) as service:
        formats = service.stats()["formats"]
    assert formats.get("pdf") == 10 and formats.get("html") == 40
    assert formats.get("docx", 0) + formats.get("txt", 0) == len(distinct_reports)


def test_govcn_pages_keep_their_official_metadata(real_batch):
    _, data_dir = real_batch
    truth = [json.loads(line) for line in shared("govcn", "policies.jsonl").read_text(encoding="utf-8").splitlines()]
    with open_service(data_dir) as service:
        by_number = {p.doc_number: p for p in service.list_policies() if p.source.format == "html"}
    for page in truth:
        policy = by_number[page["release_number"]]
        assert policy.title == page["title"]
        assert policy.issuer == page["release_office"]
        assert policy.publish_date == parse_chinese_date(page["publish_date"])
        assert policy.provenance["title"] == "given"  # from the page's 信息表
