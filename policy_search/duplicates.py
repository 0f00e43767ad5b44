"""Reposts: the same notice catalogued under several ids (one copy per site that reposted it).

Each active policy's text is folded (:func:`text.fold.fold`), its whitespace dropped, and cut
into overlapping runs of ``SHINGLE`` characters. A MinHash of that set (``datasketch``) is kept
in the catalog; an LSH over the MinHashes of every active policy proposes the candidates of the
policies a batch touched, and a candidate pair counts as a repost when the exact Jaccard
similarity of the two sets is at least ``THRESHOLD``. Groups are the connected components of
those pairs, each with one canonical policy (see :func:`canonical_order`).

The threshold was measured on the 599 documents of ``ncp/corpus.tsv`` (see the README): pairs
of true reposts stand at 0.92 and above, the closest pair that is not one (two news articles
retelling the same measures) at 0.88, then 0.80 and below.

The LSH is built at each refresh from the stored MinHashes (128 64-bit values a policy: 1 KB),
so a refresh costs reading those plus hashing the touched texts; the catalog holds the pairs
and the groups, and pages and searches read only those.
"""
from __future__ import annotations

import re
from typing import Iterable

import numpy as np

from policy_search.text.fold import fold

#: Characters in a shingle. Five keeps two different notices that share set phrases
#: (各省、自治区、直辖市 ...) far apart while a repost with another header stays close.
SHINGLE = 5
#: MinHash permutations (the LSH's bands times rows).
NUM_PERM = 128
#: Exact Jaccard similarity of the shingle sets from which two policies are one notice.
THRESHOLD = 0.9
#: The LSH's own threshold, below ``THRESHOLD`` so that a pair at 0.9 is proposed almost
#: surely (14 bands of 9 rows: a pair at 0.9 is missed with probability about 0.001).
LSH_THRESHOLD = 0.7
#: Fixed so that the MinHashes stored by one run compare with those of the next.
SEED = 20200130
#: datasketch's hashing scheme, named so that stored values are read back under the one that made them.
SCHEME = "affine32"

_SPACE = re.compile(r"\s+")


def shingles(text: str) -> set[str]:
    """The character shingles of a text, folded and without whitespace.

    >>> sorted(shingles("國務院 辦公廳"))
    ['务院办公厅', '国务院办公']
    >>> shingles("短")
    {'短'}
    """
    flat = _SPACE.sub("", fold(text or ""))
    if len(flat) <= SHINGLE:
        return {flat} if flat else set()
    return {flat[i:i + SHINGLE] for i in range(len(flat) - SHINGLE + 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    """Exact Jaccard similarity of two sets (0 when both are empty).

    >>> jaccard({"a", "b"}, {"b", "c"})
    0.3333333333333333
    """
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def minhash_values(shingle_set: Iterable[str]) -> np.ndarray:
    """The MinHash of a shingle set, as its ``NUM_PERM`` 64-bit hash values."""
    from datasketch import MinHash  # imports SciPy: only when a writer refreshes the groups
    minhash = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME)
    minhash.update_batch([s.encode("utf-8") for s in shingle_set])
    return minhash.hashvalues.astype(np.uint64)


def candidate_pairs(signatures: dict[str, np.ndarray], probes: Iterable[str]) -> set[tuple[str, str]]:
    """Pairs ``(a, b)`` (a < b) the LSH proposes for each probe id against every signature."""
    from datasketch import MinHash, MinHashLSH
    lsh = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM)
    hashes = {pid: MinHash(num_perm=NUM_PERM, seed=SEED, hashvalues=values, scheme=SCHEME)
              for pid, values in signatures.items()}
    with lsh.insertion_session() as session:
        for pid, minhash in hashes.items():
            session.insert(pid, minhash)
    pairs = set()
    for pid in probes:
        if pid in hashes:
            for other in lsh.query(hashes[pid]):
                if other != pid:
                    pairs.add((min(pid, other), max(pid, other)))
    return pairs


def components(pairs: Iterable[tuple[str, str]]) -> list[set[str]]:
    """Connected components of an undirected graph given by its edges.

    >>> sorted(sorted(c) for c in components([("a", "b"), ("c", "b"), ("d", "e")]))
    [['a', 'b', 'c'], ['d', 'e']]
    """
    parent: dict[str, str] = {}

    def root(node: str) -> str:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for a, b in pairs:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[str, set[str]] = {}
    for node in parent:
        groups.setdefault(root(node), set()).add(node)
    return list(groups.values())


def canonical_order(member: dict) -> tuple:
    """Sort key of a group's members, the canonical one first: the one with a 文号 (it can be
    cited and looked up), then the most complete text (the longest: a repost often drops the
    header or the attachment), then the one catalogued first, then the id.

    >>> members = [{"id": "b", "doc_number": None, "length": 900, "created_at": 1.0},
    ...            {"id": "a", "doc_number": "京政办发〔2020〕7号", "length": 800, "created_at": 2.0}]
    >>> [m["id"] for m in sorted(members, key=canonical_order)]
    ['a', 'b']
    """
    return (not member.get("doc_number"), -member["length"], member["created_at"], member["id"])


def refresh(catalog, touched: Iterable[str]) -> None:
    """Recompute the MinHashes and repost pairs of the touched policies, then the groups.

    Call inside the catalog's transaction after a writer's commit. An active policy without a
    MinHash (a catalog of an older release, an import) counts as touched.
    """
    active = catalog.active_ids()
    stored = catalog.minhash_ids()
    touched = (set(touched) | (active - stored)) & (active | stored)
    if not touched and not (stored - active):
        return
    gone = stored - active
    texts: dict[str, set[str]] = {}

    def shingles_of(pid: str) -> set[str]:
        if pid not in texts:
            policy = catalog.get_policy(pid)
            texts[pid] = shingles(policy.text if policy is not None else "")
        return texts[pid]

    for pid in touched | gone:
        catalog.delete_duplicate_pairs(pid)
        if pid in active:
            catalog.put_minhash(pid, minhash_values(shingles_of(pid)).tobytes())
        else:
            catalog.delete_minhash(pid)
    probes = touched & active
    if probes:
        signatures = {pid: np.frombuffer(blob, dtype=np.uint64) for pid, blob in catalog.minhashes()}
        for a, b in candidate_pairs(signatures, probes):
            similarity = jaccard(shingles_of(a), shingles_of(b))
            if similarity >= THRESHOLD:
                catalog.put_duplicate_pair(a, b, similarity)
    rows = []
    for group in components(catalog.duplicate_pairs()):
        members = []
        for pid in group:
            policy = catalog.get_policy(pid)
            status = catalog.policy_status(pid)
            members.append({"id": pid, "doc_number": policy.doc_number, "length": len(policy.text),
                            "created_at": status["created_at"]})
        members.sort(key=canonical_order)
        head = members[0]["id"]
        for member in members:
            similarity = 1.0 if member["id"] == head else jaccard(shingles_of(head), shingles_of(member["id"]))
            rows.append((member["id"], head, round(similarity, 4)))
    catalog.set_duplicate_groups(rows)
