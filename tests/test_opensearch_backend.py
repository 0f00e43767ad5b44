"""The opensearch backend against a real OpenSearch node, beside the local backend on corpus/.

The node is started by ``scripts/opensearch-cluster`` (OpenSearch 2.19 from Maven Central jars)
unless ``POLICY_SEARCH_OPENSEARCH_URL`` names a running cluster; without Java and Maven the
tests are skipped with the reason. Each test writes to an index of its own name.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from policy_search.search.service import SearchService
from policy_search.storage.backend import ENV, ListRequest, open_backend
from policy_search.storage.backends import opensearch
from policy_search.settings import DataPaths

from test_backend_contract import EXPECTED

REPO = Path(__file__).resolve().parents[1]
CLUSTER = REPO / "scripts" / "opensearch-cluster"
CLI = [sys.executable, "-m", "policy_search.cli"]


@pytest.fixture(scope="session")
def opensearch_url(tmp_path_factory) -> str:
    """A running node's URL: the one the environment names, else one node started here."""
    given = os.environ.get(opensearch.URL_ENV)
    if given:
        yield given
        return
    if not (shutil.which("java") and shutil.which("mvn")):
        pytest.skip("OpenSearch tests need Java 17 and Maven to start a node (scripts/opensearch-cluster)")
    state = {**os.environ, "OPENSEARCH_CLUSTER_DIR": str(tmp_path_factory.mktemp("opensearch"))}
    started = subprocess.run([str(CLUSTER), "start", "1"], capture_output=True, text=True, env=state,
                             timeout=900)
    assert started.returncode == 0, started.stderr[-2000:]
    try:
        yield started.stdout.split()[0]
    finally:
        subprocess.run([str(CLUSTER), "stop"], capture_output=True, env=state, timeout=120)


@pytest.fixture
def cluster_env(opensearch_url, monkeypatch) -> dict[str, str]:
    """The environment that points the service and the CLI at an index of this test's own."""
    prefix = f"test-{secrets.token_hex(4)}"
    env = {ENV: "opensearch", opensearch.URL_ENV: opensearch_url, opensearch.PREFIX_ENV: prefix}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    yield env
    from opensearchpy import OpenSearch
    client = OpenSearch(opensearch.node_urls(opensearch_url))
    client.indices.delete(index=f"{prefix}*", ignore_unavailable=True)  # the builds and the meta index
    client.close()


def _ingest(data_dir: Path, env: dict, *paths: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, "--data-dir", str(data_dir), "ingest", *paths], capture_output=True,
                          text=True, cwd=REPO, env={**os.environ, **env}, timeout=600)


@pytest.fixture
def cluster_corpus(tmp_path, cluster_env) -> SearchService:
    data_dir = tmp_path / "var"
    done = _ingest(data_dir, cluster_env, str(REPO / "corpus"))
    assert done.returncode == 0, done.stderr
    service = SearchService(data_dir, backend=open_backend(DataPaths(data_dir), "opensearch"))
    yield service
    service.close()


def test_the_corpus_answers_as_locally(cluster_corpus, corpus_service):
    """Totals and facets the same; the best hit the same; the top 10 nearly the same (the idf
    and the length encoding are Lucene's: near ties may change places)."""
    for query, options, _ in EXPECTED:
        local = corpus_service.search(query, limit=10, budget_s=60, **options)
        there = cluster_corpus.search(query, limit=10, budget_s=60, **options)
        assert there.total == local.total, query
        assert there.facets == local.facets, query
        if local.hits:
            assert there.hits[0].id == local.hits[0].id, query
            shared = {h.id for h in there.hits} & {h.id for h in local.hits}
            assert len(shared) >= min(len(local.hits), 10) - 2, query


@pytest.mark.parametrize("typed", ["国办发〔2020〕6号", "国办发[2020]6号"])
def test_a_doc_number_finds_its_policy_first(cluster_corpus, typed):
    assert cluster_corpus.search(typed, limit=1).hits[0].doc_number == "国办发〔2020〕6号"


@pytest.mark.parametrize("query", ['"稳岗返还"', '"失业保险 稳岗"', "稳岗 -贷款", "复工复产 -民营"])
def test_phrases_and_exclusions_match_as_locally(cluster_corpus, corpus_service, query):
    local = corpus_service.search(query, limit=30, budget_s=60)
    there = cluster_corpus.search(query, limit=30, budget_s=60)
    assert there.total == local.total
    assert {h.id for h in there.hits} == {h.id for h in local.hits}


def test_date_order_lists_as_locally(cluster_corpus, corpus_service):
    local = corpus_service.search("", limit=30, sort="date")
    there = cluster_corpus.search("", limit=30, sort="date")
    assert [h.written_date for h in there.hits] == [h.written_date for h in local.hits]
    assert there.total == local.total == 30


def test_writes_delete_and_count_generations(tmp_path, cluster_env):
    data_dir = tmp_path / "var"
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("关于稳岗返还的通知（示例）\n落实稳岗返还。", encoding="utf-8")
    (docs / "b.txt").write_text("关于房租减免的通知（示例）\n减免房租。", encoding="utf-8")
    assert _ingest(data_dir, cluster_env, str(docs)).returncode == 0
    backend = open_backend(DataPaths(data_dir), "opensearch")
    first = backend.generation()
    ids = backend.indexed_ids()
    assert len(ids) == 2 and backend.document_count() == 2
    writer = backend.writer()
    gone = sorted(ids)[0]
    writer.delete(gone)
    assert writer.commit() == first + 1
    assert backend.indexed_ids() == ids - {gone}
    with backend.reading() as view:
        assert not view.has_id(gone) and view.doc_count() == 1
    backend.close()


def test_a_replayed_older_write_does_not_bring_back_an_older_version(tmp_path, cluster_env):
    """Writes carry the catalog record's version: an older one arriving late is refused."""
    from policy_search.models import Policy
    from policy_search.storage.schema import VERSION, policy_to_fields
    from policy_search.storage.writer import PolicyWriter

    data_dir = tmp_path / "var"
    old = Policy(id="p1", title="旧的通知", text="旧版本的稳岗返还。")
    new = Policy(id="p1", title="新的通知", text="新版本的稳岗返还。")
    with PolicyWriter(data_dir) as writer:
        writer.put(old)
        writer.commit()
    with PolicyWriter(data_dir) as writer:
        writer.put(new)
        writer.commit()
    backend = open_backend(DataPaths(data_dir), "opensearch")
    stale = backend.writer()
    stale.upsert({**policy_to_fields(old), VERSION: 1})  # what a replay of the first batch would send
    stale.commit()
    with backend.reading() as view:
        found = view.listed(ListRequest())
        assert [view.document(ref)["title"] for ref in found.refs] == ["新的通知"]
    backend.close()


def test_a_cluster_that_cannot_be_reached_is_one_line_with_a_hint(tmp_path):
    env = {**os.environ, ENV: "opensearch", opensearch.URL_ENV: "http://127.0.0.1:9"}
    done = subprocess.run([*CLI, "--data-dir", str(tmp_path / "var"), "search", "稳岗"], capture_output=True,
                          text=True, cwd=REPO, env=env, timeout=120)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "cannot reach OpenSearch" in done.stderr and opensearch.URL_ENV in done.stderr


def test_three_nodes_answer_the_same_totals_after_one_is_killed(tmp_path, opensearch_url):
    """3 primaries and 1 replica on 3 nodes: SIGKILL one node, every query answers the same."""
    state = {**os.environ, "OPENSEARCH_CLUSTER_DIR": str(tmp_path / "cluster")}
    started = subprocess.run([str(CLUSTER), "start", "3"], capture_output=True, text=True, env=state, timeout=900)
    assert started.returncode == 0, started.stderr[-2000:]
    try:
        env = {ENV: "opensearch", opensearch.URL_ENV: ",".join(started.stdout.split()),
               opensearch.PREFIX_ENV: "failover", opensearch.SHARDS_ENV: "3", opensearch.REPLICAS_ENV: "1"}
        data_dir = tmp_path / "var"
        assert _ingest(data_dir, env, str(REPO / "corpus")).returncode == 0
        before = _totals(data_dir, env)
        killed = subprocess.run([str(CLUSTER), "stop", "--kill", "2"], capture_output=True, env=state, timeout=120)
        assert killed.returncode == 0
        assert _totals(data_dir, env) == before and sum(before) > 0
    finally:
        subprocess.run([str(CLUSTER), "stop"], capture_output=True, env=state, timeout=120)


def _totals(data_dir: Path, env: dict) -> list[int]:
    """The total of each recorded query, asked in a process of its own through the CLI."""
    out = []
    for query, options, _ in EXPECTED:
        if options:
            continue
        done = subprocess.run([*CLI, "--data-dir", str(data_dir), "search", "--json", "--", query], capture_output=True,
                              text=True, cwd=REPO, env={**os.environ, **env}, timeout=120)
        assert done.returncode == 0, done.stderr
        out.append(json.loads(done.stdout)["total"])
    return out
