"""Tag report over the ncp corpus: spread of topics and industries, untagged documents, sample accuracy.

    python bench/tag_report.py [--corpus PATH] [--sample PATH] [--show-misses]
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from indexer.topics import classify_industries, classify_topics  # noqa: E402

DEFAULT_CORPUS = REPO.parent / "shared" / "data" / "ncp" / "corpus.tsv"
DEFAULT_SAMPLE = REPO / "tests" / "fixtures" / "ncp_tag_sample.json"
FIELDS = ("topics", "industries")


def read_corpus(path: Path) -> dict[str, str]:
    """docid → text from the ncp corpus.tsv (header row docid, text)."""
    csv.field_size_limit(1 << 30)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(rows, None)
        return {row[0]: row[1] for row in rows if len(row) >= 2}


def split_title(text: str) -> tuple[str, str]:
    """A flattened ncp text's title and the whole text.

    The title is the first space-separated chunk, joined with the next one when
    the first is short (ncp titles often hold a space), at most 80 characters.
    """
    chunks = text.split(None, 2)
    title = chunks[0] if chunks else ""
    if len(chunks) > 1 and len(title) < 12 and len(chunks[1]) <= 30:
        title = f"{title} {chunks[1]}"
    return title[:80], text


def tag(text: str) -> dict[str, list[str]]:
    """Predicted topics and industries of one flattened document."""
    title, body = split_title(text)
    return {"topics": classify_topics(title, body), "industries": classify_industries(title, body)}


def jaccard(a: set[str], b: set[str]) -> float:
    """Jaccard similarity; two empty sets are identical."""
    return 1.0 if not a and not b else len(a & b) / len(a | b)


def sample_accuracy(sample: list[dict], corpus: dict[str, str]) -> dict[str, dict[str, float]]:
    """Per field: share of sample documents tagged exactly, and with Jaccard ≥ 0.5."""
    result: dict[str, dict[str, float]] = {}
    for field in FIELDS:
        exact = lenient = 0
        for row in sample:
            predicted, expected = set(tag(corpus[row["docid"]])[field]), set(row[field])
            exact += predicted == expected
            lenient += jaccard(predicted, expected) >= 0.5
        result[field] = {"exact": exact / len(sample), "lenient": lenient / len(sample)}
    return result


def print_counter(name: str, counter: Counter, total: int) -> None:
    """One spread table."""
    print(f"\n{name} (documents of {total}):")
    for label, count in counter.most_common():
        print(f"  {count:5d}  {count / total:6.1%}  {label}")


def place_spread(corpus: dict[str, str]) -> None:
    """Level and province spread, when indexer.place.infer_place exists."""
    try:
        from indexer.place import infer_place
    except ImportError:
        print("\n(level/region: indexer.place.infer_place not available yet)")
        return
    levels: Counter = Counter()
    provinces: Counter = Counter()
    for text in corpus.values():
        title, _ = split_title(text)
        level, region = infer_place(None, None, title, text)
        path = getattr(region, "path", None) or []
        levels[level or "(none)"] += 1
        provinces[path[0] if path else "(none)"] += 1
    print_counter("level", levels, len(corpus))
    print_counter("province (first element of region_path)", provinces, len(corpus))


def label_confusion(sample: list[dict], corpus: dict[str, str]) -> None:
    """Per label on the sample: expected count, predicted count, hits (both)."""
    for field in FIELDS:
        counts: dict[str, list[int]] = {}
        for row in sample:
            predicted, expected = set(tag(corpus[row["docid"]])[field]), set(row[field])
            for label in predicted | expected:
                c = counts.setdefault(label, [0, 0, 0])
                c[0] += label in expected
                c[1] += label in predicted
                c[2] += label in expected and label in predicted
        print(f"\n  {field}: expected / predicted / both")
        for label, (e, p, b) in sorted(counts.items(), key=lambda kv: -kv[1][0]):
            print(f"    {e:3d} {p:3d} {b:3d}  {label}")


def show_misses(sample: list[dict], corpus: dict[str, str]) -> None:
    """Sample documents whose predicted tags differ from the hand-written ones."""
    for row in sample:
        predicted = tag(corpus[row["docid"]])
        for field in FIELDS:
            if set(predicted[field]) != set(row[field]):
                mark = "ok " if jaccard(set(predicted[field]), set(row[field])) >= 0.5 else "BAD"
                print(f"  {mark} {field:10s} {row['title'][:24]}  expected={row[field]} got={predicted[field]}")


def main(argv: list[str] | None = None) -> int:
    """Print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--sample", type=Path, default=DEFAULT_SAMPLE)
    parser.add_argument("--show-misses", action="store_true", help="list sample documents tagged differently")
    args = parser.parse_args(argv)
    if not args.corpus.exists():
        print(f"corpus not found: {args.corpus}", file=sys.stderr)
        return 2
    corpus = read_corpus(args.corpus)
    tags = {docid: tag(text) for docid, text in corpus.items()}
    topics = Counter(t for v in tags.values() for t in v["topics"])
    industries = Counter(t for v in tags.values() for t in v["industries"])
    print_counter("topics", topics, len(corpus))
    print_counter("industries", industries, len(corpus))
    per_doc = Counter(len(v["topics"]) for v in tags.values())
    print("\ntopics per document: " + ", ".join(f"{n}: {per_doc[n]}" for n in sorted(per_doc)))
    untagged = [d for d, v in tags.items() if not v["topics"]]
    print(f"\ndocuments with no topic: {len(untagged)}")
    for docid in untagged:
        print(f"  {docid}  {split_title(corpus[docid])[0][:50]}")
    place_spread(corpus)
    if args.sample.exists():
        sample = json.loads(args.sample.read_text(encoding="utf-8"))
        print(f"\nsample accuracy ({len(sample)} hand-tagged documents):")
        for field, acc in sample_accuracy(sample, corpus).items():
            print(f"  {field:10s} exact {acc['exact']:6.1%}   Jaccard>=0.5 {acc['lenient']:6.1%}")
        if args.show_misses:
            label_confusion(sample, corpus)
            show_misses(sample, corpus)
    return 0


if __name__ == "__main__":
    sys.exit(main())
