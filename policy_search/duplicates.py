"""Reposts: the same notice catalogued under several ids (one copy per site that reposted it).

Each active policy's text is folded (:func:`text.fold.fold`), its whitespace dropped, and cut
into overlapping runs of ``SHINGLE`` characters, each hashed to 64 bits (:func:`shingle_hashes`,
NumPy over the code points: a collision among a text's shingles is a chance of about one in
10^10). A MinHash of that set is kept in the catalog; an LSH over the MinHashes of every active
policy (``datasketch``'s banding) proposes the candidates of the policies a batch touched, and a
candidate pair counts as a repost when the Jaccard similarity of the two sets is at least
``THRESHOLD``. Groups are the connected components of
those pairs, each with one canonical policy (see :func:`canonical_order`).

The threshold was measured on the 599 documents of ``ncp/corpus.tsv`` (see the README): pairs
of true reposts stand at 0.92 and above, the closest pair that is not one (two news articles
retelling the same measures) at 0.88, then 0.80 and below.

A pair that clears the threshold is still refused when the two records are two versions of one
document rather than one notice twice (see :func:`version_conflict`): a 文号 of one the other
never gives, an amendment one records on a date the other never mentions, or a date one states
as its own (its 成文日期, the dates of its record of passing, promulgation and amendment) that
the other, stating dates of its own, never mentions. Revised laws and regulations keep
nearly all their text from one version to the next; a repost keeps the notice's own 文号 and dates.

The LSH is built at each refresh from the stored MinHashes (128 64-bit values a policy: 1 KB),
so a refresh costs reading those plus hashing the touched texts; the catalog holds the pairs
and the groups, and pages and searches read only those.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Iterable

import numpy as np

from policy_search.text.dates import find_dates
from policy_search.text.docnumber import doc_number_key, find_doc_numbers
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

#: Changed whenever what makes a pair (threshold, shingles, their hashes, the MinHash, the
#: refusals) changes: a catalog whose pairs were found under another rule has its MinHashes and
#: pairs computed again at the next refresh. 3: shingles hashed with NumPy, not by datasketch,
#: and multiply-shift permutations.
RULE_VERSION = 3

_SPACE = re.compile(r"\s+")
#: Words of a record of enactment: a date followed, in the same clause, by one of them is a date
#: the document states as its own (``2009年10月13日 中华人民共和国国务院令第564号公布``,
#: ``2020年11月29日 《国务院关于修改…的决定》第一次修订``). 施行 is left out: a law's date of
#: entry into force is given by some copies and not others.
_RECORD_WORDS = re.compile(r"通过|公布|发布|批准|修订|修正|修改")
#: The words of an amendment among them.
_AMENDMENT_WORDS = re.compile(r"修订|修正|修改")
#: Where a clause ends: the sentence or the line.
_CLAUSE_END = re.compile(r"[。；;\n]")
_DIGITS = re.compile(r"\d+")


def shingle_hashes(text: str) -> np.ndarray:
    """The distinct shingles of a text (runs of ``SHINGLE`` characters of it folded and without
    whitespace; a shorter text is one shingle), each as a 64-bit hash, sorted.

    >>> len(shingle_hashes("國務院 辦公廳")), len(shingle_hashes("短")), len(shingle_hashes(" "))
    (2, 1, 0)
    >>> bool((shingle_hashes("国务院办公厅") == shingle_hashes("國務院 辦公廳")).all())
    True
    """
    flat = _SPACE.sub("", fold(text or ""))
    codes = np.frombuffer(flat.encode("utf-32-le", "surrogatepass"), np.uint32).astype(np.uint64)
    if not len(codes):
        return np.zeros(0, np.uint64)
    width = min(SHINGLE, len(codes))
    count = len(codes) - width + 1
    hashes = np.full(count, _FNV_OFFSET, np.uint64)
    with np.errstate(over="ignore"):
        for k in range(width):  # FNV-1a over the code points, then a 64-bit finaliser
            hashes = (hashes ^ codes[k:k + count]) * _FNV_PRIME
        return np.unique(_mix64(hashes))


_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)


def _mix64(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finaliser: every input bit moves every output bit."""
    with np.errstate(over="ignore"):
        values = (values ^ (values >> np.uint64(33))) * np.uint64(0xFF51AFD7ED558CCD)
        values = (values ^ (values >> np.uint64(33))) * np.uint64(0xC4CEB9FE1A85EC53)
        return values ^ (values >> np.uint64(33))


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Jaccard similarity of two sets given as sorted arrays of distinct values (0 when both
    are empty).

    >>> jaccard(np.array([1, 2]), np.array([2, 3]))
    0.3333333333333333
    """
    common = len(np.intersect1d(a, b, assume_unique=True))
    union = len(a) + len(b) - common
    return common / union if union else 0.0


#: The MinHash's permutations are multiply-shift hashes of the 64-bit shingle hashes:
#: h -> (a·h + b mod 2^64) >> 32, with a odd (no modulo to compute: NumPy's wrapping product).
_SHIFT = np.uint64(32)
#: Shingles hashed against the permutations at once (memory: this many × NUM_PERM × 8 bytes).
_MINHASH_CHUNK = 4096
_EMPTY = np.uint64((1 << 32) - 1)


@functools.lru_cache(maxsize=1)
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """The ``NUM_PERM`` (a, b) of the permutations, the same for every run (``SEED``)."""
    rng = np.random.Generator(np.random.PCG64(SEED))
    a = rng.integers(0, 2**64, NUM_PERM, dtype=np.uint64, endpoint=False) | np.uint64(1)
    return a, rng.integers(0, 2**64, NUM_PERM, dtype=np.uint64, endpoint=False)


def minhash_values(hashes: np.ndarray) -> np.ndarray:
    """The MinHash of a set of shingle hashes (:func:`shingle_hashes`): for each of the
    ``NUM_PERM`` permutations, the least permuted value (2^32 - 1 for an empty set).

    >>> values = minhash_values(shingle_hashes("关于做好疫情防控期间复工复产工作的通知"))
    >>> values.shape, bool((values == minhash_values(shingle_hashes("關於做好疫情防控期間復工復產工作的通知"))).all())
    ((128,), True)
    """
    a, b = _permutations()
    least = np.full(NUM_PERM, _EMPTY, np.uint64)
    with np.errstate(over="ignore"):
        for start in range(0, len(hashes), _MINHASH_CHUNK):
            part = hashes[start:start + _MINHASH_CHUNK, None]
            least = np.minimum(least, ((part * a + b) >> _SHIFT).min(axis=0))
    return least


def candidate_pairs(signatures: dict[str, np.ndarray], probes: Iterable[str]) -> set[tuple[str, str]]:
    """Pairs ``(a, b)`` (a < b) the LSH proposes for each probe id against every signature."""
    from datasketch import LeanMinHash, MinHashLSH  # imports SciPy: only when a writer refreshes
    lsh = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM)
    # the banding reads only the values; datasketch asks which kind of permutation made them:
    # 32-bit values, as its "affine32" gives
    hashes = {pid: LeanMinHash(seed=SEED, hashvalues=values, scheme="affine32") for pid, values in signatures.items()}
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


def number_core(doc_number: str) -> tuple[int, ...]:
    """The numbers of a 文号 (year, serial), which stay when copies spell the issuers differently.

    >>> number_core("财政部 海关总署 税务总局公告2020年第6号"), number_core("国令第707号")
    ((2020, 6), (707,))
    """
    return tuple(int(n) for n in _DIGITS.findall(doc_number_key(doc_number)))


def record_dates(text: str) -> tuple[set[str], set[str]]:
    """The dates a text gives in a record of enactment, and those of them that are amendments:
    each date whose clause (up to the next date, the end of the sentence or of the line) says
    passed, promulgated, approved or amended (修订, 修正, 修改: an amendment).

    >>> record, amended = record_dates("2009年10月13日 国务院令第564号公布\\n2020年11月29日 《决定》第一次修订\\n"
    ...                                "本条例自2010年1月1日起施行。")
    >>> sorted(record), sorted(amended)
    (['2009-10-13', '2020-11-29'], ['2020-11-29'])
    """
    dates = find_dates(text or "")
    record, amended = set(), set()
    for i, (iso, _, end) in enumerate(dates):
        stop = dates[i + 1][1] if i + 1 < len(dates) else len(text)
        clause = _CLAUSE_END.split(text[end:stop], maxsplit=1)[0]
        if _RECORD_WORDS.search(clause):
            record.add(iso)
            if _AMENDMENT_WORDS.search(clause):
                amended.add(iso)
    return record, amended


@dataclass(frozen=True)
class Evidence:
    """What a policy says of which document, and which version, it is."""
    #: the numbers of its own 文号 (:func:`number_core`), None without one
    number: tuple[int, ...] | None
    #: the numbers of every 文号 it gives, its own and those its text cites
    numbers: frozenset
    #: the dates it states as its own: its 成文日期 and its record of enactment
    own_dates: frozenset
    #: the dates of amendments in that record
    amended: frozenset
    #: every date it mentions, the own ones included
    dates: frozenset

    @classmethod
    def of(cls, policy) -> "Evidence":
        text = policy.text or ""
        number = number_core(policy.doc_number) if policy.doc_number else None
        numbers = {number_core(n) for n in find_doc_numbers(text)} | ({number} if number else set())
        record, amended = record_dates(text)
        own = record | ({policy.written_date} if policy.written_date else set())
        return cls(number, frozenset(numbers), frozenset(own), frozenset(amended),
                   frozenset({iso for iso, _, _ in find_dates(text)} | own))


def version_conflict(a: Evidence, b: Evidence) -> str | None:
    """Why two similar texts are not one notice reposted, or None when nothing says so.

    - 文号: both have one, and one of them is not among the 文号 the other gives (a revised
      regulation cites the decree of its first version, never the other way round). Only the
      numbers count, so a joint notice read as 财政部公告2020年第6号 on one site and
      税务总局公告2020年第6号 on another stays one.
    - amendment: one records an amendment on a date the other never mentions (the later
      version of a law against the earlier, even when the earlier comes without its header).
    - dates: both state dates of their own, and one of those is nowhere in the other text (a
      date of passing or promulgation of one version the other cannot know). A copy that states
      none, a repost without the header or the signature, is not refused on dates.
    """
    if a.number and b.number and (a.number not in b.numbers or b.number not in a.numbers):
        return "文号"
    if not (a.amended <= b.dates and b.amended <= a.dates):
        return "amendment"
    if a.own_dates and b.own_dates and not (a.own_dates <= b.dates and b.own_dates <= a.dates):
        return "dates"
    return None


def refresh(catalog, touched: Iterable[str]) -> None:
    """Recompute the MinHashes and repost pairs of the touched policies, then the groups.

    Call inside the catalog's transaction after a writer's commit. An active policy without a
    MinHash (a catalog of an older release, an import) counts as touched; so does every active
    policy when the catalog's pairs were found under another :data:`RULE_VERSION`.
    """
    active = catalog.active_ids()
    stored = catalog.minhash_ids()
    touched = (set(touched) | (active - stored)) & (active | stored)
    if catalog.duplicate_rule() != RULE_VERSION:
        touched |= active
        catalog.set_duplicate_rule(RULE_VERSION)
    if not touched and not (stored - active):
        return
    gone = stored - active
    policies: dict = {}
    texts: dict[str, np.ndarray] = {}
    evidence: dict[str, Evidence] = {}

    def policy_of(pid: str):
        if pid not in policies:
            policies[pid] = catalog.get_policy(pid)
        return policies[pid]

    def shingles_of(pid: str) -> np.ndarray:
        if pid not in texts:
            policy = policy_of(pid)
            texts[pid] = shingle_hashes(policy.text if policy is not None else "")
        return texts[pid]

    def evidence_of(pid: str) -> Evidence:
        if pid not in evidence:
            evidence[pid] = Evidence.of(policy_of(pid))
        return evidence[pid]

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
            if similarity >= THRESHOLD and version_conflict(evidence_of(a), evidence_of(b)) is None:
                catalog.put_duplicate_pair(a, b, similarity)
    rows = []
    for group in components(catalog.duplicate_pairs()):
        members = []
        for pid in group:
            policy = policy_of(pid)
            status = catalog.policy_status(pid)
            members.append({"id": pid, "doc_number": policy.doc_number, "length": len(policy.text),
                            "created_at": status["created_at"]})
        members.sort(key=canonical_order)
        head = members[0]["id"]
        for member in members:
            similarity = 1.0 if member["id"] == head else jaccard(shingles_of(head), shingles_of(member["id"]))
            rows.append((member["id"], head, round(similarity, 4)))
    catalog.set_duplicate_groups(rows)
