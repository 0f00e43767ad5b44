"""Response headers every answer carries."""
from __future__ import annotations

from flask import Flask, request

from .params import BadParameter

HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; img-src 'self' data:; style-src 'self'; "
                                "script-src 'self'; object-src 'none'; base-uri 'none'; "
                                "form-action 'self'; frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}


def register(app: Flask) -> None:
    @app.before_request
    def _utf8_address():
        """An address whose query is not UTF-8 is a bad request, whatever the WSGI server passed."""
        try:
            request.query_string.decode("utf-8")
        except UnicodeDecodeError:
            raise BadParameter("query", "the address is not valid UTF-8") from None

    @app.after_request
    def _add_headers(response):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response
