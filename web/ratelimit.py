"""A small fixed budget of writes per client address and minute (the web's one write: saved searches).

Each address may make :data:`SAVES_PER_MINUTE` saves in any sliding minute; the next one is
answered 429 with ``Retry-After`` (the seconds until its oldest save leaves the minute). The
budget is per server process (``serve --processes N`` gives an address N times as many), and
the addresses remembered are bounded (:data:`MAX_CLIENTS`: past it, the quietest are forgotten).

The client's address is the connection's, except behind a reverse proxy on the same machine
(a loopback peer): then it is the last address of ``X-Forwarded-For``, the one the proxy
added (nginx's ``$proxy_add_x_forwarded_for``). Addresses a client writes into that header
itself come before it and are not read.
"""
from __future__ import annotations

import ipaddress
import math
import threading
import time
from collections import OrderedDict, deque

from flask import Flask, current_app, request

#: Saved searches one address may make a minute.
SAVES_PER_MINUTE = 10
WINDOW_SECONDS = 60.0
#: Addresses remembered at once.
MAX_CLIENTS = 10_000


class TooManyRequests(Exception):
    """Over the budget: answered 429 with ``Retry-After``."""

    def __init__(self, retry_after: int):
        super().__init__(f"too many saved searches from this address; try again in {retry_after} s")
        self.retry_after = retry_after


class RateLimiter:
    """Sliding-window budgets of events per key, safe across threads."""

    def __init__(self, budget: int, window: float = WINDOW_SECONDS, max_keys: int = MAX_CLIENTS,
                 clock=time.monotonic):
        self.budget, self.window, self.max_keys, self.clock = budget, window, max_keys, clock
        self._events: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def spend(self, key: str) -> None:
        """Count one event for ``key``, or raise :class:`TooManyRequests` when its budget is spent.

        >>> limiter = RateLimiter(2, clock=lambda: 100.0)
        >>> limiter.spend("a"); limiter.spend("a"); limiter.spend("b")
        >>> limiter.spend("a")
        Traceback (most recent call last):
        ...
        web.ratelimit.TooManyRequests: too many saved searches from this address; try again in 60 s
        """
        now = self.clock()
        with self._lock:
            events = self._events.get(key)
            if events is None:
                events = self._events[key] = deque()
                while len(self._events) > self.max_keys:
                    self._events.popitem(last=False)
            while events and events[0] <= now - self.window:
                events.popleft()
            if len(events) >= self.budget:
                raise TooManyRequests(max(1, math.ceil(events[0] + self.window - now)))
            events.append(now)
            self._events.move_to_end(key)


def client_address() -> str:
    """The address a request comes from (see the module's docstring for proxies)."""
    peer = request.remote_addr or ""
    forwarded = request.headers.get("X-Forwarded-For", "")
    if forwarded and _is_loopback(peer):
        last = forwarded.rsplit(",", 1)[-1].strip()
        if _is_address(last):
            return last
    return peer


def spend_save() -> None:
    """Count a saved search against the requesting address's budget (429 when it is spent)."""
    current_app.extensions["policy_search_saves"].spend(client_address())


def register(app: Flask) -> None:
    """The app's budget of saved searches (one per process)."""
    app.extensions["policy_search_saves"] = RateLimiter(SAVES_PER_MINUTE)


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
