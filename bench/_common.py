"""Shared helpers of the bench scripts: where the ncp data lies, reading it, small tables."""
from __future__ import annotations

import csv
import math
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
NCP = DATA / "ncp"
CORPUS = NCP / "corpus.tsv"
DEV_QUERIES = NCP / "queries-dev.tsv"
LOAD_QUERIES = NCP / "queries-load.txt"

# The service refuses longer queries (policy_search.search.query.MAX_QUERY_CHARS); the eval cuts there too.
MAX_QUERY_CHARS = 200


def require(*paths: Path) -> None:
    """Exit with a clear message when a data file the bench needs is absent."""
    missing = [path for path in paths if not path.is_file()]
    if missing:
        names = ", ".join(str(path) for path in missing)
        sys.exit(f"bench: data not found: {names}\n"
                 f"  the benches read the ncp set under {DATA} "
                 f"(shared/data beside the repository: corpus.tsv, queries-dev.tsv, queries-load.txt)")


def read_corpus(path: Path = CORPUS) -> dict[str, str]:
    """docid → text of a ``docid<TAB>text`` file with a header line."""
    csv.field_size_limit(1 << 30)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(rows, None)
        return {row[0]: row[1] for row in rows if len(row) >= 2}


def read_lines(path: Path, count: int | None = None) -> list[str]:
    """The non-empty lines of a one-question-a-line file, cut to the query limit."""
    lines = [line.strip()[:MAX_QUERY_CHARS]
             for line in path.read_text(encoding="utf-8-sig").splitlines() if line.strip()]
    return lines if count is None else lines[:count]


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (pct in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(pct / 100 * len(ordered))))
    return ordered[rank - 1]


def median(values: list[float]) -> float:
    return statistics.median(values)


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)
