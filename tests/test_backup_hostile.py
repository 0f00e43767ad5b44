"""``import`` never trusts a backup: security issue 12, findings 1 (import side), 6 and 7 (given metadata).

A crafted backup must not make the server send files it names, must not exhaust
memory on a decompression bomb, must not slip unchecked values into the catalog,
and must not leave a record behind that blocks every later writer.
"""
from __future__ import annotations

import gzip
import json
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from policy_search import backup, open_service
from policy_search.backup import read_backup
from policy_search.storage.catalog import Catalog
from policy_search.cli import main
from policy_search.errors import BackupError
from policy_search.models import Policy
from policy_search.settings import DataPaths
from policy_search.storage.writer import PolicyWriter

from helpers import write_policy

NOTICE = "峄城区关于稳岗返还的通知\n峄政发〔2020〕7号\n对稳岗企业返还失业保险费。"
TEXT = "第一条 对稳岗企业返还失业保险费。\n第二条 以工代训补贴按月发放。"
SQLITE_HEADER = b"SQLite format 3"
#: Seconds a writer may take on a small folder or a small backup before the test calls it blocked.
PROMPT_SECONDS = 90


def run_cli(data_dir: Path, *args) -> Result:
    return CliRunner().invoke(main, ["--data-dir", str(data_dir), *map(str, args)])


def run_cli_process(data_dir: Path, *args, timeout: float = PROMPT_SECONDS) -> subprocess.CompletedProcess:
    """The CLI in its own process, killed (and the test failed) when it does not end in time."""
    command = [sys.executable, "-m", "policy_search.cli", "--data-dir", str(data_dir), *map(str, args)]
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"policy-search {' '.join(map(str, args))} did not finish within {timeout} s")


def record(policy_id: str, **fields) -> dict:
    """A policy record as export writes it."""
    return {"id": policy_id, "title": f"关于{policy_id}的通知", "text": TEXT, "level": "county",
            "source": {"path": None, "format": "txt", "sha256": ""}, **fields}


def write_backup(path: Path, records: list[dict]) -> Path:
    document = {"format": "policy-search-backup", "version": 1, "exported_at": "2026-01-01T00:00:00+00:00",
                "with_text": True, "counts": {}, "aliases": {}, "saved_searches": {},
                "policies": [{"status": "active", "replaced_by": None, "record": r} for r in records]}
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def shown(data_dir: Path, policy_id: str) -> dict:
    result = run_cli(data_dir, "show", policy_id, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def download(data_dir: Path, policy_id: str):
    """``/p/<id>/original`` through the web app."""
    from web import create_app

    app = create_app({"DATA_DIR": str(data_dir)})
    try:
        return app.test_client().get(f"/p/{policy_id}/original")
    finally:
        service = app.extensions["policy_search"]._service
        if service is not None:
            service.close()


@pytest.fixture
def ingested(tmp_path) -> tuple[Path, Path, dict]:
    """A data directory that ingested one notice: its folder, the file, and the backup's document of it."""
    data_dir = tmp_path / "var"
    notice = write_policy(tmp_path / "notices", "notice.txt", NOTICE)
    result = run_cli(data_dir, "ingest", notice.parent)
    assert result.exit_code == 0, result.output
    exported = tmp_path / "exported.json"
    assert run_cli(data_dir, "export", exported).exit_code == 0
    return data_dir, notice, json.loads(exported.read_text(encoding="utf-8"))


# --- finding 1: paths ---------------------------------------------------------------------


def test_a_path_in_a_backup_is_never_served(tmp_path):
    data_dir = tmp_path / "var"
    paths = {"passwd0001": "/etc/passwd", "hostname01": "../../../../etc/hostname",
             "catalog001": str(DataPaths(data_dir).catalog_file)}
    crafted = write_backup(tmp_path / "crafted.json", [
        record(pid, source={"path": path, "format": "txt", "sha256": ""}) for pid, path in paths.items()])
    result = run_cli(data_dir, "import", crafted)
    assert result.exit_code == 0, result.output
    assert "3 policies added" in result.output

    for pid in paths:
        response = download(data_dir, pid)
        body = response.get_data()
        assert response.status_code == 200
        assert b"root:" not in body and not body.startswith(SQLITE_HEADER)
        # the fallback for a policy without a file: its own text
        assert body.decode("utf-8") == f"关于{pid}的通知\n\n{TEXT}\n"
        assert shown(data_dir, pid)["source"] == {"path": None, "format": "txt", "sha256": ""}


def test_replace_keeps_the_source_this_server_ingested(ingested, tmp_path):
    data_dir, notice, document = ingested
    [entry] = document["policies"]
    policy_id = entry["record"]["id"]
    entry["record"]["source"]["path"] = "/etc/passwd"
    entry["record"]["title"] = "峄城区关于稳岗返还的通知（修订）"
    crafted = tmp_path / "crafted.json"
    crafted.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")

    result = run_cli(data_dir, "import", "--replace", "--json", crafted)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["replaced"] == 1
    record_now = shown(data_dir, policy_id)
    assert record_now["title"] == "峄城区关于稳岗返还的通知（修订）"  # the backup won ...
    assert record_now["source"]["path"] == str(notice)  # ... but not over the file ingest recorded
    response = download(data_dir, policy_id)
    assert response.status_code == 200 and response.get_data() == notice.read_bytes()


# --- finding 7: control characters in given metadata ----------------------------------------


def test_control_characters_are_taken_out_of_one_line_fields(ingested, tmp_path):
    data_dir, notice, document = ingested
    [entry] = document["policies"]
    policy_id = entry["record"]["id"]
    entry["record"].update(title="峄城区关于稳岗返还\r\n的通知\x00", issuer="峄城区\x1b[31m人民政府",
                           topics=["稳岗\n就业"], text="第一条\r\n返还\x07失业保险费。")
    crafted = tmp_path / "crafted.json"
    crafted.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")

    result = run_cli(data_dir, "import", "--replace", crafted)
    assert result.exit_code == 0, result.output
    response = download(data_dir, policy_id)  # the title names the download: a CR/LF made it a 500
    assert response.status_code == 200 and response.get_data() == notice.read_bytes()
    stored = shown(data_dir, policy_id)
    assert stored["title"] == "峄城区关于稳岗返还 的通知"
    assert stored["issuer"] == "峄城区 [31m人民政府"
    assert stored["topics"] == ["稳岗 就业"]
    assert stored["text"] == "第一条\n返还失业保险费。"  # the text keeps its line breaks


# --- finding 6: values checked per record; limits -------------------------------------------


BAD_RECORDS = {
    "badlevel01": ({"level": "<script>"}, "level '<script>' is not one of"),
    "baddate001": ({"written_date": "2020-13-45"}, "written_date '2020-13-45' is not a date"),
    "baduntil01": ({"valid_until": "明年"}, "valid_until '明年' is not a date"),
    "badtitle01": ({"title": "长" * 501}, "title is 501 characters long, over the 500 allowed"),
    "badtopics1": ({"topics": [f"t{n}" for n in range(51)]}, "topics has 51 entries"),
    "badregion1": ({"region": {"code": "../x", "name": "峄城区", "path": []}}, "region code '../x'"),
    "badformat1": ({"source": {"path": None, "format": "exe", "sha256": ""}}, "source format 'exe'"),
}


def test_records_with_bad_values_fail_alone_and_the_rest_import(tmp_path):
    data_dir = tmp_path / "var"
    crafted = write_backup(tmp_path / "crafted.json", [
        record("goodpolicy"), *(record(pid, **change) for pid, (change, _) in BAD_RECORDS.items())])
    result = run_cli(data_dir, "import", "--json", crafted)
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    assert report["added"] == 1
    errors = {failure["id"]: failure["error"] for failure in report["failed"]}
    assert set(errors) == set(BAD_RECORDS)
    for pid, (_, reason) in BAD_RECORDS.items():
        assert reason in errors[pid]
        assert run_cli(data_dir, "show", pid).exit_code == 1  # not in the catalog
    assert shown(data_dir, "goodpolicy")["level"] == "county"

    text = run_cli(data_dir, "import", crafted)
    assert text.exit_code == 1
    assert "FAILED  badlevel01: level '<script>' is not one of central" in text.output
    assert f"{len(BAD_RECORDS)} policies failed and were left out." in text.output


def test_the_text_limit_and_source_formats_are_the_ones_ingest_uses():
    from indexer.parsers import BULK_READERS, PARSERS
    from indexer.parsers.base import MAX_TEXT_CHARS
    from policy_search import models

    assert models.MAX_TEXT_CHARS is MAX_TEXT_CHARS
    assert set(models.SOURCE_FORMATS) == set(PARSERS) | set(BULK_READERS)


def write_gzip_of_zeros(path: Path, megabytes: int) -> Path:
    chunk = bytes(1024 * 1024)
    with gzip.open(path, "wb", compresslevel=1) as out:
        for _ in range(megabytes):
            out.write(chunk)
    return path


def test_a_gzip_bomb_is_refused_quickly_within_bounded_memory(tmp_path):
    bomb = write_gzip_of_zeros(tmp_path / "bomb.json.gz", 300)
    assert bomb.stat().st_size < 2 * 1024 * 1024
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(BackupError, match="holds over 16 MiB once uncompressed") as refused:
            read_backup(bomb, max_bytes=16 * 1024 * 1024)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.monotonic() - started < 5
    assert peak < 64 * 1024 * 1024, f"{peak / 2**20:.0f} MiB held while reading a bomb"
    assert refused.value.hint


def test_the_size_cap_holds_for_plain_json_and_through_the_cli(tmp_path, monkeypatch):
    monkeypatch.setattr(backup, "MAX_BACKUP_BYTES", 4 * 1024 * 1024)
    plain = write_backup(tmp_path / "big.json", [record("bigpolicy1", text="稳岗" * 1_000_000)])
    bomb = write_gzip_of_zeros(tmp_path / "bomb.json.gz", 100)
    for path in (plain, bomb):
        result = run_cli(tmp_path / "var", "import", path)
        assert result.exit_code == 1
        assert "Error: " in result.output and "holds over 4 MiB once uncompressed" in result.output
        assert "Hint: " in result.output and "Traceback" not in result.output
    assert not (tmp_path / "var").exists()


def test_a_record_over_the_text_limit_fails_and_blocks_no_later_writer(tmp_path):
    data_dir = tmp_path / "var"
    crafted = write_backup(tmp_path / "crafted.json", [
        record("goodpolicy"), record("hugepolicy", text="稳岗返还" * 5_000_000)])
    imported = run_cli_process(data_dir, "import", "--json", crafted)
    assert imported.returncode == 1, imported.stderr
    report = json.loads(imported.stdout)
    assert report["added"] == 1
    assert report["failed"] == [{"id": "hugepolicy", "error": "its text is over 5,000,000 characters"}]

    notices = tmp_path / "notices"
    write_policy(notices, "notice.txt", NOTICE)
    ingested = run_cli_process(data_dir, "ingest", notices)
    assert ingested.returncode == 0, ingested.stderr


def test_recovery_sets_aside_a_pending_record_too_large_to_index(tmp_path):
    """A record left pending by an older import (before the checks) no longer blocks every writer."""
    data_dir = tmp_path / "var"
    notices = tmp_path / "notices"
    write_policy(notices, "notice.txt", NOTICE)
    catalog = Catalog(DataPaths(data_dir).catalog_file)
    with catalog.transaction():
        catalog.put_policy(Policy(id="hugepolicy", title="太长的政策", text="稳岗返还" * 5_000_000))
    catalog.close()

    ingested = run_cli_process(data_dir, "ingest", notices)
    assert ingested.returncode == 0, ingested.stderr
    assert "warning policy hugepolicy: left pending by an earlier run and set aside" in ingested.stderr
    with PolicyWriter(data_dir) as writer:  # the next writer does not try it again
        assert writer.recovered == 0 and writer.set_aside == []
        catalog = writer.catalog
        assert catalog.pending_ids() == [] and catalog.set_aside_ids() == {"hugepolicy"}
        [(action, detail)] = catalog.conn.execute(
            "SELECT action, detail FROM history WHERE policy_id='hugepolicy'").fetchall()
    assert action == "failed" and "over 5,000,000 characters" in detail


def test_recovery_sets_aside_a_record_the_index_refuses_and_indexes_the_rest(tmp_path):
    data_dir = tmp_path / "var"
    catalog = Catalog(DataPaths(data_dir).catalog_file)
    with catalog.transaction():
        for pid, third in (("firstgood1", "补贴标准由市财政局另行公布。"), ("lastgood01", "申报材料由企业所在区县受理。")):
            # texts of their own: two copies of one text would be one notice (shown once)
            catalog.put_policy(Policy(id=pid, title=f"关于{pid}的通知", text=f"{TEXT}\n第三条 {third}"))
        catalog.put_policy(Policy(id="middlebad1", title="坏记录", text=TEXT))
        # a stored record the index cannot take (its last indexed field is not text)
        catalog.conn.execute("UPDATE policies SET record=json_set(record, '$.written_date', 20200101)"
                             " WHERE id='middlebad1'")
    catalog.close()

    with PolicyWriter(data_dir) as writer:
        assert [failure["id"] for failure in writer.set_aside] == ["middlebad1"]
        assert writer.catalog.pending_ids() == []
    with PolicyWriter(data_dir) as writer:
        assert writer.recovered == 0
    with open_service(data_dir) as service:
        assert service.is_indexed("firstgood1") and service.is_indexed("lastgood01")
        assert not service.is_indexed("middlebad1")
        assert service.stats()["indexed"] == 2
        assert sorted(h.id for h in service.search("以工代训", limit=10).hits) == ["firstgood1", "lastgood01"]
