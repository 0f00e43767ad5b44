"""Reposts (policy_search/duplicates.py): one notice catalogued under several ids.

Small made-up batches check the groups, the canonical policy, pages, JSON, searches and
removals; ``tests/fixtures/ncp_reposts.tsv`` (pairs of ncp/corpus.tsv read by hand) checks the
detector on real reposts.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer.pipeline import ingest
from policy_search import open_service
from policy_search.cli import main
from policy_search.storage.writer import PolicyWriter

from helpers import shared, write_policy

FIXTURE = Path(__file__).parent / "fixtures" / "ncp_reposts.tsv"

BODY = ("各区县人民政府，市政府各部门：为应对疫情影响，支持中小微企业渡过难关，现提出如下措施。"
        "一、减免房屋租金。对承租国有资产类经营用房的中小微企业，免收2月份租金，减半收取3月份和4月份租金。"
        "二、延期缴纳社会保险费。受疫情影响生产经营出现严重困难的企业，可申请延期缴纳社会保险费，最长不超过6个月。"
        "三、加大稳岗支持力度。对不裁员或少裁员的中小微企业，返还其上年度实际缴纳失业保险费的50%。"
        "四、强化金融支持。鼓励银行业金融机构对受疫情影响较大的企业不抽贷、不断贷、不压贷。"
        "五、降低用电用气成本。对中小微企业生产经营所需的用电、用气、用水，实行“欠费不停供”措施，"
        "疫情结束后三个月内补缴。六、加快政府采购资金支付。对已签订合同的政府采购项目，加快预付款支付。"
        "七、支持企业开展线上招聘。人力资源服务机构免费为企业发布招聘信息，组织网络招聘活动。"
        "八、优化审批服务。企业办理复工手续实行网上办理、容缺受理，压缩办理时限。"
        "九、本措施自印发之日起施行，有效期至2020年12月31日，国家和本市出台相关支持政策的，可按照从优不重复的原则执行。")
ORIGINAL = f"北京市人民政府办公厅关于支持中小微企业的若干措施\n京政办发〔2020〕7号\n{BODY}\n北京市人民政府办公厅\n2020年2月5日"
REPOST = f"关于支持中小微企业的若干措施\n{BODY}\n2020年2月5日"
OTHER = ("枣庄市人民政府关于做好春季农业生产的通知\n枣政发〔2020〕3号\n各区（市）人民政府：做好春耕备耕，"
         "保障农资供应，组织农技人员下乡指导，确保粮食面积稳定。\n枣庄市人民政府\n2020年3月1日")


@pytest.fixture
def batch(tmp_path):
    folder = tmp_path / "docs"
    write_policy(folder, "a_original.txt", ORIGINAL)
    write_policy(folder, "b_repost.txt", REPOST)
    write_policy(folder, "c_other.txt", OTHER)
    data_dir = tmp_path / "data"
    ingest([folder], data_dir)
    return folder, data_dir


def _ids_by_title(data_dir):
    with open_service(data_dir) as service:
        return {p.title: p.id for p in service.list_policies()}


def test_a_repost_groups_with_its_notice_and_the_one_with_a_doc_number_is_canonical(batch):
    _, data_dir = batch
    ids = _ids_by_title(data_dir)
    original = ids["北京市人民政府办公厅关于支持中小微企业的若干措施"]
    repost = next(pid for title, pid in ids.items() if title.startswith("关于支持中小微企业"))
    with open_service(data_dir) as service:
        groups = service.duplicate_groups()
        assert [[m["id"] for m in g["members"]] for g in groups] == [[original, repost]]
        assert 0.9 <= groups[0]["members"][1]["similarity"] < 1.0
        head = service.get(original).to_dict()
        assert [d["id"] for d in head["duplicates"]] == [repost] and head["duplicate_of"] is None
        copy = service.get(repost).to_dict()  # the repost still opens its own page
        assert copy["id"] == repost and copy["duplicates"] == []
        assert copy["duplicate_of"]["id"] == original
        other = service.get(ids[next(t for t in ids if "春季农业" in t)]).to_dict()
        assert other["duplicates"] == [] and other["duplicate_of"] is None


def test_search_shows_one_hit_per_group_and_counts_groups(batch):
    _, data_dir = batch
    with open_service(data_dir) as service:
        for sort in ("relevance", "date"):
            page = service.search("中小微企业 租金", sort=sort)
            assert page.total == 1 and len(page.hits) == 1, sort
            everything = service.search("", sort="date")
            assert everything.total == 2 and len({h.id for h in everything.hits}) == 2


def test_removing_the_canonical_policy_dissolves_the_group(batch, tmp_path):
    _, data_dir = batch
    ids = _ids_by_title(data_dir)
    original = ids["北京市人民政府办公厅关于支持中小微企业的若干措施"]
    with PolicyWriter(data_dir) as writer:
        writer.remove(original)
        writer.commit()
    with open_service(data_dir) as service:
        assert service.duplicate_groups() == []
        assert service.search("中小微企业 租金").total == 1


def test_duplicates_command_and_pages(batch):
    _, data_dir = batch
    runner = CliRunner()
    result = runner.invoke(main, ["--data-dir", str(data_dir), "duplicates", "--json"], catch_exceptions=False)
    data = json.loads(result.output)
    assert data["total"] == 1 and len(data["groups"][0]["members"]) == 2
    assert set(data["groups"][0]["members"][0]) == {"id", "title", "doc_number", "url", "similarity"}
    text = runner.invoke(main, ["--data-dir", str(data_dir), "duplicates"], catch_exceptions=False).output
    assert "-- 1 groups, 2 policies" in text

    from web.app import create_app
    app = create_app({"DATA_DIR": str(data_dir), "TESTING": True})
    client = app.test_client()
    head = data["groups"][0]["canonical"]
    copy = data["groups"][0]["members"][1]["id"]
    page = client.get(f"/p/{head}").get_data(as_text=True)
    assert "其他来源" in page and f"/p/{copy}" in page
    page = client.get(f"/p/{copy}").get_data(as_text=True)
    assert "转载的同一文件" in page and f"/p/{head}" in page
    api = client.get(f"/api/policies/{copy}").get_json()
    assert api["duplicate_of"]["id"] == head


def _judged() -> list[tuple[str, str, str]]:
    lines = [line for line in FIXTURE.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    return [(row[0], row[1], row[3]) for row in csv.reader(lines, delimiter="\t")]


@pytest.fixture(scope="module")
def ncp_data_dir(tmp_path_factory):
    corpus = shared("ncp", "corpus.tsv")
    data_dir = tmp_path_factory.mktemp("ncp-dups")
    ingest([corpus], data_dir)
    return data_dir


def test_the_detector_finds_the_reposts_judged_by_hand_and_no_other(ncp_data_dir):
    judged = _judged()
    assert {verdict for _, _, verdict in judged} == {"same", "different"}
    with open_service(ncp_data_dir) as service:
        canonical = service.catalog.canonical_of()
        found = set(service.catalog.duplicate_pairs())
    for a, b, verdict in judged:
        same_group = a in canonical and canonical.get(a) == canonical.get(b)
        assert same_group == (verdict == "same"), (a, b, verdict)
    assert found <= {(min(a, b), max(a, b)) for a, b, v in judged if v == "same"}


def test_the_beijing_notice_reposted_counts_once(ncp_data_dir):
    with open_service(ncp_data_dir) as service:
        page = service.search("京政办发〔2020〕7号")
        assert page.total == 1
        view = service.get("abceb7e0b5ff39d5abffd68a732145bf").to_dict()
        assert [d["id"] for d in view["duplicates"]] == ["4519298476cf3b7991cc069232a80c03"]
