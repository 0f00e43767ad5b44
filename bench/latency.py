"""Search latency of the working tree against a baseline commit (default cc1d900, the core issue).

    python bench/latency.py [--baseline REV] [--queries N] [--rounds 2] [--warmup 20] [--json]

The baseline is checked out as a detached git worktree in a temporary folder (removed at the
end). Each measurement runs in its own subprocess with PYTHONPATH set to the tree measured, so
that tree's ``policy_search`` and ``indexer`` are imported: it ingests corpus.tsv into a fresh
temporary data dir, warms up with 20 questions, then times ``service.search(q, limit=10)`` (the
default call, snippets and facets included, as users get it) over the first N questions of
queries-load.txt (cut to 200 characters, the service's limit), and the same with
``details=False`` where the tree has that parameter. Baseline and current run alternately,
``--rounds`` times each; the table gives the median over rounds of each figure and the ratio
current/baseline of p50 and p99 (the budget: at most +20%).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import (CORPUS, LOAD_QUERIES, REPO, markdown_table, median,  # noqa: E402
                           read_lines, require)

DEFAULT_BASELINE = "cc1d900"
BUDGET = 1.20          # current/baseline at most this
FIGURES = ("p50_ms", "p95_ms", "p99_ms", "mean_ms")

# Written into the temporary folder and run there: it imports nothing of bench/, which the
# baseline tree does not have.
RUNNER = r'''
"""One latency measurement, run by bench/latency.py in a subprocess whose PYTHONPATH is the tree to measure.

    python runner.py CONFIG.json

It must import nothing of bench/ (the baseline tree has none): it is copied beside the worktree
and reads its configuration from the JSON file named on its command line. It ingests the corpus into a fresh temporary data dir,
then times ``service.search(q, limit=10)`` (and ``details=False`` where the tree supports it)
and prints one JSON object on its last line of output.
"""
from __future__ import annotations

import gc
import inspect
import json
import math
import sys
import tempfile
import time
from pathlib import Path


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(pct / 100 * len(ordered))))
    return ordered[rank - 1]


def summary(times: list[float]) -> dict:
    if not times:
        return {"count": 0}
    return {"count": len(times),
            "p50_ms": round(percentile(times, 50) * 1000, 2),
            "p95_ms": round(percentile(times, 95) * 1000, 2),
            "p99_ms": round(percentile(times, 99) * 1000, 2),
            "mean_ms": round(sum(times) / len(times) * 1000, 2),
            "max_ms": round(max(times) * 1000, 2)}


def main() -> int:
    config = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    import indexer
    import policy_search

    expected = Path(config["tree"]).resolve()
    for module in (policy_search, indexer):
        root = Path(module.__file__).resolve().parents[1]
        if root != expected:
            print(f"runner: {module.__name__} imported from {root}, not {expected}", file=sys.stderr)
            return 2
    from indexer.pipeline import ingest
    from policy_search import open_service

    queries: list[str] = config["queries"]
    warmup: list[str] = config["warmup"]
    result: dict = {"tree": str(expected)}
    with tempfile.TemporaryDirectory(prefix="bench-latency-data-") as tmp:
        data_dir = Path(tmp) / "data"
        started = time.perf_counter()
        report = ingest([config["corpus"]], data_dir)
        result["ingest_s"] = round(time.perf_counter() - started, 2)
        result["ingested"] = getattr(report, "added", None)
        with open_service(data_dir) as service:
            supports_details = "details" in inspect.signature(service.search).parameters
            modes = [("default", {})]
            if supports_details:
                modes.append(("details=False", {"details": False}))
            result["modes"] = {}
            for mode, kwargs in modes:
                for question in warmup:
                    try:
                        service.search(question, limit=10, **kwargs)
                    except Exception:  # noqa: BLE001 - a refused question is counted below
                        pass
                gc.collect()
                times: list[float] = []
                errors = 0
                hits = 0
                for question in queries:
                    begun = time.perf_counter()
                    try:
                        page = service.search(question, limit=10, **kwargs)
                    except Exception:  # noqa: BLE001
                        errors += 1
                        continue
                    times.append(time.perf_counter() - begun)
                    hits += len(page.hits)
                result["modes"][mode] = {**summary(times), "errors": errors, "hits": hits}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
'''


def git(*args: str) -> str:
    done = subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"bench: git {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout.strip()


def measure(tree: Path, label: str, workdir: Path, config: dict) -> dict:
    """One subprocess run of the runner against ``tree``."""
    config_path = workdir / f"config-{label}.json"
    config_path.write_text(json.dumps({**config, "tree": str(tree)}, ensure_ascii=False), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("POLICY_SEARCH_DATA_DIR", None)
    done = subprocess.run([sys.executable, str(workdir / "runner.py"), str(config_path)],
                          cwd=str(workdir), env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-4000:])
        sys.exit(f"bench: the {label} measurement failed (exit {done.returncode})")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", default=DEFAULT_BASELINE, help=f"git revision (default {DEFAULT_BASELINE})")
    parser.add_argument("--queries", type=int, default=500, help="questions timed (default 500)")
    parser.add_argument("--warmup", type=int, default=20, help="warm-up questions (default 20)")
    parser.add_argument("--rounds", type=int, default=2, help="baseline/current pairs (default 2)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    require(CORPUS, LOAD_QUERIES)
    if args.queries < 1 or args.warmup < 0 or args.rounds < 1:
        sys.exit("bench: --queries and --rounds must be at least 1, --warmup at least 0")

    questions = read_lines(LOAD_QUERIES)
    timed = questions[:args.queries]
    # warm up on the questions after the timed ones (the first ones when the file is too short)
    warmup = questions[args.queries:args.queries + args.warmup] or questions[:args.warmup]
    config = {"corpus": str(CORPUS), "queries": timed, "warmup": warmup}

    commit = git("rev-parse", "--verify", f"{args.baseline}^{{commit}}")
    head = git("rev-parse", "HEAD")
    dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    workdir = Path(tempfile.mkdtemp(prefix="bench-latency-"))
    worktree = workdir / "baseline"
    runs: dict[str, list[dict]] = {"baseline": [], "current": []}
    try:
        git("worktree", "add", "--detach", str(worktree), commit)
        (workdir / "runner.py").write_text(RUNNER.lstrip(), encoding="utf-8")
        trees = {"baseline": worktree, "current": REPO}
        for number in range(1, args.rounds + 1):
            for label in ("baseline", "current"):
                print(f"round {number}/{args.rounds}: {label} ...", file=sys.stderr, flush=True)
                result = measure(trees[label], label, workdir, config)
                runs[label].append(result)
                figures = ", ".join(f"{mode} p50 {m.get('p50_ms')} p99 {m.get('p99_ms')} ms"
                                    for mode, m in result["modes"].items())
                print(f"  ingest {result['ingest_s']} s; {figures}", file=sys.stderr, flush=True)
    finally:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(worktree)],
                       capture_output=True)
        subprocess.run(["git", "-C", str(REPO), "worktree", "prune"], capture_output=True)
        shutil.rmtree(workdir, ignore_errors=True)

    rows = []
    table: dict[str, dict] = {}
    for label in ("baseline", "current"):
        modes = runs[label][0]["modes"].keys()
        for mode in modes:
            per_round = [run["modes"][mode] for run in runs[label]]
            row = {figure: round(median([r[figure] for r in per_round]), 2) for figure in FIGURES}
            row["errors"] = max(r["errors"] for r in per_round)
            row["p50_rounds"] = [r["p50_ms"] for r in per_round]
            row["p99_rounds"] = [r["p99_ms"] for r in per_round]
            row["ingest_s"] = round(median([run["ingest_s"] for run in runs[label]]), 1)
            table[f"{label} {mode}"] = row
    base = table["baseline default"]
    ratios = {}
    for key in (k for k in table if k.startswith("current")):
        ratios[key] = {f"{f}_ratio": round(table[key][f] / base[f], 3) for f in ("p50_ms", "p99_ms")}
    cur = ratios["current default"]
    verdict = "within budget" if max(cur.values()) <= BUDGET else "REGRESSION beyond +20%"

    if args.json:
        json.dump({"baseline": args.baseline, "baseline_commit": commit, "current_head": head,
                   "current_dirty": dirty, "queries": len(timed), "warmup": len(warmup),
                   "rounds": args.rounds, "results": table, "ratios_vs_baseline_default": ratios,
                   "budget": BUDGET, "verdict": verdict, "runs": runs}, sys.stdout, indent=2)
        print()
        return 0
    print(f"baseline {args.baseline} ({commit[:7]}) vs current working tree (HEAD {head[:7]}"
          f"{', uncommitted changes' if dirty else ''}); {len(timed)} questions of {LOAD_QUERIES.name}, "
          f"warm-up {len(warmup)}, {args.rounds} rounds alternating, medians over rounds\n")
    header = ["tree", "call", "p50 ms", "p95 ms", "p99 ms", "mean ms", "p50 per round", "p99 per round",
              "errors", "ingest s"]
    for key, row in table.items():
        label, mode = key.split(" ", 1)
        call = "search(q, limit=10)" if mode == "default" else f"search(q, limit=10, {mode})"
        rows.append([label, call, *(f"{row[f]:.2f}" for f in FIGURES),
                     " / ".join(f"{v:.1f}" for v in row["p50_rounds"]),
                     " / ".join(f"{v:.1f}" for v in row["p99_rounds"]), row["errors"], row["ingest_s"]])
    print(markdown_table(header, rows))
    print()
    for key, ratio in ratios.items():
        mode = key.split(" ", 1)[1]
        print(f"current {mode} / baseline default: p50 x{ratio['p50_ms_ratio']:.3f}, "
              f"p99 x{ratio['p99_ms_ratio']:.3f}")
    print(f"\nbudget: current/baseline <= {BUDGET:.2f} for the default call -> {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
