"""Which original file a policy may be downloaded from: only one that ingest itself recorded.

A record's ``source.path`` is never trusted on its own: a backup, an old catalog
or a crafted record could name any file on the machine. A file is served only
when, at the moment of the request,

- ingest recorded it in the catalog's ``sources`` table as the file that gave this
  policy (``import`` never writes that table),
- its real path (every symbolic link resolved) lies under the folder ingest was
  given when it recorded the file,
- it does not lie inside the data directory (the catalog, the index, the lock),
- and it is a regular file, opened without following a last-moment symbolic link.
"""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from policy_search.storage.catalog import Catalog
from policy_search.models import Policy

#: Formats whose source file holds many policies: the download is the policy's own text instead.
BULK_FORMATS = frozenset({"tsv", "jsonl"})


@dataclass
class OriginalFile:
    """An original file checked and opened for sending; close ``handle`` when done."""

    handle: BinaryIO
    name: str        # the file's own name, for its type and suffix
    size: int


def is_inside(path: Path, folder: Path) -> bool:
    """True when ``path`` is ``folder`` or lies under it (both taken as given, not resolved).

    >>> is_inside(Path("/srv/a/b.pdf"), Path("/srv/a")), is_inside(Path("/srv/ab.pdf"), Path("/srv/a"))
    (True, False)
    """
    return path == folder or folder in path.parents


def servable_path(catalog: Catalog, policy: Policy, data_dir: Path) -> Path | None:
    """The real path of the policy's original file when it may be served, else None."""
    recorded = policy.source.path
    if not recorded or policy.source.format in BULK_FORMATS:
        return None
    row = catalog.source(recorded)
    if row is None or policy.id not in row["policy_ids"]:
        return None
    root = Path(os.path.realpath(row.get("root") or Path(recorded).parent))
    real = Path(os.path.realpath(recorded))
    if not is_inside(real, root) or is_inside(real, Path(os.path.realpath(data_dir))):
        return None
    return real


def open_original(catalog: Catalog, policy: Policy, data_dir: Path) -> OriginalFile | None:
    """The policy's original file, checked (see the module's rules) and opened; None when not servable."""
    real = servable_path(catalog, policy, data_dir)
    if real is None:
        return None
    try:
        descriptor = os.open(real, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    info = os.fstat(descriptor)
    if not stat.S_ISREG(info.st_mode):
        os.close(descriptor)
        return None
    return OriginalFile(handle=os.fdopen(descriptor, "rb"), name=real.name, size=info.st_size)
