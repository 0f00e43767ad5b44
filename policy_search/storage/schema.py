"""The one Whoosh schema, and the one place a :class:`Policy` becomes index fields.

Whoosh keeps each policy's stored fields, its id, the exact fields filters and facets
read, and the dates; the postings of the text fields and the body texts live in the postings
store (:mod:`postings_store`). :func:`policy_to_fields` gives both: Whoosh's fields, and the texts
of the store's fields under :data:`STORE_INPUT`, which :func:`analyse_fields` (in an ingest
worker) replaces with their counted terms.
"""
from __future__ import annotations

import json

from whoosh.fields import ID, KEYWORD, STORED, Schema

from policy_search.text import divisions
from policy_search.text.analysis import bigram_counts, index_term_counts
from policy_search.text.docnumber import doc_number_key
from policy_search.text.fold import fold
from policy_search.models import DEFAULT_DOC_TYPE, Policy
from policy_search.search.interpretations import cited_by, known_as
from policy_search.search.places import document_provinces
from policy_search.storage.postings_store import FieldCounts

#: Fields searched for free text, with their weight in ranking.
TEXT_FIELDS = {"title": 0.5, "doc_number_text": 2.0, "issuer": 0.5, "body": 1.0}
#: The character bigrams of title and body (see :func:`analysis.bigram_counts`).
BIGRAM_FIELD = "bigrams"
#: The fields of the postings store, in the order it numbers them.
STORE_FIELDS = (*TEXT_FIELDS, BIGRAM_FIELD)
#: The key of :func:`policy_to_fields` that is not Whoosh's (Whoosh leaves names starting
#: with ``_`` alone): the store's fields, as texts or as counted terms.
STORE_INPUT = "_postings"
#: The key of :func:`policy_to_fields` holding the body text, which the postings store keeps.
BODY = "_body"
#: The key the writer adds to a policy's fields: the version of its catalog record (microseconds
#: of its last change), which a backend with external versions writes with (a replayed older
#: write then cannot win).
VERSION = "_version"
#: The 文号 as the document writes it (``嶧政辦發〔2020〕5號``), stored for display (Whoosh's
#: ``_stored_<field>``), while the ``doc_number`` field holds its key (:func:`doc_number_key`:
#: folded, without spaces), which 文号 typed in a query and cited 文号 are looked up by.
STORED_DOC_NUMBER = "_stored_doc_number"


def catalog_version(updated_at: float) -> int:
    """A catalog record's change time as a version number."""
    return int(round(updated_at * 1_000_000))


def build_schema() -> Schema:
    """The Whoosh schema: stored display fields, exact filters and facets, dates.

    The id is also a column, so a generation maps ids to document numbers in one read
    (:mod:`postings_store`).
    """
    return Schema(
        id=ID(stored=True, unique=True, sortable=True),
        title=STORED(),
        doc_number=ID(stored=True),
        issuer=STORED(),
        level=ID(stored=True),
        region_keys=KEYWORD(commas=True),
        region_code=ID(),
        region_name=ID(),
        region=STORED(),
        topics=KEYWORD(commas=True, stored=True, scorable=False),
        industries=KEYWORD(commas=True, stored=True, scorable=False),
        written_date=ID(stored=True, sortable=True),
        publish_date=ID(stored=True, sortable=True),
        valid_until=ID(stored=True, sortable=True),
        format=ID(stored=True),
        url=STORED(),
        type=ID(stored=True),
        provinces=STORED(),
        title_keys=KEYWORD(commas=True),
        cites=KEYWORD(commas=True),
    )


def region_keys(policy: Policy) -> list[str]:
    """Codes and names of a policy's region and every region above it (for --region)."""
    keys: list[str] = []
    division = divisions.get(policy.region.code) if policy.region.code else None
    if division is not None:
        for above in divisions.ancestors_and_self(division):
            keys += [above.code, above.name]
    keys += [p for p in policy.region.path if p]
    keys += [k for k in (policy.region.name, policy.region.code) if k]
    return list(dict.fromkeys(keys))


def _cited(policy: Policy) -> list[str]:
    """What an interpretation cites (文号s and title keys; see :mod:`interpretations`); nothing for
    the other types."""
    if policy.type != "interpretation":
        return []
    numbers, keys = cited_by(policy.title or "", policy.text or "")
    return numbers + keys


def _keyword_list(values: list[str]) -> str:
    return ",".join(v.replace(",", " ") for v in values if v)


def has_store_postings(schema: Schema) -> bool:
    """True when an index keeps its text postings in the postings store (this shape, and the one
    before it, whose bodies were still Whoosh's stored fields): the id is a column and the body
    no Whoosh text field."""
    return schema["id"].column_type is not None and ("body" not in schema or not schema["body"].scorable)


def is_current_format(schema: Schema) -> bool:
    """True when an index was made with this schema's shape (text postings and bodies in the
    store, the id a column); an older index is rebuilt from the catalog by the next writer."""
    return schema.names() == build_schema().names() and schema["id"].column_type is not None


def policy_to_fields(policy: Policy) -> dict:
    """The document for a policy (the only Policy → fields conversion): Whoosh's fields, the
    body (:data:`BODY`, kept by the postings store) and the texts of the store's fields under
    :data:`STORE_INPUT`."""
    return {
        "id": policy.id,
        "title": policy.title or "",
        "doc_number": doc_number_key(policy.doc_number) if policy.doc_number else "",
        STORED_DOC_NUMBER: policy.doc_number or "",
        "issuer": policy.issuer or "",
        BODY: policy.text,
        STORE_INPUT: {
            "title": policy.title or "",
            "doc_number_text": policy.doc_number or "",
            "issuer": policy.issuer or "",
            "body": policy.text,
            BIGRAM_FIELD: f"{policy.title or ''}\n{policy.text}",
        },
        "level": policy.level or "",
        "region_keys": _keyword_list(region_keys(policy)),
        "region_code": policy.region.code or ("national" if policy.level == "central" else ""),
        "region_name": policy.region.name or "",
        "region": json.dumps(policy.region.to_dict(), ensure_ascii=False),
        "topics": _keyword_list(policy.topics),
        "industries": _keyword_list(policy.industries),
        "written_date": policy.written_date or "",
        "publish_date": policy.publish_date or "",
        "valid_until": policy.valid_until or "",
        "format": policy.source.format or "",
        "url": policy.url or "",
        "type": policy.type or DEFAULT_DOC_TYPE,
        "provinces": _keyword_list(document_provinces(policy.region.code or "", policy.level, policy.text or "")),
        "title_keys": _keyword_list(known_as(policy.title or "", policy.text or "")),
        "cites": _keyword_list(_cited(policy)),
    }


def analyse_fields(fields: dict) -> dict:
    """The fields of :func:`policy_to_fields` with the store's texts counted (the costly part of
    indexing: segmentation, sub-words, bigrams). Meant for ingest workers; the one writer then
    only adds what they counted."""
    out = dict(fields)
    out[STORE_INPUT] = counted_fields(fields[STORE_INPUT])
    return out


def counted_fields(texts: dict) -> dict[str, FieldCounts]:
    """The store's fields counted, from their texts (or as they are, when counted already)."""
    return {name: value if isinstance(value, FieldCounts) else count_terms(name, value)
            for name, value in texts.items()}


def count_terms(name: str, text: str) -> FieldCounts:
    """A text field's terms with their weights (a word's sub-words included, weighted by their
    boost) and its number of tokens, as BM25 reads them."""
    if not text:
        return FieldCounts({}, 0)
    if name == BIGRAM_FIELD:
        counts = bigram_counts(fold(text))
        return FieldCounts(counts, sum(counts.values()))
    return FieldCounts(*index_term_counts(text))
