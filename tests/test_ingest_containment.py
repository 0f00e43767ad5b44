"""Ingest stays inside the folders it is given; downloads serve only what ingest recorded there.

Security findings 1 (download side), 2, 5 and parts of 7 of the security issue: a symbolic link
out of an ingested folder, a record pointing at any file, a given id taking over another file's
policy, control characters in given metadata and in file names.
"""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from indexer.pipeline import ingest
from policy_search import open_service
from policy_search.storage.catalog import Catalog
from web.app import create_app

from helpers import write_policy

POLICY_TEXT = ("枣庄市人民政府办公室关于支持中小企业稳岗的通知\n"
               "枣政办发〔2020〕{n}号\n各区（市）人民政府：为支持中小企业稳定岗位，现就有关事项通知如下。\n"
               "一、发放稳岗补贴。\n枣庄市人民政府办公室\n2020年3月{n}日\n")
SECRET = "root:x:0:0:secret-line-for-the-test\n"


def _policy(n: int) -> str:
    return POLICY_TEXT.format(n=n)


def _app(data_dir: Path):
    return create_app({"DATA_DIR": str(data_dir), "BASE_URL": "https://zc.example.cn"}).test_client()


def _only_id(data_dir: Path) -> str:
    catalog = Catalog(data_dir / "catalog.sqlite3")
    try:
        ids = sorted(catalog.active_ids())
    finally:
        catalog.close()
    assert len(ids) == 1, ids
    return ids[0]


def _forge_source_path(data_dir: Path, policy_id: str, path: str) -> None:
    """What a crafted backup or a tampered catalog does: the record names another file."""
    with sqlite3.connect(data_dir / "catalog.sqlite3") as conn:
        record = json.loads(conn.execute("SELECT record FROM policies WHERE id=?", (policy_id,)).fetchone()[0])
        record["source"]["path"] = path
        conn.execute("UPDATE policies SET record=?, source_path=? WHERE id=?",
                     (json.dumps(record, ensure_ascii=False), path, policy_id))


# --- symbolic links ------------------------------------------------------------------------


def test_a_symlinked_file_out_of_the_folder_is_skipped_and_reported(tmp_path, data_dir):
    outside = write_policy(tmp_path / "elsewhere", "secret.txt", SECRET)
    folder = tmp_path / "batch"
    write_policy(folder, "a.txt", _policy(1))
    (folder / "link.txt").symlink_to(outside)
    report = ingest([folder], data_dir)
    assert report.added == 1 and not report.failed
    assert [s["path"] for s in report.skipped] == [str(folder / "link.txt")]
    assert "outside the folder" in report.skipped[0]["reason"]
    client = _app(data_dir)
    assert "secret-line" not in client.get("/api/search?q=secret").get_data(as_text=True)
    assert client.get("/api/search?q=root").get_json()["total"] == 0


def test_a_symlinked_folder_out_of_the_folder_is_not_walked(tmp_path, data_dir):
    write_policy(tmp_path / "etc", "passwd.txt", SECRET)
    folder = tmp_path / "batch"
    write_policy(folder, "a.txt", _policy(1))
    (folder / "more").symlink_to(tmp_path / "etc", target_is_directory=True)
    report = ingest([folder], data_dir)
    assert report.added == 1
    assert any("folder outside the folder given" in s["reason"] for s in report.skipped)


def test_a_symlink_inside_the_folder_is_followed_once(tmp_path, data_dir):
    folder = tmp_path / "batch"
    write_policy(folder / "sub", "a.txt", _policy(1))
    (folder / "alias.txt").symlink_to(folder / "sub" / "a.txt")
    report = ingest([folder], data_dir)
    assert report.added == 1 and report.files == 1 and not report.skipped


def test_the_data_directory_is_never_ingested(tmp_path):
    folder = tmp_path / "batch"
    write_policy(folder, "a.txt", _policy(1))
    data_dir = folder / "var"
    assert ingest([folder], data_dir).added == 1
    report = ingest([folder], data_dir)   # the catalog and index now lie inside the folder
    assert report.unchanged == 1 and not report.failed and report.files == 1
    assert any("data directory" in s["reason"] for s in report.skipped)


def test_the_cli_reports_a_skipped_link_on_one_line(tmp_path, data_dir):
    outside = write_policy(tmp_path / "elsewhere", "secret.txt", SECRET)
    folder = tmp_path / "batch"
    write_policy(folder, "a.txt", _policy(1))
    (folder / "evil\nname.txt").symlink_to(outside)
    result = subprocess.run([sys.executable, "-m", "policy_search.cli", "--data-dir", str(data_dir),
                             "ingest", str(folder)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    skipped = [line for line in result.stderr.splitlines() if line.startswith("skipped")]
    assert len(skipped) == 1 and "evil\\nname.txt" in skipped[0]
    assert "name.txt" not in [line.split(":")[0] for line in result.stderr.splitlines()]
    assert "Traceback" not in result.stderr


# --- downloads -----------------------------------------------------------------------------


def test_download_serves_the_ingested_file_byte_for_byte(tmp_path, data_dir):
    source = write_policy(tmp_path / "batch", "a.txt", _policy(1))
    ingest([tmp_path / "batch"], data_dir)
    answer = _app(data_dir).get(f"/p/{_only_id(data_dir)}/original")
    assert answer.status_code == 200
    assert answer.data == source.read_bytes()
    assert "attachment" in answer.headers["Content-Disposition"]


@pytest.mark.parametrize("target", ["/etc/passwd", "../../../../etc/hostname", "CATALOG"])
def test_download_never_serves_a_file_the_record_merely_names(tmp_path, data_dir, target):
    write_policy(tmp_path / "batch", "a.txt", _policy(1))
    ingest([tmp_path / "batch"], data_dir)
    policy_id = _only_id(data_dir)
    forged = str(data_dir / "catalog.sqlite3") if target == "CATALOG" else target
    _forge_source_path(data_dir, policy_id, forged)
    client = _app(data_dir)
    answer = client.get(f"/p/{policy_id}/original")
    assert answer.status_code == 200
    assert answer.mimetype == "text/plain" and answer.data.startswith("枣庄市".encode())
    assert b"root:" not in answer.data and not answer.data.startswith(b"SQLite format")
    assert "下载原文（文本）" in client.get(f"/p/{policy_id}").get_data(as_text=True)
    assert client.get("/api/search?q=稳岗").status_code == 200   # the catalog is still readable


def test_download_refuses_a_file_swapped_for_a_link_after_ingest(tmp_path, data_dir):
    outside = write_policy(tmp_path / "elsewhere", "secret.txt", SECRET)
    source = write_policy(tmp_path / "batch", "a.txt", _policy(1))
    ingest([tmp_path / "batch"], data_dir)
    source.unlink()
    source.symlink_to(outside)
    answer = _app(data_dir).get(f"/p/{_only_id(data_dir)}/original")
    assert b"secret-line" not in answer.data


def test_download_refuses_a_recorded_file_moved_into_the_data_directory(tmp_path):
    folder = tmp_path / "batch"
    write_policy(folder, "a.txt", _policy(1))
    data_dir = folder / "var"
    ingest([folder / "a.txt"], data_dir)
    policy_id = _only_id(data_dir)
    # The record and the sources row both name a file inside the data directory.
    inside = data_dir / "catalog.sqlite3"
    _forge_source_path(data_dir, policy_id, str(inside))
    with sqlite3.connect(data_dir / "catalog.sqlite3") as conn:
        conn.execute("UPDATE sources SET path=?", (str(inside),))
    answer = _app(data_dir).get(f"/p/{policy_id}/original")
    assert not answer.data.startswith(b"SQLite format")


# --- given ids -----------------------------------------------------------------------------


def _sidecar(path: Path, **given) -> None:
    path.with_name(path.name + ".meta.json").write_text(json.dumps(given, ensure_ascii=False), encoding="utf-8")


def test_a_given_id_does_not_take_over_another_files_policy(tmp_path, data_dir):
    first = write_policy(tmp_path / "one", "a.txt", _policy(1))
    _sidecar(first, id="policy-2020-001")
    assert ingest([tmp_path / "one"], data_dir).added == 1
    second = write_policy(tmp_path / "two", "b.txt", "另一个文件冒用同一编号的标题\n正文" * 3)
    _sidecar(second, id="policy-2020-001")
    report = ingest([tmp_path / "two"], data_dir)
    assert report.added == report.updated == 0
    assert len(report.failed) == 1
    assert "policy-2020-001" in report.failed[0]["error"] and "--replace-ids" in report.failed[0]["error"]
    page = _app(data_dir).get("/p/policy-2020-001").get_data(as_text=True)
    assert "稳岗" in page and "冒用" not in page


def test_a_given_id_in_a_jsonl_file_is_refused_too(tmp_path, data_dir):
    first = write_policy(tmp_path / "one", "a.txt", _policy(1))
    _sidecar(first, id="policy-2020-002")
    ingest([tmp_path / "one"], data_dir)
    bulk = tmp_path / "two" / "records.jsonl"
    bulk.parent.mkdir()
    bulk.write_text(json.dumps({"id": "policy-2020-002", "title": "冒用", "text": "冒用的正文"},
                               ensure_ascii=False) + "\n", encoding="utf-8")
    report = ingest([bulk], data_dir)
    assert len(report.failed) == 1 and report.updated == 0


def test_replace_ids_makes_the_takeover_deliberate(tmp_path, data_dir):
    first = write_policy(tmp_path / "one", "a.txt", _policy(1))
    _sidecar(first, id="policy-2020-003")
    ingest([tmp_path / "one"], data_dir)
    second = write_policy(tmp_path / "two", "b.txt", "新的文件接替旧的政策\n正文" * 3)
    _sidecar(second, id="policy-2020-003", title="新的文件接替旧的政策")
    report = ingest([tmp_path / "two"], data_dir, replace_ids=True)
    assert report.updated == 1 and not report.failed


def test_a_moved_file_keeps_its_given_id(tmp_path, data_dir):
    first = write_policy(tmp_path / "one", "a.txt", _policy(1))
    _sidecar(first, id="policy-2020-004")
    ingest([tmp_path / "one"], data_dir)
    (tmp_path / "two").mkdir()
    os.rename(tmp_path / "one", tmp_path / "two" / "one")
    report = ingest([tmp_path / "two"], data_dir)
    # the same policy from a moved file: unchanged for searches and feeds, its new place recorded
    assert not report.failed and report.unchanged == 1 and report.updated == 0
    with open_service(data_dir) as service:
        assert Path(service.get("policy-2020-004").policy.source.path).parent == tmp_path / "two" / "one"
    assert _app(data_dir).get("/p/policy-2020-004/original").status_code == 200


# --- control characters --------------------------------------------------------------------


def test_control_characters_in_a_given_title_are_stripped_and_the_download_works(tmp_path, data_dir):
    source = write_policy(tmp_path / "batch", "a.txt", _policy(1))
    _sidecar(source, title="关于稳岗的通知\r\nSet-Cookie: x=1\x00", issuer="枣庄市\n人民政府")
    ingest([tmp_path / "batch"], data_dir)
    policy_id = _only_id(data_dir)
    client = _app(data_dir)
    record = client.get(f"/api/policies/{policy_id}").get_json()
    assert record["title"] == "关于稳岗的通知 Set-Cookie: x=1"
    assert record["issuer"] == "枣庄市 人民政府"
    answer = client.get(f"/p/{policy_id}/original")
    assert answer.status_code == 200
    assert "Set-Cookie" not in answer.headers
    assert "\n" not in answer.headers["Content-Disposition"]


def test_a_newline_in_a_file_name_stays_on_one_report_line(tmp_path, data_dir):
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "bad\nname.pdf").write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 4)
    result = subprocess.run([sys.executable, "-m", "policy_search.cli", "--data-dir", str(data_dir),
                             "ingest", str(folder)], capture_output=True, text=True, timeout=120)
    failed = [line for line in result.stderr.splitlines() if "name.pdf" in line]
    assert len(failed) == 1 and failed[0].startswith("FAILED") and "bad\\nname.pdf" in failed[0]
