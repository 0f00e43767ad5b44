"""The one record that flows through every stage: :class:`Policy`."""
from __future__ import annotations

import datetime
from dataclasses import asdict, dataclass, field
from typing import Any

LEVELS = ("central", "provincial", "municipal", "county")
LEVEL_NAMES_ZH = {"central": "中央", "provincial": "省级", "municipal": "市级", "county": "区县级"}
ALL_INDUSTRIES = "不限行业"
#: What kind of document a record is: 政策文件, 政策解读, 新闻动态, or anything else.
DOC_TYPES = ("policy", "interpretation", "news", "other")
DOC_TYPE_NAMES_ZH = {"policy": "政策文件", "interpretation": "政策解读", "news": "新闻动态", "other": "其他"}
#: The type of a record made before types were inferred (until ``retag`` infers it).
DEFAULT_DOC_TYPE = "policy"
VALIDITY_STATUSES = ("in_force", "expired", "unknown")
#: A policy's text over this many characters is refused (by ingest, import and the writer):
#: indexing it would hold the writer for minutes.
MAX_TEXT_CHARS = 5_000_000
#: The ``source.format`` values ingest writes (the parsers of indexer/parsers).
SOURCE_FORMATS = ("pdf", "docx", "html", "txt", "md", "tsv", "jsonl")


def validity_status(valid_until: str | None, today: datetime.date | None = None) -> str:
    """'in_force', 'expired' or 'unknown' for an ISO end date.

    >>> validity_status("2020-12-31", datetime.date(2021, 1, 1)), validity_status(None)
    ('expired', 'unknown')
    """
    if not valid_until:
        return "unknown"
    today = today or datetime.date.today()
    return "expired" if valid_until < today.isoformat() else "in_force"


@dataclass
class Region:
    """Where a policy applies: a 6-digit division code, its name and the path down to it."""

    code: str = ""
    name: str = ""
    path: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON form."""
        return {"code": self.code, "name": self.name, "path": list(self.path)}

    @classmethod
    def from_value(cls, value: Any) -> "Region":
        """Accept a Region, a dict, a bare name or nothing.

        >>> Region.from_value("峄城区").name
        '峄城区'
        """
        if isinstance(value, Region):
            return value
        if isinstance(value, dict):
            return cls(code=str(value.get("code") or ""), name=str(value.get("name") or ""),
                       path=[str(p) for p in value.get("path") or []])
        if value:
            return cls(name=str(value))
        return cls()


@dataclass
class SourceFile:
    """The file a policy came from."""

    path: str = ""
    format: str = ""
    sha256: str = ""

    def to_dict(self) -> dict[str, str]:
        """Plain JSON form."""
        return asdict(self)


@dataclass
class Policy:
    """A policy document with its metadata, as indexed and shown."""

    id: str
    title: str
    text: str
    doc_number: str | None = None
    issuer: str | None = None
    written_date: str | None = None
    publish_date: str | None = None
    level: str | None = None
    region: Region = field(default_factory=Region)
    topics: list[str] = field(default_factory=list)
    industries: list[str] = field(default_factory=list)
    url: str | None = None
    #: last day in force (ISO), read from the text; None when the text does not say
    valid_until: str | None = None
    #: one of :data:`DOC_TYPES`
    type: str = DEFAULT_DOC_TYPE
    source: SourceFile = field(default_factory=SourceFile)
    #: where each metadata field came from: "given" (sidecar, manifest, bulk column,
    #: the file's own metadata table) or "extracted" / "inferred".
    provenance: dict[str, str] = field(default_factory=dict)

    def to_dict(self, with_text: bool = True) -> dict[str, Any]:
        """Plain JSON form (the shape of ``show --json``)."""
        data = {
            "id": self.id,
            "title": self.title,
            "doc_number": self.doc_number,
            "issuer": self.issuer,
            "written_date": self.written_date,
            "publish_date": self.publish_date,
            "level": self.level,
            "region": self.region.to_dict(),
            "topics": list(self.topics),
            "industries": list(self.industries),
            "url": self.url,
            "valid_until": self.valid_until,
            "status": validity_status(self.valid_until),
            "type": self.type,
            "source": self.source.to_dict(),
            "provenance": dict(self.provenance),
        }
        if with_text:
            data["text"] = self.text
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Policy":
        """Inverse of :meth:`to_dict`."""
        return cls(
            id=data["id"], title=data.get("title") or "", text=data.get("text") or "",
            doc_number=data.get("doc_number"), issuer=data.get("issuer"),
            written_date=data.get("written_date"), publish_date=data.get("publish_date"),
            level=data.get("level"), region=Region.from_value(data.get("region")),
            topics=list(data.get("topics") or []), industries=list(data.get("industries") or []),
            url=data.get("url"), valid_until=data.get("valid_until"),
            type=data.get("type") or DEFAULT_DOC_TYPE,
            source=SourceFile(**(data.get("source") or {})),
            provenance=dict(data.get("provenance") or {}),
        )
