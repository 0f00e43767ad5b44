"""The guard on the session's read-only corpus index (tests/conftest.py) can fail.

``corpus_data_dir`` hashes its files when built and compares at the end of the session;
tests that write take ``corpus_copy``. These tests show that a copy starts identical,
is independent of the session's index, and that the kinds of writes the guard is for
(a saved search in the catalog, a removal committed to the index) change the state it
compares.
"""
from click.testing import CliRunner

from policy_search import open_service
from policy_search.cli import main

from helpers import data_dir_state, state_changes


def test_a_copy_starts_as_the_session_index(corpus_data_dir, corpus_copy):
    assert data_dir_state(corpus_copy) == data_dir_state(corpus_data_dir)


def test_a_saved_search_shows_as_a_change_of_the_catalog(corpus_data_dir, corpus_copy, tmp_path):
    before, session_before = data_dir_state(corpus_copy), data_dir_state(corpus_data_dir)
    result = CliRunner().invoke(main, ["--data-dir", str(corpus_copy), "qr", "--search", "稳岗补贴",
                                       "-o", str(tmp_path / "q.png"), "--base-url", "https://zc.example.cn"])
    assert result.exit_code == 0, result.output
    changed = state_changes(before, data_dir_state(corpus_copy))
    assert changed and all(line.startswith("catalog") for line in changed), changed
    assert data_dir_state(corpus_data_dir) == session_before  # the copy is its own


def test_a_removal_shows_as_a_change_of_catalog_and_index(corpus_copy):
    before = data_dir_state(corpus_copy)
    with open_service(corpus_copy) as service:
        policy_id = service.search("稳岗", limit=1).hits[0].id
    result = CliRunner().invoke(main, ["--data-dir", str(corpus_copy), "remove", policy_id])
    assert result.exit_code == 0, result.output
    changed = state_changes(before, data_dir_state(corpus_copy))
    assert any(line.startswith("catalog") for line in changed), changed
    assert any(line.startswith("index/") for line in changed), changed


def test_reading_leaves_the_state_as_it_was(corpus_copy):
    """What read-only tests do (open, search, read a policy, close) does not count as a write."""
    before = data_dir_state(corpus_copy)
    with open_service(corpus_copy) as service:
        hit = service.search("复工复产", limit=3).hits[0]
        service.get(hit.id)
    result = CliRunner().invoke(main, ["--data-dir", str(corpus_copy), "search", "租金", "--json"])
    assert result.exit_code == 0, result.output
    assert state_changes(before, data_dir_state(corpus_copy)) == []
