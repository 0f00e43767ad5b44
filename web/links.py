"""Permanent links: ``<base URL>/p/<id>``, from the BASE_URL setting or the request's host."""
from __future__ import annotations

from flask import current_app, request, url_for


def base_url() -> str:
    """The public address of the service, without a trailing slash."""
    configured = current_app.config.get("BASE_URL")
    return (configured or request.host_url).rstrip("/")


def policy_url(pid: str) -> str:
    """The permanent link of a policy."""
    return base_url() + url_for("policy_pages.policy", pid=pid)
