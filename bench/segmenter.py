"""python jieba against rjieba (jieba-rs), both with the policy dictionary: speed, memory, same cuts?

    .venv/bin/python bench/segmenter.py [--limit N] [--top 15] [--json]     # ~5 min in full

Documents: the policies of the project's ``corpus/`` (read by the ingest's parsers), every ``*.md``
under ``shared/data/laws/`` and the rows of ``shared/data/ncp/corpus.tsv``; ``--limit N`` keeps the
first N laws and the first N rows. Each text is folded (``policy_search.text.fold.fold``) as the analyzer
folds it. Without ``shared/data`` beside the repository the bench says so and stops.

The two segmenters:

  python jieba  ``jieba.Tokenizer`` (what the analyzer used before rjieba), its ``tokenize`` with HMM
                on; a dictionary word is one with a frequency above 0 in its ``FREQ``
  rjieba        the analyzer's own ``segmenter()``: rjieba's dictionary, HMM on, ``has_word``

Both get the terms of ``policy_search/data/userdict.txt`` through ``add_policy_terms`` and are given
the same bounded pieces of text (``text_pieces``, as ``_tokenize_in_pieces`` cuts them).

Measured:

  load          seconds to import and load each segmenter with the policy terms, and the RSS that adds
                (a fresh subprocess that loads it, less one that loads none, both after the analyzer's
                own start-up)
  MB/s a core   UTF-8 MB of folded text over the CPU seconds (``time.process_time``, one thread) of
                segmenting every document once; "analyzer" adds what ``PolicyTokenizer(mode="index")``
                does with the words (stop words, sub-words). The two run document by document in turn,
                so a busy machine slows both alike.
  words         python jieba's words whose span (start, end) rjieba cuts too, over python jieba's words
  documents     documents whose whole word sequence (word, start, end) is the same
  index tokens  the terms the index gets (``analysis.terms`` with sub-words, as
                ``PolicyTokenizer(mode="index")``): python jieba's (text, start, end) that rjieba yields
                too, and the documents whose tokens are all the same, positions included (one word
                cut in two moves the position of every later word of its document by one)
  differences   each stretch of text the two cut differently, with both cuts, the most frequent first,
                and how many of them hold a Chinese character
"""
from __future__ import annotations

import argparse
import gc
import json
import logging
import re
import subprocess
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))
from _common import CORPUS, DATA, REPO, markdown_table, read_corpus  # noqa: E402

from policy_search.text import analysis  # noqa: E402
from policy_search.text.fold import fold  # noqa: E402

LAWS = DATA / "laws"
SAMPLES = REPO / "corpus"
MB = 1e6
_CJK = re.compile("[\u3400-\u9fff\uf900-\ufaff]")


# --- the two segmenters --------------------------------------------------------------------------

def python_jieba() -> analysis.Segmenter:
    """python jieba's own Tokenizer with the policy terms, as the analyzer had it before rjieba."""
    import jieba
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    analysis.add_policy_terms(tokenizer)
    freq = tokenizer.FREQ   # also holds every prefix of a word, with frequency 0
    return analysis.Segmenter(tokenize=lambda text: tokenizer.tokenize(text, HMM=True),
                              has_word=lambda word: bool(freq.get(word)),
                              cut=lambda text: tokenizer.lcut(text, HMM=True))


LOADERS = {"python jieba": python_jieba, "rjieba": analysis.segmenter, "none": lambda: None}


def rss_mb() -> float:
    """This process's resident set size now, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child_load(name: str) -> dict:
    """In a fresh process: the seconds one segmenter takes to load, and the RSS after it."""
    analysis.stop_words()
    analysis.policy_terms()
    gc.collect()
    started = time.perf_counter()
    loaded = LOADERS[name]()
    seconds = time.perf_counter() - started
    gc.collect()
    rss = rss_mb()
    del loaded   # held until measured: python jieba's dictionary goes with its Tokenizer
    return {"load_s": seconds, "rss_mb": rss}


def measure_load(name: str) -> dict:
    """Run :func:`child_load` in a subprocess and read its one JSON line."""
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--_load", name],
                          capture_output=True, text=True, check=True, cwd=REPO)
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure_loads() -> dict[str, dict]:
    """Load seconds and RSS cost of each segmenter: its process's RSS less that of one loading none.

    Comparing whole processes counts what the segmenter really keeps: a difference taken inside one
    process would miss memory that the analyzer's start-up freed and the segmenter then reused.
    """
    base = measure_load("none")["rss_mb"]
    loads = {}
    for name in ("python jieba", "rjieba"):
        load = measure_load(name)
        loads[name] = {"load_s": load["load_s"], "rss_added_mb": load["rss_mb"] - base}
    return loads


# --- the documents -------------------------------------------------------------------------------

def sample_texts() -> Iterator[tuple[str, str]]:
    """(name, text) of each policy in corpus/, parsed as the ingest parses it."""
    from indexer.discover import discover
    from indexer.parsers import BULK_READERS, PARSERS
    from indexer.sniff import sniff_format
    for source in discover([SAMPLES]).sources:
        fmt = sniff_format(source.path)
        name = str(source.path.relative_to(REPO))
        if fmt in BULK_READERS:
            for number, record in enumerate(BULK_READERS[fmt](source.path)):
                if record.error is None:
                    yield f"{name}#{number}", record.document.text
        else:
            yield name, PARSERS[fmt](source.path).text


def documents(limit: int | None) -> Iterator[tuple[str, str]]:
    """(name, folded text) of every document measured: corpus/, the laws, the ncp rows."""
    for name, text in sample_texts():
        yield name, fold(text)
    for path in sorted(LAWS.rglob("*.md"))[:limit]:
        yield str(path.relative_to(DATA)), fold(path.read_text(encoding="utf-8"))
    for docid, text in list(read_corpus(CORPUS).items())[:limit]:
        yield f"ncp/{docid}", fold(text)


# --- comparing ------------------------------------------------------------------------------------

@dataclass
class Tally:
    """What one segmenter did over all the documents."""

    seconds_segment: float = 0.0
    seconds_terms: float = 0.0
    words: int = 0
    index_tokens: int = 0


@dataclass
class Agreement:
    """How far rjieba's cuts match python jieba's, summed over the documents."""

    documents: int = 0
    megabytes: float = 0.0
    common_words: int = 0
    same_documents: int = 0
    common_index_tokens: int = 0
    same_index_documents: int = 0
    places: Counter = field(default_factory=Counter)   # (jieba cut, rjieba cut) → times
    places_with_chinese: int = 0


def segment_timed(segmenter: analysis.Segmenter, text: str, tally: Tally) -> tuple[list, list]:
    """The words and the index tokens of a text, the CPU time of each step added to the tally."""
    started = time.process_time()
    words = list(analysis._tokenize_in_pieces(segmenter, text))
    segmented = time.process_time()
    tokens = [(term, start, end, number) for term, number, start, end, _ in
              analysis.terms(words, segmenter, analysis.stop_words(), with_sub_words=True)]
    tally.seconds_segment += segmented - started
    tally.seconds_terms += time.process_time() - segmented
    tally.words += len(words)
    tally.index_tokens += len(tokens)
    return words, tokens


def common_count(first: list, second: list) -> int:
    """How many items the two lists share, as multisets."""
    return sum((Counter(first) & Counter(second)).values())


def differing_places(text: str, first: list, second: list) -> Iterator[tuple[tuple, tuple, bool]]:
    """Each stretch of ``text`` the two word lists cut differently: (first's words, second's, Chinese?).

    A stretch is a run of overlapping word spans that only one of the lists has.
    """
    first_spans = {(start, end) for _, start, end in first}
    second_spans = {(start, end) for _, start, end in second}
    stretches: list[list[int]] = []
    for start, end in sorted(first_spans ^ second_spans):
        if stretches and start < stretches[-1][1]:
            stretches[-1][1] = max(stretches[-1][1], end)
        else:
            stretches.append([start, end])
    for start, end in stretches:
        yield (tuple(word for word, s, _ in first if start <= s < end),
               tuple(word for word, s, _ in second if start <= s < end),
               bool(_CJK.search(text, start, end)))


def compare(limit: int | None) -> tuple[dict[str, Tally], Agreement]:
    """Segment every document with both segmenters and tally speed and agreement."""
    python_seg, rust_seg = python_jieba(), analysis.segmenter()
    tallies = {"python jieba": Tally(), "rjieba": Tally()}
    agreement = Agreement()
    for _, text in documents(limit):
        py_words, py_tokens = segment_timed(python_seg, text, tallies["python jieba"])
        rs_words, rs_tokens = segment_timed(rust_seg, text, tallies["rjieba"])
        agreement.documents += 1
        agreement.megabytes += len(text.encode("utf-8")) / MB
        agreement.common_words += common_count([w[1:] for w in py_words], [w[1:] for w in rs_words])
        agreement.same_documents += py_words == rs_words
        agreement.common_index_tokens += common_count([t[:3] for t in py_tokens], [t[:3] for t in rs_tokens])
        agreement.same_index_documents += py_tokens == rs_tokens
        if py_words != rs_words:
            for py_cut, rs_cut, chinese in differing_places(text, py_words, rs_words):
                agreement.places[(py_cut, rs_cut)] += 1
                agreement.places_with_chinese += chinese
    return tallies, agreement


# --- report ---------------------------------------------------------------------------------------

def share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.3f}%" if whole else "n/a"


def speed_table(tallies: dict[str, Tally], loads: dict[str, dict], megabytes: float) -> str:
    rows = []
    for name, tally in tallies.items():
        analyzer_s = tally.seconds_segment + tally.seconds_terms
        rows.append([name, f"{loads[name]['load_s']:.2f}", f"{loads[name]['rss_added_mb']:.0f}",
                     f"{tally.seconds_segment:.1f}", f"{megabytes / tally.seconds_segment:.2f}",
                     f"{megabytes / analyzer_s:.2f}", f"{tally.words:,}", f"{tally.index_tokens:,}"])
    py, rs = tallies["python jieba"], tallies["rjieba"]
    rows.append(["rjieba / python jieba", "", "", "",
                 f"{py.seconds_segment / rs.seconds_segment:.1f}×",
                 f"{(py.seconds_segment + py.seconds_terms) / (rs.seconds_segment + rs.seconds_terms):.1f}×",
                 "", ""])
    return markdown_table(["segmenter", "load s", "load RSS MB", "segment CPU s", "segment MB/s a core",
                           "analyzer MB/s a core", "words", "index tokens"], rows)


def agreement_table(tallies: dict[str, Tally], agreement: Agreement) -> str:
    py = tallies["python jieba"]
    rows = [["words (same span)", f"{py.words:,}", f"{agreement.common_words:,}",
             share(agreement.common_words, py.words)],
            ["documents (same word sequence)", f"{agreement.documents:,}", f"{agreement.same_documents:,}",
             share(agreement.same_documents, agreement.documents)],
            ["index tokens (same text and span)", f"{py.index_tokens:,}",
             f"{agreement.common_index_tokens:,}", share(agreement.common_index_tokens, py.index_tokens)],
            ["documents (same index tokens and positions)", f"{agreement.documents:,}",
             f"{agreement.same_index_documents:,}", share(agreement.same_index_documents, agreement.documents)]]
    return markdown_table(["agreement", "python jieba", "rjieba the same", "share"], rows)


def places_table(agreement: Agreement, top: int) -> str:
    rows = [[" / ".join(py_cut), " / ".join(rs_cut), times]
            for (py_cut, rs_cut), times in agreement.places.most_common(top)]
    return markdown_table(["python jieba", "rjieba", "times"], rows)


def print_report(tallies: dict[str, Tally], agreement: Agreement, loads: dict[str, dict], top: int) -> None:
    print(f"{agreement.documents:,} documents, {agreement.megabytes:.1f} MB of folded text\n")
    print(speed_table(tallies, loads, agreement.megabytes))
    print()
    print(agreement_table(tallies, agreement))
    places = sum(agreement.places.values())
    print(f"\nPlaces cut differently: {places:,}, with a Chinese character: {agreement.places_with_chinese:,}. "
          f"The most frequent:\n")
    print(places_table(agreement, top))


def as_json(tallies: dict[str, Tally], agreement: Agreement, loads: dict[str, dict], top: int) -> dict:
    places = [{"python_jieba": list(py_cut), "rjieba": list(rs_cut), "times": times}
              for (py_cut, rs_cut), times in agreement.places.most_common(top)]
    summary = {key: value for key, value in asdict(agreement).items() if key != "places"}
    summary["places"] = sum(agreement.places.values())
    return {"segmenters": {name: {**asdict(tally), **loads[name]} for name, tally in tallies.items()},
            "agreement": summary, "most_frequent_places": places}


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--_load":
        print(json.dumps(child_load(sys.argv[2])))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, help="first N laws and first N ncp rows only")
    parser.add_argument("--top", type=int, default=15, help="differing places shown (default 15)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if not (LAWS.is_dir() and CORPUS.is_file()):
        print(f"bench/segmenter.py: skipped, the shared data is not there ({LAWS}, {CORPUS}); "
              f"it reads the laws and the ncp corpus of shared/data beside the repository", file=sys.stderr)
        return
    loads = measure_loads()
    tallies, agreement = compare(args.limit)
    if args.json:
        print(json.dumps(as_json(tallies, agreement, loads, args.top), ensure_ascii=False, indent=2))
    else:
        print_report(tallies, agreement, loads, args.top)


if __name__ == "__main__":
    main()
