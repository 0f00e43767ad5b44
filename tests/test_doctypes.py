"""Document types (政策文件, 政策解读, 新闻动态, other) on real documents and as staff give them.

``tests/fixtures/ncp_types.tsv`` is a sample of 60 documents of ``ncp/corpus.tsv`` labelled by
hand before the rules were written (how it was drawn: ``ncp_types.README.md``).
"""
from __future__ import annotations

import collections
import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer.build import build_policy
from indexer.classify import retag
from indexer.doctype import infer_type
from indexer.parsers.bulk import read_tsv
from indexer.pipeline import ingest
from policy_search import open_service
from policy_search.cli import main
from policy_search.models import SourceFile

from helpers import shared, write_policy

FIXTURES = Path(__file__).parent / "fixtures"


def _labels() -> dict[str, dict]:
    with open(FIXTURES / "ncp_types.tsv", encoding="utf-8", newline="") as handle:
        return {row["docid"]: row for row in csv.DictReader(handle, delimiter="\t")}


@pytest.fixture(scope="module")
def ncp_policies() -> dict:
    """Every policy of ncp/corpus.tsv as the ingest builds it (no index), by docid."""
    out = {}
    for record in read_tsv(shared("ncp", "corpus.tsv")):
        if record.document is not None:
            policy, _ = build_policy(record.document, {}, SourceFile(format="tsv"))
            out[policy.id] = policy
    return out


@pytest.fixture(scope="module")
def ncp_data_dir(tmp_path_factory) -> Path:
    data_dir = tmp_path_factory.mktemp("ncp") / "var"
    report = ingest([shared("ncp", "corpus.tsv")], data_dir)
    assert not report.failed
    return data_dir


def test_the_labelled_sample_is_what_its_readme_says():
    labels = _labels()
    assert len(labels) == 60 and set(r["type"] for r in labels.values()) <= {"policy", "interpretation", "news",
                                                                          "other"}


def test_types_are_precise_on_the_labelled_sample(ncp_policies):
    labels = _labels()
    predicted = {docid: ncp_policies[docid].type for docid in labels}
    correct = sum(predicted[d] == labels[d]["type"] for d in labels)
    assert correct / len(labels) >= 0.9, [(labels[d]["title"], labels[d]["type"], predicted[d])
                                          for d in labels if predicted[d] != labels[d]["type"]]
    called = [d for d in labels if predicted[d] == "interpretation"]
    right = [d for d in called if labels[d]["type"] == "interpretation"]
    assert called and len(right) / len(called) >= 0.95
    # and better than calling everything the commonest type
    commonest = collections.Counter(r["type"] for r in labels.values()).most_common(1)[0][1]
    assert correct > commonest


def test_no_document_of_the_corpus_is_called_an_interpretation_that_is_not_one(ncp_policies):
    """Over the whole corpus, every document typed interpretation is among the interpretations
    found by hand (``ncp_interpretation_pairs.tsv`` lists every one)."""
    with open(FIXTURES / "ncp_interpretation_pairs.tsv", encoding="utf-8", newline="") as handle:
        known = {row["interpretation_docid"] for row in csv.DictReader(handle, delimiter="\t")}
    called = {docid for docid, p in ncp_policies.items() if p.type == "interpretation"}
    assert called and called <= known, [ncp_policies[d].title for d in called - known]


def test_the_project_corpus_is_all_policies(corpus_service):
    assert corpus_service.search("", limit=1).facets["type"] == {"policy": 30}


@pytest.mark.parametrize("title,head,expected", [
    ("关于印发《稳岗返还办法》的通知", "各县区人力资源社会保障局：现将办法印发给你们。", "policy"),
    ("某某市人民政府办公室关于做好复工复产工作的意见", "为做好复工复产工作，提出如下意见。", "policy"),
    ("《关于支持中小企业的若干措施》政策解读", "近日，市政府办公室印发了《若干措施》。", "interpretation"),
    ("一图读懂稳岗返还", "一、谁能申请", "interpretation"),
    ("减免房租政策问答", "《关于减免国有房屋租金的通知》（某政办发〔2020〕3号）出台后，企业关心……", "interpretation"),
    ("图书馆闭馆期间常见问题解答", "一、何时开馆？", "other"),
    ("法律知识问答", "《传染病防治法》规定……", "other"),
    ("我市出台十条措施助力企业复工", "本报讯（记者 王某）日前，我市出台……", "news"),
    ("市长到企业调研复工复产", "2月21日上午，市长前往开发区……", "news"),
])
def test_the_rules(title, head, expected):
    assert infer_type(title, f"{title}\n{head}") == expected


def test_a_given_type_wins_and_retag_keeps_it(tmp_path):
    folder = tmp_path / "docs"
    path = write_policy(folder, "a.txt", "某市出台十条措施助力企业复工\n本报讯 日前，我市出台……")
    (folder / "a.txt.meta.json").write_text(json.dumps({"type": "政策文件"}, ensure_ascii=False), encoding="utf-8")
    write_policy(folder, "b.txt", "某市出台十条措施助力商户复工\n本报讯 日前，我市出台……")
    report = ingest([folder], tmp_path / "var")
    assert not report.failed and path.exists()
    with open_service(tmp_path / "var") as service:
        given, inferred = (service.search(word, limit=1).hits[0] for word in ("企业", "商户"))
        assert (given.type, inferred.type) == ("policy", "news")
        policy = service.get(given.id).policy
        assert policy.provenance["type"] == "given" and retag(policy).type == "policy"
        assert service.get(inferred.id).policy.provenance["type"] == "inferred"


def test_an_unknown_given_type_is_a_warning_and_the_inferred_one_stays(tmp_path):
    folder = tmp_path / "docs"
    write_policy(folder, "a.txt", "关于做好春耕的通知\n各乡镇：做好春耕。")
    (folder / "a.txt.meta.json").write_text(json.dumps({"type": "小道消息"}, ensure_ascii=False), encoding="utf-8")
    report = ingest([folder], tmp_path / "var")
    assert any("小道消息" in w["warning"] for w in report.warnings)
    with open_service(tmp_path / "var") as service:
        assert service.search("春耕", limit=1).hits[0].type == "policy"


def test_the_type_filter_and_facet_on_real_documents(ncp_data_dir):
    with open_service(ncp_data_dir) as service:
        every = service.search("", limit=1)
        assert set(every.facets["type"]) == {"policy", "interpretation", "news", "other"}
        only = service.search("", limit=50, type="interpretation")
        assert only.total == every.facets["type"]["interpretation"] and all(h.type == "interpretation"
                                                                           for h in only.hits)
    result = CliRunner().invoke(main, ["--data-dir", str(ncp_data_dir), "search", "--json", "--type", "news",
                                       "复工"])
    assert result.exit_code == 0 and {h["type"] for h in json.loads(result.output)["hits"]} == {"news"}


def test_match_and_the_booklet_list_policies_only_unless_asked(ncp_data_dir, tmp_path):
    runner = CliRunner()
    found = json.loads(runner.invoke(main, ["--data-dir", str(ncp_data_dir), "match", "--region", "北京市",
                                            "--json"]).output)
    listed = [h for hits in found["groups"].values() for h in hits]
    assert listed and {h["type"] for h in listed} == {"policy"}
    every = json.loads(runner.invoke(main, ["--data-dir", str(ncp_data_dir), "match", "--region", "北京市",
                                            "--type", "all", "--json"]).output)
    assert {h["type"] for hits in every["groups"].values() for h in hits} > {"policy"}
    out = tmp_path / "book.html"
    done = runner.invoke(main, ["--data-dir", str(ncp_data_dir), "booklet", "-o", str(out),
                                "--base-url", "https://zc.example.cn"])
    assert done.exit_code == 0, done.output
    html = out.read_text(encoding="utf-8")
    with open_service(ncp_data_dir) as service:
        for doc_type in ("interpretation", "news", "other"):
            others = [h.id for page in (1, 2, 3, 4, 5, 6, 7, 8)
                      for h in service.search("", limit=50, page=page, type=doc_type).hits]
            assert others and not any(f"/p/{pid}" in html for pid in others), doc_type
        policies = service.search("", limit=1, type="policy").total
    assert f"{policies} " in done.output  # "Wrote …: N policies."


def test_laws_and_regulations_are_policies():
    """The local regulations of laws/DLC (条例, 规定, 办法 …) and the national laws (…法) are
    policies, though they have no 文号 and no salutation."""
    files = sorted(shared("laws", "DLC").rglob("*.md"))[::5] + sorted(shared("laws").glob("*/*法(*.md"))
    typed = collections.Counter()
    for path in files:
        text = path.read_text(encoding="utf-8")
        typed[infer_type(text.split("\n", 1)[0].lstrip("# ").strip(), text)] += 1
    assert sum(typed.values()) > 400 and typed["policy"] / sum(typed.values()) >= 0.99, typed


def test_a_text_whose_title_comes_after_its_addressees_is_still_a_policy():
    text = "某市税务局 各区县税务局，局内各单位：为落实减税降费政策，现就有关事项通知如下。"
    assert infer_type("为落实减税降费政策，现就有关事项通知如下", text) == "policy"


def test_a_speech_to_its_audience_is_no_policy():
    assert infer_type("2024年某市政府工作报告", "各位代表：现在，我代表市人民政府向大会报告工作。") == "other"
    assert infer_type("在全市大会上的讲话", "各位代表：今天我们召开大会。") == "news"


def test_a_notice_issuing_a_guide_is_a_policy():
    title = "关于印发基层医疗卫生机构为老年人提供医疗卫生服务指南（试行）的通知"
    assert infer_type(title, f"{title}\n为做好疫情防控期间老年人医疗服务，制定本指南。") == "policy"


def test_the_home_pages_newest_are_policies(ncp_data_dir):
    import re

    from web import create_app

    html = create_app({"DATA_DIR": str(ncp_data_dir), "BASE_URL": "https://zc.example.cn"}).test_client().get(
        "/").get_data(as_text=True)
    newest = html.split('<section class="newest">', 1)[1].split("</section>", 1)[0]
    ids = re.findall(r'href="/p/([\w-]+)"', newest)
    with open_service(ncp_data_dir) as service:
        assert ids and {service.get(pid).policy.type for pid in ids} == {"policy"}
