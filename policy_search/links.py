"""Permanent links: ``<base URL>/p/<id>`` for a policy and ``<base URL>/s/<id>`` for a saved search.

The base URL is the public address of the service (``POLICY_SEARCH_BASE_URL`` or
``--base-url``): the server usually sits behind a proxy, so its own host name is
not what a printed code must carry.
"""
from __future__ import annotations

import ipaddress
import json
import re
import sqlite3
from urllib.parse import urlsplit

from policy_search.errors import CatalogWriteError, ConfigurationError
from policy_search.ids import digest_id
from policy_search.search.filters import FILTER_FIELDS, FILTER_NAMES, FLAG
from policy_search.settings import setting_default

#: The filters a saved search may carry, besides the query ``q``.
SAVED_SEARCH_KEYS = ("q", *FILTER_NAMES, "sort")


def require_base_url(value: str | None = None) -> str:
    """The base URL to print in links: ``value``, else the setting; an error when neither is set.

    >>> require_base_url("https://zc.example.cn/")
    'https://zc.example.cn'
    """
    base = (value or setting_default("base_url") or "").strip()
    if not base:
        raise ConfigurationError("no public address for the links",
                                 hint="set POLICY_SEARCH_BASE_URL or pass --base-url, "
                                      "e.g. --base-url https://zc.yicheng.gov.cn")
    return check_base_url(base)


#: Characters a base URL's path may hold (RFC 3986 path characters, with %-escapes).
_URL_PATH = re.compile(r"[A-Za-z0-9._~!$&'()*+,;=:@%/-]*\Z")
_BASE_URL_HINT = ("give the address the public uses, e.g. https://zc.yicheng.gov.cn "
                  "(plain ASCII: write a Chinese domain name in its xn-- form)")


def check_base_url(value: str) -> str:
    """``value`` as a base URL for links: an http(s) address, normalised; a ConfigurationError otherwise.

    Scheme and host come out in lower case and the trailing slash goes. Spaces,
    control characters, backslashes, non-ASCII characters, a user name, a query,
    a fragment, a malformed host or a port outside 1-65535 are refused.

    >>> check_base_url("HTTPS://ZC.example.cn:8443/zc/")
    'https://zc.example.cn:8443/zc'
    >>> check_base_url("https://x:99999")
    Traceback (most recent call last):
    ...
    policy_search.errors.ConfigurationError: base URL 'https://x:99999' has a bad host name or port
    """
    base = value.strip()
    shown = repr(base[:80])
    if not base.isascii() or "\\" in base or any(c.isspace() or not c.isprintable() for c in base):
        raise ConfigurationError(f"base URL {shown} contains a space, a control character, "
                                 "a backslash or a non-ASCII character", hint=_BASE_URL_HINT)
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigurationError(f"base URL {shown} is not an http(s) address", hint=_BASE_URL_HINT)
    if "?" in base or "#" in base or "@" in parts.netloc:
        raise ConfigurationError(f"base URL {shown} has a query, a fragment or a user name",
                                 hint=_BASE_URL_HINT)
    host = split_host(parts.netloc)
    if host is None:
        raise ConfigurationError(f"base URL {shown} has a bad host name or port", hint=_BASE_URL_HINT)
    if not _URL_PATH.match(parts.path):
        raise ConfigurationError(f"base URL {shown} has characters a URL path cannot hold",
                                 hint=_BASE_URL_HINT)
    return f"{parts.scheme}://{join_host(host)}{parts.path}".rstrip("/")


def public_http_url(url: str | None) -> str | None:
    """``url`` if it is an absolute http(s) address (scheme written in lower case), else None.

    A policy's ``url`` comes from the files ingested: only a web address may leave
    the service as a link, never ``javascript:``, ``data:``, a relative path or
    something that does not parse.

    >>> public_http_url("HTTPS://www.gov.cn/zhengce/content/1.htm")
    'https://www.gov.cn/zhengce/content/1.htm'
    >>> [public_http_url(u) for u in ("javascript:alert(1)", "data:text/html,x", "/p/1", "https://x:99999/")]
    [None, None, None, None]
    """
    text = (url or "").strip()
    if not text or "\\" in text or any(c.isspace() or not c.isprintable() for c in text):
        return None
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a port that is not one
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return parts.scheme + text[len(parts.scheme):]


# --- host names: the Host header, the allowed hosts, the host of a base URL -----------------------

#: A label of a host name: letters, digits and inner hyphens, 63 characters at most (RFC 1035).
_HOST_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\Z")
MAX_HOST_NAME_CHARS = 253
#: The names a service answers on this machine itself.
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


def split_host(value: str) -> tuple[str, int | None] | None:
    """The host name and port of ``host[:port]``, None when malformed.

    The name comes out in lower case, an IPv6 address in brackets.

    >>> split_host("ZC.example.cn:8080"), split_host("[::1]")
    (('zc.example.cn', 8080), ('[::1]', None))
    >>> [split_host(v) for v in ("a" * 64 + ".cn", "x:99999", "a..b", "bad host", "")]
    [None, None, None, None, None]
    """
    if not value or not value.isascii():
        return None
    if value.startswith("["):
        address, bracket, rest = value[1:].partition("]")
        host = _ipv6_host(address) if bracket else None
        if rest and not rest.startswith(":"):
            return None
        port_text = rest[1:] if rest else None
    else:
        name, colon, port_text = value.partition(":")
        host = _host_name(name)
        port_text = port_text if colon else None
    if host is None:
        return None
    if port_text is None:
        return host, None
    if not (port_text.isdigit() and len(port_text) <= 5 and 1 <= int(port_text) <= 65535):
        return None
    return host, int(port_text)


def join_host(host: tuple[str, int | None]) -> str:
    """``host[:port]`` again, from :func:`split_host`'s pair."""
    name, port = host
    return name if port is None else f"{name}:{port}"


def _host_name(name: str) -> str | None:
    name = name.lower()
    if len(name) > MAX_HOST_NAME_CHARS or not all(_HOST_LABEL.match(label) for label in name.split(".")):
        return None
    return name


def _ipv6_host(address: str) -> str | None:
    if not address or not all(c in "0123456789abcdefABCDEF:." for c in address):
        return None
    try:
        return f"[{ipaddress.IPv6Address(address).compressed}]"
    except ValueError:
        return None


def parse_allowed_hosts(value) -> frozenset[tuple[str, int | None]]:
    """The hosts of a comma-separated list (or a list) of ``host`` or ``host:port``.

    A host without a port stands for any port of it; a bare IPv6 address is allowed.

    >>> sorted(parse_allowed_hosts("ZC.example.cn, 10.0.0.5:8080, ::1"))
    [('10.0.0.5', 8080), ('[::1]', None), ('zc.example.cn', None)]
    """
    entries = value.split(",") if isinstance(value, str) else list(value)
    hosts = set()
    for entry in (str(e).strip() for e in entries):
        if not entry:
            continue
        host = split_host(f"[{entry}]" if entry.count(":") > 1 and not entry.startswith("[") else entry)
        if host is None:
            raise ConfigurationError(f"allowed host {entry[:80]!r} is not a host name or host:port",
                                     hint="list the names the public uses, separated by commas, "
                                          "e.g. zc.yicheng.gov.cn,10.0.0.5:8080")
        hosts.add(host)
    if not hosts:
        raise ConfigurationError("the list of allowed hosts is empty",
                                 hint="list the names the public uses, e.g. zc.yicheng.gov.cn")
    return frozenset(hosts)


def host_allowed(host: tuple[str, int | None], allowed) -> bool:
    """Whether ``host`` (from :func:`split_host`) is among ``allowed`` (from :func:`parse_allowed_hosts`).

    >>> host_allowed(("localhost", 5000), parse_allowed_hosts("localhost"))
    True
    >>> host_allowed(("localhost", 5000), parse_allowed_hosts("localhost:8000"))
    False
    """
    return host in allowed or (host[0], None) in allowed


def policy_link(base_url: str, policy_id: str) -> str:
    """The permanent link of a policy.

    >>> policy_link("https://zc.example.cn", "ymxrpjfgz3")
    'https://zc.example.cn/p/ymxrpjfgz3'
    """
    return f"{base_url.rstrip('/')}/p/{policy_id}"


def search_link(base_url: str, search_id: str) -> str:
    """The permanent short link of a saved search."""
    return f"{base_url.rstrip('/')}/s/{search_id}"


def canonical_search(params: dict) -> dict:
    """The saved-search parameters with empty values dropped, in a fixed order."""
    out = {}
    for key in SAVED_SEARCH_KEYS:
        value = params.get(key)
        if value in (None, "", False):
            continue
        out[key] = "1" if value is True else str(value).strip()
    return out


def saved_search_options(params: dict) -> dict:
    """A saved search's filters and order as keyword arguments of ``SearchService.search``
    (a flag saved as "1" is True).

    >>> saved_search_options({"q": "补贴", "topic": "人才", "in_force": "1"})
    {'topic': '人才', 'in_force': True}
    """
    out = {f.name: params[f.name] for f in FILTER_FIELDS if f.kind != FLAG and params.get(f.name)}
    out.update({f.name: True for f in FILTER_FIELDS if f.kind == FLAG and params.get(f.name) == "1"})
    if params.get("sort"):
        out["sort"] = params["sort"]
    return out


def saved_search_id(params: dict) -> str:
    """A short id that depends only on the search: the same search always gets the same id.

    >>> saved_search_id({"q": "稳岗补贴", "topic": "稳岗就业"}) == saved_search_id({"topic": "稳岗就业", "q": "稳岗补贴 "})
    True
    """
    key = json.dumps(canonical_search(params), ensure_ascii=False, sort_keys=True)
    return digest_id("search", key)[:8]


def keep_search(catalog, params: dict) -> tuple[str, bool]:
    """Save a search in the catalog under its id; ``(id, True)`` when it was new.

    The id depends only on the canonical search (:func:`saved_search_id`), so the same search
    asked for again finds its row and writes nothing. A catalog that cannot be written (locked
    past its timeout, or not writable by this process) is a :class:`CatalogWriteError`.
    """
    search = canonical_search(params)
    search_id = saved_search_id(search)
    if catalog.saved_search(search_id) is not None:
        return search_id, False
    try:
        catalog.save_search(search_id, search)
    except sqlite3.OperationalError as exc:
        raise CatalogWriteError(f"the catalog cannot be written: {exc}",
                                hint="let the server's user write the data directory, or make the "
                                     "code with: policy-search qr --search WORDS -o FILE.png") from None
    return search_id, True
