"""The SQLite catalog: every policy's full record, its source files, aliases and history.

The catalog is the source of truth; the Whoosh index is derived from it and can
be rebuilt from it. A policy row is written ``pending`` first, the index is
committed, then the row is marked indexed: a run killed in between leaves
pending rows that the next run indexes again (see :meth:`Catalog.pending_ids`).
"""
from __future__ import annotations

import json
import sqlite3
from collections import Counter
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from policy_search.models import Policy, validity_status

SCHEMA = """
CREATE TABLE IF NOT EXISTS policies (
    id TEXT PRIMARY KEY,
    record TEXT NOT NULL,          -- Policy.to_dict() as JSON
    status TEXT NOT NULL DEFAULT 'active',   -- active | removed
    replaced_by TEXT,
    pending INTEGER NOT NULL DEFAULT 1,      -- 1 until the index has it in its committed state
    source_path TEXT,
    sha256 TEXT,
    created_at REAL NOT NULL,      -- when the policy first entered the catalog (kept by updates)
    updated_at REAL NOT NULL,      -- its last change (an update, a removal)
    removed_at REAL                -- when it was taken out of search; NULL while active
);
CREATE TABLE IF NOT EXISTS sources (
    path TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime REAL NOT NULL,
    policy_ids TEXT NOT NULL,      -- JSON list
    ingested_at REAL NOT NULL,
    root TEXT                      -- the folder ingest was given (downloads must stay inside it)
);
CREATE TABLE IF NOT EXISTS aliases (
    old_id TEXT PRIMARY KEY,
    new_id TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS batches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at REAL NOT NULL,
    finished_at REAL,
    report TEXT,
    kind TEXT NOT NULL DEFAULT 'ingest',     -- ingest | remove | retag | import
    itemized INTEGER NOT NULL DEFAULT 0      -- 1 when the history names every policy it changed
);
CREATE TABLE IF NOT EXISTS history (
    batch_id INTEGER,
    at REAL NOT NULL,
    path TEXT,
    policy_id TEXT,
    action TEXT NOT NULL,          -- added | updated | removed | renamed | ingested | pruned | imported | failed
    detail TEXT                    -- added, updated, removed, renamed: JSON {title, replaced_by}
);
CREATE TABLE IF NOT EXISTS saved_searches (
    id TEXT PRIMARY KEY,
    params TEXT NOT NULL,          -- JSON object: q and filters (links.canonical_search)
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS minhashes (
    id TEXT PRIMARY KEY,           -- an active policy (see policy_search/duplicates.py)
    signature BLOB NOT NULL        -- its MinHash: NUM_PERM uint64 values
);
CREATE TABLE IF NOT EXISTS duplicate_pairs (
    a TEXT NOT NULL,               -- two active policies that are one notice reposted (a < b)
    b TEXT NOT NULL,
    similarity REAL NOT NULL,      -- exact Jaccard similarity of their shingles
    PRIMARY KEY (a, b)
);
CREATE TABLE IF NOT EXISTS duplicates (
    policy_id TEXT PRIMARY KEY,    -- a member of a group of reposts
    canonical_id TEXT NOT NULL,    -- the group's canonical policy (itself for that one)
    similarity REAL NOT NULL       -- Jaccard similarity to the canonical policy
);
CREATE TABLE IF NOT EXISTS duplicate_rule (
    version INTEGER NOT NULL       -- duplicates.RULE_VERSION the pairs were found under (one row)
);
CREATE INDEX IF NOT EXISTS duplicates_canonical ON duplicates(canonical_id);
CREATE INDEX IF NOT EXISTS history_policy ON history(policy_id);
CREATE INDEX IF NOT EXISTS history_batch ON history(batch_id);
CREATE INDEX IF NOT EXISTS policies_pending ON policies(pending);
CREATE INDEX IF NOT EXISTS policies_created ON policies(created_at);
"""


#: Columns added since the first release: (table, column, declaration, backfill SQL or None).
MIGRATIONS = (
    ("sources", "root", "TEXT", None),
    ("policies", "removed_at", "REAL",
     "UPDATE policies SET removed_at=updated_at WHERE status='removed' AND removed_at IS NULL"),
    ("batches", "kind", "TEXT NOT NULL DEFAULT 'ingest'", None),
    ("batches", "itemized", "INTEGER NOT NULL DEFAULT 0", None),
)


class Catalog:
    """Access to the catalog database of one data directory."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(str(self.path), timeout=30, check_same_thread=False)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.executescript(SCHEMA)
        self._add_missing_columns()
        #: canonical_of's last answer, with the stamp of the catalog it was read from
        self._canonical: tuple[tuple[int, int], dict[str, str]] | None = None

    def _add_missing_columns(self) -> None:
        """Bring a catalog written by an older release up to this schema.

        A removal's time was only the row's ``updated_at`` before ``removed_at``: it is copied
        over. Batches of older releases were all ingests, and their history names no policy
        (``itemized`` 0).
        """
        for table, column, declaration, backfill in MIGRATIONS:
            columns = {row[1] for row in self.conn.execute(f"PRAGMA table_info({table})")}
            if column in columns:
                continue
            try:
                with self.conn:
                    self.conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
                    if backfill:
                        self.conn.execute(backfill)
            except sqlite3.OperationalError as exc:  # another process added it first
                if "duplicate column" not in str(exc):
                    raise

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic unit of writes: all of it lands, or none."""
        with self.conn:
            yield self.conn

    # --- policies -------------------------------------------------------------

    def put_policy(self, policy: Policy) -> str:
        """Insert or replace a policy, marked pending and active; returns 'added' or 'updated'.

        A policy already here keeps the time it first entered (``created_at``), also when it
        comes back after a removal.
        """
        now = time.time()
        row = self.conn.execute("SELECT created_at FROM policies WHERE id=?", (policy.id,)).fetchone()
        created = row["created_at"] if row else now
        self.conn.execute(
            "INSERT OR REPLACE INTO policies(id, record, status, replaced_by, pending, source_path,"
            " sha256, created_at, updated_at, removed_at) VALUES (?,?,?,?,?,?,?,?,?,NULL)",
            (policy.id, json.dumps(policy.to_dict(), ensure_ascii=False), "active", None, 1,
             policy.source.path, policy.source.sha256, created, now))
        return "updated" if row else "added"

    def refresh_source(self, policy: Policy) -> None:
        """Take a policy's new source file (path, fingerprint) into its record, leaving its
        change time and its index state alone (see :meth:`PolicyWriter.put`)."""
        self.conn.execute("UPDATE policies SET record=?, source_path=?, sha256=? WHERE id=?",
                          (json.dumps(policy.to_dict(), ensure_ascii=False), policy.source.path,
                           policy.source.sha256, policy.id))

    def get_policy(self, policy_id: str) -> Policy | None:
        """The policy with this id, active or removed, or None."""
        row = self.conn.execute("SELECT record FROM policies WHERE id=?", (policy_id,)).fetchone()
        return Policy.from_dict(json.loads(row["record"])) if row else None

    def policy_status(self, policy_id: str) -> dict | None:
        """Status row of a policy: status, replaced_by, created_at, updated_at, removed_at."""
        row = self.conn.execute(
            "SELECT status, replaced_by, created_at, updated_at, removed_at FROM policies WHERE id=?",
            (policy_id,)).fetchone()
        return dict(row) if row else None

    def newest_first_seen(self, page_rows: int = 500) -> Iterator[tuple[str, float, float]]:
        """``(id, created_at, updated_at)`` of every active policy, the latest to enter first
        (ties: by id), read ``page_rows`` at a time: stop when you have enough.

        Each page is read whole, so no statement stays open on the shared connection between
        pages, and starts after the last row of the one before, so a policy added meanwhile
        (it sorts first) neither repeats a row nor pushes one out.
        """
        rows = self.conn.execute(
            "SELECT id, created_at, updated_at FROM policies WHERE status='active'"
            " ORDER BY created_at DESC, id LIMIT ?", (page_rows,)).fetchall()
        while rows:
            yield from (tuple(row) for row in rows)
            if len(rows) < page_rows:
                return
            last_id, last_created, _ = rows[-1]
            rows = self.conn.execute(
                "SELECT id, created_at, updated_at FROM policies WHERE status='active'"
                " AND (created_at < ? OR (created_at = ? AND id > ?))"
                " ORDER BY created_at DESC, id LIMIT ?", (last_created, last_created, last_id, page_rows)).fetchall()

    def last_change(self) -> float | None:
        """When a policy was last added, changed or removed (None in an empty catalog)."""
        return self.conn.execute("SELECT MAX(updated_at) FROM policies").fetchone()[0]

    def iter_policies(self, include_removed: bool = False) -> Iterator[Policy]:
        """Every policy, ordered by id."""
        sql = "SELECT record FROM policies"
        if not include_removed:
            sql += " WHERE status='active'"
        for row in self.conn.execute(sql + " ORDER BY id"):
            yield Policy.from_dict(json.loads(row["record"]))

    def active_ids(self) -> set[str]:
        """IDs of every active policy."""
        return {r[0] for r in self.conn.execute("SELECT id FROM policies WHERE status='active'")}

    def mark_removed(self, policy_id: str, replaced_by: str | None = None) -> None:
        """Mark a policy removed (it stays in the catalog; links answer that it is gone), and when."""
        now = time.time()
        self.conn.execute(
            "UPDATE policies SET status='removed', replaced_by=?, pending=1, updated_at=?, removed_at=?"
            " WHERE id=?", (replaced_by, now, now, policy_id))

    def pending_ids(self) -> list[str]:
        """Policies whose latest state may not be in the committed index yet."""
        return [r[0] for r in self.conn.execute("SELECT id FROM policies WHERE pending=1")]

    def mark_indexed(self, ids: list[str]) -> None:
        """Record that the committed index now holds the latest state of these policies."""
        self.conn.executemany("UPDATE policies SET pending=0 WHERE id=?", [(i,) for i in ids])

    # --- sources --------------------------------------------------------------

    def source(self, path: str) -> dict | None:
        """What we know of a source file: sha256, size, mtime, policy_ids."""
        row = self.conn.execute("SELECT * FROM sources WHERE path=?", (path,)).fetchone()
        if not row:
            return None
        data = dict(row)
        data["policy_ids"] = json.loads(data["policy_ids"])
        return data

    def put_source(self, path: str, sha256: str, size: int, mtime: float, policy_ids: list[str],
                   root: str | None = None) -> None:
        """Remember the state of a source file after ingesting it, and the folder it was found in."""
        self.conn.execute(
            "INSERT OR REPLACE INTO sources(path, sha256, size, mtime, policy_ids, ingested_at, root)"
            " VALUES (?,?,?,?,?,?,?)",
            (path, sha256, size, mtime, json.dumps(policy_ids), time.time(), root))

    def source_policy_ids(self) -> dict[str, list[str]]:
        """Every source file's path and the ids of the policies it gave."""
        return {row[0]: json.loads(row[1]) for row in self.conn.execute("SELECT path, policy_ids FROM sources")}

    def delete_source(self, path: str) -> None:
        """Forget a source file (its policies stay as they are)."""
        self.conn.execute("DELETE FROM sources WHERE path=?", (path,))

    def set_source_root(self, path: str, root: str) -> None:
        """Record the folder an unchanged source file was found in (older catalogs lack it)."""
        with self.conn:
            self.conn.execute("UPDATE sources SET root=? WHERE path=?", (root, path))

    # --- aliases and history --------------------------------------------------

    def add_alias(self, old_id: str, new_id: str) -> None:
        """Make an old id point at the policy's current id (and the ids that pointed at the old
        one with it). The current id itself stops being an alias: a policy whose id went back to
        an earlier one (a 文号 corrected, then corrected back) answers under it again."""
        if old_id != new_id:
            self.conn.execute("INSERT OR REPLACE INTO aliases(old_id, new_id, created_at) VALUES (?,?,?)",
                              (old_id, new_id, time.time()))
            self.conn.execute("UPDATE aliases SET new_id=? WHERE new_id=?", (new_id, old_id))
            self.conn.execute("DELETE FROM aliases WHERE old_id=?", (new_id,))

    def resolve_alias(self, policy_id: str) -> str | None:
        """The current id an old id points at, if any."""
        row = self.conn.execute("SELECT new_id FROM aliases WHERE old_id=?", (policy_id,)).fetchone()
        return row[0] if row else None

    # --- saved searches (short links on posters) --------------------------------

    def save_search(self, search_id: str, params: dict) -> None:
        """Keep a search under its id (saving it again changes nothing)."""
        with self.transaction() as conn:
            conn.execute("INSERT OR IGNORE INTO saved_searches(id, params, created_at) VALUES (?,?,?)",
                         (search_id, json.dumps(params, ensure_ascii=False), time.time()))

    def saved_search(self, search_id: str) -> dict | None:
        """The parameters of a saved search, or None."""
        row = self.conn.execute("SELECT params FROM saved_searches WHERE id=?", (search_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def saved_searches(self) -> dict[str, dict]:
        """Every saved search by id."""
        rows = self.conn.execute("SELECT id, params FROM saved_searches ORDER BY id")
        return {sid: json.loads(params) for sid, params in rows}

    def aliases(self) -> dict[str, str]:
        """Every old id and the id it points at."""
        return dict(self.conn.execute("SELECT old_id, new_id FROM aliases ORDER BY old_id"))

    # --- backups (policy-search export / import) ------------------------------------

    @contextmanager
    def read_snapshot(self) -> Iterator[None]:
        """Reads inside see one committed state, even if a writer commits meanwhile."""
        self.conn.execute("BEGIN")
        try:
            yield
        finally:
            self.conn.rollback()

    def policy_rows(self) -> Iterator[tuple[dict, str, str | None]]:
        """Every policy's stored record with its status and replacement, ordered by id."""
        for row in self.conn.execute("SELECT record, status, replaced_by FROM policies ORDER BY id"):
            yield json.loads(row["record"]), row["status"], row["replaced_by"]

    def put_saved_search(self, search_id: str, params: dict) -> bool:
        """Keep a search inside the caller's transaction; False when the id was already there."""
        cur = self.conn.execute(
            "INSERT OR IGNORE INTO saved_searches(id, params, created_at) VALUES (?,?,?)",
            (search_id, json.dumps(params, ensure_ascii=False), time.time()))
        return cur.rowcount == 1

    def start_batch(self, kind: str = "ingest") -> int:
        """Open a batch of changes in the history (``kind``: ingest, remove, retag, import);
        returns its number. Its history lines name every policy it adds, updates or removes."""
        with self.conn:
            cur = self.conn.execute("INSERT INTO batches(started_at, kind, itemized) VALUES (?,?,1)",
                                    (time.time(), kind))
        return int(cur.lastrowid)

    def finish_batch(self, batch_id: int, report: dict) -> None:
        """Close a batch with its report."""
        with self.conn:
            self.conn.execute("UPDATE batches SET finished_at=?, report=? WHERE id=?",
                              (time.time(), json.dumps(report, ensure_ascii=False), batch_id))

    def log(self, batch_id: int | None, action: str, path: str | None = None,
            policy_id: str | None = None, detail: str | None = None) -> None:
        """Append one line to the ingestion history."""
        self.conn.execute("INSERT INTO history(batch_id, at, path, policy_id, action, detail)"
                          " VALUES (?,?,?,?,?,?)", (batch_id, time.time(), path, policy_id, action, detail))

    def batches(self, since: float | None = None) -> list[dict]:
        """The batches started at or after ``since`` (all by default), the latest first: id, kind,
        started_at, finished_at, itemized and report (the stored report, a dict, or None)."""
        rows = self.conn.execute(
            "SELECT id, kind, started_at, finished_at, itemized, report FROM batches"
            " WHERE started_at >= ? ORDER BY started_at DESC, id DESC", (since or 0.0,))
        return [{**dict(row), "itemized": bool(row["itemized"]),
                 "report": json.loads(row["report"]) if row["report"] else None} for row in rows]

    def log_policy_change(self, batch_id: int | None, action: str, policy_id: str, title: str,
                          replaced_by: str | None = None) -> None:
        """One policy added, updated, removed or renamed (taken out for ``replaced_by``, its new
        id), with its title at the time."""
        detail = {"title": title, "replaced_by": replaced_by} if replaced_by else {"title": title}
        self.log(batch_id, action, None, policy_id, json.dumps(detail, ensure_ascii=False))

    def policy_changes(self, batch_id: int) -> list[dict]:
        """What a batch did to each policy, in order: ``{action, id, title, replaced_by, at}``
        (action: added, updated, removed or renamed)."""
        rows = self.conn.execute(
            "SELECT action, policy_id, detail, at FROM history WHERE batch_id=? AND policy_id IS NOT NULL"
            " AND action IN ('added', 'updated', 'removed', 'renamed') ORDER BY rowid", (batch_id,))
        changes = []
        for row in rows:
            detail = json.loads(row["detail"] or "{}")
            changes.append({"action": row["action"], "id": row["policy_id"], "title": detail.get("title", ""),
                            "replaced_by": detail.get("replaced_by"), "at": row["at"]})
        return changes

    def counts(self) -> dict:
        """Numbers for ``stats``: policies by format, level, region, topic, industry and validity."""
        spreads: dict[str, Counter] = {k: Counter() for k in
                                       ("formats", "types", "levels", "regions", "topics", "industries",
                                        "validity")}
        total = 0
        for policy in self.iter_policies():
            total += 1
            spreads["formats"][policy.source.format or "unknown"] += 1
            spreads["types"][policy.type] += 1
            spreads["levels"][policy.level or "unknown"] += 1
            spreads["regions"]["/".join(policy.region.path) or policy.region.name or "unknown"] += 1
            spreads["topics"].update(policy.topics or ["(none)"])
            spreads["industries"].update(policy.industries or ["(none)"])
            spreads["validity"][validity_status(policy.valid_until)] += 1
        removed = self.conn.execute("SELECT COUNT(*) FROM policies WHERE status='removed'").fetchone()[0]
        sources = self.conn.execute("SELECT COUNT(*) FROM sources").fetchone()[0]
        batches = self.conn.execute("SELECT COUNT(*), MAX(finished_at) FROM batches").fetchone()
        data = {"policies": total, "removed": removed, "sources": sources,
                "batches": batches[0], "last_ingest": batches[1]}
        data.update({name: dict(counter.most_common()) for name, counter in spreads.items()})
        return data

    # --- reposts (policy_search/duplicates.py) --------------------------------------

    def minhash_ids(self) -> set[str]:
        """Policies whose MinHash is stored."""
        return {r[0] for r in self.conn.execute("SELECT id FROM minhashes")}

    def minhashes(self) -> list[tuple[str, bytes]]:
        """Every stored MinHash, ``(id, bytes)``."""
        return [(r[0], r[1]) for r in self.conn.execute("SELECT id, signature FROM minhashes")]

    def put_minhash(self, policy_id: str, signature: bytes) -> None:
        """Store a policy's MinHash."""
        self.conn.execute("INSERT OR REPLACE INTO minhashes(id, signature) VALUES (?,?)", (policy_id, signature))

    def delete_minhash(self, policy_id: str) -> None:
        """Forget a policy's MinHash (it left search)."""
        self.conn.execute("DELETE FROM minhashes WHERE id=?", (policy_id,))

    def put_duplicate_pair(self, a: str, b: str, similarity: float) -> None:
        """Record two policies as one notice reposted."""
        a, b = min(a, b), max(a, b)
        self.conn.execute("INSERT OR REPLACE INTO duplicate_pairs(a, b, similarity) VALUES (?,?,?)",
                          (a, b, similarity))

    def delete_duplicate_pairs(self, policy_id: str) -> None:
        """Forget every repost pair of a policy (before it is compared again)."""
        self.conn.execute("DELETE FROM duplicate_pairs WHERE a=? OR b=?", (policy_id, policy_id))

    def duplicate_pairs(self) -> list[tuple[str, str]]:
        """Every repost pair."""
        return [(r[0], r[1]) for r in self.conn.execute("SELECT a, b FROM duplicate_pairs ORDER BY a, b")]

    def set_duplicate_groups(self, rows: list[tuple[str, str, float]]) -> None:
        """Replace the groups: ``(policy_id, canonical_id, similarity)`` for every member."""
        self.conn.execute("DELETE FROM duplicates")
        self.conn.executemany("INSERT INTO duplicates(policy_id, canonical_id, similarity) VALUES (?,?,?)", rows)

    def duplicate_rule(self) -> int | None:
        """The rule version the stored pairs were found under (None before any)."""
        row = self.conn.execute("SELECT version FROM duplicate_rule").fetchone()
        return row[0] if row else None

    def set_duplicate_rule(self, version: int) -> None:
        """Record the rule version the pairs are now found under."""
        self.conn.execute("DELETE FROM duplicate_rule")
        self.conn.execute("INSERT INTO duplicate_rule(version) VALUES (?)", (version,))

    def duplicate_groups(self) -> dict[str, list[tuple[str, float]]]:
        """Every group by its canonical id: its members ``(id, similarity)``, the canonical
        one first, then the most similar."""
        groups: dict[str, list[tuple[str, float]]] = {}
        for pid, head, similarity in self.conn.execute(
                "SELECT policy_id, canonical_id, similarity FROM duplicates"
                " ORDER BY canonical_id, policy_id != canonical_id, similarity DESC, policy_id"):
            groups.setdefault(head, []).append((pid, similarity))
        return groups

    def canonical_of(self) -> dict[str, str]:
        """Every grouped policy and its group's canonical id (what searches collapse on; every
        search asks, so the table is read again only when the catalog changed: a commit of
        another connection moves SQLite's ``data_version``, a write of this one its
        ``total_changes``). The dict is shared: read it, never change it."""
        stamp = (self.conn.execute("PRAGMA data_version").fetchone()[0], self.conn.total_changes)
        kept = self._canonical
        if kept is not None and kept[0] == stamp:
            return kept[1]
        found = dict(self.conn.execute("SELECT policy_id, canonical_id FROM duplicates"))
        self._canonical = (stamp, found)
        return found

    def duplicate_group_of(self, policy_id: str) -> list[tuple[str, float]]:
        """The group of a policy (see :meth:`duplicate_groups`), empty when it has none."""
        row = self.conn.execute("SELECT canonical_id FROM duplicates WHERE policy_id=?", (policy_id,)).fetchone()
        if not row:
            return []
        return [(r[0], r[1]) for r in self.conn.execute(
            "SELECT policy_id, similarity FROM duplicates WHERE canonical_id=?"
            " ORDER BY policy_id != canonical_id, similarity DESC, policy_id", (row[0],))]

    # --- policies the index cannot take (see PolicyWriter._recover) ------------------

    def set_aside(self, policy_id: str, reason: str) -> None:
        """Stop retrying a policy: its row marked ``pending=2`` (neither pending nor indexed), the
        reason logged as 'failed'. Writing the policy again makes it pending, and so tried, again."""
        with self.conn:
            self.conn.execute("UPDATE policies SET pending=2 WHERE id=?", (policy_id,))
            self.log(None, "failed", None, policy_id, reason)

    def set_aside_ids(self) -> set[str]:
        """Policies set aside because the index could not take them."""
        return {r[0] for r in self.conn.execute("SELECT id FROM policies WHERE pending=2")}
