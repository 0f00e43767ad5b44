"""The only way policies get into (and out of) the catalog and the index.

One writer at a time holds ``ingest.lock``. Every change goes to the catalog
first, marked pending; then the index writer (of the search backend, see
:mod:`backend`) commits; then the catalog marks
the rows indexed. Opening a writer first *recovers*: whatever a killed run left
pending, or any disagreement between catalog and index, is redone from the
catalog, so the next run always completes what the last one started. A policy
the index cannot take (its text over the limit, or the analyser failing on it)
is set aside instead of blocking every later writer: no longer pending, the
reason in the history, tried again only when the policy is written anew.
"""
from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path
from typing import Callable, Iterator

from filelock import FileLock, Timeout

from policy_search import duplicates
from policy_search.storage import failpoints
from policy_search.storage.backend import BackendWriter, SearchBackend, open_backend
from policy_search.storage.catalog import Catalog
from policy_search.errors import DocumentError, IndexLockedError
from policy_search.models import MAX_TEXT_CHARS, Policy
from policy_search.storage.schema import VERSION, catalog_version, policy_to_fields
from policy_search.settings import DataPaths

#: How long a second writer waits for the first before giving up.
LOCK_WAIT_SECONDS = 600


class PolicyWriter:
    """A write session over one data directory; use as a context manager."""

    def __init__(self, data_dir: Path, *, wait: bool = True,
                 wait_seconds: float = LOCK_WAIT_SECONDS,
                 on_wait: Callable[[str], None] | None = None, recover: bool = True):
        self.paths = DataPaths(Path(data_dir))
        self.paths.root.mkdir(parents=True, exist_ok=True)
        self._lock = FileLock(str(self.paths.lock_file))
        self._wait = wait
        self._wait_seconds = wait_seconds
        self._on_wait = on_wait
        self._recover_at_start = recover
        self.catalog: Catalog | None = None
        self._backend: SearchBackend | None = None
        self._writer: BackendWriter | None = None
        self._touched: list[str] = []
        #: Index changes of the open :meth:`transaction`, handed to the index writer when its
        #: catalog writes commit (None outside one): ``(policy_id, fields)`` for an upsert,
        #: ``(policy_id, version)`` for a delete (``fields`` None).
        self._staged: list[tuple[str, dict | None, int | None]] | None = None
        #: The batch of the history that changes are logged under (see :meth:`start_batch`).
        self.batch_id: int | None = None
        self.recovered = 0
        #: Policies recovery set aside because the index cannot take them: ``{"id", "error"}``.
        self.set_aside: list[dict] = []

    # --- session ----------------------------------------------------------------

    def __enter__(self) -> "PolicyWriter":
        self._acquire_lock()
        try:
            self.catalog = Catalog(self.paths.catalog_file)
            self._backend = open_backend(self.paths, create=True)
            self.recovered = self._recover() if self._recover_at_start else 0
        except BaseException:
            self._release()
            raise
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if self._writer is not None:
                self._writer.cancel()
                self._writer = None
        finally:
            self._release()

    def _acquire_lock(self) -> None:
        try:
            self._lock.acquire(timeout=0)
            return
        except Timeout:
            if not self._wait:
                raise IndexLockedError(
                    f"another ingest is writing {self.paths.root}",
                    hint="wait for it to finish, or run again with --wait") from None
        if self._on_wait:
            self._on_wait(f"Waiting for another ingest to finish (lock: {self.paths.lock_file}) ...")
        try:
            self._lock.acquire(timeout=self._wait_seconds)
        except Timeout:
            raise IndexLockedError(
                f"another ingest kept {self.paths.root} locked for {self._wait_seconds:.0f} s",
                hint="check that it is still running; the lock frees itself when it ends") from None

    def _release(self) -> None:
        if self._backend is not None:
            self._backend.close()
            self._backend = None
        if self.catalog is not None:
            self.catalog.close()
            self.catalog = None
        if self._lock.is_locked:
            self._lock.release()

    # --- changes ------------------------------------------------------------------

    def _index_writer(self) -> BackendWriter:
        if self._writer is None:
            self._writer = self._backend.writer()
        return self._writer

    def put(self, policy: Policy, fields: dict | None = None) -> str:
        """Add or replace a policy; returns 'added', 'updated' or 'unchanged'.

        A policy that differs only in the path or fingerprint of its source file (a bulk file
        with another record edited, a file moved) is unchanged: the catalog takes its new source,
        but its last-change time, its history and the index stay as they were.

        ``fields``, when given, are the policy's index fields already made (an ingest
        worker's ``analyse_fields(policy_to_fields(policy))``); else they are made here.
        """
        problem = unindexable_reason(policy)
        if problem:
            raise DocumentError(f"policy {policy.id}: {problem}", hint="split the document into its parts")
        old = self.catalog.get_policy(policy.id)
        status = self.catalog.policy_status(policy.id)
        if old is not None and status["status"] == "active" and _as_shown(old) == _as_shown(policy):
            if old.source != policy.source:  # the same policy from a moved or otherwise edited file
                self.catalog.refresh_source(policy)
            return "unchanged"
        action = self.catalog.put_policy(policy)
        if status and status["status"] != "active":
            action = "updated"
        self.catalog.log_policy_change(self.batch_id, action, policy.id, policy.title)
        self._stage(policy.id, self._versioned(policy, fields))
        return action

    def _versioned(self, policy: Policy, fields: dict | None = None) -> dict:
        """The policy's index fields with the version of its catalog record."""
        fields = dict(fields if fields is not None else policy_to_fields(policy))
        fields[VERSION] = self._version_of(policy.id)
        return fields

    def _version_of(self, policy_id: str) -> int | None:
        """The version of a policy's catalog record (the time of its last change), None without one."""
        status = self.catalog.policy_status(policy_id)
        return catalog_version(status["updated_at"]) if status else None

    def remove(self, policy_id: str, replaced_by: str | None = None, *, renamed: bool = False) -> None:
        """Take a policy out of search; the catalog keeps it, marked removed.

        ``renamed``: the policy lives on as ``replaced_by`` (its identity changed), which the
        history says instead of a removal; :meth:`rename` does that with the alias.
        """
        old = self.catalog.get_policy(policy_id)
        self.catalog.mark_removed(policy_id, replaced_by)
        self.catalog.log_policy_change(self.batch_id, "renamed" if renamed else "removed", policy_id,
                                       old.title if old is not None else "", replaced_by)
        self._stage(policy_id, None, self._version_of(policy_id))

    def rename(self, old_id: str, new_id: str) -> None:
        """A policy's id changed: the old one is taken out of search and redirects to the new one."""
        self.remove(old_id, replaced_by=new_id, renamed=True)
        self.alias(old_id, new_id)

    def alias(self, old_id: str, new_id: str) -> None:
        """Make an old id redirect to a policy's new id."""
        self.catalog.add_alias(old_id, new_id)

    def start_batch(self, kind: str) -> int:
        """Open a batch in the catalog's history (``ingest``, ``remove``, ``retag``, ``import``):
        every policy added, updated or removed until :meth:`finish_batch` is logged under it."""
        self.batch_id = self.catalog.start_batch(kind)
        return self.batch_id

    def finish_batch(self, report: dict) -> None:
        """Close the open batch with its report (call after :meth:`commit`)."""
        if self.batch_id is not None:
            self.catalog.finish_batch(self.batch_id, report)
            self.batch_id = None

    def known_source(self, key: str) -> dict | None:
        """What the catalog knows of a source file (its fingerprint and policy ids)."""
        return self.catalog.source(key)

    def record_source(self, key: str, fingerprint: str, size: int, mtime: float,
                      policy_ids: list[str], batch_id: int | None = None, root: str | None = None) -> None:
        """Remember a source file's state, what it gave, and the folder it was found in."""
        self.catalog.put_source(key, fingerprint, size, mtime, policy_ids, root)
        self.catalog.log(batch_id, "ingested", key, None, f"{len(policy_ids)} policies")

    def source_policy_ids(self) -> dict[str, list[str]]:
        """Every source file the catalog knows and the ids of the policies it gave."""
        return self.catalog.source_policy_ids()

    def forget_source(self, key: str) -> None:
        """Forget a source file that is gone (``ingest --prune``); remove its policies first."""
        self.catalog.delete_source(key)
        self.catalog.log(self.batch_id, "pruned", key, None, "the file is gone")

    def note_source_root(self, key: str, root: str) -> None:
        """Record the folder of an unchanged source file (catalogs before the root was kept)."""
        self.catalog.set_source_root(key, root)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """A catalog transaction around the changes of one source file.

        The index changes made inside wait until its catalog writes have committed, then go to
        the index writer: when the block fails (a file gone from under a batch, a policy too
        long to index), the catalog rolls back and the index is left as it was, so the next
        writer has nothing to recover. Should the index writer refuse a change once the catalog
        has it, its row stays pending and the next writer's recovery takes it up, as after a
        crash. A block inside another is part of it.
        """
        if self._staged is not None:
            yield
            return
        self._staged = []
        try:
            with self.catalog.transaction():
                yield
        except BaseException:
            self._staged = None
            raise
        staged, self._staged = self._staged, None
        for policy_id, fields, version in staged:
            self._apply(policy_id, fields, version)

    def _stage(self, policy_id: str, fields: dict | None, version: int | None = None) -> None:
        """An upsert (``fields``) or a delete of a policy, at once or when the open transaction commits."""
        if self._staged is None:
            self._apply(policy_id, fields, version)
        else:
            self._staged.append((policy_id, fields, version))

    def _apply(self, policy_id: str, fields: dict | None, version: int | None) -> None:
        if fields is None:
            self._index_writer().delete(policy_id, version)
        else:
            self._index_writer().upsert(fields)
        self._touched.append(policy_id)

    def commit(self) -> int:
        """Make every change since the last commit visible; returns how many policies it touched."""
        touched = list(dict.fromkeys(self._touched))
        failpoints.reach("before_index_commit")
        if self._writer is not None:
            self._writer.commit()
            self._writer = None
        failpoints.reach("after_index_commit")
        with self.catalog.transaction():
            self.catalog.mark_indexed(touched)
            duplicates.refresh(self.catalog, touched)
        self._touched = []
        return len(touched)

    def rebuild(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Index every active policy of the catalog anew and make that the index, in one step
        (the backend's :meth:`rebuilding`: searchers see the old index until the new one is whole).
        Pending marks are cleared; set-aside policies stay out. Returns how many were indexed.
        ``progress(done, total)`` is called as policies are added.
        """
        ids = sorted(self.catalog.active_ids() - self.catalog.set_aside_ids())
        if self._writer is not None:
            self._writer.cancel()
        self._writer = self._backend.rebuilding()
        for done, policy_id in enumerate(ids, 1):
            policy = self.catalog.get_policy(policy_id)
            problem = unindexable_reason(policy) if policy is not None else "its catalog record is missing"
            if problem is None:
                self._writer.upsert(self._versioned(policy))
                self._touched.append(policy_id)
            else:
                self._set_aside(policy_id, problem)
            if progress:
                progress(done, len(ids))
        self._touched += list(self.catalog.pending_ids())  # removed ones: not in the new index either
        self.commit()
        return len(ids) - len(self.set_aside)

    def generation(self) -> int:
        """The generation of the index's last commit."""
        return self._backend.generation()

    # --- recovery -------------------------------------------------------------------

    def _recover(self) -> int:
        """Bring the index in line with the catalog; returns how many policies were redone.

        Each pass either completes or sets one policy aside (see :meth:`_set_aside`), so
        recovery ends after at most one pass per out-of-step policy.
        """
        while True:
            try:
                return self._redo_out_of_step()
            except _Unindexable as failure:
                self._discard_index_changes()
                self._set_aside(failure.policy_id, failure.reason)

    def _redo_out_of_step(self) -> int:
        """One recovery pass: every pending, missing, stale or doubled id redone from the catalog."""
        set_aside = self.catalog.set_aside_ids()
        active = self.catalog.active_ids() - set_aside
        indexed = self._backend.indexed_ids()
        doubled = self._backend.doubled_ids() if self._backend.document_count() > len(active) else set()
        redo = set(self.catalog.pending_ids()) | (active - indexed) | (indexed - active) | doubled
        if not redo:
            return 0
        writer = self._index_writer()
        for policy_id in sorted(redo):
            if policy_id in active:
                self._reindex(writer, policy_id)
            else:
                writer.delete(policy_id, self._version_of(policy_id))
            if policy_id not in set_aside:  # a set-aside row keeps its mark: marked indexed, it would be retried
                self._touched.append(policy_id)
        self.commit()
        return len(redo)

    def _reindex(self, writer: BackendWriter, policy_id: str) -> None:
        """Index a policy again from its catalog record; raises :class:`_Unindexable` when it cannot be."""
        try:
            policy = self.catalog.get_policy(policy_id)
            problem = unindexable_reason(policy) if policy is not None else "its catalog record is missing"
            if problem is None:
                writer.upsert(self._versioned(policy))
        except Exception as exc:  # any failure of this one record must not block every later writer
            raise _Unindexable(policy_id, f"could not be indexed ({type(exc).__name__}: {exc})") from exc
        if problem is not None:
            raise _Unindexable(policy_id, problem)

    def _discard_index_changes(self) -> None:
        """Drop what the current pass wrote to the index (a failed document may leave it half-added)."""
        if self._writer is not None:
            self._writer.cancel()
            self._writer = None
        self._touched = []

    def _set_aside(self, policy_id: str, reason: str) -> None:
        """Stop retrying a policy the index cannot take; the history and :attr:`set_aside` say why."""
        self.catalog.set_aside(policy_id, f"set aside, not indexed: {reason}")
        self.set_aside.append({"id": policy_id, "error": reason})


class _Unindexable(Exception):
    """A policy recovery cannot index; it is set aside and the pass starts again."""

    def __init__(self, policy_id: str, reason: str):
        super().__init__(reason)
        self.policy_id, self.reason = policy_id, reason


def _as_shown(policy: Policy) -> str:
    """A policy's record as searches and pages show it: everything but the path and fingerprint
    of its source file (its format is indexed, so it counts). Two policies equal in this are
    the same policy, and writing the second is no change to it.

    >>> from policy_search.models import SourceFile
    >>> a = Policy(id="a", title="t", text="x", source=SourceFile("a.jsonl", "jsonl", "1" * 64))
    >>> b = Policy(id="a", title="t", text="x", source=SourceFile("b.jsonl", "jsonl", "2" * 64))
    >>> _as_shown(a) == _as_shown(b)
    True
    """
    data = policy.to_dict()
    data["source"] = {"format": policy.source.format}
    return json.dumps(data, sort_keys=True, ensure_ascii=False)


def unindexable_reason(policy: Policy) -> str | None:
    """Why a policy must not reach the index (its text over the limit), or None.

    >>> unindexable_reason(Policy(id="a", title="t", text="x" * (MAX_TEXT_CHARS + 1)))
    'its text is over 5,000,000 characters'
    """
    if len(policy.text) > MAX_TEXT_CHARS:
        return f"its text is over {MAX_TEXT_CHARS:,} characters"
    return None


def wait_message_to(stream) -> Callable[[str], None]:
    """A callback printing lock-wait messages with a timestamp to a stream."""
    def show(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=stream, flush=True)
    return show
