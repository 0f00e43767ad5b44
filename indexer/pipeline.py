"""The ingest pipeline: discover → fingerprint → sniff → parse → extract → classify → write.

The runner, not the stages, deals with failure: a file that cannot be read
becomes a ``failed`` line in the report and the batch goes on.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from policy_search.storage.catalog import Catalog
from policy_search.errors import DocumentError, FileTooLargeError
from policy_search.models import Policy, SourceFile
from policy_search.originals import is_inside
from policy_search.settings import DataPaths
from policy_search.storage.writer import PolicyWriter

from .build import build_policy
from .discover import Source, discover
from .overrides import read_overrides
from .parsers import BULK_READERS, PARSERS
from .parsers import base as parsers_base
from .parsers.base import MAX_FILE_BYTES
from .report import BatchReport
from .sniff import extension_mismatch, sniff_format
from .timelimit import run_within_limit
from . import furniture, workers
from .workers import ReaderPool, default_jobs, failure_message

#: Bump when parsing or extraction changes, so every file is read again.
#: 2: titles no longer taken from site furniture (indexer/furniture.py).
#: 3: traditional text read folded (文号, issuers), joint announcements whole, 中心支行 an organ,
#:    a text without a title under 50 characters refused.
PIPELINE_VERSION = "3"


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
    """What decides whether a file must be read again: its bytes, its overrides, the pipeline
    and the staff-edited words that decide its title (``title_furniture.json``)."""
    key = json.dumps([PIPELINE_VERSION, furniture.rules().digest, file_hash, overrides],
                     sort_keys=True, ensure_ascii=False, default=str)
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
        parsed = _parse_bulk(source, fmt, info, limit)
    else:
        parsed = run_within_limit(limit, _parse_document, source, fmt, overrides, info)
    mismatch = extension_mismatch(source.path, fmt)
    if mismatch:
        parsed.warnings.insert(0, mismatch)
    return parsed


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
        self._recorded: dict[str, list[str]] = {}  # what record_source would write

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

    def rename(self, old_id, new_id):
        pass

    def alias(self, old_id, new_id):
        pass

    def record_source(self, key, fingerprint, size, mtime, policy_ids, *args, **kwargs):
        self._recorded[key] = list(policy_ids)

    def source_policy_ids(self):
        known = self.catalog.source_policy_ids() if self.catalog else {}
        return {**known, **self._recorded}

    def forget_source(self, key):
        pass

    def note_source_root(self, key, root):
        pass

    def transaction(self):
        return contextlib.nullcontext()

    def commit(self):
        return 0


def _text_key(text: str | None) -> str:
    return hashlib.sha256((text or "").strip().encode("utf-8")).hexdigest()


def _successors(writer, old_ids: list[str], new_ids: list[str], policies: list[Policy]) -> dict[str, str]:
    """old id → new id for the policies a changed file yields under another id.

    A file of one policy continues it under its new id (a corrected 文号 or title). In a
    file of many (a bulk file without ids), a vanished policy is continued by the one new
    policy with the same text: its id changed because its title or 文号 was read better.
    """
    new, old = set(new_ids), set(old_ids)  # a bulk file gives thousands: no list lookups
    vanished = [i for i in old_ids if i not in new]
    if not vanished:
        return {}
    if len(old_ids) == 1 and len(new_ids) == 1:
        return {vanished[0]: new_ids[0]}
    catalog = getattr(writer, "catalog", None)
    if catalog is None:
        return {}
    by_text: dict[str, list[str]] = {}
    for policy in policies:
        if policy.id in new and policy.id not in old:
            by_text.setdefault(_text_key(policy.text), []).append(policy.id)
    successors = {}
    for old_id in vanished:
        old = catalog.get_policy(old_id)
        candidates = by_text.get(_text_key(old.text), []) if old is not None else []
        if len(candidates) == 1:
            successors[old_id] = candidates[0]
    return successors


def _retire_vanished(writer, old_ids: list[str], new_ids: list[str], report: BatchReport, display: str,
                     policies: list[Policy]) -> None:
    """Policies a changed file no longer yields: redirected to the policy that continues
    each (see :func:`_successors`), or removed."""
    successors = _successors(writer, old_ids, new_ids, policies)
    new = set(new_ids)
    for old_id in (i for i in old_ids if i not in new):
        successor = successors.get(old_id)
        if successor:
            writer.rename(old_id, successor)
            report.warn(display, f"identity changed: old id {old_id} now redirects to {successor}")
        else:
            old = writer.catalog.get_policy(old_id) if writer.catalog is not None else None
            writer.remove(old_id)
            report.count("removed", old_id, old.title if old is not None else "")


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
                  replace_ids: bool, fields: list | None = None) -> list[str]:
    """Write a file's policies to the catalog; returns the ids written.

    ``fields``, from a worker, holds each policy's index fields already analysed (or None).
    """
    new_ids = []
    for number, policy in enumerate(parsed.policies):
        owner = None if replace_ids else _owner_elsewhere(writer, policy)
        if owner is not None:
            report.fail(source.display, f"given id {policy.id} already belongs to the policy of "
                                        f"{owner}; not replaced (pass --replace-ids to replace it)")
            continue
        duplicate = policy.id in seen and seen[policy.id] != source.display
        if duplicate:
            report.warn(source.display, f"same policy as {seen[policy.id]} (id {policy.id}); this copy replaces it")
        seen[policy.id] = source.display
        ready = fields[number] if fields else None
        action = writer.put(policy, ready) if ready is not None else writer.put(policy)
        if not duplicate:
            report.count(action, policy.id, policy.title)
        new_ids.append(policy.id)
    return new_ids


@dataclass
class _Plan:
    """The cheap first look at a file, in the main process: is it new or changed, and its fingerprint."""

    source: Source
    warnings: list[str]
    failure: str | None = None
    overrides: dict | None = None
    file_hash: str = ""
    source_print: str = ""
    unchanged: bool = False
    future: object = None


def _plan(writer, source: Source) -> _Plan:
    plan = _Plan(source, [])
    try:
        _check_size(source.path)
        plan.overrides, plan.warnings = read_overrides(source.path)
        plan.file_hash = file_sha256(source.path)
    except Exception as exc:  # noqa: BLE001 - one bad file must never stop the batch
        plan.failure = failure_message(exc)
        return plan
    plan.source_print = fingerprint(plan.file_hash, plan.overrides)
    known = writer.known_source(source.key)
    plan.unchanged = bool(known and known["sha256"] == plan.source_print)
    return plan


def _write_file(writer, plan: _Plan, parsed: Parsed, fields: list | None, report: BatchReport,
                seen: dict[str, str], batch_id, replace_ids: bool) -> None:
    """A read file into the catalog and the pending index changes, in one catalog transaction."""
    source = plan.source
    known = writer.known_source(source.key)
    for where, why in parsed.failures:
        report.fail(where, why)
    for warning in parsed.warnings:
        report.warn(source.display, warning)
    done = BatchReport()  # what the file did, part of the report once its writes are in
    with writer.transaction():
        new_ids = _put_policies(writer, source, parsed, done, seen, replace_ids, fields)
        if known:
            _retire_vanished(writer, known["policy_ids"], new_ids, done, source.display, parsed.policies)
        stat = source.path.stat()
        writer.record_source(source.key, plan.source_print, stat.st_size, stat.st_mtime, new_ids, batch_id,
                             root=str(source.root))
    report.merge(done)


def _finish(writer, plan: _Plan, report: BatchReport, seen: dict[str, str], batch_id, replace_ids: bool,
            pool_broken: list) -> None:
    """Report and write one planned file, reading it here unless a worker already did."""
    source = plan.source
    for warning in plan.warnings:
        report.warn(source.display, warning)
    if plan.failure is not None:
        report.fail(source.display, plan.failure)
        return
    known = writer.known_source(source.key)
    if known and known["sha256"] == plan.source_print:
        report.unchanged += len(known["policy_ids"])
        if known.get("root") != str(source.root):
            writer.note_source_root(source.key, str(source.root))
        return
    outcome = None
    if plan.future is not None and not pool_broken:
        try:
            outcome = plan.future.result()
        except BrokenProcessPool:  # a worker died: this file and the rest are read here, as before
            pool_broken.append(True)
        except Exception:  # noqa: BLE001 - the result could not come back (pickling): read it here
            outcome = None
    try:
        if outcome is None:
            parsed, fields = parse_source(source, plan.overrides, plan.file_hash), None
        elif outcome.failure is not None:
            report.fail(source.display, outcome.failure)
            return
        else:
            parsed, fields = outcome.parsed, outcome.fields
        _write_file(writer, plan, parsed, fields, report, seen, batch_id, replace_ids)
    except Exception as exc:  # noqa: BLE001 - one bad file must never stop the batch
        report.fail(source.display, failure_message(exc))


def _use_pool(plans: list[_Plan], jobs: int) -> bool:
    to_read = [p for p in plans if p.failure is None and not p.unchanged]
    if jobs <= 1 or len(to_read) < 2 or not workers.spawn_can_start():
        return False
    return (len(to_read) >= workers.POOL_MIN_FILES
            or sum(p.source.path.stat().st_size for p in to_read) >= workers.POOL_MIN_BYTES)


def iter_ingest(sources: list[Source], writer, report: BatchReport, batch_id=None,
                replace_ids: bool = False, jobs: int = 1) -> Iterator[Source]:
    """Ingest sources one by one, yielding each after it is done (for progress bars).

    With ``jobs`` over 1 and a batch big enough to pay for them, worker processes read
    and analyse the files ahead (see :mod:`indexer.workers`); the files are still
    written, reported and yielded one by one in their order.
    """
    seen: dict[str, str] = {}
    plans = [_plan(writer, source) for source in sources]
    pool = ReaderPool(min(jobs, len(plans))) if _use_pool(plans, jobs) else None
    pool_broken: list = []
    try:
        ahead = (pool.jobs * workers.AHEAD_PER_WORKER) if pool else 0
        submitted = 0
        for index, plan in enumerate(plans):
            while pool and not pool_broken and submitted < min(len(plans), index + 1 + ahead):
                waiting = plans[submitted]
                if waiting.failure is None and not waiting.unchanged:
                    try:
                        waiting.future = pool.submit(waiting.source, waiting.overrides, waiting.file_hash)
                    except BrokenProcessPool:
                        pool_broken.append(True)
                submitted += 1
            _finish(writer, plan, report, seen, batch_id, replace_ids, pool_broken)
            plan.future = None
            yield plan.source
    finally:
        if pool is not None:
            pool.close()


def _gone(path: str) -> bool:
    """True when a file is certainly no longer there (a folder that cannot be read says nothing)."""
    try:
        os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return True
    except OSError:
        return False
    return False


def _prune(writer, folders: list[Path], found: set[str], report: BatchReport) -> None:
    """Remove the policies of catalogued files under ``folders`` that no longer exist.

    Only files inside the folders given are considered, and only when they are gone (not
    when they merely failed or could not be looked at). A policy another catalogued file
    still gives (the file moved, or a copy elsewhere) stays. The gone files are forgotten,
    so a file that comes back is read as new and its policies return under their ids.
    """
    if not folders:
        return
    sources = writer.source_policy_ids()
    gone = [key for key in sorted(sources) if key not in found
            and any(is_inside(Path(key), folder) for folder in folders) and _gone(key)]
    if not gone:
        return
    gone_set = set(gone)
    claimed = {pid for key, ids in sources.items() if key not in gone_set for pid in ids}
    catalog = writer.catalog
    with writer.transaction():
        for key in gone:
            for policy_id in sources[key]:
                if policy_id in claimed or policy_id in report.changed["removed"]:
                    continue
                status = catalog.policy_status(policy_id) if catalog is not None else None
                if status is None or status["status"] != "active":
                    continue
                policy = catalog.get_policy(policy_id)
                title = policy.title if policy is not None else ""
                writer.remove(policy_id)
                report.count("removed", policy_id, title)
                report.prune(policy_id, title, key)
            writer.forget_source(key)


def ingest(paths: list[str | Path], data_dir: Path, *, dry_run: bool = False,
           progress: Callable[[Iterator[Source], int], Iterator[Source]] | None = None,
           wait: bool = True, on_wait: Callable[[str], None] | None = None,
           replace_ids: bool = False, jobs: int | None = None, prune: bool = False) -> BatchReport:
    """Ingest files and folders into the data directory; returns the batch report.

    ``replace_ids`` lets a given id replace a policy that another, still existing file gave.
    ``jobs`` worker processes read the files (default: one per core; 1 reads them here).
    ``prune``: after the files are written, the policies of catalogued files under the folders
    given that no longer exist are removed (see :func:`_prune`); a dry run lists them.
    """
    found = discover(paths, exclude=[data_dir])
    folders = [Path(p).expanduser().resolve() for p in paths if Path(p).expanduser().is_dir()] if prune else []
    sources = found.sources
    report = BatchReport(files=len(sources), dry_run=dry_run)
    for path, why in found.skipped:
        report.skip(path, why)
    writer_cm = _DryRunWriter(Path(data_dir)) if dry_run else PolicyWriter(Path(data_dir), wait=wait, on_wait=on_wait)
    with writer_cm as writer:
        report.recovered = writer.recovered
        for item in getattr(writer, "set_aside", []):
            report.warn(f"policy {item['id']}", f"left pending by an earlier run and set aside: {item['error']}")
        batch_id = None if dry_run else writer.start_batch("ingest")
        jobs = default_jobs() if jobs is None else max(1, jobs)
        steps = iter_ingest(sources, writer, report, batch_id, replace_ids, jobs=1 if dry_run else jobs)
        for _ in (progress(steps, len(sources)) if progress else steps):
            pass
        _prune(writer, folders, {source.key for source in sources}, report)
        writer.commit()
        if batch_id is not None:
            writer.finish_batch(report.to_dict())
    return report
