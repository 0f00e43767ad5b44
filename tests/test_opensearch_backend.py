"""The opensearch backend against real OpenSearch nodes: what a cluster adds to the contract.

``tests/test_backend_contract.py`` runs the whole backend contract on a node (the same answers
as the local backend on corpus/). Here: generations, versions, a rebuild moving the alias, a
re-ingest under searching clients, failover on three nodes, and a cluster that goes away mid-batch
or cannot be reached. The session's node is ``opensearch_url`` (conftest.py); the tests that kill
nodes start clusters of their own with ``scripts/opensearch-cluster``.
"""
from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from policy_search.search.service import SearchService
from policy_search.settings import DataPaths
from policy_search.storage.backend import ENV, ListRequest, open_backend
from policy_search.storage.backends import opensearch
from policy_search.storage.catalog import Catalog
from policy_search.storage.failpoints import ENV as FAILPOINT_ENV, RESUME_ENV

from helpers import delete_opensearch_indices
from test_backend_contract import EXPECTED

REPO = Path(__file__).resolve().parents[1]
CLUSTER = REPO / "scripts" / "opensearch-cluster"
CLI = [sys.executable, "-m", "policy_search.cli"]


@pytest.fixture
def cluster_env(opensearch_url, monkeypatch) -> dict[str, str]:
    """The environment that points the service and the CLI at an index of this test's own."""
    prefix = f"test-{secrets.token_hex(4)}"
    env = {ENV: "opensearch", opensearch.URL_ENV: opensearch_url, opensearch.PREFIX_ENV: prefix}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    yield env
    delete_opensearch_indices(opensearch_url, prefix)


def _cli(data_dir: Path, env: dict, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, "--data-dir", str(data_dir), *args], capture_output=True, text=True, cwd=REPO,
                          env={**os.environ, **env}, timeout=timeout)


#: Names of up to 40 policies of a batch (no digits: the recorded queries ask for a 文号).
NAMES = [a + b for a in "甲乙丙丁戊己庚辛壬癸" for b in "子丑寅卯"]


def _write_batch(folder: Path, marker: str, count: int) -> None:
    """``count`` small policies, each holding ``marker``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in NAMES[:count]:
        (folder / f"{name}.txt").write_text(
            f"关于春耕补贴{name}的通知（示例）\n各乡镇：{marker}。落实春耕补贴{name}。\n2021年3月1日", encoding="utf-8")


def _catalog_state(data_dir: Path) -> tuple[set[str], list[str]]:
    catalog = Catalog(DataPaths(data_dir).catalog_file)
    try:
        return catalog.active_ids(), catalog.pending_ids()
    finally:
        catalog.close()


def test_writes_delete_and_count_generations(tmp_path, cluster_env):
    data_dir = tmp_path / "var"
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("关于稳岗返还的通知（示例）\n落实稳岗返还。", encoding="utf-8")
    (docs / "b.txt").write_text("关于房租减免的通知（示例）\n减免房租。", encoding="utf-8")
    assert _cli(data_dir, cluster_env, "ingest", str(docs)).returncode == 0
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
    stale.delete("p1", version=2)  # and of a removal long ago
    stale.commit()
    with backend.reading() as view:
        found = view.listed(ListRequest())
        assert [view.document(ref)["title"] for ref in found.refs] == ["新的通知"]
    backend.close()


def test_reindex_moves_the_alias_to_a_new_build(tmp_path, cluster_env):
    """``reindex`` fills a new index from the catalog and points the alias at it alone; a
    document the catalog does not hold is gone, and ``links check`` sees catalog and cluster
    agree (before the reindex it names the stray id)."""
    data_dir = tmp_path / "var"
    _write_batch(tmp_path / "docs", "春耕", 5)
    assert _cli(data_dir, cluster_env, "ingest", str(tmp_path / "docs")).returncode == 0
    backend = open_backend(DataPaths(data_dir), "opensearch")
    [old_build] = backend.builds()
    stray = backend.writer()
    stray.upsert({"id": "stray", "title": "不在目录中的文件", "_postings": {"body": "春耕"}})
    stray.commit()
    check = _cli(data_dir, cluster_env, "links", "check")
    assert check.returncode == 1 and "indexed stray" in check.stdout
    done = _cli(data_dir, cluster_env, "reindex")
    assert done.returncode == 0, done.stderr
    assert "Indexed 5 policies anew" in done.stdout
    [new_build] = backend.builds()
    assert new_build != old_build and not backend.client.indices.exists(index=old_build)
    assert backend.indexed_ids() == _catalog_state(data_dir)[0]
    assert _cli(data_dir, cluster_env, "links", "check").returncode == 0
    backend.close()


def test_a_reingest_under_searching_clients_shows_old_or_new_never_part(tmp_path, cluster_env):
    """40 policies change their marker words (no character in common) in one re-ingest while 8 clients search for both
    words: every answer counts 0 or 40 of each, never part of the batch; and a full reindex
    under the same clients."""
    data_dir, folder, count = tmp_path / "var", tmp_path / "docs", 40
    _write_batch(folder, "青松翠柏", count)
    assert _cli(data_dir, cluster_env, "ingest", str(folder)).returncode == 0
    service = SearchService(data_dir, backend=open_backend(DataPaths(data_dir), "opensearch"))
    seen: list[tuple[str, int]] = []
    stop = threading.Event()

    def client(word: str) -> None:
        while not stop.is_set():
            seen.append((word, service.search(word, limit=5, budget_s=60).total))

    clients = [threading.Thread(target=client, args=(w,)) for w in ["青松翠柏", "红日白云"] * 4]
    try:
        for thread in clients:
            thread.start()
        _write_batch(folder, "红日白云", count)
        assert _cli(data_dir, cluster_env, "ingest", str(folder)).returncode == 0
        during_ingest = len(seen)
        assert _cli(data_dir, cluster_env, "reindex").returncode == 0
    finally:
        stop.set()
        for thread in clients:
            thread.join()
        service.close()
    assert during_ingest > 8 and len(seen) > during_ingest
    assert {total for _, total in seen} <= {0, count}, sorted({t for _, t in seen})
    assert ("红日白云", count) in seen and ("青松翠柏", 0) in seen


def test_a_cluster_that_cannot_be_reached_is_one_line_with_a_hint(tmp_path):
    env = {**os.environ, ENV: "opensearch", opensearch.URL_ENV: "http://127.0.0.1:9"}
    for args in (["search", "稳岗"], ["ingest", str(REPO / "corpus" / "central")]):
        done = subprocess.run([*CLI, "--data-dir", str(tmp_path / "var"), *args], capture_output=True,
                              text=True, cwd=REPO, env=env, timeout=120)
        assert done.returncode != 0 and "Traceback" not in done.stderr
        assert "cannot reach OpenSearch" in done.stderr and opensearch.URL_ENV in done.stderr


def test_the_command_line_options_choose_the_backend(tmp_path, opensearch_url):
    """--backend and --opensearch-url do what the environment does."""
    prefix = f"test-{secrets.token_hex(4)}"
    env = {opensearch.PREFIX_ENV: prefix}
    try:
        done = _cli(tmp_path / "var", env, "--backend", "opensearch", "--opensearch-url", opensearch_url,
                    "ingest", str(REPO / "corpus" / "central"))
        assert done.returncode == 0, done.stderr
        assert not (tmp_path / "var" / "index").exists()  # nothing local
        found = _cli(tmp_path / "var", env, "--backend", "opensearch", "--opensearch-url", opensearch_url,
                     "search", "--json", "复工复产")
        assert found.returncode == 0 and json.loads(found.stdout)["total"] > 0
        wrong = _cli(tmp_path / "var", {}, "--backend", "elsewhere", "search", "x")
        assert wrong.returncode == 2 and "elsewhere" in wrong.stderr
    finally:
        delete_opensearch_indices(opensearch_url, prefix)


def _start_cluster(state_dir: Path, nodes: int) -> list[str]:
    state = {**os.environ, "OPENSEARCH_CLUSTER_DIR": str(state_dir)}
    started = subprocess.run([str(CLUSTER), "start", str(nodes)], capture_output=True, text=True, env=state,
                             timeout=900)
    assert started.returncode == 0, started.stderr[-2000:]
    return started.stdout.split()


def _cluster(state_dir: Path, *args: str) -> None:
    subprocess.run([str(CLUSTER), *args], capture_output=True, timeout=120,
                   env={**os.environ, "OPENSEARCH_CLUSTER_DIR": str(state_dir)})


def test_three_nodes_lose_one_then_all_mid_batch_and_nothing_is_lost(tmp_path, opensearch_url):
    """3 primaries × 1 replica on 3 nodes. SIGKILL one: every query answers the same totals.
    Then a batch stops after sending its writes, the two other nodes are killed, and the batch
    goes on: one line with a hint, the catalog keeps the batch pending. The next run, on a new
    cluster, indexes everything from the catalog."""
    state, data_dir, batch = tmp_path / "cluster", tmp_path / "var", tmp_path / "spring"
    urls = _start_cluster(state, 3)
    try:
        env = {ENV: "opensearch", opensearch.URL_ENV: ",".join(urls), opensearch.PREFIX_ENV: "failover",
               opensearch.SHARDS_ENV: "3", opensearch.REPLICAS_ENV: "1"}
        assert _cli(data_dir, env, "ingest", str(REPO / "corpus")).returncode == 0
        before = _totals(data_dir, env)
        _cluster(state, "stop", "--kill", "2")
        assert _totals(data_dir, env) == before and sum(before) > 0

        _write_batch(batch, "青松翠柏", 5)
        resume = tmp_path / "resume"
        ingest = subprocess.Popen([*CLI, "--data-dir", str(data_dir), "ingest", str(batch)], cwd=REPO, text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  env={**os.environ, **env, FAILPOINT_ENV: "after_index_writes",
                                       RESUME_ENV: str(resume)})
        assert ingest.stderr.readline().startswith("failpoint after_index_writes")
        _cluster(state, "stop", "--kill", "1")
        _cluster(state, "stop", "--kill", "3")
        resume.touch()
        _, err = ingest.communicate(timeout=300)
        assert ingest.returncode == 1 and "Traceback" not in err, err
        assert "cannot reach OpenSearch" in err and "pending" in err and "run the same command again" in err
        active, pending = _catalog_state(data_dir)
        assert len(active) == 35 and len(pending) == 5
    finally:
        _cluster(state, "stop")

    new_urls = _start_cluster(state, 1)
    try:
        env[opensearch.URL_ENV] = new_urls[0]
        env[opensearch.SHARDS_ENV], env[opensearch.REPLICAS_ENV] = "1", "0"
        again = _cli(data_dir, env, "ingest", "--json", str(batch))
        assert again.returncode == 0, again.stderr
        assert json.loads(again.stdout)["recovered"] == 35
        active, pending = _catalog_state(data_dir)
        assert not pending
        backend = opensearch.OpenSearchBackend(DataPaths(data_dir), urls=new_urls, prefix="failover")
        assert backend.indexed_ids() == active
        backend.close()
        found = _cli(data_dir, env, "search", "--json", "青松翠柏")
        assert json.loads(found.stdout)["total"] == 5
        assert _totals(data_dir, env) == before
    finally:
        _cluster(state, "stop")


def _totals(data_dir: Path, env: dict) -> list[int]:
    """The total of each recorded query without options, asked in a process of its own."""
    out = []
    for query, options, _ in EXPECTED:
        if options or query.startswith("-"):  # a query of exclusions alone counts every policy
            continue
        done = _cli(data_dir, env, "search", "--json", "--", query, timeout=120)
        assert done.returncode == 0, done.stderr
        out.append(json.loads(done.stdout)["total"])
    return out


def test_the_web_answers_503_while_the_cluster_cannot_be_reached(tmp_path, monkeypatch):
    from web.app import create_app

    monkeypatch.setenv(ENV, "opensearch")
    monkeypatch.setenv(opensearch.URL_ENV, "http://127.0.0.1:9")
    client = create_app({"DATA_DIR": str(tmp_path / "var"), "BASE_URL": "https://zc.example.cn"}).test_client()
    api = client.get("/api/search?q=稳岗")
    assert api.status_code == 503 and api.get_json()["error"]["code"] == "index_unavailable"
    assert api.headers["Retry-After"]
    page = client.get("/search?q=稳岗")
    assert page.status_code == 503 and "暂时不可用" in page.get_data(as_text=True)
