"""Ranking of policy-search against plain baselines, on the same corpus and questions in one run.

    python bench/relevance.py [--queries PATH] [--corpus PATH] [--k 10] [--json] [--only NAME ...]

Set-ups (one relevant document per question; the metrics are those of
``policy_search.evaluation``, whose ``summarise`` computes them here too):

  whoosh-jieba   jieba's ChineseAnalyzer on a Whoosh TEXT field, QueryParser with OrGroup on the question
  bm25-words     BM25 (k1=1.2, b=0.75) over jieba search-mode words (jieba.lcut_for_search), no stop words
  bm25-bigrams   the same BM25 over overlapping character bigrams of CJK runs (ASCII letters/digits as words)
  tantivy-words  tantivy's BM25 over the same jieba search-mode words (skipped when tantivy is not installed)
  policy-search-no-places  this project without the place constraint (search/places.py)
  policy-search-no-verbatim  this project without the verbatim bonus of the second look (search/rerank.py)
  policy-search  this project: the corpus ingested with indexer.pipeline, searched with the service

Every set-up sees the question cut to 200 characters, as ``policy-search eval`` does.

``--cv`` cross-validates what was fitted on these questions (the verbatim bonus's weight and the
place factor): every pair of values on a grid is run over all questions once, then for each of
five folds of the question ids the pair best on the other four folds is judged on that fold.
"""
from __future__ import annotations

import argparse
import json
import math
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import (CORPUS, DEV_QUERIES, MAX_QUERY_CHARS, markdown_table,  # noqa: E402
                           read_corpus, require)

WORDISH = re.compile(r"\w")
RUNS = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[0-9A-Za-z\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]+")
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
WHOOSH_SYNTAX = re.compile(r"""[()\[\]{}"':*?~^+\-!/\\<>=&|]""")


# --- tokenisers ----------------------------------------------------------------------------------

def jieba_words(text: str) -> list[str]:
    """jieba search-mode words, lower-cased, without bare spaces and punctuation."""
    import jieba

    return [token.lower() for token in jieba.lcut_for_search(text) if WORDISH.search(token)]


def char_bigrams(text: str) -> list[str]:
    """Overlapping bigrams of each CJK run (a lone character stays a unigram); other runs as words."""
    tokens: list[str] = []
    for run in RUNS.findall(text):
        if CJK.match(run):
            if len(run) == 1:
                tokens.append(run)
            else:
                tokens.extend(run[i:i + 2] for i in range(len(run) - 1))
        else:
            tokens.append(run.lower())
    return tokens


# --- a small BM25 --------------------------------------------------------------------------------

class BM25:
    """Okapi BM25 with Lucene's idf, ln(1 + (N - df + 0.5) / (df + 0.5)); OR over the query terms."""

    def __init__(self, docs: dict[str, list[str]], k1: float = 1.2, b: float = 0.75):
        self.ids = list(docs)
        self.postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        lengths = []
        for number, tokens in enumerate(docs.values()):
            lengths.append(len(tokens))
            for term, tf in Counter(tokens).items():
                self.postings[term].append((number, tf))
        count = len(lengths) or 1
        average = (sum(lengths) / count) or 1.0
        # the length part of the denominator, per document
        self.norm = [k1 * (1 - b + b * length / average) for length in lengths]
        self.k1 = k1
        self.idf = {term: math.log(1 + (count - len(plist) + 0.5) / (len(plist) + 0.5))
                    for term, plist in self.postings.items()}

    def search(self, tokens: list[str], k: int) -> list[str]:
        scores: dict[int, float] = defaultdict(float)
        for term, qtf in Counter(tokens).items():
            plist = self.postings.get(term)
            if not plist:
                continue
            idf = self.idf[term]
            for number, tf in plist:
                scores[number] += qtf * idf * tf * (self.k1 + 1) / (tf + self.norm[number])
        best = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:k]
        return [self.ids[number] for number, _ in best]


# --- set-ups: each builds its index and returns a ranker question -> top-k ids ------------------

def setup_whoosh_jieba(corpus: dict[str, str], k: int, workdir: Path):
    from jieba.analyse import ChineseAnalyzer
    from whoosh import index
    from whoosh.fields import ID, TEXT, Schema
    from whoosh.qparser import OrGroup, QueryParser

    schema = Schema(docid=ID(stored=True, unique=True), content=TEXT(analyzer=ChineseAnalyzer()))
    ix = index.create_in(str(workdir), schema)
    writer = ix.writer(limitmb=256)
    for docid, text in corpus.items():
        writer.add_document(docid=docid, content=text)
    writer.commit()
    parser = QueryParser("content", schema, group=OrGroup)
    searcher = ix.searcher()

    def rank(question: str) -> list[str]:
        # ASCII query syntax out, and lower case so that AND/OR/NOT/TO are words, not operators
        text = WHOOSH_SYNTAX.sub(" ", question).lower()
        results = searcher.search(parser.parse(text), limit=k)
        return [hit["docid"] for hit in results]

    return rank, searcher.close


def setup_bm25(tokenise):
    def setup(corpus: dict[str, str], k: int, workdir: Path):
        model = BM25({docid: tokenise(text) for docid, text in corpus.items()})
        return (lambda question: model.search(tokenise(question), k)), None
    return setup


def setup_tantivy(corpus: dict[str, str], k: int, workdir: Path):
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("docid", stored=True, tokenizer_name="raw")
    builder.add_text_field("content", stored=False, tokenizer_name="whitespace", index_option="freq")
    schema = builder.build()
    ix = tantivy.Index(schema, path=str(workdir))
    writer = ix.writer(heap_size=100_000_000, num_threads=1)
    for docid, text in corpus.items():
        writer.add_document(tantivy.Document(docid=docid, content=" ".join(jieba_words(text))))
    writer.commit()
    writer.wait_merging_threads()
    ix.reload()
    searcher = ix.searcher()

    def rank(question: str) -> list[str]:
        clauses = [(tantivy.Occur.Should, tantivy.Query.term_query(schema, "content", token))
                   for token in jieba_words(question)]
        if not clauses:
            return []
        hits = searcher.search(tantivy.Query.boolean_query(clauses), k).hits
        return [searcher.doc(address)["docid"][0] for _, address in hits]

    return rank, None


def _fitted_modules():
    from policy_search.search import places, rerank
    return {"ELSEWHERE_FACTOR": places, "VERBATIM_WEIGHT": rerank}


#: The values fitted on the dev questions, as shipped (set-ups without a part set its value to
#: what turns it off; the cross-validation sets each pair of its grid in turn).
SHIPPED = {name: getattr(module, name) for name, module in _fitted_modules().items()}
#: What turns each part off.
OFF = {"ELSEWHERE_FACTOR": 1.0, "VERBATIM_WEIGHT": 0.0}
#: The values the cross-validation tries.
CV_GRID = {"ELSEWHERE_FACTOR": [0.7, 0.8, 0.85, 0.9, 1.0], "VERBATIM_WEIGHT": [0.0, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5]}
CV_FOLDS = 5
CV_SEED = 2020


def set_fitted(values: dict[str, float]) -> None:
    """Set the fitted module values (those not named: as shipped)."""
    for name, module in _fitted_modules().items():
        setattr(module, name, values.get(name, SHIPPED[name]))


def setup_policy_search(corpus_path: Path, off: tuple[str, ...] = ()):
    """This project; ``off``: the fitted parts to turn off (``ELSEWHERE_FACTOR``: the place
    constraint, ``VERBATIM_WEIGHT``: the verbatim bonus), to see what each changes in the same run."""
    def setup(corpus: dict[str, str], k: int, workdir: Path):
        from indexer.pipeline import ingest
        from policy_search import open_service

        set_fitted({name: OFF[name] for name in off})

        report = ingest([corpus_path], workdir / "data")
        if report.failed:
            print(f"  policy-search: {len(report.failed)} failed on ingest", file=sys.stderr)
        service = open_service(workdir / "data")

        def rank(question: str) -> list[str]:
            # the call of policy_search.evaluation.judge
            return [hit.id for hit in service.search(question, limit=k, details=False).hits]

        return rank, service.close
    return setup


SETUPS = [
    ("whoosh-jieba", "jieba ChineseAnalyzer in Whoosh, OR query"),
    ("bm25-words", "BM25 over jieba search-mode words"),
    ("bm25-bigrams", "BM25 over character bigrams"),
    ("tantivy-words", "tantivy BM25 over jieba search-mode words"),
    ("policy-search-no-places", "policy-search without the place constraint"),
    ("policy-search-no-verbatim", "policy-search without the verbatim bonus"),
    ("policy-search", "policy-search (this project)"),
]


def repost_groups(corpus: dict[str, str]) -> dict[str, str]:
    """Each document of a group of reposts and its group's name (the least id), found as the
    service finds them (:mod:`policy_search.duplicates`): every set-up is judged with the same
    groups, a repost of the answer counting as the answer."""
    from policy_search import duplicates

    sets = {docid: duplicates.shingle_hashes(text) for docid, text in corpus.items()}
    signatures = {docid: duplicates.minhash_values(shingle_set) for docid, shingle_set in sets.items()}
    pairs = [(a, b) for a, b in duplicates.candidate_pairs(signatures, signatures)
             if duplicates.jaccard(sets[a], sets[b]) >= duplicates.THRESHOLD]
    return {docid: min(group) for group in duplicates.components(pairs) for docid in group}


def run_setup(name: str, setup, corpus, queries, k: int, groups: dict[str, str]) -> dict:
    from policy_search.evaluation import Judged, summarise

    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
        started = time.perf_counter()
        rank, close = setup(corpus, k, Path(tmp))
        built = time.perf_counter()
        judged = []
        for qid, question, answer in queries:
            ids = rank(question)
            position = _position(ids, answer, groups)
            strict = ids.index(answer) + 1 if answer in ids else None
            judged.append(Judged(qid, question, answer, position, ids[0] if ids else None, None, strict))
        searched = time.perf_counter()
        if close:
            close()
    metrics = summarise(judged, k=k)
    for half, parity in (("even", 0), ("odd", 1)):  # the halves of the questions by id (hex or decimal)
        part = [j for j in judged if _id_parity(j.qid) == parity]
        if part:
            metrics[f"MRR@{k} {half}"] = summarise(part, k=k)[f"MRR@{k}"]
    metrics["index_s"] = round(built - started, 1)
    metrics["search_s"] = round(searched - built, 1)
    return metrics


def cross_validate(corpus_path: Path, queries, groups: dict[str, str], k: int) -> dict:
    """Five-fold cross-validation of the fitted values over the question ids (see the module's
    text): the held-out MRR@k, on all questions and on each half, and the values each fold chose."""
    import itertools
    import random

    from policy_search.evaluation import reciprocal_rank

    names = list(CV_GRID)
    grid = [dict(zip(names, values)) for values in itertools.product(*(CV_GRID[n] for n in names))]
    with tempfile.TemporaryDirectory(prefix="bench-cv-") as tmp:
        rank, close = setup_policy_search(corpus_path)({}, k, Path(tmp))
        scores = []  # per pair of values: each question's reciprocal rank
        for values in grid:
            set_fitted(values)
            scores.append({qid: reciprocal_rank(_position(rank(question), answer, groups))
                           for qid, question, answer in queries})
        set_fitted({})
        close()
    ids = sorted({qid for qid, _, _ in queries})
    random.Random(CV_SEED).shuffle(ids)
    folds = [set(ids[i::CV_FOLDS]) for i in range(CV_FOLDS)]
    held_out: dict[str, float] = {}
    chosen = []
    for fold in folds:
        def train_mrr(n: int) -> float:
            return sum(v for qid, v in scores[n].items() if qid not in fold)
        best = max(range(len(grid)), key=lambda n: (round(train_mrr(n), 9), grid[n] == SHIPPED))
        chosen.append(grid[best])
        held_out.update({qid: v for qid, v in scores[best].items() if qid in fold})
    shipped = scores[grid.index(SHIPPED)] if SHIPPED in grid else None

    def mean(values) -> float:
        values = list(values)
        return round(sum(values) / len(values), 4) if values else 0.0

    def halves(table: dict[str, float]) -> dict:
        return {f"MRR@{k}": mean(table.values()),
                **{f"MRR@{k} {half}": mean(v for q, v in table.items() if _id_parity(q) == parity)
                   for half, parity in (("even", 0), ("odd", 1))},
                f"R@{k}": mean(1.0 if v > 0 else 0.0 for v in table.values())}

    return {"folds": CV_FOLDS, "seed": CV_SEED, "grid": CV_GRID, "held_out": halves(held_out), "chosen": chosen,
            "shipped": SHIPPED, "shipped_in_sample": halves(shipped) if shipped else None,
            "all_off_in_sample": halves(scores[grid.index(OFF)]) if OFF in grid else None}


def _position(ids: list[str], answer: str, groups: dict[str, str]) -> int | None:
    """Where the answer (or a repost of it) came among ``ids``, from 1; None when absent."""
    same = [groups.get(i, i) for i in ids]
    target = groups.get(answer, answer)
    return same.index(target) + 1 if target in same else None


def _id_parity(qid: str) -> int:
    """A question id's parity: the last hex digit's (ids are hex hashes or decimal numbers)."""
    return int(qid[-1], 16) % 2 if qid and qid[-1] in "0123456789abcdefABCDEF" else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--queries", type=Path, default=DEV_QUERIES,
                        help="qid<TAB>question<TAB>docid lines (default: shared ncp queries-dev.tsv)")
    parser.add_argument("--corpus", type=Path, default=CORPUS,
                        help="docid<TAB>text with a header line (default: shared ncp corpus.tsv)")
    parser.add_argument("--k", type=int, default=10, help="cut-off rank (default 10)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--only", nargs="+", choices=[name for name, _ in SETUPS],
                        help="run only these set-ups")
    parser.add_argument("--cv", action="store_true",
                        help="also cross-validate the fitted values (five folds of the question ids; ~3 min)")
    args = parser.parse_args(argv)
    require(args.corpus, args.queries)

    import jieba
    jieba.setLogLevel(60)
    jieba.initialize()

    from policy_search.evaluation import read_queries

    corpus = read_corpus(args.corpus)
    queries = [(qid, question[:MAX_QUERY_CHARS], answer)
               for qid, question, answer in read_queries(args.queries)]
    missing = sum(1 for _, _, answer in queries if answer not in corpus)
    if missing:
        print(f"note: {missing} questions have an answer that is not in the corpus", file=sys.stderr)

    builders = {
        "whoosh-jieba": setup_whoosh_jieba,
        "bm25-words": setup_bm25(jieba_words),
        "bm25-bigrams": setup_bm25(char_bigrams),
        "tantivy-words": setup_tantivy,
        "policy-search-no-places": setup_policy_search(args.corpus, off=("ELSEWHERE_FACTOR",)),
        "policy-search-no-verbatim": setup_policy_search(args.corpus, off=("VERBATIM_WEIGHT",)),
        "policy-search": setup_policy_search(args.corpus),
    }
    results: list[dict] = []
    groups = repost_groups(corpus)
    notes: list[str] = [f"{len(set(groups.values()))} groups of reposts ({len(groups)} documents): a repost of "
                        "the answer counts as the answer; 'strict' counts the answer's own id only"]
    for name, label in SETUPS:
        if args.only and name not in args.only:
            continue
        if name == "tantivy-words":
            try:
                import tantivy  # noqa: F401
            except ImportError:
                notes.append("tantivy-words skipped: the tantivy package is not installed "
                             "(pip install tantivy)")
                continue
        print(f"running {name} ...", file=sys.stderr, flush=True)
        metrics = run_setup(name, builders[name], corpus, queries, args.k, groups)
        print(f"  {name}: index {metrics['index_s']} s, search {metrics['search_s']} s",
              file=sys.stderr, flush=True)
        results.append({"setup": name, "label": label, **metrics})

    k = args.k
    cv = None
    if args.cv:
        print("cross-validating the fitted values ...", file=sys.stderr, flush=True)
        cv = cross_validate(args.corpus, queries, groups, k)
    if args.json:
        json.dump({"corpus": str(args.corpus), "queries": str(args.queries), "documents": len(corpus),
                   "k": k, "results": results, "notes": notes, "cross_validation": cv},
                  sys.stdout, ensure_ascii=False, indent=2)
        print()
        return 0
    cuts = [f"R@{cut}" for cut in (1, 5, 10) if cut <= k]
    header = ["set-up", *cuts, f"MRR@{k}", f"MRR@{k} even ids", f"MRR@{k} odd ids", f"nDCG@{k}",
              f"strict R@{k}", f"strict MRR@{k}", "index s", "search s"]
    rows = [[r["label"], *(f"{r[c]:.4f}" for c in cuts), f"{r[f'MRR@{k}']:.4f}",
             f"{r.get(f'MRR@{k} even', 0):.4f}", f"{r.get(f'MRR@{k} odd', 0):.4f}", f"{r[f'nDCG@{k}']:.4f}",
             f"{r.get('strict', {}).get(f'R@{k}', r[f'R@{k}']):.4f}",
             f"{r.get('strict', {}).get(f'MRR@{k}', r[f'MRR@{k}']):.4f}",
             f"{r['index_s']:.1f}", f"{r['search_s']:.1f}"] for r in results]
    print(f"{len(queries)} questions, {len(corpus)} documents, k={k}\n")
    print(markdown_table(header, rows))
    for note in notes:
        print(f"\n{note}")
    if cv:
        print(f"\n{cv['folds']}-fold cross-validation over question ids (seed {cv['seed']}) of "
              f"{', '.join(f'{n} in {v}' for n, v in cv['grid'].items())}:\n")
        columns = [f"MRR@{k}", f"MRR@{k} even", f"MRR@{k} odd", f"R@{k}"]
        table = [["held out (each fold's values chosen on the other folds)",
                  *(f"{cv['held_out'][c]:.4f}" for c in columns)]]
        for label, key in (("shipped values, in sample", "shipped_in_sample"), ("both off, in sample", "all_off_in_sample")):
            if cv[key]:
                table.append([label, *(f"{cv[key][c]:.4f}" for c in columns)])
        print(markdown_table(["", *columns], table))
        print("\nchosen per fold: " + "; ".join(", ".join(f"{n}={v}" for n, v in c.items()) for c in cv["chosen"]))
        print("shipped: " + ", ".join(f"{n}={v}" for n, v in cv["shipped"].items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
