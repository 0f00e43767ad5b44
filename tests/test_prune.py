"""``ingest --prune``: policies whose files are gone from the folders ingested are removed, and
nothing else; on real files, through the real command line, with the web app answering for links."""
from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from helpers import write_policy
from policy_search.cli import main
from policy_search.settings import DataPaths
from policy_search.storage.catalog import Catalog

NOTICES = {
    "a.txt": "峄城区人民政府关于支持企业复工复产的若干措施（示例）\n峄政发〔2020〕31号\n对复工复产的小微企业给予补贴。\n2020年3月1日",
    "b.txt": "峄城区财政局关于小微企业贷款贴息的通知（示例）\n峄财发〔2020〕32号\n对小微企业贷款给予贴息。\n2020年3月2日",
    "sub/c.txt": "峄城区人力资源和社会保障局关于稳岗返还的通知（示例）\n峄人社发〔2020〕33号\n落实稳岗返还政策。\n2020年3月3日",
}
BULK = [{"id": "prune-bulk-1", "title": "枣庄市关于房租减免的通知（示例）", "text": "对个体工商户减免三个月房租。"},
        {"id": "prune-bulk-2", "title": "枣庄市关于以工代训的通知（示例）", "text": "以工代训补贴每人每月500元。"}]


@pytest.fixture
def run(data_dir):
    runner = CliRunner()

    def invoke(*args, code: int = 0):
        result = runner.invoke(main, ["--data-dir", str(data_dir), *map(str, args)], catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result
    return invoke


def write_folder(folder, texts=NOTICES, bulk=True):
    for name, text in texts.items():
        write_policy(folder / name.rsplit("/", 1)[0] if "/" in name else folder, name.rsplit("/", 1)[-1], text)
    if bulk:
        (folder / "records.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in BULK) + "\n",
                                              encoding="utf-8")


def ingest_json(run, *args, code: int = 0) -> dict:
    return json.loads(run("ingest", "--json", *args, code=code).output)


def statuses(data_dir) -> dict[str, str]:
    catalog = Catalog(DataPaths(data_dir).catalog_file)
    try:
        rows = catalog.conn.execute("SELECT id, status FROM policies").fetchall()
        return {row[0]: row[1] for row in rows}
    finally:
        catalog.close()


def id_of(data_dir, file_name: str) -> str:
    catalog = Catalog(DataPaths(data_dir).catalog_file)
    try:
        (key,) = [k for k in catalog.source_policy_ids() if k.endswith("/" + file_name)]
        (policy_id,) = catalog.source(key)["policy_ids"]
        return policy_id
    finally:
        catalog.close()


def link_status(data_dir, policy_id: str) -> int:
    from web.app import create_app

    app = create_app({"DATA_DIR": str(data_dir), "BASE_URL": "https://zc.example.cn"})
    try:
        return app.test_client().get(f"/p/{policy_id}").status_code
    finally:
        holder = app.extensions["policy_search"]
        if holder._service is not None:
            holder._service.close()


def test_a_deleted_file_is_pruned_only_when_asked_and_its_link_answers_410(run, data_dir, tmp_path):
    folder = tmp_path / "policies"
    write_folder(folder)
    first = ingest_json(run, folder)
    assert first["added"] == 5 and not first["failed"]
    gone = id_of(data_dir, "b.txt")
    (folder / "b.txt").unlink()

    plain = ingest_json(run, folder)  # without --prune nothing is removed
    assert plain["removed"] == 0 and plain["removed_ids"] == [] and plain["pruned"] == []
    assert set(statuses(data_dir).values()) == {"active"}
    assert link_status(data_dir, gone) == 200

    dry = ingest_json(run, "--prune", "--dry-run", folder)  # listed first, nothing written
    assert dry["dry_run"] and dry["removed_ids"] == [gone]
    assert [(p["id"], p["path"].rsplit("/", 1)[-1]) for p in dry["pruned"]] == [(gone, "b.txt")]
    assert dry["pruned"][0]["title"] == "峄城区财政局关于小微企业贷款贴息的通知（示例）"
    assert set(statuses(data_dir).values()) == {"active"}

    pruned = ingest_json(run, "--prune", folder)
    assert pruned["removed"] == 1 and pruned["removed_ids"] == [gone] and pruned["pruned"] == dry["pruned"]
    after = statuses(data_dir)
    assert after.pop(gone) == "removed" and set(after.values()) == {"active"} and len(after) == 4
    assert link_status(data_dir, gone) == 410
    result = run("search", "贴息", "--json")
    assert gone not in [hit["id"] for hit in json.loads(result.output)["hits"]]

    again = ingest_json(run, "--prune", folder)  # the gone file is forgotten: nothing more to do
    assert again["removed"] == 0 and again["pruned"] == [] and again["recovered"] == 0


def test_the_human_report_names_every_policy_pruned(run, data_dir, tmp_path):
    folder = tmp_path / "policies"
    write_folder(folder)
    run("ingest", folder)
    (folder / "records.jsonl").unlink()  # a bulk file gone: each of its records' policies goes
    dry = run("ingest", "--prune", "--dry-run", folder).output
    assert "2 policies would be removed: their files are gone" in dry
    for record in BULK:
        assert f"- {record['id']}  {record['title']}  (" in dry and "records.jsonl)" in dry
    out = run("ingest", "--prune", folder).output
    assert "2 removed" in out and "2 policies removed: their files are gone" in out
    assert {statuses(data_dir)[r["id"]] for r in BULK} == {"removed"}


def test_only_files_under_the_folders_given_are_pruned(run, data_dir, tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    write_folder(one, {"a.txt": NOTICES["a.txt"], "sub/c.txt": NOTICES["sub/c.txt"]}, bulk=False)
    write_folder(two, {"b.txt": NOTICES["b.txt"]}, bulk=False)
    run("ingest", one, two)
    in_one, in_sub, in_two = (id_of(data_dir, name) for name in ("a.txt", "c.txt", "b.txt"))
    (one / "a.txt").unlink()
    (two / "b.txt").unlink()
    shutil.rmtree(one / "sub")

    pruned = ingest_json(run, "--prune", one)
    assert sorted(pruned["removed_ids"]) == sorted([in_one, in_sub])
    assert statuses(data_dir)[in_two] == "active"  # gone too, but not under the folder given

    write_policy(tmp_path / "loose", "d.txt", NOTICES["b.txt"].replace("32号", "34号"))
    note = run("ingest", "--prune", tmp_path / "loose" / "d.txt")  # a file alone: no folder to prune
    assert "no folder was given" in note.output and "0 removed" not in note.output
    assert statuses(data_dir)[in_two] == "active"


def test_a_moved_file_keeps_its_policy_and_a_file_that_comes_back_brings_it_back(run, data_dir, tmp_path):
    folder = tmp_path / "policies"
    write_folder(folder, bulk=False)
    run("ingest", folder)
    moved, back = id_of(data_dir, "a.txt"), id_of(data_dir, "b.txt")
    (folder / "archive").mkdir()
    (folder / "a.txt").rename(folder / "archive" / "a.txt")
    kept = folder.parent / "b.txt.kept"
    (folder / "b.txt").rename(kept)

    report = ingest_json(run, "--prune", folder)
    assert report["removed_ids"] == [back]  # the moved one is still given by its new path
    assert statuses(data_dir)[moved] == "active"
    with _catalog(data_dir) as catalog:
        assert catalog.get_policy(moved).source.path.endswith("/archive/a.txt")

    kept.rename(folder / "b.txt")
    returned = ingest_json(run, "--prune", folder)
    assert returned["updated_ids"] == [back] and returned["removed"] == 0
    assert statuses(data_dir)[back] == "active" and link_status(data_dir, back) == 200


def test_a_file_that_is_still_there_but_fails_is_not_pruned(run, data_dir, tmp_path):
    folder = tmp_path / "policies"
    write_folder(folder, bulk=False)
    run("ingest", folder)
    kept = id_of(data_dir, "b.txt")
    (folder / "b.txt").write_bytes(b"")  # empty now: it fails, but it is there
    report = ingest_json(run, "--prune", folder, code=1)
    assert report["failed"] and report["removed"] == 0
    assert statuses(data_dir)[kept] == "active"


class _catalog:
    """The catalog of a data directory, closed afterwards."""

    def __init__(self, data_dir):
        self.catalog = Catalog(DataPaths(data_dir).catalog_file)

    def __enter__(self) -> Catalog:
        return self.catalog

    def __exit__(self, *exc) -> None:
        self.catalog.close()
