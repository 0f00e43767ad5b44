"""QR codes of permanent links, as PNG or SVG bytes (the ``qrcode`` package).

Error correction M (a code stays readable with about 15% of it damaged or
covered) and the standard quiet zone of four modules around it.
"""
from __future__ import annotations

import hashlib
import io
import threading
from collections import OrderedDict

import qrcode
from qrcode.image.pure import PyPNGImage
from qrcode.image.svg import SvgPathImage

from policy_search.errors import ConfigurationError

QUIET_ZONE = 4
#: Pixels per module of a PNG: the default and the allowed range.
DEFAULT_BOX = 8
MIN_BOX, MAX_BOX = 2, 40
FORMATS = ("png", "svg")
#: Images :func:`cached_qr_image` keeps: a few KB each for a link of ordinary length.
CACHED_IMAGES = 512


def _code(text: str, factory, box_size: int) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=QUIET_ZONE,
                         box_size=box_size, image_factory=factory)
    code.add_data(text)
    code.make(fit=True)
    return code


def qr_png(text: str, box_size: int = DEFAULT_BOX) -> bytes:
    """A PNG of the code of ``text`` with ``box_size`` pixels per module."""
    if not MIN_BOX <= box_size <= MAX_BOX:
        raise ConfigurationError(f"QR size {box_size} is out of range",
                                 hint=f"use {MIN_BOX} to {MAX_BOX} pixels per module")
    out = io.BytesIO()
    _code(text, PyPNGImage, box_size).make_image().save(out)
    return out.getvalue()


def qr_svg(text: str) -> bytes:
    """An SVG of the code of ``text`` (one path, scalable; 1 mm per module at 100%)."""
    out = io.BytesIO()
    _code(text, SvgPathImage, 10).make_image().save(out)
    return out.getvalue()


def qr_image(text: str, fmt: str, box_size: int = DEFAULT_BOX) -> bytes:
    """The code of ``text`` in ``fmt`` ('png' or 'svg')."""
    if fmt == "png":
        return qr_png(text, box_size)
    if fmt == "svg":
        return qr_svg(text)
    raise ConfigurationError(f"unknown QR format {fmt!r}", hint="use a .png or .svg file name")


class _ImageCache:
    """The images rendered last, shared by a server's threads; one rendering at a time.

    Rendering is pure Python and holds the interpreter lock anyway, so one at a
    time costs no throughput, and it bounds what a flood of code requests can take
    from the searches to one thread's share. An image asked for while it is being
    rendered waits for it instead of being rendered again.
    """

    def __init__(self, capacity: int):
        self.capacity = capacity
        self._images: OrderedDict[tuple, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple, render) -> bytes:
        """The image of ``key``, calling ``render()`` only when it is not kept."""
        with self._lock:
            image = self._images.get(key)
            if image is not None:
                self._images.move_to_end(key)
                return image
            image = render()
            self._images[key] = image
            if len(self._images) > self.capacity:
                self._images.popitem(last=False)
            return image


_images = _ImageCache(CACHED_IMAGES)


def cached_qr_image(text: str, fmt: str, box_size: int = DEFAULT_BOX) -> bytes:
    """:func:`qr_image`, rendered once per link, format and size, then kept (the web's codes)."""
    key = (text, fmt, box_size if fmt == "png" else None)  # an SVG has no pixel size
    return _images.get(key, lambda: qr_image(text, fmt, box_size))


def etag(text: str, fmt: str, box_size: int = DEFAULT_BOX) -> str:
    """A strong validator of the image of ``text``: the same link, format and size give the same tag.

    >>> etag("https://x/p/1", "png") == etag("https://x/p/1", "png") != etag("https://x/p/1", "svg")
    True
    """
    key = f"{qrcode.__name__}|{fmt}|{box_size}|{QUIET_ZONE}|M|{text}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
