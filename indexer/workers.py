"""Worker processes for ingest: reading files and analysing their text away from the one writer.

A worker gets one source file and gives back what the main process needs to
write it: the parsed policies, and for each one its index fields with the
postings already worked out (:func:`policy_search.storage.schema.analyse_fields`). The
main process keeps everything that must stay single: the lock, the catalog, the
one Whoosh writer and its one commit; it takes the results in the order of the
files, so the report and the ids come out as in a serial run.

Workers are started with ``spawn``: a forked child would inherit the open
``ingest.lock`` and keep the lock held if the parent were killed. A worker ends
itself when its parent goes away. Each file keeps its time limit: the parse runs
within ``PARSE_TIME_LIMIT_S`` in the worker's main thread, where the alarm works.
"""
from __future__ import annotations

import multiprocessing
import os
import sys
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field

from policy_search.errors import DocumentError
from policy_search.storage.writer import unindexable_reason
from policy_search.storage.schema import analyse_fields, policy_to_fields

from .discover import Source
from .parsers import base as parsers_base

#: Below this many files to read (and this many bytes), a pool costs more than it saves
#: (starting a worker costs a new interpreter, its imports and the segmenter's dictionary): the
#: batch is read in-process.
POOL_MIN_FILES = 48
POOL_MIN_BYTES = 4 << 20
#: Files read ahead of the writer, per worker (bounds the memory held by finished results).
AHEAD_PER_WORKER = 8


@dataclass
class Outcome:
    """What a worker made of one file: the parsed file and each policy's fields, or why it failed."""

    parsed: object = None
    fields: list = field(default_factory=list)
    failure: str | None = None


def failure_message(exc: BaseException) -> str:
    """The report line of a file that could not be read (the same words in a worker or not)."""
    from .pipeline import reason
    if isinstance(exc, DocumentError):
        return reason(exc)
    if isinstance(exc, (OSError, ValueError, RecursionError, MemoryError)):
        return f"could not read the file: {type(exc).__name__}: {exc}"
    return f"unexpected error while reading: {type(exc).__name__}: {exc}"


def read_and_analyse(source: Source, overrides: dict, file_hash: str, time_limit: float | None) -> Outcome:
    """Parse one file and analyse its policies' text; runs in a worker process."""
    from .pipeline import parse_source
    parsers_base.PARSE_TIME_LIMIT_S = time_limit
    try:
        parsed = parse_source(source, overrides, file_hash)
    except Exception as exc:  # noqa: BLE001 - reported as the file's failure, as in a serial run
        return Outcome(failure=failure_message(exc))
    fields = []
    for policy in parsed.policies:
        try:
            fields.append(analyse_fields(policy_to_fields(policy)) if unindexable_reason(policy) is None else None)
        except Exception:  # noqa: BLE001 - the writer analyses it again and meets the error there
            fields.append(None)
    return Outcome(parsed=parsed, fields=fields)


def _worker_start() -> None:
    """Load the segmenter once per worker, and end the worker when its parent ends."""
    from policy_search.text.analysis import segmenter
    parent = multiprocessing.parent_process()
    if parent is not None:
        def watch():
            parent.join()
            os._exit(1)
        threading.Thread(target=watch, daemon=True).start()
    segmenter()


class ReaderPool:
    """Up to ``jobs`` worker processes reading files ahead of the writer, results in order."""

    def __init__(self, jobs: int):
        self.jobs = jobs
        self._executor = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_worker_start)

    def submit(self, source: Source, overrides: dict, file_hash: str) -> Future:
        return self._executor.submit(read_and_analyse, source, overrides, file_hash,
                                     parsers_base.PARSE_TIME_LIMIT_S)

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


def spawn_can_start() -> bool:
    """True when spawned workers can import the main program again (not so for code read from
    standard input or typed at a prompt, whose ``__main__`` has no file)."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    return path is not None and os.path.exists(path)


def default_jobs() -> int:
    """Worker processes by default: one per CPU core."""
    return os.cpu_count() or 1
