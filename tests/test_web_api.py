"""The JSON API and its OpenAPI document, and how every endpoint treats bad input.

Bad parameters are tried on both the page and the API of the same search, so
the two answer alike: 400 (414 for an over-long query), never 500; JSON under
/api/, the error page elsewhere.
"""
from __future__ import annotations

import html
import json
import math
import re
from dataclasses import fields

import pytest
from bs4 import BeautifulSoup
from helpers import index_texts

from policy_search.models import LEVELS
from policy_search.search.filters import FILTER_NAMES
from policy_search.search.query import MAX_QUERY_CHARS
from policy_search.search.service import MAX_PAGE, SORTS
from policy_search.vocabulary import industry_names, topic_names
from web.params import MAX_LIMIT, MatchParams, SearchParams

BASE_URL = "https://zc.example.cn"  # the BASE_URL of the corpus_app fixture
SEARCH_KEYS = ["query", "total", "page", "pages", "limit", "hits", "facets"]
FACET_NAMES = ["level", "topic", "industry", "region", "type"]
YICHENG_CHAIN = ("", "370000", "370400", "370404")

#: Error statuses this module sees from each API path (the OpenAPI document must list them).
OBSERVED_ERRORS = {"/api/search": {400, 414}, "/api/policies/{id}": {404}, "/api/match": {400}}


# --- fixtures and small helpers ------------------------------------------------------


@pytest.fixture(scope="module")
def client(corpus_app):
    return corpus_app.test_client()


@pytest.fixture(scope="module")
def openapi(client) -> dict:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def get_json(client, url: str, status: int = 200, **query) -> dict:
    response = client.get(url, query_string=query or None)
    assert response.status_code == status, (url, query, response.get_data(as_text=True)[:300])
    assert response.mimetype == "application/json"
    return response.get_json()


def all_hits(client, **query) -> list[dict]:
    return get_json(client, "/api/search", limit=MAX_LIMIT, **query)["hits"]


def error_of(response) -> dict:
    """The ``error`` object of a JSON error answer, checked for shape."""
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert list(body) == ["error"]
    error = body["error"]
    assert set(error) <= {"code", "message", "parameter"}
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    return error


def without_marks(snippet_html: str) -> str:
    return snippet_html.replace("<mark>", "").replace("</mark>", "")


# --- /api/search ---------------------------------------------------------------------


def test_search_answers_exactly_the_documented_keys(client):
    data = get_json(client, "/api/search", q="复工复产")
    assert list(data) == SEARCH_KEYS
    assert data["query"] == "复工复产" and data["page"] == 1 and data["limit"] == 10
    assert data["total"] == 13 and data["pages"] == 2 and len(data["hits"]) == 10
    assert list(data["facets"]) == FACET_NAMES


def test_search_hits_carry_escaped_snippets_with_marks(client):
    hits = get_json(client, "/api/search", q="复工复产")["hits"]
    assert all("<mark>" in h["snippet_html"] for h in hits[:5])
    assert sum("<mark>复工复产</mark>" in h["snippet_html"] for h in hits) >= 5
    for hit in hits:
        assert without_marks(hit["snippet_html"]) == html.escape(hit["snippet"])
        marked = re.findall(r"<mark>(.*?)</mark>", hit["snippet_html"])
        assert marked == [html.escape(hit["snippet"][a:b]) for a, b in hit["highlights"]]


def test_search_understands_a_whole_question(client):
    data = get_json(client, "/api/search", q="小微企业房租减免怎么申请")
    assert data["total"] > 0
    assert any("房租" in h["title"] for h in data["hits"][:3]), [h["title"] for h in data["hits"][:3]]


def test_relevance_scores_decrease_down_the_list(client):
    scores = [h["score"] for h in all_hits(client, q="复工复产")]
    assert scores == sorted(scores, reverse=True) and scores[0] > 0


@pytest.mark.parametrize("q", ["复工复产", ""])
def test_sort_by_date_lists_the_newest_first(client, q):
    dates = [h["written_date"] for h in all_hits(client, q=q, sort="date")]
    assert None not in dates
    assert dates == sorted(dates, reverse=True)


@pytest.mark.parametrize("limit", [1, 5, 10])
def test_pages_split_the_results_without_gap_or_overlap(client, limit):
    everything = [h["id"] for h in all_hits(client, q="复工复产")]
    first = get_json(client, "/api/search", q="复工复产", limit=limit)
    assert first["pages"] == math.ceil(len(everything) / limit)
    paged = []
    for number in range(1, first["pages"] + 1):
        data = get_json(client, "/api/search", q="复工复产", limit=limit, page=number)
        assert data["page"] == number and data["total"] == first["total"]
        paged += [h["id"] for h in data["hits"]]
    assert paged == everything


def test_a_page_past_the_last_is_empty_not_an_error(client):
    data = get_json(client, "/api/search", q="复工复产", page=5)
    assert data["hits"] == [] and data["total"] == 13 and data["pages"] == 2


@pytest.mark.parametrize("name, value, check", [
    ("level", "county", lambda h: h["level"] == "county"),
    ("topic", "租金减免", lambda h: "租金减免" in h["topics"]),
    ("industry", "制造业", lambda h: {"制造业", "不限行业"} & set(h["industries"])),
    ("region", "370400", lambda h: h["region"]["path"][:2] == ["山东省", "枣庄市"]),
    ("region", "枣庄市", lambda h: h["region"]["path"][:2] == ["山东省", "枣庄市"]),
    ("applies_to", "370404", lambda h: h["region"]["code"] in YICHENG_CHAIN),
    ("in_force", "1", lambda h: h["status"] != "expired"),
])
def test_each_filter_narrows_the_results(client, name, value, check):
    unfiltered = get_json(client, "/api/search")["total"]
    data = get_json(client, "/api/search", limit=MAX_LIMIT, **{name: value})
    assert 0 < data["total"] < unfiltered
    assert len(data["hits"]) == data["total"]
    assert all(check(h) for h in data["hits"]), name


@pytest.mark.parametrize("name", ["q", "level", "topic", "industry", "region", "applies_to", "in_force",
                                  "sort", "page", "limit"])
def test_an_empty_parameter_counts_as_not_given(client, name):
    assert get_json(client, "/api/search", **{name: ""}) == get_json(client, "/api/search")


# --- facets ---------------------------------------------------------------------------


def test_facets_count_every_policy(client):
    data = get_json(client, "/api/facets")
    assert list(data) == ["total", "facets"] and data["total"] == 30
    assert list(data["facets"]) == FACET_NAMES
    assert sum(data["facets"]["level"].values()) == 30
    assert set(data["facets"]["level"]) == set(LEVELS)
    assert set(data["facets"]["topic"]) <= set(topic_names())
    assert set(data["facets"]["industry"]) <= set(industry_names())
    assert data["facets"]["region"]["370404"] == 6  # keyed by division code


def test_each_topic_count_matches_a_search_on_that_topic(client):
    counts = get_json(client, "/api/facets")["facets"]["topic"]
    for topic, count in counts.items():
        assert get_json(client, "/api/search", topic=topic)["total"] == count, topic


# --- /api/policies/<id> -----------------------------------------------------------------


def test_a_policy_comes_with_its_full_text_and_permanent_link(client, corpus_app):
    with corpus_app.app_context():
        policy = next(p for p in corpus_app.extensions["policy_search"].get().list_policies()
                      if p.doc_number == "国办发〔2020〕6号")
    data = get_json(client, f"/api/policies/{policy.id}")
    assert data["id"] == policy.id and data["title"] == policy.title
    assert data["text"] == policy.text and len(data["text"]) > 500
    assert data["doc_number"] == "国办发〔2020〕6号" and data["level"] == "central"
    assert data["removed"] is False and data["replaced_by"] is None
    assert data["link"] == f"{BASE_URL}/p/{policy.id}"


@pytest.mark.parametrize("pid, parameter", [
    ("zzzzzzzzzz", None),           # well formed, unknown
    ("bulk-nothing-2020-1", None),
    ("a.b", "id"),                  # malformed: refused before any lookup
    ("政策", "id"),
    ("x" * 65, "id"),
    ("a/b", "id"),
])
def test_an_unknown_policy_is_a_404_json_error(client, pid, parameter):
    response = client.get(f"/api/policies/{pid}")
    assert response.status_code == 404
    error = error_of(response)
    assert error["code"] == "not_found"
    assert error.get("parameter") == parameter


# --- /api/match -----------------------------------------------------------------------------


def test_match_for_yicheng_lists_its_chain_by_level_central_first(client):
    data = get_json(client, "/api/match", region="370404")
    assert list(data) == ["region", "industry", "topic", "total", "groups"]
    assert data["region"] == {"code": "370404", "name": "峄城区", "path": ["山东省", "枣庄市", "峄城区"]}
    assert list(data["groups"]) == list(LEVELS)
    assert data["total"] == sum(len(hits) for hits in data["groups"].values()) == 25
    status_rank = {"in_force": 0, "unknown": 1, "expired": 2}
    for level, hits in data["groups"].items():
        assert all(h["level"] == level for h in hits)
        assert {h["region"]["code"] for h in hits} <= set(YICHENG_CHAIN)
        ranks = [status_rank[h["status"]] for h in hits]
        assert ranks == sorted(ranks), f"{level}: in force first, expired last"


@pytest.mark.parametrize("query", [
    {"region": "峄城区"},
    {"region": "山东省枣庄市峄城区"},
    {"province": "370000", "city": "370400", "county": "370404"},
])
def test_match_accepts_a_place_by_name_code_or_chooser(client, query):
    expected = get_json(client, "/api/match", region="370404")
    assert get_json(client, "/api/match", **query) == expected


def test_match_narrows_by_industry_and_topic(client):
    data = get_json(client, "/api/match", region="370404", industry="建筑业", topic="复工复产")
    hits = [h for group in data["groups"].values() for h in group]
    assert 0 < data["total"] < 25
    assert all({"建筑业", "不限行业"} & set(h["industries"]) and "复工复产" in h["topics"] for h in hits)


@pytest.mark.parametrize("query", [{}, {"region": ""}, {"industry": "制造业"}, {"province": ""}])
def test_match_without_a_region_is_a_400(client, query):
    response = client.get("/api/match", query_string=query)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "bad_parameter" and error["parameter"] == "region"


@pytest.fixture(scope="module")
def unlevelled_client(tmp_path_factory):
    """An index with one policy whose level could not be told (an association's call in 峄城区)."""
    from web.app import create_app

    folder = tmp_path_factory.mktemp("unlevelled")
    data_dir = index_texts(folder / "src", folder / "var", {
        "assoc.txt": "关于支持会员企业复工复产的倡议\n各会员单位：请按要求做好复工复产准备。\n",
        "assoc.txt.meta.json": json.dumps({"region": "峄城区", "issuer": "个体劳动者协会"}),
    })
    return create_app({"DATA_DIR": str(data_dir)}).test_client()


def test_match_lists_every_policy_it_counts(unlevelled_client):
    data = get_json(unlevelled_client, "/api/match", region="370404")
    assert data["total"] == 1
    assert sum(len(hits) for hits in data["groups"].values()) == data["total"]


# --- bad parameters: 400 (414), never 500 --------------------------------------------------------

SEARCH_URLS = ["/search", "/api/search"]
MATCH_URLS = ["/match", "/api/match"]

BAD_SEARCH_VALUES = [
    ("level", "foo"), ("level", "CENTRAL"), ("topic", "不存在"), ("industry", "xyz"),
    ("region", "火星"), ("region", "999999"), ("applies_to", "火星"), ("applies_to", "12"),
    ("page", "0"), ("page", "-1"), ("page", "abc"), ("page", "99999999"), ("page", "1.5"),
    ("page", "１"), ("page", str(MAX_PAGE + 1)),
    ("limit", "0"), ("limit", "51"), ("limit", "abc"), ("limit", "٣"), ("limit", "1e1"),
    ("in_force", "maybe"), ("in_force", "2"), ("sort", "foo"), ("sort", "DATE"),
    ("q", "复工\x00复产"), ("q", "\x1b[31m复工"), ("q", "a\x08b"),
    ("level", "central\x00"), ("region", "峄城区\x1b"), ("topic", "x" * 61),
]


def _check_error_answer(response, url: str, status: int, parameter: str) -> None:
    assert response.status_code == status, (url, response.status_code)
    if url.startswith("/api/"):
        error = error_of(response)
        assert error["parameter"] == parameter
        assert error["code"] == ("query_too_long" if status == 414 else "bad_parameter")
    else:
        assert response.mimetype == "text/html"
        soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
        assert soup.select_one(".error-page .status").get_text() == str(status)
        assert soup.select_one(".error-page form[role=search]") is not None


@pytest.mark.parametrize("url", SEARCH_URLS)
@pytest.mark.parametrize("name, value", BAD_SEARCH_VALUES)
def test_a_bad_search_parameter_is_a_400(client, url, name, value):
    response = client.get(url, query_string={name: value})
    _check_error_answer(response, url, 400, name)


@pytest.mark.parametrize("url", SEARCH_URLS)
@pytest.mark.parametrize("control", ["\x7f", "\x85", "\x9b"])
def test_other_control_characters_in_the_query_are_a_400(client, url, control):
    response = client.get(url, query_string={"q": f"复工{control}复产"})
    _check_error_answer(response, url, 400, "q")


@pytest.mark.parametrize("url", SEARCH_URLS)
@pytest.mark.parametrize("length", [MAX_QUERY_CHARS + 1, 5000])
def test_an_over_long_query_is_a_414(client, url, length):
    response = client.get(url, query_string={"q": "政" * length})
    _check_error_answer(response, url, 414, "q")


@pytest.mark.parametrize("url", SEARCH_URLS)
def test_a_query_at_the_length_limit_is_answered(client, url):
    question = ("小微企业房租减免怎么申请" * 20)[:MAX_QUERY_CHARS]
    assert client.get(url, query_string={"q": question}).status_code == 200


@pytest.mark.parametrize("url", SEARCH_URLS)
@pytest.mark.parametrize("raw", [
    "q=%ff%fe", "q=%ed%a0%80", "q=%c0%af", "q=%e5%a4", "q=%ef%bf%bf",
    "q=%E2%80%AE%E5%A4%8D%E5%B7%A5", "q=%E3%80%80", "q=%F0%9F%98%80", "q=%", "q=%zz",
])
def test_a_query_in_odd_encoding_is_answered_not_crashed(client, url, raw):
    response = client.get(url, query_string=raw)
    assert response.status_code in (200, 400), response.status_code
    if url.startswith("/api/") and response.status_code == 200:
        assert list(response.get_json()) == SEARCH_KEYS
    elif url.startswith("/api/"):
        assert error_of(response)["parameter"] == "q"


@pytest.mark.parametrize("url", SEARCH_URLS)
@pytest.mark.parametrize("raw, parameter", [
    ("level=%ff%fe", "level"), ("topic=%ed%a0%80", "topic"), ("region=%ff", "region"),
    ("page=%ff", "page"), ("limit=%c0%b1", "limit"), ("sort=%ff", "sort"),
])
def test_a_filter_in_odd_encoding_is_a_400(client, url, raw, parameter):
    _check_error_answer(client.get(url, query_string=raw), url, 400, parameter)


@pytest.mark.parametrize("url", MATCH_URLS)
@pytest.mark.parametrize("query, parameter", [
    ({"province": "999999"}, "province"),
    ({"province": "abc"}, "province"),
    ({"province": "370000", "city": "379999"}, "city"),
    ({"province": "370000", "city": "370400", "county": "37040４"}, "county"),
    ({"region": "火星"}, "region"),
    ({"region": "370404", "industry": "xyz"}, "industry"),
    ({"region": "370404", "topic": "不存在"}, "topic"),
    ({"region": "370404", "in_force": "maybe"}, "in_force"),
    ({"region": "370404\x00"}, "region"),
])
def test_a_bad_match_parameter_is_a_400(client, url, query, parameter):
    _check_error_answer(client.get(url, query_string=query), url, 400, parameter)


@pytest.mark.parametrize("url", MATCH_URLS)
def test_a_county_of_another_province_is_ignored(client, url):
    response = client.get(url, query_string={"province": "370000", "city": "370400", "county": "330102"})
    assert response.status_code == 200
    if url.startswith("/api/"):
        assert response.get_json()["region"]["code"] == "370400"


# --- methods and unknown routes -------------------------------------------------------------------


@pytest.mark.parametrize("method", ["post", "put", "delete", "patch"])
def test_writing_to_the_search_api_is_a_405_json_error(client, method):
    response = getattr(client, method)("/api/search", json={"q": "复工复产"})
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


def test_a_405_json_error_says_which_methods_are_allowed(client):
    response = client.post("/api/search")
    assert "GET" in response.headers.get("Allow", "")


@pytest.mark.parametrize("url", ["/api/nothing", "/api/search/", "/api/policies/", "/api/match/x"])
def test_an_unknown_api_route_is_a_404_json_error(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


# --- the OpenAPI document --------------------------------------------------------------------------


def _template(rule: str) -> str:
    """A Flask rule as an OpenAPI path: ``/api/policies/<path:pid>`` → ``/api/policies/{pid}``."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def _shape(path: str) -> str:
    """A path with its variables' names left out, to compare routes with documented paths."""
    return re.sub(r"\{[^}]+\}", "{}", path)


def _api_rules(app) -> dict[str, set[str]]:
    """Every /api/ route as its path shape → its methods (lower case, without HEAD/OPTIONS)."""
    rules = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            rules[_shape(_template(rule.rule))] = {m.lower() for m in rule.methods - {"HEAD", "OPTIONS"}}
    return rules


def _parameters(openapi: dict, path: str, where: str = "query") -> dict[str, dict]:
    return {p["name"]: p for p in openapi["paths"][path]["get"].get("parameters", []) if p["in"] == where}


def test_openapi_is_version_3(openapi):
    assert re.fullmatch(r"3\.\d+\.\d+", openapi["openapi"])
    assert openapi["info"]["title"] and openapi["info"]["version"]


def test_every_api_route_is_documented_with_its_methods(corpus_app, openapi):
    documented = {_shape(path): {m for m in item if m in ("get", "post", "put", "patch", "delete")}
                  for path, item in openapi["paths"].items()}
    routes = _api_rules(corpus_app)
    assert set(routes) == set(documented), "routes and documented paths differ"
    for shape, methods in routes.items():
        assert methods == documented[shape], shape


def test_the_policy_path_documents_its_id_variable(openapi):
    assert "/api/policies/{id}" in openapi["paths"]
    parameter = _parameters(openapi, "/api/policies/{id}", "path")["id"]
    assert parameter["required"] is True and parameter["schema"]["maxLength"] == 64


def test_search_documents_exactly_the_parameters_it_accepts(openapi):
    documented = _parameters(openapi, "/api/search")
    accepted = {f.name for f in fields(SearchParams) if f.name != "filters"} | set(FILTER_NAMES)
    assert set(documented) == accepted


def test_match_documents_exactly_the_parameters_it_accepts(openapi):
    accepted = {f.name for f in fields(MatchParams)} | {"province", "city", "county"}
    assert set(_parameters(openapi, "/api/match")) == accepted


def test_documented_choices_are_the_vocabularies(openapi):
    for path in ("/api/search", "/api/match"):
        params = _parameters(openapi, path)
        assert params["topic"]["schema"]["enum"] == list(topic_names())
        assert params["industry"]["schema"]["enum"] == list(industry_names())
    search = _parameters(openapi, "/api/search")
    assert search["level"]["schema"]["enum"] == list(LEVELS)
    assert search["sort"]["schema"]["enum"] == list(SORTS)
    # region or the province/city/county codes: neither alone is required by the schema
    assert "province" in _parameters(openapi, "/api/match")["region"]["description"]


def test_documented_limits_are_the_ones_checked(openapi):
    search = _parameters(openapi, "/api/search")
    assert search["q"]["schema"]["maxLength"] == MAX_QUERY_CHARS
    assert (search["page"]["schema"]["minimum"], search["page"]["schema"]["maximum"]) == (1, MAX_PAGE)
    assert (search["limit"]["schema"]["minimum"], search["limit"]["schema"]["maximum"]) == (1, MAX_LIMIT)


def test_documented_flag_values_are_accepted(client, openapi):
    for value in _parameters(openapi, "/api/search")["in_force"]["schema"]["enum"]:
        assert client.get("/api/search", query_string={"in_force": value}).status_code == 200, value


@pytest.mark.parametrize("path, statuses", sorted(OBSERVED_ERRORS.items()))
def test_observed_error_statuses_are_documented_as_errors(openapi, path, statuses):
    responses = openapi["paths"][path]["get"]["responses"]
    for status in statuses:
        assert str(status) in responses, (path, status)
        schema = responses[str(status)]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/Error"}


def _resolve(openapi: dict, schema: dict) -> dict:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    node = openapi
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def _ok_schema(openapi: dict, path: str) -> dict:
    return _resolve(openapi, openapi["paths"][path]["get"]["responses"]["200"]["content"]
                    ["application/json"]["schema"])


def _refs(node) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if "$ref" in node else []
        return own + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_every_reference_in_the_document_resolves(openapi):
    refs = _refs(openapi)
    assert refs
    for ref in refs:
        assert _resolve(openapi, {"$ref": ref}), ref
    operation_ids = [item["get"]["operationId"] for item in openapi["paths"].values()]
    assert len(operation_ids) == len(set(operation_ids))


def test_answers_have_the_documented_required_fields(client, openapi):
    search = get_json(client, "/api/search", q="复工复产")
    assert set(_ok_schema(openapi, "/api/search")["required"]) <= set(search)
    hit_schema = _resolve(openapi, {"$ref": "#/components/schemas/Hit"})
    assert set(search["hits"][0]) <= set(hit_schema["properties"])
    assert set(hit_schema["required"]) <= set(search["hits"][0])
    match = get_json(client, "/api/match", region="370404")
    assert set(_ok_schema(openapi, "/api/match")["required"]) <= set(match)
    policy = get_json(client, f"/api/policies/{search['hits'][0]['id']}")
    assert set(_ok_schema(openapi, "/api/policies/{id}")["required"]) <= set(policy)
    facets = get_json(client, "/api/facets")
    assert set(_ok_schema(openapi, "/api/facets")["required"]) <= set(facets)
    error = client.get("/api/search", query_string={"level": "foo"}).get_json()
    assert set(_resolve(openapi, {"$ref": "#/components/schemas/Error"})["required"]) <= set(error)


def test_the_document_passes_the_openapi_validator(openapi):
    # A hard import: the validator is pinned in setup.cfg's test extras, so a missing
    # package is a broken test environment, not a reason to skip the check.
    import openapi_spec_validator

    openapi_spec_validator.validate(openapi)


def test_the_openapi_validator_rejects_a_broken_document(openapi):
    """The check above can fail: the same document with a parameter in no valid place does not pass."""
    import copy

    from openapi_spec_validator import validate
    from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

    broken = copy.deepcopy(openapi)
    broken["paths"]["/api/search"]["get"]["parameters"][0]["in"] = "body"  # OpenAPI 2 only
    with pytest.raises(OpenAPIValidationError):
        validate(broken)
