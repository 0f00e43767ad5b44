"""The web front end and JSON API: a thin Flask layer over :mod:`policy_search`."""
from .app import create_app

__all__ = ["create_app"]
