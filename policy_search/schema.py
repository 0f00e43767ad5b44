"""The one Whoosh schema, and the one place a :class:`Policy` becomes index fields."""
from __future__ import annotations

import json

from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema

from . import divisions
from .analysis import BigramTokenizer, policy_analyzer
from .models import Policy

#: Fields searched for free text, with their weight in ranking.
TEXT_FIELDS = {"title": 0.5, "doc_number_text": 2.0, "issuer": 0.5, "body": 1.0}


def build_schema() -> Schema:
    """The index schema: Chinese text fields, exact filters, stored display fields."""
    analyzer = policy_analyzer()
    return Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=analyzer, stored=True),
        doc_number=ID(stored=True),
        doc_number_text=TEXT(analyzer=analyzer),
        issuer=TEXT(analyzer=analyzer, stored=True),
        body=TEXT(analyzer=analyzer, stored=True),
        bigrams=TEXT(analyzer=BigramTokenizer(), phrase=False),
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


def policy_to_fields(policy: Policy) -> dict:
    """The Whoosh document for a policy (the only Policy → fields conversion)."""
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
