"""The ingest pipeline: discover → fingerprint → sniff → parse → extract → classify → write.

The runner, not the stages, deals with failure: a file that cannot be read
becomes a ``failed`` line in the report and the batch goes on.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from policy_search.catalog import Catalog
from policy_search.errors import DocumentError, FileTooLargeError
from policy_search.models import Policy, SourceFile
from policy_search.settings import DataPaths
from policy_search.writer import PolicyWriter

from .build import build_policy
from .discover import Source, discover
from .overrides import read_overrides
from .parsers import BULK_READERS, PARSERS
from .parsers import base as parsers_base
from .parsers.base import MAX_FILE_BYTES
from .report import BatchReport
from .sniff import sniff_format
from .timelimit import run_within_limit

#: Bump when parsing or extraction changes, so every file is read again.
PIPELINE_VERSION = "1"


@dataclass
class Parsed:
    """What one source file gave: policies, per-record failures, warnings."""

    policies: list[Policy]
    failures: list[tuple[str, str]]
    warnings: list[str]


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fingerprint(file_hash: str, overrides: dict) -> str:
    """What decides whether a file must be read again: its bytes, its overrides, the pipeline."""
    key = json.dumps([PIPELINE_VERSION, file_hash, overrides], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def reason(exc: Exception) -> str:
    """A failure reason for the report: the message, plus the hint when there is one."""
    hint = getattr(exc, "hint", None)
    return f"{exc} ({hint})" if hint else str(exc)


def parse_source(source: Source, overrides: dict, file_hash: str) -> Parsed:
    """Read one file into policies; raises DocumentError for a file that cannot be read at all.

    Nothing is written here. Every step runs within ``PARSE_TIME_LIMIT_S``
    (read when called): sniffing, then the whole parse of a document file, or
    for a bulk file the reading and the building of each record.
    """
    limit = parsers_base.PARSE_TIME_LIMIT_S
    fmt = run_within_limit(limit, sniff_format, source.path)
    info = SourceFile(path=str(source.path), format=fmt, sha256=file_hash)
    if fmt in BULK_READERS:
        return _parse_bulk(source, fmt, info, limit)
    return run_within_limit(limit, _parse_document, source, fmt, overrides, info)


def _parse_document(source: Source, fmt: str, overrides: dict, info: SourceFile) -> Parsed:
    """One file, one policy."""
    raw = PARSERS[fmt](source.path)
    policy, notes = build_policy(raw, overrides, info)
    return Parsed([policy], [], notes)


def _parse_bulk(source: Source, fmt: str, info: SourceFile, limit: float) -> Parsed:
    """One policy a record; a bad or slow record is a failure of its own line."""
    parsed = Parsed([], [], [])
    records = BULK_READERS[fmt](source.path)
    while (record := run_within_limit(limit, next, records, None)) is not None:
        where = f"{source.display}:{record.line}"
        if record.error is not None:
            parsed.failures.append((where, reason(record.error)))
            continue
        try:
            policy, notes = run_within_limit(limit, build_policy, record.document, {}, info)
        except DocumentError as exc:
            parsed.failures.append((where, reason(exc)))
            continue
        parsed.policies.append(policy)
        parsed.warnings.extend(f"line {record.line}: {n}" for n in notes)
    return parsed


class _DryRunWriter:
    """Stands in for PolicyWriter in a dry run: answers what would happen, writes nothing."""

    def __init__(self, data_dir: Path):
        paths = DataPaths(data_dir)
        self.catalog = Catalog(paths.catalog_file) if paths.catalog_file.exists() else None
        self.recovered = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.catalog is not None:
            self.catalog.close()

    def known_source(self, key):
        return self.catalog.source(key) if self.catalog else None

    def put(self, policy):
        known = self.catalog is not None and self.catalog.get_policy(policy.id) is not None
        return "updated" if known else "added"

    def remove(self, policy_id, replaced_by=None):
        pass

    def alias(self, old_id, new_id):
        pass

    def record_source(self, *args, **kwargs):
        pass

    def note_source_root(self, key, root):
        pass

    def transaction(self):
        return contextlib.nullcontext()

    def commit(self):
        return 0


def _retire_vanished(writer, old_ids: list[str], new_ids: list[str], report: BatchReport, display: str) -> None:
    """Policies a changed file no longer yields: redirected to its one new policy, or removed."""
    for old_id in (i for i in old_ids if i not in new_ids):
        successor = new_ids[0] if len(new_ids) == 1 and len(old_ids) == 1 else None
        writer.remove(old_id, replaced_by=successor)
        if successor:
            writer.alias(old_id, successor)
            report.warn(display, f"identity changed: old id {old_id} now redirects to {successor}")
        else:
            report.count("removed")


def _check_size(path: Path) -> None:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise FileTooLargeError(f"file is {size / 2**20:.0f} MB; the limit is {MAX_FILE_BYTES / 2**20:.0f} MB",
                                hint="split it, or extract its text first")


def _owner_elsewhere(writer, policy: Policy) -> str | None:
    """The other source file that already holds a policy under this given id, if it still exists.

    A given id (a sidecar's or a bulk record's ``id``) must not silently take over the
    policy of another file. When that file is gone, the policy has moved and may follow.
    """
    if (policy.provenance or {}).get("id") != "given" or writer.catalog is None:
        return None
    current = writer.catalog.get_policy(policy.id)
    if current is None or not current.source.path or current.source.path == policy.source.path:
        return None
    return current.source.path if Path(current.source.path).exists() else None


def _put_policies(writer, source: Source, parsed: Parsed, report: BatchReport, seen: dict[str, str],
                  replace_ids: bool) -> list[str]:
    """Write a file's policies to the catalog; returns the ids written."""
    new_ids = []
    for policy in parsed.policies:
        owner = None if replace_ids else _owner_elsewhere(writer, policy)
        if owner is not None:
            report.fail(source.display, f"given id {policy.id} already belongs to the policy of "
                                        f"{owner}; not replaced (pass --replace-ids to replace it)")
            continue
        duplicate = policy.id in seen and seen[policy.id] != source.display
        if duplicate:
            report.warn(source.display, f"same policy as {seen[policy.id]} (id {policy.id}); this copy replaces it")
        seen[policy.id] = source.display
        action = writer.put(policy)
        if not duplicate:
            report.count(action)
        new_ids.append(policy.id)
    return new_ids


def _ingest_one(writer, source: Source, report: BatchReport, seen: dict[str, str], batch_id,
                replace_ids: bool = False) -> None:
    """Stages for one file, in order; raises for a file that cannot be read."""
    _check_size(source.path)
    overrides, override_warnings = read_overrides(source.path)
    for warning in override_warnings:
        report.warn(source.display, warning)
    file_hash = file_sha256(source.path)
    source_print = fingerprint(file_hash, overrides)
    known = writer.known_source(source.key)
    if known and known["sha256"] == source_print:
        report.unchanged += len(known["policy_ids"])
        if known.get("root") != str(source.root):
            writer.note_source_root(source.key, str(source.root))
        return
    parsed = parse_source(source, overrides, file_hash)
    for where, why in parsed.failures:
        report.fail(where, why)
    for warning in parsed.warnings:
        report.warn(source.display, warning)
    with writer.transaction():
        new_ids = _put_policies(writer, source, parsed, report, seen, replace_ids)
        if known:
            _retire_vanished(writer, known["policy_ids"], new_ids, report, source.display)
        stat = source.path.stat()
        writer.record_source(source.key, source_print, stat.st_size, stat.st_mtime, new_ids, batch_id,
                             root=str(source.root))


def iter_ingest(sources: list[Source], writer, report: BatchReport, batch_id=None,
                replace_ids: bool = False) -> Iterator[Source]:
    """Ingest sources one by one, yielding each after it is done (for progress bars)."""
    seen: dict[str, str] = {}
    for source in sources:
        try:
            _ingest_one(writer, source, report, seen, batch_id, replace_ids)
        except DocumentError as exc:
            report.fail(source.display, reason(exc))
        except (OSError, ValueError, RecursionError, MemoryError) as exc:
            report.fail(source.display, f"could not read the file: {type(exc).__name__}: {exc}")
        except Exception as exc:  # noqa: BLE001 - one bad file must never stop the batch
            report.fail(source.display, f"unexpected error while reading: {type(exc).__name__}: {exc}")
        yield source


def ingest(paths: list[str | Path], data_dir: Path, *, dry_run: bool = False,
           progress: Callable[[Iterator[Source], int], Iterator[Source]] | None = None,
           wait: bool = True, on_wait: Callable[[str], None] | None = None,
           replace_ids: bool = False) -> BatchReport:
    """Ingest files and folders into the data directory; returns the batch report.

    ``replace_ids`` lets a given id replace a policy that another, still existing file gave.
    """
    found = discover(paths, exclude=[data_dir])
    sources = found.sources
    report = BatchReport(files=len(sources), dry_run=dry_run)
    for path, why in found.skipped:
        report.skip(path, why)
    writer_cm = _DryRunWriter(Path(data_dir)) if dry_run else PolicyWriter(Path(data_dir), wait=wait, on_wait=on_wait)
    with writer_cm as writer:
        report.recovered = writer.recovered
        for item in getattr(writer, "set_aside", []):
            report.warn(f"policy {item['id']}", f"left pending by an earlier run and set aside: {item['error']}")
        batch_id = None if dry_run else writer.catalog.start_batch()
        steps = iter_ingest(sources, writer, report, batch_id, replace_ids)
        for _ in (progress(steps, len(sources)) if progress else steps):
            pass
        writer.commit()
        if batch_id is not None:
            writer.catalog.finish_batch(batch_id, report.to_dict())
    return report
