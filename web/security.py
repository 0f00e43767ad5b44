"""Response headers every answer carries, and the same-origin rule for requests that write."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, current_app, request

from policy_search.links import split_host

from .params import BadParameter

HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; img-src 'self' data:; style-src 'self'; "
                                "script-src 'self'; object-src 'none'; base-uri 'none'; "
                                "form-action 'self'; frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}
#: Methods that may change something (the site has one such route: ``POST /s``, a saved search).
WRITING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: What a browser says in ``Sec-Fetch-Site`` about a request this site's own page made.
OWN_SITE_FETCHES = frozenset({"same-origin", "none"})
CROSS_SITE = "这个请求不是从本站的页面发出的，没有执行。请在本站的检索页面点“生成二维码”。"


def register(app: Flask) -> None:
    @app.before_request
    def _utf8_address():
        """An address whose query is not UTF-8 is a bad request, whatever the WSGI server passed."""
        try:
            request.query_string.decode("utf-8")
        except UnicodeDecodeError:
            raise BadParameter("query", "the address is not valid UTF-8") from None

    @app.before_request
    def _same_origin_writes():
        """A write is answered only when it comes from this site's own pages (no cross-site forms).

        There are no sessions or cookies to protect, but a page elsewhere must not make visitors'
        browsers save searches. A browser names the page a request comes from in ``Origin`` (every
        POST) and ``Sec-Fetch-Site``; when it says another site, the answer is 403. A request
        without either (a program, not a browser) is no forgery and is let through. The host
        itself was checked before (:mod:`web.hosts`). Unknown routes and methods keep their
        404 and 405.
        """
        if request.method not in WRITING_METHODS or request.routing_exception is not None:
            return
        fetch_site = request.headers.get("Sec-Fetch-Site")
        if fetch_site is not None and fetch_site not in OWN_SITE_FETCHES:
            raise BadParameter("Sec-Fetch-Site", CROSS_SITE, status=403)
        origin = request.headers.get("Origin")
        if origin is not None and not own_origin(origin):
            raise BadParameter("Origin", CROSS_SITE, status=403)

    @app.after_request
    def _add_headers(response):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response


def own_origin(origin: str) -> bool:
    """Whether an ``Origin`` header names this site: the request's own host, or the BASE_URL's.

    The scheme is not compared: behind a proxy that ends TLS the browser's origin is https and
    the request the server sees is http.
    """
    try:
        parts = urlsplit(origin.strip())
    except ValueError:
        return False
    if parts.scheme not in ("http", "https"):  # "null" (a sandboxed page, a file) included
        return False
    host = split_host(parts.netloc)
    if host is None:
        return False
    own = {split_host(request.host)}
    base_url = current_app.config.get("BASE_URL")
    if base_url:
        own.add(split_host(urlsplit(base_url).netloc))
    return host in own
