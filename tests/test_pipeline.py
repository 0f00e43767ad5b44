"""The ingest pipeline on real files in temporary folders: incremental runs, IDs, overrides."""
import json
import os

import pytest

from indexer.pipeline import ingest
from policy_search import open_service
from policy_search.models import Policy
from policy_search.storage.catalog import Catalog
from policy_search.settings import DataPaths

from helpers import write_policy

NOTICE = """枣庄市人民政府关于支持企业复工复产的若干措施（示例）
枣政发〔2020〕3号
各区（市）人民政府，市政府各部门：
为支持企业复工复产，现提出以下措施。
一、对复工复产的小微企业给予一次性补贴5000元。
二、落实稳岗返还政策，返还上年度失业保险费的50%。
枣庄市人民政府
2020年3月5日
"""


def ids_by_title(data_dir):
    with open_service(data_dir) as service:
        return {p.title: p.id for p in service.list_policies()}


def test_reingest_is_incremental_and_ids_are_stable(tmp_path, data_dir):
    folder = tmp_path / "batch"
    write_policy(folder, "a.txt", NOTICE)
    write_policy(folder, "b.md", "# 峄城区关于房租减免的通知（示例）\n对个体工商户减免三个月房租。\n峄城区人民政府\n2020年2月20日")
    first = ingest([folder], data_dir)
    assert (first.added, first.updated, first.unchanged, first.failed) == (2, 0, 0, [])
    ids = ids_by_title(data_dir)

    second = ingest([folder], data_dir)
    assert (second.added, second.updated, second.unchanged) == (0, 0, 2)

    write_policy(folder, "b.md", "# 峄城区关于房租减免的通知（示例）\n对个体工商户减免六个月房租。\n峄城区人民政府\n2020年2月20日")
    third = ingest([folder], data_dir)
    assert (third.added, third.updated, third.unchanged) == (0, 1, 1)
    assert ids_by_title(data_dir) == ids
    with open_service(data_dir) as service:
        assert service.search("六个月房租").total == 1


def test_same_document_gets_same_id_in_a_fresh_data_dir(tmp_path):
    folder = tmp_path / "batch"
    write_policy(folder, "a.txt", NOTICE)
    ingest([folder], tmp_path / "one")
    os.rename(folder / "a.txt", folder / "renamed.txt")
    ingest([folder], tmp_path / "two")
    assert ids_by_title(tmp_path / "one") == ids_by_title(tmp_path / "two")


def test_metadata_is_extracted(tmp_path, data_dir):
    write_policy(tmp_path / "b", "a.txt", NOTICE)
    ingest([tmp_path / "b"], data_dir)
    with open_service(data_dir) as service:
        (policy,) = service.list_policies()
    assert policy.title == "枣庄市人民政府关于支持企业复工复产的若干措施（示例）"
    assert policy.doc_number == "枣政发〔2020〕3号"
    assert policy.issuer == "枣庄市人民政府"
    assert policy.written_date == "2020-03-05"
    assert policy.source.format == "txt" and len(policy.source.sha256) == 64


def test_sidecar_overrides_extracted_fields(tmp_path, data_dir):
    path = write_policy(tmp_path / "b", "a.txt", NOTICE)
    sidecar = path.with_name("a.txt.meta.json")
    sidecar.write_text(json.dumps({"title": "改过的标题（示例）", "publish_date": "2020年3月9日",
                                   "level": "municipal", "region": "枣庄市", "topics": ["复工复产"]},
                                  ensure_ascii=False), encoding="utf-8")
    ingest([tmp_path / "b"], data_dir)
    with open_service(data_dir) as service:
        (policy,) = service.list_policies()
    assert policy.title == "改过的标题（示例）"
    assert policy.publish_date == "2020-03-09"
    assert policy.topics == ["复工复产"] and policy.region.name == "枣庄市"
    assert policy.provenance["title"] == "given" and policy.provenance["doc_number"] == "extracted"

    sidecar.write_text(json.dumps({"title": "再次修改（示例）"}, ensure_ascii=False), encoding="utf-8")
    report = ingest([tmp_path / "b"], data_dir)
    assert report.updated == 1, "a changed sidecar alone must update the policy"


def test_manifest_overrides_and_broken_sidecar_warns(tmp_path, data_dir):
    folder = tmp_path / "b"
    write_policy(folder, "a.txt", NOTICE)
    (folder / "manifest.csv").write_text("file,title,doc_number,topics\na.txt,清单标题（示例）,,稳岗就业;复工复产\n",
                                         encoding="utf-8")
    (folder / "a.txt.meta.json").write_text("{not json", encoding="utf-8")
    report = ingest([folder], data_dir)
    assert report.added == 1 and report.failed == []
    assert any("sidecar" in w["warning"] for w in report.warnings)
    with open_service(data_dir) as service:
        (policy,) = service.list_policies()
    assert policy.title == "清单标题（示例）" and policy.topics == ["稳岗就业", "复工复产"]


def test_changed_identity_leaves_an_alias(tmp_path, data_dir):
    path = write_policy(tmp_path / "b", "a.txt", NOTICE)
    ingest([tmp_path / "b"], data_dir)
    (old_id,) = ids_by_title(data_dir).values()
    path.write_text(NOTICE.replace("枣政发〔2020〕3号", "枣政发〔2020〕4号"), encoding="utf-8")
    ingest([tmp_path / "b"], data_dir)
    (new_id,) = ids_by_title(data_dir).values()
    assert new_id != old_id
    with open_service(data_dir) as service:
        assert service.get(old_id).policy.id == new_id


def test_bulk_tsv_and_jsonl(tmp_path, data_dir):
    folder = tmp_path / "bulk"
    write_policy(folder, "rows.tsv", "docid\ttext\nabc123\t关于稳岗返还的通知（示例） 各区县： 正文内容。\nbad\t\n")
    write_policy(folder, "rows.jsonl", json.dumps({"id": "j-1", "title": "关于以工代训补贴的通知（示例）",
                                                    "text": "以工代训补贴（示例）", "level": "county",
                                                    "region": "峄城区", "doc_number": "峄政发[2020]2号"},
                                                   ensure_ascii=False) + "\n{oops\n")
    report = ingest([folder], data_dir)
    assert report.added == 2
    assert sorted(f["path"].rsplit(":", 1)[1] for f in report.failed) == ["2", "3"]
    with open_service(data_dir) as service:
        policy = service.get("j-1").policy
        assert policy.doc_number == "峄政发〔2020〕2号" and policy.level == "county"
        assert service.get("abc123").policy.text.startswith("关于稳岗返还")



def test_a_record_too_short_to_be_a_policy_fails_alone(tmp_path, data_dir):
    rows = [{"id": "titled", "title": "关于稳岗返还的通知（示例）", "text": "返还失业保险费。"},
            {"id": "stub", "text": "测试一下"},
            {"id": "whole", "text": "为支持企业稳定岗位，对不裁员或少裁员的参保企业返还上年度实际缴纳失业保险费的百分之五十，"
                                    "由人力资源社会保障部门审核后直接拨付到企业账户。"}]
    write_policy(tmp_path / "bulk", "rows.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    report = ingest([tmp_path / "bulk"], data_dir)
    assert report.added == 2
    assert [(f["path"].rsplit("/", 1)[-1], "too short to be a policy" in f["error"]) for f in report.failed] == [
        ("rows.jsonl:2", True)]


def test_bulk_rows_saved_from_sites_get_their_documents_own_titles(tmp_path, data_dir):
    """Rows scraped from government sites: the site's header in the text, or as the title column."""
    folder = tmp_path / "bulk"
    write_policy(folder, "rows.tsv", "docid\ttext\n"
                 "r1\t某某省人民政府 政策文件 某某省人民政府办公厅关于支持春季农业生产的通知 各市人民政府： 正文。\n"
                 "r2\t某某省人民政府 政策解读 部门解读｜《关于支持春季农业生产的若干措施》 为贯彻落实有关部署，"
                 "现解读如下： 正文。\n")
    rows = [{"id": "j1", "title": "某某市人民政府", "text": "某某市人民政府 关于暂停公交运营的通告 正文。"},
            {"id": "j2", "title": "某某市人民政府 通知公告 关于恢复公交运营的通告", "text": "关于恢复公交运营的通告 正文。"},
            {"id": "j3", "title": "某某市关于延长申报期限的通知", "text": "某某市人民政府 通知公告 正文。"}]
    write_policy(folder, "rows.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    report = ingest([folder], data_dir)
    assert report.added == 5 and report.failed == []
    with open_service(data_dir) as service:
        policies = {pid: service.get(pid).policy for pid in ("r1", "r2", "j1", "j2", "j3")}
    assert policies["r1"].title == "某某省人民政府办公厅关于支持春季农业生产的通知"
    assert policies["r2"].title == "《关于支持春季农业生产的若干措施》"
    # a title column that is only a site's name gives way to the text's title, and says so
    assert policies["j1"].title == "某某市人民政府关于暂停公交运营的通告"
    assert policies["j1"].provenance["title"] == "extracted"
    # one that starts with the site's header loses it and stays the given title
    assert policies["j2"].title == "关于恢复公交运营的通告" and policies["j2"].provenance["title"] == "given"
    assert policies["j3"].title == "某某市关于延长申报期限的通知"  # a good given title is kept as it is
    warnings = [w["warning"] for w in report.warnings]
    assert any("'某某市人民政府' is only a site's or an institution's name" in w for w in warnings)
    assert any("site furniture cut from the file's title" in w and "关于恢复公交运营的通告" in w for w in warnings)


def test_dry_run_writes_nothing(tmp_path, data_dir):
    write_policy(tmp_path / "b", "a.txt", NOTICE)
    report = ingest([tmp_path / "b"], data_dir, dry_run=True)
    assert report.added == 1 and report.dry_run
    assert not DataPaths(data_dir).index_dir.exists()


def test_missing_path_is_a_clear_error(tmp_path, data_dir):
    from policy_search.errors import ConfigurationError
    with pytest.raises(ConfigurationError, match="no such file"):
        ingest([tmp_path / "nope"], data_dir)


def test_pending_rows_are_redone_on_the_next_run(tmp_path, data_dir):
    """A run killed between the catalog write and the index commit is completed next time."""
    write_policy(tmp_path / "b", "a.txt", NOTICE)
    ingest([tmp_path / "b"], data_dir)
    paths = DataPaths(data_dir)
    catalog = Catalog(paths.catalog_file)
    (policy_id,) = catalog.active_ids()
    policy = catalog.get_policy(policy_id)
    policy.title = "只写进了目录的新标题（示例）"
    with catalog.transaction():
        catalog.put_policy(policy)  # as a killed run leaves it: catalog written, index not
    catalog.close()
    report = ingest([tmp_path / "b"], data_dir)
    assert report.recovered == 1
    with open_service(data_dir) as service:
        assert service.search("只写进了目录的新标题").total == 1


def test_a_failed_file_write_leaves_the_index_as_it_was(tmp_path, data_dir):
    """Index changes of a catalog transaction that fails never reach the index: the catalog and
    the index agree, and the next writer finds nothing to recover."""
    from policy_search.storage.writer import PolicyWriter

    write_policy(tmp_path / "b", "a.txt", NOTICE)
    ingest([tmp_path / "b"], data_dir)
    with open_service(data_dir) as service:
        (old,) = service.list_policies()
    new = Policy(id="half-written", title="只写了一半的政策（示例）", text="这份文件写到一半就失败了。")
    changed = Policy(**{**old.__dict__, "title": "改了标题但没写成（示例）"})
    with PolicyWriter(data_dir) as writer:
        with pytest.raises(OSError):
            with writer.transaction():  # as a file's write that fails half-way (its file gone, say)
                assert writer.put(new) == "added" and writer.put(changed) == "updated"
                writer.remove(old.id)
                raise FileNotFoundError("the source file went away")
        writer.commit()
    with PolicyWriter(data_dir) as writer:
        assert writer.recovered == 0
    with open_service(data_dir) as service:
        assert [p.id for p in service.list_policies()] == [old.id]
        assert service.search("只写了一半").total == 0 and service.search("改了标题").total == 0
        assert service.search("复工复产").hits[0].title == old.title


def test_an_id_changed_and_changed_back_is_no_alias_of_itself(tmp_path, data_dir):
    path = write_policy(tmp_path / "b", "a.txt", NOTICE)
    ingest([tmp_path / "b"], data_dir)
    (first,) = ids_by_title(data_dir).values()
    path.write_text(NOTICE.replace("枣政发〔2020〕3号", "枣政发〔2020〕4号"), encoding="utf-8")
    ingest([tmp_path / "b"], data_dir)
    (interim,) = ids_by_title(data_dir).values()
    path.write_text(NOTICE, encoding="utf-8")  # corrected back
    report = ingest([tmp_path / "b"], data_dir)
    assert report.ids("updated") == [first]
    catalog = Catalog(DataPaths(data_dir).catalog_file)
    try:
        assert catalog.aliases() == {interim: first}
    finally:
        catalog.close()
    with open_service(data_dir) as service:
        assert service.get(interim).policy.id == first and not service.get(first).removed
