"""Access to the search service from a request."""
from __future__ import annotations

from flask import current_app

from policy_search.search.service import SearchService


def service() -> SearchService:
    """The app's search service (opened on first use)."""
    return current_app.extensions["policy_search"].get()
