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


# --- titles of pages saved from government sites: the 599 ncp documents (bulk TSV rows,
# title first, spaces for line breaks). Some start with the site's name and section labels
# (山东省人民政府 政策文件 …) or with their issuers' names alone.

#: The two Shandong documents saved with the site's header: the measures' 通知, and an
#: interpretation (部门解读) of the measures.
SHANDONG_NOTICE = "37dd65b1c0393982a572cbae7058dc46"
SHANDONG_INTERPRETATION = "c430472ef62538a29db9c5e94b249140"


def starts_with_furniture(title: str) -> bool:
    """Whether a title starts with site furniture: a section label, or a site's or
    institution's name followed by one (spaced, or glued on as in 某某税务局通知公告)."""
    from indexer.furniture import cut_section_label, is_only_a_name, rules, strip_site_head

    if strip_site_head(title.split())[1] or cut_section_label(title) is not None:
        return True
    return any(title.endswith(label) and is_only_a_name(title[:-len(label)]) for label in rules().sections)


def title_is_furniture(title: str) -> bool:
    from indexer.furniture import is_only_a_name

    return is_only_a_name(title) or starts_with_furniture(title)


@pytest.fixture(scope="module")
def ncp_titles(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("ncp-var")
    report = ingest([shared("ncp", "corpus.tsv")], data_dir)
    assert report.failed == []
    with open_service(data_dir) as service:
        return {p.id: p.title for p in service.list_policies()}


def test_no_ncp_title_is_a_sites_or_an_institutions_name(ncp_titles):
    assert len(ncp_titles) == 599
    furniture = {pid: title for pid, title in ncp_titles.items() if title_is_furniture(title)}
    assert furniture == {}, f"{len(furniture)} titles are site furniture or names alone"


def test_the_shandong_pair_is_titled_by_its_own_headings(ncp_titles):
    assert ncp_titles[SHANDONG_NOTICE] == \
        "山东省人民政府办公厅印发关于积极应对新冠肺炎疫情加快恢复农业生产确保重要农产品稳产保供的若干措施的通知"
    assert ncp_titles[SHANDONG_INTERPRETATION] == \
        "《关于积极应对新冠肺炎疫情加快恢复农业生产确保重要农产品稳产保供的若干措施》"


def test_the_title_guard_tells_names_from_titles():
    """The check above can fail: the titles these documents had before it are caught, and
    headlines that merely end like an institution are not."""
    names = ["山东省人民政府", "铜川市人民政府", "国家发展改革委", "人力资源社会保障部", "北京市财政局",
             "福建省人力资源和社会保障厅", "甘肃省医疗保障局", "国家税务总局南阳市税务局",
             "国家税务总局辽宁省税务局", "国家税务总局山东省税务局通知公告", "政策解读", "部门解读｜《关于…的措施》"]
    assert [t for t in names if not title_is_furniture(t)] == []
    headlines = ["湖北将再建一所应急后备医院", "新闻办就湖北组织开展疫情防控和医疗救治工作情况举行发布会",
                 "广西应对疫情加紧建设自治区级定点收治医院", "国家税务总局发布", "稳住经济大局",
                 "某某区人民政府2019年政府信息公开工作年度报告"]
    assert [t for t in headlines if title_is_furniture(t)] == []
