"""The postings of the text fields, kept beside the Whoosh index in arrays of the project's own.

Ranking reads postings into NumPy arrays (:mod:`engine`), never through Whoosh's matchers;
pushed through Whoosh's writer they were most of an ingest's cost (``bench/ingest_parts.py``:
Whoosh's add and commit of the text fields took 31 of 52 CPU seconds, the character-bigram
field alone 23). Here the ingest workers count each policy's terms (:func:`schema.analyse_fields`),
and the one writer turns a batch into a handful of arrays at commit; searches read them
memory-mapped. Whoosh keeps the documents, ids, filters, facets and dates.

Fields are those of :data:`schema.STORE_FIELDS` (the word fields and the bigram field); a term
is kept as ``<field number><TAB><term>``.

On disk, in ``<index>/postings/``:

``seg-<name>/``       one committed batch (a *segment*):
                      ``ids.json``        the fields, the policy id of each document of the segment,
                                          and the ids the batch deleted (its *tombstones*);
                      ``lengths.npy``     each document's number of tokens, a column a field (``int32``);
                      ``terms.bin``       the segment's distinct terms, sorted, UTF-8, end to end,
                                          with ``term_starts.npy`` (byte offsets, one more than terms);
                      ``post_starts.npy`` where each term's postings begin in ``docs.npy`` (its
                                          documents, ascending) and ``weights.npy`` (``float32``);
                      ``body.npy``        each document's body text, UTF-16 code units end to end
                                          (``uint16``), with ``body_starts.npy`` (one more than
                                          documents); ``folded.npy`` and ``folded_starts.npy`` the
                                          same of the folded bodies (:mod:`fold`), which searches
                                          scan for phrases, words side by side and passages;
``gen-<G>.json``      the segments, oldest first, that Whoosh's generation ``G`` sees.

A generation's manifest is written before Whoosh commits that generation, so a reader
never meets a Whoosh generation without its segments; a manifest left by a run killed
before its commit is written again by the next one. A policy id belongs to the newest
segment naming it (a later batch replaces an earlier document, a tombstone removes it), and
only ids Whoosh holds live count: Whoosh stays the judge of what is indexed.

The bodies are kept here, not in Whoosh's stored fields: memory-mapped, they are read without
unpickling or decompressing, and several server processes share one copy in the page cache. Segments
of similar size are merged at commit (each merge at least doubles what it writes), so
the number of segments stays logarithmic and the cost of writing grows linearly.
"""
from __future__ import annotations

import bisect
import functools
import itertools
import json
import mmap
import os
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from policy_search.text.fold import fold

FOLDER = "postings"
#: Between a field's number and the term in a stored term.
SEPARATOR = "\t"
#: Manifests kept behind the newest (readers of those generations may still be opening them).
KEEP_GENERATIONS = 3
#: The newest segment is merged into the one before when it holds at least this share of its postings
#: (1: when it is as big: segments then double as they merge, and a handful stay).
MERGE_SHARE = 1.0
#: A batch this many postings long is written as a part of the commit to come (not yet named by any
#: manifest), so the memory a large batch holds until its commit stays bounded.
PART_POSTINGS = 4_000_000
#: A merge never writes a segment bigger than this (postings): bigger segments stay as they are, so
#: a merge's memory and time are bounded, and the number of segments grows with the corpus only
#: past this size (one per 8M postings: the laws + COVID corpus holds 7.8M).
MAX_MERGED_POSTINGS = 2 * PART_POSTINGS


# --- one segment -------------------------------------------------------------------------------


class _Terms:
    """The sorted terms of a segment as a sequence of str (for :mod:`bisect`), read from a map."""

    def __init__(self, blob, starts: np.ndarray):
        self._blob = blob
        self._starts = starts

    def __len__(self) -> int:
        return len(self._starts) - 1

    def __getitem__(self, row: int) -> str:
        return self._blob[int(self._starts[row]):int(self._starts[row + 1])].decode("utf-8")

    def all(self) -> list[str]:
        """Every term, decoded (for a merge)."""
        data = bytes(self._blob[:int(self._starts[-1])])
        starts = self._starts.tolist()
        return [data[a:b].decode("utf-8") for a, b in zip(starts, starts[1:])]


class Segment:
    """One committed batch of postings, memory-mapped."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.name = folder.name
        meta = json.loads((folder / "ids.json").read_text(encoding="utf-8"))
        self.fields: list[str] = meta["fields"]
        self.ids: list[str] = meta["ids"]
        self.tombstones: list[str] = meta["tombstones"]
        self.lengths = np.load(folder / "lengths.npy", mmap_mode="r")
        self.post_starts = np.load(folder / "post_starts.npy", mmap_mode="r")
        self.docs = np.load(folder / "docs.npy", mmap_mode="r")
        self.weights = np.load(folder / "weights.npy", mmap_mode="r")
        self._blob = _map_file(folder / "terms.bin")
        self.terms = _Terms(self._blob, np.load(folder / "term_starts.npy", mmap_mode="r"))
        # None in a segment written before the store kept the bodies (Whoosh's stored fields did)
        self.texts = Texts.load(folder) if (folder / "body.npy").exists() else None

    @property
    def size(self) -> int:
        """How many postings the segment holds (what merging it costs)."""
        return int(self.post_starts[-1]) if len(self.post_starts) else 0

    def row(self, text: str) -> int | None:
        """The term's row, or None when the segment lacks it."""
        at = bisect.bisect_left(self.terms, text)
        return at if at < len(self.terms) and self.terms[at] == text else None

    def postings(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        """Local document numbers and weights of a stored term (empty when absent)."""
        row = self.row(key)
        if row is None:
            return np.zeros(0, np.int32), np.zeros(0, np.float32)
        start, end = int(self.post_starts[row]), int(self.post_starts[row + 1])
        return self.docs[start:end], self.weights[start:end]


def _map_file(path: Path):
    """A read-only map of a file (an empty bytes object for an empty file, which cannot be mapped)."""
    with path.open("rb") as handle:
        if os.fstat(handle.fileno()).st_size == 0:
            return b""
        return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)


def term_key(field_number: int, term: str) -> str:
    """How a field's term is kept."""
    return f"{field_number}{SEPARATOR}{term}"


@dataclass
class _Postings:
    """A batch's postings before they are written: documents in order, terms as ranks."""

    fields: list[str]
    ids: list[str]
    tombstones: list[str]
    lengths: np.ndarray
    terms: list[str]          # sorted
    term_rows: np.ndarray     # the term of each posting (row of ``terms``), postings document-ordered
    docs: np.ndarray
    weights: np.ndarray
    texts: "Texts"


def _write_segment(folder: Path, postings: _Postings) -> Segment:
    """Write a segment in a temporary folder and rename it into place."""
    order = np.argsort(postings.term_rows, kind="stable")  # by term, documents still ascending
    counts = np.bincount(postings.term_rows, minlength=len(postings.terms))
    encoded = [term.encode("utf-8") for term in postings.terms]
    term_starts = np.zeros(len(encoded) + 1, np.int64)
    np.cumsum(np.fromiter(map(len, encoded), np.int64, len(encoded)), out=term_starts[1:])
    post_starts = np.zeros(len(encoded) + 1, np.int64)
    np.cumsum(counts, out=post_starts[1:])
    temporary = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(temporary, ignore_errors=True)
    temporary.mkdir(parents=True)
    meta = {"fields": postings.fields, "ids": postings.ids, "tombstones": postings.tombstones}
    (temporary / "ids.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    np.save(temporary / "lengths.npy", np.asarray(postings.lengths, np.int32))
    (temporary / "terms.bin").write_bytes(b"".join(encoded))
    np.save(temporary / "term_starts.npy", term_starts)
    np.save(temporary / "post_starts.npy", post_starts)
    np.save(temporary / "docs.npy", np.asarray(postings.docs, np.int32)[order])
    np.save(temporary / "weights.npy", np.asarray(postings.weights, np.float32)[order])
    postings.texts.save(temporary)
    os.rename(temporary, folder)
    return Segment(folder)


def _ranked_terms(vocabulary: dict[str, int], ids: np.ndarray) -> tuple[list[str], np.ndarray]:
    """The vocabulary sorted, and each of ``ids`` (values of ``vocabulary``) as its rank."""
    terms = sorted(vocabulary)
    rank_of = np.zeros(max(vocabulary.values(), default=0) + 1, np.int32)
    rank_of[np.fromiter((vocabulary[t] for t in terms), np.int64, len(terms))] = np.arange(len(terms))
    return terms, rank_of[ids] if len(ids) else np.zeros(0, np.int32)


# --- the bodies of a segment's documents -----------------------------------------------------------


def utf16(text: str) -> np.ndarray:
    """A text as UTF-16 code units (a character beyond the Basic Multilingual Plane takes two)."""
    return np.frombuffer(text.encode("utf-16-le", "surrogatepass"), np.uint16)


def _from_utf16(units: np.ndarray) -> str:
    return units.tobytes().decode("utf-16-le", "surrogatepass")


@dataclass
class Texts:
    """The bodies of a segment's documents, in document order, as written and folded: UTF-16
    code units end to end, with where each document's starts (one more than documents)."""

    body: np.ndarray
    body_starts: np.ndarray
    folded: np.ndarray
    folded_starts: np.ndarray

    FILES = ("body", "body_starts", "folded", "folded_starts")

    @staticmethod
    def joined(units: list[tuple[np.ndarray, np.ndarray]]) -> "Texts":
        """Texts from each document's (body, folded) code units, in order."""
        def laid_end_to_end(parts: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
            starts = np.zeros(len(parts) + 1, np.int64)
            np.cumsum(np.fromiter(map(len, parts), np.int64, len(parts)), out=starts[1:])
            return (np.concatenate(parts) if parts else np.zeros(0, np.uint16)).astype(np.uint16, copy=False), starts

        body, body_starts = laid_end_to_end([b for b, _ in units])
        folded, folded_starts = laid_end_to_end([f for _, f in units])
        return Texts(body, body_starts, folded, folded_starts)

    @staticmethod
    def load(folder: Path) -> "Texts":
        # plain arrays over the maps: slicing a np.memmap costs several times more
        return Texts(*(np.asarray(np.load(folder / f"{name}.npy", mmap_mode="r")) for name in Texts.FILES))

    def save(self, folder: Path) -> None:
        for name in Texts.FILES:
            np.save(folder / f"{name}.npy", getattr(self, name))

    def units(self, local: int) -> tuple[np.ndarray, np.ndarray]:
        """A document's (body, folded) code units (views into the files)."""
        return (self.body[self.body_starts[local]:self.body_starts[local + 1]],
                self.folded[self.folded_starts[local]:self.folded_starts[local + 1]])

    def body_text(self, local: int) -> str:
        return _from_utf16(self.body[self.body_starts[local]:self.body_starts[local + 1]])

    def folded_text(self, local: int) -> str:
        return _from_utf16(self.folded[self.folded_starts[local]:self.folded_starts[local + 1]])


# --- a batch being written ------------------------------------------------------------------------


@dataclass
class FieldCounts:
    """One field of one policy as the store takes it: each term's weight (a count, or a sum of
    boosts), and the token count."""

    weights: dict[str, float | int]
    length: int


class PostingsBatch:
    """The counted fields of the documents a writer adds, and the ids it deletes.

    Each document is turned into arrays as it is added (term numbers of one vocabulary for
    the batch, weights, lengths), so a large batch waiting for its commit holds a few bytes a
    posting rather than a dictionary a field.
    """

    def __init__(self, fields: tuple[str, ...]):
        self.fields = fields
        self.documents: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self.texts: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # (body, folded) code units
        self.deleted: set[str] = set()
        # one vocabulary a field, numbered from one counter (the field's number joins the
        # term only once per distinct term, at commit)
        self._vocabularies: list[dict[str, int]] = [{} for _ in fields]
        self._numbers = itertools.count()
        self.size = 0  # postings added (replaced documents included)

    def add(self, policy_id: str, counted: dict[str, FieldCounts], body: str = "") -> None:
        """Add (or replace) a document: its counted fields, and its body text."""
        term_ids, weights = [], []
        lengths = np.zeros(len(self.fields), np.int32)
        for number, name in enumerate(self.fields):
            field = counted.get(name)
            if field is None or not field.weights:
                continue
            size = len(field.weights)
            numbered = map(self._vocabularies[number].setdefault, field.weights, self._numbers)
            term_ids.append(np.fromiter(numbered, np.int64, size))
            weights.append(np.fromiter(field.weights.values(), np.float32, size))
            lengths[number] = field.length
        self.documents[policy_id] = (np.concatenate(term_ids) if term_ids else np.zeros(0, np.int64),
                                     np.concatenate(weights) if weights else np.zeros(0, np.float32), lengths)
        self.texts[policy_id] = (utf16(body), utf16(fold(body)))
        self.deleted.discard(policy_id)
        self.size += len(self.documents[policy_id][0])

    def delete(self, policy_id: str) -> None:
        self.documents.pop(policy_id, None)
        self.texts.pop(policy_id, None)
        self.deleted.add(policy_id)

    def __bool__(self) -> bool:
        return bool(self.documents or self.deleted)

    def postings(self) -> _Postings:
        """The batch as arrays, its terms sorted."""
        documents = list(self.documents.values())
        sizes = [len(term_ids) for term_ids, _, _ in documents]
        term_ids = np.concatenate([d[0] for d in documents]) if documents else np.zeros(0, np.int64)
        vocabulary = {term_key(number, term): n for number, terms in enumerate(self._vocabularies)
                      for term, n in terms.items()}
        terms, rows = _ranked_terms(vocabulary, term_ids)
        return _Postings(fields=list(self.fields), ids=list(self.documents), tombstones=sorted(self.deleted),
                         lengths=np.array([d[2] for d in documents], np.int32).reshape(len(documents), len(self.fields)),
                         terms=terms, term_rows=rows,
                         docs=np.repeat(np.arange(len(sizes), dtype=np.int32), sizes),
                         weights=np.concatenate([d[1] for d in documents]) if documents else np.zeros(0, np.float32),
                         texts=Texts.joined([self.texts[policy_id] for policy_id in self.documents]))


# --- the store ---------------------------------------------------------------------------------------


class PostingsStore:
    """The postings folder of one index: manifests and segments."""

    def __init__(self, index_dir: Path):
        self.folder = Path(index_dir) / FOLDER

    def exists(self) -> bool:
        return self.folder.is_dir()

    def clear(self) -> None:
        """Remove every segment and manifest (the index is being made anew)."""
        shutil.rmtree(self.folder, ignore_errors=True)

    def segment_names(self, generation: int) -> list[str] | None:
        """The segments generation ``generation`` sees, or None without a manifest."""
        path = self.folder / f"gen-{generation}.json"
        try:
            return json.loads(path.read_text(encoding="utf-8"))["segments"]
        except FileNotFoundError:
            return None

    def segments(self, generation: int) -> list[Segment] | None:
        names = self.segment_names(generation)
        return None if names is None else [Segment(self.folder / name) for name in names]

    def write_part(self, batch: PostingsBatch) -> Segment:
        """Write a batch as a segment that no manifest names yet (a part of the next commit; the
        garbage collection of a later commit removes it if that commit never comes)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        return _write_segment(self._new_folder(), batch.postings())

    def commit(self, batch: PostingsBatch, previous: int, generation: int, parts: list[Segment] = ()) -> None:
        """Write the batch as a new segment after the ``parts`` written earlier, merge, and name
        the segments of ``generation``.

        ``previous`` is the generation the batch was written over (its segments are the start).
        """
        self.folder.mkdir(parents=True, exist_ok=True)
        segments = [s for s in self.segments(previous) or [] if s.fields == list(batch.fields)]
        segments += list(parts)
        if batch:
            segments.append(_write_segment(self._new_folder(), batch.postings()))
        segments = self._merged(segments)
        self._write_manifest(generation, [s.name for s in segments])
        self._collect_garbage(generation)

    def _new_folder(self) -> Path:
        return self.folder / f"seg-{secrets.token_hex(6)}"

    def _merged(self, segments: list[Segment]) -> list[Segment]:
        """Merge the newest segment into the one before while it is not much smaller and the
        two together stay within ``MAX_MERGED_POSTINGS``."""
        while (len(segments) >= 2 and segments[-1].size >= MERGE_SHARE * segments[-2].size
               and segments[-1].size + segments[-2].size <= MAX_MERGED_POSTINGS):
            first = len(segments) == 2
            merged = _write_segment(self._new_folder(), merge_postings(segments[-2:], drop_tombstones=first))
            segments = segments[:-2] + [merged]
        return segments

    def _write_manifest(self, generation: int, names: list[str]) -> None:
        path = self.folder / f"gen-{generation}.json"
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"segments": names}), encoding="utf-8")
        os.replace(temporary, path)

    def _collect_garbage(self, newest: int) -> None:
        """Drop manifests more than ``KEEP_GENERATIONS`` behind, and segments none of the rest name."""
        kept: set[str] = set()
        for path in self.folder.glob("gen-*.json"):
            generation = int(path.stem.split("-", 1)[1])
            if generation < newest - KEEP_GENERATIONS or generation > newest:
                path.unlink(missing_ok=True)
            else:
                kept.update(self.segment_names(generation) or [])
        for path in self.folder.glob("seg-*"):
            if path.name not in kept:
                shutil.rmtree(path, ignore_errors=True)


def merge_postings(segments: list[Segment], drop_tombstones: bool) -> _Postings:
    """Several consecutive segments as one batch: the newest document of each id kept.

    ``drop_tombstones`` when the oldest segment of the index is among them (nothing older
    is left for a tombstone to hide).
    """
    claimed: set[str] = set()
    tombstones: list[str] = []
    keep: list[np.ndarray] = [np.zeros(0, bool)] * len(segments)
    for at in range(len(segments) - 1, -1, -1):
        segment = segments[at]
        for policy_id in segment.tombstones:
            if policy_id not in claimed:
                claimed.add(policy_id)
                tombstones.append(policy_id)
        mask = np.zeros(len(segment.ids), bool)
        for local, policy_id in enumerate(segment.ids):
            if policy_id not in claimed:
                claimed.add(policy_id)
                mask[local] = True
        keep[at] = mask
    vocabulary: dict[str, int] = {}
    numbers = itertools.count()
    ids, lengths, term_ids, docs, weights, texts = [], [], [], [], [], []
    first_doc = 0
    for segment, mask in zip(segments, keep):
        renumber = np.full(len(segment.ids), -1, np.int64)
        renumber[mask] = np.arange(first_doc, first_doc + int(mask.sum()))
        first_doc += int(mask.sum())
        ids += [i for i, kept in zip(segment.ids, mask) if kept]
        kept = np.flatnonzero(mask).tolist()
        if segment.texts is not None:
            texts += [segment.texts.units(local) for local in kept]
        else:  # a segment of the shape before the bodies (not merged with newer ones: the next
            # writer rebuilds such an index); its documents keep their places, without a body
            texts += [(np.zeros(0, np.uint16), np.zeros(0, np.uint16))] * len(kept)
        lengths.append(np.asarray(segment.lengths)[mask])
        segment_ids = np.fromiter(map(vocabulary.setdefault, segment.terms.all(), numbers), np.int64,
                                  len(segment.terms))
        per_term = np.diff(np.asarray(segment.post_starts))
        posting_terms = np.repeat(segment_ids, per_term)
        new_docs = renumber[np.asarray(segment.docs)]
        alive = new_docs >= 0
        # postings of a segment are term-ordered; put them back in document order for the writer
        order = np.argsort(new_docs[alive], kind="stable")
        term_ids.append(posting_terms[alive][order])
        docs.append(new_docs[alive][order])
        weights.append(np.asarray(segment.weights)[alive][order])
    terms, rows = _ranked_terms(vocabulary, np.concatenate(term_ids))
    return _Postings(fields=segments[0].fields, ids=ids, tombstones=[] if drop_tombstones else sorted(tombstones),
                     lengths=np.concatenate(lengths), terms=terms, term_rows=rows,
                     docs=np.concatenate(docs).astype(np.int32), weights=np.concatenate(weights),
                     texts=Texts.joined(texts))


# --- reading one generation ------------------------------------------------------------------------


def coarse_lengths(lengths: np.ndarray) -> np.ndarray:
    """Each document's field length as BM25 weighs it: kept in one byte, as Whoosh keeps the
    lengths of its fields (``whoosh.util.numeric.length_to_byte``; Lucene's norms are alike):
    exact up to 10, then within a few per cent. The average length stays exact.

    Exact lengths ranked the dev questions a little worse (``policy-search eval``: three answers a
    place lower and one a place higher, MRR@10 0.9013 against 0.9016 with Whoosh's lengths).

    >>> coarse_lengths(np.array([0, 7, 50, 1000, 20000, 10**7], np.float32)).tolist()
    [0.0, 7.0, 52.0, 1032.0, 20289.0, 106374.0]
    """
    table = _byte_lengths()
    return table[np.minimum(np.searchsorted(table, lengths, side="left"), len(table) - 1)]


@functools.lru_cache(maxsize=1)
def _byte_lengths() -> np.ndarray:
    """The length each of the 256 bytes stands for (ascending)."""
    from whoosh.util.numeric import byte_to_length

    return np.array([byte_to_length(b) for b in range(256)], np.float32)


class PostingsView:
    """The postings of one Whoosh generation, in that generation's document numbers."""

    def __init__(self, segments: list[Segment], fields: tuple[str, ...], docnum_of: dict[str, int],
                 doc_count: int):
        self.segments = [s for s in segments if s.fields == list(fields)]
        self.fields = fields
        self.doc_count = doc_count
        lengths = np.zeros((doc_count, len(fields)), np.float32)
        self._docmaps: list[np.ndarray] = []
        # where each document number's text is: its segment (-1: none) and its number there
        self._segment_of = np.full(doc_count, -1, np.int32)
        self._local_of = np.zeros(doc_count, np.int32)
        claimed: set[str] = set()
        for segment in reversed(self.segments):
            docmap = np.full(len(segment.ids), -1, np.int32)
            claimed.update(segment.tombstones)
            for local, policy_id in enumerate(segment.ids):
                if policy_id in claimed:
                    continue
                claimed.add(policy_id)
                docnum = docnum_of.get(policy_id)
                if docnum is not None:
                    docmap[local] = docnum
            hit = docmap >= 0
            lengths[docmap[hit]] = np.asarray(segment.lengths)[hit]
            self._segment_of[docmap[hit]] = len(self.segments) - 1 - len(self._docmaps)
            self._local_of[docmap[hit]] = np.flatnonzero(hit)
            self._docmaps.append(docmap)
        self._docmaps.reverse()
        self.live_count = sum(int((m >= 0).sum()) for m in self._docmaps)
        #: True when the segments keep the bodies (an index of the newest shape)
        self.has_texts = all(segment.texts is not None for segment in self.segments)
        exact = {name: np.ascontiguousarray(lengths[:, n]) for n, name in enumerate(fields)}
        self.avg_length = {name: float(column.sum() / self.live_count) if self.live_count else 1.0
                           for name, column in exact.items()}
        self.lengths = {name: coarse_lengths(column) for name, column in exact.items()}

    def postings(self, field: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Document numbers (ascending) and weights of a field's term, live documents only."""
        key = term_key(self.fields.index(field), text)
        ids, weights = [], []
        for segment, docmap in zip(self.segments, self._docmaps):
            local, weight = segment.postings(key)
            if not len(local):
                continue
            docnums = docmap[local]
            hit = docnums >= 0
            ids.append(docnums[hit])
            weights.append(np.asarray(weight)[hit])
        if not ids:
            return np.zeros(0, np.int32), np.zeros(0, np.float32)
        docnums, weights_all = np.concatenate(ids), np.concatenate(weights)
        order = np.argsort(docnums, kind="stable")
        return docnums[order], weights_all[order]

    def body(self, docnum: int) -> str:
        """A live document's body as written ("" for a document the store does not hold)."""
        segment = self._segment_of[docnum]
        return "" if segment < 0 else self.segments[segment].texts.body_text(int(self._local_of[docnum]))

    def folded_body(self, docnum: int) -> str:
        """A live document's folded body ("" for a document the store does not hold)."""
        segment = self._segment_of[docnum]
        return "" if segment < 0 else self.segments[segment].texts.folded_text(int(self._local_of[docnum]))

    def read_texts(self) -> int:
        """Read every segment's folded bodies once (into the page cache, shared by every process
        reading them); returns how many code units were read."""
        units = 0
        for segment in self.segments:
            folded = segment.texts.folded
            if len(folded):
                folded.max()  # touches every page
            units += len(folded)
        return units

    def frequent_terms(self, fields: list[str], min_frequency: int) -> list[tuple[int, str, str]]:
        """``(documents, field, term)`` of the terms of ``fields`` that some segment holds in at
        least ``min_frequency`` documents (what a server reads ahead; counted a segment at a time)."""
        wanted = {str(self.fields.index(f)): f for f in fields if f in self.fields}
        found: dict[tuple[str, str], int] = {}
        for segment in self.segments:
            per_term = np.diff(np.asarray(segment.post_starts))
            for row in np.flatnonzero(per_term >= min_frequency).tolist():
                number, _, term = segment.terms[row].partition(SEPARATOR)
                if number in wanted:
                    key = (wanted[number], term)
                    found[key] = found.get(key, 0) + int(per_term[row])
        return [(n, field, term) for (field, term), n in found.items()]
