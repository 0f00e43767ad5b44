"""Reliability under real conditions: kills at chosen points of a commit, re-ingest while serving, load.

The serving tests run ``policy-search serve`` as a subprocess and search it from
client threads over HTTP, as enterprises would, while ``policy-search ingest`` runs.
"""
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import pytest

from policy_search import open_service
from policy_search.storage.catalog import Catalog
from policy_search.storage.failpoints import ENV as FAILPOINT_ENV
from policy_search.settings import DataPaths

from helpers import CORPUS, serving, shared, write_policy

CLI = [sys.executable, "-m", "policy_search.cli"]
#: Words that each of the 行政法规 is likely to answer, so that answers are never empty.
QUESTIONS = ["条例", "管理", "国务院", "规定", "安全", "企业", "税收", "土地", "劳动", "公共"]


def run_cli(data_dir, *args, env=None):
    return subprocess.run([*CLI, "--data-dir", str(data_dir), *args], capture_output=True, text=True,
                          timeout=900, env=env)


def catalog_agrees_with_index(data_dir: Path) -> None:
    catalog = Catalog(DataPaths(data_dir).catalog_file)
    try:
        assert not catalog.pending_ids()
        active = catalog.active_ids()
    finally:
        catalog.close()
    with open_service(data_dir) as service, service.backend.index.searcher() as searcher:
        assert {f["id"] for f in searcher.all_stored_fields()} == active


# --- kills at chosen points ------------------------------------------------------------


def ingest_frozen_at(data_dir: Path, source: Path, failpoint: str) -> subprocess.Popen:
    env = {**os.environ, FAILPOINT_ENV: failpoint}
    process = subprocess.Popen([*CLI, "--data-dir", str(data_dir), "ingest", str(source)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    line = process.stderr.readline()
    while line and not line.startswith("failpoint"):
        line = process.stderr.readline()
    assert line.startswith(f"failpoint {failpoint}"), line
    return process


def ingest_killed_while_writing_the_index(data_dir: Path, source: Path) -> subprocess.Popen:
    """Start an ingest and kill it as soon as a new file appears in the index folder."""
    index_dir = DataPaths(data_dir).index_dir
    before = set(os.listdir(index_dir))
    process = subprocess.Popen([*CLI, "--data-dir", str(data_dir), "ingest", str(source)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while process.poll() is None and time.monotonic() < deadline:
        if set(os.listdir(index_dir)) - before:
            break
        time.sleep(0.005)
    return process


@pytest.mark.parametrize("moment", ["before_index_commit", "writing_the_index", "after_index_commit"])
def test_a_kill_around_the_commit_leaves_a_working_index_and_the_next_run_completes(tmp_path, moment):
    """before: catalog rows pending, index untouched; writing: Whoosh is writing the new
    segment; after: index committed, catalog rows not yet marked indexed."""
    data_dir = tmp_path / "var"
    assert run_cli(data_dir, "ingest", str(CORPUS / "central")).returncode == 0
    with open_service(data_dir) as service:
        before = service.search("复工复产").total
    if moment == "writing_the_index":
        process = ingest_killed_while_writing_the_index(data_dir, CORPUS)
    else:
        process = ingest_frozen_at(data_dir, CORPUS, moment)
    assert process.poll() is None, "the ingest ended before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait()

    with open_service(data_dir) as service:  # the index opens and answers at least what it had
        assert service.search("复工复产").total >= before
    result = run_cli(data_dir, "ingest", "--json", str(CORPUS))
    assert result.returncode == 0, result.stderr
    catalog_agrees_with_index(data_dir)
    assert run_cli(data_dir, "links", "check").returncode == 0


# --- recovery only after a run that did not finish ------------------------------------------------

RECOVERY_MESSAGE = "again from the catalog"
NOTICE = "峄城区财政局关于小微企业贷款贴息的通知（示例）\n峄财发〔2020〕{number}号\n对小微企业贷款给予贴息。\n2020年3月2日"


def small_folder(folder: Path) -> Path:
    write_policy(folder, "a.txt", NOTICE.format(number=7))
    write_policy(folder, "b.txt", "峄城区关于稳岗返还的通知（示例）\n峄人社发〔2020〕8号\n落实稳岗返还政策。")
    write_policy(folder, "c.txt", "峄城区关于房租减免的通知（示例）\n峄政发〔2020〕9号\n减免三个月房租。")
    return folder


def assert_ten_quiet_ingests(data_dir: Path, folder: Path) -> None:
    """Ten ingests in a row, every other one as JSON: none reports a recovery."""
    for run in range(10):
        if run % 2:
            result = run_cli(data_dir, "ingest", "--json", str(folder))
            assert result.returncode == 0, result.stderr
            assert json.loads(result.stdout)["recovered"] == 0, f"ingest {run + 1}"
        else:
            result = run_cli(data_dir, "ingest", str(folder))
            assert result.returncode == 0, result.stderr
            assert RECOVERY_MESSAGE not in result.stdout + result.stderr, f"ingest {run + 1}: {result.stdout}"
    catalog_agrees_with_index(data_dir)


def test_no_recovery_is_reported_after_a_removal_or_an_id_change(tmp_path):
    data_dir, folder = tmp_path / "var", small_folder(tmp_path / "batch")
    first = run_cli(data_dir, "ingest", "--json", str(folder))
    assert first.returncode == 0 and json.loads(first.stdout)["added"] == 3
    removed = json.loads(first.stdout)["added_ids"][1]
    assert run_cli(data_dir, "remove", removed).returncode == 0
    assert_ten_quiet_ingests(data_dir, folder)

    write_policy(folder, "a.txt", NOTICE.format(number=17))  # a corrected 文号: a new id, the old one an alias
    changed = run_cli(data_dir, "ingest", "--json", str(folder))
    report = json.loads(changed.stdout)
    assert report["recovered"] == 0 and len(report["added_ids"]) == 1
    assert any("identity changed" in w["warning"] for w in report["warnings"])
    assert_ten_quiet_ingests(data_dir, folder)


def test_a_run_killed_before_its_commit_is_recovered_once(tmp_path):
    data_dir, folder = tmp_path / "var", small_folder(tmp_path / "batch")
    assert run_cli(data_dir, "ingest", str(folder)).returncode == 0
    write_policy(folder, "a.txt", NOTICE.format(number=27))  # an id change ...
    (folder / "b.txt").unlink()                              # ... and a file gone (pruned)
    write_policy(folder, "d.txt", "峄城区关于以工代训的通知（示例）\n峄人社发〔2020〕10号\n以工代训补贴。")
    env = {**os.environ, FAILPOINT_ENV: "before_index_commit"}
    process = subprocess.Popen([*CLI, "--data-dir", str(data_dir), "ingest", "--prune", str(folder)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    line = process.stderr.readline()
    while line and not line.startswith("failpoint"):
        line = process.stderr.readline()
    assert line.startswith("failpoint before_index_commit"), line
    process.send_signal(signal.SIGKILL)
    process.wait()
    process.stderr.close()

    # the catalog holds the batch, the index does not: the new id and d.txt's policy to add,
    # the old id and b.txt's policy to take out
    again = run_cli(data_dir, "ingest", str(folder))
    assert again.returncode == 0, again.stderr
    assert "Indexed 4 policies again from the catalog" in again.stdout
    catalog_agrees_with_index(data_dir)
    assert_ten_quiet_ingests(data_dir, folder)


# --- serving while ingesting, and under load --------------------------------------------------


def search_total(conn: http.client.HTTPConnection, query: str) -> tuple[int, int]:
    """(status, total) of /api/search for a query, on a keep-alive connection."""
    conn.request("GET", "/api/search?" + urllib.parse.urlencode({"q": query, "limit": 5}))
    response = conn.getresponse()
    body = response.read()
    total = json.loads(body)["total"] if response.status == 200 else -1
    return response.status, total


class Clients:
    """Threads searching a server in a loop until stopped, recording what they saw."""

    def __init__(self, port: int, queries: list[str], count: int):
        self.port, self.queries = port, queries
        self.stop_flag = threading.Event()
        self.lock = threading.Lock()
        self.seen: dict[str, set[int]] = {q: set() for q in queries}
        self.failures: list[str] = []
        self.latencies: list[float] = []
        self.threads = [threading.Thread(target=self._run, args=(k,), daemon=True) for k in range(count)]

    def _run(self, offset: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        i = offset
        while not self.stop_flag.is_set():
            query = self.queries[i % len(self.queries)]
            i += 1
            started = time.perf_counter()
            try:
                status, total = search_total(conn, query)
            except (OSError, http.client.HTTPException) as err:
                with self.lock:
                    self.failures.append(f"{type(err).__name__} on {query}")
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                continue
            with self.lock:
                self.latencies.append((time.perf_counter() - started) * 1000)
                if status != 200:
                    self.failures.append(f"{status} on {query}")
                else:
                    self.seen[query].add(total)
        conn.close()

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop_flag.set()
        for thread in self.threads:
            thread.join(timeout=60)


MARKER = "zqxj2026"


@pytest.mark.timeout(1200)
def test_reingest_while_serving_loses_no_request_and_shows_old_or_new_state(tmp_path):
    laws = shared("laws", "行政法规")
    source = tmp_path / "行政法规"
    shutil.copytree(laws, source)
    data_dir = tmp_path / "var"
    assert run_cli(data_dir, "ingest", str(source)).returncode in (0, 1)
    with open_service(data_dir) as service:
        # every policy once, a notice reposted under several ids counting once (as searches count)
        policies = service.search("", limit=1, details=False).total
        baseline = {q: service.search(q, limit=1, details=False).total for q in QUESTIONS}
    assert policies > 600 and all(baseline.values())
    for path in source.rglob("*.md"):  # a change to every file: the whole batch is re-indexed
        with path.open("a", encoding="utf-8") as handle:
            handle.write(f"\n\n（修订检验 {MARKER}）\n")

    with serving(data_dir) as server, Clients(server.port, [*QUESTIONS, MARKER], count=8) as clients:
        time.sleep(2)
        result = run_cli(data_dir, "ingest", str(source))
        finished = time.monotonic()
        assert result.returncode in (0, 1), result.stderr
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        while search_total(conn, MARKER)[1] != policies and time.monotonic() - finished < 30:
            time.sleep(0.2)
        seen_after = time.monotonic() - finished
        time.sleep(1)

    assert not clients.failures, clients.failures[:5]
    assert len(clients.latencies) > 100
    for question, totals in clients.seen.items():
        if question == MARKER:
            assert totals <= {0, policies}, f"a half-written state was served: {sorted(totals)}"
        else:
            assert totals == {baseline[question]}, (question, totals)
    assert seen_after < 10, f"the server saw the new state {seen_after:.1f} s after the ingest"


@pytest.mark.timeout(300)
def test_sixty_seconds_of_load_with_sixteen_clients(corpus_data_dir):
    questions = [line.strip()[:100] for line in shared("ncp", "queries-load.txt").read_text(
        encoding="utf-8").splitlines() if line.strip()][:300]
    with serving(corpus_data_dir, threads=16) as server:
        with Clients(server.port, questions, count=16) as warmup:
            time.sleep(10)
        start_rss = server.rss_mb()
        with Clients(server.port, questions, count=16) as clients:
            samples = []
            for _ in range(6):
                time.sleep(10)
                samples.append(server.rss_mb())
    latencies = sorted(clients.latencies)
    rate = len(latencies) / 60
    p50, p99 = latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99)]
    print(f"\n16 clients, 60 s: {rate:.0f} req/s, p50 {p50:.0f} ms, p99 {p99:.0f} ms, "
          f"RSS {start_rss:.0f} MB -> {samples} MB")
    assert not warmup.failures and not clients.failures, clients.failures[:5]
    assert rate > 10
    assert max(samples) - start_rss < 40, f"memory grew under load: {start_rss:.0f} -> {samples}"


def live_documents(data_dir: Path) -> int:
    with open_service(data_dir) as service:
        return service.backend.current_searcher().doc_count()


def test_one_policy_in_two_files_is_indexed_once_on_every_run(tmp_path):
    folder, data_dir = tmp_path / "docs", tmp_path / "var"
    text = "峄城区人民政府关于稳岗返还的通知\n峄政发〔2020〕7号\n对稳岗企业返还失业保险费。\n"
    for name in ("a.txt", "b.txt"):
        write_policy(folder, name, text)
    assert run_cli(data_dir, "ingest", str(folder)).returncode in (0, 1)
    assert live_documents(data_dir) == 1
    for name in ("a.txt", "b.txt"):  # both copies change: the re-ingest puts the policy twice
        with (folder / name).open("a", encoding="utf-8") as handle:
            handle.write("补充说明。\n")
    assert run_cli(data_dir, "ingest", str(folder)).returncode in (0, 1)
    assert live_documents(data_dir) == 1
    with open_service(data_dir) as service:
        assert service.search("稳岗返还").total == 1
