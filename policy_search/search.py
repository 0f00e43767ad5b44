"""The search service: one object over a data directory, used by the CLI, the web and benchmarks."""
from __future__ import annotations

import json
import math
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path

from whoosh import query as wq

from . import snippets
from .catalog import Catalog
from .errors import PolicyNotFoundError, QueryError
from .models import LEVELS, Policy
from .query import build_query, parse_user_query
from .settings import DataPaths, resolve_data_dir
from .store import open_index

MAX_LIMIT = 100
MAX_PAGE = 1000
SORTS = ("relevance", "date")


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
    score: float
    snippet: str
    highlights: list[list[int]] = field(default_factory=list)


@dataclass
class SearchPage:
    """One page of results."""

    query: str
    total: int
    page: int
    pages: int
    limit: int
    hits: list[Hit]

    def to_dict(self) -> dict:
        """The JSON shape of ``search --json``."""
        return {"query": self.query, "total": self.total, "page": self.page,
                "pages": self.pages, "limit": self.limit,
                "hits": [asdict(h) for h in self.hits]}


@dataclass
class PolicyView:
    """A policy as shown: the record plus whether it is still in force in the catalog."""

    policy: Policy
    status: str
    replaced_by: str | None
    requested_id: str

    def to_dict(self) -> dict:
        data = self.policy.to_dict()
        data["status"] = self.status
        data["replaced_by"] = self.replaced_by
        return data


def _split_list(value: str) -> list[str]:
    return [v for v in (value or "").split(",") if v]


def _filter_query(level, region, topic, industry) -> wq.Query | None:
    terms = []
    if level:
        if level not in LEVELS:
            raise QueryError(f"unknown level {level!r}", hint=f"use one of: {', '.join(LEVELS)}")
        terms.append(wq.Term("level", level))
    if region:
        terms.append(wq.Term("region_keys", region))
    if topic:
        terms.append(wq.Term("topics", topic))
    if industry:
        terms.append(wq.Term("industries", industry))
    return wq.And(terms) if terms else None


class SearchService:
    """Read access to the policies of one data directory."""

    def __init__(self, data_dir: Path):
        self.paths = DataPaths(Path(data_dir))
        self.index = open_index(self.paths.index_dir, self.paths.root)
        self.catalog = Catalog(self.paths.catalog_file)
        self._lock = threading.Lock()
        self._searcher = self.index.searcher()

    def close(self) -> None:
        """Release the searcher and the catalog."""
        self._searcher.close()
        self.catalog.close()

    def __enter__(self) -> "SearchService":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _current_searcher(self):
        """The searcher, refreshed when a writer has committed since."""
        self._searcher = self._searcher.refresh()
        return self._searcher

    def search(self, text: str, *, level: str | None = None, region: str | None = None,
               topic: str | None = None, industry: str | None = None, limit: int = 10,
               page: int = 1, sort: str = "relevance") -> SearchPage:
        """Search policies; filters narrow, ``sort`` is 'relevance' or 'date'."""
        if not 1 <= limit <= MAX_LIMIT:
            raise QueryError(f"limit must be between 1 and {MAX_LIMIT}")
        if not 1 <= page <= MAX_PAGE:
            raise QueryError(f"page must be between 1 and {MAX_PAGE}")
        if sort not in SORTS:
            raise QueryError(f"unknown sort {sort!r}", hint="use 'relevance' or 'date'")
        parsed = parse_user_query(text)
        whoosh_query = build_query(parsed)
        filter_query = _filter_query(level, region, topic, industry)
        sort_by_date = sort == "date" or parsed.is_empty
        with self._lock:
            searcher = self._current_searcher()
            results = searcher.search_page(
                whoosh_query, page, pagelen=limit, filter=filter_query,
                sortedby="written_date" if sort_by_date else None, reverse=sort_by_date,
                terms=True)
            snippets.configure(results.results)
            hits = [self._hit(hit, scored=not sort_by_date) for hit in results]
            total = results.total
        pages = max(1, math.ceil(total / limit))
        return SearchPage(query=text, total=total, page=page, pages=pages, limit=limit, hits=hits)

    @staticmethod
    def _hit(hit, scored: bool) -> Hit:
        stored = hit.fields()
        marked = hit.highlights("body", top=2) if hit.results.has_matched_terms() else ""
        if marked:
            snippet, marks = snippets.split_marks(marked)
        else:
            snippet, marks = snippets.opening(stored.get("body", "")), []
        return Hit(
            id=stored["id"], title=stored.get("title", ""),
            doc_number=stored.get("doc_number") or None, issuer=stored.get("issuer") or None,
            level=stored.get("level") or None, region=json.loads(stored.get("region") or "{}"),
            topics=_split_list(stored.get("topics")), industries=_split_list(stored.get("industries")),
            written_date=stored.get("written_date") or None,
            publish_date=stored.get("publish_date") or None,
            score=round(float(hit.score or 0.0), 4) if scored else 0.0, snippet=snippet, highlights=marks)

    def get(self, policy_id: str) -> PolicyView:
        """A policy by id, following aliases; removed policies are returned with their status."""
        current = self.catalog.resolve_alias(policy_id) or policy_id
        policy = self.catalog.get_policy(current)
        if policy is None:
            raise PolicyNotFoundError(f"no policy with id {policy_id!r}",
                                      hint="run 'policy-search list' to see the ids")
        status = self.catalog.policy_status(current)
        return PolicyView(policy=policy, status=status["status"],
                          replaced_by=status["replaced_by"], requested_id=policy_id)

    def list_policies(self, include_removed: bool = False) -> list[Policy]:
        """Every policy in the catalog, ordered by id."""
        return list(self.catalog.iter_policies(include_removed=include_removed))

    def stats(self) -> dict:
        """Counts of policies, formats, levels and index documents."""
        data = self.catalog.counts()
        with self._lock:
            data["indexed"] = self._current_searcher().doc_count()
        return data


def open_service(data_dir: str | Path | None = None) -> SearchService:
    """Open the search service of a data directory (default: $POLICY_SEARCH_DATA_DIR or ./var)."""
    return SearchService(resolve_data_dir(data_dir))
