"""The Host header: checked before Flask reads it, so a forged one never reaches a link, a code or a 500.

Without a configured base URL the permanent links (and their QR codes) are
built on the request's host, so only the allowed hosts are answered
(``ALLOWED_HOSTS``; by default the local names). With a base URL the links
never use the Host header and any well-formed host is answered, unless
``ALLOWED_HOSTS`` is given. A malformed Host header (bad characters, a label
over 63 characters, a bad port) is a 400 either way.

The check is a WSGI middleware rather than werkzeug's ``trusted_hosts``:
Flask builds its URL adapter from the Host header before any hook runs, and a
name the IDNA codec refuses leaves it without one, so even the error page
could not be drawn. A refused header is swapped for a stand-in name before
Flask sees it, and the request marked; the app then answers 400 with the
usual error page, whose links are relative.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, request

from policy_search.links import (LOCAL_HOSTS, check_base_url, host_allowed, parse_allowed_hosts,
                                 split_host)

from .params import BadParameter

#: The WSGI environ key that marks a refused Host header, and why it was refused.
REFUSED_KEY = "policy_search.refused_host"
#: What Flask sees instead of a refused Host header; it never appears in a link.
STAND_IN_HOST = "localhost"
MALFORMED = "the Host header is not a valid host name"
NOT_ALLOWED = "this service does not answer to the host name in the Host header"


class HostGuard:
    """WSGI middleware: marks a request whose Host header is malformed or not allowed."""

    def __init__(self, wsgi_app, allowed: frozenset | None):
        self.wsgi_app = wsgi_app
        self.allowed = allowed

    def __call__(self, environ, start_response):
        refusal = self.refusal(environ.get("HTTP_HOST"))
        if refusal is not None:
            environ = {**environ, "HTTP_HOST": STAND_IN_HOST, REFUSED_KEY: refusal}
        return self.wsgi_app(environ, start_response)

    def refusal(self, header: str | None) -> str | None:
        """Why a Host header is refused, or None when it is answered (no header: the server's own name)."""
        if header is None:
            return None
        host = split_host(header)
        if host is None:
            return MALFORMED
        if self.allowed is not None and not host_allowed(host, self.allowed):
            return NOT_ALLOWED
        return None


def allowed_hosts(config) -> frozenset | None:
    """The hosts the app answers, from ``ALLOWED_HOSTS`` and ``BASE_URL``; None for any well-formed host."""
    configured, base_url = config.get("ALLOWED_HOSTS"), config.get("BASE_URL")
    if not configured:
        return None if base_url else parse_allowed_hosts(LOCAL_HOSTS)
    allowed = parse_allowed_hosts(configured)
    if base_url:
        allowed |= {split_host(urlsplit(check_base_url(base_url)).netloc)}
    return allowed


def register(app: Flask) -> None:
    """Guard the app's Host header (see the module's docstring)."""
    app.wsgi_app = HostGuard(app.wsgi_app, allowed_hosts(app.config))

    @app.before_request
    def _refuse_marked_host():
        refusal = request.environ.get(REFUSED_KEY)
        if refusal is not None:
            raise BadParameter("Host", refusal)
