"""The local backend: the Whoosh index of the data directory, scored with the arrays of :mod:`engine`.

An opened state of the index is a *generation*: its searcher and its arrays (made on
first need). Many threads read at once. The backend's ``lock`` only reopens the index
and makes a generation's arrays; no lock is held while a search scores, and each call
into Whoosh holds that generation's ``reading`` lock for the one call (see :mod:`engine`).
A generation replaced by a newer one is closed once its last reader is done with it.
"""
from __future__ import annotations

import contextlib
import datetime
import re
import shutil
import threading
import time
from dataclasses import astuple, dataclass
from typing import Iterator

import numpy as np
from whoosh import query as wq
from whoosh import scoring

from policy_search.storage.backend import ListRequest, RankedRequest, RankedResult
from policy_search.storage.postings_store import PART_POSTINGS, PostingsBatch, PostingsStore, PostingsView
from policy_search.search.engine import CACHE_BYTES, CACHE_TERMS, PAIR_GAP, Snapshot, WeightedTerm, top_documents
from policy_search.search.facets import facet_counts
from policy_search.search.filters import Filters, build_filter
from policy_search.storage.schema import (BODY, STORE_FIELDS, STORE_INPUT, TEXT_FIELDS, counted_fields,
                                          has_store_postings)
from policy_search.settings import DataPaths
from policy_search.storage.store import open_index, open_or_create_index

#: BM25 term-frequency saturation; lower than Whoosh's 1.2 measured better on real questions.
BM25_K1 = 0.8
#: How many of the best documents are checked for query words standing side by side.
PAIR_DEPTH = 30
#: What :meth:`LocalView.warm` reads ahead: the postings of the word fields' terms held by at
#: least this many documents (the costly ones to read), within these bytes of arrays and terms.
WARM_MIN_FREQUENCY = 64
WARM_POSTINGS_BYTES = CACHE_BYTES // 4
WARM_POSTINGS_TERMS = 20_000


def ranking_weighting() -> scoring.BM25F:
    """BM25F as the service ranks with it."""
    return scoring.BM25F(K1=BM25_K1)


class LocalBackend:
    """Whoosh on disk plus the project's arrays; see :class:`backend.SearchBackend`."""

    kind = "local"

    def __init__(self, paths: DataPaths, *, create: bool = False):
        self.paths = paths
        self.index = (open_or_create_index(paths.index_dir) if create
                      else open_index(paths.index_dir, paths.root))
        self.lock = threading.Lock()  # reopening the index, making a generation's arrays
        self._leases = threading.Lock()  # the reader counts of the generations, for a moment
        self._generation: _Generation | None = None

    def close(self) -> None:
        """Close the current generation's searcher."""
        if self._generation is not None:
            self._generation.searcher.close()

    # --- reading --------------------------------------------------------------------

    def current_searcher(self):
        """The Whoosh searcher of the current generation (for tests comparing with Whoosh)."""
        return self._fresh_generation().searcher

    def _fresh_generation(self) -> "_Generation":
        """The current generation, replaced first when a writer has committed since.

        Whoosh's ``refresh()`` keeps the readers of unchanged segment ids together with
        their old deletions, so removed and replaced policies would stay findable: a new
        searcher is opened instead. Only a search that finds the index changed takes the lock.
        """
        current = self._generation
        if current is not None and current.searcher.up_to_date():
            return current
        with self.lock:
            current = self._generation
            if current is None or not current.searcher.up_to_date():
                self._generation = _Generation(self, self.index.searcher(weighting=ranking_weighting()))
                if current is not None:
                    self._release(current, retire=True)
            return self._generation

    @contextlib.contextmanager
    def reading(self) -> Iterator["LocalView"]:
        """The current generation, kept open while the block reads it."""
        while True:
            generation = self._fresh_generation()
            with self._leases:
                if not generation.retired:
                    generation.users += 1
                    break
        try:
            yield generation.view
        finally:
            self._release(generation)

    def _release(self, generation: "_Generation", retire: bool = False) -> None:
        """One reader fewer (or, with ``retire``, the generation replaced); the last one closes it."""
        with self._leases:
            if retire:
                generation.retired = True
            else:
                generation.users -= 1
            done = generation.retired and generation.users == 0
        if done:
            generation.searcher.close()

    def arrays(self, generation: "_Generation") -> Snapshot:
        """The arrays of a generation, made once (under the backend's lock)."""
        if generation.arrays is None:
            with self.lock:
                if generation.arrays is None:
                    generation.arrays = Snapshot(generation.searcher, list(STORE_FIELDS), BM25_K1,
                                                 generation.reading, store=self._store_view(generation))
        return generation.arrays

    def _store_view(self, generation: "_Generation") -> PostingsView | None:
        """The text postings of a generation (None for an index of an older shape, whose text
        fields are Whoosh's own)."""
        searcher = generation.searcher
        if not has_store_postings(searcher.schema):
            return None
        reader = searcher.reader()
        segments = PostingsStore(self.paths.index_dir).segments(reader.generation()) or []
        with generation.reading:
            ids = list(reader.column_reader("id", translate=True)) if reader.doc_count_all() else []
            docnum_of = {policy_id: docnum for docnum, policy_id in enumerate(ids)
                         if not reader.is_deleted(docnum)}
        return PostingsView(segments, STORE_FIELDS, docnum_of, reader.doc_count_all())

    # --- the last commit ----------------------------------------------------------------

    def generation(self) -> int:
        """The generation of the last commit."""
        return self.index.latest_generation()

    def indexed_ids(self) -> set[str]:
        """Every id a live document of the last commit holds.

        (The term list keeps the ids of deleted documents until their segment is merged;
        Whoosh's postings leave deleted documents out.)
        """
        with self.index.searcher() as searcher:
            reader = searcher.reader()
            return {_text(term) for term in reader.lexicon("id")
                    if reader.postings("id", term).is_active()}

    def document_count(self) -> int:
        """How many live documents the last commit holds."""
        with self.index.searcher() as searcher:
            return searcher.doc_count()

    def doubled_ids(self) -> set[str]:
        """Ids held by more than one live document (left by versions that indexed a policy twice)."""
        seen: set[str] = set()
        doubled: set[str] = set()
        with self.index.searcher() as searcher:
            for fields in searcher.all_stored_fields():
                (doubled if fields["id"] in seen else seen).add(fields["id"])
        return doubled

    # --- writing ---------------------------------------------------------------------------

    def writer(self) -> "LocalWriter":
        """A writer over the index (Whoosh's own writer lock is taken at the first change)."""
        return LocalWriter(self.index, PostingsStore(self.paths.index_dir))

    def rebuilding(self) -> "LocalWriter":
        """A writer that deletes every indexed document before what it is given: one Whoosh
        commit, so readers see the old generation or the new one."""
        writer = self.writer()
        for policy_id in self.indexed_ids():
            writer.delete(policy_id)
        return writer


class LocalWriter:
    """Whoosh's writer and the postings store behind :class:`backend.BackendWriter`.

    An upsert's counted text goes into the store's batch at once (compact arrays); its Whoosh
    fields wait, one per id, and are added at commit: Whoosh's ``update_document`` does not
    replace a document added earlier in the same uncommitted writer, so a policy put twice in
    one batch (two files, one policy) would otherwise be indexed twice. The store's segment
    and the manifest of the next generation are written just before Whoosh commits that
    generation (see :mod:`postings_store`). Whoosh's writer (and its lock) is taken at the
    first change.
    """

    def __init__(self, index, store: PostingsStore):
        self._index = index
        self._store = store
        self._batch = PostingsBatch(STORE_FIELDS)
        self._parts: list = []  # segments the batch spilled, named at commit
        self._documents: dict[str, dict] = {}
        self._writer = None

    def _whoosh(self):
        if self._writer is None:
            self._writer = self._index.writer(limitmb=128)
        return self._writer

    def upsert(self, fields: dict) -> None:
        """Every committed document of the id replaced by this one at commit."""
        fields = dict(fields)
        counted = counted_fields(fields.pop(STORE_INPUT, {}))
        body = fields.pop(BODY, "")
        _check_whoosh_fields(self._whoosh().schema, fields)
        self._batch.add(fields["id"], counted, body)
        self._documents[fields["id"]] = fields
        if self._batch.size >= PART_POSTINGS:
            self._parts.append(self._store.write_part(self._batch))
            self._batch = PostingsBatch(STORE_FIELDS)

    def delete(self, policy_id: str, version: int | None = None) -> None:
        """Every document of the id deleted (one writer at a time: no version is needed)."""
        self._whoosh().delete_by_term("id", policy_id)
        self._documents.pop(policy_id, None)
        self._batch.delete(policy_id)

    def commit(self) -> int:
        """Commit (the index's generation unchanged when nothing was staged).

        Every committed document of an upserted id is deleted before the new one is added
        (``update_document`` deletes only the first it finds, so it cannot heal an id that
        was indexed twice).
        """
        if self._writer is not None:
            for policy_id, fields in self._documents.items():
                self._writer.delete_by_term("id", policy_id)
                self._writer.add_document(**fields)
            previous = self._index.latest_generation()
            self._store.commit(self._batch, previous, previous + 1, self._parts)
            self._writer.commit()
            self._reset()
        return self._index.latest_generation()

    def cancel(self) -> None:
        """Drop what was staged, releasing Whoosh's writer lock."""
        if self._writer is not None:
            self._writer.cancel()
        for part in self._parts:
            shutil.rmtree(part.folder, ignore_errors=True)
        self._reset()

    def _reset(self) -> None:
        self._writer = None
        self._documents = {}
        self._parts = []
        self._batch = PostingsBatch(STORE_FIELDS)


def _check_whoosh_fields(schema, fields: dict) -> None:
    """Raise now what Whoosh's ``add_document`` would raise at commit for these fields (an unknown
    field, an indexed or sortable field whose value is not text), so a bad document fails alone
    where it is upserted. (Checking the type, not indexing the value twice: this runs in the
    one writer process for every policy.)"""
    for name, value in fields.items():
        if name.startswith("_"):
            continue
        field = schema[name]  # KeyError: a field the schema lacks
        if (field.indexed or field.column_type) and not isinstance(value, str):
            raise ValueError(f"field {name!r} of policy {fields.get('id')!r} holds "
                             f"{type(value).__name__}, not text")


class _Generation:
    """One opened state of the index: its searcher, its arrays (made on first need), its readers.

    ``reading`` is held around each call into the searcher.
    """

    def __init__(self, backend: LocalBackend, searcher):
        self.searcher = searcher
        self.reading = threading.RLock()
        self.arrays: Snapshot | None = None
        self.users = 0
        self.retired = False
        self.view = LocalView(backend, self)


class LocalView:
    """One generation of the local index, answering as :class:`backend.IndexView`."""

    def __init__(self, backend: LocalBackend, generation: _Generation):
        self._backend = backend
        self._generation = generation
        self.generation = generation.searcher.reader().generation()

    @property
    def arrays(self) -> Snapshot:
        """The arrays of this generation (made on first use)."""
        return self._backend.arrays(self._generation)

    # --- search ------------------------------------------------------------------------

    def ranked(self, request: RankedRequest) -> RankedResult:
        """Scored with arrays (see :mod:`engine`); quoted phrases are masks; groups of reposts
        are counted with an array of each document's group (:meth:`engine.Snapshot.group_keys`).

        Past ``request.stop``, phrases are checked no further (the best-scored texts first),
        and words side by side are left out.
        """
        arrays = self.arrays
        within = self._within(request.filters)
        stop = request.stop or _never
        terms = [WeightedTerm(*t) for t in request.terms]
        pairs = request.pairs
        raw, matched = arrays.raw_scores(terms)
        mask = within
        if request.phrases:
            order = _by_score(raw) if any(len(p) > 1 for p in request.phrases) else None
            mask = self._phrases_mask(request.phrases, within, order, stop)
        leaves = arrays.present(terms) + 2 * arrays.present_pairs("body", pairs)
        if pairs and not stop():
            first_pass = arrays.coordinated(raw, matched, leaves, request.coordination)
            near, _ = top_documents(first_pass, mask, PAIR_DEPTH)
            texts = {int(d): arrays.folded_body(int(d)) for d in near}
            arrays.add_adjacent_pairs(raw, matched, "body", pairs, texts, request.pair_weight, stop=stop)
        scores = arrays.coordinated(raw, matched, leaves, request.coordination)
        scores[self._excluded_mask(request.excluded)] = 0.0
        docs, total = top_documents(scores, mask, request.count)
        found = (scores > 0) & mask if request.facets or request.groups else None
        if request.groups:
            total = arrays.count_groups(found, request.groups)
        facets = facet_counts(arrays, found) if request.facets else {}
        return RankedResult(refs=[int(d) for d in docs], scores=[float(scores[d]) for d in docs],
                            total=total, facets=facets)

    def listed(self, request: ListRequest) -> RankedResult:
        """Newest first: the matches as a mask, in date order (the first of each group of reposts)."""
        arrays = self.arrays
        within = self._within(request.filters)
        terms = [WeightedTerm(*t) for t in request.terms]
        matched = within
        if request.phrases:
            matched = self._phrases_mask(request.phrases, within, arrays.date_order(),
                                         request.stop or _never)
        elif terms:
            matched = within & arrays.any_of(terms)
        if request.excluded:
            matched = matched & ~self._excluded_mask(request.excluded)
        docs = arrays.newest_first(matched)
        if request.groups:
            docs = arrays.first_of_groups(docs, request.groups)
        end = None if request.count is None else request.start + request.count
        facets = facet_counts(arrays, matched) if request.facets else {}
        page = docs[request.start:end].tolist()
        return RankedResult(refs=page, scores=[0.0] * len(page), total=len(docs), facets=facets)

    def pending_phrase_checks(self, phrases: list[list[str]], filters: Filters) -> int:
        """How many texts the phrases of several words are still to be checked in."""
        if not any(len(p) > 1 for p in phrases):
            return 0
        candidates, checks = self._phrase_work(phrases, self._within(filters))
        return int(np.count_nonzero(candidates & _unchecked(checks, self.arrays.doc_count)))

    def _within(self, filters: Filters) -> np.ndarray:
        """The live documents the filters let through (cached per day: "in force" depends on it)."""
        arrays = self.arrays
        filter_query = build_filter(filters)
        if filter_query is None:
            return arrays.live
        return arrays.query_mask((astuple(filters), datetime.date.today()), filter_query)

    def _excluded_mask(self, excluded: list[str]) -> np.ndarray:
        """Documents holding an excluded word in any text field."""
        arrays = self.arrays
        out = np.zeros(arrays.doc_count, bool)
        for word in excluded:
            for name in TEXT_FIELDS:
                out |= arrays.term_mask(name, word)
        return out

    def _phrases_mask(self, phrases: list[list[str]], within: np.ndarray,
                      order: np.ndarray | None, stop) -> np.ndarray:
        """Documents of ``within`` where every quoted phrase stands, its words side by side,
        in the title or body (a phrase of one word: the word in any text field).

        The texts are checked one document at a time, every phrase at once, in ``order``
        (every document number, best first) until ``stop`` answers True; a document left
        unchecked is left out. What was checked is kept for the generation, so a query asked
        again goes on where it stopped. (``order`` matters only for phrases of several words.)
        """
        arrays = self.arrays
        candidates, checks = self._phrase_work(phrases, within)
        if not checks:
            return candidates
        todo = candidates & _unchecked(checks, arrays.doc_count)
        for docnum in order[todo[order]].tolist():
            if stop():
                break
            text = arrays.folded_title(docnum) + "\n" + arrays.folded_body(docnum)
            for check in checks:
                if not check.checked[docnum]:
                    check.holds[docnum] = check.pattern.search(text) is not None
                    check.checked[docnum] = True  # after holds: a reader seeing it checked sees the answer
        for check in checks:
            candidates &= check.checked & check.holds
        return candidates

    def _phrase_work(self, phrases: list[list[str]],
                     within: np.ndarray) -> tuple[np.ndarray, list["_PhraseChecks"]]:
        """The documents of ``within`` holding the words of every phrase, and the checks kept
        for the phrases of several words."""
        candidates = within.copy()
        for words in phrases:
            candidates &= self._phrase_candidates(words)
        return candidates, [_phrase_checks(self.arrays, words) for words in phrases if len(words) > 1]

    def _phrase_candidates(self, words: list[str]) -> np.ndarray:
        """Live documents holding every word of a phrase, each in some text field."""
        arrays = self.arrays
        having = None
        for word in words:
            in_any = np.zeros(arrays.doc_count, bool)
            for name in TEXT_FIELDS:
                in_any |= arrays.term_mask(name, word)
            having = in_any if having is None else having & in_any
        return having & arrays.live

    def warm(self) -> dict:
        """Read ahead what searches read (see :meth:`engine.Snapshot.warm_postings`): the
        postings of the word fields, within ``WARM_POSTINGS_BYTES``, the folded texts, the facet
        values and the date order. Returns what was read, with the seconds it took."""
        started = time.perf_counter()
        arrays = self.arrays
        terms, size = arrays.warm_postings(list(TEXT_FIELDS), WARM_MIN_FREQUENCY, WARM_POSTINGS_BYTES,
                                           min(WARM_POSTINGS_TERMS, CACHE_TERMS // 4))
        documents, chars = arrays.warm_folded()
        facet_counts(arrays, arrays.live)
        arrays.date_order()
        return {"terms": terms, "postings_bytes": size, "folded_documents": documents,
                "folded_chars": chars, "seconds": round(time.perf_counter() - started, 2)}

    # --- documents ------------------------------------------------------------------------

    def document(self, ref: int, keep: bool = True) -> dict:
        """The stored fields of a document, with its body."""
        fields = self.arrays.stored(ref, keep=keep)
        return fields if "body" in fields else {**fields, "body": self.arrays.body(ref)}

    def fields(self, ref: int) -> dict:
        """The stored fields (the body is kept apart, in the folded bodies' file)."""
        return {k: v for k, v in self.arrays.stored(ref).items() if k != "body"}

    def folded_body(self, ref: int, body: str | None = None) -> str:
        """The folded body of a document (cached for the generation)."""
        return self.arrays.folded_body(ref, body)

    def idf(self, field: str, text: str) -> float:
        """Whoosh's idf of a term in this generation."""
        return self.arrays.idf(field, text)

    def policy_ids(self, refs: list[int]) -> list[str]:
        """The ids of documents, from the id column read once for the generation."""
        ids = self.arrays.ids()
        return [ids[ref] for ref in refs]

    def has_id(self, policy_id: str) -> bool:
        """True when this generation holds the id."""
        with self._generation.reading:
            return self._generation.searcher.document_number(id=policy_id) is not None

    def doc_count(self) -> int:
        """How many live documents this generation holds."""
        with self._generation.reading:
            return self._generation.searcher.doc_count()

    def related(self, doc_numbers: list[str], topics: list[str], exclude_id: str,
                limit: int, doc_number_boost: float) -> list[dict]:
        """Whoosh's BM25F over the 文号 (boosted) and topics, without the document itself."""
        wanted = [wq.Term("doc_number", n, boost=doc_number_boost) for n in doc_numbers]
        wanted += [wq.Term("topics", t) for t in topics]
        if not wanted:
            return []
        query = wq.AndNot(wq.Or(wanted), wq.Term("id", exclude_id))
        with self._generation.reading:
            found = [hit.docnum for hit in self._generation.searcher.search(query, limit=limit)]
        return [self.document(docnum, keep=False) for docnum in found]


@dataclass
class _PhraseChecks:
    """What one generation knows of a quoted phrase: the texts checked, and those holding it."""

    pattern: re.Pattern
    checked: np.ndarray
    holds: np.ndarray


def _phrase_checks(arrays: Snapshot, words: list[str]) -> _PhraseChecks:
    """The checks of a phrase of several words kept in ``arrays`` (made empty on first use;
    two threads making them at once each keep their own, and one set is kept)."""
    key = ("phrase", tuple(words))
    found = arrays.cached_mask(key)
    if found is None:
        found = _PhraseChecks(re.compile(PAIR_GAP.join(map(re.escape, words))),
                              np.zeros(arrays.doc_count, bool), np.zeros(arrays.doc_count, bool))
        arrays.keep_mask(key, found)
    return found


def _unchecked(checks: list[_PhraseChecks], count: int) -> np.ndarray:
    """Documents some of the phrases have not been checked in yet."""
    out = np.zeros(count, bool)
    for check in checks:
        out |= ~check.checked
    return out


def _by_score(scores: np.ndarray) -> np.ndarray:
    """Every document number, highest score first (ties by number)."""
    return np.lexsort((np.arange(len(scores)), -scores))


def _never() -> bool:
    return False


def _text(value) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)
