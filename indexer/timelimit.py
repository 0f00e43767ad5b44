"""A wall-clock limit on reading one file, so a file that keeps a parser busy cannot stall a batch.

:class:`TimeLimit` arms ``SIGALRM`` with ``signal.setitimer(ITIMER_REAL)``;
when the time is up the signal handler raises :class:`TimeLimitExceeded` in
the code that is running. :func:`run_within_limit` turns that into a
:class:`ParseTimeoutError`, an ordinary DocumentError, so the pipeline reports
the file as failed and goes on.

Limits of the mechanism, on purpose kept simple:

* It works only in the main thread of a POSIX process (signals are delivered
  to the main thread only). Elsewhere, e.g. an ingest started from a worker
  thread, the block runs without a limit; the PDF parser's own clock
  (``TIME_BUDGET_S``) and the size and depth limits still apply.
* Python runs signal handlers between bytecodes (the ``re`` module also checks
  for them while matching), so one long call into C code, such as a single
  lxml parse, is stopped only when it returns. The size and nesting limits of
  the parsers bound those calls.
* An interval timer already running (pytest-timeout, for one) is suspended
  while the block runs and re-armed afterwards with the time it had left.

:class:`TimeLimitExceeded` derives from BaseException so that the parsers'
``except Exception`` fallbacks (which turn unexpected errors into "damaged
file" reasons) cannot swallow it. The alarm fires once: that leaves no window
in which a second alarm could interrupt the clean-up, and :meth:`TimeLimit.stop`
may be called again until it has run through.
"""
from __future__ import annotations

import signal
import threading
import time
from typing import Callable, TypeVar

from policy_search.errors import CorruptDocumentError

T = TypeVar("T")


class TimeLimitExceeded(BaseException):
    """Raised inside a :class:`TimeLimit` block when its time is up."""


class ParseTimeoutError(CorruptDocumentError):
    """Reading a file took longer than the per-file limit."""

    def __init__(self, seconds: float):
        super().__init__(
            f"parsing took longer than {seconds:g} s and was stopped; the file may be damaged "
            "or built to keep readers busy",
            hint="open it and save or export it again; the limit is PARSE_TIME_LIMIT_S in indexer/parsers/base.py")
        self.seconds = seconds


def can_limit_time() -> bool:
    """True where a TimeLimit can work: POSIX, main thread, a SIGALRM handler set from Python."""
    return (hasattr(signal, "setitimer")
            and threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGALRM) is not None)


class TimeLimit:
    """``with TimeLimit(seconds):`` raises TimeLimitExceeded in the block once its time is up.

    No limit for None or 0 seconds, or where :func:`can_limit_time` is false.
    """

    def __init__(self, seconds: float | None):
        self.seconds = seconds
        self._armed = False
        self._previous_handler = None
        self._previous_timer = (0.0, 0.0)
        self._started = 0.0

    def __enter__(self) -> "TimeLimit":
        if self.seconds and self.seconds > 0 and can_limit_time():
            self._start()
        return self

    def __exit__(self, *exc) -> bool:
        self.stop()
        return False

    def _start(self) -> None:
        self._started = time.monotonic()
        self._previous_handler = signal.signal(signal.SIGALRM, self._on_alarm)
        self._armed = True
        self._previous_timer = signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def _on_alarm(self, signum, frame) -> None:
        if self._armed:
            self._armed = False
            raise TimeLimitExceeded(self.seconds)

    def stop(self) -> None:
        """Disarm, put back the previous handler and timer; does nothing once done."""
        self._armed = False
        if self._previous_handler is None:
            return
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self._previous_handler)
        self._previous_handler = None
        _rearm(self._previous_timer, time.monotonic() - self._started)


def _rearm(previous_timer: tuple[float, float], elapsed: float) -> None:
    """Give a timer that was running before the block the time it had left (at least a tick)."""
    delay, interval = previous_timer
    if delay > 0:
        signal.setitimer(signal.ITIMER_REAL, max(delay - elapsed, 0.001), interval)


def run_within_limit(seconds: float | None, read: Callable[..., T], *args) -> T:
    """``read(*args)``, stopped with a ParseTimeoutError after ``seconds``."""
    limit = TimeLimit(seconds)
    try:
        with limit:
            return read(*args)
    except TimeLimitExceeded:
        raise ParseTimeoutError(seconds) from None
    finally:
        limit.stop()  # again, in case the alarm struck inside __exit__ before it could
