"""What the feeds keep between requests: the last feeds made, and Last-Modified times.

A feed depends on the index generation it read (a new ingest makes a new one), the public
address its links carry and its search: those are the cache's key, so a feed made before an
ingest is never served after it. Both holders are per process and bounded.
"""
from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

#: Feeds kept, the least recently asked for dropped first (each holds at most 50 entries:
#: some tens of KB).
FEED_CACHE_ENTRIES = 128
#: Generations whose first-served time is remembered.
CLOCK_GENERATIONS = 16


@dataclass(frozen=True)
class MadeFeed:
    """A feed as served: its document, its ETag and its Last-Modified (whole Unix seconds)."""

    body: bytes
    etag: str
    last_modified: int


class FeedCache:
    """The last :data:`FEED_CACHE_ENTRIES` feeds made, by ``(generation, key)``."""

    def __init__(self, entries: int = FEED_CACHE_ENTRIES):
        self._entries = entries
        self._feeds: OrderedDict[tuple, MadeFeed] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, generation: int, key: tuple) -> MadeFeed | None:
        """The feed made for ``key`` over that generation, if still kept."""
        with self._lock:
            found = self._feeds.get((generation, key))
            if found is not None:
                self._feeds.move_to_end((generation, key))
            return found

    def put(self, generation: int, key: tuple, feed: MadeFeed) -> None:
        """Keep a feed made over a generation, dropping the oldest past the bound."""
        with self._lock:
            self._feeds[(generation, key)] = feed
            self._feeds.move_to_end((generation, key))
            while len(self._feeds) > self._entries:
                self._feeds.popitem(last=False)


class ModifiedClock:
    """Last-Modified times, in whole seconds, that grow with the index generation.

    A feed's Last-Modified is the later of its own ``updated`` time and the moment this
    process first served the feeds of its generation (after that generation's commit, so
    after every change it holds). A newer generation's time is always past every time
    handed out before it, even within one second, so ``If-Modified-Since`` never hides a
    new ingest from a client that keeps the last time it got. (``If-None-Match`` with the
    ETag is the exact check, and wins when both are sent.)
    """

    def __init__(self):
        self._first_served: OrderedDict[int, int] = OrderedDict()
        self._highest = 0
        self._lock = threading.Lock()

    def last_modified(self, generation: int, updated: float) -> int:
        """The Last-Modified of a feed of ``generation`` whose content last changed at ``updated``."""
        with self._lock:
            first = self._first_served.get(generation)
            if first is None:
                first = max(math.ceil(time.time()), self._highest + 1)
                self._first_served[generation] = first
                while len(self._first_served) > CLOCK_GENERATIONS:
                    self._first_served.popitem(last=False)
            stamp = max(first, math.ceil(updated))
            self._highest = max(self._highest, stamp)
            return stamp
