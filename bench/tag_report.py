"""Tag report over the ncp corpus: spread of topics and industries, untagged documents, sample accuracy.

    python bench/tag_report.py [--corpus PATH] [--sample PATH] [--show-misses]
    python bench/tag_report.py --labels [--half check|tune|all] [--wave N] [--show-misses] [--json]
    python bench/tag_report.py --agreement [tests/fixtures/tags/second_labels.jsonl] [--wave N]

``--labels`` judges the tags ingest gives against the hand labels of the labelled set
(``tests/fixtures/tags/``, labelled by ``tests/fixtures/LABELLING.md``): level, region, the share
of documents whose topics and industries have Jaccard >= 0.5 with the labels, precision and
recall of each topic and industry, and the level confusion table, for each half. ``--wave N``
keeps the documents drawn in one wave of the set (``bench/draw_tag_set.py``).

``--agreement`` compares the labels with a second labeller's, given blind by the same guide to the
documents both labelled: how far the labels agree with each other is the most a tagger can be
expected to agree with either.
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
DATA = REPO.parent / "shared" / "data"
LABELS = REPO / "tests" / "fixtures" / "tags" / "labels.jsonl"
LABELLED_SET = REPO / "tests" / "fixtures" / "tags" / "set.tsv"
SECOND_LABELS = REPO / "tests" / "fixtures" / "tags" / "second_labels.jsonl"
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


def shared_data_found() -> bool:
    """True when the shared data is beside the repository; else says where it was looked for."""
    if (DATA / "ncp" / "corpus.tsv").exists():
        return True
    print(f"tag_report: the shared data is not at {DATA}", file=sys.stderr)
    return False


def figures_cells(sc) -> str:
    """Level, region, topics and industries J>=0.5, topic and industry P / R: one table row's cells."""
    return (f"{sc.share('level'):.3f} | {sc.share('region'):.3f} | {sc.share('topics'):.3f} | "
            f"{sc.share('industries'):.3f} | {sc.precision('topics'):.3f} / {sc.recall('topics'):.3f} | "
            f"{sc.precision('industries'):.3f} / {sc.recall('industries'):.3f}")


def labels_report(labels_file: Path, halves: list[str], show_misses: bool, as_json: bool,
                  wave: int | None = None) -> int:
    """The tags against the hand labels, half by half (of one wave of the set, or all)."""
    from indexer.tag_eval import LEVEL_ORDER, jaccard as tag_jaccard, read_halves, read_labels, score, tags_of

    if not shared_data_found():
        return 2
    labels = _of_wave(read_labels(labels_file, read_halves(LABELLED_SET)), wave)
    tagged = {label.key: tags_of(label.key, DATA) for label in labels}
    results = {}
    for half in halves:
        chosen = [label for label in labels if half == "all" or label.half == half]
        results[half] = (chosen, score([(label.tags, tagged[label.key]) for label in chosen]))
    if as_json:
        json.dump({half: scores.as_dict() for half, (_, scores) in results.items()}, sys.stdout, indent=2)
        print()
        return 0
    print("| half | documents | level | region | topics J>=0.5 | industries J>=0.5 | topic P / R | industry P / R |")
    print("|---|---|---|---|---|---|---|---|")
    for half, (_, sc) in results.items():
        print(f"| {half} | {sc.documents} | {figures_cells(sc)} |")
    for half, (chosen, sc) in results.items():
        print(f"\n{half} half, level (rows: labelled, columns: tagged):\n")
        names = [str(level) if level else "none" for level in LEVEL_ORDER]
        print("| | " + " | ".join(names) + " |")
        print("|---" * (len(names) + 1) + "|")
        for want in LEVEL_ORDER:
            row = sc.level_confusion.get(want, {})
            print(f"| {want or 'none'} | " + " | ".join(str(row.get(got, 0)) for got in LEVEL_ORDER) + " |")
        for name in ("topics", "industries"):
            print(f"\n{half} half, {name}: labelled & tagged / tagged only / labelled only, precision, recall\n")
            print("| tag | both | tagged only | labelled only | P | R |")
            print("|---|---|---|---|---|---|")
            for tag, (both, only_given, only_wanted) in sorted(sc.per_tag[name].items(), key=lambda kv: -sum(kv[1])):
                p = both / (both + only_given) if both + only_given else 1.0
                r = both / (both + only_wanted) if both + only_wanted else 1.0
                print(f"| {tag} | {both} | {only_given} | {only_wanted} | {p:.2f} | {r:.2f} |")
        if show_misses:
            print(f"\n{half} half, documents tagged otherwise than labelled:")
            for label in chosen:
                got, want = tagged[label.key], label.tags
                wrong = [f"{name} {getattr(want, name)}->{getattr(got, name)}" for name in ("level", "region")
                         if getattr(want, name) != getattr(got, name)]
                for name in ("topics", "industries"):
                    if tag_jaccard(getattr(want, name), getattr(got, name)) < 0.5:
                        wrong.append(f"{name} {sorted(getattr(want, name))}->{sorted(getattr(got, name))}")
                if wrong:
                    print(f"  {label.key[:60]}: " + "; ".join(wrong))
    return 0


def _of_wave(labels: list, wave: int | None) -> list:
    """The labels of the documents drawn in one wave of the set (all for None)."""
    from indexer.tag_eval import read_waves

    if wave is None:
        return labels
    waves = read_waves(LABELLED_SET)
    return [label for label in labels if waves[label.key] == wave]


def agreement_report(labels_file: Path, second_file: Path, as_json: bool, wave: int | None = None) -> int:
    """The labels against a second labeller's, and the tagger against each, on the documents both hold."""
    from indexer.tag_eval import read_halves, read_labels, score, tags_of

    if not shared_data_found():
        return 2
    halves = read_halves(LABELLED_SET)
    first = {label.key: label.tags for label in _of_wave(read_labels(labels_file, halves), wave)}
    second = {label.key: label.tags for label in read_labels(second_file, halves)}
    keys = sorted(first.keys() & second.keys())
    tagged = {key: tags_of(key, DATA) for key in keys}
    rows = {"labels vs second labels": score([(first[k], second[k]) for k in keys]),
            "tagger vs labels": score([(first[k], tagged[k]) for k in keys]),
            "tagger vs second labels": score([(second[k], tagged[k]) for k in keys])}
    if as_json:
        json.dump({name: sc.as_dict() for name, sc in rows.items()}, sys.stdout, indent=2)
        print()
        return 0
    print(f"{len(keys)} documents labelled twice\n")
    print("| pair | level | region | topics J>=0.5 | industries J>=0.5 | topic P / R | industry P / R |")
    print("|---|---|---|---|---|---|---|")
    for name, sc in rows.items():
        print(f"| {name} | {figures_cells(sc)} |")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--sample", type=Path, default=DEFAULT_SAMPLE)
    parser.add_argument("--show-misses", action="store_true", help="list sample documents tagged differently")
    parser.add_argument("--labels", action="store_true", help="judge the tags against the labelled set")
    parser.add_argument("--half", choices=["check", "tune", "all"], action="append",
                        help="with --labels: the halves to report (default: check and tune)")
    parser.add_argument("--json", action="store_true", help="with --labels or --agreement: the figures as JSON")
    parser.add_argument("--labels-file", type=Path, default=LABELS, help="with --labels: the labels (JSON lines)")
    parser.add_argument("--agreement", type=Path, nargs="?", const=SECOND_LABELS, metavar="SECOND_LABELS",
                        help="compare the labels with a second labeller's (default: %(const)s)")
    parser.add_argument("--wave", type=int, help="with --labels or --agreement: only the documents drawn in "
                                                 "this wave of the set (1, 2 …; bench/draw_tag_set.py)")
    args = parser.parse_args(argv)
    if args.agreement:
        return agreement_report(args.labels_file, args.agreement, args.json, args.wave)
    if args.labels:
        return labels_report(args.labels_file, args.half or ["check", "tune"], args.show_misses, args.json,
                             args.wave)
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
