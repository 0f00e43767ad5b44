"""Where the staff-edited rule files are read from, and reading them again when they change.

The rule files (topics, industries, document types, 文号 prefixes, title furniture, the
segmenter's dictionary, stop words, synonyms) ship in ``policy_search/data/``. The setting
``rules_dir`` (``$POLICY_SEARCH_RULES_DIR``, or ``--rules-dir``) names a folder of edited copies
instead: a file found there is read in place of the shipped one, a file it lacks comes from
the package. Every command of one installation should see the same folder, so set it in the
environment of the service and of the staff's shell alike.

Two ways to read a rule file:

* :func:`rule_text` reads it as it is now. The indexer's taggers read their rules once per
  process with it, so one ingest or retag applies one set of rules from start to end.
* :func:`watched` keeps what a parser made of a file and makes it again when the file
  changes (its modification time, size or inode), looking at the file at most once every
  :data:`CHECK_SECONDS`. A running server reads the topic and industry names and the
  synonyms this way, so an edit takes effect without a restart. A file that fails to parse
  after an edit (saved half-way, or with a typing error) leaves the last good rules in use and
  is logged; it is read again at the next look.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from policy_search.errors import ConfigurationError
from policy_search.settings import setting_default, setting_env

#: The rule files shipped with the package.
PACKAGED_DIR = Path(__file__).resolve().parent / "data"
#: How often, at most, :func:`watched` looks at a file to see whether it changed.
CHECK_SECONDS = 1.0

_log = logging.getLogger(__name__)


def rules_dir() -> Path | None:
    """The folder of edited rule files the settings name, or None (the package's own files);
    a setting that names no folder is a :class:`ConfigurationError` with a hint."""
    value = setting_default("rules_dir").strip()
    if not value:
        return None
    folder = Path(value).expanduser()
    if not folder.is_dir():
        raise ConfigurationError(f"the rules folder {value} is not a folder",
                                 hint=f"set ${setting_env('rules_dir')} (or --rules-dir) to a folder of edited rule "
                                      "files, or unset it to use the rules shipped in policy_search/data/")
    return folder


def rule_path(name: str) -> Path:
    """The file a rule file is read from: the rules folder's copy when it has one, else the
    package's.

    >>> rule_path("topics.json").name
    'topics.json'
    """
    folder = rules_dir()
    if folder is not None and (folder / name).is_file():
        return folder / name
    return PACKAGED_DIR / name


def rule_text(name: str) -> str:
    """The text of a rule file as it is now (UTF-8)."""
    return rule_path(name).read_text(encoding="utf-8")


@dataclass
class _Entry:
    value: Any
    signature: tuple
    checked: float


_entries: dict[tuple[str, Callable], _Entry] = {}
_lock = threading.Lock()


def _signature(path: Path) -> tuple:
    stat = path.stat()
    return str(path), stat.st_mtime_ns, stat.st_size, stat.st_ino


def watched(name: str, parse: Callable[[str], Any]) -> Any:
    """What ``parse`` makes of a rule file's text, made again when the file has changed.

    The file is looked at (one ``stat``) at most once every :data:`CHECK_SECONDS` per file
    and parser; between looks the value made last is returned. The first read raises what
    reading or parsing raises; a later one that fails keeps the last good value.
    """
    key = (name, parse)
    now = time.monotonic()
    entry = _entries.get(key)
    if entry is not None and now - entry.checked < CHECK_SECONDS:
        return entry.value
    with _lock:
        entry = _entries.get(key)
        if entry is not None and now - entry.checked < CHECK_SECONDS:
            return entry.value
        try:
            path = rule_path(name)
            signature = _signature(path)
            if entry is not None and entry.signature == signature:
                entry.checked = now
                return entry.value
            value = parse(path.read_text(encoding="utf-8"))
        except Exception as exc:  # noqa: BLE001 - a broken edit must not take the running service down
            if entry is None:
                raise
            _log.warning("rule file %s could not be read again (%s: %s); the rules read before stay in use",
                         name, type(exc).__name__, exc)
            entry.checked = now
            return entry.value
        _entries[key] = _Entry(value, signature, now)
        return value


def forget() -> None:
    """Drop every value :func:`watched` keeps (the next read makes each anew)."""
    with _lock:
        _entries.clear()
