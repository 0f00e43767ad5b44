"""Checking that every id ever issued still opens something: ``policy-search links check``."""
from __future__ import annotations

from dataclasses import dataclass, field

from policy_search.errors import PolicySearchError
from policy_search.links import saved_search_options


@dataclass
class LinkReport:
    """How many ids of each kind were checked, and the ones that no longer resolve."""

    checked: dict[str, int] = field(default_factory=lambda: {"policies": 0, "removed": 0,
                                                             "aliases": 0, "searches": 0,
                                                             "indexed": 0})
    broken: list[dict] = field(default_factory=list)

    def fail(self, kind: str, ident: str, reason: str) -> None:
        self.broken.append({"kind": kind, "id": ident, "reason": reason})

    def to_dict(self) -> dict:
        return {"checked": self.checked, "broken": self.broken}


def check_links(service) -> LinkReport:
    """Every policy id (in force or removed), alias and saved search of the catalog, resolved;
    and the ids of the index (local, or a cluster's) the same as the catalog's in force."""
    report = LinkReport()
    catalog = service.catalog
    indexed = service.indexed_ids()
    for policy in catalog.iter_policies(include_removed=True):
        status = catalog.policy_status(policy.id)
        if status["status"] == "removed":
            report.checked["removed"] += 1
            _check_replacement(service, report, policy.id, status["replaced_by"])
        else:
            report.checked["policies"] += 1
            if policy.id not in indexed:
                report.fail("policy", policy.id, "in the catalog but not in the index: re-run ingest")
    active = catalog.active_ids()
    report.checked["indexed"] = len(indexed)
    for policy_id in sorted(indexed - active):
        report.fail("indexed", policy_id, "in the index but not in force in the catalog: "
                    "re-run ingest (it takes the index back to the catalog) or reindex")
    for old_id, new_id in catalog.aliases().items():
        report.checked["aliases"] += 1
        if catalog.get_policy(new_id) is None:
            report.fail("alias", old_id, f"points at {new_id}, which is not in the catalog")
    for search_id, params in catalog.saved_searches().items():
        report.checked["searches"] += 1
        try:
            service.search(params.get("q", ""), **saved_search_options(params), limit=1, details=False)
        except PolicySearchError as err:
            report.fail("search", search_id, f"no longer runs: {err}")
    return report


def _check_replacement(service, report: LinkReport, policy_id: str, replaced_by: str | None) -> None:
    if not replaced_by:
        return
    current = service.catalog.resolve_alias(replaced_by) or replaced_by
    status = service.catalog.policy_status(current)
    if status is None:
        report.fail("removed", policy_id, f"replaced by {replaced_by}, which is not in the catalog")

