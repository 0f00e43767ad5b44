"""HTTP latency and throughput of ``GET /api/search`` against the real server.

    .venv/bin/python bench/http_load.py [--data-dir DIR | --source PATH ...] [--clients 1]
                                        [--duration 20] [--queries N] [--workers N]
                                        [--client python|wrk] [--json]

Without ``--data-dir`` it ingests ``--source`` (default ``corpus/``) into a temporary data
directory. It starts ``policy-search serve`` on a free loopback port, then runs
``--clients`` keep-alive connections sending the questions of ``queries-load.txt`` (or, when
the shared data is absent, the titles of the indexed policies) round-robin for
``--duration`` seconds. It prints requests per second, latency percentiles, errors and the
peak RSS of the server's processes together (from /proc).

``--tree DIR`` serves from another source tree (a checkout of an older commit, to compare).
``--client python`` (the default) runs one Python thread a connection in this process: it
competes with the server for the cores and the interpreter, so it measures the client as
much as the server. ``--client wrk`` drives the same questions with wrk, a compiled load
generator (one thread, a Lua script cycling through the questions URL-encoded; the latency
distribution is wrk's own). On Debian and Ubuntu: ``apt-get install wrk``.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import LOAD_QUERIES, REPO, median, percentile, read_lines  # noqa: E402

CLI = [sys.executable, "-m", "policy_search.cli"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ingest(sources: list[str], data_dir: Path) -> None:
    subprocess.run(CLI + ["--data-dir", str(data_dir), "ingest", *sources], check=True,
                   stdout=subprocess.DEVNULL, cwd=REPO)


#: Seconds a starting server has to answer (opening a large index takes a while).
SERVER_START_S = 120


def start_server(data_dir: Path, port: int, threads: int, tree: Path = REPO,
                 processes: int | None = None) -> subprocess.Popen:
    """``policy-search serve`` run from the source tree ``tree`` (default: this one) on a loopback
    port, with ``threads`` threads (in each of ``processes`` processes, when given); returns
    once it answers. Its messages go to a temporary file, never a pipe that nobody reads and
    that would stall the server once full."""
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1"}
    log = tempfile.TemporaryFile()
    extra = [] if processes is None else ["--processes", str(processes)]
    server = subprocess.Popen(CLI + ["--data-dir", str(data_dir), "serve", "--host", "127.0.0.1",
                                     "--port", str(port), "--workers", str(threads), *extra],
                              cwd=tree, env=env, stdout=subprocess.DEVNULL, stderr=log)
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            log.seek(0)
            sys.exit(f"server exited: {log.read().decode(errors='replace')[-2000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/openapi.json")
            if conn.getresponse().status == 200:
                conn.close()
                return server
        except OSError:
            time.sleep(0.3)
    stop_server(server)
    sys.exit(f"server did not answer within {SERVER_START_S} s")


def stop_server(server: subprocess.Popen) -> None:
    """Ask the server to stop; kill it when it does not within 15 s."""
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def status_mb(pid: int, field: str) -> float:
    """A size field of ``/proc/<pid>/status`` (``VmHWM``, ``VmRSS`` …) in MB; NaN when absent."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def tree_status_mb(pid: int, field: str) -> float:
    """A size field of ``/proc/<pid>/status`` summed over the process and every process under it,
    in MB (pages two of them share count twice, as each one's figure counts them)."""
    total = 0.0
    for member in process_tree(pid):
        try:
            total += status_mb(member, field)
        except OSError:    # the process ended meanwhile
            continue
    return total


def peak_rss_mb(pid: int) -> float:
    """VmHWM (peak resident set) of a process and every process under it, together, in MB."""
    return tree_status_mb(pid, "VmHWM")


def pss_mb(pid: int) -> float:
    """Proportional set size of a process and every process under it, together, in MB (a page
    shared by n of them counts 1/n in each): what they hold in memory between them, now."""
    total = 0
    for member in process_tree(pid):
        try:
            for line in Path(f"/proc/{member}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants still running, from the parent ids in ``/proc/*/stat``."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:        # the process ended meanwhile
            continue
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])   # after "(comm)"
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(child for child, parent in parents.items() if parent == current)
    return tree


def tree_rss_mb(pid: int) -> float:
    """Resident set (VmRSS) of a process and all its descendants together, in MB: a server that
    runs worker processes is measured whole."""
    return tree_status_mb(pid, "VmRSS")


def titles_of(data_dir: Path, count: int) -> list[str]:
    out = subprocess.run(CLI + ["--data-dir", str(data_dir), "list", "--json"], check=True,
                         capture_output=True, cwd=REPO).stdout
    return [p["title"] for p in json.loads(out)][:count]


class Client(threading.Thread):
    """One client: a keep-alive connection sending queries until the deadline."""

    def __init__(self, port: int, queries: list[str], offset: int, deadline: float):
        super().__init__(daemon=True)
        self.port, self.queries, self.offset, self.deadline = port, queries, offset, deadline
        self.latencies: list[float] = []
        self.errors: list[str] = []

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        i = self.offset
        while time.monotonic() < self.deadline:
            path = "/api/search?" + urllib.parse.urlencode({"q": self.queries[i % len(self.queries)]})
            i += 1
            started = time.perf_counter()
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    self.errors.append(f"{response.status} {path}")
            except (OSError, http.client.HTTPException) as err:
                self.errors.append(f"{type(err).__name__} {path}")
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                continue
            self.latencies.append((time.perf_counter() - started) * 1000)
        conn.close()


def run_load(port: int, queries: list[str], clients: int, duration: float) -> dict:
    deadline = time.monotonic() + duration
    started = time.monotonic()
    workers = [Client(port, queries, k * 97, deadline) for k in range(clients)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.monotonic() - started
    latencies = [ms for w in workers for ms in w.latencies]
    errors = [e for w in workers for e in w.errors]
    return {"clients": clients, "seconds": round(elapsed, 1), "requests": len(latencies),
            "rps": round(len(latencies) / elapsed, 1), "errors": len(errors),
            "first_errors": errors[:5],
            "p50_ms": round(median(latencies), 1) if latencies else None,
            "p95_ms": round(percentile(latencies, 95), 1) if latencies else None,
            "p99_ms": round(percentile(latencies, 99), 1) if latencies else None}


WRK_SCRIPT = """
local paths = {%s}
local next_path = 0

function request()
  next_path = next_path %% #paths + 1
  return wrk.format("GET", paths[next_path])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK-RESULT {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p95_us": %%d, ' ..
    '"p99_us": %%d, "max_us": %%d, "connect": %%d, "read": %%d, "write": %%d, ' ..
    '"status": %%d, "timeout": %%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
"""


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def run_wrk(port: int, queries: list[str], clients: int, duration: float) -> dict:
    """``clients`` keep-alive connections driven by wrk (one thread) for ``duration`` seconds,
    cycling through the questions; the same result keys as :func:`run_load` (errors: socket
    errors, timeouts and answers other than 2xx/3xx, which wrk counts together)."""
    if not wrk_available():
        sys.exit("bench: wrk not found; install it (Debian/Ubuntu: apt-get install wrk) "
                 "or use the Python client")
    paths = ", ".join(json.dumps("/api/search?" + urllib.parse.urlencode({"q": q})) for q in queries)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % paths)
    try:
        out = subprocess.run(["wrk", "-t1", f"-c{clients}", f"-d{max(1, round(duration))}s",
                              "--timeout", "10s", "-s", script.name, f"http://127.0.0.1:{port}/"],
                             capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(script.name)
    line = next(l for l in out.splitlines() if l.startswith("WRK-RESULT "))
    found = json.loads(line.split(" ", 1)[1])
    seconds = found["duration_us"] / 1e6
    errors = sum(found[k] for k in ("connect", "read", "write", "status", "timeout"))
    first = [f"{k}: {found[k]}" for k in ("connect", "read", "write", "status", "timeout") if found[k]]
    return {"clients": clients, "seconds": round(seconds, 1), "requests": found["requests"],
            "rps": round(found["requests"] / seconds, 1), "errors": errors, "first_errors": first,
            "p50_ms": round(found["p50_us"] / 1000, 1), "p95_ms": round(found["p95_us"] / 1000, 1),
            "p99_ms": round(found["p99_us"] / 1000, 1), "client": "wrk"}


def load(port: int, queries: list[str], clients: int, duration: float, client: str) -> dict:
    """One run of ``client`` ("python" or "wrk") against the server on ``port``."""
    if client == "wrk":
        return run_wrk(port, queries, clients, duration)
    return {**run_load(port, queries, clients, duration), "client": "python"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, help="an ingested data directory to serve")
    parser.add_argument("--source", action="append", help="what to ingest (default corpus/)")
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--threads", type=int, default=8, help="server threads (in each process)")
    parser.add_argument("--processes", type=int, help="server processes (serve --processes)")
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--queries", type=int, default=300, help="questions (0: all of them)")
    parser.add_argument("--client", choices=("python", "wrk"), default="python")
    parser.add_argument("--tree", type=Path, default=REPO,
                        help="serve from this source tree (another checkout, to compare; default: this one)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="http-load-") as tmp:
        data_dir = args.data_dir
        if data_dir is None:
            data_dir = Path(tmp) / "var"
            ingest(args.source or [str(REPO / "corpus")], data_dir)
        count = args.queries or None
        queries = (read_lines(LOAD_QUERIES, count) if LOAD_QUERIES.is_file()
                   else titles_of(data_dir, count or 10**6))
        port = free_port()
        server = start_server(data_dir, port, args.threads, tree=args.tree.resolve(),
                              processes=args.processes)
        try:
            load(port, queries, args.clients, args.warmup, args.client)
            result = load(port, queries, args.clients, args.duration, args.client)
            result["server_peak_rss_mb"] = round(peak_rss_mb(server.pid), 1)
            result["server_pss_mb"] = round(pss_mb(server.pid), 1)
            result["server_processes"] = len(process_tree(server.pid))
        finally:
            stop_server(server)
    result["queries"] = "queries-load.txt" if LOAD_QUERIES.is_file() else "policy titles"
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return
    print(f"{result['clients']} clients ({result['client']}), {result['seconds']} s, "
          f"{result['requests']} requests ({result['queries']}): {result['rps']} req/s, "
          f"errors {result['errors']}, p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, "
          f"p99 {result['p99_ms']} ms; server ({result['server_processes']} processes) peak RSS "
          f"{result['server_peak_rss_mb']} MB, PSS {result['server_pss_mb']} MB")
    for line in result["first_errors"]:
        print("  error:", line)


if __name__ == "__main__":
    main()
