"""Helpers shared by the tests: where the real data is, small file writers."""
from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"
SHARED_DATA = REPO.parent / "shared" / "data"
SHARED_MISSING = "../shared/data not found: real-data tests need the shared folder beside the repository"


def shared(*parts: str) -> Path:
    """A path under ../shared/data, skipping the test when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(SHARED_MISSING)
    return path



def write_policy(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    """Write a small policy text file for a test."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path


def index_texts(folder: Path, data_dir: Path, texts: dict[str, str]) -> Path:
    """Write small policy files and ingest them; returns the data directory."""
    from indexer.pipeline import ingest

    for name, text in texts.items():
        write_policy(folder, name, text)
    report = ingest([folder], data_dir)
    assert not report.failed, report.failed
    return data_dir
