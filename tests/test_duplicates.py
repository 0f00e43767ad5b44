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
    ids = _ids_by_title(data_dir)
    group = {ids["北京市人民政府办公厅关于支持中小微企业的若干措施"],
             next(pid for title, pid in ids.items() if title.startswith("关于支持中小微企业"))}
    other = ids[next(t for t in ids if "春季农业" in t)]
    with open_service(data_dir) as service:
        for sort in ("relevance", "date"):
            page = service.search("中小微企业 租金", sort=sort)
            assert page.total == 1 and len(page.hits) == 1 and page.hits[0].id in group, sort
            everything = service.search("", sort="date")
            found = [h.id for h in everything.hits]
            assert everything.total == 2 and len(found) == 2 and other in found and len(set(found) & group) == 1


def test_removing_the_canonical_policy_dissolves_the_group(batch, tmp_path):
    _, data_dir = batch
    ids = _ids_by_title(data_dir)
    original = ids["北京市人民政府办公厅关于支持中小微企业的若干措施"]
    with PolicyWriter(data_dir) as writer:
        writer.remove(original)
        writer.commit()
    repost = next(pid for title, pid in ids.items() if title.startswith("关于支持中小微企业"))
    with open_service(data_dir) as service:
        assert service.duplicate_groups() == []
        page = service.search("中小微企业 租金")
        assert page.total == 1 and [h.id for h in page.hits] == [repost]
        assert service.get(repost).to_dict()["duplicate_of"] is None


def test_an_open_service_sees_a_group_made_and_dissolved_after_it_opened(tmp_path):
    """The groups a search collapses on are read again when the catalog changes (a writer's
    commit on another connection), not once per service, nor on every search."""
    folder = tmp_path / "docs"
    write_policy(folder, "a_original.txt", ORIGINAL)
    write_policy(folder, "c_other.txt", OTHER)
    data_dir = tmp_path / "data"
    ingest([folder], data_dir)
    with open_service(data_dir) as service:
        assert service.catalog.canonical_of() == {}
        assert service.search("中小微企业 租金").total == 1
        write_policy(folder, "b_repost.txt", REPOST)
        ingest([folder], data_dir)  # the repost joins the notice, in another connection
        grouped = service.catalog.canonical_of()
        assert len(grouped) == 2 and len(set(grouped.values())) == 1
        assert service.catalog.canonical_of() is grouped  # unchanged catalog: not read again
        page = service.search("中小微企业 租金")
        assert page.total == 1 and len(page.hits) == 1
        with PolicyWriter(data_dir) as writer:
            writer.remove(next(iter(set(grouped.values()))))
            writer.commit()
        assert service.catalog.canonical_of() == {}


def test_duplicates_command_and_pages(batch):
    _, data_dir = batch
    runner = CliRunner()
    result = runner.invoke(main, ["--data-dir", str(data_dir), "duplicates", "--json"], catch_exceptions=False)
    data = json.loads(result.output)
    ids = _ids_by_title(data_dir)
    original = ids["北京市人民政府办公厅关于支持中小微企业的若干措施"]
    repost = next(pid for title, pid in ids.items() if title.startswith("关于支持中小微企业"))
    assert data["total"] == 1 and data["groups"][0]["canonical"] == original
    assert [m["id"] for m in data["groups"][0]["members"]] == [original, repost]
    assert data["groups"][0]["members"][0]["doc_number"] == "京政办发〔2020〕7号"
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
    # every group the README counts: 19 groups, 52 policies; each led by a member with a 文号 when one has
    assert len(set(canonical.values())) == 19 and len(canonical) == 52
    with open_service(ncp_data_dir) as service:
        for head, members in service.catalog.duplicate_groups().items():
            numbered = [pid for pid, _ in members if service.catalog.get_policy(pid).doc_number]
            assert not numbered or head in numbered, (head, numbered)


def test_the_beijing_notice_reposted_counts_once(ncp_data_dir):
    with open_service(ncp_data_dir) as service:
        page = service.search("京政办发〔2020〕7号")
        assert page.total == 1
        assert [h.id for h in page.hits][:1] in (["abceb7e0b5ff39d5abffd68a732145bf"],
                                                  ["4519298476cf3b7991cc069232a80c03"])
        view = service.get("abceb7e0b5ff39d5abffd68a732145bf").to_dict()
        assert [d["id"] for d in view["duplicates"]] == ["4519298476cf3b7991cc069232a80c03"]


# --- versions are not reposts ----------------------------------------------------------------

RULES = ("第一条 为了规范城市绿化管理，改善生态环境，根据有关法律、法规，结合本市实际，制定本条例。\n"
         "第二条 本市行政区域内城市绿化的规划、建设、保护和管理，适用本条例。\n"
         "第三条 市绿化行政主管部门负责全市城市绿化工作，区绿化行政主管部门负责本辖区城市绿化工作。\n"
         "第四条 城市绿化规划应当纳入城市总体规划，公共绿地面积不得低于规划确定的标准。\n"
         "第五条 新建居住区绿地面积不得低于用地总面积的百分之三十，旧城改造区不得低于百分之二十五。\n"
         "第六条 任何单位和个人不得擅自占用城市绿地；因建设确需临时占用的，应当经绿化行政主管部门同意。\n"
         "第七条 砍伐城市树木，应当报绿化行政主管部门批准，并按照规定补植。\n"
         "第八条 古树名木实行统一管理、分别养护，严禁砍伐或者迁移。\n"
         "第九条 违反本条例规定擅自占用城市绿地的，由绿化行政主管部门责令限期退还、恢复原状。\n"
         "第十条 市、区人民政府对中小微企业承租的绿化养护用房，按照下列规定减免租金：\n"
         + BODY + "\n第十一条 本条例自公布之日起施行。\n")
FIRST = f"# 枣庄市城市绿化条例\n\n2015年6月25日 枣庄市人民代表大会常务委员会第二十次会议通过\n\n{RULES}"
AMENDED = (f"# 枣庄市城市绿化条例\n\n2015年6月25日 枣庄市人民代表大会常务委员会第二十次会议通过\n\n"
           f"2021年4月28日 枣庄市人民代表大会常务委员会第三十次会议《关于修改部分地方性法规的决定》修正\n\n"
           + RULES.replace("不得低于百分之二十五", "不得低于百分之三十"))
NOTICE_2020 = f"枣庄市人民政府关于城市绿化管理的通知\n枣政发〔2020〕3号\n{BODY}\n枣庄市人民政府"
NOTICE_2021 = f"枣庄市人民政府关于城市绿化管理的通知\n枣政发〔2021〕5号\n{BODY}\n枣庄市人民政府"


def _ids_by_file(data_dir) -> dict[str, str]:
    with open_service(data_dir) as service:
        return {Path(p.source.path).name: p.id for p in service.list_policies()}


def _groups(data_dir) -> list[tuple[str, set[str]]]:
    """Each group as (canonical id, every member's id)."""
    with open_service(data_dir) as service:
        return [(g["canonical"], {m["id"] for m in g["members"]}) for g in service.duplicate_groups()]


def test_two_versions_of_a_regulation_or_two_numbers_of_a_notice_are_not_reposts(tmp_path):
    from policy_search.duplicates import THRESHOLD, jaccard, shingle_hashes as shingles
    texts = {"a_first.md": FIRST, "b_amended.md": AMENDED, "c_2020.txt": NOTICE_2020, "d_2021.txt": NOTICE_2021,
             "e_original.txt": ORIGINAL, "f_repost.txt": REPOST}
    # the versions are as alike as reposts: only the refusal keeps them apart
    assert jaccard(shingles(FIRST), shingles(AMENDED)) >= THRESHOLD
    assert jaccard(shingles(NOTICE_2020), shingles(NOTICE_2021)) >= THRESHOLD
    folder = tmp_path / "docs"
    for name, text in texts.items():
        write_policy(folder, name, text)
    data_dir = tmp_path / "data"
    ingest([folder], data_dir)
    ids = _ids_by_file(data_dir)
    assert _groups(data_dir) == [(ids["e_original.txt"], {ids["e_original.txt"], ids["f_repost.txt"]})]


def test_a_text_without_its_header_groups_with_its_version_not_with_the_amended_one(tmp_path):
    """A copy without the record of enactment states no date of its own: it is not refused for
    that, but the amendment the later version records is a date it never mentions."""
    bare = "# 枣庄市城市绿化条例\n\n" + RULES
    folder = tmp_path / "docs"
    for name, text in (("a_first.md", FIRST), ("b_amended.md", AMENDED), ("c_bare.md", bare)):
        write_policy(folder, name, text)
    data_dir = tmp_path / "data"
    ingest([folder], data_dir)
    ids = _ids_by_file(data_dir)
    # canonical: no 文号 on either side, so the longer text (the one with its record)
    assert _groups(data_dir) == [(ids["a_first.md"], {ids["a_first.md"], ids["c_bare.md"]})]


def test_a_joint_notice_whose_doc_number_two_sites_read_differently_stays_one(tmp_path):
    """Only the numbers of two 文号 are compared: 财政部公告2020年第6号 and 税务总局公告2020年第6号
    are one joint notice (ncp/corpus.tsv has such a pair)."""
    folder = tmp_path / "docs"
    text = f"财政部 海关总署 税务总局关于进口物资免税的公告\n财政部 海关总署 税务总局公告2020年第6号\n{BODY}"
    write_policy(folder, "a.txt", text)
    write_policy(folder, "b.txt", text.replace("各区县人民政府，", ""))
    for name, number in (("a.txt", "财政部公告2020年第6号"), ("b.txt", "税务总局公告2020年第6号")):
        (folder / f"{name}.meta.json").write_text(json.dumps({"doc_number": number}, ensure_ascii=False),
                                                   encoding="utf-8")
    data_dir = tmp_path / "data"
    ingest([folder], data_dir)
    ids = _ids_by_file(data_dir)
    assert [members for _, members in _groups(data_dir)] == [{ids["a.txt"], ids["b.txt"]}]


def test_pairs_found_under_an_older_rule_are_found_again(tmp_path):
    """A catalog written before the refusals holds two versions as a pair: the next commit drops it."""
    folder = tmp_path / "docs"
    write_policy(folder, "a_first.md", FIRST)
    write_policy(folder, "b_amended.md", AMENDED)
    data_dir = tmp_path / "data"
    ingest([folder], data_dir)
    ids = _ids_by_file(data_dir)
    first, amended = ids["a_first.md"], ids["b_amended.md"]
    with open_service(data_dir) as service:
        with service.catalog.transaction():
            service.catalog.set_duplicate_rule(1)
            service.catalog.put_duplicate_pair(first, amended, 0.95)
            service.catalog.set_duplicate_groups([(first, first, 1.0), (amended, first, 0.95)])
    write_policy(folder, "c_other.txt", OTHER)
    ingest([folder], data_dir)  # touches c_other.txt only
    assert _groups(data_dir) == []


LAW_VERSIONS = {  # versions of one law or regulation, each pair above the threshold
    "社会法/未成年人保护法(2020-10-17).md": "社会法/未成年人保护法(2024-04-26).md",
    "行政法规/计量法实施细则(2018-03-19).md": "行政法规/计量法实施细则(2022-03-29).md",
    "DLC/山东地方法规/地方性法规/山东/莱芜市钢结构建筑应用促进条例.md":
        "DLC/山东地方法规/地方性法规/山东/济南市钢结构建筑应用促进条例(2019-02-12).md",
    "司法解释/最高人民法院关于适用《婚姻法》若干问题的解释（二）(2003-12-25).md":
        "司法解释/最高人民法院关于适用《婚姻法》若干问题的解释（二）的补充规定(2017-02-28).md",
    # the earlier without its record of enactment: the later's amendments are dates it never mentions
    "DLC/上海地方法规/地方性法规/上海/上海市实施《义务教育法》办法(2009-02-24).md":
        "DLC/上海地方法规/地方性法规/上海/上海市实施《义务教育法》办法(2024-09-27).md",
}
LAW_COPIES = {  # one text catalogued twice: reposts
    "行政法/广告法(2021-04-29).md": "经济法/广告法(2021-04-29).md",
    "司法解释/最高人民法院关于审理使用人脸识别技术处理个人信息相关民事案件适用法律若干问题的规定(2021-07-27).md":
        "司法解释/关于审理使用人脸识别技术处理个人信息相关民事案件适用法律若干问题的规定.md",
}


def test_versions_of_real_laws_are_refused_and_copies_of_one_version_kept(tmp_path):
    """Real laws: versions share 94-98 % of their shingles, as reposts do; their records of
    amendment tell them apart. The laws' file of the 2018 个人所得税法实施条例 (its 文号 read as
    国令第142号, the first version's decree, which it cites) and gov.cn's page of 国务院令第707号
    that published it are one text."""
    from policy_search.duplicates import THRESHOLD, jaccard, shingle_hashes as shingles
    laws = shared("laws")
    govcn = shared("govcn", "html", "content_5351177.html")
    folder = tmp_path / "docs"
    folder.mkdir()
    files = {}
    for n, rel in enumerate([*LAW_VERSIONS, *LAW_VERSIONS.values(), *LAW_COPIES, *LAW_COPIES.values(),
                             "行政法规/个人所得税法实施条例(2018-12-18).md"]):
        target = folder / f"{n:02d}{Path(rel).suffix}"
        target.write_bytes((laws / rel).read_bytes())
        files[rel] = target.name
    target = folder / "govcn-707.html"
    target.write_bytes(govcn.read_bytes())
    data_dir = tmp_path / "data"
    report = ingest([folder], data_dir)
    assert not report.failed, report.failed
    ids = _ids_by_file(data_dir)
    pid = {rel: ids[name] for rel, name in files.items()}
    with open_service(data_dir) as service:
        for old, new in LAW_VERSIONS.items():
            a, b = service.catalog.get_policy(pid[old]).text, service.catalog.get_policy(pid[new]).text
            assert jaccard(shingles(a), shingles(b)) >= THRESHOLD, (old, new)
        tax = service.catalog.get_policy(pid["行政法规/个人所得税法实施条例(2018-12-18).md"])
        page = service.catalog.get_policy(ids["govcn-707.html"])
        assert (tax.doc_number, page.doc_number) == ("国令第142号", "国令第707号")
    expected = {frozenset({pid[a], pid[b]}) for a, b in LAW_COPIES.items()}
    expected.add(frozenset({pid["行政法规/个人所得税法实施条例(2018-12-18).md"], ids["govcn-707.html"]}))
    groups = _groups(data_dir)
    assert {frozenset(members) for _, members in groups} == expected
    # canonical: the one with a 文号 (gov.cn's page and the laws file both have one: the longer text)
    heads = {frozenset(members): head for head, members in groups}
    assert heads[frozenset({pid["行政法规/个人所得税法实施条例(2018-12-18).md"], ids["govcn-707.html"]})] in {
        pid["行政法规/个人所得税法实施条例(2018-12-18).md"], ids["govcn-707.html"]}


def test_the_ncp_groups_are_those_checked_by_hand(ncp_data_dir):
    """``tests/fixtures/repost_groups_checked.tsv``: the groups of the real data read by hand
    (bench/repost_sample.py). Its ncp rows are exactly the groups of ncp/corpus.tsv alone, with the
    same canonical policy."""
    path = Path(__file__).parent / "fixtures" / "repost_groups_checked.tsv"
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    assert all(row[3] in {"same", "different"} and row[4] for row in rows)
    checked = {row[0]: row[1].split(",") for row in rows if row[2] == "ncp" and row[3] == "same"}
    with open_service(ncp_data_dir) as service:
        found = {head: [pid for pid, _ in members] for head, members in service.catalog.duplicate_groups().items()}
    assert {head: set(ids) for head, ids in found.items()} == {head: set(ids) for head, ids in checked.items()}
