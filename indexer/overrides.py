"""Metadata that staff give by hand: ``<file>.meta.json`` sidecars and ``manifest.csv``.

Given values override anything extracted from the file. A sidecar wins over
the manifest row of the same file.
"""
from __future__ import annotations

import csv
import functools
import json
from pathlib import Path

from .discover import MANIFEST_NAME, SIDECAR_SUFFIX

#: The fields a sidecar or manifest may set.
OVERRIDABLE = ("id", "title", "doc_number", "issuer", "written_date", "publish_date",
               "level", "region", "topics", "industries", "url", "valid_until", "type")
_LIST_FIELDS = ("topics", "industries")


class OverrideWarning(Exception):
    """A sidecar or manifest that could not be read (reported, not fatal)."""


def _clean(record: dict) -> dict:
    cleaned = {}
    for key in OVERRIDABLE:
        value = record.get(key)
        if value in (None, "", []):
            continue
        if key in _LIST_FIELDS and isinstance(value, str):
            value = [v.strip() for v in value.replace("；", ";").replace(",", ";").split(";") if v.strip()]
        cleaned[key] = value
    return cleaned


def read_sidecar(path: Path) -> dict:
    """Overrides from ``<path>.meta.json``, or {} when there is none."""
    sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
    if not sidecar.is_file():
        return {}
    try:
        data = json.loads(sidecar.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as exc:
        raise OverrideWarning(f"sidecar {sidecar.name} ignored: not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise OverrideWarning(f"sidecar {sidecar.name} ignored: not a JSON object")
    return _clean(data)


@functools.lru_cache(maxsize=256)
def _manifest(folder: Path, mtime: float) -> dict[str, dict]:
    rows: dict[str, dict] = {}
    with open(folder / MANIFEST_NAME, encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            name = (row.get("file") or "").strip()
            if name:
                rows[str((folder / name).resolve())] = _clean(row)
    return rows


def read_manifest_row(path: Path) -> dict:
    """Overrides for a file from a ``manifest.csv`` in its folder or any folder above it."""
    for folder in path.parents:
        manifest = folder / MANIFEST_NAME
        if manifest.is_file():
            try:
                row = _manifest(folder, manifest.stat().st_mtime).get(str(path))
            except (OSError, csv.Error, UnicodeDecodeError) as exc:
                raise OverrideWarning(f"{manifest} ignored: {exc}") from exc
            if row:
                return row
    return {}


def read_overrides(path: Path) -> tuple[dict, list[str]]:
    """Manifest and sidecar overrides for a file, and warnings about unreadable ones."""
    merged: dict = {}
    warnings: list[str] = []
    for reader in (read_manifest_row, read_sidecar):
        try:
            merged.update(reader(path))
        except OverrideWarning as exc:
            warnings.append(str(exc))
    return merged, warnings
