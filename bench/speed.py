"""Speed of policy-search against the textbook Whoosh + jieba set-up, side by side in one run.

    .venv/bin/python bench/speed.py [--queries N] [--duration S] [--only ingest,search,http]
                                    [--limit-docs N] [--work-dir DIR] [--json]

Both set-ups get the same documents: every ``*.md`` under ``shared/data/laws/`` and the rows of
``shared/data/ncp/corpus.tsv``. Each measurement runs in a subprocess of its own, so that its
imports and memory are its own; the peak RSS of a child comes from ``os.wait4`` (``ru_maxrss``),
that of the long-running server from ``/proc/<pid>/status`` (VmHWM).

Parts (``--only`` takes a comma-separated subset, default all three):

  ingest  Whole-process wall time of building each index from scratch, as MB/s of document text
          (the UTF-8 size of the text the textbook indexes; the same MB for both set-ups, so the
          ratio is a ratio of times). The textbook builds a Whoosh index with jieba's
          ChineseAnalyzer through one writer and one commit; the project runs
          ``policy_search.cli ingest``. The project's ingest is then repeated on the same data
          dir with nothing changed.
  search  Latency of each set-up's Python API over the first N (``--queries``, default 500)
          questions of ``queries-load.txt``, after 20 warm-up questions (the ones after the timed
          ones). Textbook: QueryParser on the content field with OrGroup, ``limit=10``, stored
          fields read. Project: ``open_service(dir).search(q)`` with the defaults (snippets and
          facets), and again with ``details=False``; the service reads ahead first
          (``warm()``, as ``serve`` does before it answers; its seconds are reported).
  http    ``policy-search serve`` over the project's data dir (``--processes``, default one a
          core), 8 keep-alive clients for ``--duration`` seconds (default 30, after a 3 s
          warm-up) sending all the load questions to ``/api/search`` (the client and server
          code of ``http_load.py``). The server's memory after the load is the proportional set
          size of its processes together (``/proc/<pid>/smaps_rollup``: a page they share, such
          as the dictionary loaded before the fork or the memory-mapped index, counts once);
          the sum of their resident sets, which counts such a page once per process, is
          printed beside it.

Every table carries the targets of the speed issue and whether they are met. ``--limit-docs N``
keeps the first N Markdown files and the first N ncp rows, for quick runs while developing.
``--work-dir DIR`` keeps the indexes in DIR (default: a temporary folder removed at the end); a
later run with ``--only search`` or ``--only http`` then reuses them instead of building them.
``--json`` prints everything as one JSON object (also written to DIR/result.json with
``--work-dir``).
"""
from __future__ import annotations

import argparse
import contextlib
import gc
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
from _common import (
    CORPUS,
    DATA,
    LOAD_QUERIES,
    REPO,
    markdown_table,
    percentile,
    read_corpus,
    read_lines,
    require,
)
from http_load import (CLI, free_port, load, peak_rss_mb, pss_mb, start_server, stop_server, tree_rss_mb,
                       wrk_available)

LAWS = DATA / "laws"
PARTS = ("ingest", "search", "http")
WARMUP_QUERIES = 20
HTTP_CLIENTS = 8
HTTP_WARMUP_S = 3.0
MB = 1024 * 1024

# The targets of the speed issue.
INGEST_RATIO_MIN = 4.0        # project MB/s >= 4 x textbook MB/s
REINGEST_MAX_S = 3.0          # no-change re-ingest, and 20 new files into the full index, at most 3 s
NEW_FILES = 20                # the new files: the first of corpus/ (policies the laws + COVID lack)
SEARCH_RATIO_MIN = 8.0        # textbook p50 / project p50 >= 8
SEARCH_P99_MAX_MS = 25.0      # in-process p99 under 25 ms
HTTP_RPS_MIN = 300.0          # with 8 clients for 30 s, no errors
HTTP_P99_MAX_MS = 100.0
SERVER_RSS_MAX_MB = 400.0


# --- the documents -------------------------------------------------------------------------------

def sources_for(limit: int | None, workdir: Path) -> list[Path]:
    """What both set-ups ingest: the laws folder and corpus.tsv, or the first N of each."""
    if limit is None:
        return [LAWS, CORPUS]
    sample = workdir / "ncp-sample.tsv"
    lines = CORPUS.read_text(encoding="utf-8").splitlines(keepends=True)
    sample.write_text("".join(lines[:limit + 1]), encoding="utf-8")   # header + N rows
    return sorted(LAWS.rglob("*.md"))[:limit] + [sample]


def markdown_title(text: str, fallback: str) -> str:
    for line in text.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return fallback


def iter_documents(sources: list[Path]):
    """(id, title, content) of every document: Markdown files of folders, files, TSV rows."""
    for source in sources:
        if source.suffix == ".tsv":
            for docid, text in read_corpus(source).items():
                yield docid, text[:50], text
            continue
        files = sorted(source.rglob("*.md")) if source.is_dir() else [source]
        for path in files:
            text = path.read_text(encoding="utf-8")
            yield str(path), markdown_title(text, path.stem), text


def text_size(sources: list[Path]) -> tuple[int, float]:
    """Number of documents and MB of their text (this also puts the files in the page cache)."""
    count, size = 0, 0
    for _, _, content in iter_documents(sources):
        count += 1
        size += len(content.encode("utf-8"))
    return count, size / MB


# --- running a child and measuring it ------------------------------------------------------------

def run_child(argv: list[str], workdir: Path, name: str) -> dict:
    """Run a subprocess to the end: wall seconds, peak RSS (MB), exit code, stdout, stderr."""
    out_path, err_path = workdir / f"{name}.out", workdir / f"{name}.err"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        started = time.perf_counter()
        child = subprocess.Popen(argv, stdout=out, stderr=err, cwd=REPO)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    return {"wall_s": wall, "peak_rss_mb": usage.ru_maxrss / 1024, "exit": child.returncode,
            "stdout": out_path.read_text(encoding="utf-8", errors="replace"),
            "stderr": err_path.read_text(encoding="utf-8", errors="replace")}


def child_failed(name: str, run: dict) -> None:
    tail = "\n".join(run["stderr"].splitlines()[-15:])
    sys.exit(f"speed: {name} exited with {run['exit']}\n{tail}")


def last_json_line(text: str) -> dict:
    return json.loads(text.strip().splitlines()[-1])


def self_child(*args: str) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--_child", *args]


# --- part 1: ingest ------------------------------------------------------------------------------

def textbook_ingest(index_dir: Path, sources: list[Path], workdir: Path) -> dict:
    shutil.rmtree(index_dir, ignore_errors=True)
    index_dir.mkdir(parents=True)
    run = run_child(self_child("textbook-ingest", str(index_dir), *map(str, sources)),
                    workdir, "textbook-ingest")
    if run["exit"] != 0:
        child_failed("textbook ingest", run)
    return {"wall_s": run["wall_s"], "peak_rss_mb": run["peak_rss_mb"],
            "documents": last_json_line(run["stdout"])["documents"]}


def project_ingest(data_dir: Path, sources: list[Path], workdir: Path, name: str) -> dict:
    """``policy_search.cli ingest --json``; exit 1 (some files failed) is accepted."""
    argv = CLI + ["--data-dir", str(data_dir), "ingest", "--json", *map(str, sources)]
    run = run_child(argv, workdir, name)
    if run["exit"] not in (0, 1):
        child_failed(f"project {name}", run)
    report = json.loads(run["stdout"])
    return {"wall_s": run["wall_s"], "peak_rss_mb": run["peak_rss_mb"], "exit": run["exit"],
            "added": report["added"], "updated": report["updated"],
            "unchanged": report["unchanged"], "failed": len(report["failed"]),
            "warnings": len(report["warnings"]),
            "first_failed": report["failed"][:5], "files": report["files"]}


def measure_ingest(sources: list[Path], workdir: Path, documents: int, megabytes: float) -> dict:
    textbook = textbook_ingest(workdir / "textbook", sources, workdir)
    data_dir = workdir / "project"
    shutil.rmtree(data_dir, ignore_errors=True)
    project = project_ingest(data_dir, sources, workdir, "project-ingest")
    again = project_ingest(data_dir, sources, workdir, "project-reingest")
    added = project_ingest(data_dir, [new_files(workdir)], workdir, "project-new-files")
    for run in (textbook, project):
        run["mb_per_s"] = megabytes / run["wall_s"]
    return {"documents": documents, "text_mb": megabytes, "textbook": textbook,
            "project": project, "project_reingest": again, "project_new_files": added,
            "ratio": project["mb_per_s"] / textbook["mb_per_s"]}


def new_files(workdir: Path) -> Path:
    """A folder of ``NEW_FILES`` files of ``corpus/`` (PDF, Word, web pages, text) to add to the
    full index as one batch."""
    folder = workdir / "new-files"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    corpus = REPO / "corpus"
    files = sorted(p for p in corpus.rglob("*") if p.is_file() and p.parent != corpus
                   and not p.name.endswith(".meta.json")
                   and not {"_src", "bulk"} & set(p.relative_to(corpus).parts))
    for path in files[:NEW_FILES]:
        for part in (path, path.with_name(path.name + ".meta.json")):  # with its metadata sidecar
            if part.is_file():
                shutil.copy2(part, folder / f"{path.parent.name}-{part.name}")
    return folder


def ensure_indexes(sources: list[Path], workdir: Path, limit: int | None) -> None:
    """Build both indexes (untimed) unless this work dir already holds them for these documents."""
    marker = workdir / "built.json"
    wanted = {"limit_docs": limit}
    if marker.is_file() and json.loads(marker.read_text()) == wanted:
        return
    textbook_ingest(workdir / "textbook", sources, workdir)
    shutil.rmtree(workdir / "project", ignore_errors=True)
    project_ingest(workdir / "project", sources, workdir, "project-ingest")
    marker.write_text(json.dumps(wanted))


# --- part 2: search in-process -------------------------------------------------------------------

def latency_summary(seconds: list[float]) -> dict:
    if not seconds:
        return {"count": 0}
    ms = [s * 1000 for s in seconds]
    return {"count": len(ms), "p50_ms": percentile(ms, 50), "p95_ms": percentile(ms, 95),
            "p99_ms": percentile(ms, 99), "mean_ms": sum(ms) / len(ms)}


def search_child(kind: str, index_dir: Path, query_file: Path, workdir: Path,
                 extra: tuple[str, ...] = ()) -> dict:
    name = f"{kind}{'-' + extra[0].lstrip('-') if extra else ''}"
    run = run_child(self_child(kind, str(index_dir), str(query_file), *extra), workdir, name)
    if run["exit"] != 0:
        child_failed(name, run)
    return {**last_json_line(run["stdout"]), "peak_rss_mb": run["peak_rss_mb"]}


def write_queries(workdir: Path, count: int) -> tuple[Path, dict]:
    """The search children's questions written to a file (returned with its content): the first
    ``count`` of ``queries-load.txt`` timed, the 20 after them for the warm-up."""
    questions = read_lines(LOAD_QUERIES)
    timed = questions[:count]
    warmup = questions[count:count + WARMUP_QUERIES] or questions[:WARMUP_QUERIES]
    query_file = workdir / "queries.json"
    queries = {"timed": timed, "warmup": warmup}
    query_file.write_text(json.dumps(queries, ensure_ascii=False), encoding="utf-8")
    return query_file, queries


def measure_search(workdir: Path, count: int) -> dict:
    query_file, queries = write_queries(workdir, count)
    textbook = search_child("textbook-search", workdir / "textbook", query_file, workdir)
    project = search_child("project-search", workdir / "project", query_file, workdir)
    plain = search_child("project-search", workdir / "project", query_file, workdir,
                         ("--no-details",))
    result = {"queries": len(queries["timed"]), "warmup": len(queries["warmup"]),
              "textbook": textbook, "project": project, "project_no_details": plain}
    for key in ("project", "project_no_details"):
        result[key]["speedup_p50"] = textbook["p50_ms"] / result[key]["p50_ms"]
    return result


# --- part 3: HTTP --------------------------------------------------------------------------------

def measure_http(data_dir: Path, duration: float, processes: int = 1) -> dict:
    """The server under 8 keep-alive clients: wrk when it is installed (a compiled client that
    leaves the cores to the server), else the Python client of ``http_load.py``."""
    questions = read_lines(LOAD_QUERIES)
    port = free_port()
    client = "wrk" if wrk_available() else "python"
    server = start_server(data_dir, port, HTTP_CLIENTS, processes=processes)
    try:
        load(port, questions, HTTP_CLIENTS, HTTP_WARMUP_S, client)
        result = load(port, questions, HTTP_CLIENTS, duration, client)
        result["processes"] = processes
        result["server_peak_rss_mb"] = peak_rss_mb(server.pid)
        result["server_rss_mb"] = tree_rss_mb(server.pid)     # with any worker processes
        result["server_pss_mb"] = pss_mb(server.pid)          # shared pages counted once
    finally:
        stop_server(server)
    result["questions"] = len(questions)
    return result


# --- the children (run as ``speed.py --_child KIND ...``) ----------------------------------------

def child_textbook_ingest(index_dir: str, *sources: str) -> dict:
    """The textbook: Whoosh with jieba's ChineseAnalyzer, one writer, one commit."""
    from jieba.analyse import ChineseAnalyzer
    from whoosh import index
    from whoosh.fields import ID, TEXT, Schema

    schema = Schema(id=ID(stored=True),
                    title=TEXT(stored=True, analyzer=ChineseAnalyzer()),
                    content=TEXT(analyzer=ChineseAnalyzer()))
    ix = index.create_in(index_dir, schema)
    writer = ix.writer()
    count = 0
    for docid, title, content in iter_documents([Path(s) for s in sources]):
        writer.add_document(id=docid, title=title, content=content)
        count += 1
    writer.commit()
    return {"documents": count}


def time_questions(ask, queries: dict) -> dict:
    """Warm up, then time ``ask(question)`` (which returns the number of hits) per question."""
    for question in queries["warmup"]:
        with contextlib.suppress(Exception):   # refused questions are counted in the timed run
            ask(question)
    gc.collect()
    seconds: list[float] = []
    errors = hits = 0
    for question in queries["timed"]:
        started = time.perf_counter()
        try:
            hits += ask(question)
        except Exception:  # noqa: BLE001
            errors += 1
            continue
        seconds.append(time.perf_counter() - started)
    return {**latency_summary(seconds), "errors": errors, "hits": hits}


def child_textbook_search(index_dir: str, query_file: str) -> dict:
    # the query clean-up of relevance.py's whoosh-jieba set-up
    from relevance import WHOOSH_SYNTAX
    from whoosh import index
    from whoosh.qparser import OrGroup, QueryParser

    started = time.perf_counter()
    ix = index.open_dir(index_dir)
    parser = QueryParser("content", ix.schema, group=OrGroup)
    searcher = ix.searcher()
    opened = time.perf_counter() - started

    def ask(question: str) -> int:
        query = parser.parse(WHOOSH_SYNTAX.sub(" ", question).lower())
        return len([hit.fields() for hit in searcher.search(query, limit=10)])

    queries = json.loads(Path(query_file).read_text(encoding="utf-8"))
    return {**time_questions(ask, queries), "open_s": opened}


def child_project_search(data_dir: str, query_file: str, *flags: str) -> dict:
    from policy_search import open_service

    started = time.perf_counter()
    service = open_service(data_dir)
    opened = time.perf_counter() - started
    service.warm()  # as `serve` does before it answers (its default --warm)
    warmed = time.perf_counter() - started - opened
    options = {"details": False} if "--no-details" in flags else {}

    def ask(question: str) -> int:
        return len(service.search(question, **options).hits)

    queries = json.loads(Path(query_file).read_text(encoding="utf-8"))
    return {**time_questions(ask, queries), "open_s": opened, "warm_s": warmed}


CHILDREN = {"textbook-ingest": child_textbook_ingest,
            "textbook-search": child_textbook_search,
            "project-search": child_project_search}


def run_as_child(kind: str, args: list[str]) -> None:
    print(json.dumps(CHILDREN[kind](*args), ensure_ascii=False))


# --- tables --------------------------------------------------------------------------------------

def met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def ingest_table(part: dict) -> str:
    textbook, project, again = part["textbook"], part["project"], part["project_reingest"]
    failed = f"{project['failed']} failed" if project["failed"] else "none failed"
    rows = [
        ["textbook (Whoosh + jieba)", textbook["documents"], f"{part['text_mb']:.1f}",
         f"{textbook['wall_s']:.1f}", f"{textbook['mb_per_s']:.2f}",
         f"{textbook['peak_rss_mb']:.0f}", "1.00×", "", ""],
        [f"project ingest ({project['added']} added, {failed}, {project['warnings']} warnings)", part["documents"],
         f"{part['text_mb']:.1f}", f"{project['wall_s']:.1f}", f"{project['mb_per_s']:.2f}",
         f"{project['peak_rss_mb']:.0f}", f"{part['ratio']:.2f}×",
         f"≥ {INGEST_RATIO_MIN:g}×", met(part["ratio"] >= INGEST_RATIO_MIN)],
        [f"project re-ingest, no change ({again['unchanged']} unchanged)", "", "",
         f"{again['wall_s']:.2f}", "", f"{again['peak_rss_mb']:.0f}", "",
         f"≤ {REINGEST_MAX_S:g} s", met(again["wall_s"] <= REINGEST_MAX_S)],
    ]
    added = part.get("project_new_files")
    if added:
        rows.append([f"project: {NEW_FILES} new files into the full index ({added['added']} added)", "", "",
                     f"{added['wall_s']:.2f}", "", f"{added['peak_rss_mb']:.0f}", "",
                     f"≤ {REINGEST_MAX_S:g} s", met(added["wall_s"] <= REINGEST_MAX_S)])
    header = ["set-up", "documents", "text MB", "wall s", "MB/s", "peak RSS MB",
              "MB/s vs textbook", "target", "met"]
    return markdown_table(header, rows)


def search_row(name: str, run: dict, with_targets: bool) -> list:
    row = [name, run["count"], run["errors"], f"{run['p50_ms']:.2f}", f"{run['p95_ms']:.2f}",
           f"{run['p99_ms']:.2f}", f"{run['mean_ms']:.2f}", f"{run['peak_rss_mb']:.0f}"]
    if not with_targets:
        return row + ["1.00×", "", ""]
    ok = run["speedup_p50"] >= SEARCH_RATIO_MIN and run["p99_ms"] < SEARCH_P99_MAX_MS
    return row + [f"{run['speedup_p50']:.1f}×",
                  f"≥ {SEARCH_RATIO_MIN:g}×, p99 < {SEARCH_P99_MAX_MS:g} ms", met(ok)]


def search_table(part: dict) -> str:
    rows = [search_row("textbook (QueryParser, OrGroup)", part["textbook"], False),
            search_row("project, defaults (snippets, facets)", part["project"], True),
            search_row("project, details=False", part["project_no_details"], True)]
    header = ["set-up", "queries", "errors", "p50 ms", "p95 ms", "p99 ms", "mean ms",
              "peak RSS MB", "textbook p50 / p50", "target", "met"]
    return markdown_table(header, rows)


def http_table(part: dict) -> str:
    rps, errors, p99 = part["rps"], part["errors"], part["p99_ms"]
    rss = part.get("server_rss_mb", part["server_peak_rss_mb"])
    pss = part.get("server_pss_mb", rss)
    rows = [["requests/s", f"{rps:.1f}", f"≥ {HTTP_RPS_MIN:g}", met(rps >= HTTP_RPS_MIN)],
            ["errors", errors, "0", met(errors == 0)],
            ["p50 ms", part["p50_ms"], "", ""],
            ["p95 ms", part["p95_ms"], "", ""],
            ["p99 ms", p99, f"< {HTTP_P99_MAX_MS:g}", met(p99 is not None and p99 < HTTP_P99_MAX_MS)],
            ["server memory MB after the load, all its processes (PSS: a page they share counted once)",
             f"{pss:.0f}", f"≤ {SERVER_RSS_MAX_MB:g}", met(pss <= SERVER_RSS_MAX_MB)],
            ["the same as the sum of their RSS (a shared page counted in each)", f"{rss:.0f}", "", ""],
            ["server peak RSS MB, all its processes", f"{part['server_peak_rss_mb']:.0f}", "", ""]]
    title = (f"{part['clients']} clients ({part.get('client', 'python')}), {part.get('processes', 1)} server "
             f"process(es), {part['seconds']} s, {part['requests']} requests over {part['questions']} questions")
    return title + "\n\n" + markdown_table(["HTTP /api/search", "measured", "target", "met"], rows)


def print_report(result: dict) -> None:
    limited = "" if result["limit_docs"] is None else f" (--limit-docs {result['limit_docs']})"
    print(f"# speed.py: {result['documents']} documents, {result['text_mb']:.1f} MB of text{limited}\n")
    if "ingest" in result:
        print("## Ingest\n\n" + ingest_table(result["ingest"]) + "\n")
        if result["ingest"]["project"]["first_failed"]:
            for failure in result["ingest"]["project"]["first_failed"]:
                print(f"- failed: {failure['path']}: {failure['error']}")
            print()
    if "search" in result:
        part = result["search"]
        print(f"## Search in-process ({part['queries']} questions, {part['warmup']} warm-up)\n\n"
              + search_table(part) + "\n")
    if "http" in result:
        print("## HTTP\n\n" + http_table(result["http"]) + "\n")
        for line in result["http"]["first_errors"]:
            print(f"- error: {line}")
    print(f"Elapsed: {result['elapsed_s']:.0f} s")


# --- main ----------------------------------------------------------------------------------------

def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=int, default=500, help="timed questions (default 500)")
    parser.add_argument("--duration", type=float, default=30.0, help="HTTP seconds (default 30)")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1,
                        help="server processes for the HTTP part (serve --processes; default: the cores)")
    parser.add_argument("--only", default=",".join(PARTS),
                        help="comma-separated parts: ingest,search,http (default all)")
    parser.add_argument("--limit-docs", type=int, help="first N Markdown files and N ncp rows")
    parser.add_argument("--work-dir", type=Path, help="keep (and reuse) the indexes here")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    args.parts = [part.strip() for part in args.only.split(",") if part.strip()]
    unknown = set(args.parts) - set(PARTS)
    if unknown:
        parser.error(f"unknown part(s) {', '.join(sorted(unknown))}; choose from {', '.join(PARTS)}")
    return args


def run_parts(args: argparse.Namespace, workdir: Path) -> dict:
    started = time.perf_counter()
    sources = sources_for(args.limit_docs, workdir)
    documents, megabytes = text_size(sources)
    result: dict = {"documents": documents, "text_mb": megabytes, "limit_docs": args.limit_docs}
    if "ingest" in args.parts:
        result["ingest"] = measure_ingest(sources, workdir, documents, megabytes)
        (workdir / "built.json").write_text(json.dumps({"limit_docs": args.limit_docs}))
    else:
        ensure_indexes(sources, workdir, args.limit_docs)
    if "search" in args.parts:
        result["search"] = measure_search(workdir, args.queries)
    if "http" in args.parts:
        result["http"] = measure_http(workdir / "project", args.duration, args.processes)
    result["elapsed_s"] = time.perf_counter() - started
    return result


def rounded(value, digits: int = 3):
    """The result with its floats rounded, for JSON."""
    if isinstance(value, float):
        return round(value, digits)
    if isinstance(value, dict):
        return {key: rounded(item, digits) for key, item in value.items()}
    if isinstance(value, list):
        return [rounded(item, digits) for item in value]
    return value


def run_bench(args: argparse.Namespace, run, report, prefix: str) -> None:
    """The frame of a bench over the laws + COVID documents: check the data is there, call
    ``run(args, workdir)`` in ``--work-dir`` (then also written to ``DIR/result.json``) or in a
    temporary folder named ``prefix…``, and print its result (rounded) as JSON or with ``report``."""
    require(CORPUS, LOAD_QUERIES)
    if not LAWS.is_dir():
        sys.exit(f"bench: data not found: {LAWS} (the laws folder of shared/data)")
    if args.work_dir:
        args.work_dir.mkdir(parents=True, exist_ok=True)
        result = rounded(run(args, args.work_dir.resolve()))
        (args.work_dir / "result.json").write_text(json.dumps(result, ensure_ascii=False, indent=2),
                                                   encoding="utf-8")
    else:
        with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
            result = rounded(run(args, Path(tmp)))
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        report(result)


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--_child":
        run_as_child(sys.argv[2], sys.argv[3:])
        return
    run_bench(parse_args(), run_parts, print_report, "bench-speed-")


if __name__ == "__main__":
    main()
