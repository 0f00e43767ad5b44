"""Helpers shared by the tests: where the real data is, small file writers."""
from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"
SHARED_DATA = REPO.parent / "shared" / "data"
SHARED_MISSING = "../shared/data not found: real-data tests need the shared folder beside the repository"


def shared(*parts: str) -> Path:
    """A path under ../shared/data, skipping the test when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(SHARED_MISSING)
    return path



def data_dir_state(data_dir: Path) -> dict[str, str]:
    """SHA-256 of every file of a data directory that holds data (catalog, index, anything new).

    Left out: lock files, which locking touches, SQLite's shared-memory file and an empty
    write-ahead log, which a reader may create; a write-ahead log with content is data.
    """
    state = {}
    for path in sorted(data_dir.rglob("*")):
        if not path.is_file() or path.name.endswith(("-shm", ".lock", "WRITELOCK")):
            continue
        if path.name.endswith("-wal") and path.stat().st_size == 0:
            continue
        state[path.relative_to(data_dir).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return state


def state_changes(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Files added, removed or changed between two states of a data directory."""
    return [f"{name}: {'added' if name not in before else 'removed' if name not in after else 'changed'}"
            for name in sorted(set(before) | set(after)) if before.get(name) != after.get(name)]


def write_policy(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    """Write a small policy text file for a test."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path


def index_texts(folder: Path, data_dir: Path, texts: dict[str, str]) -> Path:
    """Write small policy files and ingest them; returns the data directory."""
    from indexer.pipeline import ingest

    for name, text in texts.items():
        write_policy(folder, name, text)
    report = ingest([folder], data_dir)
    assert not report.failed, report.failed
    return data_dir


# --- a real server for the tests that speak HTTP -----------------------------------------

SERVER_START_SECONDS = 30


def free_port() -> int:
    """A loopback port nobody listens on now."""
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RunningServer:
    """``policy-search serve`` over a data directory, on a free loopback port."""

    def __init__(self, process, port: int):
        self.process, self.port = process, port
        self.url = f"http://127.0.0.1:{port}"

    def rss_mb(self) -> float:
        """Resident memory of the server process now, in MB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0


@contextlib.contextmanager
def serving(data_dir: Path, threads: int = 8, ready_path: str = "/", extra: tuple[str, ...] = (),
            env: dict[str, str] | None = None):
    """Start the server (``extra``: more ``serve`` options; ``env``: more environment variables),
    wait until ``ready_path`` answers 200, stop it afterwards."""
    import os
    import subprocess
    import sys
    import time
    import urllib.request

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "policy_search.cli", "--data-dir", str(data_dir), "serve",
         "--host", "127.0.0.1", "--port", str(port), "--workers", str(threads), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, **(env or {})})
    server = RunningServer(process, port)
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"policy-search serve exited with {process.returncode}:\n"
                                   f"{process.stdout.read()}")
            try:
                with urllib.request.urlopen(server.url + ready_path, timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"policy-search serve did not answer within {SERVER_START_SECONDS} s")
                time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()


def delete_opensearch_indices(url: str, prefix: str) -> None:
    """Delete a test's indices on the cluster: every build of its alias and its meta index."""
    from opensearchpy import OpenSearch

    from policy_search.storage.backends.opensearch import node_urls

    client = OpenSearch(node_urls(url))
    try:
        client.indices.delete(index=f"{prefix}*", ignore_unavailable=True)
    finally:
        client.close()
