"""Backup and restore of the catalog: ``policy-search export`` and ``policy-search import``.

A backup is one JSON document (gzip-compressed when the file name ends in
``.gz``) holding what a new server needs to answer every link the old one ever
handed out: each policy's catalog record with its status (active or removed)
and replacement, the aliases of ids that changed, and the saved searches of
printed posters. Ingestion history and source-file fingerprints stay behind:
they describe the old server's files, not the links.

Import goes through :class:`~policy_search.storage.writer.PolicyWriter`, holding the
lock like an ingest. Policy ids are deterministic, so a backup imported on top
of a fresh ingest of the same files meets the same ids and adds no duplicates.

A backup is never trusted, whoever wrote it:

- it is read as a stream and refused past :data:`MAX_BACKUP_BYTES` once
  uncompressed, so a gzip bomb costs no more memory than that;
- a file whose shape is wrong (not JSON, another format or version, a field of
  the wrong JSON type, a malformed id) is refused whole, nothing written;
- each policy record is then checked as ingest checks what it reads (formats,
  levels, ISO dates, lengths, region, the text limit) after control characters
  are taken out of its one-line fields; a record that fails is left out and
  listed in the report's ``failed``, the others are imported;
- ``source.path`` is dropped: a restored policy has no original file to download
  until this server ingests it (an existing policy keeps the source its own
  ingest recorded, even with ``--replace``).
"""
from __future__ import annotations

import contextlib
import dataclasses
import datetime
import gzip
import json
import os
import tempfile
import zlib
from collections.abc import Callable
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from policy_search.storage.catalog import Catalog
from policy_search.text.cleaning import one_line
from policy_search.text.dates import parse_chinese_date
from policy_search.text.divisions import KINDS as DIVISION_KINDS
from policy_search.errors import BackupError, IndexMissingError
from policy_search.ids import is_safe_id
from policy_search.links import SAVED_SEARCH_KEYS
from policy_search.models import LEVELS, SOURCE_FORMATS, Policy, Region, SourceFile
from policy_search.settings import DataPaths
from policy_search.storage.writer import PolicyWriter, unindexable_reason

FORMAT = "policy-search-backup"
VERSION = 1
STATUSES = ("active", "removed")

_GZIP_MAGIC = b"\x1f\x8b"
_DAMAGED_HINT = "the file is damaged or was not written by 'policy-search export'; export it again"
_OPTIONAL_STRINGS = ("doc_number", "issuer", "written_date", "publish_date", "level", "url", "valid_until")
_STRING_LISTS = ("topics", "industries")
_SOURCE_KEYS = {"path", "format", "sha256"}
_REGION_KEYS = {"code", "name", "path"}

#: The most bytes a backup may hold once uncompressed (1 GiB: tens of thousands of policies with
#: their texts); reading stops there, so memory stays bounded whatever the file claims.
MAX_BACKUP_BYTES = 1024 ** 3
_READ_CHUNK_BYTES = 1024 ** 2
#: Longest one-line values import accepts, in characters (ingest's own values are far shorter:
#: titles and issuers are lines of a document, 文号 a few dozen characters).
MAX_FIELD_CHARS = {"title": 500, "doc_number": 100, "issuer": 300, "url": 2_000}
#: At most this many topics and industries, each at most MAX_TAG_CHARS characters.
MAX_TAGS = 50
MAX_TAG_CHARS = 100
#: Region names (and each name of its path) at most this long; its path at most one name per
#: division kind (province, city, county); its code empty or six digits.
MAX_REGION_NAME_CHARS = 100
_DIVISION_CODE = re.compile(r"[0-9]{6}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_DATE_FIELDS = ("written_date", "publish_date", "valid_until")
_PROVENANCES = ("given", "extracted", "inferred")


@dataclass
class PolicyEntry:
    """One policy of a backup: its record, whether the text came with it, its status."""

    policy: Policy
    has_text: bool
    removed: bool
    replaced_by: str | None


@dataclass
class Backup:
    """A backup as read from a file, checked and ready to import."""

    path: str
    exported_at: str
    with_text: bool
    policies: list[PolicyEntry]
    aliases: dict[str, str]
    saved_searches: dict[str, dict]
    #: Policy records left out because they failed the checks: ``{"id", "error"}``.
    failed: list[dict] = field(default_factory=list)

    def counts(self) -> dict:
        """How many of each thing the backup holds."""
        return _counts(len(self.policies), sum(e.removed for e in self.policies),
                       len(self.aliases), len(self.saved_searches))


@dataclass
class ImportReport:
    """What an import did; a second import of the same file reports no changes."""

    exported_at: str = ""
    added: int = 0
    replaced: int = 0
    kept: int = 0
    removed: int = 0
    aliases: int = 0
    saved_searches: int = 0
    without_text: int = 0
    recovered: int = 0
    #: Policies not imported (they failed the checks) or set aside by recovery: ``{"id", "error"}``.
    failed: list[dict] = field(default_factory=list)

    @property
    def changes(self) -> int:
        """How many writes the import made."""
        return self.added + self.replaced + self.removed + self.aliases + self.saved_searches

    def to_dict(self) -> dict:
        """The JSON shape of ``import --json``."""
        return {**asdict(self), "changes": self.changes}

    def summary(self) -> str:
        """One line for the terminal."""
        line = (f"{_plural(self.added, 'policy', 'policies')} added, {self.replaced} replaced, {self.kept} kept; "
                f"{self.removed} marked removed, {_plural(self.aliases, 'alias', 'aliases')}, "
                f"{_plural(self.saved_searches, 'saved search', 'saved searches')} restored.")
        if self.failed:
            line += f" {_plural(len(self.failed), 'policy', 'policies')} failed and were left out."
        return line

    @property
    def exit_code(self) -> int:
        """0 when every policy was imported, 1 when some failed (the rest are in), as for ingest."""
        return 1 if self.failed else 0


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _counts(policies: int, removed: int, aliases: int, searches: int) -> dict:
    return {"policies": policies, "removed": removed, "aliases": aliases, "saved_searches": searches}


# --- export ------------------------------------------------------------------------------


def export_catalog(data_dir: Path, target: str | Path, *, with_text: bool = True) -> dict:
    """Write the catalog of a data directory to ``target``; returns the counts written."""
    target = Path(target)
    compress = _wants_gzip(target)
    catalog_file = DataPaths(Path(data_dir)).catalog_file
    if not catalog_file.is_file():
        raise IndexMissingError(f"no catalog in {data_dir}",
                                hint=f"check --data-dir, or run: policy-search --data-dir {data_dir} ingest corpus/")
    catalog = Catalog(catalog_file)
    try:
        with catalog.read_snapshot():
            document = backup_document(catalog, with_text=with_text)
    finally:
        catalog.close()
    data = (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    _write_atomically(target, gzip.compress(data) if compress else data)
    return document["counts"]


def export_summary(counts: dict, target: str | Path, with_text: bool) -> str:
    """One line for the terminal after an export."""
    return (f"Exported {_plural(counts['policies'], 'policy', 'policies')} ({counts['removed']} removed), "
            f"{_plural(counts['aliases'], 'alias', 'aliases')} and "
            f"{_plural(counts['saved_searches'], 'saved search', 'saved searches')} to {target} "
            f"({'with' if with_text else 'without'} texts).")


def backup_document(catalog: Catalog, *, with_text: bool = True) -> dict:
    """The backup of a catalog as a JSON-ready dict."""
    policies = [_policy_entry_json(record, status, replaced_by, with_text)
                for record, status, replaced_by in catalog.policy_rows()]
    aliases = catalog.aliases()
    searches = catalog.saved_searches()
    removed = sum(p["status"] == "removed" for p in policies)
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "with_text": with_text,
        "counts": _counts(len(policies), removed, len(aliases), len(searches)),
        "policies": policies,
        "aliases": aliases,
        "saved_searches": searches,
    }


def _policy_entry_json(record: dict, status: str, replaced_by: str | None, with_text: bool) -> dict:
    record = dict(record)
    record.pop("status", None)  # validity as of the day it was stored: derived, recomputed on import
    if not with_text:
        record.pop("text", None)
    return {"status": status, "replaced_by": replaced_by, "record": record}


def _wants_gzip(target: Path) -> bool:
    name = target.name.lower()
    if name.endswith(".json.gz"):
        return True
    if name.endswith(".json"):
        return False
    raise BackupError(f"cannot tell the format of {target} from its name",
                      hint="name the backup FILE.json, or FILE.json.gz to compress it")


def _write_atomically(target: Path, data: bytes) -> None:
    """Write a whole file or nothing: a temporary file beside it, then a rename."""
    folder = target.parent
    if not folder.is_dir():
        raise BackupError(f"cannot write {target}: the folder {folder} does not exist",
                          hint="create the folder first, or choose another path")
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise BackupError(f"cannot write in {folder}: {exc.strerror}",
                          hint="choose a folder you can write to") from None
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise BackupError(f"cannot write {target}: {exc.strerror}",
                          hint="check that the folder is writable and the disk has room") from None


# --- reading a backup --------------------------------------------------------------------


def read_backup(path: str | Path, *, max_bytes: int | None = None) -> Backup:
    """Read and check a backup file; raises :class:`BackupError` for anything unusable.

    ``max_bytes`` (default :data:`MAX_BACKUP_BYTES`) caps the uncompressed size.
    """
    document = _load_json(Path(path), max_bytes or MAX_BACKUP_BYTES)
    return parse_backup(document, str(path))


def _load_json(path: Path, max_bytes: int):
    raw = _read_capped(path, max_bytes)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BackupError(f"{path} is not UTF-8 text", hint=_DAMAGED_HINT) from None
    del raw
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BackupError(f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})",
                          hint=_DAMAGED_HINT) from None
    except RecursionError:
        raise BackupError(f"{path} nests JSON too deeply to read", hint=_DAMAGED_HINT) from None


def _read_capped(path: Path, max_bytes: int) -> bytearray:
    """The file's bytes, gunzipped when it is gzip, read in chunks and refused past ``max_bytes``."""
    try:
        with open(path, "rb") as handle:
            if _GZIP_MAGIC != handle.peek(2)[:2]:
                _refuse_if_larger(path, os.fstat(handle.fileno()).st_size, max_bytes)
                return _read_chunks(handle, path, max_bytes)
            try:
                with gzip.GzipFile(fileobj=handle) as stream:
                    return _read_chunks(stream, path, max_bytes)
            except (OSError, EOFError, zlib.error) as exc:
                raise BackupError(f"{path}: the compressed data is damaged ({exc})", hint=_DAMAGED_HINT) from None
    except FileNotFoundError:
        raise BackupError(f"{path}: no such file", hint="give the file written by 'policy-search export'") from None
    except IsADirectoryError:
        raise BackupError(f"{path} is a folder", hint="give the file written by 'policy-search export'") from None
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror}", hint="check the path and its permissions") from None


def _read_chunks(stream, path: Path, max_bytes: int) -> bytearray:
    data = bytearray()
    while chunk := stream.read(_READ_CHUNK_BYTES):
        data += chunk
        _refuse_if_larger(path, len(data), max_bytes)
    return data


def _refuse_if_larger(path: Path, size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise BackupError(f"{path} holds over {_size(max_bytes)} once uncompressed: more than any backup "
                          "this server reads (a damaged file, or a decompression bomb)",
                          hint="check where the file came from; export the catalog again")


def _size(count: int) -> str:
    """A byte count for a message.

    >>> _size(1024 ** 3), _size(10 * 1024 ** 2), _size(1000)
    ('1 GiB', '10 MiB', '1000 bytes')
    """
    for unit, scale in (("GiB", 1024 ** 3), ("MiB", 1024 ** 2), ("KiB", 1024)):
        if count >= scale and count % scale == 0:
            return f"{count // scale} {unit}"
    return f"{count} bytes"


def parse_backup(document, where: str = "backup") -> Backup:
    """Check a decoded backup document and turn it into a :class:`Backup`."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise BackupError(f"{where} is not a policy-search backup",
                          hint="make one with: policy-search export FILE.json")
    version = document.get("version")
    if type(version) is not int or version != VERSION:
        raise BackupError(f"{where} is a backup of format version {version!r}; this policy-search reads version {VERSION}",
                          hint="import it with the policy-search release that exported it, or upgrade this one")
    policies = _expect(document, "policies", list, where)
    entries = [_policy_entry(raw, f"{where}: policy {number}") for number, raw in enumerate(policies, 1)]
    _refuse_duplicates(entries, where)
    accepted, failed = _split_failing(entries)
    return Backup(path=where, exported_at=str(document.get("exported_at") or ""),
                  with_text=document.get("with_text") is not False, policies=accepted,
                  aliases=_aliases(_expect(document, "aliases", dict, where), where),
                  saved_searches=_saved_searches(_expect(document, "saved_searches", dict, where), where),
                  failed=failed)


def _malformed(message: str) -> BackupError:
    return BackupError(message, hint=_DAMAGED_HINT)


def _expect(document: dict, key: str, kind: type, where: str):
    value = document.get(key)
    if not isinstance(value, kind):
        raise _malformed(f"{where}: '{key}' is missing or not a JSON {'list' if kind is list else 'object'}")
    return value


def _is_id(value) -> bool:
    return isinstance(value, str) and is_safe_id(value)


def _policy_entry(raw, where: str) -> PolicyEntry:
    if not isinstance(raw, dict):
        raise _malformed(f"{where} is not a JSON object")
    status, replaced_by, record = raw.get("status"), raw.get("replaced_by"), raw.get("record")
    if status not in STATUSES:
        raise _malformed(f"{where}: status must be 'active' or 'removed', not {status!r}")
    if replaced_by is not None and (status != "removed" or not _is_id(replaced_by)):
        raise _malformed(f"{where}: replaced_by {replaced_by!r} must be the id of a policy, on a removed one")
    if not isinstance(record, dict):
        raise _malformed(f"{where}: 'record' is missing or not a JSON object")
    _check_record(record, where)
    try:
        policy = Policy.from_dict(record)
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise _malformed(f"{where}: the record cannot be read ({exc})") from None
    return PolicyEntry(policy=_cleaned(policy), has_text="text" in record, removed=status == "removed",
                       replaced_by=replaced_by)


def _check_record(record: dict, where: str) -> None:
    """Field types of a policy record, so nothing odd reaches the catalog or the index."""
    if not _is_id(record.get("id")):
        raise _malformed(f"{where}: {record.get('id')!r} is not a policy id")
    where = f"{where} ({record['id']})"
    for key in ("title", "text"):
        if key in record and not isinstance(record[key], str):
            raise _malformed(f"{where}: '{key}' must be text")
    for key in _OPTIONAL_STRINGS:
        if record.get(key) is not None and not isinstance(record[key], str):
            raise _malformed(f"{where}: '{key}' must be text or null")
    for key in _STRING_LISTS:
        value = record.get(key)
        if value is not None and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise _malformed(f"{where}: '{key}' must be a list of text")
    for key in ("region", "source", "provenance"):
        if record.get(key) is not None and not isinstance(record[key], dict):
            raise _malformed(f"{where}: '{key}' must be a JSON object")
    _check_object(record.get("source") or {}, _SOURCE_KEYS, f"{where}: source")
    _check_object(record.get("region") or {}, _REGION_KEYS, f"{where}: region")
    region_path = (record.get("region") or {}).get("path")
    if region_path is not None and not (isinstance(region_path, list)
                                        and all(isinstance(name, str) for name in region_path)):
        raise _malformed(f"{where}: region 'path' must be a list of text")
    if not all(isinstance(v, str) for v in (record.get("provenance") or {}).values()):
        raise _malformed(f"{where}: 'provenance' must map fields to text")


def _check_object(value: dict, keys: set[str], where: str) -> None:
    """Only known keys, each text or null (but a region's path, a list checked apart)."""
    unknown = set(value) - keys
    if unknown:
        raise _malformed(f"{where}: unknown fields {sorted(unknown)}")
    for key, item in value.items():
        if item is not None and not isinstance(item, str) and not (keys is _REGION_KEYS and key == "path"):
            raise _malformed(f"{where}: '{key}' must be text or null")


# --- the values of each record, checked as ingest checks what it reads ----------------------


def _cleaned(policy: Policy) -> Policy:
    """The record with control characters out of its one-line fields, and no source path.

    A path in a backup names a file of another machine, or any file at all in a crafted
    one: a restored policy gets an original file only when this server ingests it.
    """
    region = policy.region
    return dataclasses.replace(
        policy, title=one_line(policy.title), text=_clean_text(policy.text),
        **{key: _optional_line(getattr(policy, key)) for key in _OPTIONAL_STRINGS},
        region=Region(code=one_line(region.code), name=one_line(region.name), path=_lines(region.path)),
        topics=_lines(policy.topics), industries=_lines(policy.industries),
        source=SourceFile(path=None, format=one_line(policy.source.format or ""),
                          sha256=one_line(policy.source.sha256 or "")))


def _optional_line(value: str | None) -> str | None:
    return (one_line(value) or None) if value is not None else None


def _lines(values: list[str]) -> list[str]:
    return [line for line in map(one_line, values) if line]


_TEXT_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _clean_text(text: str) -> str:
    """The body text with its line breaks as ``\\n`` and no other control characters but tabs.

    >>> _clean_text("第一条\\r\\n第二条\\x00\\t完")
    '第一条\\n第二条\\t完'
    """
    return _TEXT_CONTROLS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def _split_failing(entries: list[PolicyEntry]) -> tuple[list[PolicyEntry], list[dict]]:
    """The entries that pass the value checks, and ``{"id", "error"}`` for those that do not."""
    accepted, failed = [], []
    for entry in entries:
        problems = record_problems(entry.policy)
        if problems:
            failed.append({"id": entry.policy.id, "error": "; ".join(problems)})
        else:
            accepted.append(entry)
    return accepted, failed


def record_problems(policy: Policy) -> list[str]:
    """Why a (cleaned) policy record cannot be imported; empty when it can."""
    problems = [*_length_problems(policy), *_date_problems(policy), *_tag_problems(policy),
                *_region_problems(policy.region), *_source_problems(policy.source),
                *_provenance_problems(policy.provenance)]
    if policy.level is not None and policy.level not in LEVELS:
        problems.append(f"level {_shown(policy.level)} is not one of {', '.join(LEVELS)}")
    text_problem = unindexable_reason(policy)
    if text_problem:
        problems.append(text_problem)
    return problems


def _shown(value: str, limit: int = 40) -> str:
    """A value quoted for a message, cut short when long."""
    return repr(value if len(value) <= limit else value[:limit] + "…")


def _length_problems(policy: Policy) -> list[str]:
    problems = []
    for key, limit in MAX_FIELD_CHARS.items():
        value = getattr(policy, key) or ""
        if len(value) > limit:
            problems.append(f"{key} is {len(value):,} characters long, over the {limit:,} allowed")
    return problems


def _date_problems(policy: Policy) -> list[str]:
    problems = []
    for key in _DATE_FIELDS:
        value = getattr(policy, key)
        if value is not None and parse_chinese_date(value) != value:
            problems.append(f"{key} {_shown(value)} is not a date as YYYY-MM-DD (1900-2099)")
    return problems


def _tag_problems(policy: Policy) -> list[str]:
    problems = []
    for key in ("topics", "industries"):
        values = getattr(policy, key)
        if len(values) > MAX_TAGS:
            problems.append(f"{key} has {len(values):,} entries, over the {MAX_TAGS} allowed")
        if any(len(v) > MAX_TAG_CHARS for v in values):
            problems.append(f"{key} has an entry over {MAX_TAG_CHARS} characters")
    return problems


def _region_problems(region: Region) -> list[str]:
    problems = []
    if region.code and not _DIVISION_CODE.fullmatch(region.code):
        problems.append(f"region code {_shown(region.code)} is not six digits")
    if len(region.path) > len(DIVISION_KINDS):
        problems.append(f"region path has {len(region.path):,} names, over the {len(DIVISION_KINDS)} "
                        f"of a {'/'.join(DIVISION_KINDS)}")
    if any(len(name) > MAX_REGION_NAME_CHARS for name in [region.name, *region.path]):
        problems.append(f"region has a name over {MAX_REGION_NAME_CHARS} characters")
    return problems


def _source_problems(source: SourceFile) -> list[str]:
    problems = []
    if source.format and source.format not in SOURCE_FORMATS:
        problems.append(f"source format {_shown(source.format)} is not one of {', '.join(SOURCE_FORMATS)}")
    if source.sha256 and not _SHA256.fullmatch(source.sha256):
        problems.append(f"source sha256 {_shown(source.sha256)} is not 64 hexadecimal digits")
    return problems


def _provenance_problems(provenance: dict[str, str]) -> list[str]:
    known = {f.name for f in dataclasses.fields(Policy)}
    if all(key in known and value in _PROVENANCES for key, value in provenance.items()):
        return []
    return [f"provenance must map policy fields to one of {', '.join(_PROVENANCES)}"]


def _refuse_duplicates(entries: list[PolicyEntry], where: str) -> None:
    seen: set[str] = set()
    for entry in entries:
        if entry.policy.id in seen:
            raise _malformed(f"{where}: policy {entry.policy.id} appears twice")
        seen.add(entry.policy.id)


def _aliases(raw: dict, where: str) -> dict[str, str]:
    for old_id, new_id in raw.items():
        if not (_is_id(old_id) and _is_id(new_id)) or old_id == new_id:
            raise _malformed(f"{where}: alias {old_id!r} → {new_id!r} is not a pair of different policy ids")
    return dict(raw)


def _saved_searches(raw: dict, where: str) -> dict[str, dict]:
    for search_id, params in raw.items():
        if not _is_id(search_id):
            raise _malformed(f"{where}: {search_id!r} is not a saved-search id")
        if not isinstance(params, dict) or not all(k in SAVED_SEARCH_KEYS and isinstance(v, str)
                                                   for k, v in params.items()):
            raise _malformed(f"{where}: saved search {search_id} must map {', '.join(SAVED_SEARCH_KEYS)} to text")
    return dict(raw)


# --- import ------------------------------------------------------------------------------


def import_backup(backup: Backup, data_dir: Path, *, replace: bool = False, wait: bool = True,
                  on_wait: Callable[[str], None] | None = None) -> ImportReport:
    """Restore a backup into a data directory, in one catalog transaction and one index commit.

    Policies the directory lacks are added (indexed when active). Policies it has
    keep their record, unless ``replace``: then the backup's record and status win.
    Removals, replacements, aliases and saved searches are restored as the backup
    has them. Importing the same backup again changes nothing. Records that failed the
    checks (``backup.failed``) are not written; the report lists them under ``failed``,
    with any policy recovery had to set aside.
    """
    report = ImportReport(exported_at=backup.exported_at, failed=list(backup.failed))
    with PolicyWriter(Path(data_dir), wait=wait, on_wait=on_wait) as writer:
        report.recovered = writer.recovered
        report.failed += writer.set_aside
        writer.start_batch("import")
        with writer.transaction():
            for entry in backup.policies:
                _restore_policy(writer, entry, replace, report)
            for old_id, new_id in backup.aliases.items():
                _restore_alias(writer, old_id, new_id, report)
            for search_id, params in backup.saved_searches.items():
                report.saved_searches += writer.catalog.put_saved_search(search_id, params)
            if report.changes:
                writer.catalog.log(None, "imported", backup.path, None, report.summary())
            for failure in backup.failed:
                writer.catalog.log(None, "failed", backup.path, failure["id"], f"not imported: {failure['error']}")
        writer.commit()
        writer.finish_batch(report.to_dict())
    return report


def _restore_policy(writer: PolicyWriter, entry: PolicyEntry, replace: bool, report: ImportReport) -> None:
    catalog = writer.catalog
    current = catalog.get_policy(entry.policy.id)
    if current is None:
        _write_policy(writer, entry.policy, entry)
        report.added += 1
        report.removed += entry.removed
        report.without_text += not entry.has_text
        return
    # this server's own file stays the source: a backup's path is never taken over
    wanted = dataclasses.replace(entry.policy, text=entry.policy.text if entry.has_text else current.text,
                                 source=current.source)
    status = catalog.policy_status(entry.policy.id)
    status_differs = not _same_status(status, entry)
    if replace and (status_differs or not _same_record(current, wanted)):
        _write_policy(writer, wanted, entry)
        report.replaced += 1
        report.removed += entry.removed and status_differs
        return
    report.kept += 1
    if entry.removed and status_differs:
        writer.remove(entry.policy.id, replaced_by=entry.replaced_by)
        report.removed += 1


def _write_policy(writer: PolicyWriter, policy: Policy, entry: PolicyEntry) -> None:
    """Put a policy in the catalog with the backup's status; only an active one is indexed."""
    if entry.removed:
        writer.catalog.put_policy(policy)
        writer.remove(policy.id, replaced_by=entry.replaced_by)
    else:
        writer.put(policy)


def _restore_alias(writer: PolicyWriter, old_id: str, new_id: str, report: ImportReport) -> None:
    if writer.catalog.resolve_alias(old_id) != new_id:
        writer.alias(old_id, new_id)
        report.aliases += 1


def _same_record(a: Policy, b: Policy) -> bool:
    return (json.dumps(a.to_dict(), sort_keys=True, ensure_ascii=False)
            == json.dumps(b.to_dict(), sort_keys=True, ensure_ascii=False))


def _same_status(status: dict, entry: PolicyEntry) -> bool:
    wanted = "removed" if entry.removed else "active"
    return status["status"] == wanted and (not entry.removed or status["replaced_by"] == entry.replaced_by)
