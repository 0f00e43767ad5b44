"""The Flask application factory."""
from __future__ import annotations

import threading

from flask import Flask

from policy_search.external_links import read_external_links
from policy_search.links import check_base_url
from policy_search.search.service import SearchService
from policy_search.settings import home_region, resolve_data_dir

from . import api, downloads, errors, feeds, hosts, labels, pages, policy_pages, ratelimit, saved, security

#: The largest request body read (the form of 生成二维码 is a few hundred bytes); more is 413.
MAX_BODY_BYTES = 16 * 1024


def create_app(config: dict | None = None) -> Flask:
    """A new app over one data directory.

    ``config`` keys: ``DATA_DIR`` (default: $POLICY_SEARCH_DATA_DIR or ./var),
    ``BASE_URL`` (the public address for permanent links; default: the request's host),
    ``ALLOWED_HOSTS`` (host names or host:port the app answers, a list or a
    comma-separated string; default: any well-formed host with a BASE_URL, else
    localhost, 127.0.0.1 and ::1 only; see :mod:`web.hosts`), ``HOME_REGION`` (the
    district the site is run for, a name or code; default: $POLICY_SEARCH_HOME_REGION;
    "" for none) and ``EXTERNAL_LINKS_FILE`` (the footer's links; default: the shipped
    ``data/external_links.json``). A bad BASE_URL, ALLOWED_HOSTS, HOME_REGION or links
    file is a ConfigurationError. The app reads the index and never changes it: its one
    write is a saved search (``POST /s``, see :mod:`web.saved`).
    """
    app = Flask(__name__)
    app.config.update(DATA_DIR=None, BASE_URL=None, ALLOWED_HOSTS=None, HOME_REGION=None,
                      EXTERNAL_LINKS_FILE=None, JSON_SORT_KEYS=False, MAX_CONTENT_LENGTH=MAX_BODY_BYTES)
    app.config.update(config or {})
    app.config["DATA_DIR"] = str(resolve_data_dir(app.config["DATA_DIR"]))
    app.config["BASE_URL"] = check_base_url(app.config["BASE_URL"]) if app.config["BASE_URL"] else None
    home = home_region(app.config["HOME_REGION"])
    app.config["HOME_REGION"] = home.code if home else None
    external_links = read_external_links(app.config["EXTERNAL_LINKS_FILE"])
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    app.url_map.merge_slashes = False  # "/api/policies//x" is an unknown id (404), not a redirect
    app.extensions["policy_search"] = _ServiceHolder(app.config["DATA_DIR"])
    for blueprint in (pages.bp, policy_pages.bp, saved.bp, feeds.bp, downloads.bp, api.bp):
        app.register_blueprint(blueprint)
    feeds.register(app)
    ratelimit.register(app)
    app.jinja_env.globals.update(level_name=labels.level_name, status_name=labels.status_name,
                                 type_name=labels.type_name, external_links=external_links)
    errors.register(app)
    hosts.register(app)
    security.register(app)
    return app


class _ServiceHolder:
    """Opens the search service on first use, once per process."""

    def __init__(self, data_dir: str):
        self.data_dir = data_dir
        self._service: SearchService | None = None
        self._lock = threading.Lock()

    def get(self) -> SearchService:
        if self._service is None:
            with self._lock:
                if self._service is None:
                    self._service = SearchService(self.data_dir)
        return self._service
