"""政策解读 linked to the policies they explain, both ways: on the real ncp corpus (every pair
found by hand in ``tests/fixtures/ncp_interpretation_pairs.tsv``) and on small files ingested
in either order, across a corrected 文号, and never across regions."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer.pipeline import ingest
from policy_search import open_service
from policy_search.cli import main

from helpers import shared, write_policy

FIXTURES = Path(__file__).parent / "fixtures"

POLICY = ("北京市人民政府办公厅关于印发支持中小微企业渡过难关若干措施的通知\n京政办发〔2020〕7号\n"
          "各区人民政府，市政府各委、办、局：\n现将《支持中小微企业渡过难关若干措施》印发给你们，请认真贯彻执行。\n"
          "北京市人民政府办公厅\n2020年2月5日")
INTERPRETATION = ("《支持中小微企业渡过难关若干措施》政策解读\n近日，北京市人民政府办公厅印发了《支持中小微企业渡过难关若干措施》"
                  "（京政办发〔2020〕7号），现解读如下。一、出台背景……")
ELSEWHERE = ("吉林省《支持中小微企业渡过难关若干措施》政策解读\n近日，吉林省人民政府办公厅印发了《支持中小微企业渡过难关若干措施》，"
             "现解读如下。一、出台背景……")


@pytest.fixture
def app_for(monkeypatch):
    """A test client of the web app over a data directory."""
    monkeypatch.delenv("POLICY_SEARCH_BASE_URL", raising=False)

    def make(data_dir: Path):
        from web import create_app
        return create_app({"DATA_DIR": str(data_dir), "BASE_URL": "https://zc.example.cn"}).test_client()
    return make


@pytest.fixture(scope="module")
def ncp_data_dir(tmp_path_factory) -> Path:
    data_dir = tmp_path_factory.mktemp("ncp") / "var"
    assert not ingest([shared("ncp", "corpus.tsv")], data_dir).failed
    return data_dir


def _pairs() -> list[dict]:
    with open(FIXTURES / "ncp_interpretation_pairs.tsv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def test_every_interpretation_of_a_policy_in_the_corpus_is_linked_to_it(ncp_data_dir):
    expected = [(row["interpretation_docid"], row["policy_docid"]) for row in _pairs() if row["policy_docid"]]
    assert len(expected) == 3  # the 山东 部门解读 and its 若干措施; the 北京 16条 and both copies of 京政办发〔2020〕7号
    with open_service(ncp_data_dir) as service:
        for interpretation, policy in expected:
            assert policy in {x["id"] for x in service.get(interpretation, links=True).interprets}
            assert interpretation in {x["id"] for x in service.get(policy, links=True).interpretations}


def test_no_linked_pair_of_the_corpus_is_wrong(ncp_data_dir):
    allowed: dict[str, set[str]] = {}
    for row in _pairs():
        allowed.setdefault(row["interpretation_docid"], set()).update({row["policy_docid"]} - {""})
    with open_service(ncp_data_dir) as service:
        interpretations = service.search("", limit=100, type="interpretation").hits
        assert interpretations
        for hit in interpretations:
            linked = {x["id"] for x in service.get(hit.id, links=True).interprets}
            assert linked <= allowed.get(hit.id, set()), (hit.title, linked)
        for policy in service.search("", limit=100, type="policy", applies_to="370000").hits:
            for x in service.get(policy.id, links=True).interpretations:
                assert policy.id in allowed.get(x["id"], set()), (policy.title, x)


@pytest.mark.parametrize("order", ["policy first", "interpretation first"])
def test_links_appear_whichever_side_comes_first(tmp_path, order):
    first, second = tmp_path / "first", tmp_path / "second"
    texts = [("policy.txt", POLICY), ("interpretation.txt", INTERPRETATION)]
    if order != "policy first":
        texts.reverse()
    write_policy(first, texts[0][0], texts[0][1])
    write_policy(second, texts[1][0], texts[1][1])
    data_dir = tmp_path / "var"
    assert not ingest([first], data_dir).failed and not ingest([second], data_dir).failed
    with open_service(data_dir) as service:
        policy = service.search("", limit=1, type="policy").hits[0]
        interpretation = service.search("", limit=1, type="interpretation").hits[0]
        assert [x["id"] for x in service.get(policy.id, links=True).interpretations] == [interpretation.id]
        assert [x["id"] for x in service.get(interpretation.id, links=True).interprets] == [policy.id]


def test_an_interpretation_elsewhere_of_a_same_named_policy_is_not_linked(tmp_path):
    folder = tmp_path / "docs"
    write_policy(folder, "policy.txt", POLICY)
    write_policy(folder, "elsewhere.txt", ELSEWHERE)
    data_dir = tmp_path / "var"
    assert not ingest([folder], data_dir).failed
    with open_service(data_dir) as service:
        policy = service.search("", limit=1, type="policy").hits[0]
        assert service.search("", limit=1, type="interpretation").total == 1
        assert service.get(policy.id, links=True).interpretations == []



PROVINCE_MEASURES = ("辽宁省人民政府关于印发辽宁省支持中小企业渡过难关若干政策措施的通知\n辽政发〔2020〕9号\n"
                     "各市人民政府：\n现将《辽宁省支持中小企业渡过难关若干政策措施》印发给你们，请认真贯彻执行。\n"
                     "辽宁省人民政府\n2020年2月6日")
CITY_INTERPRETATION = ("关于《本溪市支持中小企业渡过难关若干政策措施》的解读\n"
                       "现将《本溪市支持中小企业渡过难关若干政策措施》解读如下：根据《辽宁省支持中小企业渡过难关若干政策措施》，"
                       "结合我市实际，起草了《政策措施》。一、主要内容……")
PROVINCE_INTERPRETATION = ("《支持中小企业渡过难关若干政策措施》解读\n近日，辽宁省人民政府印发了《支持中小企业渡过难关若干政策措施》，"
                           "现解读如下：一、出台背景……")


def test_a_city_interpretation_is_not_linked_to_the_provinces_measures_it_was_based_on(tmp_path):
    """本溪's measures, made after 辽宁's: its 解读 quotes 本溪's title and cites 辽宁's as the basis.
    The province's measures are explained by the 解读 that quotes them without naming the place."""
    folder = tmp_path / "docs"
    for name, text in (("province.txt", PROVINCE_MEASURES), ("city.txt", CITY_INTERPRETATION),
                       ("province-interpretation.txt", PROVINCE_INTERPRETATION)):
        write_policy(folder, name, text)
    data_dir = tmp_path / "var"
    assert not ingest([folder], data_dir).failed
    with open_service(data_dir) as service:
        ids = {p.title: p.id for p in service.list_policies()}
        policy = ids["辽宁省人民政府关于印发辽宁省支持中小企业渡过难关若干政策措施的通知"]
        city = ids["关于《本溪市支持中小企业渡过难关若干政策措施》的解读"]
        province = ids["《支持中小企业渡过难关若干政策措施》解读"]
        assert service.get(city, links=True).interprets == []
        assert [x["id"] for x in service.get(province, links=True).interprets] == [policy]
        assert [x["id"] for x in service.get(policy, links=True).interpretations] == [province]


def test_a_link_follows_a_corrected_doc_number(tmp_path, app_for):
    """The policy first ingested with a wrong 文号 (and so another id), then corrected by a
    sidecar: the interpretation links to the policy's id now, and the old id answers 301."""
    folder = tmp_path / "docs"
    wrong = POLICY.replace("京政办发〔2020〕7号", "京政办发〔2020〕1号")
    write_policy(folder, "policy.txt", wrong)
    write_policy(folder, "interpretation.txt", INTERPRETATION)
    data_dir = tmp_path / "var"
    assert not ingest([folder], data_dir).failed
    with open_service(data_dir) as service:
        old_id = service.search("", limit=1, type="policy").hits[0].id
    (folder / "policy.txt.meta.json").write_text(json.dumps({"doc_number": "京政办发〔2020〕7号"}), encoding="utf-8")
    assert not ingest([folder], data_dir).failed
    with open_service(data_dir) as service:
        policy = service.search("", limit=1, type="policy").hits[0]
        interpretation = service.search("", limit=1, type="interpretation").hits[0]
        assert [x["id"] for x in service.get(interpretation.id, links=True).interprets] == [policy.id]
    assert policy.id != old_id  # the id follows the 文号
    assert app_for(data_dir).get(f"/p/{old_id}").status_code == 301


def test_the_links_in_json_and_on_the_pages(tmp_path, app_for):
    folder = tmp_path / "docs"
    write_policy(folder, "policy.txt", POLICY)
    write_policy(folder, "interpretation.txt", INTERPRETATION)
    data_dir = tmp_path / "var"
    assert not ingest([folder], data_dir).failed
    with open_service(data_dir) as service:
        policy = service.search("", limit=1, type="policy").hits[0]
        interpretation = service.search("", limit=1, type="interpretation").hits[0]
    shown = json.loads(CliRunner().invoke(main, ["--data-dir", str(data_dir), "show", "--json", policy.id]).output)
    assert shown["type"] == "policy" and shown["interprets"] == []
    assert shown["interpretations"] == [{"id": interpretation.id, "title": interpretation.title}]
    client = app_for(data_dir)
    api = client.get(f"/api/policies/{interpretation.id}").get_json()
    assert api["type"] == "interpretation" and api["interprets"] == [{"id": policy.id, "title": policy.title}]
    page = client.get(f"/p/{policy.id}").get_data(as_text=True)
    assert "政策解读" in page and f'href="/p/{interpretation.id}"' in page
    page = client.get(f"/p/{interpretation.id}").get_data(as_text=True)
    assert "解读的政策" in page and f'href="/p/{policy.id}"' in page


def test_an_interpretation_naming_its_policys_doc_number_does_not_take_its_place(tmp_path):
    folder = tmp_path / "docs"
    write_policy(folder, "policy.txt", POLICY)
    write_policy(folder, "interpretation.txt", "关于京政办发〔2020〕7号文件的政策解读\n近日，北京市人民政府办公厅印发了"
                                               "《支持中小微企业渡过难关若干措施》，现解读如下。一、出台背景……")
    data_dir = tmp_path / "var"
    assert not ingest([folder], data_dir).failed
    with open_service(data_dir) as service:
        policy = service.search("京政办发〔2020〕7号")
        assert policy.doc_number_match and [h.type for h in policy.hits] == ["policy"]
        interpretation = service.search("", limit=5, type="interpretation").hits
        assert len(interpretation) == 1 and interpretation[0].doc_number is None
        assert [x["id"] for x in service.get(interpretation[0].id, links=True).interprets] == [policy.hits[0].id]
