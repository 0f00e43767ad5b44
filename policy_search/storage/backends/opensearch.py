"""The OpenSearch backend: the same service on a cluster (``POLICY_SEARCH_BACKEND=opensearch``).

The catalog stays the system of record; the cluster holds one index per build behind an
alias (``<prefix>``), and a small ``<prefix>-meta`` index holding the generation. The text
fields arrive already analysed: each is the project's own terms (:func:`schema.count_terms`:
words with their sub-words, or character bigrams), a term repeated as often as it counts,
joined by spaces and cut again by a whitespace analyzer. So OpenSearch never segments Chinese
itself, and BM25's term frequencies and field lengths are the local backend's. What BM25 in
OpenSearch has no equivalent for is done here on what it returns:

* coordination (how many of the query's terms a document matched) from named queries, on
  the best ``RESCORE_DEPTH`` documents;
* the bonus of query words side by side, read off the folded bodies of the best
  ``PAIR_DEPTH`` documents (:func:`engine.side_by_side_in`, as locally); each pair adds its
  words' idf (not their per-document BM25 scores, which the cluster returns only with an
  explain per hit), after coordination rather than before it as locally;
* quoted phrases: the documents holding every word are asked of the cluster, and each is
  checked against the phrase in its folded title and body (at most ``PHRASE_CANDIDATES``).

Differences from the local backend that remain: OpenSearch's idf is Lucene's
(``ln(1 + (N - df + 0.5) / (df + 0.5))``) and its field lengths are kept in its own byte
encoding, so scores differ a little and near ties can change order; the generation is a
counter kept by the writer, not a commit point.
"""
from __future__ import annotations

import contextlib
import datetime
import json
import math
import os
import re
import time
from typing import Iterator

from policy_search.errors import ConfigurationError, IndexMissingError, QueryError
from policy_search.models import ALL_INDUSTRIES, LEVELS
from policy_search.search.engine import PAIR_GAP, side_by_side_in
from policy_search.search.facets import FACET_FIELDS, is_shown
from policy_search.search.filters import Filters
from policy_search.storage.backend import ListRequest, RankedRequest, RankedResult
from policy_search.storage.schema import BODY, STORE_FIELDS, STORE_INPUT, TEXT_FIELDS, VERSION, counted_fields
from policy_search.text import divisions
from policy_search.text.fold import fold

#: The environment variable with the cluster's node URLs (comma-separated).
URL_ENV = "POLICY_SEARCH_OPENSEARCH_URL"
#: The environment variable with the index name (alias) prefix.
PREFIX_ENV = "POLICY_SEARCH_OPENSEARCH_INDEX"
DEFAULT_PREFIX = "policy-search"
#: Primary shards and replicas of a new build (default 1 and 0: one node).
SHARDS_ENV = "POLICY_SEARCH_OPENSEARCH_SHARDS"
REPLICAS_ENV = "POLICY_SEARCH_OPENSEARCH_REPLICAS"
#: BM25 as the local backend weighs it.
BM25_K1, BM25_B = 0.8, 0.75
#: Coordination is applied to this many of OpenSearch's best documents.
RESCORE_DEPTH = 100
#: Query words side by side are looked for in this many of the best texts (as locally).
PAIR_DEPTH = 30
#: What a search returns of each document: the display fields, not the texts (read for the
#: best documents only, with one ``mget``).
LIGHT_SOURCE = {"includes": ["shown"], "excludes": ["shown.body", "shown.folded_body", "shown.folded_title"]}
#: A commit's writes go in bulk requests of at most this many bytes and documents.
BULK_BYTES = 16 * 2**20
BULK_DOCS = 500
#: At most this many documents holding a phrase's words are checked for the phrase itself.
PHRASE_CANDIDATES = 10_000
#: Fields kept for display (returned as the local backend's stored fields are).
DISPLAY_FIELDS = ("id", "title", "doc_number", "issuer", "level", "region", "topics", "industries",
                  "written_date", "publish_date", "valid_until", "format", "url")
#: Exact fields that filters and facets read.
KEYWORD_FIELDS = ("doc_number", "level", "region_keys", "region_code", "region_name", "topics",
                  "industries", "written_date", "publish_date", "valid_until", "format")


def node_urls(value: str | None = None) -> list[str]:
    """The node URLs of ``value`` or ``$POLICY_SEARCH_OPENSEARCH_URL``; a clear error without any."""
    value = value or os.environ.get(URL_ENV, "")
    urls = [u.strip() for u in value.split(",") if u.strip()]
    if not urls:
        raise ConfigurationError("no OpenSearch node given for the opensearch backend",
                                 hint=f"set {URL_ENV}=http://HOST:9200 (comma-separated for several nodes)")
    return urls


def index_body(shards: int = 1, replicas: int = 0) -> dict:
    """Settings and mappings of one build of the index."""
    text = {"type": "text", "analyzer": "terms", "similarity": "policy_bm25", "index_options": "freqs"}
    properties = {name: dict(text) for name in STORE_FIELDS}
    properties.update({name: {"type": "keyword"} for name in KEYWORD_FIELDS})
    properties.update({"id": {"type": "keyword"}, "seq": {"type": "long"},
                       "shown": {"type": "object", "enabled": False}})
    return {"settings": {"number_of_shards": shards, "number_of_replicas": replicas,
                         "similarity": {"policy_bm25": {"type": "BM25", "k1": BM25_K1, "b": BM25_B}},
                         "analysis": {"analyzer": {"terms": {"type": "custom", "tokenizer": "whitespace"}}}},
            "mappings": {"dynamic": "strict", "properties": properties}}


def terms_text(weights: dict[str, float]) -> str:
    """A field's counted terms as the text the whitespace analyzer cuts back into them: each
    term as often as it counts (weights are whole counts: a sub-word counts as a word)."""
    return " ".join(" ".join([term] * max(1, round(weight))) for term, weight in weights.items()
                    if term and not any(ch.isspace() for ch in term))


def document_of(fields: dict, seq: int) -> dict:
    """The cluster's document for fields of :func:`schema.policy_to_fields`."""
    counted = counted_fields(fields.get(STORE_INPUT, {}))
    body = fields.get(BODY, "")
    doc = {name: terms_text(counted[name].weights) if name in counted else "" for name in STORE_FIELDS}
    for name in KEYWORD_FIELDS:
        value = fields.get(name, "")
        doc[name] = [v for v in value.split(",") if v] if name in ("region_keys", "topics", "industries") \
            else value
    doc.update({"id": fields["id"], "seq": seq,
                "shown": {**{k: fields.get(k, "") for k in DISPLAY_FIELDS}, "body": body,
                          "folded_title": fold(fields.get("title", "")), "folded_body": fold(body)}})
    return doc


def filter_clauses(filters: Filters, today=None) -> list[dict]:
    """The filters as OpenSearch ``bool.filter`` clauses (what :func:`filters.build_filter` is
    for Whoosh)."""
    clauses: list[dict] = []
    if filters.level:
        if filters.level not in LEVELS:
            raise QueryError(f"unknown level {filters.level!r}", hint=f"use one of: {', '.join(LEVELS)}")
        clauses.append({"term": {"level": filters.level}})
    if filters.region:
        clauses.append({"term": {"region_keys": divisions.resolve(filters.region).code}})
    if filters.applies_to:
        division = divisions.resolve(filters.applies_to)
        chain = [d.code for d in divisions.ancestors_and_self(division)]
        clauses.append({"bool": {"should": [{"term": {"level": "central"}}, {"terms": {"region_code": chain}}],
                                 "minimum_should_match": 1}})
    if filters.topic:
        clauses.append({"term": {"topics": filters.topic}})
    if filters.industry:
        clauses.append({"terms": {"industries": [filters.industry, ALL_INDUSTRIES]}})
    if filters.in_force:
        yesterday = ((today or datetime.date.today()) - datetime.timedelta(days=1)).isoformat()
        clauses.append({"bool": {"must_not": [{"range": {"valid_until": {"gte": "1900-01-01",
                                                                         "lte": yesterday}}}]}})
    return clauses


class OpenSearchBackend:
    """The index on an OpenSearch cluster, behind :class:`backend.SearchBackend`."""

    kind = "opensearch"

    def __init__(self, paths=None, create: bool = False, urls: list[str] | None = None,
                 prefix: str | None = None):
        from opensearchpy import OpenSearch

        self.urls = urls or node_urls()
        self.alias = prefix or os.environ.get(PREFIX_ENV) or DEFAULT_PREFIX
        self.meta = f"{self.alias}-meta"
        self.client = OpenSearch(self.urls, timeout=30, max_retries=2, retry_on_timeout=True)
        try:
            exists = self.client.indices.exists_alias(name=self.alias)
        except Exception as error:  # noqa: BLE001 - any transport failure: one clear message
            raise ConfigurationError(f"cannot reach OpenSearch at {', '.join(self.urls)}: {error}",
                                     hint=f"start the cluster, or check {URL_ENV}") from None
        if not exists:
            if not create:
                raise IndexMissingError(f"no index {self.alias!r} on the OpenSearch cluster at {self.urls[0]}",
                                        hint="ingest into it first (policy-search ingest FOLDER with the same "
                                             f"{URL_ENV} and {PREFIX_ENV})")
            self._create_build(set_alias=True)

    # --- builds and the generation ------------------------------------------------------------

    def _create_build(self, set_alias: bool) -> str:
        name = f"{self.alias}-{time.time_ns()}"
        self.client.indices.create(index=name, body=index_body(
            int(os.environ.get(SHARDS_ENV, 1)), int(os.environ.get(REPLICAS_ENV, 0))))
        if set_alias:
            self.client.indices.put_alias(index=name, name=self.alias)
            self._set_generation(self.generation())
        return name

    def generation(self) -> int:
        """The generation the last commit wrote (0 before any)."""
        try:
            found = self.client.get(index=self.meta, id="generation")
        except Exception:  # noqa: BLE001 - no meta index yet
            return 0
        return int(found["_source"]["value"])

    def _set_generation(self, value: int) -> None:
        self.client.index(index=self.meta, id="generation", body={"value": value}, refresh=True)

    # --- SearchBackend ------------------------------------------------------------------------

    @contextlib.contextmanager
    def reading(self) -> Iterator["OpenSearchView"]:
        yield OpenSearchView(self)

    def writer(self) -> "OpenSearchWriter":
        return OpenSearchWriter(self)

    def indexed_ids(self) -> set[str]:
        """Every id of the index (read in pages sorted by id)."""
        ids: set[str] = set()
        after = None
        while True:
            body = {"size": 1000, "sort": [{"id": "asc"}], "_source": False, "docvalue_fields": ["id"],
                    "query": {"match_all": {}}}
            if after is not None:
                body["search_after"] = after
            hits = self.client.search(index=self.alias, body=body)["hits"]["hits"]
            if not hits:
                return ids
            ids.update(hit["_id"] for hit in hits)
            after = hits[-1]["sort"]

    def doubled_ids(self) -> set[str]:
        return set()  # the policy id is the document's _id: never twice

    def document_count(self) -> int:
        return int(self.client.count(index=self.alias)["count"])

    def close(self) -> None:
        self.client.close()


class OpenSearchWriter:
    """Bulk writes with external versions: a document carries its catalog record's version, so
    a replayed older write is refused (409, taken as "a newer one is there"); made visible by a
    refresh and a new generation at :meth:`commit`."""

    def __init__(self, backend: OpenSearchBackend):
        self._backend = backend
        self._actions: dict[str, tuple[str, dict | None, int]] = {}

    def upsert(self, fields: dict) -> None:
        """Stage a document, versioned by its catalog record (``schema.VERSION``) when the writer
        gave one, else by the clock."""
        version = fields.get(VERSION) or time.time_ns() // 1000
        self._actions[fields["id"]] = ("index", document_of(fields, time.time_ns()), version)

    def delete(self, policy_id: str) -> None:
        self._actions[policy_id] = ("delete", None, time.time_ns() // 1000)

    def commit(self) -> int:
        backend = self._backend
        if not self._actions:
            return backend.generation()
        from opensearchpy import helpers

        actions = [{"_op_type": action, "_index": backend.alias, "_id": policy_id, "version": version,
                    "version_type": "external", **({"_source": doc} if doc is not None else {})}
                   for policy_id, (action, doc, version) in self._actions.items()]
        # in requests of at most BULK_BYTES (a cluster refuses a request over 100 MB by default)
        _, errors = helpers.bulk(backend.client, actions, max_chunk_bytes=BULK_BYTES, chunk_size=BULK_DOCS,
                                 raise_on_error=False, raise_on_exception=False)
        failed = [item for item in errors for result in item.values()
                  if result.get("status") not in (404, 409)]  # absent, or a newer version there
        if failed:
            raise RuntimeError(f"OpenSearch refused {len(failed)} of {len(actions)} writes: "
                               f"{json.dumps(failed[0], ensure_ascii=False)[:300]}")
        backend.client.indices.refresh(index=backend.alias)
        generation = backend.generation() + 1
        backend._set_generation(generation)
        self._actions = {}
        return generation

    def cancel(self) -> None:
        self._actions = {}


class OpenSearchView:
    """One reading of the cluster (a refresh may land between two requests of one view)."""

    def __init__(self, backend: OpenSearchBackend):
        self._backend = backend
        self._client = backend.client
        self.generation = backend.generation()
        self._docs: list[dict] = []          # what a reference stands for: the shown fields
        self._ids: list[str] = []
        self._refs: dict[str, int] = {}
        self._idf: dict[tuple[str, str], float] = {}
        self._count: int | None = None

    def _ref(self, hit: dict) -> int:
        found = self._refs.get(hit["_id"])
        if found is None:
            found = self._refs[hit["_id"]] = len(self._docs)
            self._docs.append(hit["_source"]["shown"])
            self._ids.append(hit["_id"])
        return found

    def _read_texts(self, refs: list[int]) -> None:
        """Fill in the bodies of documents found without them (one request for all)."""
        missing = [ref for ref in dict.fromkeys(refs) if "folded_body" not in self._docs[ref]]
        if not missing:
            return
        found = self._client.mget(index=self._backend.alias, body={"ids": [self._ids[r] for r in missing]},
                                  _source_includes=["shown"])
        for ref, doc in zip(missing, found["docs"]):
            if doc.get("found"):
                self._docs[ref] = doc["_source"]["shown"]
            else:  # removed since it was found: nothing to show of it
                self._docs[ref] = {**self._docs[ref], "body": "", "folded_body": "", "folded_title": ""}

    def _search(self, body: dict) -> dict:
        return self._client.search(index=self._backend.alias, body=body)

    # --- relevance -----------------------------------------------------------------------------

    def ranked(self, request: RankedRequest) -> RankedResult:
        terms = [t for t in request.terms]
        should = [{"term": {field: {"value": text, "boost": boost, "_name": str(n)}}}
                  for n, (field, text, boost) in enumerate(terms)]
        query = {"bool": {"should": should, "minimum_should_match": 1,
                          "filter": filter_clauses(request.filters),
                          "must_not": self._excluded(request.excluded)}}
        if request.phrases:
            allowed = self._phrase_ids(request.phrases, request.filters, request.excluded)
            query["bool"]["filter"] = query["bool"]["filter"] + [{"ids": {"values": allowed}}]
        depth = max(request.count, RESCORE_DEPTH)
        body = {"size": depth, "query": query, "track_total_hits": True, "_source": LIGHT_SOURCE}
        if request.facets:
            body["aggs"] = _facet_aggregations()
        answer = self._search(body)
        hits = answer["hits"]["hits"]
        present = self._present(terms)
        scored = [(self._coordinated(hit["_score"], len(hit.get("matched_queries", [])), present,
                                     request.coordination), self._ref(hit)) for hit in hits]
        if request.pairs and hits:
            scored = self._with_pairs(scored, request.pairs, request.pair_weight, present,
                                      request.coordination, hits)
        scored.sort(key=lambda pair: (-pair[0], pair[1]))
        top = scored[:request.count]
        self._read_texts([ref for _, ref in top])
        return RankedResult(refs=[ref for _, ref in top], scores=[score for score, _ in top],
                            total=int(answer["hits"]["total"]["value"]),
                            facets=_facet_counts(answer.get("aggregations", {})) if request.facets else {})

    def _present(self, terms: list[tuple[str, str, float]]) -> int:
        """How many of the terms some document holds (the leaves coordination counts)."""
        self._fetch_dfs([(field, text) for field, text, _ in terms])
        return sum(1 for field, text, _ in terms if self._df(field, text))

    def _fetch_dfs(self, keys: list[tuple[str, str]]) -> None:
        """The document frequencies of several terms in one request (a filters aggregation)."""
        wanted = list(dict.fromkeys(k for k in keys if k not in self._idf))
        if not wanted:
            return
        filters = {str(n): {"term": {field: text}} for n, (field, text) in enumerate(wanted)}
        answer = self._search({"size": 0, "aggs": {"df": {"filters": {"filters": filters}}}})
        buckets = answer["aggregations"]["df"]["buckets"]
        for n, key in enumerate(wanted):
            self._idf[key] = float(buckets[str(n)]["doc_count"])

    @staticmethod
    def _coordinated(score: float, matched: int, total: int, scale: float) -> float:
        """The local backend's coordination of an OR over ``total`` terms."""
        if total > 1 and total != scale and matched:
            return (score + (matched - 1) / (total - scale) ** 2) * (total - 1) / total
        return score

    def _with_pairs(self, scored, pairs, weight, present, scale, hits) -> list[tuple[float, int]]:
        """The bonus of query words side by side in the best texts' folded bodies."""
        best = sorted(scored, key=lambda pair: -pair[0])[:PAIR_DEPTH]
        self._read_texts([ref for _, ref in best])
        texts = [self._docs[ref]["folded_body"] for _, ref in best]
        places = side_by_side_in(texts, pairs)
        bonus = {ref: 0.0 for _, ref in best}
        for (first, second), where in zip(pairs, places):
            for n in where.tolist():
                ref = best[n][1]
                bonus[ref] += weight * (self._word_score(first, ref) + self._word_score(second, ref))
        return [(score + bonus.get(ref, 0.0), ref) for score, ref in scored]

    def _word_score(self, word: str, ref: int) -> float:
        """A small stand-in for a word's body score in a document: its idf (the cluster does
        not return per-term scores without an explain per hit)."""
        return self.idf("body", word) if word in self._docs[ref]["folded_body"] else 0.0

    def _excluded(self, words: list[str]) -> list[dict]:
        return [{"term": {field: word}} for word in words for field in TEXT_FIELDS]

    def _phrase_ids(self, phrases: list[list[str]], filters: Filters, excluded: list[str]) -> list[str]:
        """Ids of the documents where every phrase stands (checked in the folded texts)."""
        must = [{"bool": {"should": [{"term": {f: w}} for f in TEXT_FIELDS], "minimum_should_match": 1}}
                for words in phrases for w in words]
        body = {"size": PHRASE_CANDIDATES, "_source": ["shown.folded_title", "shown.folded_body"],
                "query": {"bool": {"must": must, "filter": filter_clauses(filters),
                                   "must_not": self._excluded(excluded)}}}
        patterns = [re.compile(PAIR_GAP.join(map(re.escape, words))) for words in phrases if len(words) > 1]
        out = []
        for hit in self._search(body)["hits"]["hits"]:
            shown = hit["_source"]["shown"]
            text = f"{shown['folded_title']}\n{shown['folded_body']}"
            if all(p.search(text) for p in patterns):
                out.append(hit["_id"])
        return out

    # --- date order ----------------------------------------------------------------------------

    def listed(self, request: ListRequest) -> RankedResult:
        clauses: dict = {"filter": filter_clauses(request.filters), "must_not": self._excluded(request.excluded)}
        if request.phrases:
            clauses["filter"].append({"ids": {"values": self._phrase_ids(request.phrases, request.filters,
                                                                         request.excluded)}})
        elif request.terms:
            clauses["should"] = [{"term": {f: t}} for f, t, _ in request.terms]
            clauses["minimum_should_match"] = 1
        size = 10_000 if request.count is None else request.count
        body = {"from": request.start, "size": size, "query": {"bool": clauses}, "track_total_hits": True,
                "sort": [{"written_date": {"order": "desc", "missing": "_last"}}, {"seq": "desc"}],
                "_source": LIGHT_SOURCE}
        if request.facets:
            body["aggs"] = _facet_aggregations()
        answer = self._search(body)
        refs = [self._ref(hit) for hit in answer["hits"]["hits"]]
        return RankedResult(refs=refs, scores=[0.0] * len(refs), total=int(answer["hits"]["total"]["value"]),
                            facets=_facet_counts(answer.get("aggregations", {})) if request.facets else {})

    def pending_phrase_checks(self, phrases, filters) -> int:
        return 0

    # --- documents and statistics ------------------------------------------------------------

    def document(self, ref: int, keep: bool = True) -> dict:
        self._read_texts([ref])
        return {k: v for k, v in self._docs[ref].items() if not k.startswith("folded_")}

    def folded_body(self, ref: int, body: str | None = None) -> str:
        self._read_texts([ref])
        return self._docs[ref]["folded_body"]

    def _df(self, field: str, text: str) -> int:
        key = (field, text)
        if key not in self._idf:
            count = self._client.count(index=self._backend.alias, body={"query": {"term": {field: text}}})
            self._idf[key] = float(count["count"])
        return int(self._idf[key])

    def idf(self, field: str, text: str) -> float:
        """``ln(N / (df + 1)) + 1``, as the local backend computes it."""
        n = self.doc_count()
        return math.log(max(n, 1) / (self._df(field, text) + 1)) + 1 if n else 0.0

    def has_id(self, policy_id: str) -> bool:
        return bool(self._client.exists(index=self._backend.alias, id=policy_id))

    def doc_count(self) -> int:
        if self._count is None:
            self._count = int(self._client.count(index=self._backend.alias)["count"])
        return self._count

    def related(self, doc_numbers, topics, exclude_id, limit, doc_number_boost) -> list[dict]:
        should = [{"term": {"doc_number": {"value": n, "boost": doc_number_boost}}} for n in doc_numbers]
        should += [{"term": {"topics": t}} for t in topics]
        if not should:
            return []
        body = {"size": limit, "_source": LIGHT_SOURCE,
                "query": {"bool": {"should": should, "minimum_should_match": 1,
                                   "must_not": [{"ids": {"values": [exclude_id]}}]}}}
        return [self.document(self._ref(hit)) for hit in self._search(body)["hits"]["hits"]]


def _facet_aggregations() -> dict:
    """Terms aggregations of the facet fields; the industries also count, for each value, the
    policies holding it and 不限行业 both (counted once, as locally)."""
    aggs = {name: {"terms": {"field": field, "size": 10_000}} for name, field in FACET_FIELDS.items()}
    # every industry of the index, matched or not: each counts the matches for every industry
    aggs["industry"]["terms"]["min_doc_count"] = 0
    aggs["industry"]["aggs"] = {"everyone": {"filter": {"term": {"industries": ALL_INDUSTRIES}}}}
    return aggs


def _facet_counts(aggregations: dict) -> dict[str, dict[str, int]]:
    """The local backend's facet counts from the aggregations: largest first, then by value."""
    out = {}
    for name in FACET_FIELDS:
        buckets = aggregations.get(name, {}).get("buckets", [])
        counts = {b["key"]: int(b["doc_count"]) for b in buckets}
        if name == "industry" and ALL_INDUSTRIES in counts:
            everyone = counts[ALL_INDUSTRIES]
            counts = {b["key"]: int(b["doc_count"]) + everyone - int(b["everyone"]["doc_count"])
                      if b["key"] != ALL_INDUSTRIES else everyone for b in buckets}
        counts = {k: v for k, v in counts.items() if is_shown(name, k) and v > 0}
        out[name] = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    return out
