"""QR images of permanent links: PNG or SVG, cacheable, with an ETag."""
from __future__ import annotations

from flask import Response, request

from policy_search import qr

from .params import integer

MIMETYPES = {"png": "image/png", "svg": "image/svg+xml"}
#: Codes never change for a link, so caches may keep them for a day.
MAX_AGE = 86400


def qr_response(link: str, fmt: str) -> Response:
    """The code of ``link``; ``?size=`` sets PNG pixels per module (2 to 40).

    Each link, format and size is rendered once and then served from memory
    (:func:`policy_search.qr.cached_qr_image`). A link built on the request's
    host carries ``Vary: Host`` (see :mod:`web.links`), so a shared cache keeps
    one code per host.
    """
    size = integer(request.args, "size", qr.DEFAULT_BOX, qr.MIN_BOX, qr.MAX_BOX)
    tag = qr.etag(link, fmt, size)
    if request.if_none_match.contains(tag):
        response = Response(status=304)
    else:
        response = Response(qr.cached_qr_image(link, fmt, size), mimetype=MIMETYPES[fmt])
    response.set_etag(tag)
    response.cache_control.public = True
    response.cache_control.max_age = MAX_AGE
    return response
