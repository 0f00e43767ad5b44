"""Permanent links as the web shows them: the core's links, on the BASE_URL setting or the request's root."""
from __future__ import annotations

from flask import after_this_request, current_app, request

from policy_search.links import policy_link, search_link


def base_url() -> str:
    """The public address of the service, without a trailing slash.

    The configured BASE_URL, else the request's root (its host was checked by
    :mod:`web.hosts`); then the answer differs by host, so it says ``Vary: Host``.
    """
    configured = current_app.config.get("BASE_URL")
    if configured:
        return configured.rstrip("/")
    after_this_request(_vary_on_host)
    return request.url_root.rstrip("/")


def _vary_on_host(response):
    response.vary.add("Host")
    return response


def policy_url(pid: str) -> str:
    """The permanent link of a policy (the one its printed code carries)."""
    return policy_link(base_url(), pid)


def saved_search_url(sid: str) -> str:
    """The permanent short link of a saved search."""
    return search_link(base_url(), sid)
