"""Ingest with worker processes: the same index, ids and report as the one-process ingest.

The workers hand the writer the text fields counted ahead (``analyse_fields``); these
tests compare every posting of Whoosh and of the postings store (terms, weights, field
lengths) and the stored fields with an index built by counting in the writer.
"""
from __future__ import annotations

import pickle

import pytest

from indexer import workers
from indexer.pipeline import ingest
from policy_search.text.analysis import PolicyTokenizer
from policy_search.models import Policy, SourceFile
from policy_search.storage.schema import STORE_INPUT, analyse_fields, counted_fields, policy_to_fields
from policy_search.storage.postings_store import PostingsStore
from policy_search.settings import DataPaths
from policy_search.storage.store import open_index

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


def dump_store(data_dir) -> dict:
    """The postings store of the last commit: each term's (id, weight) and each id's lengths."""
    index_dir = DataPaths(data_dir).index_dir
    generation = open_index(index_dir).latest_generation()
    postings, lengths = {}, {}
    for segment in PostingsStore(index_dir).segments(generation):
        starts = segment.post_starts.tolist()
        for row, term in enumerate(segment.terms.all()):
            rows = [(segment.ids[d], float(w)) for d, w in
                    zip(segment.docs[starts[row]:starts[row + 1]], segment.weights[starts[row]:starts[row + 1]])]
            postings.setdefault(term, []).extend(rows)
        lengths.update({policy_id: segment.lengths[n].tolist() for n, policy_id in enumerate(segment.ids)})
    return {"postings": {t: sorted(rows) for t, rows in postings.items()}, "lengths": lengths}


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


def test_workers_count_what_the_writer_would_count():
    for policy in _policies():
        fields = policy_to_fields(policy)
        counted = analyse_fields(fields)
        assert {k: v for k, v in counted.items() if k != STORE_INPUT} == \
            {k: v for k, v in fields.items() if k != STORE_INPUT}
        assert counted[STORE_INPUT] == counted_fields(fields[STORE_INPUT])
        sent = pickle.loads(pickle.dumps(counted))  # from a worker to the writer
        assert counted_fields(sent[STORE_INPUT]) == counted[STORE_INPUT]
    counted = analyse_fields(policy_to_fields(_policies()[0]))[STORE_INPUT]
    assert counted["bigrams"].weights["稳岗"] == 4 and counted["bigrams"].length == sum(counted["bigrams"].weights.values())
    # a long word also counts its sub-words, each a token of the field's length
    assert counted["body"].weights["稳岗返还"] == 3 and counted["body"].weights.get("返还") >= 3
    assert counted["doc_number_text"].length >= 2 and not analyse_fields(
        policy_to_fields(_policies()[2]))[STORE_INPUT]["body"].weights


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
        dumps.append({**dump_index(ix), **{"store_" + k: v for k, v in dump_store(data_dir).items()}})
    for report in reports:
        report.pop("seconds", None)
        report.pop("elapsed", None)
    assert reports[0]["failed"] and reports[0] == reports[1]
    assert dumps[0]["stored"].keys() == dumps[1]["stored"].keys()
    assert dumps[0]["store_postings"] and dumps[0]["store_lengths"]
    assert dumps[0] == dumps[1]
    assert analysed_here == []


def test_workers_keep_the_incremental_run(tmp_path, small_pool):
    data_dir = tmp_path / "data"
    first = ingest([CORPUS], data_dir, jobs=2)
    again = ingest([CORPUS], data_dir, jobs=2)
    assert first.added > 20 and not first.failed
    assert (again.added, again.updated, again.unchanged) == (0, 0, first.added)
