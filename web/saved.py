"""Saved searches: the short permanent links (``/s/<id>``) printed on posters."""
from __future__ import annotations

from flask import Blueprint, redirect, url_for

from .context import service
from .links import saved_search_url
from .params import policy_id
from .qr_images import qr_response

bp = Blueprint("saved", __name__)


@bp.get("/s/<path:sid>")
def open_search(sid: str):
    """Open the search a poster's code stands for (a temporary redirect: the search may evolve)."""
    params = service().saved_search(policy_id(sid))
    return redirect(url_for("pages.search", **params), code=302)


@bp.get("/s/<path:sid>/qr.<any(png, svg):fmt>")
def search_qr(sid: str, fmt: str):
    service().saved_search(policy_id(sid))
    return qr_response(saved_search_url(sid), fmt)
