"""What one query may cost: caps on its parts, a time budget, and no query holding others up.

A client looping an exclusion-only query, or one of many words sorted by date, used to
stall every other search behind the service's one lock. These tests pin the caps (400
naming ``q``), the array path of date order (the same policies, in the same order, as
Whoosh's sorted search gave), the budget (``partial``), the slot of heavy queries (503
with Retry-After) and that searches do not wait for the service lock.
"""
from __future__ import annotations

import threading
import time

import pytest
from click.testing import CliRunner
from whoosh import query as wq

from policy_search import errors
from policy_search.search import query
from policy_search.search import service as search
from policy_search.cli import main
from policy_search.errors import PolicySearchError, QueryError
from policy_search.search.filters import Filters, build_filter
from policy_search.search.query import parse_user_query
from policy_search.search.service import SearchService

from helpers import index_texts, shared

# The caps are read through their modules, so that each test fails on its own where they are absent.
MAX_QUERY_WORDS = getattr(query, "MAX_QUERY_WORDS", 60)
MAX_QUERY_PHRASES = getattr(query, "MAX_QUERY_PHRASES", 5)
MAX_QUERY_EXCLUDED = getattr(query, "MAX_QUERY_EXCLUDED", 10)
MAX_QUERY_TERMS = getattr(query, "MAX_QUERY_TERMS", 400)
HEAVY_TERMS = getattr(search, "HEAVY_TERMS", 240)
ServiceBusyError = getattr(errors, "ServiceBusyError", PolicySearchError)

#: Distinct, common policy words: a query of many of them is long but allowed.
WORDS = ("企业 稳岗 返还 社保 减免 租金 财政 补贴 贷款 贴息 就业 培训 复工 复产 职工 工资 税收 优惠 疫情 防控 "
         "物资 保障 医疗 口罩 交通 运输 物流 农业 生产 春耕 银行 信贷 担保 融资 利率 延期 缴纳 住房 公积金 失业 "
         "保险 养老 医保 工伤 小微 个体 商户 房租 水电 燃气 网络 电商 外贸 出口 订单 通关 港口 旅游 餐饮 文化 "
         "科技 创新 人才 招聘").split()
#: Heavy (more terms than HEAVY_TERMS) yet within every cap.
HEAVY = " ".join(WORDS[:58])
TOO_MANY_WORDS = " ".join(WORDS[:MAX_QUERY_WORDS + 1])
TOO_MANY_PHRASES = " ".join(f'"{w}"' for w in WORDS[:MAX_QUERY_PHRASES + 1])
TOO_MANY_EXCLUDED = "复工 " + " ".join(f"-{w}" for w in WORDS[1:MAX_QUERY_EXCLUDED + 2])
#: Ordinary questions of the corpus, asked while something else goes on.
ORDINARY = ["复工复产", "稳岗返还怎么申请", "小微企业房租减免", "社保费减免 失业保险", "枣庄市 贷款贴息"]
#: Queries whose date order is pinned against Whoosh's sorted search.
DATE_ORDERED = ["", "-北京", "-复工复产", "-通知 -企业", "通知", HEAVY, '"复工复产"', '"减免 房租"',
                '"房租减免" -北京', '稳岗 "社会保险"', "国办发〔2020〕6号"]
FILTERS = [{}, {"level": "county"}, {"applies_to": "370404", "in_force": True}, {"topic": "稳岗就业"}]


@pytest.fixture
def fresh_service(corpus_data_dir):
    """A service of its own (tests here hold its locks and slots)."""
    service = SearchService(corpus_data_dir)
    yield service
    service.close()


@pytest.fixture
def app_and_service(corpus_data_dir):
    """A web app of its own, and its search service."""
    from web.app import create_app

    app = create_app({"DATA_DIR": str(corpus_data_dir), "BASE_URL": "https://zc.example.cn"})
    with app.app_context():
        from web.context import service
        yield app, service()
        service().close()


def test_the_test_queries_have_the_shapes_they_claim():
    for text in (HEAVY, TOO_MANY_WORDS, TOO_MANY_PHRASES, TOO_MANY_EXCLUDED):
        assert len(text) <= 200, text
    assert len(query.query_terms(parse_user_query(HEAVY))) > HEAVY_TERMS


# --- caps ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, says", [
    (TOO_MANY_WORDS, f"the limit is {MAX_QUERY_WORDS}"),
    (TOO_MANY_PHRASES, f"the limit is {MAX_QUERY_PHRASES}"),
    (TOO_MANY_EXCLUDED, f"the limit is {MAX_QUERY_EXCLUDED}"),
])
def test_a_query_past_a_cap_is_refused_with_a_hint(text, says):
    with pytest.raises(QueryError) as raised:
        parse_user_query(text)
    assert says in str(raised.value) and raised.value.hint


def test_a_query_at_the_caps_is_accepted():
    parse_user_query(" ".join(WORDS[:MAX_QUERY_WORDS]))
    parse_user_query(" ".join(f'"{w}"' for w in WORDS[:MAX_QUERY_PHRASES]))
    parse_user_query("复工 " + " ".join(f"-{w}" for w in WORDS[1:MAX_QUERY_EXCLUDED + 1]))


def test_repeated_phrases_and_exclusions_count_once():
    parsed = parse_user_query('"稳岗" ' * 20 + "-租金 " * 20)
    assert parsed.phrases == [["稳岗"]] and parsed.excluded == ["租金"]


def test_no_real_question_comes_near_the_caps():
    load = shared("ncp", "queries-load.txt").read_text(encoding="utf-8-sig").splitlines()
    dev = [line.split("\t")[1] for line in shared("ncp", "queries-dev.tsv").read_text(
        encoding="utf-8").splitlines() if line.count("\t") >= 2]
    most_words = most_terms = 0
    for question in [q.strip()[:200] for q in load + dev if q.strip()]:
        parsed = parse_user_query(question)  # raises past a cap
        most_words = max(most_words, len(parsed.all_words()))
        most_terms = max(most_terms, len(query.query_terms(parsed)))
    assert most_words <= MAX_QUERY_WORDS * 0.75 and most_terms <= MAX_QUERY_TERMS * 0.75


@pytest.mark.parametrize("text", [TOO_MANY_WORDS, TOO_MANY_PHRASES, TOO_MANY_EXCLUDED])
def test_the_api_answers_400_naming_q(corpus_app, text):
    response = corpus_app.test_client().get("/api/search", query_string={"q": text})
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["parameter"] == "q" and "limit" in error["message"]


def test_the_page_answers_400_with_the_message(corpus_app):
    response = corpus_app.test_client().get("/search", query_string={"q": TOO_MANY_WORDS})
    assert response.status_code == 400
    assert f"the limit is {MAX_QUERY_WORDS}" in response.get_data(as_text=True)


def test_the_cli_says_it_in_one_line(corpus_data_dir):
    result = CliRunner().invoke(main, ["--data-dir", str(corpus_data_dir), "search", TOO_MANY_WORDS])
    assert result.exit_code == 1
    assert f"the limit is {MAX_QUERY_WORDS}" in result.output and "Traceback" not in result.output


# --- date order and exclusions without Whoosh's evaluation --------------------------------------

def whoosh_date_order(service, ids: set[str]) -> list[str]:
    """The policies sorted by Whoosh's own sorted search (how date order was computed before)."""
    searcher = service.backend.current_searcher()
    if not ids:
        return []
    results = searcher.search(wq.Or([wq.Term("id", i) for i in ids]), limit=None,
                              sortedby="written_date", reverse=True)
    return [hit["id"] for hit in results]


def ranked_ids(service, text: str, **filters) -> set[str]:
    """What a relevance search matches (the same matching as date order)."""
    return {h.id for h in service.search(text, limit=100, budget_s=60, **filters).hits}


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: ",".join(f) or "none")
@pytest.mark.parametrize("text", DATE_ORDERED)
def test_date_order_is_whoosh_sorted_order(corpus_service, text, filters):
    page = corpus_service.search(text, sort="date", limit=100, **filters)
    expected = whoosh_date_order(corpus_service, ranked_ids(corpus_service, text, **filters))
    assert [h.id for h in page.hits] == expected and page.total == len(expected)


def test_an_exclusion_only_query_pages_through_the_same_policies(corpus_service):
    # excluded: the policies holding the word in a text field, as a quoted word asks for
    everything = corpus_service.search("", sort="date", limit=100)
    holding = ranked_ids(corpus_service, '"复工复产"')
    assert holding and len(holding) < everything.total
    expected = whoosh_date_order(corpus_service, {h.id for h in everything.hits} - holding)
    paged = [h.id for n in (1, 2, 3, 4) for h in corpus_service.search("-复工复产", limit=6, page=n).hits]
    assert expected and paged == expected


def test_date_order_ties_go_to_the_later_added_policy(corpus_service):
    hits = corpus_service.search("", sort="date", limit=100).hits
    searcher = corpus_service.backend.current_searcher()
    number = {h.id: searcher.document_number(id=h.id) for h in hits}
    tied = [(a, b) for a, b in zip(hits, hits[1:]) if a.written_date == b.written_date]
    assert tied, "the corpus has policies written on the same day"
    assert all(number[a.id] > number[b.id] for a, b in tied)


def test_the_lookup_lists_what_whoosh_listed(corpus_service):
    result = corpus_service.match("370404")
    searcher = corpus_service.backend.current_searcher()
    expected = [hit["id"] for hit in searcher.search(
        wq.Every(), filter=build_filter(Filters(applies_to="370404")), limit=None,
        sortedby="written_date", reverse=True)]
    assert sorted(h.id for hits in result.groups.values() for h in hits) == sorted(expected)
    assert result.total == len(expected)


# --- the time budget -----------------------------------------------------------------------------

def test_an_ordinary_search_is_complete(corpus_service):
    page = corpus_service.search("复工复产")
    assert not page.partial and "partial" not in page.to_dict()


def test_past_its_budget_a_search_answers_what_it_has_marked_partial(corpus_data_dir):
    with SearchService(corpus_data_dir, budget_s=0.0) as service:
        page = service.search(HEAVY)
        assert page.partial and page.to_dict()["partial"] is True
        assert page.hits and page.total == service.search(HEAVY, budget_s=60).total
        assert all(h.highlights == [] for h in page.hits)  # plain snippets: no time for marks
        assert service.search(HEAVY, sort="date").partial


def test_a_phrase_check_past_the_budget_is_partial(fresh_service):
    page = fresh_service.search('"减免 房租"', budget_s=0.0)
    assert page.partial and page.total <= fresh_service.search('"减免 房租"', budget_s=60).total


def test_a_partial_answer_says_so_in_json_and_on_the_page(app_and_service):
    app, service = app_and_service
    service.budget_s = 0.0
    client = app.test_client()
    assert client.get("/api/search", query_string={"q": HEAVY}).get_json()["partial"] is True
    page = client.get("/search", query_string={"q": HEAVY}).get_data(as_text=True)
    assert 'class="partial-note"' in page


# --- heavy queries and the lock ------------------------------------------------------------------

def test_a_heavy_query_without_a_slot_is_refused_and_ordinary_ones_go_on(fresh_service):
    with fresh_service.admission.hold(0):  # every heavy slot taken
        started = time.monotonic()
        with pytest.raises(ServiceBusyError):
            fresh_service.search(HEAVY, budget_s=0.2)
        assert time.monotonic() - started < 10
        page = fresh_service.search("复工复产")
        assert page.total and not page.partial
    assert fresh_service.search(HEAVY).total  # the slot is free again


def test_the_web_answers_503_with_retry_after(app_and_service):
    app, service = app_and_service
    service.budget_s = 0.1
    client = app.test_client()
    with service.admission.hold(0):
        response = client.get("/api/search", query_string={"q": HEAVY})
        assert response.status_code == 503 and int(response.headers["Retry-After"]) > 0
        assert response.get_json()["error"]["code"] == "busy"
        page = client.get("/search", query_string={"q": HEAVY})
        assert page.status_code == 503 and "稍后再试" in page.get_data(as_text=True)
        assert client.get("/api/search", query_string={"q": "复工复产"}).status_code == 200


def test_a_heavy_query_gives_way_to_ordinary_ones(fresh_service):
    assert not fresh_service.search(HEAVY, budget_s=60).partial
    with fresh_service._admitted(False, search.Budget(60)):  # an ordinary search in flight
        started = time.monotonic()
        page = fresh_service.search(HEAVY, budget_s=0.3)
        waited = time.monotonic() - started
    assert page.partial and page.hits and waited >= 0.25


def test_searches_do_not_wait_for_the_service_lock(fresh_service):
    """The lock reopens the index and makes its arrays; scoring runs outside it."""
    for text in ORDINARY:  # the arrays are made, the postings read
        fresh_service.search(text)
        fresh_service.search(text, sort="date")
    done = threading.Event()

    def ordinary() -> None:
        for text in ORDINARY:
            fresh_service.search(text)
            fresh_service.search(text, sort="date")
            fresh_service.search("-北京")
        done.set()

    with fresh_service.backend.lock:  # as a search holding it would
        worker = threading.Thread(target=ordinary, daemon=True)
        worker.start()
        finished = done.wait(timeout=30)
    worker.join(timeout=60)
    assert finished, "searches waited for the service lock"


def test_threads_searching_at_once_get_the_answers_of_one_thread(fresh_service):
    questions = ORDINARY + [HEAVY, '"减免 房租"', "-北京"]
    alone = {(q, s): [h.id for h in fresh_service.search(q, sort=s, budget_s=60).hits]
             for q in questions for s in ("relevance", "date")}
    wrong: list = []

    def client(offset: int) -> None:
        for n in range(20):
            q, s = list(alone)[(offset + n) % len(alone)]
            try:
                got = [h.id for h in fresh_service.search(q, sort=s, budget_s=60).hits]
            except ServiceBusyError:
                continue  # a heavy query found the slot taken
            if got != alone[(q, s)]:
                wrong.append((q, s))

    threads = [threading.Thread(target=client, args=(k * 3,)) for k in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not wrong


def test_a_commit_while_threads_search_is_seen_and_breaks_nothing(tmp_path):
    data_dir = index_texts(tmp_path / "a", tmp_path / "var", {"a.txt": "关于房租减免的通知（示例）\n减免房租。"})
    errors: list = []
    stop = threading.Event()

    def client() -> None:
        while not stop.is_set():
            try:
                service.search("房租")
                service.search("-北京", sort="date")
            except Exception as err:  # noqa: BLE001 - any failure is the finding
                errors.append(err)

    with SearchService(data_dir) as service:
        threads = [threading.Thread(target=client) for _ in range(3)]
        for thread in threads:
            thread.start()
        try:
            index_texts(tmp_path / "b", data_dir, {"b.txt": "关于房租补贴的通知（示例）\n补贴房租。"})
            deadline = time.monotonic() + 30
            while service.search("房租").total != 2 and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=60)
        assert service.search("房租").total == 2
    assert not errors, errors[:3]
