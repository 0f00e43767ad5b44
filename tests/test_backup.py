"""Backup and restore: a new server rebuilt from ``export`` answers every link of the old one.

The old server is built once per module: corpus/ ingested, one policy whose 文号 was
corrected (its old id becomes an alias), one policy removed with a replacement, one
saved search made by printing a poster code. Every id it ever issued must answer the
same way through the web app of a server rebuilt from its backup.
"""
from __future__ import annotations

import gzip
import json
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from filelock import FileLock

from indexer.pipeline import ingest
from policy_search import open_service
from policy_search.cli import main
from policy_search.settings import DataPaths

from helpers import CORPUS, write_policy

BASE = "https://x"
NOTICE = "峄城区关于稳岗返还的通知\n峄政发〔2020〕{number}号\n对稳岗企业返还失业保险费。"
QUERIES = ["稳岗补贴", "复工复产 税费减免", "以工代训", "小微企业 房租", "国办发〔2020〕6号"]
REPLACEMENT = re.compile(r'<a href="(/p/[^"]+)">查看替代它的新政策')


def run_cli(data_dir: Path, *args) -> Result:
    return CliRunner().invoke(main, ["--data-dir", str(data_dir), *map(str, args)])


@dataclass
class OldServer:
    """The server being retired: its data directory, its source files and its backups."""

    data_dir: Path
    notices: Path
    backup: Path
    backup_without_text: Path
    removed: str
    replacement: str
    alias: str
    saved_search: str


@pytest.fixture(scope="module")
def old_server(tmp_path_factory) -> OldServer:
    root = tmp_path_factory.mktemp("old-server")
    data_dir, notices = root / "var", root / "notices"
    notice = write_policy(notices, "notice.txt", NOTICE.format(number=1))
    assert not ingest([CORPUS, notices], data_dir).failed
    old_notice_id = _id_of(data_dir, "峄政发〔2020〕1号")
    notice.write_text(NOTICE.format(number=11), encoding="utf-8")  # the 文号 was corrected: a new id
    assert not ingest([notices], data_dir).failed

    with open_service(data_dir) as service:
        removed, replacement = [h.id for h in service.search("", level="central", limit=2, sort="date").hits]
    assert run_cli(data_dir, "remove", removed, "--replaced-by", replacement).exit_code == 0
    poster = run_cli(data_dir, "qr", "--search", "稳岗补贴", "--topic", "稳岗就业",
                     "-o", root / "f.png", "--base-url", BASE)
    assert poster.exit_code == 0, poster.output
    saved_search = re.search(rf"{BASE}/s/(\w+)", poster.output).group(1)

    backup, without_text = root / "backup.json", root / "backup-no-text.json.gz"
    assert run_cli(data_dir, "export", backup).exit_code == 0
    assert run_cli(data_dir, "export", "--no-text", without_text).exit_code == 0
    return OldServer(data_dir, notices, backup, without_text, removed, replacement,
                     old_notice_id, saved_search)


def _id_of(data_dir: Path, doc_number: str) -> str:
    with open_service(data_dir) as service:
        return service.search(doc_number, limit=1).hits[0].id


def every_issued_id(data_dir: Path) -> tuple[list[str], list[str]]:
    """Policy ids (active and removed) plus alias ids, and saved-search ids, of a catalog."""
    with open_service(data_dir) as service:
        catalog = service.catalog
        policies = [p.id for p in catalog.iter_policies(include_removed=True)]
        return policies + list(catalog.aliases()), list(catalog.saved_searches())


def resolutions(data_dir: Path, policy_ids: list[str], search_ids: list[str]) -> dict:
    """How each id answers through the web app: status, redirect target, named replacement."""
    from web import create_app

    app = create_app({"DATA_DIR": str(data_dir), "BASE_URL": BASE})
    client = app.test_client()
    answers = {}
    for pid in policy_ids:
        page = client.get(f"/p/{pid}")
        replacement = REPLACEMENT.search(page.get_data(as_text=True))
        answers[f"/p/{pid}"] = (page.status_code, page.headers.get("Location"),
                                replacement.group(1) if replacement else None)
    for sid in search_ids:
        page = client.get(f"/s/{sid}")
        answers[f"/s/{sid}"] = (page.status_code, page.headers.get("Location"), None)
    service = app.extensions["policy_search"]._service
    if service is not None:
        service.close()
    return answers


def search_ids(data_dir: Path) -> dict[str, tuple]:
    """For each query: the best hit and every id that matches.

    Scores near a tie may swap places: the old index still counts the documents it
    deleted in its statistics (Whoosh keeps them until segments merge), a new one does not.
    """
    found = {}
    with open_service(data_dir) as service:
        for query in QUERIES:
            hits = service.search(query, limit=100).hits
            found[query] = (hits[0].id, sorted(h.id for h in hits))
        found["topic 稳岗就业"] = [h.id for h in service.search("", topic="稳岗就业", limit=50).hits]
    return found


def assert_answers_like_the_old_server(old: OldServer, new_dir: Path) -> None:
    assert run_cli(new_dir, "links", "check").exit_code == 0
    policy_ids, saved = every_issued_id(old.data_dir)
    expected = resolutions(old.data_dir, policy_ids, saved)
    assert resolutions(new_dir, policy_ids, saved) == expected
    assert search_ids(new_dir) == search_ids(old.data_dir)


def read_document(path: Path) -> dict:
    raw = path.read_bytes()
    document = json.loads(gzip.decompress(raw) if path.suffix == ".gz" else raw)
    document.pop("exported_at")
    return document


def without_source_paths(document: dict) -> dict:
    for entry in document["policies"]:
        entry["record"]["source"]["path"] = None
    return document


def test_the_old_server_issued_every_kind_of_link(old_server):
    policy_ids, saved = every_issued_id(old_server.data_dir)
    answers = resolutions(old_server.data_dir, policy_ids, saved)
    assert answers[f"/p/{old_server.alias}"][:2] == (301, f"/p/{_id_of(old_server.data_dir, '峄政发〔2020〕11号')}")
    assert answers[f"/p/{old_server.removed}"] == (410, None, f"/p/{old_server.replacement}")
    assert answers[f"/s/{old_server.saved_search}"][0] == 302
    assert sum(status == 200 for status, _, _ in answers.values()) >= 30
    counts = json.loads(old_server.backup.read_text(encoding="utf-8"))["counts"]
    # the alias's old id is kept as a removed policy too, replaced by its new id
    assert counts == {"policies": 32, "removed": 2, "aliases": 1, "saved_searches": 1}


def test_ingest_then_import_rebuilds_a_server_that_answers_every_old_link(old_server, tmp_path):
    # the new server keeps its source files elsewhere: re-ingested records keep their new paths
    corpus, notices = tmp_path / "files" / "corpus", tmp_path / "files" / "notices"
    shutil.copytree(CORPUS, corpus)
    shutil.copytree(old_server.notices, notices)
    new_dir = tmp_path / "var"
    assert not ingest([corpus, notices], new_dir).failed

    result = run_cli(new_dir, "import", old_server.backup)
    assert result.exit_code == 0, result.output
    # only the alias's old id is new here: every other policy came from the files again
    assert "1 policy added, 0 replaced, 31 kept; 2 marked removed, 1 alias, 1 saved search" in result.output

    assert_answers_like_the_old_server(old_server, new_dir)
    with open_service(old_server.data_dir) as old, open_service(new_dir) as new:
        assert new.catalog.counts()["policies"] == old.catalog.counts()["policies"]  # nothing duplicated
        assert new.stats()["indexed"] == old.stats()["indexed"]
        kept = new.get(old_server.replacement).policy
        assert kept.source.path.startswith(str(tmp_path))


def test_import_alone_rebuilds_the_server_and_round_trips(old_server, tmp_path):
    new_dir = tmp_path / "var"
    result = run_cli(new_dir, "import", old_server.backup)
    assert result.exit_code == 0, result.output
    assert "32 policies added" in result.output and "2 marked removed, 1 alias, 1 saved search" in result.output
    assert_answers_like_the_old_server(old_server, new_dir)

    again = tmp_path / "again.json"
    again.write_text("an older backup, replaced whole", encoding="utf-8")
    exported = run_cli(new_dir, "export", again)
    assert "Exported 32 policies (2 removed), 1 alias and 1 saved search" in exported.output
    # everything comes back but the source paths: a backup's path is never trusted
    assert read_document(again) == without_source_paths(read_document(old_server.backup))
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_importing_twice_changes_nothing(old_server, tmp_path):
    new_dir = tmp_path / "var"
    assert run_cli(new_dir, "import", old_server.backup).exit_code == 0
    first = tmp_path / "first.json"
    run_cli(new_dir, "export", first)
    second = run_cli(new_dir, "import", "--json", old_server.backup)
    assert second.exit_code == 0, second.output
    report = json.loads(second.output)
    assert report["changes"] == 0 and report["kept"] == 32
    after = tmp_path / "after.json"
    run_cli(new_dir, "export", after)
    assert read_document(after) == read_document(first)


def test_replace_puts_back_what_the_backup_says(old_server, tmp_path):
    new_dir = tmp_path / "var"
    assert run_cli(new_dir, "import", old_server.backup).exit_code == 0
    [other] = [pid for pid in every_issued_id(new_dir)[0]
               if pid not in (old_server.removed, old_server.replacement, old_server.alias)][:1]
    assert run_cli(new_dir, "remove", other).exit_code == 0

    merged = json.loads(run_cli(new_dir, "import", "--json", old_server.backup).output)
    assert merged["changes"] == 0  # without --replace the data directory's own removal stands
    with open_service(new_dir) as service:
        assert service.get(other).removed

    replaced = json.loads(run_cli(new_dir, "import", "--replace", "--json", old_server.backup).output)
    assert replaced["replaced"] == 1 and replaced["changes"] == 1
    assert_answers_like_the_old_server(old_server, new_dir)


def test_an_export_without_texts_needs_the_files_re_ingested(old_server, tmp_path):
    document = read_document(old_server.backup_without_text)
    assert document["with_text"] is False
    assert not any("text" in p["record"] for p in document["policies"])
    assert old_server.backup_without_text.stat().st_size < old_server.backup.stat().st_size / 4

    alone = tmp_path / "alone"
    result = run_cli(alone, "import", old_server.backup_without_text)
    assert result.exit_code == 0 and "32 of them came without their text" in result.output
    assert run_cli(alone, "links", "check").exit_code == 0
    with open_service(alone) as service:
        assert service.get(old_server.replacement).policy.text == ""

    # the documented order: ingest the source files, then import: texts from the files, links from the backup
    rebuilt = tmp_path / "rebuilt"
    assert not ingest([CORPUS, old_server.notices], rebuilt).failed
    result = run_cli(rebuilt, "import", old_server.backup_without_text)
    # only the alias's old id, which no file yields any more, comes from the backup alone
    assert result.exit_code == 0 and "1 of them came without its text" in result.output
    assert_answers_like_the_old_server(old_server, rebuilt)
    with open_service(old_server.data_dir) as old, open_service(rebuilt) as new:
        assert new.get(old_server.replacement).policy.text == old.get(old_server.replacement).policy.text


def _backup_with(old_server, change) -> bytes:
    document = json.loads(old_server.backup.read_text(encoding="utf-8"))
    change(document)
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


BAD_BACKUPS = {
    "not-json.json": lambda old: b'{"format": "policy-search-backup", ',
    "a-list.json": lambda old: b"[]",
    "future.json": lambda old: _backup_with(old, lambda d: d.update(version=2)),
    "no-policies.json": lambda old: _backup_with(old, lambda d: d.pop("policies")),
    "bad-status.json": lambda old: _backup_with(old, lambda d: d["policies"][0].update(status="gone")),
    "bad-id.json": lambda old: _backup_with(old, lambda d: d["policies"][0]["record"].update(id="../etc")),
    "bad-topics.json": lambda old: _backup_with(old, lambda d: d["policies"][0]["record"].update(topics="x")),
    "bad-alias.json": lambda old: _backup_with(old, lambda d: d["aliases"].update(abc="a b")),
    "cut.json.gz": lambda old: gzip.compress(old.backup.read_bytes())[:2000],
    "utf-16.json": lambda old: old.backup.read_text(encoding="utf-8").encode("utf-16"),
}


@pytest.mark.parametrize("name", [*BAD_BACKUPS, "missing.json"])
def test_a_bad_backup_is_refused_with_a_hint_and_nothing_written(old_server, tmp_path, name):
    path = tmp_path / name
    if name in BAD_BACKUPS:
        path.write_bytes(BAD_BACKUPS[name](old_server))
    new_dir = tmp_path / "var"
    result = run_cli(new_dir, "import", path)
    assert result.exit_code == 1
    assert "Error: " in result.output and "Hint: " in result.output, result.output
    assert "Traceback" not in result.output and "unexpected" not in result.output
    assert not new_dir.exists()


def test_export_refuses_unknown_names_and_missing_catalogs(old_server, tmp_path):
    wrong_name = run_cli(old_server.data_dir, "export", tmp_path / "backup.txt")
    assert wrong_name.exit_code == 1 and "Hint: name the backup FILE.json" in wrong_name.output
    empty = run_cli(tmp_path / "nothing", "export", tmp_path / "b.json")
    assert empty.exit_code == 1 and "Error: no catalog" in empty.output and "Hint: " in empty.output
    no_folder = run_cli(old_server.data_dir, "export", tmp_path / "no" / "b.json")
    assert no_folder.exit_code == 1 and "does not exist" in no_folder.output
    assert not (tmp_path / "b.json").exists()


def test_import_without_wait_refuses_while_another_writer_holds_the_lock(old_server, tmp_path):
    new_dir = tmp_path / "var"
    new_dir.mkdir()
    with FileLock(str(DataPaths(new_dir).lock_file)):
        result = run_cli(new_dir, "import", "--no-wait", old_server.backup)
    assert result.exit_code == 1
    assert "Error: another ingest is writing" in result.output and "Hint: " in result.output
    assert not DataPaths(new_dir).catalog_file.exists()


def test_import_waits_for_the_writer_holding_the_lock(old_server, tmp_path):
    new_dir = tmp_path / "var"
    new_dir.mkdir()
    lock = FileLock(str(DataPaths(new_dir).lock_file))
    lock.acquire()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "policy_search.cli", "--data-dir", str(new_dir), "import", str(old_server.backup)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.5)
        assert process.poll() is None, "import must wait while the lock is held"
    finally:
        lock.release()
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert "Waiting for another ingest" in err and "32 policies added" in out
