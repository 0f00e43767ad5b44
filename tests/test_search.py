"""Searching a real index: phrases, traditional script, 文号 variants, filters, paging, JSON shape."""
import json

import pytest

from indexer.pipeline import ingest
from policy_search import open_service
from policy_search.errors import QueryError

from helpers import index_texts, write_policy

DOCS = {
    "a.txt": "国务院办公厅关于支持企业复工复产的通知（示例）\n国办发〔2020〕6号\n各地区要支持企业复工复产，落实稳岗返还。\n国务院办公厅\n2020年2月20日",
    "b.txt": "山东省人民政府关于复工和复产分别安排的通知（示例）\n鲁政发〔2020〕5号\n复工安排另行通知。复产时间由企业确定。\n山东省人民政府\n2020年3月1日",
    "c.txt": "峄城区人民政府关于小微企业房租减免的通知（示例）\n峄政发〔2020〕2号\n对承租国有房产的小微企业减免三个月房租。\n峄城区人民政府\n2020年3月10日",
    "d.txt": "枣庄市人民政府关于以工代训补贴的通知（示例）\n枣政发〔2020〕3号\n企业开展以工代训的，按每人每月500元给予补贴，支持复工复产。\n枣庄市人民政府\n2020年4月1日",
}


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    data_dir = index_texts(tmp_path_factory.mktemp("docs"), tmp_path_factory.mktemp("var"), DOCS)
    with open_service(data_dir) as svc:
        yield svc


def titles(page):
    return [h.title[:8] for h in page.hits]


def test_quoted_phrase_needs_the_exact_phrase(service):
    page = service.search('"复工复产"')
    assert page.total == 2
    assert all("山东省" not in h.title for h in page.hits)


def test_multi_word_phrase_keeps_word_order(service):
    assert service.search('"支持企业复工复产"').total == 1
    assert service.search('"复产复工"').total == 0


def test_traditional_query_finds_simplified_text(service):
    page = service.search("復工復產")
    assert page.total >= 2
    assert service.search('"小微企業房租減免"').total == 1


def test_more_matching_words_rank_higher_without_requiring_all(service):
    page = service.search("以工代训 补贴 房租")
    assert page.total == 2  # OR: either document may answer
    assert page.hits[0].title.startswith("枣庄市")


def test_doc_number_in_any_spelling(service):
    for typed in ["国办发〔2020〕6号", "国办发[2020]6号", "国办发（2020）6号", "国办发【2020】6号"]:
        page = service.search(typed)
        assert page.hits and page.hits[0].doc_number == "国办发〔2020〕6号", typed


def test_exclusion(service):
    page = service.search("复工复产 -以工代训")
    assert page.total >= 1
    assert all(not h.title.startswith("枣庄市人民政府关于以工代训") for h in page.hits)
    assert any(h.title.startswith("枣庄市人民政府关于以工代训") for h in service.search("复工复产").hits)


def test_filters_and_sort_by_date(service):
    assert [h.level for h in service.search("通知", level="county").hits] == ["county"]
    assert [h.title[:3] for h in service.search("", region="峄城区").hits] == ["峄城区"]
    dates = [h.written_date for h in service.search("通知", sort="date").hits]
    assert dates == sorted(dates, reverse=True)


def test_paging(service):
    first = service.search("通知", limit=3)
    second = service.search("通知", limit=3, page=2)
    assert first.total == 4 and first.pages == 2
    assert len(second.hits) == 1
    assert {h.id for h in first.hits}.isdisjoint(h.id for h in second.hits)


def test_snippet_marks_the_matched_words(service):
    hit = service.search("房租减免").hits[0]
    marked = [hit.snippet[s:e] for s, e in hit.highlights]
    assert marked and all(m in ("房租", "减免", "房租减免") for m in marked)


def test_json_shape(service):
    data = json.loads(json.dumps(service.search("补贴").to_dict(), ensure_ascii=False))
    assert set(data) >= {"total", "hits"}
    assert set(data["hits"][0]) >= {"id", "title", "doc_number", "issuer", "level", "region", "topics",
                                    "industries", "written_date", "publish_date", "score", "snippet"}


@pytest.mark.parametrize("kwargs", [{"limit": 0}, {"limit": 1000}, {"page": 0}, {"sort": "x"},
                                    {"level": "galactic"}])
def test_bad_parameters_raise_query_error(service, kwargs):
    with pytest.raises(QueryError):
        service.search("补贴", **kwargs)


def test_over_long_query_is_refused_with_a_message(service):
    with pytest.raises(QueryError, match="limit"):
        service.search("补贴" * 200)


def test_removed_policy_leaves_search_but_stays_showable(tmp_path):
    write_policy(tmp_path / "d", "a.txt", DOCS["a.txt"])
    data_dir = tmp_path / "var"
    ingest([tmp_path / "d"], data_dir)
    from policy_search.storage.writer import PolicyWriter
    with open_service(data_dir) as svc:
        policy_id = svc.search("复工复产").hits[0].id
    with PolicyWriter(data_dir) as writer:
        with writer.transaction():
            writer.remove(policy_id)
        writer.commit()
    with open_service(data_dir) as svc:
        assert svc.search("复工复产").total == 0
        assert svc.get(policy_id).removed


def test_a_match_longer_than_the_snippet_window_is_shown(tmp_path):
    """A quoted word longer than the snippet's window (here 170 letters) is found and shown."""
    long_word = "policy" * 28 + "ab"
    data_dir = index_texts(tmp_path / "docs", tmp_path / "var",
                           {"a.txt": f"关于长编号的通知（示例）\n编号 {long_word} 的说明。"})
    with open_service(data_dir) as service:
        page = service.search(f'"{long_word}"')
    assert page.total == 1 and long_word in page.hits[0].snippet.replace("\n", "")
