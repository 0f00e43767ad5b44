"""Backup and restore of the catalog: ``policy-search export`` and ``policy-search import``.

A backup is one JSON document (gzip-compressed when the file name ends in
``.gz``) holding what a new server needs to answer every link the old one ever
handed out: each policy's catalog record with its status (active or removed)
and replacement, the aliases of ids that changed, and the saved searches of
printed posters. Ingestion history and source-file fingerprints stay behind:
they describe the old server's files, not the links.

Import goes through :class:`~policy_search.writer.PolicyWriter`, holding the
lock like an ingest. Policy ids are deterministic, so a backup imported on top
of a fresh ingest of the same files meets the same ids and adds no duplicates.
"""
from __future__ import annotations

import contextlib
import datetime
import gzip
import json
import os
import tempfile
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from .catalog import Catalog
from .errors import BackupError, IndexMissingError
from .ids import is_safe_id
from .links import SAVED_SEARCH_KEYS
from .models import Policy
from .settings import DataPaths
from .writer import PolicyWriter

FORMAT = "policy-search-backup"
VERSION = 1
STATUSES = ("active", "removed")

_GZIP_MAGIC = b"\x1f\x8b"
_DAMAGED_HINT = "the file is damaged or was not written by 'policy-search export'; export it again"
_OPTIONAL_STRINGS = ("doc_number", "issuer", "written_date", "publish_date", "level", "url", "valid_until")
_STRING_LISTS = ("topics", "industries")
_SOURCE_KEYS = {"path", "format", "sha256"}


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

    @property
    def changes(self) -> int:
        """How many writes the import made."""
        return self.added + self.replaced + self.removed + self.aliases + self.saved_searches

    def to_dict(self) -> dict:
        """The JSON shape of ``import --json``."""
        return {**asdict(self), "changes": self.changes}

    def summary(self) -> str:
        """One line for the terminal."""
        return (f"{_plural(self.added, 'policy', 'policies')} added, {self.replaced} replaced, {self.kept} kept; "
                f"{self.removed} marked removed, {_plural(self.aliases, 'alias', 'aliases')}, "
                f"{_plural(self.saved_searches, 'saved search', 'saved searches')} restored.")


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


def read_backup(path: str | Path) -> Backup:
    """Read and check a backup file; raises :class:`BackupError` for anything unusable."""
    document = _load_json(Path(path))
    return parse_backup(document, str(path))


def _load_json(path: Path):
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise BackupError(f"{path}: no such file", hint="give the file written by 'policy-search export'") from None
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror}", hint="check the path and its permissions") from None
    if raw.startswith(_GZIP_MAGIC):
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise BackupError(f"{path}: the compressed data is damaged ({exc})", hint=_DAMAGED_HINT) from None
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise BackupError(f"{path} is not UTF-8 text", hint=_DAMAGED_HINT) from None
    except json.JSONDecodeError as exc:
        raise BackupError(f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})",
                          hint=_DAMAGED_HINT) from None


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
    return Backup(path=where, exported_at=str(document.get("exported_at") or ""),
                  with_text=document.get("with_text") is not False, policies=entries,
                  aliases=_aliases(_expect(document, "aliases", dict, where), where),
                  saved_searches=_saved_searches(_expect(document, "saved_searches", dict, where), where))


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
    return PolicyEntry(policy=policy, has_text="text" in record, removed=status == "removed",
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
    unknown = set(record.get("source") or {}) - _SOURCE_KEYS
    if unknown:
        raise _malformed(f"{where}: unknown source fields {sorted(unknown)}")


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
    has them. Importing the same backup again changes nothing.
    """
    report = ImportReport(exported_at=backup.exported_at)
    with PolicyWriter(Path(data_dir), wait=wait, on_wait=on_wait) as writer:
        report.recovered = writer.recovered
        with writer.transaction():
            for entry in backup.policies:
                _restore_policy(writer, entry, replace, report)
            for old_id, new_id in backup.aliases.items():
                _restore_alias(writer, old_id, new_id, report)
            for search_id, params in backup.saved_searches.items():
                report.saved_searches += writer.catalog.put_saved_search(search_id, params)
            if report.changes:
                writer.catalog.log(None, "imported", backup.path, None, report.summary())
        writer.commit()
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
    wanted = entry.policy if entry.has_text else _with_text(entry.policy, current.text)
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


def _with_text(policy: Policy, text: str) -> Policy:
    return Policy.from_dict({**policy.to_dict(), "text": text})


def _same_record(a: Policy, b: Policy) -> bool:
    return (json.dumps(a.to_dict(), sort_keys=True, ensure_ascii=False)
            == json.dumps(b.to_dict(), sort_keys=True, ensure_ascii=False))


def _same_status(status: dict, entry: PolicyEntry) -> bool:
    wanted = "removed" if entry.removed else "active"
    return status["status"] == wanted and (not entry.removed or status["replaced_by"] == entry.replaced_by)
