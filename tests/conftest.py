"""Shared fixtures: real indexes built from real files in temporary folders."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from indexer.pipeline import ingest
from policy_search import open_service

from helpers import CORPUS, data_dir_state, state_changes


@pytest.fixture(scope="session")
def corpus_data_dir(tmp_path_factory) -> Path:
    """A data directory with corpus/ ingested once, for read-only tests.

    Read-only is checked: when the session ends, every file of it must be byte for byte what
    the ingest left (an error at teardown names the files that changed). A test that
    writes (remove, retag, ingest, import, ``qr --search`` saving a search ...) takes
    ``corpus_copy`` instead.
    """
    data_dir = tmp_path_factory.mktemp("corpus-var")
    report = ingest([CORPUS], data_dir)
    assert not report.failed, report.failed
    built = data_dir_state(data_dir)
    assert any(name.startswith("catalog") for name in built) and len(built) >= 2, built
    yield data_dir
    changed = state_changes(built, data_dir_state(data_dir))
    assert not changed, ("the session's read-only corpus index was written by a test (give that test "
                         "corpus_copy): " + "; ".join(changed))


@pytest.fixture(autouse=True)
def _corpus_index_stays_read_only(request):
    """Each test that uses the session's corpus index leaves its files as they were.

    The end-of-session check in ``corpus_data_dir`` catches any write; this one names the test.
    """
    if "corpus_data_dir" not in request.fixturenames:
        yield
        return
    data_dir = request.getfixturevalue("corpus_data_dir")
    before = data_dir_state(data_dir)
    yield
    changed = state_changes(before, data_dir_state(data_dir))
    assert not changed, (f"{request.node.nodeid} wrote into the session's read-only corpus index "
                         "(take corpus_copy instead): " + "; ".join(changed))


@pytest.fixture
def corpus_copy(corpus_data_dir, tmp_path) -> Path:
    """A copy of the session's corpus index that a test may write to (faster than an ingest)."""
    copy = tmp_path / "corpus-var"
    shutil.copytree(corpus_data_dir, copy, ignore=shutil.ignore_patterns("*-shm", "*.lock", "*WRITELOCK"))
    return copy


@pytest.fixture(scope="session")
def corpus_service(corpus_data_dir):
    """The search service over the corpus index."""
    service = open_service(corpus_data_dir)
    yield service
    service.close()


@pytest.fixture
def data_dir(tmp_path) -> Path:
    """A fresh, empty data directory for tests that write."""
    return tmp_path / "var"


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "browser: drives a real chromium through Playwright (tests/test_browser.py)")


@pytest.fixture(scope="session")
def corpus_app(corpus_data_dir):
    """The Flask app over the corpus index (read-only), with a fixed public address."""
    from web.app import create_app

    app = create_app({"DATA_DIR": str(corpus_data_dir), "BASE_URL": "https://zc.example.cn"})
    yield app
    holder = app.extensions["policy_search"]
    if holder._service is not None:
        holder._service.close()


@pytest.fixture(scope="session")
def opensearch_url(tmp_path_factory) -> str:
    """A running OpenSearch node's URL: the one ``POLICY_SEARCH_OPENSEARCH_URL`` names (``.ci/run``
    starts one), else one node started here with ``scripts/opensearch-cluster`` for the session.
    Skipped, with the reason, on a machine without Java and Maven."""
    import os
    import subprocess

    from policy_search.storage.backends.opensearch import URL_ENV

    given = os.environ.get(URL_ENV)
    if given:
        yield given
        return
    if not (shutil.which("java") and shutil.which("mvn")):
        pytest.skip("OpenSearch tests need Java 17 and Maven to start a node (scripts/opensearch-cluster)")
    cluster = str(Path(__file__).resolve().parents[1] / "scripts" / "opensearch-cluster")
    state = {**os.environ, "OPENSEARCH_CLUSTER_DIR": str(tmp_path_factory.mktemp("opensearch"))}
    started = subprocess.run([cluster, "start", "1"], capture_output=True, text=True, env=state, timeout=900)
    assert started.returncode == 0, started.stderr[-2000:]
    try:
        yield started.stdout.split()[0]
    finally:
        subprocess.run([cluster, "stop"], capture_output=True, env=state, timeout=120)

