"""Ordinary searches while other clients loop the most expensive queries the caps allow.

    .venv/bin/python bench/hostile_load.py [--work-dir DIR] [--duration 30] [--quiet 10]
                                           [--heavy-clients 4] [--ordinary-clients 2]
                                           [--threads 8] [--limit-docs N]
                                           [--compare-base TREE] [--json]

The data dir holds every ``*.md`` of ``shared/data/laws/`` and the rows of
``shared/data/ncp/corpus.tsv`` (the documents of ``speed.py``), ingested with
``policy_search.cli ingest``; with ``--work-dir`` it is kept in ``DIR/project`` and reused
(also one that ``speed.py --work-dir DIR`` built). It starts ``policy-search serve`` on a free
loopback port and, after a warm-up, runs two phases of keep-alive clients:

  quiet    ``--ordinary-clients`` clients alone for ``--quiet`` seconds, sending the questions
           of ``queries-load.txt`` round-robin to ``/api/search``;
  hostile  the same clients for ``--duration`` seconds while ``--heavy-clients`` clients loop
           the heavy queries of :data:`HEAVY_QUERIES` (the most words, the most quoted phrases
           of common words, the most exclusions, exclusion-only, many words sorted by date).

It prints, per phase, the ordinary clients' p50/p95/p99 and errors (anything but 200), and the
heavy clients' status counts: 200, 503 (refused as busy, by design) and errors (anything else).
The target: ordinary p99 under 200 ms during the hostile phase, and no errors. With
``--compare-base TREE`` (e.g. ``/work/base``, a checkout of an older commit) the same phases
run again against a server started from that tree, over the same data dir.
"""
from __future__ import annotations

import argparse
import collections
import http.client
import json
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from _common import (CORPUS, LOAD_QUERIES, REPO, markdown_table, median,  # noqa: E402
                     percentile, read_lines, require)
from http_load import free_port, peak_rss_mb, start_server, stop_server  # noqa: E402
from speed import LAWS, project_ingest, sources_for  # noqa: E402

WARMUP_S = 5.0
ORDINARY_P99_MAX_MS = 200.0

#: Common words of the laws and the COVID policies, distinct: the terms that cost the most.
COMMON = ("规定 管理 部门 国家 人民政府 应当 单位 有关 工作 组织 依法 制度 法律 行政 责任 机关 条例 办法 "
          "实施 社会 企业 建设 服务 监督 检查 处罚 公共 安全 信息 标准 措施 相关 县级 以上 主管 政府 "
          "批准 登记 合同 财产 活动 保护 经营 生产 资金 项目 技术 人员 组织 发展 区域 计划 "
          "审查 决定 情况 需要 提供 重大 违反 事项 程序 范围").split()
#: Quoted phrases of common words, each checked in the texts of thousands of policies.
COMMON_PHRASES = ["县级 以上 人民政府", "有关 部门", "应当 依法", "国家 有关 规定", "主管 部门"]


def _distinct(words: list[str]) -> list[str]:
    return list(dict.fromkeys(words))


def heavy_queries() -> list[dict]:
    """The heavy requests (query parameters), at the caps of the current tree."""
    from policy_search.search.query import (MAX_QUERY_CHARS, MAX_QUERY_EXCLUDED, MAX_QUERY_PHRASES,
                                     MAX_QUERY_WORDS, parse_user_query)
    most_words = " ".join(_fit(_distinct(COMMON), MAX_QUERY_WORDS, MAX_QUERY_CHARS))
    phrases = " ".join(f'"{p}"' for p in COMMON_PHRASES[:MAX_QUERY_PHRASES])
    exclusions = " ".join(f"-{w}" for w in ["北京", "上海", "广东", "浙江", "重庆", "山东", "江苏",
                                            "四川", "湖北", "河南"][:MAX_QUERY_EXCLUDED])
    requests = [
        {"q": most_words},
        {"q": most_words, "sort": "date"},
        {"q": phrases},
        {"q": phrases + " " + " ".join(COMMON[:20]), "sort": "date"},
        {"q": "管理 " + exclusions},
        {"q": exclusions},
        {"q": "-北京"},
        {"q": " ".join(COMMON[:30]), "sort": "date", "limit": "50"},
    ]
    for request in requests:  # each is within the caps: the bench measures what is allowed
        parse_user_query(request["q"])
    return requests


def _fit(words: list[str], count: int, chars: int) -> list[str]:
    """The first words, at most ``count`` of them and ``chars`` characters joined by spaces."""
    out: list[str] = []
    for word in words:
        if len(out) == count or len(" ".join(out + [word])) > chars:
            break
        out.append(word)
    return out


# --- the data dir and the server ------------------------------------------------------------

def ensure_data_dir(workdir: Path, limit: int | None) -> Path:
    """The ingested data dir in ``workdir/project``, built unless it is there for these documents."""
    data_dir = workdir / "project"
    wanted = {"limit_docs": limit}
    for marker in (workdir / "project-built.json", workdir / "built.json"):
        if data_dir.is_dir() and marker.is_file() and json.loads(marker.read_text()) == wanted:
            return data_dir
    print(f"ingesting the laws and the COVID policies into {data_dir} (several minutes) ...", file=sys.stderr)
    project_ingest(data_dir, sources_for(limit, workdir), workdir, "project-ingest")
    (workdir / "project-built.json").write_text(json.dumps(wanted))
    return data_dir


# --- the clients ---------------------------------------------------------------------------

class Client(threading.Thread):
    """One keep-alive connection sending its requests round-robin until the deadline."""

    def __init__(self, port: int, requests: list[dict], offset: int, deadline: float):
        super().__init__(daemon=True)
        self.port, self.requests, self.offset, self.deadline = port, requests, offset, deadline
        self.latencies: list[float] = []
        self.statuses: collections.Counter = collections.Counter()
        self.failures: list[str] = []

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        i = self.offset
        while time.monotonic() < self.deadline:
            params = self.requests[i % len(self.requests)]
            i += 1
            path = "/api/search?" + urllib.parse.urlencode(params)
            started = time.perf_counter()
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as err:
                self.statuses["exception"] += 1
                self.failures.append(f"{type(err).__name__} {params}")
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                continue
            self.latencies.append((time.perf_counter() - started) * 1000)
            self.statuses[status] += 1
            if status not in (200, 503):
                self.failures.append(f"{status} {params}")
        conn.close()


def run_clients(port: int, groups: dict[str, tuple[list[dict], int]], seconds: float) -> dict:
    """Run each group's clients together for ``seconds``; latencies and statuses per group."""
    deadline = time.monotonic() + seconds
    clients = {name: [Client(port, requests, k * 97, deadline) for k in range(count)]
               for name, (requests, count) in groups.items()}
    for group in clients.values():
        for client in group:
            client.start()
    for group in clients.values():
        for client in group:
            client.join()
    return {name: summary(group, seconds) for name, group in clients.items()}


def summary(clients: list[Client], seconds: float) -> dict:
    latencies = [ms for c in clients for ms in c.latencies]
    statuses = sum((c.statuses for c in clients), collections.Counter())
    failures = [f for c in clients for f in c.failures]
    out = {"clients": len(clients), "requests": len(latencies), "rps": round(len(latencies) / seconds, 1),
           "statuses": {str(k): v for k, v in sorted(statuses.items(), key=str)},
           "first_failures": failures[:5]}
    if latencies:
        out.update(p50_ms=round(median(latencies), 1), p95_ms=round(percentile(latencies, 95), 1),
                   p99_ms=round(percentile(latencies, 99), 1), max_ms=round(max(latencies), 1))
    return out


def measure(tree: Path, data_dir: Path, args, ordinary: list[dict], heavy: list[dict]) -> dict:
    """Warm-up, the quiet phase and the hostile phase against a server from ``tree``."""
    port = free_port()
    server = start_server(data_dir, port, args.threads, tree=tree)
    try:
        run_clients(port, {"ordinary": (ordinary, args.ordinary_clients)}, WARMUP_S)
        quiet = run_clients(port, {"ordinary": (ordinary, args.ordinary_clients)}, args.quiet)
        hostile = run_clients(port, {"ordinary": (ordinary, args.ordinary_clients),
                                     "heavy": (heavy, args.heavy_clients)}, args.duration)
        rss = peak_rss_mb(server.pid)
    finally:
        stop_server(server)
    return {"tree": str(tree), "quiet": quiet, "hostile": hostile, "server_peak_rss_mb": round(rss, 1)}


# --- the report ----------------------------------------------------------------------------

def errors_of(group: dict, allowed: tuple[str, ...] = ("200",)) -> int:
    """Answers with another status than ``allowed``, and requests that failed outright."""
    return sum(n for status, n in group["statuses"].items() if status not in allowed)


def heavy_errors(group: dict) -> int:
    """A heavy client may be refused as busy (503): anything else but 200 is an error."""
    return errors_of(group, ("200", "503"))


def report(result: dict) -> str:
    rows = []
    for run in result["runs"]:
        for phase in ("quiet", "hostile"):
            ordinary = run[phase]["ordinary"]
            heavy = run[phase].get("heavy")
            rows.append([run["tree"], phase, ordinary["requests"], ordinary.get("p50_ms"),
                         ordinary.get("p95_ms"), ordinary.get("p99_ms"), errors_of(ordinary),
                         heavy["requests"] if heavy else "", heavy["statuses"].get("200", 0) if heavy else "",
                         heavy["statuses"].get("503", 0) if heavy else "", heavy_errors(heavy) if heavy else "",
                         heavy.get("p50_ms", "") if heavy else "", heavy.get("p99_ms", "") if heavy else ""])
    header = ["tree", "phase", "ordinary req", "p50 ms", "p95 ms", "p99 ms", "ordinary errors",
              "heavy req", "heavy 200", "heavy 503", "heavy errors", "heavy p50 ms", "heavy p99 ms"]
    lines = [f"# hostile_load.py: {result['documents']}, {result['ordinary_clients']} ordinary + "
             f"{result['heavy_clients']} heavy clients, quiet {result['quiet_s']:g} s, "
             f"hostile {result['duration_s']:g} s, {result['threads']} server threads", "",
             markdown_table(header, rows), ""]
    first = result["runs"][0]["hostile"]["ordinary"]
    met = first.get("p99_ms") is not None and first["p99_ms"] <= ORDINARY_P99_MAX_MS \
        and errors_of(first) == 0 and heavy_errors(result["runs"][0]["hostile"]["heavy"]) == 0
    lines.append(f"Target (this tree, hostile phase): ordinary p99 <= {ORDINARY_P99_MAX_MS:g} ms and no "
                 f"errors: {'met' if met else 'NOT met'}")
    if len(result["runs"]) > 1:
        base = result["runs"][1]["hostile"]["ordinary"]
        if base.get("p99_ms") and first.get("p99_ms"):
            lines.append(f"Ordinary p50 / p99 under hostile load, base / this tree: "
                         f"{base['p50_ms'] / first['p50_ms']:.1f}x / {base['p99_ms'] / first['p99_ms']:.1f}x")
    for run in result["runs"]:
        for phase in ("quiet", "hostile"):
            for name, group in run[phase].items():
                for failure in group["first_failures"]:
                    lines.append(f"- {Path(run['tree']).name} {phase} {name}: {failure}")
    return "\n".join(lines)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work-dir", type=Path, help="keep (and reuse) the data dir in DIR/project")
    parser.add_argument("--duration", type=float, default=30.0, help="hostile phase, seconds (30)")
    parser.add_argument("--quiet", type=float, default=10.0, help="ordinary clients alone first, seconds (10)")
    parser.add_argument("--heavy-clients", type=int, default=4)
    parser.add_argument("--ordinary-clients", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8, help="server threads (8)")
    parser.add_argument("--limit-docs", type=int, help="first N Markdown files and N ncp rows")
    parser.add_argument("--compare-base", type=Path, metavar="TREE",
                        help="run again with the server of this source tree (e.g. /work/base)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    require(CORPUS, LOAD_QUERIES)
    if not LAWS.is_dir():
        sys.exit(f"bench: data not found: {LAWS} (the laws folder of shared/data)")
    ordinary = [{"q": q} for q in read_lines(LOAD_QUERIES)]
    heavy = heavy_queries()
    with tempfile.TemporaryDirectory(prefix="bench-hostile-") as tmp:
        workdir = (args.work_dir or Path(tmp)).resolve()
        workdir.mkdir(parents=True, exist_ok=True)
        data_dir = ensure_data_dir(workdir, args.limit_docs)
        trees = [REPO] + ([args.compare_base.resolve()] if args.compare_base else [])
        runs = [measure(tree, data_dir, args, ordinary, heavy) for tree in trees]
    documents = "laws + ncp" + (f" (--limit-docs {args.limit_docs})" if args.limit_docs else "")
    result = {"documents": documents, "ordinary_clients": args.ordinary_clients,
              "heavy_clients": args.heavy_clients, "quiet_s": args.quiet, "duration_s": args.duration,
              "threads": args.threads, "heavy_queries": heavy, "runs": runs}
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print(report(result))


if __name__ == "__main__":
    main()
