"""What changed, batch by batch: ``policy-search changes``.

Every writer of the catalog (ingest, remove, retag, import) opens a batch in its history and
logs under it each policy it adds, updates, removes or renames (see
:meth:`PolicyWriter.start_batch`). Batches of releases before that log counted their policies
but did not name them: they are listed with their counts, ``itemized`` false.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from policy_search.storage.catalog import Catalog

#: The kinds of change a batch lists, in the order they are shown.
ACTIONS = ("added", "updated", "removed", "renamed")
_MARKS = {"added": "+", "updated": "~", "removed": "-", "renamed": ">"}


def local_time(timestamp: float | None) -> str | None:
    """A Unix time as local ISO 8601 with its offset, to the second (None stays None)."""
    if timestamp is None:
        return None
    return datetime.datetime.fromtimestamp(timestamp).astimezone().isoformat(timespec="seconds")


def day_start(day: datetime.date) -> float:
    """The Unix time at which a day starts, in local time."""
    return datetime.datetime.combine(day, datetime.time()).astimezone().timestamp()


@dataclass
class BatchChanges:
    """One batch: when it ran, what kind it was, and the policies it changed by action."""

    id: int
    kind: str
    started_at: float
    finished_at: float | None
    itemized: bool
    counts: dict[str, int]
    policies: dict[str, list[dict]] = field(default_factory=lambda: {a: [] for a in ACTIONS})

    def to_dict(self) -> dict:
        """The JSON shape of a batch in ``changes --json``."""
        data = {"id": self.id, "kind": self.kind, "started_at": local_time(self.started_at),
                "finished_at": local_time(self.finished_at), "itemized": self.itemized,
                "counts": dict(self.counts)}
        for action in ACTIONS:
            data[action] = [{"id": p["id"], "title": p["title"],
                             **({"replaced_by": p["replaced_by"]} if action in ("removed", "renamed") else {})}
                            for p in self.policies[action]]
        return data

    def lines(self) -> list[str]:
        """For people: a heading, then one line a policy (``+ id  title``)."""
        started = local_time(self.started_at).replace("T", " ")
        state = "" if self.finished_at is not None else "  (did not finish)"
        counts = ", ".join(f"{n} {action}" for action, n in self.counts.items() if n or action != "renamed")
        out = [f"#{self.id}  {started}  {self.kind}: {counts}{state}"]
        if not self.itemized:
            out.append("  (policies not named: recorded by an older release)")
        for action in ACTIONS:
            for policy in self.policies[action]:
                after = f"  -> {policy['replaced_by']}" if policy.get("replaced_by") else ""
                out.append(f"  {_MARKS[action]} {policy['id']}  {policy['title']}{after}")
        return out


def batch_changes(catalog: Catalog, since: float | None = None) -> list[BatchChanges]:
    """The batches started at or after ``since`` (a Unix time; default: all), the latest first."""
    found = []
    for row in catalog.batches(since):
        batch = BatchChanges(id=row["id"], kind=row["kind"], started_at=row["started_at"],
                             finished_at=row["finished_at"], itemized=row["itemized"],
                             counts={a: 0 for a in ACTIONS})
        if row["itemized"]:
            for change in net_changes(catalog.policy_changes(row["id"])):
                batch.policies[change["action"]].append(change)
            batch.counts = {a: len(batch.policies[a]) for a in ACTIONS}
        else:
            report = row["report"] or {}
            batch.counts.update({a: int(report.get(a) or 0) for a in ("added", "updated", "removed")})
        found.append(batch)
    return found


def net_changes(changes: list[dict]) -> list[dict]:
    """One change a policy: its last in the batch, but a policy added and then written again
    (the same policy in two files of one batch) stays added.

    >>> [c["action"] for c in net_changes([{"id": "a", "action": "added"}, {"id": "a", "action": "updated"},
    ...                                    {"id": "b", "action": "updated"}, {"id": "b", "action": "removed"}])]
    ['added', 'removed']
    """
    net: dict[str, dict] = {}
    for change in changes:
        before = net.get(change["id"])
        if before is not None and before["action"] == "added" and change["action"] == "updated":
            continue
        net[change["id"]] = change
    return list(net.values())
