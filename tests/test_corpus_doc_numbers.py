"""Every 文号 printed in corpus/ is extracted, spelled as the document writes it, and finds its
policy exactly when typed in either script.

The 文号 below were read from the files themselves (the PDF and Word files through their
sources in corpus/_src/). Before the extraction learnt to read traditional text, the two
traditional files gave none (``嶧政辦發〔2020〕5號``, ``杭政函〔2020〕11號``) and the joint
announcement of 财政部 and 税务总局 was cut to ``税务总局公告2020年第13号``.
"""
from __future__ import annotations

import shutil

import pytest

from indexer.discover import discover
from indexer.extract import extract_metadata
from indexer.parsers import BULK_READERS, PARSERS
from indexer.parsers.base import RawDocument
from indexer.pipeline import ingest
from indexer.sniff import sniff_format
from policy_search import open_service
from policy_search.search.query import parse_user_query
from policy_search.storage.backend import ListRequest
from policy_search.text.docnumber import doc_number_key
from policy_search.text.fold import simplify

from helpers import CORPUS

#: corpus file (a bulk file's records as ``path:line``) → the 文号 it prints, as printed.
DOC_NUMBERS = {
    "bulk/policies.jsonl:1": "银发〔2020〕12号",
    "bulk/policies.jsonl:2": "鲁交运〔2020〕8号",
    "bulk/policies.jsonl:3": "苏工信中小〔2020〕30号",
    "central/czb-2020-13-zengzhishui.txt": "财政部 税务总局公告2020年第13号",
    "central/gbf-2020-6-fugong-jiuye.html": "国办发〔2020〕6号",
    "central/gf-2020-9-yingshang-huanjing.md": "国发〔2020〕9号",
    "central/rsbf-2020-11-shebao-jianmian.md": "人社部发〔2020〕11号",
    "central/swzj-2020-28-nashui-fuwu.docx": "税总函〔2020〕28号",
    "central/zrzyb-2020-8-yongdi.pdf": "自然资办发〔2020〕8号",
    "other/hzsw-2020-20-canyin-lingshou.html": "杭商务〔2020〕20号",
    "other/jszf-2020-15-minying.pdf": "苏政发〔2020〕15号",
    "other/zjzb-2020-7-xiaowei.docx": "浙政办发〔2020〕7号",
    "other/杭州市支持企業復工復產若干措施.md": "杭政函〔2020〕11號",
    "shandong/lcj-2020-10-tiexi-danbao.docx": "鲁财金〔2020〕10号",
    "shandong/lkz-2020-25-zhuanjing-texin.md": "鲁科字〔2020〕25号",
    "shandong/lrs-2020-36-yigong-daixun.pdf": "鲁人社字〔2020〕36号",
    "shandong/lzbf-2020-5-zhongxiao.txt": "鲁政办发〔2020〕5号",
    "shandong/lzf-2020-3-yingshang-huanjing.html": "鲁政发〔2020〕3号",
    "yicheng/yrs-2020-8-rencai.txt": "峄人社发〔2020〕8号",
    "yicheng/yscj-2020-4-geti-gongshanghu.md": "峄市监发〔2020〕4号",
    "yicheng/yzbf-2020-3-chungeng.pdf": "峄政办发〔2020〕3号",
    "yicheng/yzbf-2020-5-fanti.txt": "嶧政辦發〔2020〕5號",
    "yicheng/yzf-2020-2-fugong-fuchan.docx": "峄政发〔2020〕2号",
    "yicheng/yzj-2020-5-jianzhu.txt": "峄建发〔2020〕5号",
    "zaozhuang/zzbf-2020-4-fangzu-jianmian.md": "枣政办发〔2020〕4号",
    "zaozhuang/zzf-2020-3-fugong-fuchan.pdf": "枣政发〔2020〕3号",
    "zaozhuang/zzjr-2020-2-shoudai-xudai.docx": "枣金发〔2020〕2号",
    "zaozhuang/zzrs-2020-12-wengang-fanhuan": "枣人社发〔2020〕12号",
    "zaozhuang/zzwl-2020-6-wenlv.txt": "枣文旅发〔2020〕6号",
    "zaozhuang/zzyq-2020-15-fangkong.html": "枣疫指发〔2020〕15号",
}

#: 文号 of corpus/ typed in the other script (and other brackets) than the document's.
TYPED_OTHERWISE = {
    "yicheng/yzbf-2020-5-fanti.txt": ["峄政办发〔2020〕5号", "峄政办发[2020]5号", "嶧政辦發（2020）5號"],
    "other/杭州市支持企業復工復產若干措施.md": ["杭政函〔2020〕11号", "杭政函(2020)11号"],
    "zaozhuang/zzjr-2020-2-shoudai-xudai.docx": ["棗金發〔2020〕2號", "棗金發[2020]2號"],
    "central/gbf-2020-6-fugong-jiuye.html": ["國辦發〔2020〕6號"],
    "central/czb-2020-13-zengzhishui.txt": ["财政部税务总局公告2020年第13号", "財政部 稅務總局公告2020年第13號"],
}

#: Issuers (and dates) the same files lost before: the traditional ones, and a signature of two
#: organs, one a bank's branch (中心支行), on two lines.
ISSUERS = {
    "yicheng/yzbf-2020-5-fanti.txt": ("嶧城區人民政府辦公室", "2020-03-06"),
    "other/杭州市支持企業復工復產若干措施.md": ("杭州市人民政府", "2020-02-09"),
    "zaozhuang/zzjr-2020-2-shoudai-xudai.docx": ("枣庄市地方金融监督管理局、中国人民银行枣庄市中心支行", "2020-03-16"),
    "central/czb-2020-13-zengzhishui.txt": ("财政部、税务总局", "2020-02-28"),
}


def _documents() -> dict[str, RawDocument]:
    """Every document of corpus/ as its parser reads it, keyed as DOC_NUMBERS is."""
    documents = {}
    for source in discover([CORPUS]).sources:
        key = source.path.relative_to(CORPUS).as_posix()
        fmt = sniff_format(source.path)
        if fmt in BULK_READERS:
            documents.update({f"{key}:{record.line}": record.document for record in BULK_READERS[fmt](source.path)})
        else:
            documents[key] = PARSERS[fmt](source.path)
    return documents


@pytest.fixture(scope="module")
def documents() -> dict[str, RawDocument]:
    return _documents()


@pytest.fixture(scope="module")
def ingested(corpus_service) -> dict[str, object]:
    """key → the policy the session's ingest of corpus/ made of it."""
    by_key = {}
    for policy in corpus_service.list_policies():
        key = policy.source.path.split("/corpus/", 1)[1]
        if key.endswith(".jsonl"):
            key = next(k for k, number in DOC_NUMBERS.items()
                       if k.startswith(key + ":") and number == policy.doc_number)
        by_key[key] = policy
    return by_key


def test_every_document_of_the_corpus_is_listed(documents):
    """A file added to corpus/ must be added here with its 文号."""
    assert sorted(documents) == sorted(DOC_NUMBERS)


@pytest.mark.parametrize("key", sorted(DOC_NUMBERS))
def test_the_text_alone_gives_its_doc_number(documents, key):
    """Extracted from the text, not only given: the sidecars, the manifest, the 信息表 and the bulk
    columns that state some of them are left out."""
    document = documents[key]
    meta = extract_metadata(RawDocument(text=document.text, format=document.format))
    assert meta["doc_number"] == DOC_NUMBERS[key]


@pytest.mark.parametrize("key", sorted(DOC_NUMBERS))
def test_the_ingested_policy_has_its_doc_number(ingested, key):
    assert ingested[key].doc_number == DOC_NUMBERS[key]


@pytest.mark.parametrize("key", sorted(ISSUERS))
def test_issuer_and_date_of_the_files_that_lost_them(ingested, key):
    issuer, date = ISSUERS[key]
    assert (ingested[key].issuer, ingested[key].written_date) == (issuer, date)


def _found_by_doc_number(service, typed: str) -> list[str]:
    """The ids the exact 文号 lookup of a query finds (its doc_number terms alone)."""
    keys = parse_user_query(typed).doc_numbers
    assert keys, f"{typed!r} is not read as a 文号"
    with service.backend.reading() as view:
        found = view.listed(ListRequest(terms=[("doc_number", k, 1.0) for k in keys], facets=False))
        return [view.document(ref, keep=False)["id"] for ref in found.refs]


@pytest.mark.parametrize("key", sorted(DOC_NUMBERS))
def test_each_doc_number_finds_its_policy_exactly_in_either_script(corpus_service, ingested, key):
    written = DOC_NUMBERS[key]
    policy_id = ingested[key].id
    typed_forms = {written, simplify(written), written.replace("〔", "[").replace("〕", "]"),
                   *TYPED_OTHERWISE.get(key, [])}
    for typed in sorted(typed_forms):
        assert _found_by_doc_number(corpus_service, typed) == [policy_id], typed
        page = corpus_service.search(typed)
        assert page.doc_number_match is True, typed
        assert [(hit.id, hit.doc_number) for hit in page.hits] == [(policy_id, written)], typed


def test_a_joint_announcement_is_not_found_exactly_by_one_issuer_alone(corpus_service):
    """税务总局公告2020年第13号 is another 文号: no policy has it, and what its words find, offered
    apart, starts with the joint announcement."""
    assert _found_by_doc_number(corpus_service, "税务总局公告2020年第13号") == []
    page = corpus_service.search("税务总局公告2020年第13号")
    assert page.doc_number_match is False
    assert page.related[0].doc_number == "财政部 税务总局公告2020年第13号"


# --- the ids these files had before keep answering


#: The ids the files whose 文号 was missed or cut had before (tests/fixtures/ids/CHANGES.md),
#: and what the extraction gave them then.
BEFORE = {
    "yicheng/yzbf-2020-5-fanti.txt": ("75l7e6pkqt", {"doc_number": None, "issuer": None}),
    "other/杭州市支持企業復工復產若干措施.md": ("7dcjd2tcb7", {"doc_number": None}),
    "central/czb-2020-13-zengzhishui.txt": ("srifm5zw6b", {"doc_number": "税务总局公告2020年第13号"}),
}


@pytest.fixture
def app_for(monkeypatch):
    monkeypatch.delenv("POLICY_SEARCH_BASE_URL", raising=False)

    def make(data_dir):
        from web import create_app
        return create_app({"DATA_DIR": str(data_dir), "BASE_URL": "https://zc.example.cn"}).test_client()
    return make


def test_the_ids_of_the_files_whose_doc_number_was_missed_answer_301(tmp_path, monkeypatch, ingested, app_for):
    """An installation ingested these files with the extraction of the previous pipeline version;
    ingesting the same folder after the upgrade reads them again, finds their 文号, gives them the
    ids of DOC_NUMBERS' policies and keeps each old id as an alias that answers 301."""
    import indexer.build
    import indexer.pipeline

    folder, data_dir = tmp_path / "docs", tmp_path / "var"
    folder.mkdir()
    for key in BEFORE:
        shutil.copy(CORPUS / key, folder / key.rsplit("/", 1)[1])
    extract = indexer.build.extract_metadata

    def as_before(raw):
        fields = extract(raw)
        stated = next(before for key, (_, before) in BEFORE.items() if raw.text == ingested[key].text)
        return {**fields, **stated}

    with monkeypatch.context() as before:
        before.setattr(indexer.build, "extract_metadata", as_before)
        before.setattr(indexer.pipeline, "PIPELINE_VERSION", "2")
        assert not ingest([folder], data_dir).failed
    with open_service(data_dir) as service:
        assert {p.id for p in service.list_policies()} == {old for old, _ in BEFORE.values()}

    report = ingest([folder], data_dir)
    assert report.unchanged == 0 and report.removed == 0 and not report.failed
    client = app_for(data_dir)
    for key, (old_id, _) in BEFORE.items():
        new_id = ingested[key].id
        assert new_id != old_id
        assert any(f"old id {old_id} now redirects to {new_id}" in w["warning"] for w in report.warnings)
        moved = client.get(f"/p/{old_id}")
        assert moved.status_code == 301 and moved.headers["Location"].endswith(f"/p/{new_id}"), key
        assert client.get(f"/p/{new_id}").status_code == 200


# --- what the index holds, and links by 文号


def test_the_index_keys_a_doc_number_and_shows_it_as_written(ingested):
    """Both backends: the exact field holds the key, what is shown is the 文号 as written."""
    from policy_search.storage.backends.opensearch import document_of
    from policy_search.storage.schema import STORED_DOC_NUMBER, policy_to_fields

    fields = policy_to_fields(ingested["yicheng/yzbf-2020-5-fanti.txt"])
    assert (fields["doc_number"], fields[STORED_DOC_NUMBER]) == ("峄政办发〔2020〕5号", "嶧政辦發〔2020〕5號")
    cluster = document_of(fields, 0)
    assert (cluster["doc_number"], cluster["shown"]["doc_number"]) == ("峄政办发〔2020〕5号", "嶧政辦發〔2020〕5號")
    joint = policy_to_fields(ingested["central/czb-2020-13-zengzhishui.txt"])
    assert joint["doc_number"] == doc_number_key("财政部 税务总局公告2020年第13号") == "财政部税务总局公告2020年第13号"


def test_an_interpretation_citing_a_traditional_doc_number_in_simplified_is_linked(corpus_copy, ingested, tmp_path):
    interpretation = tmp_path / "docs" / "jiedu.txt"
    interpretation.parent.mkdir()
    interpretation.write_text("支持个体工商户和小微企业复工复产六条措施的政策解读\n根据峄政办发〔2020〕5号文件，"
                              "从减免房屋租金、减免社会保险费、发放消费券等六个方面支持个体工商户和小微企业复工复产。",
                              encoding="utf-8")
    assert not ingest([interpretation.parent], corpus_copy).failed
    policy_id = ingested["yicheng/yzbf-2020-5-fanti.txt"].id
    with open_service(corpus_copy) as service:
        (explained,) = [p for p in service.list_policies() if p.source.path == str(interpretation)]
        assert explained.type == "interpretation"
        assert [link["id"] for link in service.get(explained.id, links=True).interprets] == [policy_id]
        assert [link["id"] for link in service.get(policy_id, links=True).interpretations] == [explained.id]
