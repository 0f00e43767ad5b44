"""Everything that reads Whoosh below its public API, in one place.

The array scorer of :mod:`engine` reads a term's postings a block at a time,
through the private attributes of whoosh-reloaded's W3 codec matcher (``_read_ids``,
``_read_weights``, ``_ids``, ``_weights``, ``_i``, ``_blocklength``, ``_next_block``):
going through ``id()``/``weight()``/``next()`` costs a Python call per posting. Date
order reads the raw sort keys of the ``written_date`` column (``column_reader(...,
translate=False).sort_key``), and the segments of a reader come from ``leaf_readers()``.

Whoosh is pinned (``whoosh-reloaded==2.7.5`` in setup.cfg); ``tests/test_whoosh_adapter.py``
checks that the installed version is that one, that what is used here still exists,
and that postings read here equal those of Whoosh's public matcher API. On an upgrade,
re-check the codec matcher's block attributes (``whoosh/codec/whoosh3.py``,
``W3LeafMatcher``) and the column's ``sort_key``, then change :data:`PINNED_VERSION`.
"""
from __future__ import annotations

import numpy as np

#: The Whoosh release this module was checked against (as pinned in setup.cfg).
PINNED_VERSION = "2.7.5"
#: The distribution that provides the ``whoosh`` package.
DISTRIBUTION = "whoosh-reloaded"
#: What the block reader uses of a leaf matcher; without one of them it falls back to the public API.
BLOCK_ATTRIBUTES = ("_read_ids", "_read_weights", "_next_block")
#: Attributes a block of the matcher must have once read.
BLOCK_STATE = ("_ids", "_weights", "_i", "_blocklength")


def leaves(reader) -> list[tuple[object, int]]:
    """The segment readers of a reader, each with the number of its first document."""
    return list(reader.leaf_readers())


def reads_blocks(matcher) -> bool:
    """True when the matcher is one whose blocks :func:`read_postings` reads directly."""
    return all(hasattr(matcher, name) for name in BLOCK_ATTRIBUTES)


def read_postings(leaf, field: str, text: str, offset: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """A term's postings in one segment: document numbers (plus ``offset``) and weights, as
    array pieces (one per block; empty lists when the segment lacks the term).

    Deleted documents are included, as Whoosh's matchers include them.
    """
    ids: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    if (field, text) not in leaf:
        return ids, weights
    matcher = leaf.postings(field, text)
    if reads_blocks(matcher):
        while matcher.is_active():
            matcher._read_ids()
            matcher._read_weights()
            start = matcher._i
            ids.append(np.asarray(matcher._ids[start:], np.int64) + offset)
            weights.append(np.asarray(matcher._weights[start:], np.float32))
            matcher._i = matcher._blocklength - 1
            matcher.next()
        return ids, weights
    return public_postings(matcher, offset)


def public_postings(matcher, offset: int = 0) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The same as :func:`read_postings`, one posting at a time through the public API
    (other codecs, and the reference of the adapter's test)."""
    block_ids, block_weights = [], []
    while matcher.is_active():
        block_ids.append(matcher.id() + offset)
        block_weights.append(matcher.weight())
        matcher.next()
    return [np.array(block_ids, np.int64)], [np.array(block_weights, np.float32)]


def date_sort_keys(leaf_list: list[tuple[object, int]], field: str = "written_date") -> list[bytes]:
    """The raw sort key of a sortable column for every document, in document-number order
    (``b""`` for a document without a value)."""
    keys: list[bytes] = []
    for leaf, _ in leaf_list:
        column = leaf.column_reader(field, translate=False)
        keys += [column.sort_key(d) or b"" for d in range(leaf.doc_count_all())]
    return keys
