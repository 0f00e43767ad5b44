"""Finding the source files of a batch: files as given, folders recursively."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from policy_search.text.cleaning import printable_path
from policy_search.errors import ConfigurationError
from policy_search.originals import is_inside

SIDECAR_SUFFIX = ".meta.json"
MANIFEST_NAME = "manifest.csv"
#: Files in folders that are never policies themselves.
_IGNORED_NAMES = {MANIFEST_NAME, "readme.md", "readme.txt", "readme", ".ds_store", "thumbs.db"}
_IGNORED_SUFFIXES = (SIDECAR_SUFFIX, ".py", ".pyc", ".sqlite3", ".db", ".lock", ".csv", ".json")


@dataclass(frozen=True)
class Source:
    """A file to ingest, where it was found, and the folder it must stay inside."""

    path: Path          # absolute, symlinks resolved
    display: str        # as the user would recognise it in a report (control characters escaped)
    root: Path          # the folder ingest was given (resolved); a named file's own folder

    @property
    def key(self) -> str:
        """The catalog key of the file."""
        return str(self.path)


@dataclass
class Discovery:
    """The files of a batch, and what was passed over with the reason (for the report)."""

    sources: list[Source] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def _skipped_in_folder(name: str) -> bool:
    lower = name.lower()
    return name.startswith((".", "_", "~$")) or lower in _IGNORED_NAMES or lower.endswith(_IGNORED_SUFFIXES)


def _walk(folder: Path, found: Discovery, excluded: list[Path]) -> list[tuple[Path, Path]]:
    """(as found, resolved) for every candidate file under a folder, never leaving it.

    Symbolic links are followed only when what they point at lies inside ``folder``
    (a linked folder is never walked: what it holds inside ``folder`` is walked anyway).
    """
    root = folder.resolve()
    files = []
    for dirpath, dirnames, filenames in os.walk(folder):
        here = Path(dirpath)
        kept = []
        for name in sorted(dirnames):
            if name.startswith((".", "_")):
                continue
            if (here / name).is_symlink():
                _skip_link(here / name, root, found, "folder")
                continue
            if any(is_inside((here / name).resolve(), e) for e in excluded):
                found.skipped.append((printable_path(str(here / name)),
                                      "the data directory is never ingested"))
                continue
            kept.append(name)
        dirnames[:] = kept
        for name in sorted(filenames):
            if _skipped_in_folder(name):
                continue
            file = here / name
            resolved = file.resolve()
            if file.is_symlink() and not is_inside(resolved, root):
                _skip_link(file, root, found, "file")
                continue
            files.append((file, resolved))
    return files


def _skip_link(link: Path, root: Path, found: Discovery, kind: str) -> None:
    target = link.resolve()
    if kind == "folder" and is_inside(target, root):
        return  # its files are walked where they really are
    where = "outside the folder given" if not is_inside(target, root) else "a linked folder"
    found.skipped.append((printable_path(str(link)),
                          f"symbolic link to a {kind} {where}; not followed"))


def discover(paths: list[str | Path], exclude: list[str | Path] = ()) -> Discovery:
    """Every source file under the given paths, in a stable order, without repeats.

    A folder is searched recursively, skipping hidden and ``_``-prefixed
    entries, sidecars, manifests and READMEs, and any folder in ``exclude``
    (the data directory); a symbolic link that leads out of the folder is
    skipped and reported. A file named explicitly is always taken.
    """
    found = Discovery()
    excluded = [Path(e).expanduser().resolve() for e in exclude]
    sources: dict[Path, Source] = {}
    for given in paths:
        path = Path(given).expanduser()
        if not path.exists():
            raise ConfigurationError(f"{given}: no such file or folder",
                                     hint="check the path; folders are searched recursively")
        if any(is_inside(path.resolve(), e) for e in excluded):
            raise ConfigurationError(f"{given} lies inside the data directory",
                                     hint="ingest the folders that hold the policy files, not the data directory")
        if path.is_dir():
            root = path.resolve()
            files = _walk(path, found, excluded)
        else:
            root = path.resolve().parent
            files = [(path, path.resolve())]
        for file, absolute in files:
            sources.setdefault(absolute, Source(absolute, printable_path(str(file)), root))
    found.sources = list(sources.values())
    return found
