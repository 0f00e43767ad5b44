"""Permanent links as the web shows them: the core's links, on the BASE_URL setting or the request's root."""
from __future__ import annotations

from flask import current_app, request

from policy_search.links import policy_link, search_link


def base_url() -> str:
    """The public address of the service, without a trailing slash."""
    configured = current_app.config.get("BASE_URL")
    return (configured or request.url_root).rstrip("/")


def policy_url(pid: str) -> str:
    """The permanent link of a policy (the one its printed code carries)."""
    return policy_link(base_url(), pid)


def saved_search_url(sid: str) -> str:
    """The permanent short link of a saved search."""
    return search_link(base_url(), sid)
