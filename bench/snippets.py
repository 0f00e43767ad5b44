"""Snippet passages: ``snippets.best_passages`` against the loop it replaced, on real hits.

    .venv/bin/python bench/snippets.py [--queries 500] [--rounds 7] [--json]

It ingests corpus.tsv into a temporary data dir and asks the first N questions of
queries-load.txt with ``service.search(q, limit=10)``, recording each call of
``best_passages`` the search makes (the page's bodies, their folded forms, the marked terms).
Both versions must give the same passages on every call. It then times both on the recorded
calls, side by side in one run: call by call, the two in turn (which goes first alternates
by round), the fastest of the rounds for each call, summed. The machine is shared and noisy,
so only the ratio within one run means much.

Two rows: "warm", each call made once, untimed, just before it is timed (the query's regular
expression, or its term arrays, already made); "new query", every cache of both emptied
before each call, as for a question the service has not seen yet (the regular expression
compiled again).

The reference is ``reference_best_passages`` of tests/test_snippets.py.
"""
from __future__ import annotations

import argparse
import gc
import json
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from bench._common import CORPUS, LOAD_QUERIES, markdown_table, read_lines, require  # noqa: E402


def recorded_calls(count: int) -> list[tuple]:
    """The ``best_passages`` calls the service makes for the first ``count`` questions."""
    from indexer.pipeline import ingest
    from policy_search import open_service
    from policy_search.search import snippets

    calls = []
    original = snippets.best_passages

    def recording(texts, terms, length=snippets.SNIPPET_CHARS, folded=None):
        calls.append((list(texts), list(terms), length, list(folded) if folded else None))
        return original(texts, terms, length, folded)

    snippets.best_passages = recording
    try:
        with tempfile.TemporaryDirectory(prefix="bench-snippets-") as tmp:
            ingest([CORPUS], Path(tmp) / "data")
            with open_service(Path(tmp) / "data") as service:
                for question in read_lines(LOAD_QUERIES, count):
                    service.search(question, limit=10)
    finally:
        snippets.best_passages = original
    return calls


def timed(calls: list[tuple], versions: dict, rounds: int, prepare) -> dict[str, float]:
    """Seconds per call of each version: the fastest round of each call, summed, over the calls.
    ``prepare(version, call)`` runs, untimed, before each timed call."""
    fastest = {name: [float("inf")] * len(calls) for name in versions}
    order = list(versions)
    clock = time.perf_counter
    gc.collect()
    gc.disable()
    try:
        for round_ in range(rounds):
            for i, call in enumerate(calls):
                for name in (order if round_ % 2 else order[::-1]):
                    prepare(versions[name], call)
                    begun = clock()
                    versions[name](*call)
                    spent = clock() - begun
                    fastest[name][i] = min(fastest[name][i], spent)
    finally:
        gc.enable()
    return {name: sum(times) / len(calls) for name, times in fastest.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    require(CORPUS, LOAD_QUERIES)

    import test_snippets
    from policy_search.search import snippets

    calls = recorded_calls(args.queries)
    for call in calls:
        if snippets.best_passages(*call) != test_snippets.reference_best_passages(*call):
            sys.exit(f"bench: the passages differ for the terms {call[1]}")
    versions = {"reference": test_snippets.reference_best_passages, "best_passages": snippets.best_passages}

    def seen_before(version, call):
        version(*call)

    def new_query(version, call):
        re.purge()
        test_snippets._reference_pattern.cache_clear()
        snippets._terms_of.cache_clear()
        snippets._pattern_of.cache_clear()

    results = {"warm": timed(calls, versions, args.rounds, seen_before),
               "new query": timed(calls, versions, args.rounds, new_query)}
    texts = sum(len(call[0]) for call in calls)
    if args.json:
        print(json.dumps({"calls": len(calls), "texts": texts, "rounds": args.rounds,
                          **{mode: {**{name: round(s * 1e6, 1) for name, s in spent.items()},
                                    "ratio": round(spent["reference"] / spent["best_passages"], 2)}
                             for mode, spent in results.items()}}))
        return 0
    print(f"{len(calls)} searches, {texts} hits, fastest of {args.rounds} rounds per call\n")
    print(markdown_table(
        ["terms", "reference µs/search", "best_passages µs/search", "reference / best_passages"],
        [[mode, f"{spent['reference'] * 1e6:.0f}", f"{spent['best_passages'] * 1e6:.0f}",
          f"{spent['reference'] / spent['best_passages']:.2f}"] for mode, spent in results.items()]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
