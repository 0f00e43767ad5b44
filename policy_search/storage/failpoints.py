"""Named points where a test can freeze a process, to kill it there.

``POLICY_SEARCH_FAILPOINT=before_index_commit`` (or ``after_index_commit``) makes the
process that reaches that point print ``failpoint NAME`` on stderr and sleep, so a
crash test can send SIGKILL exactly between two steps of a commit. Unset, a point
costs one dictionary lookup.
"""
from __future__ import annotations

import os
import sys
import time

ENV = "POLICY_SEARCH_FAILPOINT"
NAMES = ("before_index_commit", "after_index_commit")


def reach(name: str) -> None:
    """Freeze here if the environment names this point."""
    if os.environ.get(ENV) == name:
        print(f"failpoint {name}", file=sys.stderr, flush=True)
        time.sleep(3600)
