"""The batch report: what an ingest did, file by file."""
from __future__ import annotations

from dataclasses import dataclass, field

from policy_search.text.cleaning import printable_path

#: The human report names the policies of an action when it has at most this many.
NAMED_AT_MOST = 10
#: The actions whose policies the report lists by id.
LISTED_ACTIONS = ("added", "updated", "removed")


@dataclass
class BatchReport:
    """Counts of policies added, updated and unchanged; failed files and warnings with reasons;
    the ids (and titles) of the policies added, updated and removed."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    failed: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    files: int = 0
    dry_run: bool = False
    recovered: int = 0
    #: {action: {id: title}} for the actions of LISTED_ACTIONS, in the order they happened
    changed: dict[str, dict[str, str]] = field(default_factory=lambda: {a: {} for a in LISTED_ACTIONS})
    #: Policies removed by ``--prune`` because their file is gone: ``{"id", "title", "path"}``
    #: (also counted and listed as removed).
    pruned: list[dict] = field(default_factory=list)

    def count(self, action: str, policy_id: str | None = None, title: str = "") -> None:
        """Add one policy to the counter of its action (and, for a listed action, its id)."""
        setattr(self, action, getattr(self, action) + 1)
        if policy_id is not None and action in self.changed:
            self.changed[action][policy_id] = title

    def merge(self, other: "BatchReport") -> None:
        """Add what another report counted, named and warned of (one file's part of a batch)."""
        for action in ("added", "updated", "unchanged", "removed"):
            setattr(self, action, getattr(self, action) + getattr(other, action))
        for action in LISTED_ACTIONS:
            self.changed[action].update(other.changed[action])
        self.failed += other.failed
        self.warnings += other.warnings
        self.pruned += other.pruned

    def ids(self, action: str) -> list[str]:
        """The ids of the policies an action touched, in order."""
        return list(self.changed[action])

    def prune(self, policy_id: str, title: str, path: str) -> None:
        """A policy removed because its source file is gone."""
        self.pruned.append({"id": policy_id, "title": title, "path": printable_path(path)})

    def fail(self, path: str, reason: str) -> None:
        """A file or record that could not be ingested, with why."""
        self.failed.append({"path": printable_path(path), "error": printable_path(reason)})

    def warn(self, path: str, message: str) -> None:
        """Something worth knowing that did not stop the file."""
        self.warnings.append({"path": printable_path(path), "warning": printable_path(message)})

    def skip(self, path: str, reason: str) -> None:
        """Something found in a folder and deliberately not ingested (a link leading out of it)."""
        self.skipped.append({"path": printable_path(path), "reason": printable_path(reason)})

    @property
    def exit_code(self) -> int:
        """0 when nothing failed, 1 when some files failed."""
        return 1 if self.failed else 0

    def to_dict(self) -> dict:
        """The JSON shape of ``ingest --json``."""
        return {"added": self.added, "updated": self.updated, "unchanged": self.unchanged,
                "removed": self.removed, "failed": self.failed, "warnings": self.warnings,
                "skipped": self.skipped,
                "files": self.files, "dry_run": self.dry_run, "recovered": self.recovered,
                **{f"{action}_ids": self.ids(action) for action in LISTED_ACTIONS},
                "pruned": self.pruned}

    def summary(self) -> str:
        """One line for people."""
        verb = "would be" if self.dry_run else ""
        parts = [f"{self.added} added", f"{self.updated} updated", f"{self.unchanged} unchanged"]
        if self.removed:
            parts.append(f"{self.removed} removed")
        parts.append(f"{len(self.failed)} failed")
        if self.skipped:
            parts.append(f"{len(self.skipped)} skipped")
        text = ", ".join(parts) + f" ({self.files} files)"
        return f"{text} {verb}".strip()

    def named_lines(self) -> list[str]:
        """For people: the policies of each action, one a line (``+ id  title``), when an action
        has at most :data:`NAMED_AT_MOST` of them; else nothing for it (the count says enough)."""
        marks = {"added": "+", "updated": "~", "removed": "-"}
        pruned = {item["id"] for item in self.pruned}
        lines = []
        for action in LISTED_ACTIONS:
            named = {pid: title for pid, title in self.changed[action].items() if pid not in pruned}
            if 0 < len(named) <= NAMED_AT_MOST:
                lines += [f"{marks[action]} {pid}  {printable_path(title)}" for pid, title in named.items()]
        return lines

    def pruned_lines(self) -> list[str]:
        """For people: every policy pruned (or, in a dry run, that would be), however many, with
        the file that is gone: a removal staff asked for is listed in full."""
        if not self.pruned:
            return []
        verb = "would be removed" if self.dry_run else "removed"
        lines = [f"{len(self.pruned)} {'policy' if len(self.pruned) == 1 else 'policies'} {verb}: "
                 "their files are gone"]
        for item in self.pruned:
            lines.append(f"- {item['id']}  {printable_path(item['title'])}  ({item['path']})")
        return lines
