"""Measuring ranking on questions with known answers: R@k, MRR@k, nDCG@k.

Search shows one hit per group of reposts (see :mod:`policy_search.duplicates`), so a hit counts as
the answer when it is the answer or a repost of it (the same notice on another site); ``strict``
metrics count the answer's own id only.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from policy_search.errors import ConfigurationError

K_VALUES = (1, 5, 10)


@dataclass
class Judged:
    """One question, its answer and where the answer came."""

    qid: str
    question: str
    answer: str
    rank: int | None          # 1-based; None when not in the top k
    first: str | None         # id of the first hit
    first_title: str | None
    strict_rank: int | None = None  # where the answer's own id came (None: not in the top k)


def read_queries(path: Path) -> list[tuple[str, str, str]]:
    """``qid<TAB>question<TAB>docid`` lines of a queries file."""
    rows = []
    try:
        lines = Path(path).read_text(encoding="utf-8-sig").splitlines()
    except OSError as exc:
        raise ConfigurationError(f"cannot read {path}: {exc.strerror}") from exc
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) < 3:
            raise ConfigurationError(f"{path}:{number}: expected qid<TAB>question<TAB>docid",
                                     hint="one question a line, three tab-separated columns")
        rows.append((parts[0], parts[1], parts[2].strip()))
    return rows


def reciprocal_rank(rank: int | None) -> float:
    """1/rank, 0 when not found.

    >>> reciprocal_rank(2), reciprocal_rank(None)
    (0.5, 0.0)
    """
    return 1.0 / rank if rank else 0.0


def ndcg_single(rank: int | None) -> float:
    """nDCG with one relevant document: 1/log2(rank + 1).

    >>> round(ndcg_single(1), 3), round(ndcg_single(3), 3)
    (1.0, 0.5)
    """
    return 1.0 / math.log2(rank + 1) if rank else 0.0


def summarise(judged: list[Judged], k: int = 10) -> dict:
    """The metrics over all judged questions (the JSON of ``eval --json``)."""
    n = len(judged) or 1
    result: dict = {"queries": len(judged)}
    for cut in sorted(set(K_VALUES) | {k}):
        if cut <= k:
            result[f"R@{cut}"] = round(sum(1 for j in judged if j.rank and j.rank <= cut) / n, 4)
    result[f"MRR@{k}"] = round(sum(reciprocal_rank(j.rank) for j in judged) / n, 4)
    result[f"nDCG@{k}"] = round(sum(ndcg_single(j.rank) for j in judged) / n, 4)
    if any(j.strict_rank != j.rank for j in judged):
        result["strict"] = {f"R@{k}": round(sum(1 for j in judged if j.strict_rank and j.strict_rank <= k) / n, 4),
                            f"MRR@{k}": round(sum(reciprocal_rank(j.strict_rank) for j in judged) / n, 4)}
    return result


def judge(service, queries: list[tuple[str, str, str]], k: int = 10) -> list[Judged]:
    """Run every question through the service and note where its answer came."""
    judged = []
    group = service.catalog.canonical_of()  # a repost's group, by its canonical id
    for qid, question, answer in queries:
        page = service.search(question[:200], limit=k, details=False)
        ids = [hit.id for hit in page.hits]
        same = [group.get(i, i) for i in ids]
        answer_group = group.get(answer, answer)
        rank = same.index(answer_group) + 1 if answer_group in same else None
        first = page.hits[0] if page.hits else None
        judged.append(Judged(qid, question, answer, rank, first.id if first else None,
                             first.title if first else None, ids.index(answer) + 1 if answer in ids else None))
    return judged


def worst(judged: list[Judged], count: int) -> list[Judged]:
    """The questions whose answer came last (or not at all)."""
    return sorted(judged, key=lambda j: -(j.rank or 10**6))[:count]
