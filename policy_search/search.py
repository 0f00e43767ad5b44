"""The search service: one object over a data directory, used by the CLI, the web and benchmarks."""
from __future__ import annotations

import datetime
import json
import math
import re
import threading
from dataclasses import asdict, astuple, dataclass, field
from pathlib import Path

import numpy as np
from whoosh import query as wq
from whoosh import scoring

from . import rerank, snippets
from .catalog import Catalog
from .errors import PolicyNotFoundError, QueryError, SavedSearchNotFoundError
from .facets import facet_counts
from .filters import Filters, build_filter
from .models import LEVELS, Policy, validity_status
from .analysis import synonyms
from .engine import PAIR_GAP, Snapshot, WeightedTerm, top_documents
from .fold import fold
from .query import (COORDINATION, PAIR_WEIGHT, adjacent_pairs, build_query, parse_user_query,
                    scoring_terms)
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

    def to_dict(self) -> dict:
        """The JSON shape of ``search --json``."""
        return {"query": self.query, "total": self.total, "page": self.page,
                "pages": self.pages, "limit": self.limit,
                "hits": [asdict(h) for h in self.hits], "facets": self.facets}


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


class SearchService:
    """Read access to the policies of one data directory."""

    def __init__(self, data_dir: Path):
        self.paths = DataPaths(Path(data_dir))
        self.index = open_index(self.paths.index_dir, self.paths.root)
        self.catalog = Catalog(self.paths.catalog_file)
        self._lock = threading.Lock()
        self._searcher = self.index.searcher(weighting=ranking_weighting())
        self._arrays: Snapshot | None = None

    def close(self) -> None:
        """Release the searcher and the catalog."""
        self._searcher.close()
        self.catalog.close()

    def __enter__(self) -> "SearchService":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _current_searcher(self):
        """The searcher, reopened when a writer has committed since.

        Whoosh's ``refresh()`` keeps the readers of unchanged segment ids together with
        their old deletions, so removed and replaced policies would stay findable.
        """
        if not self._searcher.up_to_date():
            old = self._searcher
            self._searcher = self.index.searcher(weighting=ranking_weighting())
            old.close()
        return self._searcher

    def search(self, text: str, *, level: str | None = None, region: str | None = None,
               applies_to: str | None = None, topic: str | None = None,
               industry: str | None = None, in_force: bool = False, limit: int = 10,
               page: int = 1, sort: str = "relevance", details: bool = True) -> SearchPage:
        """Search policies; filters narrow, ``sort`` is 'relevance' or 'date'.

        ``details=False`` leaves out snippets and facet counts (ranking only, for evaluation).
        """
        _check_paging(limit, page, sort)
        parsed = parse_user_query(text)
        filters = Filters(level=level, region=region, applies_to=applies_to, topic=topic,
                          industry=industry, in_force=in_force)
        filter_query = build_filter(filters)
        if sort == "date" or parsed.is_empty:
            hits, total, facets = self._search_by_date(parsed, filters, filter_query, limit, page, details)
        else:
            hits, total, facets = self._fast_search(parsed, filters, filter_query, limit, page, details)
        return SearchPage(query=text, total=total, page=page, pages=max(1, math.ceil(total / limit)),
                          limit=limit, hits=hits, facets=facets)

    def _search_by_date(self, parsed, filters: Filters, filter_query, limit: int, page: int,
                        details: bool) -> tuple[list[Hit], int, dict]:
        """Newest first, through Whoosh (listing, and searches the visitor sorted by date)."""
        wanted = page * limit
        with self._lock:
            searcher = self._current_searcher()
            whoosh_query = build_query(parsed)
            results = searcher.search(whoosh_query, limit=wanted, filter=filter_query,
                                      sortedby="written_date", reverse=True, terms=details)
            snippets.configure(results)
            words = parsed.all_words()
            hits = [self._hit(hit, None, words, with_snippet=details) for hit in results[wanted - limit:wanted]]
            facets = {}
            if details:
                arrays = self._snapshot(searcher)
                matched = arrays.query_mask(("query", repr(whoosh_query)), whoosh_query)
                if filter_query is not None:
                    matched = matched & self._filter_mask(arrays, filters, filter_query)
                facets = facet_counts(arrays, matched)
            return hits, len(results), facets

    @staticmethod
    def _filter_mask(arrays: Snapshot, filters: Filters, filter_query) -> np.ndarray:
        """The documents the filters let through (cached per day: "in force" depends on it)."""
        return arrays.query_mask((astuple(filters), datetime.date.today()), filter_query)

    def _snapshot(self, searcher) -> Snapshot:
        """The arrays of the current index generation (made once per generation)."""
        if self._arrays is None or self._arrays.searcher is not searcher:
            self._arrays = Snapshot(searcher, [*TEXT_FIELDS, "bigrams"], BM25_K1)
        return self._arrays

    def _fast_search(self, parsed, filters: Filters, filter_query, limit: int, page: int,
                     details: bool) -> tuple[list[Hit], int, dict]:
        """A query by relevance, scored with arrays (see :mod:`engine`); quoted phrases are masks."""
        wanted = page * limit
        with self._lock:
            searcher = self._current_searcher()
            arrays = self._snapshot(searcher)
            terms = [WeightedTerm(*t) for t in scoring_terms(parsed)]
            terms += [WeightedTerm(f, w, b) for p in parsed.phrases for w in p for f, b in TEXT_FIELDS.items()]
            pairs = adjacent_pairs(parsed.words)
            raw, matched = arrays.raw_scores(terms)
            mask = None
            if filter_query is not None:
                mask = self._filter_mask(arrays, filters, filter_query)
            for phrase in parsed.phrases:
                holding = self._phrase_mask(arrays, phrase)
                mask = holding if mask is None else mask & holding
            leaves = arrays.present(terms) + 2 * arrays.present_pairs("body", pairs)
            if pairs:
                first_pass = arrays.coordinated(raw, matched, leaves, COORDINATION)
                near, _ = top_documents(first_pass, mask, PAIR_DEPTH)
                texts = {int(d): arrays.folded_body(int(d), arrays.stored(int(d)).get("body", "")) for d in near}
                arrays.add_adjacent_pairs(raw, matched, "body", pairs, texts, PAIR_WEIGHT)
            scores = arrays.coordinated(raw, matched, leaves, COORDINATION)
            for word in parsed.excluded:
                for name in TEXT_FIELDS:
                    scores[arrays.term_mask(name, word)] = 0.0
            docs, total = top_documents(scores, mask, max(wanted, rerank.RERANK_DEPTH))
            ordered = [(float(scores[d]), int(d), arrays.stored(int(d))) for d in docs]
            folded = {d: arrays.folded_body(d, f.get("body", "")) for _, d, f in ordered[:max(wanted, rerank.RERANK_DEPTH)]}
            if parsed.words:
                weights = rerank.query_weights(parsed.words, lambda piece: arrays.idf("bigrams", piece))
                head = rerank.rerank([(sc, folded[d], (d, f)) for sc, d, f in ordered[:rerank.RERANK_DEPTH]],
                                     weights)
                ordered = [(sc, d, f) for sc, (d, f) in head] + ordered[rerank.RERANK_DEPTH:]
            facets = {}
            if details:
                matched = scores > 0
                if mask is not None:
                    matched &= mask
                facets = facet_counts(arrays, matched)
        marked_terms = parsed.all_words() + [s for w in parsed.words for s in synonyms(w)]
        marked_terms += ["".join(p) for p in parsed.phrases if len(p) > 1]
        hits = []
        for score, docnum, fields in ordered[wanted - limit:wanted]:
            if details:
                snippet, marks = snippets.best_passage(fields.get("body", ""), marked_terms,
                                                       folded=folded.get(docnum))
            else:
                snippet, marks = "", []
            hits.append(_hit_from_stored(fields, round(score, 4), snippet, marks))
        return hits, total, facets

    @staticmethod
    def _phrase_mask(arrays: Snapshot, words: list[str]) -> np.ndarray:
        """Documents where a quoted phrase stands, its words side by side, in the title or body."""
        having = None
        for word in words:
            in_any = np.zeros(arrays.doc_count, bool)
            for name in TEXT_FIELDS:
                in_any |= arrays.term_mask(name, word)
            having = in_any if having is None else having & in_any
        having &= arrays.live
        if len(words) == 1:
            return having
        together = re.compile(PAIR_GAP.join(map(re.escape, words)))
        for docnum in np.flatnonzero(having).tolist():
            fields = arrays.stored(docnum)
            text = fold(fields.get("title", "")) + "\n" + arrays.folded_body(docnum, fields.get("body", ""))
            if not together.search(text):
                having[docnum] = False
        return having

    @staticmethod
    def _hit(hit, score: float | None, words: list[str], with_snippet: bool = True) -> Hit:
        stored = hit.fields()
        body = stored.get("body", "")
        marked = ""
        if with_snippet and words and hit.results.has_matched_terms():
            marked = hit.highlights("body", text=snippets.passage_window(body, words), top=2)
        if marked:
            snippet, marks = snippets.split_marks(marked)
        else:
            snippet, marks = snippets.opening(body), []
        score = round(float(score or 0.0), 4) if score is not None else 0.0
        return _hit_from_stored(stored, score, snippet, marks)

    def match(self, region: str, *, industry: str | None = None, topic: str | None = None,
              in_force: bool = False) -> MatchResult:
        """The one-click lookup: what applies to an enterprise in a region, by level, in force first."""
        from . import divisions
        division = divisions.resolve(region)
        filters = Filters(applies_to=division.code, industry=industry, topic=topic, in_force=in_force)
        with self._lock:
            searcher = self._current_searcher()
            results = searcher.search(wq.Every(), filter=build_filter(filters), limit=None,
                                      sortedby="written_date", reverse=True)
            hits = [_hit_from_stored(hit.fields(), 0.0, snippets.opening(hit.get("body", ""), 80), [])
                    for hit in results]
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
        with self._lock:
            results = self._current_searcher().search(query, limit=limit)
            return [_hit_from_stored(hit.fields(), 0.0, snippets.opening(hit.get("body", ""), 80), [])
                    for hit in results]

    def is_indexed(self, policy_id: str) -> bool:
        """True when the index (as last committed) holds the policy."""
        with self._lock:
            return self._current_searcher().document_number(id=policy_id) is not None

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
        with self._lock:
            data["indexed"] = self._current_searcher().doc_count()
        return data


def open_service(data_dir: str | Path | None = None) -> SearchService:
    """Open the search service of a data directory (default: $POLICY_SEARCH_DATA_DIR or ./var)."""
    return SearchService(resolve_data_dir(data_dir))
