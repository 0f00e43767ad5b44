"""Shared fixtures: real indexes built from real files in temporary folders."""
from __future__ import annotations

from pathlib import Path

import pytest

from indexer.pipeline import ingest
from policy_search import open_service

from helpers import CORPUS


@pytest.fixture(scope="session")
def corpus_data_dir(tmp_path_factory) -> Path:
    """A data directory with corpus/ ingested once, for read-only tests."""
    data_dir = tmp_path_factory.mktemp("corpus-var")
    report = ingest([CORPUS], data_dir)
    assert not report.failed, report.failed
    return data_dir


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
