"""What changed and when: the catalog's first-seen and removal times, the history of each batch,
``policy-search changes`` and the id lists of ``ingest --json``, on real files ingested into a
temporary data directory.
"""
from __future__ import annotations

import datetime
import json
import sqlite3
import time

import pytest
from click.testing import CliRunner

from helpers import write_policy
from policy_search.changes import batch_changes
from policy_search.cli import main
from policy_search.settings import DataPaths
from policy_search.storage.catalog import Catalog


def bulk(folder, name: str, records: list[tuple[str, str]]):
    """A JSONL bulk file of (id, title) policies."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps({"id": pid, "title": title, "issuer": "枣庄市人民政府", "written_date": "2020-03-01",
                         "text": f"{title}。为支持企业发展，现提出以下措施。"}, ensure_ascii=False)
             for pid, title in records]
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def run(data_dir):
    runner = CliRunner()

    def invoke(*args, code: int = 0):
        result = runner.invoke(main, ["--data-dir", str(data_dir), *args], catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result
    return invoke


def as_json(result) -> dict:
    return json.loads(result.output)


# --- the catalog's times ----------------------------------------------------------------------


def test_an_update_keeps_the_first_seen_time_and_a_removal_records_its_own(run, data_dir, tmp_path):
    folder = tmp_path / "b"
    bulk(folder, "p.jsonl", [("p-1", "第一项政策（示例）")])
    run("ingest", str(folder))
    catalog = Catalog(DataPaths(data_dir).catalog_file)
    try:
        first = catalog.policy_status("p-1")
        assert first["created_at"] == first["updated_at"] and first["removed_at"] is None
        time.sleep(0.01)
        bulk(folder, "p.jsonl", [("p-1", "第一项政策（修订，示例）")])
        run("ingest", str(folder))
        updated = catalog.policy_status("p-1")
        assert updated["created_at"] == first["created_at"] and updated["updated_at"] > first["updated_at"]
        run("remove", "p-1")
        removed = catalog.policy_status("p-1")
        assert removed["status"] == "removed" and removed["created_at"] == first["created_at"]
        assert removed["removed_at"] is not None and removed["removed_at"] >= updated["updated_at"]
        bulk(folder, "p.jsonl", [("p-1", "第一项政策（恢复，示例）")])
        run("ingest", str(folder))
        back = catalog.policy_status("p-1")
        assert back["status"] == "active" and back["removed_at"] is None
        assert back["created_at"] == first["created_at"]
    finally:
        catalog.close()


def test_the_latest_to_enter_are_read_in_pages_without_repeats(run, data_dir, tmp_path):
    bulk(tmp_path / "b", "p.jsonl", [(f"p-{n}", f"第{n}项（示例）") for n in range(7)])
    run("ingest", str(tmp_path / "b"))
    catalog = Catalog(DataPaths(data_dir).catalog_file)
    try:
        with catalog.transaction() as conn:  # three that entered at the same moment: ordered by id
            conn.execute("UPDATE policies SET created_at=1e12 WHERE id IN ('p-5', 'p-2', 'p-3')")
        whole = list(catalog.newest_first_seen())
        assert [row[0] for row in whole[:3]] == ["p-2", "p-3", "p-5"] and len(whole) == 7
        for size in (1, 2, 3, 4):
            assert list(catalog.newest_first_seen(page_rows=size)) == whole
    finally:
        catalog.close()


OLD_SCHEMA = """
CREATE TABLE policies (id TEXT PRIMARY KEY, record TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'active',
    replaced_by TEXT, pending INTEGER NOT NULL DEFAULT 1, source_path TEXT, sha256 TEXT,
    created_at REAL NOT NULL, updated_at REAL NOT NULL);
CREATE TABLE sources (path TEXT PRIMARY KEY, sha256 TEXT NOT NULL, size INTEGER NOT NULL, mtime REAL NOT NULL,
    policy_ids TEXT NOT NULL, ingested_at REAL NOT NULL);
CREATE TABLE batches (id INTEGER PRIMARY KEY AUTOINCREMENT, started_at REAL NOT NULL, finished_at REAL,
    report TEXT);
CREATE TABLE history (batch_id INTEGER, at REAL NOT NULL, path TEXT, policy_id TEXT, action TEXT NOT NULL,
    detail TEXT);
"""


def test_a_catalog_of_an_older_release_is_brought_up_to_date(tmp_path):
    path = tmp_path / "catalog.sqlite3"
    with sqlite3.connect(path) as conn:  # the shape before removal times and batch kinds
        conn.executescript(OLD_SCHEMA)
        conn.execute("INSERT INTO policies VALUES ('gone', '{\"id\": \"gone\", \"title\": \"t\"}', 'removed',"
                     " NULL, 0, NULL, NULL, 100.0, 250.0)")
        conn.execute("INSERT INTO policies VALUES ('here', '{\"id\": \"here\", \"title\": \"t\"}', 'active',"
                     " NULL, 0, NULL, NULL, 100.0, 100.0)")
        conn.execute("INSERT INTO batches(started_at, finished_at, report) VALUES (90.0, 120.0, ?)",
                     (json.dumps({"added": 2, "updated": 0, "removed": 0}),))
    catalog = Catalog(path)
    try:
        assert catalog.policy_status("gone")["removed_at"] == 250.0
        assert catalog.policy_status("here")["removed_at"] is None
        (old,) = batch_changes(catalog)
        assert (old.kind, old.itemized, old.counts["added"]) == ("ingest", False, 2)
        assert old.policies["added"] == []
        assert old.to_dict()["itemized"] is False
        assert any("older release" in line for line in old.lines())
        new = catalog.start_batch("remove")
        assert [b["id"] for b in catalog.batches()] == [new, old.id]
        assert catalog.batches()[0]["itemized"] is True
    finally:
        catalog.close()
    Catalog(path).close()  # opening it again changes nothing and fails on nothing


# --- ingest --json and the human report -------------------------------------------------------


def test_ingest_json_lists_the_ids_added_updated_and_removed(run, tmp_path):
    folder = tmp_path / "b"
    bulk(folder, "p.jsonl", [("p-1", "第一项（示例）"), ("p-2", "第二项（示例）"), ("p-3", "第三项（示例）")])
    first = as_json(run("ingest", "--json", str(folder)))
    assert first["added_ids"] == ["p-1", "p-2", "p-3"] and first["updated_ids"] == first["removed_ids"] == []
    bulk(folder, "p.jsonl", [("p-1", "第一项（修订，示例）"), ("p-3", "第三项（示例）"), ("p-4", "第四项（示例）")])
    second = as_json(run("ingest", "--json", str(folder)))
    # p-3 comes from a changed file, but is the same policy: unchanged
    assert (second["added_ids"], second["updated_ids"], second["removed_ids"]) == (["p-4"], ["p-1"], ["p-2"])
    assert (second["added"], second["updated"], second["removed"], second["unchanged"]) == (1, 1, 1, 1)
    unchanged = as_json(run("ingest", "--json", str(folder)))
    assert unchanged["added_ids"] == unchanged["updated_ids"] == unchanged["removed_ids"] == []


def test_the_human_report_names_the_policies_when_few(run, tmp_path):
    few = tmp_path / "few"
    write_policy(few, "a.txt", "峄城区关于房租减免的通知（示例）\n对个体工商户减免三个月房租。\n峄城区人民政府\n2020年2月20日")
    output = run("ingest", str(few)).output
    assert "1 added" in output
    (line,) = [line for line in output.splitlines() if line.startswith("+ ")]
    assert line.endswith("峄城区关于房租减免的通知（示例）")
    many = tmp_path / "many"
    bulk(many, "p.jsonl", [(f"m-{n:02d}", f"第{n}项（示例）") for n in range(11)])
    output = run("ingest", str(many)).output
    assert "11 added" in output and not [line for line in output.splitlines() if line.startswith("+ ")]


# --- policy-search changes --------------------------------------------------------------------


def test_changes_lists_each_batch_with_what_it_did(run, tmp_path):
    folder = tmp_path / "b"
    bulk(folder, "p.jsonl", [("p-1", "第一项（示例）"), ("p-2", "第二项（示例）")])
    run("ingest", str(folder))
    bulk(folder, "p.jsonl", [("p-1", "第一项（修订，示例）"), ("p-3", "第三项（示例）")])
    run("ingest", str(folder))
    run("ingest", str(folder))  # nothing changed: a batch with nothing in it
    run("remove", "p-3")
    data = as_json(run("changes", "--json"))
    assert data["since"] is None
    removal, unchanged, second, first = data["batches"]
    assert [b["kind"] for b in data["batches"]] == ["remove", "ingest", "ingest", "ingest"]
    assert first["added"] == [{"id": "p-1", "title": "第一项（示例）"}, {"id": "p-2", "title": "第二项（示例）"}]
    assert first["counts"] == {"added": 2, "updated": 0, "removed": 0, "renamed": 0}
    assert second["added"] == [{"id": "p-3", "title": "第三项（示例）"}]
    assert second["updated"] == [{"id": "p-1", "title": "第一项（修订，示例）"}]
    assert second["removed"] == [{"id": "p-2", "title": "第二项（示例）", "replaced_by": None}]
    assert unchanged["counts"] == {"added": 0, "updated": 0, "removed": 0, "renamed": 0}
    assert removal["removed"] == [{"id": "p-3", "title": "第三项（示例）", "replaced_by": None}]
    assert all(b["itemized"] and b["finished_at"] >= b["started_at"] for b in data["batches"])
    datetime.datetime.fromisoformat(first["started_at"])  # ISO 8601 with its offset

    text = run("changes").output
    assert "remove: 0 added, 0 updated, 1 removed" in text
    assert "  - p-3  第三项（示例）" in text and "  ~ p-1  第一项（修订，示例）" in text
    assert text.rstrip().endswith("-- 4 batches")


def test_a_changed_identity_is_a_rename_in_changes(run, tmp_path):
    folder = tmp_path / "b"
    write_policy(folder, "a.txt", "枣庄市关于稳岗返还的通知（示例）\n枣政发〔2020〕9号\n落实稳岗返还政策。\n枣庄市人民政府\n2020年3月5日")
    added = as_json(run("ingest", "--json", str(folder)))["added_ids"]
    write_policy(folder, "a.txt", "枣庄市关于稳岗返还的通知（示例）\n枣政发〔2020〕19号\n落实稳岗返还政策。\n枣庄市人民政府\n2020年3月5日")
    report = as_json(run("ingest", "--json", str(folder)))
    assert report["removed_ids"] == [] and len(report["added_ids"]) == 1
    latest = as_json(run("changes", "--json"))["batches"][0]
    assert latest["renamed"] == [{"id": added[0], "title": "枣庄市关于稳岗返还的通知（示例）",
                                  "replaced_by": report["added_ids"][0]}]
    assert latest["removed"] == []


def test_changes_since_a_day(run, tmp_path):
    bulk(tmp_path / "b", "p.jsonl", [("p-1", "第一项（示例）")])
    run("ingest", str(tmp_path / "b"))
    today = datetime.date.today()
    assert len(as_json(run("changes", "--since", today.isoformat(), "--json"))["batches"]) == 1
    tomorrow = (today + datetime.timedelta(days=1)).isoformat()
    later = as_json(run("changes", "--since", tomorrow, "--json"))
    assert later == {"since": tomorrow, "batches": []}
    assert run("changes", "--since", tomorrow).output.strip() == f"-- 0 batches since {tomorrow}"
    for bad_day in ("2020-13-45", "yesterday", "2020-1-5"):
        bad = run("changes", "--since", bad_day, code=2)
        assert bad.output.splitlines() == [f"Error: --since: '{bad_day}' is not a day",
                                           "Hint: write it as YYYY-MM-DD, e.g. --since 2026-03-01"]


def test_changes_without_an_index_says_what_to_do(run):
    result = run("changes", code=1)
    assert "Error: no index in" in result.output and "ingest" in result.output
