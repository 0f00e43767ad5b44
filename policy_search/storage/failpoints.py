"""Named points where a test can freeze a process, to kill it there.

``POLICY_SEARCH_FAILPOINT=before_index_commit`` (or another of :data:`NAMES`) makes the
process that reaches that point print ``failpoint NAME`` on stderr and sleep, so a
crash test can send SIGKILL exactly between two steps of a commit; with
``POLICY_SEARCH_FAILPOINT_RESUME=FILE`` it goes on once that file exists (a test does
something to the world meanwhile, as stopping a cluster). Unset, a point costs one
dictionary lookup.
"""
from __future__ import annotations

import os
import sys
import time

ENV = "POLICY_SEARCH_FAILPOINT"
RESUME_ENV = "POLICY_SEARCH_FAILPOINT_RESUME"
#: ``after_index_writes``: an OpenSearch writer has sent its batch, not yet made it visible.
NAMES = ("before_index_commit", "after_index_writes", "after_index_commit")


def reach(name: str) -> None:
    """Freeze here if the environment names this point."""
    if os.environ.get(ENV) == name:
        print(f"failpoint {name}", file=sys.stderr, flush=True)
        resume = os.environ.get(RESUME_ENV)
        waited = 0.0
        while waited < 3600 and not (resume and os.path.exists(resume)):
            time.sleep(0.05)
            waited += 0.05
