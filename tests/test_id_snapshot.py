"""Policy ids do not change: every sample and real document keeps the id of the snapshot.

Ids are printed in QR codes, so a change to parsing, extraction or id derivation that gives
a document another id breaks links already on paper. The snapshots in tests/fixtures/ids/
hold the id that the reference commit gave every document of ``corpus/`` and of the shared
data sets ingest reads (ncp/corpus.tsv, govcn/html, docx, pdf, laws); each test here
recomputes one set with the code in the working tree and fails listing the keys that differ.

When a change of ids is intended (and the printed codes are dealt with), regenerate the
snapshots from a clean checkout of the commit that makes the change, as the docstring of
tests/fixtures/ids/make_snapshot.py says (``--write``); without ``--write`` the script
lists the differences, like these tests. Say why in tests/fixtures/ids/CHANGES.md, which lists
every change of ids so far and the test that keeps the old ids answering.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from helpers import SHARED_DATA, shared

SNAPSHOT_DIR = Path(__file__).parent / "fixtures" / "ids"


def _load_maker():
    spec = importlib.util.spec_from_file_location("ids_make_snapshot", SNAPSHOT_DIR / "make_snapshot.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


maker = _load_maker()

#: How many keys each snapshot holds: a snapshot emptied or cut short must not pass as "no change".
EXPECTED_SIZES = {"corpus": 30, "ncp": 599, "govcn": 40, "docx": 96, "pdf": 10, "laws": 3057}


def test_every_set_has_a_snapshot_of_the_expected_size():
    assert set(maker.SETS) == set(EXPECTED_SIZES)
    for name, size in EXPECTED_SIZES.items():
        snapshot = maker.load_snapshot(name)
        assert len(snapshot) == size, name
        assert all(isinstance(v, str) and v for v in snapshot.values()), f"{name}: a document turned down"


@pytest.mark.parametrize("name", list(EXPECTED_SIZES))
def test_ids_are_those_of_the_snapshot(name):
    if maker.SETS[name][0] == "shared":
        shared()  # skips with the reason when ../shared/data is absent
    expected = maker.load_snapshot(name)
    actual = maker.ids_of_set(name)
    changed = maker.differences(expected, actual)
    assert not changed, (f"{len(changed)} of {len(expected)} ids of '{name}' differ from "
                         f"tests/fixtures/ids/{name}.json (snapshot -> now):\n  " + "\n  ".join(changed[:50])
                         + ("\n  ..." if len(changed) > 50 else ""))


def test_the_corpus_index_holds_the_snapshot_ids(corpus_data_dir):
    """End to end, through the writer: a real ingest of corpus/ stores exactly these ids."""
    from policy_search.storage.catalog import Catalog
    from policy_search.settings import DataPaths

    catalog = Catalog(DataPaths(corpus_data_dir).catalog_file)
    try:
        stored = catalog.active_ids()
    finally:
        catalog.close()
    assert stored == set(maker.load_snapshot("corpus").values())


def test_a_changed_id_is_reported_by_its_key():
    """The comparison itself can fail: a changed, a missing and a new key are each listed."""
    expected = {"a.txt": "aaaaaaaaaa", "b.txt": "bbbbbbbbbb", "c.tsv:2": "cccccccccc"}
    actual = {"a.txt": "aaaaaaaaaa", "b.txt": "zzzzzzzzzz", "d.txt": "dddddddddd"}
    assert maker.differences(expected, actual) == [
        "b.txt: bbbbbbbbbb -> zzzzzzzzzz",
        "c.tsv:2: cccccccccc -> (no longer found)",
        "d.txt: (not in the snapshot) -> dddddddddd",
    ]
    assert maker.differences(expected, dict(expected)) == []


def test_snapshot_keys_are_relative_and_stable():
    """Keys name files relative to their data folder, never by an absolute path of this machine."""
    for name in EXPECTED_SIZES:
        for key in maker.load_snapshot(name):
            assert not key.startswith("/") and str(SHARED_DATA) not in key, key
    assert all(k.startswith("corpus/") for k in maker.load_snapshot("corpus"))
    assert all(k.startswith("ncp/corpus.tsv:") for k in maker.load_snapshot("ncp"))
