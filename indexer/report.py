"""The batch report: what an ingest did, file by file."""
from __future__ import annotations

from dataclasses import dataclass, field

from policy_search.text.cleaning import printable_path


@dataclass
class BatchReport:
    """Counts of policies added, updated and unchanged; failed files and warnings with reasons."""

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

    def count(self, action: str) -> None:
        """Add one policy to the counter of its action."""
        setattr(self, action, getattr(self, action) + 1)

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
                "files": self.files, "dry_run": self.dry_run, "recovered": self.recovered}

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
