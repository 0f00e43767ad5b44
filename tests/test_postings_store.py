"""The postings store beside Whoosh: batches, merges, deletions, the bodies, and the rebuild of
an older index."""
from __future__ import annotations

import json

import numpy as np
import pytest
from whoosh import index as whoosh_index
from whoosh.fields import STORED, TEXT

from policy_search import open_service
from policy_search.storage import postings_store
from policy_search.text.analysis import bigram_counts
from policy_search.storage.backend import open_backend
from policy_search.storage.backends import local
from policy_search.text.fold import fold
from policy_search.models import Policy
from policy_search.storage import schema, store as index_store
from policy_search.storage.schema import STORE_FIELDS, build_schema
from policy_search.settings import DataPaths
from policy_search.storage.store import INDEX_NAME
from policy_search.storage.writer import PolicyWriter

from helpers import index_texts

WORDS = ["稳岗返还", "房租减免", "社会保险", "贷款贴息", "复工复产", "以工代训", "减税降费", "用地保障"]


def _policy(number: int, words: list[str]) -> Policy:
    return Policy(id=f"p{number}", title=f"第{number}号通知", text="，".join(words) + "。")


def _expected(policies: dict[str, Policy], piece: str) -> dict[str, int]:
    """Each live policy holding the piece, with its count in title and text."""
    out = {}
    for policy_id, policy in policies.items():
        n = bigram_counts(fold(f"{policy.title}\n{policy.text}")).get(piece, 0)
        if n:
            out[policy_id] = n
    return out


def _postings_by_id(data_dir, piece: str) -> dict[str, int]:
    with open_service(data_dir) as service, service.backend.reading() as view:
        ids, freqs = view.arrays.postings("bigrams", piece)
        return {view.document(int(d))["id"]: int(f) for d, f in zip(ids, freqs)}


@pytest.mark.parametrize("part_postings", [None, 40])
def test_many_batches_merge_and_keep_the_newest_version(tmp_path, monkeypatch, part_postings):
    """30 batches of puts (ids put again, in one batch and across batches) and removals; with
    ``part_postings`` each batch also spills parts before its commit."""
    if part_postings:
        monkeypatch.setattr(local, "PART_POSTINGS", part_postings)
    data_dir = tmp_path / "var"
    live: dict[str, Policy] = {}
    rng = np.random.default_rng(7)
    for batch in range(30):
        with PolicyWriter(data_dir) as writer:
            for _ in range(6):
                number = int(rng.integers(0, 40))
                policy = _policy(number, list(rng.choice(WORDS, size=3)) + [f"批次{batch}"])
                writer.put(policy)
                live[policy.id] = policy
            if batch % 7 == 6:
                gone = sorted(live)[0]
                writer.remove(gone)
                del live[gone]
            writer.commit()
    store = postings_store.PostingsStore(DataPaths(data_dir).index_dir)
    backend = open_backend(DataPaths(data_dir))
    names = store.segment_names(backend.generation())
    backend.close()
    assert 1 <= len(names) <= 8  # merged as it went: a handful of segments, not thirty
    assert len(list(store.folder.glob("seg-*"))) <= 4 * postings_store.KEEP_GENERATIONS + len(names)
    for piece in ["稳岗", "房租", "批次", "次2", "通知", "贴息"]:
        assert _postings_by_id(data_dir, piece) == _expected(live, piece)
    assert _bodies_by_id(data_dir) == {i: (p.text, fold(p.text)) for i, p in live.items()}


def _bodies_by_id(data_dir) -> dict[str, tuple[str, str]]:
    """Each live document's body and folded body, as searches read them."""
    with open_service(data_dir) as service, service.backend.reading() as view:
        live = np.flatnonzero(view.arrays.live).tolist()
        return {view.document(d)["id"]: (view.document(d)["body"], view.folded_body(d)) for d in live}


def test_bodies_read_back_exactly_as_written_and_folded(tmp_path):
    """Characters beyond the Basic Multilingual Plane take two UTF-16 units; traditional and
    full-width ones fold; an empty body stays empty."""
    texts = {"p1": "𠮷野家復工復產，ＡＢＣ２０２０。\n第二行", "p2": "", "p3": "稳岗返还" * 3000}
    with PolicyWriter(tmp_path / "var") as writer:
        for policy_id, text in texts.items():
            writer.put(Policy(id=policy_id, title=f"{policy_id}号", text=text))
        writer.commit()
    assert _bodies_by_id(tmp_path / "var") == {i: (t, fold(t)) for i, t in texts.items()}


def test_a_removed_policy_leaves_the_postings_and_can_come_back(tmp_path):
    data_dir = tmp_path / "var"
    first = _policy(1, ["稳岗返还"])
    with PolicyWriter(data_dir) as writer:
        writer.put(first)
        writer.put(_policy(2, ["房租减免"]))
        writer.commit()
    with PolicyWriter(data_dir) as writer:
        writer.remove("p1")
        writer.commit()
    assert _postings_by_id(data_dir, "稳岗") == {}
    with PolicyWriter(data_dir) as writer:
        writer.put(first)
        writer.commit()
    assert _postings_by_id(data_dir, "稳岗") == {"p1": 1}


def test_a_manifest_left_by_a_killed_run_is_written_again(tmp_path):
    data_dir = index_texts(tmp_path / "docs", tmp_path / "var", {"a.txt": "关于稳岗返还的通知（示例）\n稳岗返还。"})
    store = postings_store.PostingsStore(DataPaths(data_dir).index_dir)
    backend = open_backend(DataPaths(data_dir))
    generation = backend.generation()
    backend.close()
    # what a run killed between the bigram manifest and Whoosh's commit leaves: the next
    # generation's manifest naming a segment with a policy Whoosh never received
    batch = postings_store.PostingsBatch(STORE_FIELDS)
    batch.add("ghost", {"bigrams": postings_store.FieldCounts({"稳岗": 9.0}, 9)})
    store.commit(batch, generation, generation + 1)
    before = _postings_by_id(data_dir, "稳岗")
    assert len(before) == 1 and "ghost" not in before
    index_texts(tmp_path / "docs2", data_dir, {"b.txt": "关于房租减免的通知（示例）\n房租减免。"})
    assert _postings_by_id(data_dir, "稳岗") == before and len(_postings_by_id(data_dir, "房租")) == 1
    assert all("ghost" not in s.ids for s in store.segments(generation + 1))


def test_an_index_of_the_older_shape_is_rebuilt_from_the_catalog(tmp_path):
    docs = {"a.txt": "关于稳岗返还的通知（示例）\n稳岗返还。", "b.txt": "关于房租减免的通知（示例）\n减免房租。"}
    data_dir = index_texts(tmp_path / "docs", tmp_path / "var", docs)
    paths = DataPaths(data_dir)
    older = build_schema()
    older.add("bigrams", TEXT(phrase=False))  # bigrams in Whoosh, as before the store
    whoosh_index.create_in(str(paths.index_dir), older, indexname=INDEX_NAME)
    with open_service(data_dir) as service:
        assert service.search("稳岗返还").total == 0  # an empty index of the older shape still opens
    with PolicyWriter(data_dir) as writer:
        assert writer.recovered == 2
    with open_service(data_dir) as service:
        assert service.search("稳岗返还").total == 1 and service.search("房租").total == 1
    manifests = sorted(p.name for p in (paths.index_dir / postings_store.FOLDER).glob("gen-*.json"))
    assert manifests and json.loads((paths.index_dir / postings_store.FOLDER / manifests[-1]).read_text())["segments"]


def test_an_index_whose_bodies_are_whoosh_stored_fields_is_searched_then_rebuilt(tmp_path, monkeypatch):
    """The shape before the store kept the bodies: text postings in the store, bodies in Whoosh's
    stored fields, segments without body files. It is searched as it is (snippets from the stored
    bodies); the next writer rebuilds it into the current shape."""
    def with_stored_body():
        made = build_schema()
        made.add("body", STORED())
        return made

    build = build_schema
    monkeypatch.setattr(schema, "build_schema", with_stored_body)
    monkeypatch.setattr(index_store, "build_schema", with_stored_body)
    monkeypatch.setattr(schema, "BODY", "body")  # the body goes to Whoosh, the store gets none
    docs = {"a.txt": "关于稳岗返还的通知（示例）\n申请稳岗返还。", "b.txt": "关于房租减免的通知（示例）\n减免房租。"}
    data_dir = index_texts(tmp_path / "docs", tmp_path / "var", docs)
    monkeypatch.undo()
    folder = DataPaths(data_dir).index_dir / postings_store.FOLDER
    for name in postings_store.Texts.FILES:
        for path in folder.glob(f"seg-*/{name}.npy"):
            path.unlink()
    assert build is schema.build_schema and not schema.is_current_format(_whoosh_schema(data_dir))
    with open_service(data_dir) as service:
        page = service.search("稳岗返还")
        assert page.total == 1 and "<mark>稳岗返还</mark>" in page.hits[0].snippet_html
    with PolicyWriter(data_dir) as writer:
        assert writer.recovered == 2
    assert schema.is_current_format(_whoosh_schema(data_dir))
    assert sorted(body for body, _ in _bodies_by_id(data_dir).values()) == sorted(docs.values())
    with open_service(data_dir) as service:
        assert "<mark>稳岗返还</mark>" in service.search("稳岗返还").hits[0].snippet_html


def _whoosh_schema(data_dir):
    return whoosh_index.open_dir(str(DataPaths(data_dir).index_dir), indexname=INDEX_NAME).schema


@pytest.mark.parametrize("size", [0, 1, 5])
def test_a_segment_reads_back_what_was_written(tmp_path, size):
    fields = ("title", "bigrams")
    batch = postings_store.PostingsBatch(fields)
    long_word = "长长的英文词abcdefghijklmnopqrstuvwxyz"
    for number in range(size):
        batch.add(f"d{number}", {"bigrams": postings_store.FieldCounts({"稳岗": number + 1.0, long_word: 2.0}, 9),
                                 "title": postings_store.FieldCounts({"稳岗": 0.5}, 1)})
    store = postings_store.PostingsStore(tmp_path)
    store.commit(batch, 0, 1)
    segments = store.segments(1)
    assert len(segments) == (1 if size else 0)
    if size:
        key = postings_store.term_key
        docs, weights = segments[0].postings(key(1, "稳岗"))
        assert list(docs) == list(range(size)) and list(weights) == [n + 1 for n in range(size)]
        assert list(segments[0].postings(key(0, "稳岗"))[1]) == [0.5] * size
        assert segments[0].postings(key(1, "不在"))[0].size == 0
        assert list(segments[0].postings(key(1, long_word))[1]) == [2] * size
        assert segments[0].lengths.tolist() == [[1, 9]] * size
