"""Atom feeds of what is new: ``/feed.atom`` (everything, or any search: the parameters of
``/search``) and ``/s/<id>/feed.atom`` (a saved search).

The search parameters are read by :func:`web.params.search_params`, as the search page reads
them, and every filter it returns is passed on: a filter added there narrows feeds too. Order
and paging are the feed's own (the latest to enter first, at most 50), so ``sort``, ``page``
and ``limit`` are checked but not used. Answers carry an ETag and a Last-Modified, and a
client that has the current feed gets 304 (see :mod:`web.feed_cache`).
"""
from __future__ import annotations

import datetime
import hashlib
from dataclasses import asdict
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, request
from werkzeug.datastructures import MultiDict

from policy_search.errors import SavedSearchNotFoundError
from policy_search.feeds import FeedInfo, atom_feed
from policy_search.links import saved_search_id
from policy_search.search.first_seen import MAX_FIRST_SEEN

from . import labels
from .context import service
from .feed_cache import FeedCache, MadeFeed, ModifiedClock
from .links import base_url, saved_search_url
from .params import SearchParams, policy_id, search_params

bp = Blueprint("feeds", __name__)

FEED_TYPE = "application/atom+xml"
#: The parameters of /search that a feed does not use (it has its own order and size).
NOT_FOR_FEEDS = ("sort", "page", "limit")
SITE_TITLE = "政策空间站"


@bp.get("/feed.atom")
def search_feed():
    """Everything new, or what is new in a search (``/feed.atom?q=稳岗&topic=稳岗就业``)."""
    params = search_params(request.args)
    args = feed_args(params)
    base = base_url()
    page = f"{base}/search?{urlencode(args)}" if args else f"{base}/"
    return _feed_answer(params, ("search", tuple(args.items())), base,
                        feed_url=f"{base}{search_feed_path(params)}", page_url=page)


@bp.get("/s/<path:sid>/feed.atom")
def saved_search_feed(sid: str):
    """What is new in a saved search (the short link of a poster)."""
    sid = policy_id(sid)
    params = search_params(MultiDict(service().saved_search(sid)))
    base = base_url()
    return _feed_answer(params, ("saved", sid), base, feed_url=f"{base}/s/{sid}/feed.atom",
                        page_url=saved_search_url(sid))


def feed_args(params: SearchParams) -> dict:
    """The parameters that make a search's feed: the query and the filters, in a fixed order."""
    return params.query_args(**{name: None for name in NOT_FOR_FEEDS})


def search_feed_path(params: SearchParams) -> str:
    """The path of a search's feed (``/feed.atom?...``), its parameters in a fixed order."""
    args = feed_args(params)
    return "/feed.atom" + (f"?{urlencode(args)}" if args else "")


def feed_title(params: SearchParams) -> str:
    """``政策空间站 · 新收录`` and what the search asks for: its words and its filters."""
    asked = ([f"“{params.q}”"] if params.q else []) + [chip["label"] for chip in labels.active_filters(params)]
    return f"{SITE_TITLE} · 新收录" + (f"：{' · '.join(asked)}" if asked else "")


def home_feed_link() -> dict:
    """The autodiscovery link of the home page: everything new."""
    return {"href": f"{base_url()}/feed.atom", "title": feed_title(SearchParams())}


def search_feed_link(params: SearchParams) -> dict:
    """The autodiscovery link of a search page: the feed of that search, or, when the search is a
    saved one (a poster's short link leads to it), the saved search's own feed."""
    saved = saved_search_of(params)
    path = f"/s/{saved}/feed.atom" if saved else search_feed_path(params)
    return {"href": f"{base_url()}{path}", "title": feed_title(params)}


def saved_search_of(params: SearchParams) -> str | None:
    """The id of the saved search these parameters are, if one was saved."""
    sid = saved_search_id(params.query_args(page=None, limit=None))
    try:
        service().saved_search(sid)
    except SavedSearchNotFoundError:
        return None
    return sid


def _feed_answer(params: SearchParams, key: tuple, base: str, *, feed_url: str, page_url: str) -> Response:
    holder = current_app.extensions["policy_search_feeds"]
    cache: FeedCache = holder["cache"]
    key = (*key, base)
    made = cache.get(service().generation(), key)
    if made is None:
        found = service().first_seen(params.q, limit=MAX_FIRST_SEEN, **asdict(params.filters))
        updated = max((e.updated for e in found.entries), default=found.last_change or 0.0)
        info = FeedInfo(feed_url=feed_url, page_url=page_url, title=feed_title(params),
                        subtitle=f"最新收录的政策，新收录在前，至多 {MAX_FIRST_SEEN} 条", updated=updated)
        body = atom_feed(info, found.entries, base)
        made = MadeFeed(body=body, etag=hashlib.sha256(body).hexdigest()[:32],
                        last_modified=holder["clock"].last_modified(found.generation, updated))
        if not found.partial:  # cut short by the time budget: made again next time, never kept
            cache.put(found.generation, key, made)
    return _conditional(made)


def _conditional(made: MadeFeed) -> Response:
    """The feed, or 304 when the client has it: by ETag when it sends one (RFC 9110 says that
    wins), else by If-Modified-Since."""
    modified = datetime.datetime.fromtimestamp(made.last_modified, tz=datetime.timezone.utc)
    if request.if_none_match:
        unchanged = request.if_none_match.contains_weak(made.etag)
    else:
        since = request.if_modified_since
        unchanged = since is not None and modified <= since
    response = Response(status=304) if unchanged else Response(made.body, mimetype=FEED_TYPE)
    response.set_etag(made.etag)
    response.last_modified = modified
    response.cache_control.public = True
    response.cache_control.no_cache = True  # keep it, but ask again: a new ingest shows at once
    return response


def register(app) -> None:
    """The per-process feed cache and clock of an app."""
    app.extensions["policy_search_feeds"] = {"cache": FeedCache(), "clock": ModifiedClock()}
