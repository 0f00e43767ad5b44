"""Fast scoring of free-text queries over one index generation, with NumPy.

Whoosh keeps the index on disk; scoring a long OR query through its matcher
tree costs a Python call per posting and per sub-query. This module reads each
term's postings once into arrays (kept in a bounded cache for the life of the
index generation) and computes the same BM25F with coordination as Whoosh's
``Or(scale=...)`` over ``Term`` queries, as vector operations:

    term score  = boost · idf · tf·(k1+1) / (tf + k1·(1 − b + b·len/avglen))
    idf         = ln(N / (df + 1)) + 1
    coordinated = (Σ scores + (m − 1) / (T − scale)²) · (T − 1) / T

with ``m`` the matched sub-queries of a document and ``T`` all of them. Facet
counts and filters become boolean masks over document numbers, and date order a
permutation of them made once per generation.

Several threads use one Snapshot at once. Whoosh's readers are not safe to share
(a read seeks and reads one file), so every call into Whoosh holds the Snapshot's
``reading`` lock for that one call, and each cache entry is made under it once (a
thread re-checks the cache after taking the lock). The arithmetic and the caches
themselves are read without a lock.

Every cache of a Snapshot has a bound, and lives only as long as its generation:

==================  ==========================================================================
postings            ``CACHE_BYTES`` of arrays and ``CACHE_TERMS`` terms (dropped whole past either)
idf                 ``CACHE_TERMS`` terms
masks               ``MASK_CACHE_ENTRIES`` masks (filters; phrase checks), ``doc_count`` bytes each
folded texts        ``FOLDED_CACHE_CHARS`` characters, bodies and titles together
                    (``STORE_FOLDED_CACHE_CHARS`` when the postings store keeps the bodies)
stored fields       ``STORED_CACHE_DOCS`` documents and ``STORED_CACHE_CHARS`` characters of text
facet values        one matrix per facet field (four), values × documents bytes: made of the
                    index, not of the queries
date order          one ``int32`` per document
ids                 one string per document (the id column, read once)
groups of reposts   one ``int32`` per document, for the last groups asked (the catalog's)
==================  ==========================================================================

A server reads ahead before it answers (:meth:`Snapshot.warm_postings`, :meth:`Snapshot.warm_folded`,
called by ``backends.local.LocalView.warm``): the postings of frequent terms and the folded
bodies, within the bounds above.

Whatever reads Whoosh below its public API is in :mod:`whoosh_adapter`.
"""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np

from policy_search.storage import whoosh_adapter
from policy_search.text.fold import fold
from policy_search.search.textscan import findable, word_places

#: Whoosh's BM25F ``B`` (the service sets only ``K1``).
BM25_B = 0.75
#: Upper bound of the postings cache, in array bytes.
CACHE_BYTES = 96 * 2**20
#: Upper bound of the postings and idf caches, in terms (a term not in the index costs no bytes,
#: so a stream of made-up words is bounded by this).
CACHE_TERMS = 100_000
#: Upper bound of the folded-text cache, in characters.
FOLDED_CACHE_CHARS = 32 * 2**20
#: The same when the postings store keeps the folded bodies (only those read lately are kept
#: decoded; the rest are a memory-mapped read away).
STORE_FOLDED_CACHE_CHARS = 2 * 2**20
#: What may stand between two words that count as side by side (a stop word, a comma): one character.
PAIR_GAP = ".?"
#: Upper bound of the stored-fields cache, in documents.
STORED_CACHE_DOCS = 2000
#: Upper bound of the stored-fields cache, in characters of stored text (a policy's text may be
#: 5,000,000 characters long, so a count of documents alone does not bound the memory).
STORED_CACHE_CHARS = 64 * 2**20
#: Upper bound of the mask cache, in entries (filter masks, phrase checks).
MASK_CACHE_ENTRIES = 512
_EMPTY = (np.zeros(0, np.int32), np.zeros(0, np.float32))


@dataclass(frozen=True)
class WeightedTerm:
    """One sub-query: a term in a field with its boost."""

    field: str
    text: str
    boost: float = 1.0


class Snapshot:
    """Arrays of one index generation: lengths, live documents, cached postings and masks.

    ``reading`` is the lock held around each call into the searcher (pass the one other
    users of the same searcher hold; by default the Snapshot makes its own). ``store``,
    when given, answers for the text fields (:mod:`postings_store`); without it they are read
    from Whoosh like the others (an index of an older shape).
    """

    def __init__(self, searcher, text_fields: list[str], k1: float, reading: threading.RLock | None = None,
                 store=None):
        self.searcher = searcher
        self.k1 = k1
        self.reading = reading or threading.RLock()
        self.store = store
        #: where the bodies are read (None: from Whoosh's stored fields, an index of an older shape)
        self.texts = store if store is not None and store.has_texts else None
        whoosh_fields = [] if store is not None else [f for f in text_fields if f in searcher.schema]
        with self.reading:
            reader = searcher.reader()
            self.leaves = whoosh_adapter.leaves(reader)
            self.doc_count = reader.doc_count_all()
            self.live = np.zeros(self.doc_count, bool)
            self.live[list(reader.all_doc_ids())] = True
            self.lengths = {f: self._field_lengths(reader, f) for f in whoosh_fields}
            self.avg_length = {f: searcher.avg_field_length(f) or 1.0 for f in whoosh_fields}
        if store is not None:
            self.lengths.update(store.lengths)
            self.avg_length.update({f: length or 1.0 for f, length in store.avg_length.items()})
        self._postings: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
        self._idf: dict[tuple[str, str], float] = {}
        self._masks: dict[object, np.ndarray] = {}
        self._values: dict[str, tuple[list[str], np.ndarray]] = {}  # one per facet field, never dropped
        self._cached_bytes = 0
        self._folded: dict[int, str] = {}
        self._titles: dict[int, str] = {}
        self._stored: dict[int, dict] = {}
        self._stored_chars = 0
        self._folded_chars = 0
        self._by_date: np.ndarray | None = None
        self._ids: list[str] | None = None
        self._groups: tuple[dict[str, str], np.ndarray] | None = None
        self._lock = threading.Lock()

    def _field_lengths(self, reader, field: str) -> np.ndarray:
        return np.fromiter((reader.doc_field_length(d, field, 0) for d in range(self.doc_count)),
                           dtype=np.float32, count=self.doc_count)

    # --- postings --------------------------------------------------------------

    def postings(self, field: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Document numbers and weights (term frequencies) of a term, cached."""
        key = (field, text)
        found = self._postings.get(key)
        if found is not None:
            return found
        if self.store is not None and field in self.store.fields:
            found = self.store.postings(field, text)
        else:
            found = self._whoosh_postings(field, text)
        with self._lock:
            size = found[0].nbytes + found[1].nbytes
            if self._cached_bytes + size > CACHE_BYTES or len(self._postings) >= CACHE_TERMS:
                self._postings.clear()
                self._cached_bytes = 0
            self._postings[key] = found
            self._cached_bytes += size
        return found

    def _whoosh_postings(self, field: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        with self.reading:
            ids, weights = [], []
            for leaf, offset in self.leaves:
                leaf_ids, leaf_weights = whoosh_adapter.read_postings(leaf, field, text, offset)
                ids += leaf_ids
                weights += leaf_weights
        return (np.concatenate(ids).astype(np.int32), np.concatenate(weights)) if ids else _EMPTY

    def folded_body(self, docnum: int, body: str | None = None) -> str:
        """The folded text of a document's body, kept for the life of the generation (bounded).

        When the postings store keeps the bodies, it answers (memory-mapped, shared by every
        process), and only the texts read lately are kept decoded (``STORE_FOLDED_CACHE_CHARS``:
        one search reads the same few dozen several times). Else the body is read from the
        stored fields (without ``body``, only when the cache misses) and folded.
        """
        found = self._folded.get(docnum)
        if found is None:
            if self.texts is not None:
                found = self.texts.folded_body(docnum)
                self._keep_folded(self._folded, docnum, found, STORE_FOLDED_CACHE_CHARS)
            else:
                found = fold(self.stored(docnum).get("body", "") if body is None else body)
                self._keep_folded(self._folded, docnum, found)
        return found

    def body(self, docnum: int) -> str:
        """A document's body as written."""
        if self.texts is not None:
            return self.texts.body(docnum)
        return self.stored(docnum).get("body", "")

    def folded_title(self, docnum: int) -> str:
        """The folded title of a document, cached like the bodies."""
        found = self._titles.get(docnum)
        if found is None:
            found = fold(self.stored(docnum).get("title", ""))
            self._keep_folded(self._titles, docnum, found)
        return found

    def _keep_folded(self, cache: dict[int, str], docnum: int, text: str,
                     limit: int = FOLDED_CACHE_CHARS) -> None:
        with self._lock:
            if self._folded_chars + len(text) > limit:
                self._folded.clear()
                self._titles.clear()
                self._folded_chars = 0
            cache[docnum] = text
            self._folded_chars += len(text)

    def idf(self, field: str, text: str) -> float:
        """Whoosh's idf of a term in this generation, cached (for the postings store, the same
        formula over live documents: ``ln(N / (df + 1)) + 1``)."""
        key = (field, text)
        found = self._idf.get(key)
        if found is None:
            if self.doc_count == 0:  # Whoosh's formula takes the log of 0
                found = 0.0
            elif self.store is not None and field in self.store.fields:
                found = math.log(max(self.store.live_count, 1) / (len(self.postings(field, text)[0]) + 1)) + 1
            else:
                with self.reading:
                    found = self.searcher.idf(field, text)
            if len(self._idf) >= CACHE_TERMS:
                self._idf.clear()
            self._idf[key] = found
        return found

    # --- scoring ---------------------------------------------------------------

    def present(self, terms: list[WeightedTerm]) -> int:
        """How many of the terms the index holds (Whoosh's coordination counts only those)."""
        return sum(1 for t in terms if len(self.postings(t.field, t.text)[0]))

    def present_pairs(self, field: str, pairs: list[tuple[str, str]]) -> int:
        """How many pairs have both words in the index (each counts two terms to Whoosh)."""
        return sum(1 for a, b in pairs if len(self.postings(field, a)[0]) and len(self.postings(field, b)[0]))

    def raw_scores(self, terms: list[WeightedTerm]) -> tuple[np.ndarray, np.ndarray]:
        """Summed BM25F scores of the terms and how many of them each document matched.

        Every posting of every term is scored at once (field by field) and the scores are
        summed with ``bincount`` in the order of the terms: the same numbers, to the last
        bit, as adding one term's scores after the other.
        """
        found = [(term, *self.postings(term.field, term.text)) for term in terms]
        found = [(term, ids, tf) for term, ids, tf in found if len(ids)]
        if not found:
            return np.zeros(self.doc_count, np.float64), np.zeros(self.doc_count, np.int32)
        ids = np.concatenate([ids for _, ids, _ in found])
        tf = np.concatenate([tf for _, _, tf in found])
        sizes = [len(ids) for _, ids, _ in found]
        fields = list(dict.fromkeys(term.field for term, _, _ in found))
        field_of = np.repeat([fields.index(term.field) for term, _, _ in found], sizes)
        weight = np.repeat(np.array([self._term_weight(term) for term, _, _ in found], np.float32), sizes)
        values = np.empty(len(ids), np.float32)
        for number, field in enumerate(fields):
            at = field_of == number
            values[at] = self._field_scores(field, ids[at], tf[at], weight[at])
        return (np.bincount(ids, values, self.doc_count),
                np.bincount(ids, minlength=self.doc_count).astype(np.int32))

    def _term_weight(self, term: WeightedTerm) -> float:
        """What multiplies a term's saturated frequencies: boost·idf (the boost alone in a field
        without lengths)."""
        if self.lengths.get(term.field) is None:
            return term.boost
        return term.boost * self.idf(term.field, term.text)

    def _field_scores(self, field: str, ids: np.ndarray, tf: np.ndarray, weight: np.ndarray) -> np.ndarray:
        """:meth:`_term_scores` of postings of one field, each with its term's weight (``float32``)."""
        lengths = self.lengths.get(field)
        if lengths is None:
            return weight * tf
        norm = self.k1 * ((1 - BM25_B) + BM25_B * lengths[ids] / self.avg_length[field])
        return weight * (tf * (self.k1 + 1)) / (tf + norm)

    def any_of(self, terms: list[WeightedTerm]) -> np.ndarray:
        """Documents holding at least one of the terms (what an OR of them matches, unscored)."""
        out = np.zeros(self.doc_count, bool)
        for term in terms:
            out[self.postings(term.field, term.text)[0]] = True
        return out

    def _term_scores(self, term: WeightedTerm, ids: np.ndarray, tf: np.ndarray) -> np.ndarray:
        lengths = self.lengths.get(term.field)
        if lengths is None:  # a field without lengths (ID, KEYWORD): Whoosh scores the weight
            return term.boost * tf
        norm = self.k1 * ((1 - BM25_B) + BM25_B * lengths[ids] / self.avg_length[term.field])
        return term.boost * self.idf(term.field, term.text) * (tf * (self.k1 + 1)) / (tf + norm)

    def coordinated(self, scores: np.ndarray, matched: np.ndarray, total: int, scale: float) -> np.ndarray:
        """Whoosh's coordination of an ``Or(scale=...)`` over ``total`` term leaves; dead documents 0."""
        out = scores.copy()
        if total > 1 and total != scale:  # one leaf alone is not coordinated (Whoosh unwraps it)
            hit = matched > 0
            out[hit] = (out[hit] + (matched[hit] - 1) / (total - scale) ** 2) * (total - 1) / total
        out[~self.live] = 0.0
        return out

    def add_adjacent_pairs(self, scores: np.ndarray, matched: np.ndarray, field: str,
                           pairs: list[tuple[str, str]], texts: dict[int, str], boost: float,
                           stop: Callable[[], bool] | None = None) -> None:
        """Score the pairs of query words standing side by side in the (folded) ``texts``.

        As Whoosh's ``Phrase([a, b], slop=1)`` on ``field``: the two words' scores,
        counted as two more matching terms. Side by side is read off the text (``a`` then ``b``
        with nothing between), which is what adjacent word positions mean. ``stop``, asked
        before each pair, ends the work early when it answers True.
        """
        docs = np.array(sorted(texts), np.int64)
        places = side_by_side_in([texts[d] for d in docs.tolist()], pairs)
        for (first, second), where in zip(pairs, places):
            if stop is not None and stop():
                return
            together = docs[where]
            if not len(together):
                continue
            bonus = np.zeros(len(together))
            for word in (first, second):
                ids, tf = self.postings(field, word)
                at = np.minimum(np.searchsorted(ids, together), max(len(ids) - 1, 0))
                present = (ids[at] == together) if len(ids) else np.zeros(len(together), bool)
                term_tf = np.where(present, tf[at] if len(ids) else 0, 0).astype(np.float32)
                bonus += np.where(present, self._term_scores(WeightedTerm(field, word, 1.0),
                                                             together, term_tf), 0.0)
            scores[together] += boost * bonus
            matched[together] += 2

    def stored(self, docnum: int, keep: bool = True) -> dict:
        """The stored fields of a document, kept for the life of the generation (bounded).

        ``keep=False`` reads them without keeping them (long lists read once).
        """
        found = self._stored.get(docnum)
        if found is None:
            with self.reading:
                found = self.searcher.stored_fields(docnum)
            if not keep:
                return found
            size = sum(len(v) for v in found.values() if isinstance(v, str))
            with self._lock:
                if len(self._stored) >= STORED_CACHE_DOCS or self._stored_chars + size > STORED_CACHE_CHARS:
                    self._stored.clear()
                    self._stored_chars = 0
                self._stored[docnum] = found
                self._stored_chars += size
        return found

    def term_mask(self, field: str, text: str) -> np.ndarray:
        """Documents holding a term."""
        mask = np.zeros(self.doc_count, bool)
        mask[self.postings(field, text)[0]] = True
        return mask

    # --- filters and facets ------------------------------------------------------

    def query_mask(self, key, whoosh_query) -> np.ndarray:
        """Documents matching a Whoosh (filter) query, cached by ``key``."""
        found = self._masks.get(key)
        if found is None:
            with self.reading:
                found = self._masks.get(key)
                if found is not None:
                    return found
                found = np.zeros(self.doc_count, bool)
                found[list(self.searcher.docs_for_query(whoosh_query))] = True
                found &= self.live
                self.keep_mask(key, found)
        return found

    def cached_mask(self, key):
        """A mask (or other value) kept earlier with :meth:`keep_mask`, or None."""
        return self._masks.get(key)

    def keep_mask(self, key, mask) -> None:
        """Keep a mask, or another value made from the arrays, for the life of the generation
        (at most ``MASK_CACHE_ENTRIES`` of them)."""
        with self._lock:
            if len(self._masks) >= MASK_CACHE_ENTRIES:
                self._masks.clear()
            self._masks[key] = mask

    def value_masks(self, field: str) -> tuple[list[str], np.ndarray]:
        """Every indexed value of a keyword field and, row by row, the documents holding it."""
        found = self._values.get(field)
        if found is None:
            with self.reading:
                found = self._values.get(field)
                if found is not None:
                    return found
                values = [_text(v) for v in self.searcher.reader().lexicon(field)]
                matrix = np.zeros((len(values), self.doc_count), bool)
                for row, value in enumerate(values):
                    matrix[row, self.postings(field, value)[0]] = True
                found = (values, matrix & self.live)
                self._values[field] = found
        return found

    # --- reading ahead -----------------------------------------------------------------

    def warm_postings(self, fields: list[str], min_frequency: int, max_bytes: int,
                      max_terms: int) -> tuple[int, int]:
        """Read the postings of the terms of ``fields`` held by at least ``min_frequency``
        documents into the cache, the most frequent first, while they fit within ``max_bytes``
        of arrays and ``max_terms`` terms (keep both well under the cache's own bounds, past
        which it drops everything). Returns (terms, bytes).

        A server does this before it answers: the frequent terms, the costly ones to read,
        are then read, and its threads do not queue for the searcher to read them one by one.
        """
        if self.store is not None:
            listed = self.store.frequent_terms(fields, min_frequency)
        else:
            with self.reading:
                reader = self.searcher.reader()
                listed = [(info.doc_frequency(), field, _text(term))
                          for field in fields for term, info in reader.iter_field(field)
                          if info.doc_frequency() >= min_frequency]
        listed.sort(key=lambda item: -item[0])
        terms = size = 0
        for frequency, field, text in listed:
            if terms >= max_terms or size + 8 * frequency > max_bytes:
                break
            ids, weights = self.postings(field, text)
            terms += 1
            size += ids.nbytes + weights.nbytes
        return terms, size

    def warm_folded(self) -> tuple[int, int]:
        """Fold the body of every live document into the cache, within ``FOLDED_CACHE_CHARS``
        (the stored fields read for it are not kept). Returns (documents, characters).

        When the postings store keeps the bodies, their files are read once instead (into the
        page cache, which every server process shares); the count is then of UTF-16 code units.
        """
        if self.texts is not None:
            return int(self.live.sum()), self.texts.read_texts()
        done = chars = 0
        for docnum in np.flatnonzero(self.live).tolist():
            if docnum not in self._folded:
                body = self.stored(docnum, keep=False).get("body", "")
                if self._folded_chars + len(body) > FOLDED_CACHE_CHARS:
                    break
                self.folded_body(docnum, body)
            done += 1
            chars += len(self._folded.get(docnum, ""))
        return done, chars

    def ids(self) -> list[str]:
        """The policy id of every document number (made once per generation: one string a
        document). Read from the id column, or, in an index of an older shape without it, from the
        stored fields."""
        if self._ids is None:
            with self.reading:
                if self._ids is None:
                    reader = self.searcher.reader()
                    if reader.has_column("id"):
                        found = list(reader.column_reader("id", translate=True)) if self.doc_count else []
                    else:
                        found = [self.searcher.stored_fields(d).get("id", "") if self.live[d] else ""
                                 for d in range(self.doc_count)]
                    self._ids = found
        return self._ids

    # --- groups of reposts (policy_search/duplicates.py) ------------------------------

    def group_keys(self, groups: Mapping[str, str]) -> np.ndarray:
        """Each document number's group of reposts, as a number (that of its group's canonical
        id among all of them, sorted), -1 for a document in none. ``groups`` maps each grouped
        id to its canonical id; the array is made once per generation and groups."""
        made = self._groups
        if made is None or made[0] != groups:
            heads = {head: n for n, head in enumerate(sorted(set(groups.values())))}
            keys = np.full(self.doc_count, -1, np.int32)
            for docnum, pid in enumerate(self.ids()):
                head = groups.get(pid)
                if head is not None:
                    keys[docnum] = heads[head]
            made = self._groups = (dict(groups), keys)
        return made[1]

    def count_groups(self, matched: np.ndarray, groups: Mapping[str, str]) -> int:
        """How many documents ``matched`` (a mask) holds, the documents of a group counted once."""
        keys = self.group_keys(groups)[matched]
        grouped = keys[keys >= 0]
        return len(keys) - len(grouped) + len(np.unique(grouped))

    def first_of_groups(self, docs: np.ndarray, groups: Mapping[str, str]) -> np.ndarray:
        """``docs`` (document numbers, in order) without those a document of their group precedes."""
        keys = self.group_keys(groups)[docs]
        keep = keys < 0
        grouped = np.flatnonzero(~keep)
        _, first = np.unique(keys[grouped], return_index=True)
        keep[grouped[first]] = True
        return docs[keep]

    # --- date order ------------------------------------------------------------------

    def newest_first(self, mask: np.ndarray) -> np.ndarray:
        """The documents of ``mask``, newest written date first (ties: the later-added first).

        The order Whoosh's ``sortedby="written_date", reverse=True`` gives: its collector sorts
        (date, document number) pairs in reverse, so a policy without a date comes last.
        """
        order = self.date_order()
        return order[mask[order]]

    def date_order(self) -> np.ndarray:
        """Every document number, newest first (made once per generation, ``int32``)."""
        if self._by_date is None:
            with self.reading:
                if self._by_date is None:
                    keys = whoosh_adapter.date_sort_keys(self.leaves, "written_date")
                    _, rank = np.unique(np.array(keys, dtype=object), return_inverse=True)
                    docs = np.arange(self.doc_count)
                    self._by_date = np.lexsort((-docs, -rank.reshape(-1))).astype(np.int32)
        return self._by_date


def side_by_side(text: str, first: str, second: str) -> bool:
    """True when ``second`` follows ``first`` in ``text`` with at most one character between.

    >>> side_by_side("减免，房租", "减免", "房租"), side_by_side("减免三月房租", "减免", "房租")
    (True, False)
    """
    if first + second in text:
        return True
    width = len(first)
    start = text.find(first)
    while start >= 0:
        if text.startswith(second, start + width + 1):
            return True
        start = text.find(first, start + 1)
    return False


def side_by_side_in(texts: list[str], pairs: list[tuple[str, str]]) -> list[np.ndarray]:
    """For each pair, the numbers of the texts where :func:`side_by_side` holds, sorted.

    The words are looked for in one pass over the texts' code points (a lookup of their
    first characters, then the others checked); a word starting with a character beyond the
    Basic Multilingual Plane is left to :func:`side_by_side`.

    >>> [a.tolist() for a in side_by_side_in(["减免，房租", "房租减免", "减免房租"], [("减免", "房租")])]
    [[0, 2]]
    """
    words = list(dict.fromkeys(word for pair in pairs for word in pair))
    found = word_places(texts, [w for w in words if findable(w)])
    out = []
    for first, second in pairs:
        if first in found and second in found:
            out.append(_adjacent(found[first], len(first), found[second]))
        else:
            out.append(np.array([n for n, text in enumerate(texts) if side_by_side(text, first, second)],
                                np.int64))
    return out


def _adjacent(first: tuple[np.ndarray, np.ndarray], width: int,
              second: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """The texts where an occurrence of the second word starts right after one of the first
    (``width`` characters long) or one character later, in the same text."""
    first_at, first_text = first
    second_at, second_text = second
    hits = []
    for gap in (0, 1):
        wanted = first_at + width + gap
        slot = np.minimum(np.searchsorted(second_at, wanted), max(len(second_at) - 1, 0))
        if len(second_at):
            same = (second_at[slot] == wanted) & (second_text[slot] == first_text)
            hits.append(first_text[same])
    return np.unique(np.concatenate(hits)) if hits else np.zeros(0, np.int64)


def _text(value) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def top_documents(scores: np.ndarray, mask: np.ndarray | None, count: int) -> tuple[np.ndarray, int]:
    """The ``count`` best documents by score (ties by document number) and how many matched."""
    candidates = scores > 0
    if mask is not None:
        candidates &= mask
    docs = np.flatnonzero(candidates)
    total = len(docs)
    if total > count:
        part = np.argpartition(-scores[docs], count - 1)[:count]
        docs = docs[part]
    order = np.lexsort((docs, -scores[docs]))
    return docs[order], total
