"""Killed ingests leave an index that answers and a next run that completes; one writer at a time."""
import signal
import subprocess
import sys
import time

import pytest
from filelock import FileLock

from policy_search import open_service
from policy_search.storage.catalog import Catalog
from policy_search.settings import DataPaths

from helpers import shared, write_policy

CLI = [sys.executable, "-m", "policy_search.cli"]


def run_cli(data_dir, *args, **kwargs):
    return subprocess.run([*CLI, "--data-dir", str(data_dir), *args], capture_output=True, text=True,
                          timeout=300, **kwargs)


def index_ids(data_dir):
    with open_service(data_dir) as service:
        with service.backend.index.searcher() as searcher:
            return {f["id"] for f in searcher.all_stored_fields()}


@pytest.fixture(scope="module")
def whole_ingest_seconds(tmp_path_factory) -> float:
    """How long the ingest the kills interrupt takes here, uninterrupted (the kills land at
    shares of it, so a faster ingest or a slower machine moves them along)."""
    corpus = shared("ncp", "corpus.tsv")
    started = time.perf_counter()
    assert run_cli(tmp_path_factory.mktemp("whole") / "var", "ingest", str(corpus)).returncode == 0
    return time.perf_counter() - started


@pytest.mark.parametrize("share", [0.2, 0.55, 0.85])
def test_sigkill_mid_ingest_then_next_run_completes(tmp_path, share, whole_ingest_seconds):
    corpus = shared("ncp", "corpus.tsv")
    for attempt in range(KILL_ATTEMPTS):
        data_dir = tmp_path / f"var{attempt}"
        if _killed_mid_ingest(data_dir, corpus, share * whole_ingest_seconds * 0.7 ** attempt):
            break
    else:
        pytest.fail(f"the ingest ended before each of {KILL_ATTEMPTS} kills (from {share:.0%} of "
                    f"{whole_ingest_seconds:.1f} s down); make the batch bigger")

    with open_service(data_dir) as service:  # the index still opens and answers
        assert service.search("稳岗返还").total >= 1

    result = run_cli(data_dir, "ingest", "--json", str(corpus))
    assert result.returncode == 0, result.stderr
    catalog = Catalog(DataPaths(data_dir).catalog_file)
    active = catalog.active_ids()
    assert not catalog.pending_ids()
    catalog.close()
    assert len(active) == 600
    assert index_ids(data_dir) == active


#: Tries at killing the ingest while it works, each sooner than the one before (on a shared
#: machine the same ingest may run faster than when it was timed).
KILL_ATTEMPTS = 3


def _killed_mid_ingest(data_dir, corpus, kill_after: float) -> bool:
    """Start an ingest of ``corpus`` over a seeded ``data_dir`` and SIGKILL it after ``kill_after``
    seconds. False when it had ended by then: the kill would prove nothing."""
    seed = write_policy(data_dir.parent / f"{data_dir.name}-seed", "a.txt",
                        "峄城区关于稳岗返还的通知（示例）\n落实稳岗返还。\n2020年2月1日")
    assert run_cli(data_dir, "ingest", str(seed)).returncode == 0
    process = subprocess.Popen([*CLI, "--data-dir", str(data_dir), "ingest", str(corpus)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(kill_after)
    if process.poll() is not None:
        return False
    process.send_signal(signal.SIGKILL)
    # ended by the signal, not by exiting on its own between the check and the kill
    return process.wait() == -signal.SIGKILL


def test_second_writer_without_wait_exits_with_a_message(tmp_path):
    data_dir = tmp_path / "var"
    folder = tmp_path / "b"
    write_policy(folder, "a.txt", "枣庄市关于以工代训的通知（示例）\n以工代训补贴。")
    data_dir.mkdir()
    with FileLock(str(DataPaths(data_dir).lock_file)):
        result = run_cli(data_dir, "ingest", "--no-wait", str(folder))
    assert result.returncode == 1
    assert "another ingest is writing" in result.stderr and "Traceback" not in result.stderr


def test_second_writer_waits_for_the_first(tmp_path):
    data_dir = tmp_path / "var"
    folder = tmp_path / "b"
    write_policy(folder, "a.txt", "枣庄市关于以工代训的通知（示例）\n以工代训补贴。")
    data_dir.mkdir()
    lock = FileLock(str(DataPaths(data_dir).lock_file))
    lock.acquire()
    process = subprocess.Popen([*CLI, "--data-dir", str(data_dir), "ingest", str(folder)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(2.0)
    assert process.poll() is None, "the second ingest must wait while the lock is held"
    lock.release()
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0
    assert "Waiting for another ingest" in err and "1 added" in out
