"""The OpenSearch backend: the same service on a cluster (``POLICY_SEARCH_BACKEND=opensearch``).

The catalog stays the system of record; the cluster holds one index per build behind an
alias (``<prefix>``), and a small ``<prefix>-meta`` index holding the generation. The text
fields arrive already analysed: each is the project's own terms (:func:`schema.count_terms`:
words with their sub-words, or character bigrams), a term repeated as often as it counts,
joined by spaces and cut again by a whitespace analyzer. So OpenSearch never segments Chinese
itself, and BM25's term frequencies and field lengths are the local backend's. BM25 itself is
the local one, as a scripted similarity (:func:`local_bm25`: the local idf and average length),
and a term of an exact field (the 文号) scores its boost alone, as locally. What a query in
OpenSearch has no equivalent for is done here on what it returns, in the local order:

* coordination (how many of the query's terms a document matched) from named queries, on
  the best ``RESCORE_DEPTH`` documents;
* the bonus of query words side by side, read off the folded bodies of the best
  ``PAIR_DEPTH`` documents after a first coordination (:func:`engine.side_by_side_in`, as
  locally): each pair adds its two words' body scores there (one ``msearch``) and counts as
  two more matched terms before the final coordination;
* quoted phrases: the documents holding every word are asked of the cluster, and each is
  checked against the phrase in its folded title and body (at most ``PHRASE_CANDIDATES``).

Differences from the local backend that remain: Lucene keeps a field's length in one byte of
its own encoding (rounded down, where Whoosh's rounds up), so scores differ by about one per
cent and near ties can change order; only the best ``RESCORE_DEPTH`` by BM25 alone are
coordinated; the generation is a counter kept by the writer, not a commit point. An index of
several shards is searched with ``dfs_query_then_fetch``, so its statistics are the whole
index's.
"""
from __future__ import annotations

import contextlib
import datetime
import functools
import json
import math
import os
import re
import time
from typing import Iterator

from policy_search.errors import ConfigurationError, IndexMissingError, IndexUnavailableError, QueryError
from policy_search.storage import failpoints
from policy_search.models import ALL_INDUSTRIES, LEVELS
from policy_search.search.engine import PAIR_GAP, side_by_side_in
from policy_search.search.facets import FACET_FIELDS, is_shown
from policy_search.search.filters import Filters
from policy_search.storage.backend import ListRequest, RankedRequest, RankedResult
from policy_search.storage.schema import (BODY, STORE_FIELDS, STORE_INPUT, STORED_DOC_NUMBER, TEXT_FIELDS, VERSION,
                                          counted_fields)
from policy_search.settings import setting_default, setting_env, setting_of
from policy_search.text import divisions
from policy_search.text.fold import fold

#: The environment variable with the cluster's node URLs (comma-separated).
URL_ENV = setting_env("opensearch_url")
#: The environment variable with the index name (alias) prefix.
PREFIX_ENV = setting_env("opensearch_index")
DEFAULT_PREFIX = setting_of("opensearch_index").default
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
                  "written_date", "publish_date", "valid_until", "format", "url", "type", "provinces")
#: Exact fields that filters and facets read.
KEYWORD_FIELDS = ("doc_number", "level", "region_keys", "region_code", "region_name", "topics",
                  "industries", "written_date", "publish_date", "valid_until", "format", "type", "title_keys",
                  "cites")
#: Exact fields holding several values (comma-separated in the fields of :func:`schema.policy_to_fields`).
LIST_FIELDS = ("region_keys", "topics", "industries", "title_keys", "cites")


def _plainly_failing_transport(urls: list[str]):
    """The client's transport, raising :class:`IndexUnavailableError` (one line, with a hint)
    when no node answers, or the cluster answers that it cannot serve (503)."""
    from opensearchpy import ConnectionError as NoConnection, Transport, TransportError

    class PlainlyFailingTransport(Transport):
        def perform_request(self, *args, **kwargs):
            try:
                return super().perform_request(*args, **kwargs)
            except NoConnection as error:
                raise IndexUnavailableError(f"cannot reach OpenSearch at {', '.join(urls)}: {error.info}",
                                            hint=f"start the cluster, or check {URL_ENV}") from None
            except TransportError as error:
                if error.status_code != 503:
                    raise
                raise IndexUnavailableError(f"the OpenSearch cluster at {urls[0]} cannot serve now: {error.error}",
                                            hint="check the cluster's health (GET /_cluster/health)") from None

    return PlainlyFailingTransport


def node_urls(value: str | None = None) -> list[str]:
    """The node URLs of ``value`` or ``$POLICY_SEARCH_OPENSEARCH_URL``; a clear error without any."""
    value = value or setting_default("opensearch_url")
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
    # refreshed by a commit only: searchers see a batch whole, never the part of it written so far
    return {"settings": {"number_of_shards": shards, "number_of_replicas": replicas, "refresh_interval": "-1",
                         "similarity": {"policy_bm25": local_bm25()},
                         "analysis": {"analyzer": {"terms": {"type": "custom", "tokenizer": "whitespace"}}}},
            "mappings": {"dynamic": "strict", "properties": properties}}


#: A token every text field of every document holds once, so that Lucene's statistics of a field
#: count every document (its ``docCount`` is then N, as the local backend's) and the script can
#: take it back out of lengths and their sum. A private-use character: no text yields it.
EVERY_DOC = "\ue000"


def local_bm25() -> dict:
    """The local backend's BM25 as a scripted similarity: its idf (``ln(N / (df + 1)) + 1``, not
    Lucene's), its k1 and b, and the average length over every document."""
    weight = "double n = field.docCount; return query.boost * (Math.log(n / (term.docFreq + 1.0)) + 1.0);"
    score = ("double n = field.docCount; double avg = (field.sumTotalTermFreq - n) / n; "
             "double length = doc.length - 1; double tf = doc.freq; "
             f"return weight * tf * {BM25_K1 + 1} / (tf + {BM25_K1} * ({1 - BM25_B} + {BM25_B} * length / "
             "Math.max(avg, 1.0)));")
    return {"type": "scripted", "weight_script": {"source": weight}, "script": {"source": score}}


def terms_text(weights: dict[str, float]) -> str:
    """A field's counted terms as the text the whitespace analyzer cuts back into them: each
    term as often as it counts (weights are whole counts: a sub-word counts as a word)."""
    return " ".join(" ".join([term] * max(1, round(weight))) for term, weight in weights.items()
                    if term and not any(ch.isspace() for ch in term))


def document_of(fields: dict, seq: int) -> dict:
    """The cluster's document for fields of :func:`schema.policy_to_fields`."""
    counted = counted_fields(fields.get(STORE_INPUT, {}))
    body = fields.get(BODY, "")
    doc = {name: f"{EVERY_DOC} {terms_text(counted[name].weights) if name in counted else ''}"
           for name in STORE_FIELDS}
    for name in KEYWORD_FIELDS:
        value = fields.get(name, "")
        doc[name] = [v for v in value.split(",") if v] if name in LIST_FIELDS else value
    doc.update({"id": fields["id"], "seq": seq,
                "shown": {**{k: fields.get(k, "") for k in DISPLAY_FIELDS}, "body": body,
                          "doc_number": fields.get(STORED_DOC_NUMBER, fields.get("doc_number", "")),
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
    if filters.type:
        clauses.append({"term": {"type": filters.type}})
    return clauses


class OpenSearchBackend:
    """The index on an OpenSearch cluster, behind :class:`backend.SearchBackend`."""

    kind = "opensearch"

    def __init__(self, paths=None, create: bool = False, urls: list[str] | None = None,
                 prefix: str | None = None):
        from opensearchpy import OpenSearch

        self.urls = urls or node_urls()
        self.alias = prefix or setting_default("opensearch_index") or DEFAULT_PREFIX
        self.meta = f"{self.alias}-meta"
        self.client = OpenSearch(self.urls, timeout=30, max_retries=2, retry_on_timeout=True,
                                 transport_class=_plainly_failing_transport(self.urls))
        try:
            exists = self.client.indices.exists_alias(name=self.alias)
        except IndexUnavailableError:
            raise
        except Exception as error:  # noqa: BLE001 - any other failure of the first request: one clear message
            raise ConfigurationError(f"OpenSearch at {', '.join(self.urls)} did not answer as a cluster: {error}",
                                     hint=f"check {URL_ENV}") from None
        if not exists:
            if not create:
                raise IndexMissingError(f"no index {self.alias!r} on the OpenSearch cluster at {self.urls[0]}",
                                        hint="ingest into it first (policy-search ingest FOLDER with the same "
                                             f"{URL_ENV} and {PREFIX_ENV})")
            self._create_build(set_alias=True)

    @functools.cached_property
    def search_type(self) -> str:
        """How scored searches run: over one shard, as usual; over several, with the document
        frequencies and field statistics of every shard gathered first (``dfs_query_then_fetch``),
        so that a score is the one the whole index gives, as locally, whichever shard holds it."""
        found = self.client.indices.get_settings(index=self.alias, name="index.number_of_shards")
        shards = max(int(s["settings"]["index"]["number_of_shards"]) for s in found.values())
        return "dfs_query_then_fetch" if shards > 1 else "query_then_fetch"

    # --- builds and the generation ------------------------------------------------------------

    def _create_build(self, set_alias: bool) -> str:
        name = f"{self.alias}-{time.time_ns()}"
        self.client.indices.create(index=name, body=index_body(
            int(os.environ.get(SHARDS_ENV, 1)), int(os.environ.get(REPLICAS_ENV, 0))))
        if not self.client.indices.exists(index=self.meta):
            # one small document; a copy on a second node when there is one
            self.client.indices.create(index=self.meta, body={"settings": {
                "number_of_shards": 1, "auto_expand_replicas": "0-1"}})
        if set_alias:
            self.client.indices.put_alias(index=name, name=self.alias)
            self._set_generation(self.generation())
        return name

    def generation(self) -> int:
        """The generation the last commit wrote (0 before any)."""
        from opensearchpy import NotFoundError

        try:
            found = self.client.get(index=self.meta, id="generation")
        except NotFoundError:  # no commit yet
            return 0
        return int(found["_source"]["value"])

    def _set_generation(self, value: int) -> None:
        self.client.index(index=self.meta, id="generation", body={"value": value}, refresh=True)

    # --- SearchBackend ------------------------------------------------------------------------

    @contextlib.contextmanager
    def reading(self) -> Iterator["OpenSearchView"]:
        yield OpenSearchView(self)

    def writer(self) -> "OpenSearchWriter":
        # exact fields added since the build was made (a text field's analysis cannot change:
        # that takes a reindex)
        self.client.indices.put_mapping(index=self.alias, body={"properties": {
            name: {"type": "keyword"} for name in KEYWORD_FIELDS}})
        return OpenSearchWriter(self)

    def rebuilding(self) -> "OpenSearchWriter":
        """A writer into a new build of the index: its commit moves the alias onto it in one
        request (searchers see the old build or the new one) and deletes the old builds."""
        self._drop_unused_builds()
        return OpenSearchWriter(self, build=self._create_build(set_alias=False))

    def _drop_unused_builds(self) -> None:
        """Delete the builds of this alias it does not point at (left by a rebuild that was killed)."""
        pattern = re.compile(rf"{re.escape(self.alias)}-\d+")
        used = set(self.builds())
        for name in self.client.indices.get(index=f"{self.alias}-*", expand_wildcards="open"):
            if pattern.fullmatch(name) and name not in used:
                self.client.indices.delete(index=name, ignore_unavailable=True)

    def builds(self) -> list[str]:
        """The indices the alias points at (one, but for a rebuild cut short before its move)."""
        return sorted(self.client.indices.get_alias(name=self.alias))

    def _move_alias(self, build: str) -> None:
        """Point the alias at ``build`` alone, in one atomic request; drop the builds it left."""
        old = self.builds()
        actions = [{"remove": {"index": name, "alias": self.alias}} for name in old]
        self.client.indices.update_aliases(body={"actions": [*actions, {"add": {"index": build, "alias": self.alias}}]})
        for name in old:
            if name != build:
                self.client.indices.delete(index=name, ignore_unavailable=True)

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

    def __init__(self, backend: OpenSearchBackend, build: str | None = None):
        self._backend = backend
        #: a rebuild's new index (None: write through the alias)
        self._build = build
        self._actions: dict[str, tuple[str, dict | None, int]] = {}

    def upsert(self, fields: dict) -> None:
        """Stage a document, versioned by its catalog record (``schema.VERSION``) when the writer
        gave one, else by the clock."""
        version = fields.get(VERSION) or time.time_ns() // 1000
        self._actions[fields["id"]] = ("index", document_of(fields, time.time_ns()), version)

    def delete(self, policy_id: str, version: int | None = None) -> None:
        """Stage a delete, versioned by the catalog record of the removal when given, else by the clock."""
        self._actions[policy_id] = ("delete", None, version or time.time_ns() // 1000)

    def commit(self) -> int:
        backend = self._backend
        if not self._actions and self._build is None:
            return backend.generation()
        target = self._build or backend.alias
        actions = [{"_op_type": action, "_index": target, "_id": policy_id, "version": version,
                    "version_type": "external", **({"_source": doc} if doc is not None else {})}
                   for policy_id, (action, doc, version) in self._actions.items()]
        try:
            return self._write(actions, target)
        except IndexUnavailableError as error:
            raise IndexUnavailableError(
                f"{error.message} (while writing {len(actions)} changes)",
                hint="nothing is lost: the catalog keeps them pending; when the cluster answers "
                     "again, run the same command again and it completes them") from None

    def _write(self, actions: list[dict], target: str) -> int:
        """Send the writes, make them visible, bump the generation."""
        from opensearchpy import helpers

        backend = self._backend
        # in requests of at most BULK_BYTES (a cluster refuses a request over 100 MB by default)
        _, errors = helpers.bulk(backend.client, actions, max_chunk_bytes=BULK_BYTES, chunk_size=BULK_DOCS,
                                 raise_on_error=False, raise_on_exception=False)
        failed = [item for item in errors for result in item.values()
                  if result.get("status") not in (404, 409)]  # absent, or a newer version there
        if failed:
            raise RuntimeError(f"OpenSearch refused {len(failed)} of {len(actions)} writes: "
                               f"{json.dumps(failed[0], ensure_ascii=False)[:300]}")
        failpoints.reach("after_index_writes")
        backend.client.indices.refresh(index=target)
        if self._build is not None:
            backend._move_alias(self._build)
            self._build = None
        generation = backend.generation() + 1
        backend._set_generation(generation)
        self._actions = {}
        return generation

    def cancel(self) -> None:
        self._actions = {}
        if self._build is not None:  # a rebuild dropped: its new index goes, the alias stays put
            build, self._build = self._build, None
            try:
                self._backend.client.indices.delete(index=build, ignore_unavailable=True)
            except IndexUnavailableError:
                pass  # the cluster is away: the next rebuild drops it (_drop_unused_builds)


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
                                  _source_includes=["shown"], realtime=False)  # as searches see them
        for ref, doc in zip(missing, found["docs"]):
            if doc.get("found"):
                self._docs[ref] = doc["_source"]["shown"]
            else:  # removed since it was found: nothing to show of it
                self._docs[ref] = {**self._docs[ref], "body": "", "folded_body": "", "folded_title": ""}

    def _search(self, body: dict, scored: bool = False) -> dict:
        """One search; ``scored``: its scores must be the whole index's (see :meth:`OpenSearchBackend.search_type`)."""
        if scored:
            return self._client.search(index=self._backend.alias, body=body, search_type=self._backend.search_type)
        return self._client.search(index=self._backend.alias, body=body)

    # --- relevance -----------------------------------------------------------------------------

    def ranked(self, request: RankedRequest) -> RankedResult:
        terms = [t for t in request.terms]
        should = [_scored_term(field, text, boost, str(n)) for n, (field, text, boost) in enumerate(terms)]
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
        if request.groups:
            body.setdefault("aggs", {})["grouped"] = _grouped_aggregation(request.groups)
        answer = self._search(body, scored=True)
        hits = answer["hits"]["hits"]
        refs = [self._ref(hit) for hit in hits]
        raw = {ref: hit["_score"] for ref, hit in zip(refs, hits)}
        matched = {ref: len(hit.get("matched_queries", [])) for ref, hit in zip(refs, hits)}
        self._fetch_dfs([(field, text) for field, text, _ in terms]
                        + [("body", word) for pair in request.pairs for word in pair])
        pairs = [pair for pair in request.pairs if self._df("body", pair[0]) and self._df("body", pair[1])]
        leaves = self._present(terms) + 2 * len(pairs)  # each pair counts as two more terms, as locally
        if pairs and refs:
            first_pass = {ref: self._coordinated(raw[ref], matched[ref], leaves, request.coordination)
                          for ref in refs}
            near = sorted(refs, key=lambda ref: (-first_pass[ref], ref))[:PAIR_DEPTH]
            self._add_pairs(raw, matched, near, pairs, request.pair_weight)
        scored = sorted(((self._coordinated(raw[ref], matched[ref], leaves, request.coordination), ref)
                         for ref in refs), key=lambda pair: (-pair[0], pair[1]))
        top = scored[:request.count]
        self._read_texts([ref for _, ref in top])
        total = int(answer["hits"]["total"]["value"])
        if request.groups:  # the matches of a group count once
            grouped = [b["key"] for b in answer["aggregations"]["grouped"]["ids"]["buckets"]]
            total -= len(grouped) - len({request.groups[pid] for pid in grouped})
        return RankedResult(refs=[ref for _, ref in top], scores=[score for score, _ in top], total=total,
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

    def _add_pairs(self, raw: dict, matched: dict, near: list[int], pairs: list[tuple[str, str]],
                   weight: float) -> None:
        """Where a pair of query words stands side by side in one of the ``near`` documents'
        folded bodies, its two words' body scores (times ``weight``) and two more matched terms,
        as the local backend adds them."""
        self._read_texts(near)
        places = side_by_side_in([self._docs[ref]["folded_body"] for ref in near], pairs)
        found = [(first, second, [near[n] for n in where.tolist()])
                 for (first, second), where in zip(pairs, places) if len(where)]
        if not found:
            return
        scores = self._body_scores(sorted({w for first, second, _ in found for w in (first, second)}),
                                   sorted({ref for *_, refs in found for ref in refs}))
        for first, second, refs in found:
            for ref in refs:
                raw[ref] += weight * (scores[first].get(ref, 0.0) + scores[second].get(ref, 0.0))
                matched[ref] += 2

    def _body_scores(self, words: list[str], refs: list[int]) -> dict[str, dict[int, float]]:
        """Each word's BM25 score in the body of each of some documents (one msearch: a term
        query per word over those documents scores exactly that)."""
        ids = [self._ids[ref] for ref in refs]
        lines: list[dict] = []
        for word in words:
            lines += [{}, {"size": len(ids), "_source": False,
                           "query": {"bool": {"must": {"term": {"body": word}}, "filter": {"ids": {"values": ids}}}}}]
        answers = self._client.msearch(index=self._backend.alias, body=lines,
                                       search_type=self._backend.search_type)["responses"]
        return {word: {self._refs[hit["_id"]]: hit["_score"] for hit in answer["hits"]["hits"]}
                for word, answer in zip(words, answers)}

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
        if request.groups:  # every match, to keep the first of each group (a page of them below)
            body.update({"from": 0, "size": 10_000})
        answer = self._search(body)
        refs = [self._ref(hit) for hit in answer["hits"]["hits"]]
        total = int(answer["hits"]["total"]["value"])
        if request.groups:
            kept, seen = [], set()
            for ref in refs:
                key = request.groups.get(self._ids[ref], self._ids[ref])
                if key not in seen:
                    seen.add(key)
                    kept.append(ref)
            total = len(kept)
            refs = kept[request.start:None if request.count is None else request.start + request.count]
        return RankedResult(refs=refs, scores=[0.0] * len(refs), total=total,
                            facets=_facet_counts(answer.get("aggregations", {})) if request.facets else {})

    def pending_phrase_checks(self, phrases, filters) -> int:
        return 0

    # --- documents and statistics ------------------------------------------------------------

    def policy_ids(self, refs: list[int]) -> list[str]:
        return [self._ids[ref] for ref in refs]  # the policy id is the document's _id

    def document(self, ref: int, keep: bool = True) -> dict:
        self._read_texts([ref])
        return {k: v for k, v in self._docs[ref].items() if not k.startswith("folded_")}

    def fields(self, ref: int) -> dict:
        """What the search that found the document brought of it (its texts are left out)."""
        return {k: v for k, v in self._docs[ref].items() if k != "body" and not k.startswith("folded_")}

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
        return bool(self._client.exists(index=self._backend.alias, id=policy_id, realtime=False))

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


def _scored_term(field: str, text: str, boost: float, name: str) -> dict:
    """A query term scored as locally: BM25 in a text field; in an exact field (no lengths, as
    the 文号), the boost alone."""
    if field in STORE_FIELDS:
        return {"term": {field: {"value": text, "boost": boost, "_name": name}}}
    return {"constant_score": {"filter": {"term": {field: text}}, "boost": boost, "_name": name}}


def _grouped_aggregation(groups) -> dict:
    """The ids of the matches that belong to a group of reposts (``groups``: id → canonical id)."""
    ids = sorted(groups)
    return {"filter": {"terms": {"id": ids}}, "aggs": {"ids": {"terms": {"field": "id", "size": len(ids)}}}}


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
