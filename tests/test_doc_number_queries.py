"""A query that is a 文号: that policy first, others only as related results; a 文号 no policy
has is said so, with what its words find offered apart. Any other query carries no such key."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from policy_search.cli import main


@pytest.mark.parametrize("typed", ["国办发〔2020〕6号", "国办发[2020]6号", "国办发(2020)6号", " 国办发〔2020〕6号 "])
def test_a_doc_number_query_answers_its_policy_and_related_apart(corpus_service, typed):
    page = corpus_service.search(typed)
    assert page.doc_number_match is True and page.total == 1
    assert [h.doc_number for h in page.hits] == ["国办发〔2020〕6号"]
    assert page.related and page.hits[0].id not in {h.id for h in page.related}
    data = page.to_dict()
    assert data["doc_number_match"] is True and len(data["related"]) == len(page.related)


def test_a_doc_number_nobody_has_is_said_so(corpus_service):
    page = corpus_service.search("国办发〔2020〕99号")
    assert page.doc_number_match is False and page.total == 0 and page.hits == []
    assert page.related  # what the words find, offered apart
    assert page.to_dict()["doc_number_match"] is False


@pytest.mark.parametrize("query", ["稳岗返还", "国办发〔2020〕6号 稳岗", "", "2020年6号"])
def test_other_queries_carry_no_doc_number_key(corpus_service, query):
    data = corpus_service.search(query).to_dict()
    assert "doc_number_match" not in data and "related" not in data


def test_a_doc_number_query_keeps_its_filters(corpus_service):
    assert corpus_service.search("国办发〔2020〕6号", level="county").total == 0
    assert corpus_service.search("国办发〔2020〕6号", level="central").total == 1


def test_the_page_and_the_command_line_say_it(corpus_app, corpus_data_dir):
    client = corpus_app.test_client()
    missing = client.get("/search", query_string={"q": "国办发〔2020〕99号"}).get_data(as_text=True)
    assert "没有找到文号为“国办发〔2020〕99号”的政策" in missing and 'class="related-hits"' in missing
    found = client.get("/search", query_string={"q": "国办发[2020]6号"}).get_data(as_text=True)
    assert found.index("/p/pbfng3t77d") < found.index('class="related-hits"')
    api = client.get("/api/search", query_string={"q": "国办发〔2020〕99号"}).get_json()
    assert api["doc_number_match"] is False and api["hits"] == [] and api["related"]
    shown = CliRunner().invoke(main, ["--data-dir", str(corpus_data_dir), "search", "国办发〔2020〕99号"]).output
    assert shown.startswith("No policy has the 文号 国办发〔2020〕99号")
    as_json = json.loads(CliRunner().invoke(main, ["--data-dir", str(corpus_data_dir), "search", "--json",
                                                   "国办发〔2020〕6号"]).output)
    assert as_json["doc_number_match"] is True and as_json["total"] == 1
