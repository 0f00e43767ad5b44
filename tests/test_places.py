"""Where a question is about: a best hit wholly in another province ranks below one of the named
place; national documents and documents naming no place stay where they are."""
from __future__ import annotations

from indexer.pipeline import ingest
from policy_search import open_service
from policy_search.search import places
from policy_search.search.query import parse_user_query

from helpers import write_policy

SHANGHAI = "上海市奉贤区关于复工企业员工健康管理的通知\n各有关企业：复工企业员工应当每日报告健康状况，佩戴口罩。"
JIANGSU = "江苏省南京市关于复工企业员工健康管理的通知\n各有关企业：复工企业员工应当每日报告健康状况，佩戴口罩，复工复工。"
NATIONAL = "国务院联防联控机制关于复工企业员工健康管理的通知\n各省、自治区、直辖市：复工企业员工应当每日报告健康状况，复工复工复工。"


def _where(hit) -> str:
    return "central" if hit.level == "central" else hit.region["name"]


def test_places_a_question_names():
    assert places.provinces_named(parse_user_query("上海市对复工企业员工有何要求").words) == {"31"}
    assert places.provinces_named(parse_user_query("奉贤区复工").words) == {"31"}  # a county by its full name
    assert places.provinces_named(parse_user_query("廣東省要做好哪些醫療防控物資的生產供應保障").words) == {"44"}
    assert places.provinces_named(parse_user_query("复工企业员工有何要求").words) == set()
    # a county's short name that is a word names no place (延长县, 资源县, 通道县)
    assert places.provinces_named(parse_user_query("延长社保缴费期限 资源 通道").words) == set()


def test_a_documents_provinces_are_found_when_it_is_indexed():
    assert places.document_provinces("310120", "county", "奉贤区关于……") == ["31"]
    assert places.document_provinces("", None, "南京市和杭州市两地……") == ["32", "33"]
    assert places.document_provinces("", "central", "北京市……") == []


def test_a_document_elsewhere_ranks_below_one_of_the_named_place(tmp_path):
    folder = tmp_path / "docs"
    write_policy(folder, "sh.txt", SHANGHAI)
    write_policy(folder, "js.txt", JIANGSU)
    write_policy(folder, "cn.txt", NATIONAL)
    data_dir = tmp_path / "var"
    assert not ingest([folder], data_dir).failed
    with open_service(data_dir) as service:
        plain = [_where(h) for h in service.search("复工企业员工有何要求").hits]
        asked = [_where(h) for h in service.search("上海市复工企业员工有何要求").hits]
    assert plain.index("南京市") < plain.index("奉贤区")  # without a place, the words decide
    assert asked.index("奉贤区") < asked.index("南京市")  # with one, the document elsewhere gives way
    assert asked.index("central") < asked.index("南京市")  # a national document stays eligible
