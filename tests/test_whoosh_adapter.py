"""What policy_search.storage.whoosh_adapter relies on below Whoosh's public API is still there and reads right.

If one of these fails after a Whoosh upgrade, re-check whoosh/codec/whoosh3.py (the block
reader of ``W3LeafMatcher``: ``_read_ids``, ``_read_weights``, ``_ids``, ``_weights``, ``_i``,
``_blocklength``, ``_next_block``) and the sortable column's ``sort_key``, fix the adapter,
then move the pin in setup.cfg and ``whoosh_adapter.PINNED_VERSION`` together.
"""
from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest
from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.fields import TEXT

from policy_search.storage import whoosh_adapter
from policy_search.models import Policy
from policy_search.text.analysis import policy_analyzer
from policy_search.storage.schema import STORE_INPUT, build_schema, policy_to_fields

SETUP_CFG = Path(__file__).resolve().parents[1] / "setup.cfg"
UPGRADE_NOTE = ("policy_search/storage/whoosh_adapter.py reads Whoosh's codec matcher blocks and column sort "
                "keys below the public API: re-check them (see its docstring and this test) before "
                "changing the pinned version")
#: Documents per commit, and commits (a segment each): the common word spans several postings
#: blocks (128 postings each in the W3 codec) in each segment.
PER_SEGMENT = 300
SEGMENTS = 3


def test_the_installed_whoosh_is_the_pinned_one():
    installed = metadata.version(whoosh_adapter.DISTRIBUTION)
    assert installed == whoosh_adapter.PINNED_VERSION, f"whoosh {installed} installed: {UPGRADE_NOTE}"
    pins = re.findall(r"whoosh-reloaded==([\w.]+)", SETUP_CFG.read_text(encoding="utf-8"))
    assert pins == [whoosh_adapter.PINNED_VERSION], f"setup.cfg pins {pins}: {UPGRADE_NOTE}"


@pytest.fixture(scope="module")
def searcher(tmp_path_factory):
    """An index of the service's schema in several segments, one with deleted documents, plus a
    text field of Whoosh's own (``words``: how text was indexed before the postings store, and
    how an index of that older shape is still read)."""
    schema = build_schema()
    schema.add("words", TEXT(analyzer=policy_analyzer(), phrase=False))
    index = whoosh_index.create_in(str(tmp_path_factory.mktemp("adapter")), schema)
    number = 0
    for segment in range(SEGMENTS):
        writer = index.writer()
        for _ in range(PER_SEGMENT):
            text = "关于复工复产的通知。" + ("减免房租。" * (number % 4)) + ("稳岗返还。" if number % 7 == 0 else "")
            day = f"2020-{1 + number % 12:02d}-{1 + number % 28:02d}" if number % 5 else None
            writer.add_document(**whoosh_fields(Policy(id=f"p{number}", title=f"通知{number}", level="central",
                                                       text=text, written_date=day)))
            number += 1
        writer.add_document(**whoosh_fields(Policy(id=f"only{segment}", title="孤例", text="独一无二的词")))
        writer.commit(merge=False)
    writer = index.writer()
    for number in range(PER_SEGMENT, PER_SEGMENT + 40):  # deletions in the second segment
        writer.delete_by_term("id", f"p{number}")
    writer.commit(merge=False)
    with index.searcher() as opened:
        assert len(opened.reader().leaf_readers()) == SEGMENTS
        yield opened


def whoosh_fields(policy: Policy) -> dict:
    """A policy's Whoosh fields, and its text in the ``words`` field."""
    fields = policy_to_fields(policy)
    del fields[STORE_INPUT]
    return {**fields, "words": f"{policy.title}\n{policy.text}"}


def public_postings(reader, field: str, text: str) -> tuple[list[int], list[float]]:
    """Document numbers and weights through the public matcher API only."""
    ids, weights = [], []
    if (field, text) not in reader:
        return ids, weights
    matcher = reader.postings(field, text)
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return ids, weights


def adapter_postings(searcher, field: str, text: str) -> tuple[list[int], list[float]]:
    ids, weights = [], []
    for leaf, offset in whoosh_adapter.leaves(searcher.reader()):
        leaf_ids, leaf_weights = whoosh_adapter.read_postings(leaf, field, text, offset)
        ids += [int(i) for piece in leaf_ids for i in piece]
        weights += [float(w) for piece in leaf_weights for w in piece]
    return ids, weights


def test_a_segment_matcher_still_has_the_block_attributes(searcher):
    leaf, _ = whoosh_adapter.leaves(searcher.reader())[0]
    matcher = leaf.postings("words", "复工")
    missing = [a for a in whoosh_adapter.BLOCK_ATTRIBUTES if not hasattr(matcher, a)]
    assert not missing, f"{type(matcher).__name__} lacks {missing}: {UPGRADE_NOTE}"
    assert whoosh_adapter.reads_blocks(matcher)
    matcher._read_ids()
    matcher._read_weights()
    missing = [a for a in whoosh_adapter.BLOCK_STATE if not hasattr(matcher, a)]
    assert not missing, f"{type(matcher).__name__} lacks {missing}: {UPGRADE_NOTE}"
    assert matcher._blocklength == len(matcher._ids) == len(matcher._weights) > 1
    assert matcher._ids[matcher._i] == matcher.id()


@pytest.mark.parametrize("field,text", [
    ("words", "复工"),      # in every document: several blocks per segment
    ("words", "房租"),      # weights of 0 to 3
    ("words", "稳岗返还"),  # one document in seven
    ("words", "通知"),
    ("words", "独一无二"),  # one posting a segment (kept inline in the term index)
    ("words", "孤例"),
    ("id", "p3"),
    ("level", "central"),
    ("words", "不在索引里"),
])
def test_postings_read_through_the_adapter_equal_the_public_ones(searcher, field, text):
    expected_ids, expected_weights = public_postings(searcher.reader(), field, text)
    ids, weights = adapter_postings(searcher, field, text)
    assert ids == expected_ids, UPGRADE_NOTE
    assert weights == pytest.approx(expected_weights), UPGRADE_NOTE
    live = set(searcher.reader().all_doc_ids())
    assert set(ids) <= live  # deleted documents are left out, as Whoosh's postings leave them out
    assert len(ids) <= searcher.doc_frequency(field, text)  # which counts deleted documents too


def test_the_block_reader_spans_blocks_and_segments(searcher):
    leaf, offset = whoosh_adapter.leaves(searcher.reader())[2]
    ids, weights = whoosh_adapter.read_postings(leaf, "words", "复工", offset)
    assert len(ids) > 1  # one piece per block
    assert np.concatenate(ids).tolist() == list(range(offset, offset + PER_SEGMENT))


def test_date_sort_keys_order_as_whoosh_sorts(searcher):
    keys = whoosh_adapter.date_sort_keys(whoosh_adapter.leaves(searcher.reader()), "written_date")
    assert len(keys) == searcher.reader().doc_count_all()
    live = set(searcher.reader().all_doc_ids())
    by_keys = sorted((d for d in range(len(keys)) if d in live), key=lambda d: (keys[d], d), reverse=True)
    expected = [hit.docnum for hit in searcher.search(wq.Every(), limit=None, sortedby="written_date",
                                                      reverse=True)]
    assert by_keys == expected, UPGRADE_NOTE
