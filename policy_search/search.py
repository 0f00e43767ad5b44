"""The search service: one object over a data directory, used by the CLI, the web and benchmarks.

Many threads search at once (the web server's). What one search costs is bounded:
the query caps of :mod:`query`, a time budget (``QUERY_BUDGET_S``) checked between
stages, and at most ``HEAVY_QUERIES_AT_ONCE`` heavy queries running together. No
lock is held while a search scores: the service's lock only reopens the index and
makes a generation's arrays, and each call into Whoosh holds that generation's
``reading`` lock for the one call (see :mod:`engine`).
"""
from __future__ import annotations

import contextlib
import datetime
import json
import math
import re
import threading
import time
from dataclasses import asdict, astuple, dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
from whoosh import query as wq
from whoosh import scoring

from . import rerank, snippets
from .catalog import Catalog
from .errors import PolicyNotFoundError, QueryError, SavedSearchNotFoundError, ServiceBusyError
from .facets import facet_counts
from .filters import Filters, build_filter
from .models import LEVELS, Policy, validity_status
from .analysis import synonyms
from .engine import PAIR_GAP, Snapshot, WeightedTerm, top_documents
from .query import (COORDINATION, PAIR_WEIGHT, ParsedQuery, adjacent_pairs, parse_user_query,
                    query_terms, scoring_terms)
from .schema import TEXT_FIELDS
from .settings import DataPaths, resolve_data_dir
from .store import open_index

#: BM25 term-frequency saturation; lower than Whoosh's 1.2 measured better on real questions.
BM25_K1 = 0.8
MAX_LIMIT = 100
#: How many of the best documents are checked for query words standing side by side.
PAIR_DEPTH = 30
MAX_PAGE = 1000
SORTS = ("relevance", "date")
#: The one-click lookup lists at most this many policies per level.
MATCH_LIMIT_PER_LEVEL = 200
#: Group of the one-click lookup for policies whose level could not be told.
UNRATED = "unrated"
#: A cited 文号 counts this many shared topics when choosing related policies.
RELATED_CITED_BOOST = 5.0
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

    def to_dict(self) -> dict:
        """The JSON shape of ``search --json`` (``"partial": true`` only on a partial answer)."""
        data = {"query": self.query, "total": self.total, "page": self.page,
                "pages": self.pages, "limit": self.limit,
                "hits": [asdict(h) for h in self.hits], "facets": self.facets}
        if self.partial:
            data["partial"] = True
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
                "groups": {level: [asdict(h) for h in hits] for level, hits in self.groups.items()}}


@dataclass
class PolicyView:
    """A policy as shown: the record plus whether it was removed from search."""

    policy: Policy
    removed: bool
    replaced_by: str | None
    requested_id: str

    def to_dict(self) -> dict:
        """The JSON shape of ``show --json``."""
        data = self.policy.to_dict()
        data["removed"] = self.removed
        data["replaced_by"] = self.replaced_by
        return data


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
        snippet_html=snippets.marked_html(snippet, marks))


def ranking_weighting() -> scoring.BM25F:
    """BM25F as the service ranks with it."""
    return scoring.BM25F(K1=BM25_K1)


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


class _Generation:
    """One opened state of the index: its searcher, its arrays (made on first need), its readers.

    ``reading`` is held around each call into the searcher. A generation replaced by a
    newer one is closed once its last reader is done with it.
    """

    def __init__(self, searcher):
        self.searcher = searcher
        self.reading = threading.RLock()
        self.arrays: Snapshot | None = None
        self.users = 0
        self.retired = False


class SearchService:
    """Read access to the policies of one data directory, safe to share between threads.

    ``budget_s`` and ``heavy_slots`` default to ``QUERY_BUDGET_S`` and ``HEAVY_QUERIES_AT_ONCE``.
    """

    def __init__(self, data_dir: Path, *, budget_s: float = QUERY_BUDGET_S,
                 heavy_slots: int = HEAVY_QUERIES_AT_ONCE):
        self.paths = DataPaths(Path(data_dir))
        self.index = open_index(self.paths.index_dir, self.paths.root)
        self.catalog = Catalog(self.paths.catalog_file)
        self.budget_s = budget_s
        self.admission = Admission(heavy_slots)
        self._ordinary = 0  # ordinary searches running now (heavy ones give way to them)
        self._counting = threading.Lock()
        self._lock = threading.Lock()  # reopening the index, making a generation's arrays
        self._leases = threading.Lock()  # the reader counts of the generations, for a moment
        self._generation = _Generation(self.index.searcher(weighting=ranking_weighting()))

    def close(self) -> None:
        """Release the searcher and the catalog."""
        self._generation.searcher.close()
        self.catalog.close()

    def __enter__(self) -> "SearchService":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _current_searcher(self):
        """The searcher of the current generation (see :meth:`_fresh_generation`)."""
        return self._fresh_generation().searcher

    def _fresh_generation(self) -> _Generation:
        """The current generation, replaced first when a writer has committed since.

        Whoosh's ``refresh()`` keeps the readers of unchanged segment ids together with
        their old deletions, so removed and replaced policies would stay findable: a new
        searcher is opened instead. Only a search that finds the index changed takes the lock.
        """
        current = self._generation
        if current.searcher.up_to_date():
            return current
        with self._lock:
            current = self._generation
            if not current.searcher.up_to_date():
                self._generation = _Generation(self.index.searcher(weighting=ranking_weighting()))
                self._release(current, retire=True)
            return self._generation

    @contextlib.contextmanager
    def _reading(self) -> Iterator[_Generation]:
        """The current generation, kept open while the block reads it."""
        while True:
            generation = self._fresh_generation()
            with self._leases:
                if not generation.retired:
                    generation.users += 1
                    break
        try:
            yield generation
        finally:
            self._release(generation)

    def _release(self, generation: _Generation, retire: bool = False) -> None:
        """One reader fewer (or, with ``retire``, the generation replaced); the last one closes it."""
        with self._leases:
            if retire:
                generation.retired = True
            else:
                generation.users -= 1
            done = generation.retired and generation.users == 0
        if done:
            generation.searcher.close()

    def _arrays(self, generation: _Generation) -> Snapshot:
        """The arrays of a generation, made once (under the service lock)."""
        if generation.arrays is None:
            with self._lock:
                if generation.arrays is None:
                    generation.arrays = Snapshot(generation.searcher, [*TEXT_FIELDS, "bigrams"],
                                                 BM25_K1, generation.reading)
        return generation.arrays

    def search(self, text: str, *, level: str | None = None, region: str | None = None,
               applies_to: str | None = None, topic: str | None = None,
               industry: str | None = None, in_force: bool = False, limit: int = 10,
               page: int = 1, sort: str = "relevance", details: bool = True,
               budget_s: float | None = None) -> SearchPage:
        """Search policies; filters narrow, ``sort`` is 'relevance' or 'date'.

        ``details=False`` leaves out snippets and facet counts (ranking only, for evaluation).
        ``budget_s`` replaces the service's time budget for this search. A heavy query that
        cannot start within its budget raises :class:`ServiceBusyError`.
        """
        _check_paging(limit, page, sort)
        parsed = parse_user_query(text)
        filters = Filters(level=level, region=region, applies_to=applies_to, topic=topic,
                          industry=industry, in_force=in_force)
        filter_query = build_filter(filters)
        budget = Budget(self.budget_s if budget_s is None else budget_s)
        by_date = sort == "date" or parsed.is_empty
        with self._reading() as generation:
            arrays = self._arrays(generation)
            within = arrays.live if filter_query is None else self._filter_mask(arrays, filters, filter_query)
            with self._admitted(self._is_heavy(arrays, parsed, within, by_date), budget):
                run = self._search_by_date if by_date else self._fast_search
                hits, total, facets = run(arrays, parsed, within, limit, page, details, budget)
        return SearchPage(query=text, total=total, page=page, pages=max(1, math.ceil(total / limit)),
                          limit=limit, hits=hits, facets=facets, partial=budget.partial)

    def _is_heavy(self, arrays: Snapshot, parsed: ParsedQuery, within: np.ndarray, by_date: bool) -> bool:
        """More than ``HEAVY_TERMS`` terms to rank by relevance, or quoted phrases still to be
        checked in more than ``HEAVY_PHRASE_DOCS`` texts."""
        if not by_date and len(query_terms(parsed)) > HEAVY_TERMS:
            return True
        if not parsed.has_phrase_to_check():
            return False
        candidates, checks = self._phrase_work(arrays, parsed.phrases, within)
        return np.count_nonzero(candidates & _unchecked(checks, arrays.doc_count)) > HEAVY_PHRASE_DOCS

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

    def _search_by_date(self, arrays: Snapshot, parsed: ParsedQuery, within: np.ndarray, limit: int,
                        page: int, details: bool, budget: Budget) -> tuple[list[Hit], int, dict]:
        """Newest first (listing, and searches sorted by date): the matches as a mask, in date order.

        A document matches as in Whoosh's query of :func:`query.build_query`: every quoted
        phrase, else any of the words (or every document when there is no word), none of
        the excluded words, and the filters (``within``).
        """
        wanted = page * limit
        terms = [WeightedTerm(*t) for t in scoring_terms(parsed)]
        matched = within
        if parsed.phrases:
            matched = self._phrases_mask(arrays, parsed.phrases, within, arrays.date_order(), budget)
        elif terms:
            matched = within & arrays.any_of(terms)
        matched = matched & ~self._excluded_mask(arrays, parsed)
        docs = arrays.newest_first(matched)
        marked_terms = _marked_terms(parsed) if parsed.words or parsed.phrases else []
        hits = []
        for docnum in docs[wanted - limit:wanted].tolist():
            fields = arrays.stored(docnum)
            if details and marked_terms and not budget.over():
                snippet, marks = snippets.best_passage(fields.get("body", ""), marked_terms,
                                                       folded=arrays.folded_body(docnum, fields.get("body", "")))
            else:
                snippet, marks = snippets.opening(fields.get("body", "")), []
            hits.append(_hit_from_stored(fields, 0.0, snippet, marks))
        facets = facet_counts(arrays, matched) if details else {}
        return hits, len(docs), facets

    @staticmethod
    def _excluded_mask(arrays: Snapshot, parsed: ParsedQuery) -> np.ndarray:
        """Documents holding an excluded word in any text field."""
        out = np.zeros(arrays.doc_count, bool)
        for word in parsed.excluded:
            for name in TEXT_FIELDS:
                out |= arrays.term_mask(name, word)
        return out

    @staticmethod
    def _filter_mask(arrays: Snapshot, filters: Filters, filter_query) -> np.ndarray:
        """The documents the filters let through (cached per day: "in force" depends on it)."""
        return arrays.query_mask((astuple(filters), datetime.date.today()), filter_query)

    def _fast_search(self, arrays: Snapshot, parsed: ParsedQuery, within: np.ndarray, limit: int,
                     page: int, details: bool, budget: Budget) -> tuple[list[Hit], int, dict]:
        """A query by relevance, scored with arrays (see :mod:`engine`); quoted phrases are masks.

        Past the budget, phrases are checked no further (the best-scored texts first), and
        words side by side, the second look and snippets are left out.
        """
        wanted = page * limit
        terms = [WeightedTerm(*t) for t in query_terms(parsed)]
        pairs = adjacent_pairs(parsed.words)
        raw, matched = arrays.raw_scores(terms)
        mask = within
        if parsed.phrases:
            order = _by_score(raw) if parsed.has_phrase_to_check() else None
            mask = self._phrases_mask(arrays, parsed.phrases, within, order, budget)
        leaves = arrays.present(terms) + 2 * arrays.present_pairs("body", pairs)
        if pairs and not budget.over():
            first_pass = arrays.coordinated(raw, matched, leaves, COORDINATION)
            near, _ = top_documents(first_pass, mask, PAIR_DEPTH)
            texts = {int(d): arrays.folded_body(int(d)) for d in near}
            arrays.add_adjacent_pairs(raw, matched, "body", pairs, texts, PAIR_WEIGHT, stop=budget.over)
        scores = arrays.coordinated(raw, matched, leaves, COORDINATION)
        scores[self._excluded_mask(arrays, parsed)] = 0.0
        depth = max(wanted, rerank.RERANK_DEPTH)
        docs, total = top_documents(scores, mask, depth)
        ordered = [(float(scores[d]), int(d), arrays.stored(int(d))) for d in docs]
        folded = {d: arrays.folded_body(d, f.get("body", "")) for _, d, f in ordered[:depth]}
        if parsed.words:
            weights = rerank.query_weights(parsed.words, lambda piece: arrays.idf("bigrams", piece))
            head = _rerank_within([(sc, folded[d], (d, f)) for sc, d, f in ordered[:rerank.RERANK_DEPTH]],
                                  weights, budget)
            if head is not None:
                ordered = [(sc, d, f) for sc, (d, f) in head] + ordered[rerank.RERANK_DEPTH:]
        facets = facet_counts(arrays, (scores > 0) & mask) if details else {}
        marked_terms = _marked_terms(parsed)
        hits = []
        for score, docnum, fields in ordered[wanted - limit:wanted]:
            snippet, marks = "", []
            if details and not budget.over():
                snippet, marks = snippets.best_passage(fields.get("body", ""), marked_terms,
                                                       folded=folded.get(docnum))
            elif details:
                snippet = snippets.opening(fields.get("body", ""))
            hits.append(_hit_from_stored(fields, round(score, 4), snippet, marks))
        return hits, total, facets

    def _phrases_mask(self, arrays: Snapshot, phrases: list[list[str]], within: np.ndarray,
                      order: np.ndarray | None, budget: Budget) -> np.ndarray:
        """Documents of ``within`` where every quoted phrase stands, its words side by side,
        in the title or body (a phrase of one word: the word in any text field).

        The texts are checked one document at a time, every phrase at once, in ``order``
        (every document number, best first) while the budget lasts; a document left
        unchecked is left out. What was checked is kept for the generation, so a query asked
        again goes on where it stopped. (``order`` matters only for phrases of several words.)
        """
        candidates, checks = self._phrase_work(arrays, phrases, within)
        if not checks:
            return candidates
        todo = candidates & _unchecked(checks, arrays.doc_count)
        for docnum in order[todo[order]].tolist():
            if budget.over():
                break
            text = arrays.folded_title(docnum) + "\n" + arrays.folded_body(docnum)
            for check in checks:
                if not check.checked[docnum]:
                    check.holds[docnum] = check.pattern.search(text) is not None
                    check.checked[docnum] = True  # after holds: a reader seeing it checked sees the answer
        for check in checks:
            candidates &= check.checked & check.holds
        return candidates

    def _phrase_work(self, arrays: Snapshot, phrases: list[list[str]],
                     within: np.ndarray) -> tuple[np.ndarray, list["_PhraseChecks"]]:
        """The documents of ``within`` holding the words of every phrase, and the checks kept
        for the phrases of several words."""
        candidates = within.copy()
        for words in phrases:
            candidates &= self._phrase_candidates(arrays, words)
        return candidates, [_phrase_checks(arrays, words) for words in phrases if len(words) > 1]

    @staticmethod
    def _phrase_candidates(arrays: Snapshot, words: list[str]) -> np.ndarray:
        """Live documents holding every word of a phrase, each in some text field."""
        having = None
        for word in words:
            in_any = np.zeros(arrays.doc_count, bool)
            for name in TEXT_FIELDS:
                in_any |= arrays.term_mask(name, word)
            having = in_any if having is None else having & in_any
        return having & arrays.live

    def match(self, region: str, *, industry: str | None = None, topic: str | None = None,
              in_force: bool = False) -> MatchResult:
        """The one-click lookup: what applies to an enterprise in a region, by level, in force first."""
        from . import divisions
        division = divisions.resolve(region)
        filters = Filters(applies_to=division.code, industry=industry, topic=topic, in_force=in_force)
        with self._reading() as generation:
            arrays = self._arrays(generation)
            docs = arrays.newest_first(self._filter_mask(arrays, filters, build_filter(filters)))
            hits = []
            for docnum in docs.tolist():
                fields = arrays.stored(docnum, keep=False)
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

    def get(self, policy_id: str) -> PolicyView:
        """A policy by id, following aliases; removed policies are returned, marked removed."""
        current = self.catalog.resolve_alias(policy_id) or policy_id
        policy = self.catalog.get_policy(current)
        if policy is None:
            raise PolicyNotFoundError(f"no policy with id {policy_id!r}",
                                      hint="run 'policy-search list' to see the ids")
        status = self.catalog.policy_status(current)
        return PolicyView(policy=policy, removed=status["status"] == "removed",
                          replaced_by=status["replaced_by"], requested_id=policy_id)

    def related(self, policy: Policy, limit: int = 5) -> list[Hit]:
        """Policies near one policy: those whose 文号 it cites first, then those sharing its topics."""
        from .docnumber import find_doc_numbers
        cited = [n for n in find_doc_numbers(policy.text) if n != policy.doc_number]
        wanted = [wq.Term("doc_number", n, boost=RELATED_CITED_BOOST) for n in cited]
        wanted += [wq.Term("topics", t) for t in policy.topics]
        if not wanted:
            return []
        query = wq.AndNot(wq.Or(wanted), wq.Term("id", policy.id))
        with self._reading() as generation, generation.reading:
            results = generation.searcher.search(query, limit=limit)
            return [_hit_from_stored(hit.fields(), 0.0, snippets.opening(hit.get("body", ""), 80), [])
                    for hit in results]

    def is_indexed(self, policy_id: str) -> bool:
        """True when the index (as last committed) holds the policy."""
        with self._reading() as generation, generation.reading:
            return generation.searcher.document_number(id=policy_id) is not None

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
        with self._reading() as generation, generation.reading:
            data["indexed"] = generation.searcher.doc_count()
        return data


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


def _marked_terms(parsed: ParsedQuery) -> list[str]:
    """What a snippet marks: the words, their synonyms and the quoted phrases."""
    marked = parsed.all_words() + [s for w in parsed.words for s in synonyms(w)]
    return marked + ["".join(p) for p in parsed.phrases if len(p) > 1]


def _rerank_within(scored: list[tuple[float, str, object]], weights: dict[str, float],
                   budget: Budget) -> list[tuple[float, object]] | None:
    """:func:`rerank.rerank`, one hit at a time while the budget lasts; None when it ran out."""
    if not scored:
        return []
    bonus = rerank.DENSITY_WEIGHT * max(score for score, _, _ in scored)
    out = []
    for score, text, item in scored:
        if budget.over():
            return None
        out.append((score + bonus * rerank.passage_share(text, weights, folded=text), item))
    out.sort(key=lambda pair: -pair[0])
    return out


def open_service(data_dir: str | Path | None = None) -> SearchService:
    """Open the search service of a data directory (default: $POLICY_SEARCH_DATA_DIR or ./var)."""
    return SearchService(resolve_data_dir(data_dir))
