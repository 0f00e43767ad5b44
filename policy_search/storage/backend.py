"""The seam between the service and the index: what the service asks of a search backend.

The service (:mod:`search`) parses queries, re-ranks the best hits, makes snippets and
hits, and keeps ids, aliases, removals and links (the catalog). A backend holds the
indexed documents and answers, over one consistent state of the index (a *view*):

* ranked search — scored terms, quoted phrases, exclusions and filters, with facet counts:
  the best documents, their scores and how many matched (:class:`RankedRequest`);
* listing newest first, with the same matching and filters (:class:`ListRequest`);
* documents by the backend's references, and whether an id is indexed;
* document frequencies (idf) for the re-ranking;
* a writer: upsert, delete, commit (returning the new generation), cancel; and a writer that
  fills the index anew, replacing all of it at its commit (a rebuild);
* the set of indexed ids of the last commit (recovery, ``links check``).

``local`` (Whoosh on disk, scored with the arrays of :mod:`engine`) is the default;
``opensearch`` (:mod:`backends.opensearch`) runs the same service on a cluster.
:func:`open_backend` picks one by name from :data:`BACKENDS` (by default the one
``$POLICY_SEARCH_BACKEND`` names, else ``local``).
``tests/test_backend_contract.py`` pins what every backend must answer.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, ContextManager, Iterable, Mapping, Protocol, runtime_checkable

from policy_search.search.filters import Filters
from policy_search.search.query import COORDINATION, PAIR_WEIGHT
from policy_search.settings import setting_default, setting_env, setting_of

#: Asked between stages of costly work: True means stop there (the time budget ran out).
Stop = Callable[[], bool]


@dataclass(frozen=True)
class RankedRequest:
    """A search by relevance.

    ``terms`` are the optional sub-queries ``(field, text, boost)``, OR-ed with coordination
    ``coordination``; ``pairs`` consecutive query words scoring ``pair_weight`` more where
    they stand side by side in the body; every quoted phrase of ``phrases`` must stand in
    the title or body; a document holding an ``excluded`` word in any text field is left out.
    ``count`` is how many of the best documents to return.

    ``groups`` (each id of a group of reposts → its group's canonical id, see
    :mod:`policy_search.duplicates`): ``total`` counts the matches of a group once. The best
    documents are not thinned (the service re-ranks them, then keeps one a group); facets
    still count documents.
    """

    terms: list[tuple[str, str, float]]
    count: int
    pairs: list[tuple[str, str]] = field(default_factory=list)
    phrases: list[list[str]] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    filters: Filters = field(default_factory=Filters)
    facets: bool = True
    coordination: float = COORDINATION
    pair_weight: float = PAIR_WEIGHT
    #: Asked before optional work; once it answers True the backend answers what it has.
    stop: Stop | None = None
    groups: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ListRequest:
    """Documents newest first (written date; ties: the later added first).

    A document matches every quoted phrase, else any of ``terms`` (every document when there
    is none), none of the ``excluded`` words, and the filters. ``start``/``count`` pick the
    page (``count=None``: all of them).

    ``groups`` (as :class:`RankedRequest`'s): each group of reposts is listed once, by its
    first document in the order, and ``total`` counts groups; facets still count documents.
    """

    terms: list[tuple[str, str, float]] = field(default_factory=list)
    phrases: list[list[str]] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    filters: Filters = field(default_factory=Filters)
    start: int = 0
    count: int | None = None
    facets: bool = True
    stop: Stop | None = None
    groups: Mapping[str, str] = field(default_factory=dict)


@dataclass
class RankedResult:
    """What a search answers: the documents (the backend's references, best first), their
    scores (0 when listed by date), how many matched, and facet counts over all matches
    (``{facet: {value: count}}``, largest first; empty when not asked for)."""

    refs: list[int]
    scores: list[float]
    total: int
    facets: dict = field(default_factory=dict)


class IndexView(Protocol):
    """One state of the index, consistent for as long as it is held."""

    generation: int

    def ranked(self, request: RankedRequest) -> RankedResult:
        """The ``request.count`` best documents by relevance."""

    def listed(self, request: ListRequest) -> RankedResult:
        """The matching documents newest first, one page of them."""

    def pending_phrase_checks(self, phrases: list[list[str]], filters: Filters) -> int:
        """How many texts a search with these quoted phrases still has to read (its cost; 0
        when the backend does not read texts itself)."""

    def document(self, ref: int, keep: bool = True) -> dict:
        """The stored fields of a document (``keep=False``: not worth caching)."""

    def fields(self, ref: int) -> dict:
        """The stored fields of a document found by this view, without its body: no text is
        read (what a look at the best hits' tags needs)."""

    def folded_body(self, ref: int, body: str | None = None) -> str:
        """The folded body of a document (see :mod:`fold`), ``body`` when already read."""

    def idf(self, field: str, text: str) -> float:
        """Inverse document frequency of a term: ``ln(N / (df + 1)) + 1``."""

    def has_id(self, policy_id: str) -> bool:
        """True when the view holds a document of the id."""

    def policy_ids(self, refs: list[int]) -> list[str]:
        """The policy ids of documents, without reading their stored fields when it can."""

    def doc_count(self) -> int:
        """How many documents the view holds."""

    def related(self, doc_numbers: list[str], topics: list[str], exclude_id: str,
                limit: int, doc_number_boost: float) -> list[dict]:
        """Stored fields of the documents citing-or-sharing: any of the 文号 (each weighing
        ``doc_number_boost``) or topics, best first, without ``exclude_id``."""


class BackendWriter(Protocol):
    """Changes staged until :meth:`commit`; a writer dropped without commit changes nothing."""

    def upsert(self, fields: dict) -> None:
        """Add a document, replacing every committed document of its id."""

    def delete(self, policy_id: str, version: int | None = None) -> None:
        """Remove every document of an id (``version``: its catalog record's, see :data:`schema.VERSION`)."""

    def commit(self) -> int:
        """Make the staged changes visible; returns the new generation."""

    def cancel(self) -> None:
        """Drop the staged changes."""


@runtime_checkable
class SearchBackend(Protocol):
    """An index the service reads and the writer writes."""

    kind: str

    def reading(self) -> ContextManager[IndexView]:
        """The current state of the index (a newer commit is seen by the next call)."""

    def writer(self) -> BackendWriter:
        """A new writer (one at a time: the caller holds the data directory's lock)."""

    def rebuilding(self) -> BackendWriter:
        """A writer filling the index anew: its commit replaces every document in one step
        (searchers see the old index or the new one, never part of each); cancel keeps the old."""

    def generation(self) -> int:
        """The generation of the last commit."""

    def indexed_ids(self) -> set[str]:
        """Every id the last commit holds."""

    def doubled_ids(self) -> set[str]:
        """Ids the last commit holds more than one document of (left by old versions)."""

    def document_count(self) -> int:
        """How many documents the last commit holds."""

    def close(self) -> None:
        """Release what the backend holds open."""


def _local(paths, create: bool = False) -> SearchBackend:
    from policy_search.storage.backends.local import LocalBackend
    return LocalBackend(paths, create=create)


def _opensearch(paths, create: bool = False) -> SearchBackend:
    from policy_search.storage.backends.opensearch import OpenSearchBackend
    return OpenSearchBackend(paths, create=create)


#: Backends by name: each opens the backend of a data directory's paths.
BACKENDS: dict[str, Callable[..., SearchBackend]] = {"local": _local, "opensearch": _opensearch}
#: The environment variable naming the backend the service and the writer open by default.
ENV = setting_env("backend")
DEFAULT_KIND = setting_of("backend").default


def open_backend(paths, kind: str | None = None, *, create: bool = False) -> SearchBackend:
    """The backend ``kind`` of a data directory (``create``: make an empty index if none).

    Without ``kind``: the one ``$POLICY_SEARCH_BACKEND`` names, else ``local``.
    """
    kind = kind or setting_default("backend") or DEFAULT_KIND
    try:
        factory = BACKENDS[kind]
    except KeyError:
        raise ValueError(f"unknown search backend {kind!r}; known: {', '.join(BACKENDS)}") from None
    return factory(paths, create=create)


def ids_of(view: IndexView, refs: Iterable[int]) -> list[str]:
    """The policy ids of documents of a view."""
    return [view.document(ref)["id"] for ref in refs]
