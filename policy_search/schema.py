"""The one Whoosh schema, and the one place a :class:`Policy` becomes index fields."""
from __future__ import annotations

import functools
import json
import pickle

from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema

from . import divisions
from .analysis import bigram_counts, policy_analyzer
from .fold import fold
from .models import Policy

#: Fields searched for free text, with their weight in ranking.
TEXT_FIELDS = {"title": 0.5, "doc_number_text": 2.0, "issuer": 0.5, "body": 1.0}


#: The analysed fields whose postings an ingest worker can compute ahead (see :func:`analyse_fields`).
ANALYSED_FIELDS = ("title", "doc_number_text", "issuer", "body")
#: The field of :func:`policy_to_fields` that is not Whoosh's: the text whose character bigrams
#: :mod:`bigram_store` keeps (a worker hands over the counts, see :func:`analyse_fields`).
BIGRAM_SOURCE = "bigrams"


class AnalyzedText(str):
    """A field's text together with its postings, worked out ahead (in an ingest worker).

    It is the text itself, so any code, and any field that knows nothing of it,
    sees the plain string; :class:`PreparedText` takes the postings instead of
    analysing the text again. It pickles with its postings (from a worker to the
    writer); the stored copy of a field is given as a plain ``_stored_<name>`` string.
    """

    postings: bytes | None = None
    key: tuple = ()


class PreparedText(TEXT):
    """A Whoosh TEXT field that takes the postings of an :class:`AnalyzedText` as they are.

    The postings are exactly what :meth:`TEXT.index` yields, computed with the same
    field type (checked by :func:`_field_key`), so the index ends up byte for byte
    the same as if the main process had analysed the text itself.
    """

    def index(self, value, **kwargs):
        postings = getattr(value, "postings", None)
        if postings is not None and not kwargs and value.key == _field_key(self):
            return iter(pickle.loads(postings))
        return super().index(value, **kwargs)


def _field_key(field) -> tuple:
    """What decides a text field's postings: its format, boost, analyzer and scoring."""
    return (type(field.format).__name__, field.format.field_boost, type(field.analyzer).__name__,
            bool(field.scorable))


def build_schema() -> Schema:
    """The index schema: Chinese text fields, exact filters, stored display fields.

    Text fields keep frequencies, not positions: quoted phrases and words side by side are
    checked in the texts (:mod:`backends.local`), so positions would only slow the writer.
    The id is also a column, so a generation maps ids to document numbers in one read
    (:mod:`bigram_store`).
    """
    analyzer = policy_analyzer()
    return Schema(
        id=ID(stored=True, unique=True, sortable=True),
        title=PreparedText(analyzer=analyzer, stored=True, phrase=False),
        doc_number=ID(stored=True),
        doc_number_text=PreparedText(analyzer=analyzer, phrase=False),
        issuer=PreparedText(analyzer=analyzer, stored=True, phrase=False),
        body=PreparedText(analyzer=analyzer, stored=True, phrase=False),
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


def _keyword_list(values: list[str]) -> str:
    return ",".join(v.replace(",", " ") for v in values if v)


def is_current_format(schema: Schema) -> bool:
    """True when an index was made with this schema's shape (bigrams outside Whoosh, no positions,
    the id a column); an older index is rebuilt from the catalog by the next writer."""
    return (BIGRAM_SOURCE not in schema.names() and schema["id"].column_type is not None
            and not schema["body"].format.supports("positions"))


def policy_to_fields(policy: Policy) -> dict:
    """The document for a policy (the only Policy → fields conversion): Whoosh's fields, and
    the text of the bigram store under :data:`BIGRAM_SOURCE`."""
    return {
        "id": policy.id,
        "title": policy.title or "",
        "doc_number": policy.doc_number or "",
        "doc_number_text": policy.doc_number or "",
        "issuer": policy.issuer or "",
        "body": policy.text,
        "bigrams": f"{policy.title or ''}\n{policy.text}",
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
    }


@functools.lru_cache(maxsize=1)
def _analysis_schema() -> Schema:
    return build_schema()


def analyse_fields(fields: dict) -> dict:
    """The fields of :func:`policy_to_fields` with the postings of the text fields worked out.

    Meant for ingest workers: the costly part of indexing (segmentation, counting
    positions and bigrams) happens here, and the one index writer only adds the
    postings. An index made before :class:`PreparedText` analyses the text as before.
    """
    schema = _analysis_schema()
    out = dict(fields)
    if fields.get(BIGRAM_SOURCE):
        out[BIGRAM_SOURCE] = bigram_counts(fold(fields[BIGRAM_SOURCE]))
    for name in ANALYSED_FIELDS:
        value = fields.get(name)
        if not value:
            continue
        field = schema[name]
        analysed = AnalyzedText(value)
        analysed.postings = pickle.dumps(_postings(field, value), protocol=pickle.HIGHEST_PROTOCOL)
        analysed.key = _field_key(field)
        out[name] = analysed
        if field.stored:
            out["_stored_" + name] = str(value)
    return out


def _postings(field, value: str) -> list[tuple]:
    """What ``field.index(value)`` yields."""
    return list(field.index(value))


def bigram_counts_of(value) -> dict[str, int]:
    """The bigram counts of a :data:`BIGRAM_SOURCE` value: counted by a worker already, or now."""
    return value if isinstance(value, dict) else bigram_counts(fold(value or ""))
