"""Permanent links: ``<base URL>/p/<id>`` for a policy and ``<base URL>/s/<id>`` for a saved search.

The base URL is the public address of the service (``POLICY_SEARCH_BASE_URL`` or
``--base-url``): the server usually sits behind a proxy, so its own host name is
not what a printed code must carry.
"""
from __future__ import annotations

import json
from urllib.parse import urlsplit

from .errors import ConfigurationError
from .ids import digest_id
from .settings import setting_default

#: The filters a saved search may carry, besides the query ``q``.
SAVED_SEARCH_KEYS = ("q", "level", "topic", "industry", "region", "applies_to", "in_force", "sort")


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
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigurationError(f"base URL {base!r} is not an http(s) address",
                                 hint="give the address the public uses, e.g. https://zc.yicheng.gov.cn")
    return base.rstrip("/")


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


def saved_search_id(params: dict) -> str:
    """A short id that depends only on the search: the same search always gets the same id.

    >>> saved_search_id({"q": "稳岗补贴", "topic": "稳岗就业"}) == saved_search_id({"topic": "稳岗就业", "q": "稳岗补贴 "})
    True
    """
    key = json.dumps(canonical_search(params), ensure_ascii=False, sort_keys=True)
    return digest_id("search", key)[:8]
