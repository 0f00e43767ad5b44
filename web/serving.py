"""Serving the app with waitress: in one process, or in several sharing one listening socket.

Threads of one process share its caches but take turns at Python's interpreter lock, so a
busy server uses about one core. Several processes (``serve --processes N``) each answer
with their own threads, search service and caches: they use N cores, and N times the
memory (each process reads what it needs of the index and holds its own copy of the
dictionaries). The first process opens the listening socket and forks the others; they die
with it.
"""
from __future__ import annotations

import ctypes
import os
import signal
import socket
import sys
from typing import Callable

import waitress

#: ``prctl(PR_SET_PDEATHSIG, ...)``: Linux sends the signal to a child when its parent dies.
_PR_SET_PDEATHSIG = 1
#: Seconds a thread runs Python before it must offer the interpreter lock (Python's default:
#: 0.005). A search lets go of the lock around each NumPy operation and then waits for a
#: thread doing other Python work (a request being read, an answer encoded) to offer it back;
#: with 0.0005, 8 threads under load answered about 25% more searches a second.
SWITCH_INTERVAL_S = 0.0005
#: ``mallopt(M_ARENA_MAX, ...)``: glibc gives each thread that allocates at the same time as
#: another an arena of its own, and each keeps what it once held. Searches take turns, so the
#: server's threads gain nothing from many arenas; with 2, two processes under wrk held
#: PSS 375 MB instead of 433 (``bench/http_load.py --processes 2 --client wrk``).
_M_ARENA_MAX = -8
MALLOC_ARENAS = 2


def serve(app, host: str, port: int, threads: int, processes: int = 1,
          ready: Callable[[], None] | None = None) -> None:
    """Answer on host:port with ``threads`` threads in each of ``processes`` processes.

    ``ready`` runs in every process before it answers (in the forked ones too): open what
    the app needs there, not before the fork (open files would be shared between processes).
    """
    options = {"threads": threads, "ident": "policy-search", "_quiet": True}
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    _limit_malloc_arenas(MALLOC_ARENAS)  # before any thread starts; forked processes keep it
    if processes <= 1:
        if ready is not None:
            ready()
        waitress.serve(app, host=host, port=port, **options)
        return
    listener = socket.create_server((host, port), family=_family(host))
    children = [_fork_server(app, listener, options, ready) for _ in range(processes - 1)]
    previous = signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        if ready is not None:
            ready()
        waitress.serve(app, sockets=[listener], **options)
    finally:
        signal.signal(signal.SIGTERM, previous)
        _stop(children)


def _fork_server(app, listener: socket.socket, options: dict, ready: Callable[[], None] | None) -> int:
    """A child process answering on the shared socket until its parent stops; its pid."""
    pid = os.fork()
    if pid:
        return pid
    code = 0
    try:
        _die_with_parent()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        if ready is not None:
            ready()
        waitress.serve(app, sockets=[listener], **options)
    except BaseException:  # noqa: BLE001 - a child never returns into the parent's code
        code = 1
        import traceback
        traceback.print_exc()
    finally:
        sys.stderr.flush()
        os._exit(code)


def _limit_malloc_arenas(arenas: int) -> None:
    """Ask glibc's malloc for at most ``arenas`` arenas (elsewhere: nothing)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.mallopt(_M_ARENA_MAX, arenas)
    except (OSError, AttributeError):
        pass


def _die_with_parent() -> None:
    """Ask Linux to end this process with SIGTERM when its parent ends (elsewhere: nothing)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass
    if os.getppid() == 1:  # the parent ended before the request took effect
        os._exit(0)


def _exit_on_signal(signum, frame) -> None:
    raise SystemExit(128 + signum)


def _stop(children: list[int]) -> None:
    """End the child processes and wait for them."""
    for pid in children:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    for pid in children:
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET
