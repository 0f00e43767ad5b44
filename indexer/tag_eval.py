"""The tagger against hand labels: level, region, topics and industries of the labelled set.

The labels (``tests/fixtures/tags/labels.jsonl``) were written by hand by the guide
``tests/fixtures/LABELLING.md``, each document belonging once and for all to the ``tune`` or the
``check`` half (``tests/fixtures/tags/set.tsv``, drawn by ``bench/draw_tag_set.py``). A
document is tagged the way ingest tags it: its source read by the real parser, then
:func:`indexer.build.build_policy`. Used by ``bench/tag_report.py --labels`` and the tests.
"""
from __future__ import annotations

import csv
import functools
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from indexer.build import build_policy
from indexer.parsers import BULK_READERS, PARSERS
from indexer.parsers.base import RawDocument
from policy_search.models import SourceFile

#: The order of the level confusion table (None: no issuing body).
LEVEL_ORDER = ("central", "provincial", "municipal", "county", None)
#: A document's topics or industries count as right when their Jaccard similarity with the
#: label's is at least this.
JACCARD_RIGHT = 0.5


@dataclass(frozen=True)
class Tags:
    """What a document is tagged with (or labelled with)."""
    level: str | None
    region: str | None
    topics: frozenset = frozenset()
    industries: frozenset = frozenset()


@dataclass(frozen=True)
class Label:
    """One hand label of the set, with its half."""
    key: str
    half: str
    tags: Tags
    note: str = ""


def _set_rows(set_file: Path) -> list[dict]:
    """The rows of the set's ``key<TAB>half<TAB>wave<TAB>title`` file."""
    with set_file.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def read_halves(set_file: Path) -> dict[str, str]:
    """key → ``tune`` or ``check``, from the set file."""
    return {row["key"]: row["half"] for row in _set_rows(set_file)}


def read_waves(set_file: Path) -> dict[str, int]:
    """key → the wave it was drawn in (1, 2 …), from the set file's ``wave`` column."""
    return {row["key"]: int(row.get("wave") or 1) for row in _set_rows(set_file)}


def read_labels(labels_file: Path, halves: dict[str, str]) -> list[Label]:
    """The labels, each with its half; a key outside the set is refused."""
    labels = []
    for number, line in enumerate(labels_file.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        if row["key"] not in halves:
            raise ValueError(f"{labels_file}:{number}: {row['key']!r} is not in the labelled set")
        labels.append(Label(row["key"], halves[row["key"]], Tags(
            row.get("level"), _placed_region(row.get("level"), row.get("region")),
            frozenset(row.get("topics") or ()), frozenset(row.get("industries") or ())), row.get("note", "")))
    return labels


@functools.lru_cache(maxsize=4)
def _bulk_documents(path: Path) -> dict[str, RawDocument]:
    """The records of a bulk TSV file by their docid, read by ingest's own reader."""
    return {record.document.metadata["id"]: record.document
            for record in BULK_READERS["tsv"](path) if record.document is not None}


def source_of(key: str, data_root: Path) -> tuple[RawDocument, SourceFile]:
    """The parsed document of a key (``ncp:<docid>``, ``govcn:<html file>``, ``laws:<path>``)
    under the shared data folder, as ingest reads it."""
    kind, _, name = key.partition(":")
    if kind == "ncp":
        return _bulk_documents(data_root / "ncp" / "corpus.tsv")[name], SourceFile(format="tsv")
    if kind == "govcn":
        path = data_root / "govcn" / "html" / name
        return PARSERS["html"](path), SourceFile(path=str(path), format="html")
    if kind == "laws":
        path = data_root / "laws" / name
        return PARSERS["md"](path), SourceFile(path=str(path), format="md")
    raise ValueError(f"unknown key {key!r}: ncp:, govcn: or laws:")


def tags_of(key: str, data_root: Path) -> Tags:
    """The tags ingest gives the document of a key."""
    raw, source = source_of(key, data_root)
    policy, _ = build_policy(raw, {}, source)
    level = policy.level or None
    return Tags(level, _placed_region(level, policy.region.code),
                frozenset(policy.topics), frozenset(policy.industries))


def _placed_region(level: str | None, code: str | None) -> str | None:
    """The region code that counts: none for a central document or one of no level."""
    return (code or None) if level not in (None, "central") else None


def jaccard(a: frozenset, b: frozenset) -> float:
    """Jaccard similarity; two empty sets agree.

    >>> jaccard(frozenset(), frozenset()), jaccard(frozenset("ab"), frozenset("bc"))
    (1.0, 0.3333333333333333)
    """
    return 1.0 if not a and not b else len(a & b) / len(a | b)


@dataclass
class TagScores:
    """How the tags of some documents agree with their labels."""
    documents: int = 0
    level_right: int = 0
    region_right: int = 0
    #: Documents whose topics (industries) have Jaccard ≥ JACCARD_RIGHT with the label's.
    topics_right: int = 0
    industries_right: int = 0
    #: expected level → tagged level → documents
    level_confusion: dict = field(default_factory=dict)
    #: per field, per tag: [labelled and tagged, tagged only, labelled only]
    per_tag: dict = field(default_factory=lambda: {"topics": {}, "industries": {}})

    def share(self, name: str) -> float:
        return getattr(self, f"{name}_right") / self.documents if self.documents else 0.0

    def precision(self, field_name: str) -> float:
        """Of every tag given in the field, the share the labels also have (micro average)."""
        both = sum(c[0] for c in self.per_tag[field_name].values())
        given = both + sum(c[1] for c in self.per_tag[field_name].values())
        return both / given if given else 1.0

    def recall(self, field_name: str) -> float:
        both = sum(c[0] for c in self.per_tag[field_name].values())
        wanted = both + sum(c[2] for c in self.per_tag[field_name].values())
        return both / wanted if wanted else 1.0

    def as_dict(self) -> dict:
        return {"documents": self.documents,
                **{name: round(self.share(name), 4) for name in ("level", "region", "topics", "industries")},
                "topics_precision": round(self.precision("topics"), 4),
                "topics_recall": round(self.recall("topics"), 4),
                "industries_precision": round(self.precision("industries"), 4),
                "industries_recall": round(self.recall("industries"), 4)}


def score(pairs: list[tuple[Tags, Tags]]) -> TagScores:
    """Scores of (label, tagged) pairs."""
    scores = TagScores()
    for want, got in pairs:
        scores.documents += 1
        scores.level_right += want.level == got.level
        scores.region_right += want.region == got.region
        scores.topics_right += jaccard(want.topics, got.topics) >= JACCARD_RIGHT
        scores.industries_right += jaccard(want.industries, got.industries) >= JACCARD_RIGHT
        row = scores.level_confusion.setdefault(want.level, Counter())
        row[got.level] += 1
        for name in ("topics", "industries"):
            wanted, given = getattr(want, name), getattr(got, name)
            for tag in wanted | given:
                counts = scores.per_tag[name].setdefault(tag, [0, 0, 0])
                counts[0 if tag in wanted and tag in given else 1 if tag in given else 2] += 1
    return scores
