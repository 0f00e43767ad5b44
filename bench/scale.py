"""Growth of policy-search's costs with the size of the corpus: the laws + COVID corpus at 1×, 3×, 10×.

    .venv/bin/python bench/scale.py [--scales 1,3,10] [--limit-docs N] [--seed 1] [--queries 500]
                                    [--duration 10] [--work-dir DIR] [--keep] [--json]

The 1× corpus is what ``speed.py`` ingests: every ``*.md`` under ``shared/data/laws/`` and the
rows of ``shared/data/ncp/corpus.tsv`` (with ``--limit-docs N``, the first N of each). A k×
corpus is those real files plus k-1 synthetic documents per real document, made from real text:

* the real document is the template. Its copy keeps the template's kind (the laws folder, the
  province folder for the local regulations of ``laws/DLC``, or ncp) and its place: a law's copy
  is a Markdown file in the same folder path under ``synthetic/laws/``, an ncp row's copy a row of
  ``synthetic/ncp/copy-NN.tsv`` (one file of copies NN of every row, each like ``corpus.tsv``);
* its title is the template's title with ``（第N次汇编）`` appended, N counting the copies made of
  that title (two versions of one law share a title, so their copies go on numbering; titles are
  compared as ids compare them, without punctuation or spaces), so that every title is new and
  distinct;
* its body is paragraphs (a law's non-blank lines after ``<!-- INFO END -->``, an ncp text's
  space-separated parts after the first, which is taken as its title) drawn at random from all
  the documents of the same kind, until the body is as long as the template's; the last one is
  cut to fit. Vocabulary, paragraph lengths and document lengths stay real; the texts differ.
  Law paragraphs holding a 文号 (0.06% of the text) are not drawn;
* a law's copy keeps the template's enactment lines (dates, the body that passed it) except any
  line holding a 文号, which would give the copy the template's id. An ncp copy's id is given:
  ``<docid>-c<copy>``. Ids are distinct; the table's "policies" column (``stats``) checks it;
* the drawing is seeded by ``--seed``, the template and the copy number: the same command writes
  the same files.

For each scale, in this order, each measurement in a process of its own (``speed.py``'s
helpers): ``policy_search.cli ingest --json`` of the corpus into a fresh data dir (whole-process
wall time and peak RSS from ``os.wait4``); the size on disk of the data dir's ``index/`` folder
and ``catalog.sqlite3*`` files; in-process search latency p50/p99 of ``open_service(dir).search``
with the defaults over the first ``--queries`` questions of ``queries-load.txt`` after 20
warm-up questions; then ``policy-search serve`` under ``speed.py``'s HTTP load (8 keep-alive
clients, 3 s warm-up, ``--duration`` seconds), after which the resident set (VmRSS) of the server
and all its child processes is summed from ``/proc``.

It prints a table a scale and a table of growth between consecutive scales (and first to last):
the ratio of each cost and its exponent b in cost ∝ (MB of text)^b, so 1 is linear growth and
less than 1 sublinear. ``--json`` prints one JSON object instead. ``--work-dir DIR`` works in DIR
(default: a temporary folder) and writes ``DIR/result.json``; each scale's generated files and
data dir are removed once measured unless ``--keep``.
"""
from __future__ import annotations

import argparse
import json
import math
import random
import shutil
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from _common import REPO, markdown_table  # noqa: E402
from http_load import CLI  # noqa: E402
from speed import (LAWS, iter_documents, markdown_title, measure_http,  # noqa: E402
                   project_ingest, run_bench, search_child, sources_for, text_size, write_queries)

from indexer.extract import find_doc_numbers  # noqa: E402
from policy_search.ids import normalise_key  # noqa: E402

INFO_END = "<!-- INFO END -->"
NCP_KIND = "ncp"
MB = 1024 * 1024
#: Characters of a template's file name kept in its copies' names (CJK: 3 bytes each).
MAX_STEM_CHARS = 60


# --- the real documents, taken apart -------------------------------------------------------------

@dataclass
class Template:
    """A real document as the synthetic copies need it."""

    kind: str                   # laws folder (province for DLC) or "ncp": paragraphs mix within it
    name: str                   # the law's path under laws/, or the ncp docid
    title: str
    head: list[str] = field(default_factory=list)        # a law's enactment lines without 文号
    paragraphs: list[str] = field(default_factory=list)


def law_kind(relative: Path) -> str:
    """The kind of a law from its path under laws/: the top folder, the province one for DLC."""
    parts = relative.parts
    return parts[1] if parts[0] == "DLC" and len(parts) > 2 else parts[0]


def law_template(path: Path, text: str) -> Template:
    """A Markdown law: ``# title``, enactment lines, ``<!-- INFO END -->``, body lines."""
    head, marker, body = text.partition(INFO_END)
    if not marker:
        head, body = "", text
    enactment = [line.strip() for line in head.splitlines()
                 if line.strip() and not line.startswith("# ") and not find_doc_numbers(line)]
    relative = path.relative_to(LAWS)
    return Template(kind=law_kind(relative), name=str(relative),
                    title=markdown_title(text, path.stem), head=enactment,
                    paragraphs=[line.strip() for line in body.splitlines() if line.strip()])


def ncp_template(docid: str, text: str) -> Template:
    """An ncp row: its text is flattened, lines joined by spaces, the title first."""
    parts = text.split()
    return Template(kind=NCP_KIND, name=docid, title=parts[0] if parts else docid,
                    paragraphs=parts[1:])


def templates_of(sources: list[Path]) -> list[Template]:
    """Every real document of the sources (what ``speed.py`` ingests), in a stable order."""
    return [law_template(Path(key), text) if key.endswith(".md") else ncp_template(key, text)
            for key, _, text in iter_documents(sources)]


# --- the synthetic copies ------------------------------------------------------------------------

def paragraph_pools(templates: list[Template]) -> dict[str, list[str]]:
    """kind → every paragraph of the documents of that kind, in document order. A law paragraph
    holding a 文号 (0.06% of the laws' text) is left out: at the head of a copy it would give the
    copy that 文号's id."""
    pools: dict[str, list[str]] = defaultdict(list)
    for template in templates:
        paragraphs = template.paragraphs
        if template.kind != NCP_KIND:
            paragraphs = [p for p in paragraphs if not find_doc_numbers(p)]
        pools[template.kind].extend(paragraphs)
    return pools


def draw_body(template: Template, pool: list[str], rng: random.Random) -> list[str]:
    """Paragraphs drawn from ``pool`` until they are as long as the template's body."""
    target = max(1, sum(map(len, template.paragraphs)))
    pool = pool or [template.title]
    body: list[str] = []
    size = 0
    while size < target:
        paragraph = rng.choice(pool)[:target - size]
        body.append(paragraph)
        size += len(paragraph)
    return body


def law_markdown(template: Template, title: str, body: list[str]) -> str:
    """A synthetic law in the layout of the real files."""
    blocks = [f"# {title}", *template.head, INFO_END, *body]
    return "\n\n".join(blocks) + "\n"


def law_file_name(template: Template, number: int, suffix: str) -> str:
    """The file name of a law's copy: the template's, with the suffix of the title. A long name
    is cut (a file name holds 255 bytes) and takes the template's number to stay distinct."""
    stem = Path(template.name).stem
    if len(stem) > MAX_STEM_CHARS:
        stem = f"{stem[:MAX_STEM_CHARS]}…{number}"
    return f"{stem}{suffix}.md"


def write_ncp_copies(rows: dict[int, list[str]], folder: Path) -> list[Path]:
    """One ``docid<TAB>text`` file for each copy number; returns the files."""
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for copy in sorted(rows):
        path = folder / f"copy-{copy:02d}.tsv"
        path.write_text("docid\ttext\n" + "".join(rows[copy]), encoding="utf-8")
        files.append(path)
    return files


def write_synthetic(templates: list[Template], copies: int, seed: int, folder: Path) -> list[Path]:
    """Write ``copies`` synthetic documents per template under ``folder`` (see the module
    docstring); returns what to ingest besides the real sources."""
    pools = paragraph_pools(templates)
    numbers: Counter[str] = Counter()
    ncp_rows: dict[int, list[str]] = defaultdict(list)
    laws = folder / "laws"
    for number, template in enumerate(templates):
        for copy in range(1, copies + 1):
            key = normalise_key(template.title)
            numbers[key] += 1
            suffix = f"（第{numbers[key]}次汇编）"
            rng = random.Random(f"{seed}|{template.kind}|{template.name}|{copy}")
            body = draw_body(template, pools[template.kind], rng)
            if template.kind == NCP_KIND:
                text = " ".join([template.title + suffix, *body])
                ncp_rows[copy].append(f"{template.name}-c{copy}\t{text}\n")
                continue
            path = laws / Path(template.name).with_name(law_file_name(template, number, suffix))
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(law_markdown(template, template.title + suffix, body), encoding="utf-8")
    extra = [laws] if laws.is_dir() else []
    return extra + write_ncp_copies(ncp_rows, folder / "ncp")


# --- measuring one scale -------------------------------------------------------------------------

def index_size_mb(data_dir: Path) -> float:
    """MB on disk of the data dir's index folder and catalog (with its journal files)."""
    files = [*(data_dir / "index").rglob("*"), *data_dir.glob("catalog.sqlite3*")]
    return sum(path.stat().st_size for path in files if path.is_file()) / MB


def indexed_policies(data_dir: Path) -> int:
    """How many policies the index holds (``policy-search stats --json``)."""
    out = subprocess.run(CLI + ["--data-dir", str(data_dir), "stats", "--json"], check=True,
                         capture_output=True, cwd=REPO).stdout
    return json.loads(out)["policies"]


def measure_scale(scale: int, base: list[Path], templates: list[Template], query_file: Path,
                  args: argparse.Namespace, root: Path) -> dict:
    """Build the corpus of one scale, ingest it, and measure index, search and server."""
    folder = root / f"x{scale}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    started = time.perf_counter()
    sources = base + write_synthetic(templates, scale - 1, args.seed, folder / "synthetic")
    generated = time.perf_counter() - started
    documents, megabytes = text_size(sources)
    data_dir = folder / "data"
    ingest = project_ingest(data_dir, sources, folder, "ingest")
    ingest["mb_per_s"] = megabytes / ingest["wall_s"]
    result = {"scale": scale, "documents": documents, "text_mb": megabytes,
              "generate_s": generated, "ingest": ingest,
              "index_mb": index_size_mb(data_dir), "policies": indexed_policies(data_dir),
              "search": search_child("project-search", data_dir, query_file, folder),
              "http": measure_http(data_dir, args.duration)}
    if not args.keep:
        shutil.rmtree(folder / "synthetic", ignore_errors=True)
        shutil.rmtree(data_dir, ignore_errors=True)
    return result


# --- growth --------------------------------------------------------------------------------------

#: What the growth table follows: name → how to read it from a scale's result.
COSTS = {
    "ingest s": lambda r: r["ingest"]["wall_s"],
    "ingest RSS MB": lambda r: r["ingest"]["peak_rss_mb"],
    "index MB": lambda r: r["index_mb"],
    "p50 ms": lambda r: r["search"]["p50_ms"],
    "p99 ms": lambda r: r["search"]["p99_ms"],
    "server RSS MB": lambda r: r["http"]["server_rss_mb"],
}


def growth(before: dict, after: dict) -> dict:
    """Ratios after/before of the text and of each cost, and each cost's exponent
    b = log(cost ratio) / log(text ratio): 1 linear, below 1 sublinear."""
    size = after["text_mb"] / before["text_mb"]
    step = {"from": before["scale"], "to": after["scale"], "documents_ratio":
            after["documents"] / before["documents"], "text_ratio": size, "costs": {}}
    for name, read in COSTS.items():
        ratio = read(after) / read(before) if read(before) else None
        exponent = math.log(ratio) / math.log(size) if ratio and size != 1 else None
        step["costs"][name] = {"ratio": ratio, "exponent": exponent}
    return step


def growth_steps(results: list[dict]) -> list[dict]:
    """Growth between consecutive scales, and from the first to the last when there are more."""
    steps = [growth(a, b) for a, b in zip(results, results[1:])]
    if len(results) > 2:
        steps.append(growth(results[0], results[-1]))
    return steps


# --- report --------------------------------------------------------------------------------------

def scale_table(results: list[dict]) -> str:
    header = ["scale", "documents", "policies", "MB of text", "ingest s", "MB/s",
              "ingest RSS MB", "index MB", "p50 ms", "p99 ms", "server RSS MB"]
    rows = [[f"{r['scale']}×", r["documents"], r["policies"], f"{r['text_mb']:.1f}",
             f"{r['ingest']['wall_s']:.1f}", f"{r['ingest']['mb_per_s']:.2f}",
             f"{r['ingest']['peak_rss_mb']:.0f}", f"{r['index_mb']:.1f}",
             f"{r['search']['p50_ms']:.2f}", f"{r['search']['p99_ms']:.2f}",
             f"{r['http']['server_rss_mb']:.0f}"] for r in results]
    return markdown_table(header, rows)


def growth_cell(cost: dict) -> str:
    """``ratio (exponent)``, or a dash for what could not be computed (a zero)."""
    if cost["ratio"] is None:
        return "–"
    exponent = "–" if cost["exponent"] is None else f"{cost['exponent']:.2f}"
    return f"{cost['ratio']:.2f} ({exponent})"


def growth_table(steps: list[dict]) -> str:
    header = ["step", "documents ×", "MB of text ×", *(f"{name} × (b)" for name in COSTS)]
    rows = [[f"{s['from']}× → {s['to']}×", f"{s['documents_ratio']:.2f}", f"{s['text_ratio']:.2f}",
             *(growth_cell(c) for c in s["costs"].values())] for s in steps]
    return markdown_table(header, rows)


def notes(results: list[dict]) -> list[str]:
    """Lines worth a look: failed files, HTTP errors, documents that did not get an id of their own."""
    lines = []
    for r in results:
        if r["ingest"]["failed"]:
            lines.append(f"{r['scale']}×: {r['ingest']['failed']} files failed, e.g. "
                         f"{r['ingest']['first_failed'][:2]}")
        if r["http"]["errors"]:
            lines.append(f"{r['scale']}×: {r['http']['errors']} HTTP errors, e.g. "
                         f"{r['http']['first_errors'][:2]}")
        if r["policies"] != r["documents"]:
            lines.append(f"{r['scale']}×: {r['documents']} documents but {r['policies']} policies "
                         f"({r['ingest']['warnings']} ingest warnings)")
    return lines


def print_report(result: dict) -> None:
    limited = "" if result["limit_docs"] is None else f", --limit-docs {result['limit_docs']}"
    print(f"# scale.py: laws + COVID corpus at {', '.join(f'{s}×' for s in result['scales'])} "
          f"(seed {result['seed']}{limited})\n")
    print(scale_table(result["results"]) + "\n")
    print(f"Search: {result['queries']} questions of queries-load.txt in-process, defaults "
          f"(snippets, facets). Server RSS: VmRSS of the server and its children after "
          f"{result['duration']:g} s of HTTP load (8 clients).\n")
    if result["growth"]:
        print("## Growth (b: exponent of cost ∝ MB^b; 1 linear, < 1 sublinear)\n")
        print(growth_table(result["growth"]) + "\n")
    for line in notes(result["results"]):
        print(f"- {line}")
    print(f"Elapsed: {result['elapsed_s']:.0f} s")


# --- main ----------------------------------------------------------------------------------------

def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="1,3,10", help="comma-separated factors (default 1,3,10)")
    parser.add_argument("--limit-docs", type=int, help="base corpus: first N Markdown files and N ncp rows")
    parser.add_argument("--seed", type=int, default=1, help="seed of the synthetic documents")
    parser.add_argument("--queries", type=int, default=500, help="timed questions (default 500)")
    parser.add_argument("--duration", type=float, default=10.0, help="HTTP load seconds (default 10)")
    parser.add_argument("--work-dir", type=Path, help="work here and write result.json")
    parser.add_argument("--keep", action="store_true", help="keep each scale's files and data dir")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    try:
        args.scale_list = sorted({int(part) for part in args.scales.split(",") if part.strip()})
    except ValueError:
        parser.error(f"--scales takes whole numbers, e.g. 1,3,10 (not {args.scales!r})")
    if not args.scale_list or args.scale_list[0] < 1:
        parser.error("--scales: factors of 1 or more")
    return args


def run_scales(args: argparse.Namespace, root: Path) -> dict:
    started = time.perf_counter()
    base = sources_for(args.limit_docs, root)
    templates = templates_of(base)
    query_file, queries = write_queries(root, args.queries)
    results = []
    for scale in args.scale_list:
        results.append(measure_scale(scale, base, templates, query_file, args, root))
        if not args.json:
            print(f"… {scale}× measured ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    return {"scales": args.scale_list, "seed": args.seed, "limit_docs": args.limit_docs,
            "queries": len(queries["timed"]), "duration": args.duration, "results": results,
            "growth": growth_steps(results), "elapsed_s": time.perf_counter() - started}


def main() -> None:
    run_bench(parse_args(), run_scales, print_report, "bench-scale-")


if __name__ == "__main__":
    main()
