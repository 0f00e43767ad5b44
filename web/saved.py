"""Saved searches: the short permanent links (``/s/<id>``) printed on posters, and 生成二维码.

Every search page has a 生成二维码 button: a form that POSTs the search to ``/s``. The search is
saved under the id of its canonical form (:func:`policy_search.links.keep_search`: the same
search always gets the same id, and one saved already is not written again), within a small
budget per client address (:mod:`web.ratelimit`; over it, 429), and the answer is a 303 to
``/s/<id>/qr``: a page with the code of the absolute link ``<base URL>/s/<id>``, the link and
its downloads. Why a POST: it is the site's only write, and a link (GET) that writes would be
followed by crawlers and prefetchers through every search page; the code's page itself is a
GET that only reads, so it can be bookmarked, shared and reloaded.
"""
from __future__ import annotations

import threading
from dataclasses import asdict

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from policy_search.links import keep_search

from . import labels
from .context import service
from .links import saved_search_url
from .params import SearchParams, policy_id, search_params
from .qr_images import qr_response
from .ratelimit import spend_save

bp = Blueprint("saved", __name__)

#: Saves of one process, one at a time: its threads share one catalog connection.
_saving = threading.Lock()


@bp.get("/s/<path:sid>")
def open_search(sid: str):
    """Open the search a poster's code stands for (a temporary redirect: the search may evolve)."""
    params = service().saved_search(policy_id(sid))
    return redirect(url_for("pages.search", **params), code=302)


@bp.get("/s/<path:sid>/qr.<any(png, svg):fmt>")
def search_qr(sid: str, fmt: str):
    service().saved_search(policy_id(sid))
    return qr_response(saved_search_url(sid), fmt)


@bp.post("/s")
def save_search():
    """生成二维码: save the search the form carries (its parameters as /search reads them)."""
    spend_save()
    params = search_params(request.form)
    with _saving:
        sid, _ = keep_search(service().catalog, saved_form(params))
    return redirect(url_for(".search_code", sid=sid), code=303)


@bp.get("/s/<path:sid>/qr")
def search_code(sid: str):
    """The page of a saved search's code: the image, the link, downloads, what it searches."""
    sid = policy_id(sid)
    params = search_params(MultiDict(service().saved_search(sid)))
    total = service().search(params.q, limit=1, details=False, **asdict(params.filters)).total
    return render_template("search_code.html", sid=sid, params=params, link=saved_search_url(sid),
                           chips=labels.active_filters(params), total=total,
                           search_url=url_for("pages.search", **params.query_args()))


def saved_form(params: SearchParams) -> dict:
    """What a search page saves: its words, filters and order, without the page and its size
    (the form the feeds and ``policy-search qr --search`` use, so all give one id)."""
    return params.query_args(page=None, limit=None)

