"""Ingest with worker processes: the same index, ids and report as the one-process ingest.

The workers hand the writer postings worked out ahead (``analyse_fields``); these
tests compare every field's postings (terms, positions or frequencies, weights,
field lengths) and the stored fields with an index built by analysing in the writer.
"""
from __future__ import annotations

import pytest
from whoosh.filedb.filestore import RamStorage

from indexer import workers
from indexer.pipeline import ingest
from policy_search.analysis import PolicyTokenizer
from policy_search.models import Policy, SourceFile
from policy_search.schema import (BIGRAM_SOURCE, AnalyzedText, analyse_fields, bigram_counts_of, build_schema,
                                  policy_to_fields)
from policy_search.settings import DataPaths
from policy_search.store import open_index

from helpers import CORPUS, write_policy


def dump_index(ix) -> dict:
    """Everything searching reads, keyed by policy id instead of document number."""
    with ix.searcher() as searcher:
        reader = searcher.reader()
        ids = {docnum: fields["id"] for docnum, fields in reader.iter_docs()}
        postings = {}
        for fieldname, text in reader.all_terms():
            matcher = reader.postings(fieldname, text)
            rows = []
            while matcher.is_active():
                rows.append((ids[matcher.id()], matcher.weight(), matcher.value()))
                matcher.next()
            postings[(fieldname, text)] = sorted(rows)
        lengths = {(ids[d], name): reader.doc_field_length(d, name)
                   for d in ids for name in ix.schema.scorable_names()}
        stored = {fields["id"]: fields for _, fields in reader.iter_docs()}
    return {"postings": postings, "lengths": lengths, "stored": stored}


def _policies() -> list[Policy]:
    texts = {
        "a": ("关于进一步做好稳岗返还社会保险费工作的通知", "企业如何申请稳岗返还？社会保险费、失业保险费返还50%。"
              "中小微企业 2020年3月 COVID-19 防控 示范区建设。" * 3),
        "b": ("山东省安全生产条例", "第一条 为了加强安全生产工作，防止和减少生产安全事故，保障人民群众生命和财产安全。"),
        "c": ("空", ""),
    }
    return [Policy(id=key, title=title, text=body, doc_number="鲁政发〔2020〕3号" if key == "a" else None,
                   issuer="山东省人民政府", source=SourceFile(path=f"/x/{key}.txt", format="txt"))
            for key, (title, body) in texts.items()]


def test_analysed_fields_give_the_same_postings_as_analysing_in_the_writer():
    both = []
    for prepared in (False, True):
        ix = RamStorage().create_index(build_schema())
        writer = ix.writer()
        counts = {}
        for policy in _policies():
            fields = policy_to_fields(policy)
            fields = analyse_fields(fields) if prepared else fields
            counts[policy.id] = bigram_counts_of(fields.pop(BIGRAM_SOURCE))
            writer.add_document(**fields)
        writer.commit()
        both.append({**dump_index(ix), "bigrams": counts})
    assert both[0]["postings"] and both[0] == both[1]
    assert both[1]["bigrams"]["a"]["稳岗"] == 4 and both[1]["bigrams"]["c"] == {"空": 1}
    assert all(type(v) is str for fields in both[1]["stored"].values() for v in fields.values()
               if isinstance(v, str))


def test_analysed_text_is_plain_text_to_anything_else():
    fields = analyse_fields(policy_to_fields(_policies()[0]))
    assert isinstance(fields["body"], AnalyzedText) and fields["body"] == _policies()[0].text
    import pickle
    sent = pickle.loads(pickle.dumps(fields["body"]))  # from a worker to the writer
    assert sent == fields["body"] and sent.postings == fields["body"].postings
    assert type(fields["_stored_body"]) is str and fields["_stored_body"] == fields["body"]
    # a field of another kind ignores the postings and analyses the text itself
    from whoosh.fields import TEXT
    from policy_search.analysis import policy_analyzer
    plain = TEXT(analyzer=policy_analyzer())
    assert list(plain.index(fields["body"])) == list(plain.index(str(fields["body"])))


@pytest.fixture
def small_pool(monkeypatch):
    """Use the worker pool even for a handful of files."""
    monkeypatch.setattr(workers, "POOL_MIN_FILES", 0)
    monkeypatch.setattr(workers, "POOL_MIN_BYTES", 0)


def test_workers_build_the_same_index_ids_and_report(tmp_path, small_pool, monkeypatch):
    bad = tmp_path / "bad"
    write_policy(bad, "broken.pdf", "%PDF-1.4 not really a pdf")
    write_policy(bad, "empty.txt", "   ")
    analysed_here = []
    analyse = PolicyTokenizer.__call__

    def counting(self, value, *args, mode="", **kwargs):
        if mode == "index" and value:  # (empty fields cost nothing and are left to Whoosh)
            analysed_here.append(value[:20])
        return analyse(self, value, *args, mode=mode, **kwargs)

    dumps, reports = [], []
    for jobs in (1, 2):
        data_dir = tmp_path / f"data{jobs}"
        if jobs == 2:  # the writer in this process must not segment again what the workers did
            analysed_here.clear()
            monkeypatch.setattr(PolicyTokenizer, "__call__", counting)
        report = ingest([CORPUS, bad], data_dir, jobs=jobs)
        reports.append(report.to_dict())
        ix = open_index(DataPaths(data_dir).index_dir)
        dumps.append(dump_index(ix))
    for report in reports:
        report.pop("seconds", None)
        report.pop("elapsed", None)
    assert reports[0]["failed"] and reports[0] == reports[1]
    assert dumps[0]["stored"].keys() == dumps[1]["stored"].keys()
    assert dumps[0] == dumps[1]
    assert analysed_here == []


def test_workers_keep_the_incremental_run(tmp_path, small_pool):
    data_dir = tmp_path / "data"
    first = ingest([CORPUS], data_dir, jobs=2)
    again = ingest([CORPUS], data_dir, jobs=2)
    assert first.added > 20 and not first.failed
    assert (again.added, again.updated, again.unchanged) == (0, 0, first.added)
