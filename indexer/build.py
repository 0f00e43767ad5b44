"""From what a parser read (plus any given metadata) to a :class:`Policy`."""
from __future__ import annotations

import re

from policy_search.text.cleaning import one_line
from policy_search.text.docnumber import normalize_doc_number
from policy_search.text import divisions
from policy_search.errors import DocumentError, EmptyDocumentError, QueryError
from policy_search.ids import policy_id
from policy_search.models import DOC_TYPES, LEVEL_NAMES_ZH, LEVELS, Policy, Region, SourceFile

from .classify import TAG_FIELDS, classify
from .doctype import known_type
from .extract import extract_metadata, has_title, normalize_date
from .furniture import clean_stated_title
from .parsers.base import MAX_TEXT_CHARS, RawDocument

_LEVEL_ALIASES = {**{zh: code for code, zh in LEVEL_NAMES_ZH.items()},
                  "国家级": "central", "省": "provincial", "市": "municipal", "区县": "county",
                  "县级": "county", "区级": "county"}
_METADATA_FIELDS = ("title", "doc_number", "issuer", "written_date", "publish_date")
#: Given values that are one line of text: control characters and line breaks become spaces.
_ONE_LINE_FIELDS = (*_METADATA_FIELDS, "url", "valid_until", "level", "id")
_WEAK_TITLE_FORMATS = ("pdf", "docx")
#: A text with no title (none given, none at its top: see :func:`extract.has_title`) and fewer
#: characters than this, spaces left out, is no policy but a fragment (a page's leftovers, a
#: stub, a note) and is refused.
MIN_UNTITLED_CHARS = 50


def normalise_level(value) -> str | None:
    """A level code from a code or its Chinese name; None when unknown.

    >>> normalise_level("市级"), normalise_level("county"), normalise_level("?")
    ('municipal', 'county', None)
    """
    value = str(value or "").strip()
    if value in LEVELS:
        return value
    return _LEVEL_ALIASES.get(value)


def _as_list(value) -> list[str]:
    if isinstance(value, str):
        value = value.replace("；", ";").replace(",", ";").split(";")
    return [one_line(str(v)) for v in value or [] if one_line(str(v))]


def _one_line_given(given: dict) -> dict:
    """Given text fields as single lines (a CR/LF in a title would break headers and reports)."""
    out = dict(given)
    for key in _ONE_LINE_FIELDS:
        if isinstance(out.get(key), str):
            out[key] = one_line(out[key])
            if not out[key]:
                out.pop(key)
    if isinstance(out.get("region"), str):
        out["region"] = one_line(out["region"])
    return out


def _given_region(value, warnings: list[str]) -> Region:
    """A given region completed from the division table (code and path) when it is known."""
    region = Region.from_value(value)
    if region.code and region.path:
        return region
    if region.name in ("全国", "中央", "国家"):
        return divisions.NATIONAL
    try:
        return divisions.region_of(divisions.resolve(region.code or region.name))
    except QueryError as exc:
        warnings.append(f"given region {region.name or region.code!r} kept as written: {exc}")
        return region


def _normalise_given(given: dict, warnings: list[str]) -> dict:
    """Given values in their canonical forms, with a warning for each that is not usable."""
    out = _one_line_given(given)
    if out.get("doc_number"):
        out["doc_number"] = normalize_doc_number(str(out["doc_number"])) or str(out["doc_number"]).strip()
    for key in ("written_date", "publish_date", "valid_until"):
        if out.get(key):
            iso = normalize_date(out[key])
            if iso is None:
                warnings.append(f"given {key} {out[key]!r} is not a date; ignored")
                out.pop(key)
            else:
                out[key] = iso
    if "level" in out:
        level = normalise_level(out["level"])
        if level is None:
            warnings.append(f"given level {out['level']!r} is not one of {', '.join(LEVELS)}; ignored")
            out.pop("level")
        else:
            out["level"] = level
    if "region" in out:
        out["region"] = _given_region(out["region"], warnings)
    for key in ("topics", "industries"):
        if key in out:
            out[key] = _as_list(out[key])
    if "type" in out:
        doc_type = known_type(str(out["type"]))
        if doc_type is None:
            warnings.append(f"given type {out['type']!r} is not one of {', '.join(DOC_TYPES)} "
                            "(or 政策文件, 政策解读, 新闻动态, 其他); ignored")
            out.pop("type")
        else:
            out["type"] = doc_type
    return out


def _without_furniture_title(metadata: dict, warnings: list[str]) -> dict:
    """The metadata a file states with its title cleaned of site furniture.

    A title taken from the file itself (a page's ``<title>`` or 信息表, a bulk ``title``
    column, a PDF's properties) loses the site's name and section labels at its start, and
    is dropped when it is nothing but a site's or an institution's name, so that the title
    is read from the text. Titles people give (sidecar, manifest) are taken as written.
    """
    title = metadata.get("title")
    if not isinstance(title, str) or not one_line(title):
        return metadata
    stated = one_line(title)
    cleaned = clean_stated_title(stated)
    if cleaned is None:
        metadata.pop("title")
        warnings.append(f"the file's title {stated!r} is only a site's or an institution's name; "
                        f"the title is read from the text")
    elif cleaned != stated:
        metadata["title"] = cleaned
        warnings.append(f"site furniture cut from the file's title: {stated!r} -> {cleaned!r}")
    return metadata


def _refuse_a_fragment(text: str, given: dict) -> None:
    """Raise for a text too short to be a policy: no title and under MIN_UNTITLED_CHARS characters."""
    size = len(re.sub(r"\s+", "", text))
    if size >= MIN_UNTITLED_CHARS or given.get("title") or has_title(text):
        return
    raise DocumentError(
        f"too short to be a policy: {size} characters of text and no title "
        f"(a document without a title needs at least {MIN_UNTITLED_CHARS})",
        hint="if this is the whole document, give its title in a sidecar <file>.meta.json: "
             "{\"title\": \"…\"}")


def build_policy(raw: RawDocument, overrides: dict, source: SourceFile) -> tuple[Policy, list[str]]:
    """The policy for one parsed document; returns it with warnings for the batch report."""
    warnings = list(raw.warnings)
    if not raw.text.strip():
        raise EmptyDocumentError("no text found in the document")
    if len(raw.text) > MAX_TEXT_CHARS:
        raise DocumentError(f"the text is over {MAX_TEXT_CHARS:,} characters",
                            hint="split the document into its parts")
    file_metadata = _without_furniture_title(dict(raw.metadata), warnings)
    # A title embedded in PDF or Word properties is often a template's or a file name's:
    # the title printed at the top of the text is preferred, the embedded one is a fallback.
    embedded_title = file_metadata.pop("title", None) if raw.format in _WEAK_TITLE_FORMATS else None
    given = _normalise_given({**file_metadata, **overrides}, warnings)
    _refuse_a_fragment(raw.text, given)
    raw_for_extract = RawDocument(text=raw.text, format=raw.format,
                                  metadata={k: v for k, v in given.items() if k in _METADATA_FIELDS},
                                  warnings=[], source_path=raw.source_path)
    extracted = extract_metadata(raw_for_extract)
    fields = {key: given.get(key) or extracted.get(key) for key in _METADATA_FIELDS}
    if not fields["title"]:
        fields["title"] = embedded_title or raw.text.strip().split("\n", 1)[0][:60]
    fields = {key: one_line(value) if isinstance(value, str) else value for key, value in fields.items()}
    tags = classify(fields["title"], raw.text, fields["issuer"], fields["doc_number"],
                    fields["written_date"], fields["publish_date"])
    for key in TAG_FIELDS:
        if key in given:
            tags[key] = given[key]
    if tags["type"] == "interpretation" and not given.get("doc_number"):
        # the 文号 an interpretation names is its policy's, not its own: taken as its own, it
        # would give the interpretation the policy's id and replace the policy
        fields["doc_number"] = None
    provenance = {}
    for key in _METADATA_FIELDS:
        if fields.get(key):
            provenance[key] = "given" if given.get(key) else "extracted"
    for key in TAG_FIELDS:
        provenance[key] = "given" if key in given else "inferred"
    if given.get("id"):
        provenance["id"] = "given"
    new_id = policy_id(given_id=given.get("id"), doc_number=fields["doc_number"],
                       title=fields["title"], issuer=fields["issuer"], text=raw.text)
    policy = Policy(id=new_id, text=raw.text, url=given.get("url"), source=source,
                    level=tags["level"], region=tags["region"], topics=tags["topics"],
                    industries=tags["industries"], valid_until=tags["valid_until"], type=tags["type"],
                    provenance=provenance, **fields)
    return policy, warnings
