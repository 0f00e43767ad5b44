"""Where ingest time goes: each stage of the pipeline timed alone, in one process, on the same files.

    .venv/bin/python bench/ingest_parts.py [--limit N] [--all-laws] [--json]

Files: the 山东 and 浙江 local regulations of ``shared/data/laws/DLC`` and ``ncp/corpus.tsv``
(``--all-laws``: every law), the first N Markdown files with ``--limit``. Stages, in order:

  sniff      format detection (``sniff_format``)
  parse      the format's parser (or the bulk reader's records)
  extract    metadata extraction (``extract_metadata``)
  classify   level, region, topic and validity tags (``classify``)
  build      the rest of ``build_policy`` (ids, normalising)
  words      the word fields' terms counted (fold, rjieba, stop words, sub-words: ``schema.count_terms``)
             over title, 文号, issuer and body
  bigrams    each policy's character bigrams counted (``schema.count_terms``)
             (words and bigrams run in the ingest workers: ``analyse_fields``)
  write      Whoosh ``add_document`` (stored fields, filters, facets, dates)
  commit     Whoosh's commit
  store      the postings store's commit: the batch's counts to arrays, a segment on disk

MB/s figures use the UTF-8 size of title + text of the policies built; seconds are CPU seconds of
the process (``time.process_time``), steadier than wall time on a shared machine.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))

from whoosh import index as whoosh_index  # noqa: E402

import indexer.build as build  # noqa: E402
from indexer.discover import discover  # noqa: E402
from indexer.parsers import BULK_READERS, PARSERS  # noqa: E402
from indexer.sniff import sniff_format  # noqa: E402
from policy_search.text.analysis import segmenter  # noqa: E402
from policy_search.models import SourceFile  # noqa: E402
from policy_search.storage.postings_store import PostingsBatch, PostingsStore  # noqa: E402
from policy_search.storage.schema import (BIGRAM_FIELD, STORE_FIELDS, STORE_INPUT, analyse_fields,  # noqa: E402
                                  build_schema, count_terms, policy_to_fields)

DATA = BENCH.parent.parent / "shared" / "data"
DLC = DATA / "laws" / "DLC"


def default_files(all_laws: bool) -> list[Path]:
    if all_laws:
        laws = sorted((DATA / "laws").rglob("*.md"))
    else:
        laws = sorted(p for d in DLC.iterdir() if d.name.startswith(("山东", "浙江")) for p in d.rglob("*.md"))
    return laws


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=None, help="first N Markdown files only")
    ap.add_argument("--all-laws", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    files = default_files(args.all_laws)[:args.limit] + [DATA / "ncp" / "corpus.tsv"]
    sources = discover([str(p) for p in files]).sources
    segmenter()  # load the dictionary outside the timings
    times: dict[str, float] = defaultdict(float)

    def timed(name, fn):
        def wrapper(*a, **k):
            t = time.process_time()
            try:
                return fn(*a, **k)
            finally:
                times[name] += time.process_time() - t
        return wrapper

    build.extract_metadata = timed("extract", build.extract_metadata)
    build.classify = timed("classify", build.classify)

    policies = []
    for source in sources:
        t = time.process_time()
        fmt = sniff_format(source.path)
        times["sniff"] += time.process_time() - t
        info = SourceFile(path=str(source.path), format=fmt, sha256="0" * 64)
        t = time.process_time()
        if fmt in BULK_READERS:
            raws = [r.document for r in BULK_READERS[fmt](source.path) if r.error is None]
        else:
            raws = [PARSERS[fmt](source.path)]
        times["parse"] += time.process_time() - t
        for raw in raws:
            t = time.process_time()
            policies.append(build.build_policy(raw, {}, info)[0])
            times["build"] += time.process_time() - t
    times["build"] -= times["extract"] + times["classify"]
    mb = sum(len((p.title or "").encode()) + len(p.text.encode()) for p in policies) / 1e6

    fields = [policy_to_fields(p) for p in policies]
    words = [name for name in STORE_FIELDS if name != BIGRAM_FIELD]
    t = time.process_time()
    for f in fields:
        for name in words:
            count_terms(name, f[STORE_INPUT][name])
    times["words"] += time.process_time() - t
    t = time.process_time()
    for f in fields:
        count_terms(BIGRAM_FIELD, f[STORE_INPUT][BIGRAM_FIELD])
    times["bigrams"] += time.process_time() - t
    prepared = [analyse_fields(f) for f in fields]

    with tempfile.TemporaryDirectory() as tmp:
        ix = whoosh_index.create_in(tmp, build_schema())
        writer = ix.writer(limitmb=128)
        batch = PostingsBatch(STORE_FIELDS)
        t = time.process_time()
        for f in prepared:
            doc = dict(f)
            batch.add(doc["id"], doc.pop(STORE_INPUT))
            writer.add_document(**doc)
        times["write"] += time.process_time() - t
        t = time.process_time()
        writer.commit()
        times["commit"] += time.process_time() - t
        t = time.process_time()
        PostingsStore(Path(tmp)).commit(batch, 0, 1)
        times["store"] += time.process_time() - t

    order = ["sniff", "parse", "extract", "classify", "build", "words", "bigrams",
             "write", "commit", "store"]
    total = sum(times[k] for k in order)
    result = {"files": len(sources), "policies": len(policies), "mb": round(mb, 2),
              "seconds": {k: round(times[k], 2) for k in order}, "total_s": round(total, 2)}
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
        return
    print(f"{len(sources)} files, {len(policies)} policies, {mb:.2f} MB of text")
    print("| stage | seconds | share | MB/s alone |\n|---|---:|---:|---:|")
    for k in order:
        s = times[k]
        print(f"| {k} | {s:.2f} | {100 * s / total:.0f}% | {mb / s if s else float('inf'):.1f} |")
    print(f"| all | {total:.2f} | 100% | {mb / total:.2f} |")


if __name__ == "__main__":
    main()
