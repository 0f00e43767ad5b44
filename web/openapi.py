"""The OpenAPI 3 document of the JSON API, built from the same limits the API checks."""
from __future__ import annotations

from policy_search.models import DOC_TYPES
from policy_search.search.filters import FILTER_FIELDS, FLAG, REGION, FilterField
from policy_search.search.query import (MAX_QUERY_CHARS, MAX_QUERY_EXCLUDED, MAX_QUERY_PHRASES,
                                  MAX_QUERY_TERMS, MAX_QUERY_WORDS)
from policy_search.search.service import MAX_PAGE, SORTS
from policy_search.vocabulary import industry_names, topic_names

from .params import DEFAULT_LIMIT, MAX_LIMIT, MAX_SHORT_CHARS


def _param(name: str, description: str, schema: dict, required: bool = False) -> dict:
    param = {"name": name, "in": "query", "required": required, "description": description,
             "schema": schema}
    if not required:
        param["allowEmptyValue"] = True  # an empty value means "not given"
    return param


def _region_param(name: str, description: str, required: bool = False) -> dict:
    return _param(name, description, {"type": "string", "maxLength": MAX_SHORT_CHARS}, required)


_FLAG = {"type": "string", "enum": ["1", "0", "true", "false"]}


def _filter_param(spec: FilterField) -> dict:
    """A filter of :data:`filters.FILTER_FIELDS` as a query parameter."""
    if spec.kind == FLAG:
        return _param(spec.name, spec.help, _FLAG)
    if spec.kind == REGION:
        return _region_param(spec.name, spec.help)
    return _param(spec.name, spec.help, {"type": "string", "enum": list(spec.values())})

_SEARCH_PARAMS = [
    _param("q", "Key words or a whole question; empty lists the newest policies. \"Quoted words\" "
                "must stand together, -word excludes. A query of more than "
                f"{MAX_QUERY_WORDS} words, {MAX_QUERY_TERMS} looked-up terms, {MAX_QUERY_PHRASES} "
                f"quoted phrases or {MAX_QUERY_EXCLUDED} excluded words is refused (400).",
           {"type": "string", "maxLength": MAX_QUERY_CHARS}),
    *[_filter_param(spec) for spec in FILTER_FIELDS],
    _param("sort", "Order of the hits.", {"type": "string", "enum": list(SORTS), "default": "relevance"}),
    _param("page", "Page number.", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}),
    _param("limit", "Hits per page.", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                                       "default": DEFAULT_LIMIT}),
]

_REGION = {"type": "object", "properties": {
    "code": {"type": "string"}, "name": {"type": "string"},
    "path": {"type": "array", "items": {"type": "string"}}}}
_STRINGS = {"type": "array", "items": {"type": "string"}}
#: The policies an interpretation explains, or a policy's interpretations.
_LINKS = {"type": "array", "items": {"type": "object", "required": ["id", "title"], "properties": {
    "id": {"type": "string"}, "title": {"type": "string"}}}}
_NULLABLE = {"type": "string", "nullable": True}
#: A policy reposted under another id: the reposts of a canonical policy, or the one a repost repeats.
_REPOST = {"type": "object", "required": ["id", "title", "url"], "properties": {
    "id": {"type": "string"}, "title": {"type": "string"}, "url": _NULLABLE}}
_HIT = {"type": "object", "required": ["id", "title", "level", "status", "snippet"], "properties": {
    "id": {"type": "string"}, "title": {"type": "string"}, "doc_number": _NULLABLE,
    "issuer": _NULLABLE, "level": _NULLABLE, "region": _REGION, "topics": _STRINGS,
    "industries": _STRINGS, "written_date": _NULLABLE, "publish_date": _NULLABLE,
    "valid_until": _NULLABLE, "status": {"type": "string", "enum": ["in_force", "expired", "unknown"]},
    "score": {"type": "number"}, "snippet": {"type": "string"},
    "highlights": {"type": "array", "items": {"type": "array", "items": {"type": "integer"}}},
    "snippet_html": {"type": "string"}, "type": {"type": "string", "enum": list(DOC_TYPES)}}}
_FACETS = {"type": "object", "additionalProperties": {
    "type": "object", "additionalProperties": {"type": "integer"}}}
_ERROR = {"type": "object", "required": ["error"], "properties": {"error": {
    "type": "object", "required": ["code", "message"], "properties": {
        "code": {"type": "string"}, "message": {"type": "string"}, "parameter": {"type": "string"}}}}}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict:
    return {str(s): _json({"$ref": "#/components/schemas/Error"}, "Error") for s in statuses}


def openapi_document() -> dict:
    """The OpenAPI 3.0 document served at /api/openapi.json."""
    search_page = {"type": "object", "required": ["query", "total", "page", "pages", "limit", "hits", "facets"],
                   "properties": {"query": {"type": "string"}, "total": {"type": "integer"},
                                  "page": {"type": "integer"}, "pages": {"type": "integer"},
                                  "limit": {"type": "integer"},
                                  "hits": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
                                  "facets": _FACETS,
                                  "partial": {"type": "boolean", "description":
                                              "Present (true) when the query's time budget ran out: "
                                              "fewer hits or a rougher order than a full answer."},
                                  "doc_number_match": {"type": "boolean", "description":
                                                       "Present only when the query is a 文号: whether a "
                                                       "policy has it (the hits are those policies)."},
                                  "related": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"},
                                              "description": "Present only when the query is a 文号: the "
                                                             "best other policies its words find."}}}
    policy = {"type": "object", "required": ["id", "title", "text", "removed"], "properties": {
        "id": {"type": "string"}, "title": {"type": "string"}, "text": {"type": "string"},
        "doc_number": _NULLABLE, "issuer": _NULLABLE, "level": _NULLABLE, "region": _REGION,
        "topics": _STRINGS, "industries": _STRINGS, "removed": {"type": "boolean"},
        "replaced_by": _NULLABLE, "link": {"type": "string"},
        "type": {"type": "string", "enum": list(DOC_TYPES)},
        "interprets": _LINKS, "interpretations": _LINKS,
        "duplicates": {"type": "array", "items": _REPOST},
        "duplicate_of": {**_REPOST, "nullable": True},
        "written_date": _NULLABLE, "publish_date": _NULLABLE, "valid_until": _NULLABLE,
        "url": _NULLABLE, "status": {"type": "string", "enum": ["in_force", "expired", "unknown"]},
        "source": {"type": "object", "properties": {"format": {"type": "string"},
                                                    "sha256": {"type": "string"}}}}}
    match = {"type": "object", "required": ["region", "total", "groups"], "properties": {
        "region": _REGION, "industry": _NULLABLE, "topic": _NULLABLE, "total": {"type": "integer"},
        "groups": {"type": "object", "additionalProperties": {
            "type": "array", "items": {"$ref": "#/components/schemas/Hit"}}}}}
    match_params = [_region_param("region", "Where the enterprise is (name or 6-digit code); "
                                            "or give province, city and county codes."),
                    *[_param(step, f"6-digit code of the {step}, used when region is absent "
                                   "(a step not under the one before it is ignored).",
                             {"type": "string", "pattern": "^[0-9]{6}$"}) for step in ("province", "city", "county")],
                    _param("industry", "Its industry.", {"type": "string", "enum": list(industry_names())}),
                    _param("topic", "Its need.", {"type": "string", "enum": list(topic_names())}),
                    _param("in_force", "Leave out expired policies.", _FLAG)]
    return {
        "openapi": "3.0.3",
        "info": {"title": "policy-search API", "version": "1",
                 "description": "Full-text search over Chinese government support policies."},
        "paths": {
            "/api/search": {"get": {
                "summary": "Search policies", "operationId": "search", "parameters": _SEARCH_PARAMS,
                "responses": {"200": _json(search_page, "One page of hits with facet counts"),
                              **_errors(400, 414),
                              "503": {**_errors(503)["503"], "description": "Too many long queries "
                                      "are running; try again after Retry-After seconds",
                                      "headers": {"Retry-After": {"schema": {"type": "integer"}}}}}}},
            "/api/policies/{id}": {"get": {
                "summary": "One policy with its full text", "operationId": "getPolicy",
                "parameters": [{"name": "id", "in": "path", "required": True,
                                "schema": {"type": "string", "maxLength": 64}}],
                "responses": {"200": _json(policy, "The policy"), **_errors(404)}}},
            "/api/match": {"get": {
                "summary": "Policies that apply to an enterprise, grouped by level",
                "operationId": "match", "parameters": match_params,
                "responses": {"200": _json(match, "The policies by level"), **_errors(400)}}},
            "/api/facets": {"get": {
                "summary": "Counts of every level, topic, industry and region", "operationId": "facets",
                "responses": {"200": _json({"type": "object", "required": ["total", "facets"], "properties": {
                    "total": {"type": "integer"}, "facets": _FACETS}}, "Facet counts")}}},
            "/api/openapi.json": {"get": {
                "summary": "This document", "operationId": "openapi",
                "responses": {"200": {"description": "The OpenAPI document",
                                      "content": {"application/json": {"schema": {"type": "object"}}}}}}},
        },
        "components": {"schemas": {"Hit": _HIT, "Error": _ERROR}},
    }
