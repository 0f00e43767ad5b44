"""The search service: one object over a data directory, used by the CLI, the web and benchmarks.

Many threads search at once (the web server's). What one search costs is bounded:
the query caps of :mod:`query`, a time budget (``QUERY_BUDGET_S``) checked between
stages, and at most ``HEAVY_QUERIES_AT_ONCE`` heavy queries running together. No
lock is held while a search scores: the backend's lock only reopens the index and
makes a generation's arrays (see :mod:`backends.local`).

The service reaches the index only through a :class:`backend.SearchBackend` (opened by
:func:`backend.open_backend`): it parses queries, re-ranks the best hits, makes snippets,
and keeps ids, aliases, removals and links; the backend matches, scores, counts facets and
lists by date.
"""
from __future__ import annotations

import collections
import contextlib
import dataclasses
import json
import math
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from policy_search.search import places, rerank, snippets
from policy_search.search.first_seen import MAX_FIRST_SEEN, SeenHit, SeenPage, pick_newest
from policy_search.storage.backend import (IndexView, ListRequest, RankedRequest, RankedResult, SearchBackend,
                                          open_backend)
from policy_search.storage.catalog import Catalog
from policy_search.errors import PolicyNotFoundError, QueryError, SavedSearchNotFoundError, ServiceBusyError
from policy_search.search.filters import Filters, build_filter
from policy_search.search.interpretations import cited_by, known_as, regions_agree
from policy_search.models import DEFAULT_DOC_TYPE, LEVELS, Policy, validity_status
from policy_search.text.analysis import segmenter, stop_words, synonym_table, synonyms
from policy_search.text.docnumber import doc_number_key
from policy_search.search.query import (ParsedQuery, adjacent_pairs, doc_number_of, parse_user_query, query_terms,
                                        scoring_terms)
from policy_search.settings import DataPaths, resolve_data_dir

MAX_LIMIT = 100
MAX_PAGE = 1000
SORTS = ("relevance", "date")
#: The one-click lookup lists at most this many policies per level.
MATCH_LIMIT_PER_LEVEL = 200
#: Group of the one-click lookup for policies whose level could not be told.
UNRATED = "unrated"
#: A cited 文号 counts this many shared topics when choosing related policies.
RELATED_CITED_BOOST = 5.0
#: A query that is a 文号 shows at most this many other policies its words find.
RELATED_ON_DOC_NUMBER = 10
#: At most this many interpretations of a policy (or policies of an interpretation) are linked.
LINKS_SHOWN = 20
#: Seconds one search may take. Between stages (checking quoted phrases in the texts, scoring
#: words side by side, the second look at the best hits, snippets) a search past it leaves out
#: the rest of that work and answers what it has, marked ``partial``. Ordinary questions take
#: a few milliseconds.
QUERY_BUDGET_S = 0.5
#: Heavy queries run at most this many at once; one that cannot start within its budget is
#: refused as busy (the web answers 503 with Retry-After). Others never wait for them, and a
#: heavy query gives way: at each of its checkpoints it pauses while ordinary searches run
#: (threads share one interpreter lock), so it may end partial rather than slow them down.
HEAVY_QUERIES_AT_ONCE = 1
#: A query ranked by relevance looking up more terms than this is heavy (the longest real
#: question looks up 203). Date order of many words is cheap: it only counts matches.
HEAVY_TERMS = 240
#: A query whose quoted phrases must be checked in more texts than this is heavy.
HEAVY_PHRASE_DOCS = 300
#: Pause of a heavy query giving way to ordinary searches, in seconds (it checks again after).
GIVE_WAY_S = 0.002
#: Searches reading their question and running at once in a process; the others wait their
#: turn (a query found heavy leaves its turn for a heavy slot: ordinary ones never wait for it).
#: NumPy lets go of the interpreter lock around every operation on a long array, so searches
#: running side by side in threads hand the lock back and forth hundreds of times each:
#: measured on the load questions, 8 threads at once answered half as many searches a second
#: as one thread alone, each costing twice the CPU time. The wait is not part of the budget.
ORDINARY_SEARCHES_AT_ONCE = 1


@dataclass
class Hit:
    """One search result (the shape of a hit in ``search --json``)."""

    id: str
    title: str
    doc_number: str | None
    issuer: str | None
    level: str | None
    region: dict
    topics: list[str]
    industries: list[str]
    written_date: str | None
    publish_date: str | None
    valid_until: str | None
    status: str
    score: float
    snippet: str
    highlights: list[list[int]] = field(default_factory=list)
    snippet_html: str = ""
    type: str = DEFAULT_DOC_TYPE

    def to_dict(self) -> dict:
        """The JSON shape of a hit, as ``dataclasses.asdict`` gives it but without its recursive
        deep copy (the hit's own lists and dict are copied; what they hold is shared)."""
        data = dict(self.__dict__)
        data["region"] = dict(self.region)
        data["topics"] = list(self.topics)
        data["industries"] = list(self.industries)
        data["highlights"] = [list(mark) for mark in self.highlights]
        return data


@dataclass
class SearchPage:
    """One page of results, with facet counts over all matches."""

    query: str
    total: int
    page: int
    pages: int
    limit: int
    hits: list[Hit]
    facets: dict = field(default_factory=dict)
    #: True when the time budget ran out and some of the work was left out: quoted phrases
    #: checked in only part of the texts (``total`` counts those), a rougher order, plain snippets.
    partial: bool = False
    #: For a query that is a 文号 (None for any other): whether a policy has it. Then ``hits``
    #: are the policies of that 文号, and ``related`` the best others the words find.
    doc_number_match: bool | None = None
    related: list[Hit] = field(default_factory=list)

    def to_dict(self) -> dict:
        """The JSON shape of ``search --json`` (``"partial": true`` only on a partial answer;
        ``doc_number_match`` and ``related`` only for a query that is a 文号)."""
        data = {"query": self.query, "total": self.total, "page": self.page,
                "pages": self.pages, "limit": self.limit,
                "hits": [h.to_dict() for h in self.hits], "facets": self.facets}
        if self.partial:
            data["partial"] = True
        if self.doc_number_match is not None:
            data["doc_number_match"] = self.doc_number_match
            data["related"] = [h.to_dict() for h in self.related]
        return data


@dataclass
class MatchResult:
    """The one-click lookup: policies that apply to an enterprise, grouped by level."""

    region: dict
    industry: str | None
    topic: str | None
    total: int
    groups: dict[str, list[Hit]]

    def to_dict(self) -> dict:
        """The JSON shape of ``match --json``."""
        return {"region": self.region, "industry": self.industry, "topic": self.topic,
                "total": self.total,
                "groups": {level: [h.to_dict() for h in hits] for level, hits in self.groups.items()}}


@dataclass
class PolicyView:
    """A policy as shown: the record plus whether it was removed from search."""

    policy: Policy
    removed: bool
    replaced_by: str | None
    requested_id: str
    #: the policies an interpretation explains, and the interpretations of a policy: ``{id, title}``
    #: (filled by ``get(..., links=True)``)
    interprets: list[dict] = field(default_factory=list)
    interpretations: list[dict] = field(default_factory=list)
    #: reposts of this notice under other ids, when it is its group's canonical policy:
    #: ``{id, title, url}``; and the canonical policy this one repeats, else None
    duplicates: list[dict] = field(default_factory=list)
    duplicate_of: dict | None = None

    def to_dict(self) -> dict:
        """The JSON shape of ``show --json``."""
        data = self.policy.to_dict()
        data["removed"] = self.removed
        data["replaced_by"] = self.replaced_by
        data["interprets"] = [dict(link) for link in self.interprets]
        data["interpretations"] = [dict(link) for link in self.interpretations]
        data["duplicates"] = [dict(link) for link in self.duplicates]
        data["duplicate_of"] = dict(self.duplicate_of) if self.duplicate_of else None
        return data


def _region_code(stored: dict) -> str:
    """The region code of a document's stored fields ("national" for a central one)."""
    code = json.loads(stored.get("region") or "{}").get("code") or ""
    return code or ("national" if stored.get("level") == "central" else "")


def _placed(view: IndexView, ordered: list[tuple[float, int]], named: set[str]) -> list[tuple[float, int]]:
    """The best hits again in order, those wholly in provinces the question does not name scoring
    less (see :mod:`places`; each document's provinces were found when it was indexed)."""
    adjusted = []
    for score, ref in ordered:
        profile = _split_list(view.fields(ref).get("provinces", ""))
        adjusted.append((score * places.ELSEWHERE_FACTOR if places.is_elsewhere(named, profile) else score, ref))
    return sorted(adjusted, key=lambda pair: -pair[0])


def _split_list(value: str) -> list[str]:
    return [v for v in (value or "").split(",") if v]


def _check_paging(limit: int, page: int, sort: str) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise QueryError(f"limit must be between 1 and {MAX_LIMIT}")
    if not 1 <= page <= MAX_PAGE:
        raise QueryError(f"page must be between 1 and {MAX_PAGE}")
    if sort not in SORTS:
        raise QueryError(f"unknown sort {sort!r}", hint="use 'relevance' or 'date'")


def _hit_from_stored(stored: dict, score: float, snippet: str, marks: list) -> Hit:
    valid_until = stored.get("valid_until") or None
    return Hit(
        id=stored["id"], title=stored.get("title", ""),
        doc_number=stored.get("doc_number") or None, issuer=stored.get("issuer") or None,
        level=stored.get("level") or None, region=json.loads(stored.get("region") or "{}"),
        topics=_split_list(stored.get("topics")), industries=_split_list(stored.get("industries")),
        written_date=stored.get("written_date") or None,
        publish_date=stored.get("publish_date") or None,
        valid_until=valid_until, status=validity_status(valid_until),
        score=score, snippet=snippet, highlights=marks,
        snippet_html=snippets.marked_html(snippet, marks), type=stored.get("type") or DEFAULT_DOC_TYPE)


class Budget:
    """The time one search may take, and whether it had to leave work out.

    ``give_way``, when set, is asked at each checkpoint (:meth:`over`): while it answers
    True the search pauses, within its time.
    """

    def __init__(self, seconds: float):
        self.deadline = time.monotonic() + seconds
        self.partial = False
        self.give_way: Callable[[], bool] | None = None

    def left(self) -> float:
        """Seconds left (0 when the time is up)."""
        return max(0.0, self.deadline - time.monotonic())

    def over(self) -> bool:
        """True once the time is up, and the answer is then partial: ask before optional work."""
        while self.give_way is not None and self.give_way() and time.monotonic() < self.deadline:
            time.sleep(GIVE_WAY_S)
        if time.monotonic() < self.deadline:
            return False
        self.partial = True
        return True


class Admission:
    """Lets at most ``slots`` heavy queries run at once; the others wait for a slot."""

    def __init__(self, slots: int):
        self._slots = threading.BoundedSemaphore(slots)

    @contextlib.contextmanager
    def hold(self, wait_s: float) -> Iterator[None]:
        """Hold a slot while the block runs; ServiceBusyError when none frees within ``wait_s``."""
        if not self._slots.acquire(timeout=wait_s):
            raise ServiceBusyError("too many long queries are running; try again in a moment",
                                   hint="use fewer words or quoted phrases")
        try:
            yield
        finally:
            self._slots.release()


class Turns:
    """At most ``slots`` holders at once, the others served first come, first served: a slot let
    go passes straight to the longest waiting thread (a thread letting go and asking again at
    once cannot take it back ahead of them, as it could with ``threading.Semaphore``)."""

    def __init__(self, slots: int):
        self._lock = threading.Lock()
        self._free = slots
        self._waiting: collections.deque[threading.Lock] = collections.deque()

    def acquire(self) -> None:
        """Wait for a slot."""
        with self._lock:
            if self._free and not self._waiting:
                self._free -= 1
                return
            ticket = threading.Lock()
            ticket.acquire()
            self._waiting.append(ticket)
        ticket.acquire()  # released by the release() that hands this thread its slot

    def release(self) -> None:
        """Give a slot back: to the first waiting thread, if any."""
        with self._lock:
            if self._waiting:
                self._waiting.popleft().release()
            else:
                self._free += 1


class SearchService:
    """Read access to the policies of one data directory, safe to share between threads.

    ``budget_s`` and ``heavy_slots`` default to ``QUERY_BUDGET_S`` and ``HEAVY_QUERIES_AT_ONCE``.
    ``backend`` is a backend's name (see :func:`backend.open_backend`; default: the
    environment's, else ``local``) or an opened :class:`backend.SearchBackend`.
    """

    def __init__(self, data_dir: Path, *, budget_s: float = QUERY_BUDGET_S,
                 heavy_slots: int = HEAVY_QUERIES_AT_ONCE, backend: str | SearchBackend | None = None):
        self.paths = DataPaths(Path(data_dir))
        self.backend = (open_backend(self.paths, backend) if backend is None or isinstance(backend, str)
                        else backend)
        self.catalog = Catalog(self.paths.catalog_file)
        self.budget_s = budget_s
        self.admission = Admission(heavy_slots)
        self._ordinary = 0  # ordinary searches running now (heavy ones give way to them)
        self._counting = threading.Lock()
        self._turns = Turns(ORDINARY_SEARCHES_AT_ONCE)

    def close(self) -> None:
        """Release the backend and the catalog."""
        self.backend.close()
        self.catalog.close()

    def __enter__(self) -> "SearchService":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def search(self, text: str, *, limit: int = 10, page: int = 1, sort: str = "relevance",
               details: bool = True, budget_s: float | None = None, **filters) -> SearchPage:
        """Search policies; ``filters`` (by name, see :data:`filters.FILTER_FIELDS`) narrow,
        ``sort`` is 'relevance' or 'date'.

        ``details=False`` leaves out snippets and facet counts (ranking only, for evaluation).
        ``budget_s`` replaces the service's time budget for this search. A heavy query that
        cannot start within its budget raises :class:`ServiceBusyError`.
        """
        _check_paging(limit, page, sort)
        number = doc_number_of(text)
        if number is not None:
            return self._doc_number_search(text, number, limit, page, sort, details, budget_s, filters)
        return self._words_search(text, limit, page, sort, details, budget_s, filters)

    def _doc_number_search(self, text: str, number: str, limit: int, page: int, sort: str, details: bool,
                           budget_s: float | None, filters: dict) -> SearchPage:
        """A query that is a 文号: the policies of that 文号 (in date order), and the best of what
        its words find besides, as related results (page 1 only)."""
        narrowed = Filters(**filters)
        build_filter(narrowed)
        with self.backend.reading() as view:
            found = self._listed_once_per_group(view, ListRequest(
                terms=[("doc_number", doc_number_key(number), 1.0)], filters=narrowed,
                start=(page - 1) * limit, count=limit, facets=details))
            hits = [_hit_from_stored(fields, 0.0, snippets.opening(fields.get("body", ""), 160) if details else "",
                                     []) for fields in (view.document(ref) for ref in found.refs)]
        related: list[Hit] = []
        if page == 1:
            words = self._words_search(text, RELATED_ON_DOC_NUMBER + len(hits), 1, sort, details, budget_s, filters)
            exact = {h.id for h in hits}
            related = [h for h in words.hits if h.id not in exact][:RELATED_ON_DOC_NUMBER]
        return SearchPage(query=text, total=found.total, page=page, pages=max(1, math.ceil(found.total / limit)),
                          limit=limit, hits=hits, facets=found.facets, doc_number_match=found.total > 0,
                          related=related)

    def _words_search(self, text: str, limit: int, page: int, sort: str, details: bool, budget_s: float | None,
                      filters: dict) -> SearchPage:
        with self._turn() as leave:
            parsed = parse_user_query(text)
            filters = Filters(**filters)
            build_filter(filters)  # an unknown level or region is refused before the index is read
            budget = Budget(self.budget_s if budget_s is None else budget_s)
            by_date = sort == "date" or parsed.is_empty
            with self.backend.reading() as view:
                heavy = self._is_heavy(view, parsed, filters, by_date)
                if heavy:
                    leave()
                with self._admitted(heavy, budget):
                    run = self._search_by_date if by_date else self._fast_search
                    hits, total, facets = run(view, parsed, filters, limit, page, details, budget)
        return SearchPage(query=text, total=total, page=page, pages=max(1, math.ceil(total / limit)),
                          limit=limit, hits=hits, facets=facets, partial=budget.partial)

    @staticmethod
    def _is_heavy(view: IndexView, parsed: ParsedQuery, filters: Filters, by_date: bool) -> bool:
        """More than ``HEAVY_TERMS`` terms to rank by relevance, or quoted phrases still to be
        checked in more than ``HEAVY_PHRASE_DOCS`` texts."""
        if not by_date and len(query_terms(parsed)) > HEAVY_TERMS:
            return True
        if not parsed.has_phrase_to_check():
            return False
        return view.pending_phrase_checks(parsed.phrases, filters) > HEAVY_PHRASE_DOCS

    @contextlib.contextmanager
    def _turn(self) -> Iterator[Callable[[], None]]:
        """A search's turn among ordinary ones: waits until fewer than
        ``ORDINARY_SEARCHES_AT_ONCE`` others hold one. Yields ``leave``, which gives the turn up
        early (a query found heavy, which then waits for a heavy slot instead)."""
        self._turns.acquire()
        held = [True]

        def leave() -> None:
            if held[0]:
                held[0] = False
                self._turns.release()

        try:
            yield leave
        finally:
            leave()

    @contextlib.contextmanager
    def _admitted(self, heavy: bool, budget: Budget) -> Iterator[None]:
        """A heavy query holds a slot (waiting at most its budget) and gives way to ordinary
        searches; an ordinary one is counted while it runs."""
        if heavy:
            with self.admission.hold(budget.left()):
                budget.give_way = lambda: self._ordinary > 0
                yield
            return
        with self._counting:
            self._ordinary += 1
        try:
            yield
        finally:
            with self._counting:
                self._ordinary -= 1

    def _search_by_date(self, view: IndexView, parsed: ParsedQuery, filters: Filters, limit: int,
                        page: int, details: bool, budget: Budget) -> tuple[list[Hit], int, dict]:
        """Newest first (listing, and searches sorted by date), as the backend lists them.

        A document matches as it does in a ranked search: every quoted phrase, else any of
        the words (or every document when there is no word), none of the excluded words,
        and the filters.
        """
        listed = self._listed_once_per_group(view, ListRequest(
            terms=scoring_terms(parsed), phrases=parsed.phrases, excluded=parsed.excluded, filters=filters,
            start=(page - 1) * limit, count=limit, facets=details, stop=budget.over))
        marked_terms = _marked_terms(parsed) if parsed.words or parsed.phrases else []
        page = [(0.0, ref, view.document(ref)) for ref in listed.refs]
        hits = _hits(view, page, marked_terms if details else [], True, budget)  # openings without details
        return hits, listed.total, listed.facets

    def _fast_search(self, view: IndexView, parsed: ParsedQuery, filters: Filters, limit: int,
                     page: int, details: bool, budget: Budget) -> tuple[list[Hit], int, dict]:
        """A query by relevance: the backend's best documents, a second look at the best of
        them (:mod:`rerank`), snippets.

        Past the budget, the backend leaves out what it may (see :class:`backend.RankedRequest`),
        and the second look and snippets are left out.
        """
        wanted = page * limit
        canonical = self.catalog.canonical_of()
        # reposts past the first of their group drop out below: fetch as many more as there are
        depth = max(wanted, rerank.RERANK_DEPTH) + len(canonical) - len(set(canonical.values()))
        ranked = view.ranked(RankedRequest(terms=query_terms(parsed), count=depth,
                                           pairs=adjacent_pairs(parsed.words), phrases=parsed.phrases,
                                           excluded=parsed.excluded, filters=filters, facets=details,
                                           stop=budget.over, groups=canonical))
        ordered = list(zip(ranked.scores, ranked.refs))
        # the second look reads the best texts; a page's snippets read the others they need
        folded = {ref: view.folded_body(ref) for _, ref in ordered[:rerank.RERANK_DEPTH]}
        if parsed.words:
            weights = rerank.query_weights(parsed.words, lambda piece: view.idf("bigrams", piece))
            head = _rerank_within([(sc, folded[ref], ref) for sc, ref in ordered[:rerank.RERANK_DEPTH]],
                                  weights, rerank.question_pieces(parsed.runs), budget)
            if head is not None:
                ordered = head + ordered[rerank.RERANK_DEPTH:]
        named = places.provinces_named(parsed.words)
        if named:
            ordered = _placed(view, ordered[:depth], named) + ordered[depth:]
        if canonical:  # one hit a group (the backend's total counts groups)
            kept = _first_of_groups(view.policy_ids([ref for _, ref in ordered]), canonical)
            ordered = [ordered[i] for i in kept]
        # the stored fields of the page's documents only (the rest were needed only folded)
        page = [(round(score, 4), ref, view.document(ref)) for score, ref in ordered[wanted - limit:wanted]]
        hits = _hits(view, page, _marked_terms(parsed), details, budget, folded)
        return hits, ranked.total, ranked.facets

    def _listed_once_per_group(self, view: IndexView, request: ListRequest) -> RankedResult:
        """``view.listed(request)`` with each group of reposts (:mod:`policy_search.duplicates`)
        listed once, by its first member in the order, and ``total`` counting groups."""
        return view.listed(dataclasses.replace(request, groups=self.catalog.canonical_of()))

    def first_seen(self, text: str = "", *, limit: int = MAX_FIRST_SEEN, **filters) -> SeenPage:
        """What is new: the policies a search matches, the latest to enter the catalog first (not
        by relevance, nor by their own dates), at most ``limit``.

        ``text`` matches as in a search sorted by date; ``filters`` are :meth:`search`'s (level,
        region, applies_to, topic, industry, in_force ...: whatever :class:`Filters` holds). Each
        entry's hit has the opening of its text as snippet; the page says which index generation
        it read.
        """
        if not 1 <= limit <= MAX_FIRST_SEEN:
            raise QueryError(f"limit must be between 1 and {MAX_FIRST_SEEN}")
        with self._turn() as leave:
            parsed = parse_user_query(text)
            wanted = Filters(**filters)
            build_filter(wanted)  # an unknown level or region is refused before the index is read
            budget = Budget(self.budget_s)
            with self.backend.reading() as view:
                heavy = self._is_heavy(view, parsed, wanted, True)
                if heavy:
                    leave()
                with self._admitted(heavy, budget):
                    listed = view.listed(ListRequest(terms=scoring_terms(parsed), phrases=parsed.phrases,
                                                     excluded=parsed.excluded, filters=wanted, facets=False,
                                                     stop=budget.over))
                    matching = dict(zip(view.policy_ids(listed.refs), listed.refs))
                    chosen = pick_newest(matching, self.catalog.newest_first_seen(), limit)
                    entries = [SeenHit(_opening_hit(view.document(ref)), first, updated)
                               for ref, first, updated in chosen]
                generation = view.generation
            last_change = self.catalog.last_change()
        return SeenPage(entries=entries, total=listed.total, generation=generation, last_change=last_change,
                        partial=budget.partial)

    def generation(self) -> int:
        """The index generation searches read now (a new commit is seen here first)."""
        with self.backend.reading() as view:
            return view.generation

    def match(self, region: str, *, industry: str | None = None, topic: str | None = None,
              in_force: bool = False, type: str | None = "policy") -> MatchResult:
        """The one-click lookup: what applies to an enterprise in a region, by level, in force first.
        Policies only, unless ``type`` names another type of document (None: every type)."""
        from policy_search.text import divisions
        division = divisions.resolve(region)
        filters = Filters(applies_to=division.code, industry=industry, topic=topic, in_force=in_force,
                          type=type)
        build_filter(filters)  # an unknown type is refused
        with self.backend.reading() as view:
            listed = view.listed(ListRequest(filters=filters, facets=False))
            hits = []
            for ref in listed.refs:
                fields = view.document(ref, keep=False)
                hits.append(_hit_from_stored(fields, 0.0, snippets.opening(fields.get("body", ""), 80), []))
        status_order = {"in_force": 0, "unknown": 1, "expired": 2}
        groups: dict[str, list[Hit]] = {}
        for level in (*LEVELS, UNRATED):
            in_level = [h for h in hits if (h.level or UNRATED) == level]
            in_level.sort(key=lambda h: status_order[h.status])  # stable: newest first within a status
            if in_level:
                groups[level] = in_level[:MATCH_LIMIT_PER_LEVEL]
        return MatchResult(region=divisions.region_of(division).to_dict(), industry=industry,
                           topic=topic, total=len(hits), groups=groups)

    def get(self, policy_id: str, links: bool = False) -> PolicyView:
        """A policy by id, following aliases; removed policies are returned, marked removed.
        ``links``: with the policies it interprets and its interpretations (see :meth:`links_of`)."""
        current = self.catalog.resolve_alias(policy_id) or policy_id
        policy = self.catalog.get_policy(current)
        if policy is None:
            raise PolicyNotFoundError(f"no policy with id {policy_id!r}",
                                      hint="run 'policy-search list' to see the ids")
        status = self.catalog.policy_status(current)
        view = PolicyView(policy=policy, removed=status["status"] == "removed",
                          replaced_by=status["replaced_by"], requested_id=policy_id)
        if links:
            view.interprets, view.interpretations = self.links_of(policy)
        view.duplicates, view.duplicate_of = self.duplicates_of(policy.id)
        return view

    def duplicates_of(self, policy_id: str) -> tuple[list[dict], dict | None]:
        """The reposts of a canonical policy, or the canonical policy a repost repeats, as
        ``{id, title, url}`` (see :mod:`policy_search.duplicates`)."""
        group = self.catalog.duplicate_group_of(policy_id)
        if not group:
            return [], None

        def link(pid: str) -> dict:
            other = self.catalog.get_policy(pid)
            return {"id": pid, "title": other.title if other else "", "url": other.url if other else None}

        head = group[0][0]
        if head == policy_id:
            return [link(pid) for pid, _ in group[1:]], None
        return [], link(head)

    def duplicate_groups(self) -> list[dict]:
        """Every group of reposts: the canonical policy first, each member with its title and
        its similarity to the canonical one."""
        groups = []
        for head, members in self.catalog.duplicate_groups().items():
            listed = []
            for pid, similarity in members:
                policy = self.catalog.get_policy(pid)
                listed.append({"id": pid, "title": policy.title if policy else "",
                               "doc_number": policy.doc_number if policy else None,
                               "url": policy.url if policy else None, "similarity": similarity})
            groups.append({"canonical": head, "members": listed})
        groups.sort(key=lambda g: (-len(g["members"]), g["canonical"]))
        return groups

    def links_of(self, policy: Policy) -> tuple[list[dict], list[dict]]:
        """The policies an interpretation explains, and the interpretations of a policy, as
        ``{id, title}`` (see :mod:`interpretations`); looked up in the index as it is now."""
        if policy.type == "interpretation":
            numbers, keys = cited_by(policy.title, policy.text)
            terms = [("doc_number", n, 1.0) for n in numbers] + [("title_keys", k, 1.0) for k in keys]
            return self._linked(policy, terms, "policy"), []
        if policy.type == "policy":
            cited = ([doc_number_key(policy.doc_number)] if policy.doc_number else []) + known_as(policy.title, policy.text)
            return [], self._linked(policy, [("cites", c, 1.0) for c in cited], "interpretation")
        return [], []

    def _linked(self, policy: Policy, terms: list[tuple[str, str, float]], doc_type: str) -> list[dict]:
        if not terms:
            return []
        with self.backend.reading() as view:
            found = view.listed(ListRequest(terms=terms, filters=Filters(type=doc_type), count=LINKS_SHOWN,
                                            facets=False))
            documents = [view.document(ref, keep=False) for ref in found.refs]
        here = policy.region.code or ("national" if policy.level == "central" else "")
        return [{"id": d["id"], "title": d.get("title", "")} for d in documents
                if d["id"] != policy.id and regions_agree(here, _region_code(d))]

    def related(self, policy: Policy, limit: int = 5) -> list[Hit]:
        """Policies near one policy: those whose 文号 it cites first, then those sharing its topics."""
        from policy_search.text.docnumber import find_doc_numbers
        own = doc_number_key(policy.doc_number or "")
        cited = [key for key in dict.fromkeys(map(doc_number_key, find_doc_numbers(policy.text))) if key != own]
        with self.backend.reading() as view:
            found = view.related(cited, list(policy.topics), policy.id, limit, RELATED_CITED_BOOST)
        return [_hit_from_stored(fields, 0.0, snippets.opening(fields.get("body", ""), 80), [])
                for fields in found]

    def warm(self) -> dict:
        """Read ahead what searches will read, for a server about to answer (the backend's
        ``warm``, when it has one); returns what was read."""
        with self.backend.reading() as view:
            warm = getattr(view, "warm", None)
            return warm() if warm is not None else {}

    def is_indexed(self, policy_id: str) -> bool:
        """True when the index (as last committed) holds the policy."""
        with self.backend.reading() as view:
            return view.has_id(policy_id)

    def indexed_ids(self) -> set[str]:
        """Every policy id the index (as last committed) holds."""
        return self.backend.indexed_ids()

    def saved_search(self, search_id: str) -> dict:
        """The parameters of a saved search (the short link on a poster)."""
        params = self.catalog.saved_search(search_id)
        if params is None:
            raise SavedSearchNotFoundError(f"no saved search with id {search_id!r}",
                                           hint="create one with: policy-search qr --search WORDS -o FILE")
        return params

    def list_policies(self, include_removed: bool = False) -> list[Policy]:
        """Every policy in the catalog, ordered by id."""
        return list(self.catalog.iter_policies(include_removed=include_removed))

    def stats(self) -> dict:
        """Counts of policies, formats, levels, topics, regions and index documents."""
        data = self.catalog.counts()
        with self.backend.reading() as view:
            data["indexed"] = view.doc_count()
        return data


def _opening_hit(fields: dict) -> Hit:
    """A document's stored fields as a hit whose snippet is the opening of its text."""
    return _hit_from_stored(fields, 0.0, snippets.opening(fields.get("body", "")), [])


def _hits(view: IndexView, page: list[tuple[float, int, dict]], marked_terms: list[str],
          details: bool, budget: Budget, folded: dict[int, str] | None = None) -> list[Hit]:
    """The hits of a page of (score, ref, stored fields): with the passages where the marked
    terms stand densest (``details``, while the budget lasts), else the texts' openings
    (``details``) or no snippet. ``folded`` holds folded bodies already at hand."""
    bodies = [fields.get("body", "") for _, _, fields in page]
    if details and marked_terms and not budget.over():
        folded = folded or {}
        known = [folded.get(ref) or view.folded_body(ref, body) for (_, ref, _), body in zip(page, bodies)]
        passages = snippets.best_passages(bodies, marked_terms, folded=known)
    elif details:
        passages = [(snippets.opening(body), []) for body in bodies]
    else:
        passages = [("", [])] * len(page)
    return [_hit_from_stored(fields, score, snippet, marks)
            for (score, _, fields), (snippet, marks) in zip(page, passages)]


def _first_of_groups(ids: list[str], canonical: dict[str, str]) -> list[int]:
    """Positions of the ids that stand for their group of reposts: the first of each group
    (an id in no group stands for itself).

    >>> _first_of_groups(["b", "x", "a", "c"], {"a": "a", "b": "a", "c": "a"})
    [0, 1]
    """
    seen: set[str] = set()
    kept = []
    for n, pid in enumerate(ids):
        key = canonical.get(pid, pid)
        if key not in seen:
            seen.add(key)
            kept.append(n)
    return kept


def _marked_terms(parsed: ParsedQuery) -> list[str]:
    """What a snippet marks: the words, their synonyms and the quoted phrases."""
    marked = parsed.all_words() + [s for w in parsed.words for s in synonyms(w)]
    return marked + ["".join(p) for p in parsed.phrases if len(p) > 1]


def _rerank_within(scored: list[tuple[float, str, object]], weights: dict[str, float], pieces: set[str],
                   budget: Budget) -> list[tuple[float, object]] | None:
    """:func:`rerank.rerank` while the budget lasts (asked before each text); None when it ran out."""
    return rerank.rerank(scored, weights, pieces, stop=budget.over)


def load_query_tables() -> None:
    """Load what parsing a query needs and every process reads alike: the segmenter's
    dictionary (about 50 MB), the stop words and the synonyms.

    A server forking several processes calls this before the fork, so that they share one
    copy of these pages (nothing writes to them afterwards) instead of loading one each.
    Holds no open file or thread: safe to fork after.
    """
    segmenter()
    stop_words()
    synonym_table()


def open_service(data_dir: str | Path | None = None) -> SearchService:
    """Open the search service of a data directory (default: $POLICY_SEARCH_DATA_DIR or ./var)."""
    return SearchService(resolve_data_dir(data_dir))
