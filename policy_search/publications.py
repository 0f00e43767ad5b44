"""The download centre's booklets: written by ``policy-search booklet --publish``, read by the web.

``--publish`` writes the whole set into the data directory: the compendium of every selected
policy, one per level and one per topic (each only when it holds a policy), as HTML and, when
chromium is installed, as PDF too. The web lists and serves what the index names; it never
renders a booklet or runs chromium itself.

Layout::

    DATA_DIR/published/
      index.json              what is published: written last, in one step (see :class:`Publication`)
      20260301T091504-6f1c2a9e/  one folder per publication: all.html, all.pdf, level-county.html,
                              topic-1a2b3c4d.pdf ...

A publication is written into a hidden folder, renamed into place, and only then named by a new
``index.json`` (a temporary file renamed over the old one); older folders are deleted after that.
A reader sees the old set or the new one, never a part. A second ``--publish`` while one runs is
refused.
"""
from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from filelock import FileLock, Timeout

from policy_search.booklet import (check_pdf_printer, describe_filters, make_booklet, print_pdfs,
                                   render_booklet, write_atomically)
from policy_search.errors import ConfigurationError
from policy_search.models import LEVEL_NAMES_ZH, LEVELS
from policy_search.settings import DataPaths
from policy_search.vocabulary import topic_names

INDEX_FILE = "index.json"
LOCK_FILE = ".publish.lock"
FORMAT_VERSION = 1
FORMATS = ("html", "pdf")
GROUPS = ("all", "level", "topic")
#: A booklet's key (its file name and its address under /downloads/).
_KEY = re.compile(r"(all|level-[a-z]+|topic-[0-9a-f]{8})\Z")
#: A publication's folder: its local time and 8 random hex digits (two in one second differ).
_FOLDER = re.compile(r"\d{8}T\d{6}-[0-9a-f]{8}\Z")
_TEMPORARY = re.compile(r"\.\d{8}T\d{6}-[0-9a-f]{8}\.tmp\Z")
#: The label of the booklet of everything selected.
ALL_LABEL = "全部政策"
REPUBLISH_HINT = ("run: policy-search booklet --publish --base-url https://… "
                  "(it writes the whole set into the data directory)")


class PublicationError(ConfigurationError):
    """The published index cannot be read (damaged, or written by a newer release)."""


@dataclass(frozen=True)
class PublishedFile:
    """One file of a booklet: its name in the publication's folder, size and SHA-256."""

    name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class PublishedBooklet:
    """One booklet of the set."""

    key: str
    group: str
    #: What it holds, as the download centre names it: 全部政策, 中央, 稳岗就业 …
    label: str
    title: str
    count: int
    files: dict[str, PublishedFile] = field(default_factory=dict)


@dataclass(frozen=True)
class Publication:
    """What ``index.json`` says: the set published last."""

    folder: str
    published_at: str
    base_url: str
    #: The filters every booklet of the set shares: applies_to (a code or None), in_force, type.
    filters: dict
    booklets: tuple[PublishedBooklet, ...]
    #: Why the set has no PDFs (chromium missing, or it failed), else None.
    pdf_note: str | None = None

    def booklet(self, key: str) -> PublishedBooklet | None:
        return next((b for b in self.booklets if b.key == key), None)

    def in_group(self, group: str) -> list[PublishedBooklet]:
        return [b for b in self.booklets if b.group == group]

    def to_dict(self) -> dict:
        return {
            "_about": "Written by policy-search booklet --publish; read by the web's /downloads. "
                      "Do not edit: publish again instead.",
            "format": FORMAT_VERSION, "folder": self.folder, "published_at": self.published_at,
            "base_url": self.base_url, "filters": self.filters, "pdf_note": self.pdf_note,
            "booklets": [{"key": b.key, "group": b.group, "label": b.label, "title": b.title,
                          "count": b.count,
                          "files": {fmt: {"name": f.name, "size": f.size, "sha256": f.sha256}
                                    for fmt, f in b.files.items()}} for b in self.booklets],
        }


def publication_dir(data_dir) -> Path:
    return DataPaths(Path(data_dir)).published_dir


def booklet_key(group: str, value: str | None = None) -> str:
    """The key of a booklet: ``all``, ``level-county``, ``topic-`` and 8 hex digits of the topic's name
    (addresses stay ASCII and do not move when topics.json is reordered).

    >>> booklet_key("all"), booklet_key("level", "county"), booklet_key("topic", "稳岗就业")
    ('all', 'level-county', 'topic-30e8a48f')
    """
    if group == "all":
        return "all"
    if group == "level":
        return f"level-{value}"
    return "topic-" + hashlib.sha256(str(value).encode("utf-8")).hexdigest()[:8]


# ------------------------------------------------------------------ writing

def publish(service, data_dir, base_url: str, *, applies_to: str | None = None, in_force: bool = False,
            type: str | None = "policy", pdf: bool = True, today: datetime.date | None = None,
            now: datetime.datetime | None = None) -> Publication:
    """Write the whole set for the filters given and name it in ``index.json``; returns it.

    ``pdf``: print PDFs too when chromium is installed (without it the set is HTML only and
    :attr:`Publication.pdf_note` says why). Nothing selected is a ConfigurationError.
    """
    root = publication_dir(data_dir)
    root.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(root / LOCK_FILE))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise ConfigurationError("another booklet --publish is writing the download centre's set",
                                 hint="wait for it to finish, then publish again if needed") from None
    try:
        return _publish_locked(service, root, base_url, applies_to=applies_to, in_force=in_force,
                               type=type, pdf=pdf, today=today, now=now)
    finally:
        lock.release()


def _publish_locked(service, root: Path, base_url: str, *, applies_to, in_force, type, pdf, today,
                    now) -> Publication:
    common = {"applies_to": applies_to, "in_force": in_force, "type": type}
    plans = _plans(service, common)
    if not plans:
        raise ConfigurationError(f"no policy matches {describe_filters(**common)}", hint="drop a filter")
    pdf_note = None
    if pdf:
        try:
            check_pdf_printer()
        except ConfigurationError as exc:
            pdf_note, pdf = f"{exc.message} ({exc.hint})", False
    else:
        pdf_note = "not asked for (--no-pdf)"
    moment = (now or datetime.datetime.now()).astimezone()
    folder = f"{moment:%Y%m%dT%H%M%S}-{secrets.token_hex(4)}"
    _remove_leftovers(root, keep=None, published=False)
    building = root / f".{folder}.tmp"
    building.mkdir()
    try:
        htmls = []
        for key, group, label, filters in plans:
            booklet = make_booklet(service, base_url, today=today, **filters)
            htmls.append((key, group, label, booklet.title, booklet.count, render_booklet(booklet)))
        pdfs: list[bytes | None] = [None] * len(htmls)
        if pdf:
            try:
                pdfs = print_pdfs([html for *_, html in htmls])
            except ConfigurationError as exc:
                pdf_note = f"{exc.message} ({exc.hint})"
        booklets = []
        for (key, group, label, title, count, html), printed in zip(htmls, pdfs):
            files = {"html": _write(building / f"{key}.html", html.encode("utf-8"))}
            if printed is not None:
                files["pdf"] = _write(building / f"{key}.pdf", printed)
            booklets.append(PublishedBooklet(key=key, group=group, label=label, title=title,
                                             count=count, files=files))
        os.replace(building, root / folder)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    publication = Publication(folder=folder, published_at=moment.isoformat(timespec="seconds"),
                              base_url=base_url, filters=common, booklets=tuple(booklets),
                              pdf_note=pdf_note)
    text = json.dumps(publication.to_dict(), ensure_ascii=False, indent=1) + "\n"
    write_atomically(root / INDEX_FILE, text.encode("utf-8"))
    _remove_leftovers(root, keep=folder)
    return publication


def _plans(service, common: dict) -> list[tuple[str, str, str, dict]]:
    """(key, group, label, filters) of every booklet that holds a policy: all, each level, each topic."""
    def holds(**extra) -> bool:
        return service.search("", limit=1, details=False, **common, **extra).total > 0

    plans = []
    if holds():
        plans.append((booklet_key("all"), "all", ALL_LABEL, dict(common)))
    else:
        return []
    for level in LEVELS:
        if holds(level=level):
            plans.append((booklet_key("level", level), "level", LEVEL_NAMES_ZH[level],
                          {**common, "level": level}))
    for topic in topic_names():
        if holds(topic=topic):
            plans.append((booklet_key("topic", topic), "topic", topic, {**common, "topic": topic}))
    return plans


def _write(path: Path, data: bytes) -> PublishedFile:
    path.write_bytes(data)
    return PublishedFile(name=path.name, size=len(data), sha256=hashlib.sha256(data).hexdigest())


def _remove_leftovers(root: Path, keep: str | None, published: bool = True) -> None:
    """Delete the folders of interrupted publications and, with ``published``, of every
    publication but ``keep``."""
    for entry in root.iterdir():
        if entry.name == keep or not entry.is_dir() or entry.is_symlink():
            continue
        if _TEMPORARY.match(entry.name) or (published and _FOLDER.match(entry.name)):
            shutil.rmtree(entry, ignore_errors=True)


# ------------------------------------------------------------------ reading (the web)

def read_publication(data_dir) -> Publication | None:
    """The set ``index.json`` names, checked; None when nothing was published.

    Everything is checked before it is used: a key or file name that is not of the shapes
    written here, a folder name, a wrong type. A damaged or foreign index is a
    :class:`PublicationError` (the web says the set must be published again).
    """
    path = publication_dir(data_dir) / INDEX_FILE
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise PublicationError(f"cannot read {path}: {exc.strerror}", hint=REPUBLISH_HINT) from None
    try:
        data = json.loads(raw.decode("utf-8"))
        return _publication_of(data)
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise PublicationError(f"{path} is damaged ({type(exc).__name__}: {str(exc)[:120]})",
                               hint=REPUBLISH_HINT) from None


def _publication_of(data: dict) -> Publication:
    if data["format"] != FORMAT_VERSION:
        raise ValueError(f"format {data['format']!r}, this release reads {FORMAT_VERSION}")
    folder = _string(data["folder"])
    if not _FOLDER.match(folder):
        raise ValueError(f"folder {folder[:40]!r}")
    booklets, keys = [], set()
    for item in data["booklets"]:
        key, group = _string(item["key"]), _string(item["group"])
        if not _KEY.match(key) or key in keys or group not in GROUPS:
            raise ValueError(f"booklet {key[:40]!r} of group {group[:20]!r}")
        keys.add(key)
        files = {}
        for fmt, spec in item["files"].items():
            name = _string(spec["name"])
            if fmt not in FORMATS or name != f"{key}.{fmt}":
                raise ValueError(f"file {name[:40]!r}")
            files[fmt] = PublishedFile(name=name, size=_count(spec["size"]), sha256=_string(spec["sha256"]))
        if "html" not in files:
            raise ValueError(f"booklet {key} without its HTML")
        booklets.append(PublishedBooklet(key=key, group=group, label=_string(item["label"]),
                                         title=_string(item["title"]), count=_count(item["count"]),
                                         files=files))
    filters = data["filters"]
    if not isinstance(filters, dict):
        raise TypeError("filters")
    note = data.get("pdf_note")
    return Publication(folder=folder, published_at=_string(data["published_at"]),
                       base_url=_string(data["base_url"]), booklets=tuple(booklets),
                       filters={"applies_to": filters.get("applies_to") if isinstance(filters.get("applies_to"), str) else None,
                                "in_force": filters.get("in_force") is True,
                                "type": filters.get("type") if isinstance(filters.get("type"), str) else None},
                       pdf_note=note if isinstance(note, str) else None)


def _string(value) -> str:
    if not isinstance(value, str) or len(value) > 500:
        raise TypeError(f"expected a string, not {type(value).__name__}")
    return value


def _count(value) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise TypeError(f"expected a count, not {value!r}"[:80])
    return value


def published_file(data_dir, publication: Publication, booklet: PublishedBooklet, fmt: str) -> Path | None:
    """The path of a booklet's file, when the set has it in that format."""
    spec = booklet.files.get(fmt)
    if spec is None:
        return None
    return publication_dir(data_dir) / publication.folder / spec.name
