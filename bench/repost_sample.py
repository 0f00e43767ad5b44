"""A seeded sample of the repost groups of the real data, printed to be read by hand.

    python bench/repost_sample.py --data-dir /tmp/reposts --build     # ingest, then sample
    python bench/repost_sample.py --data-dir /tmp/reposts             # sample an existing index

``--build`` ingests, with the real command line, ``ncp/corpus.tsv``, ``laws/``, ``govcn/html/``
and ``officialdocs/`` (its two CSV files written as one ``docid<TAB>text`` file beside the data
directory, ``<data-dir>-officialdocs.tsv``: ingest reads TSV, not CSV). Then it reads
``policy-search duplicates --json`` and prints: the groups per corpus (a group whose members come
from two corpora counts under both names joined with +), the pairs above the threshold that the
detector refused as two versions (with the reason), and a random sample of ``--size`` groups
(all of them when there are fewer), each member with its id, title, 文号, dates, similarity,
source file and first 200 characters. The verdicts read from that output are kept in
``tests/fixtures/repost_groups_checked.tsv``.
"""
from __future__ import annotations

import argparse
import csv
import json
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import DATA  # noqa: E402

CORPORA = ("ncp", "laws", "govcn", "officialdocs")


def cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "policy_search.cli", "--data-dir", str(data_dir), *args],
                          capture_output=True, text=True, check=False)


def officialdocs_tsv(target: Path) -> Path:
    """The officialdocs CSV files as one bulk TSV (ids officialdocs-train-N, officialdocs-val-N)."""
    csv.field_size_limit(1 << 30)
    with target.open("w", encoding="utf-8", newline="") as out:
        out.write("docid\ttext\n")
        for part in ("train", "val"):
            with (DATA / "officialdocs" / f"{part}.csv").open(encoding="utf-8", newline="") as handle:
                for row in csv.DictReader(handle):
                    out.write(f"officialdocs-{part}-{row['id']}\t{' '.join(row['article'].split())}\n")
    return target


def build(data_dir: Path) -> None:
    sources = [DATA / "ncp" / "corpus.tsv", DATA / "laws", DATA / "govcn" / "html"]
    missing = [str(p) for p in sources + [DATA / "officialdocs"] if not p.exists()]
    if missing:
        sys.exit(f"repost_sample: data not found: {', '.join(missing)} (shared/data beside the repository)")
    tsv = officialdocs_tsv(data_dir.with_name(data_dir.name + "-officialdocs.tsv"))
    done = cli(data_dir, "ingest", *map(str, sources), str(tsv))
    print(done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "", file=sys.stderr)
    if done.returncode != 0:
        sys.exit(f"repost_sample: ingest failed ({done.returncode}):\n{done.stderr}")


def corpus_of(path: str, officialdocs: str) -> str:
    if path == officialdocs:
        return "officialdocs"
    parts = Path(path).parts
    return next((name for name in CORPORA if name in parts), "other")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--build", action="store_true", help="ingest the real data into --data-dir first")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--size", type=int, default=30)
    args = parser.parse_args()
    data_dir = args.data_dir.resolve()
    if args.build:
        build(data_dir)
    done = cli(data_dir, "duplicates", "--json")
    if done.returncode != 0:
        sys.exit(f"repost_sample: policy-search duplicates failed:\n{done.stderr}")
    groups = json.loads(done.stdout)["groups"]

    from policy_search import open_service
    from policy_search.duplicates import (THRESHOLD, Evidence, candidate_pairs, jaccard, shingle_hashes,
                                          version_conflict)
    import numpy as np

    officialdocs = str(data_dir.with_name(data_dir.name + "-officialdocs.tsv"))
    with open_service(data_dir) as service:
        catalog = service.catalog
        policies = {}

        def policy(pid):
            if pid not in policies:
                policies[pid] = catalog.get_policy(pid)
            return policies[pid]

        def corpus(pid):
            return corpus_of(policy(pid).source.path or "", officialdocs)

        def where(group):
            return "+".join(sorted({corpus(m["id"]) for m in group["members"]}))

        active = catalog.active_ids()
        per_corpus = Counter(corpus(pid) for pid in active)
        print(f"policies: {len(active)} ({', '.join(f'{n} {c}' for c, n in per_corpus.most_common())})")
        counts = Counter(where(g) for g in groups)
        members = sum(len(g["members"]) for g in groups)
        print(f"groups: {len(groups)}, {members} policies; by corpus: "
              + ", ".join(f"{name} {n}" for name, n in sorted(counts.items())))

        # the pairs above the threshold that the version rule refused
        signatures = {pid: np.frombuffer(blob, dtype=np.uint64) for pid, blob in catalog.minhashes()}
        refused = []
        for a, b in sorted(candidate_pairs(signatures, signatures)):
            similarity = jaccard(shingle_hashes(policy(a).text), shingle_hashes(policy(b).text))
            if similarity >= THRESHOLD:
                why = version_conflict(Evidence.of(policy(a)), Evidence.of(policy(b)))
                if why:
                    refused.append((a, b, similarity, why))
        print(f"refused as versions: {len(refused)} pairs at {THRESHOLD} or more")
        for a, b, similarity, why in refused:
            print(f"  {similarity:.3f}  {why:5}  {a} {policy(a).title[:30]}  |  {b} {policy(b).title[:30]}"
                  f"  [{corpus(a)}: {Path(policy(a).source.path).name} | {Path(policy(b).source.path).name}]")

        ordered = sorted(groups, key=lambda g: g["canonical"])
        sample = random.Random(args.seed).sample(ordered, min(args.size, len(ordered)))
        print(f"\nsample: {len(sample)} of {len(groups)} groups (seed {args.seed})")
        for number, group in enumerate(sample, 1):
            print(f"\n== {number}. group {group['canonical']} ({where(group)}, {len(group['members'])} policies)")
            for member in group["members"]:
                p = policy(member["id"])
                evidence = Evidence.of(p)
                own = ", ".join(sorted(evidence.own_dates)) or "-"
                print(f"  {member['similarity']:.3f} {p.id}  {p.title}")
                print(f"        文号 {p.doc_number or '-'}  written {p.written_date or '-'}  "
                      f"published {p.publish_date or '-'}  own dates {own}")
                print(f"        {corpus(p.id)}: {Path(p.source.path).name}")
                print(f"        {' '.join(p.text.split())[:200]}")


if __name__ == "__main__":
    main()
