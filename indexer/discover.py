"""Finding the source files of a batch: files as given, folders recursively."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from policy_search.errors import ConfigurationError

SIDECAR_SUFFIX = ".meta.json"
MANIFEST_NAME = "manifest.csv"
#: Files in folders that are never policies themselves.
_IGNORED_NAMES = {MANIFEST_NAME, "readme.md", "readme.txt", "readme", ".ds_store", "thumbs.db"}
_IGNORED_SUFFIXES = (SIDECAR_SUFFIX, ".py", ".pyc", ".sqlite3", ".db", ".lock", ".csv", ".json")


@dataclass(frozen=True)
class Source:
    """A file to ingest and where it was found."""

    path: Path          # absolute
    display: str        # as the user would recognise it in a report

    @property
    def key(self) -> str:
        """The catalog key of the file."""
        return str(self.path)


def _skipped_in_folder(name: str) -> bool:
    lower = name.lower()
    return name.startswith((".", "_", "~$")) or lower in _IGNORED_NAMES or lower.endswith(_IGNORED_SUFFIXES)


def _walk(folder: Path) -> list[Path]:
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "_")))
        for name in sorted(filenames):
            if not _skipped_in_folder(name):
                found.append(Path(dirpath) / name)
    return found


def discover(paths: list[str | Path]) -> list[Source]:
    """Every source file under the given paths, in a stable order, without repeats.

    A folder is searched recursively, skipping hidden and ``_``-prefixed
    entries, sidecars, manifests and READMEs; a file named explicitly is
    always taken.
    """
    sources: dict[Path, Source] = {}
    for given in paths:
        path = Path(given).expanduser()
        if not path.exists():
            raise ConfigurationError(f"{given}: no such file or folder",
                                     hint="check the path; folders are searched recursively")
        files = _walk(path) if path.is_dir() else [path]
        for file in files:
            absolute = file.resolve()
            sources.setdefault(absolute, Source(absolute, str(file)))
    return list(sources.values())
