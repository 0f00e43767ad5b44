"""The opensearch backend on a real 3-node cluster beside the local backend: ingest, latency, eval.

    .venv/bin/python bench/cluster.py [--nodes 3] [--queries 300] [--work-dir DIR] [--json]

Starts ``--nodes`` OpenSearch nodes with ``scripts/opensearch-cluster`` (in DIR/cluster; stopped at
the end), then for each backend, in processes of their own:

  ingest   ``policy-search ingest`` of the laws + COVID corpus (every ``*.md`` under
           ``shared/data/laws/`` and ``ncp/corpus.tsv``), whole-process wall time; the cluster's
           index has 3 primaries and 1 replica
  reindex  ``policy-search reindex`` of that data directory: every policy of the catalog into a new
           index, then one alias move (what moving an installation to a cluster costs)
  search   p50 / p99 of ``open_service(dir).search(q)`` over the first N questions of
           ``queries-load.txt`` after 20 warm-up questions
  eval     ``policy-search eval`` of ``ncp/queries-dev.tsv`` on the 599 ncp documents

The nodes run on the same cores as the ingest and the searches: on a 2-core machine the cluster's
figures are what three JVMs sharing those cores give, not what a cluster of machines would.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from _common import CORPUS, DATA, LOAD_QUERIES, REPO, markdown_table, percentile, read_lines, require  # noqa: E402

CLUSTER = REPO / "scripts" / "opensearch-cluster"
CLI = [sys.executable, "-m", "policy_search.cli"]
DEV = DATA / "ncp" / "queries-dev.tsv"
WARMUP = 20


def start_cluster(state: Path, nodes: int) -> tuple[dict, list[str]]:
    env = {**os.environ, "OPENSEARCH_CLUSTER_DIR": str(state)}
    done = subprocess.run([str(CLUSTER), "start", str(nodes)], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        sys.exit(f"the cluster did not start: {done.stderr[-1500:]}")
    return env, done.stdout.split()


def backend_env(kind: str, urls: list[str], index: str) -> dict:
    if kind == "local":
        return {**os.environ, "POLICY_SEARCH_BACKEND": "local"}
    return {**os.environ, "POLICY_SEARCH_BACKEND": "opensearch", "POLICY_SEARCH_OPENSEARCH_URL": ",".join(urls),
            "POLICY_SEARCH_OPENSEARCH_INDEX": index, "POLICY_SEARCH_OPENSEARCH_SHARDS": "3",
            "POLICY_SEARCH_OPENSEARCH_REPLICAS": "1"}


def ingest(data_dir: Path, env: dict, sources: list[Path]) -> float:
    started = time.perf_counter()
    done = subprocess.run([*CLI, "--data-dir", str(data_dir), "ingest", *map(str, sources)],
                          capture_output=True, text=True, env=env, cwd=REPO)
    if done.returncode not in (0, 1):
        sys.exit(f"ingest failed: {done.stderr[-1500:]}")
    return time.perf_counter() - started


def child_search(data_dir: str, count: str) -> None:
    """Run in a child: time the questions through the service, print one JSON line."""
    from policy_search import open_service
    questions = read_lines(LOAD_QUERIES)
    service = open_service(data_dir)
    for question in questions[int(count):int(count) + WARMUP]:
        service.search(question)
    seconds = []
    for question in questions[:int(count)]:
        started = time.perf_counter()
        service.search(question)
        seconds.append((time.perf_counter() - started) * 1000)
    print(json.dumps({"p50_ms": percentile(seconds, 50), "p99_ms": percentile(seconds, 99)}))


def reindex(data_dir: Path, env: dict) -> float:
    started = time.perf_counter()
    done = subprocess.run([*CLI, "--data-dir", str(data_dir), "reindex"], capture_output=True, text=True, env=env,
                          cwd=REPO)
    if done.returncode != 0:
        sys.exit(f"reindex failed: {done.stderr[-1500:]}")
    return time.perf_counter() - started


def megabytes(sources: list[Path]) -> float:
    """The size of the files an ingest of ``sources`` reads (the laws' Markdown, the COVID TSV)."""
    files = [f for s in sources for f in ([s] if s.is_file() else s.rglob("*.md"))]
    return sum(f.stat().st_size for f in files) / 2**20  # MB as bench/speed.py counts them


def search(data_dir: Path, env: dict, count: int) -> dict:
    done = subprocess.run([sys.executable, __file__, "--_search", str(data_dir), str(count)],
                          capture_output=True, text=True, env=env, cwd=REPO)
    if done.returncode != 0:
        sys.exit(f"search failed: {done.stderr[-1500:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def evaluate(data_dir: Path, env: dict) -> dict:
    done = subprocess.run([*CLI, "--data-dir", str(data_dir), "eval", "--json", str(DEV)],
                          capture_output=True, text=True, env=env, cwd=REPO)
    if done.returncode != 0:
        sys.exit(f"eval failed: {done.stderr[-1500:]}")
    return json.loads(done.stdout)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--_search":
        child_search(*sys.argv[2:4])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=3)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--work-dir", type=Path)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    require(CORPUS, LOAD_QUERIES, DEV)
    if not (DATA / "laws").is_dir():
        sys.exit(f"bench: data not found: {DATA / 'laws'}")
    if not (shutil.which("java") and shutil.which("mvn")):
        sys.exit("bench/cluster.py needs Java 17 and Maven (scripts/opensearch-cluster builds the nodes)")
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="cluster-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    state_env, urls = start_cluster(work / "cluster", args.nodes)
    laws = [DATA / "laws", CORPUS]
    result: dict = {"nodes": args.nodes, "mb": megabytes(laws)}
    try:
        for kind in ("local", "opensearch"):
            for part in ("laws", "ncp"):
                shutil.rmtree(work / f"{kind}-{part}", ignore_errors=True)
            env = backend_env(kind, urls, "bench-laws")
            row = {"ingest_s": ingest(work / f"{kind}-laws", env, laws)}
            row["ingest_mb_s"] = result["mb"] / row["ingest_s"]
            row["reindex_s"] = reindex(work / f"{kind}-laws", env)
            row.update(search(work / f"{kind}-laws", env, args.queries))
            ncp_env = backend_env(kind, urls, "bench-ncp")
            ingest(work / f"{kind}-ncp", ncp_env, [CORPUS])
            row["eval"] = evaluate(work / f"{kind}-ncp", ncp_env)
            result[kind] = row
    finally:
        subprocess.run([str(CLUSTER), "stop"], capture_output=True, env=state_env)
        if args.work_dir is None:
            shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
        return
    rows = [[kind, f"{result[kind]['ingest_s']:.1f} s, {result[kind]['ingest_mb_s']:.2f} MB/s",
             f"{result[kind]['reindex_s']:.1f}", f"{result[kind]['p50_ms']:.1f}", f"{result[kind]['p99_ms']:.1f}",
             result[kind]["eval"]["MRR@10"], result[kind]["eval"]["R@10"]] for kind in ("local", "opensearch")]
    print(markdown_table(["backend", f"ingest laws + COVID ({result['mb']:.1f} MB)", "reindex s", "search p50 ms",
                          "search p99 ms", "MRR@10", "R@10"], rows))


if __name__ == "__main__":
    main()
