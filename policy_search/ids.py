"""Stable, short, URL-safe policy IDs derived from what a policy *is*.

The same document ingested into a fresh data directory gets the same ID, so
links and printed QR codes keep working after a rebuild:

* a bulk record's own ``id``/``docid`` is kept when it is URL-safe;
* otherwise the canonical 文号 decides;
* otherwise the normalised title and issuer;
* with no issuer known, the title and the opening of the text (titles
  such as 政府工作报告 are shared by many documents);
* as a last resort the normalised text.
"""
from __future__ import annotations

import base64
import hashlib
import re

from policy_search.text.fold import fold

ID_LENGTH = 10
_SAFE_GIVEN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


def digest_id(kind: str, key: str) -> str:
    """A 10-character lower-case base32 digest of ``kind:key``.

    >>> digest_id("doc", "国办发〔2020〕6号")
    'ymxrpjfgz3'
    """
    raw = hashlib.sha256(f"{kind}:{key}".encode("utf-8")).digest()
    return base64.b32encode(raw).decode("ascii").lower()[:ID_LENGTH]


def normalise_key(text: str) -> str:
    """Fold and strip everything but letters, digits and CJK, for identity comparison.

    >>> normalise_key("關於 支持企業《復工復產》的通知")
    '关于支持企业复工复产的通知'
    """
    return _NOT_WORD.sub("", fold(text or ""))


def is_safe_id(value: str) -> bool:
    """True when a given id can be used in a URL as it is.

    >>> is_safe_id("0013aa11eb73353a"), is_safe_id("a/b")
    (True, False)
    """
    return bool(_SAFE_GIVEN_ID.match(value or ""))


def policy_id(*, given_id: str | None = None, doc_number: str | None = None,
              title: str | None = None, issuer: str | None = None,
              text: str | None = None) -> str:
    """The stable ID of a policy from its identity (see the module docstring)."""
    if given_id:
        given_id = str(given_id).strip()
        return given_id if is_safe_id(given_id) else digest_id("given", given_id)
    if doc_number:
        return digest_id("doc", normalise_key(doc_number))
    title_key = normalise_key(title or "")
    issuer_key = normalise_key(issuer or "")
    if title_key and issuer_key:
        return digest_id("title", f"{title_key}|{issuer_key}")
    if title_key:  # a bare title is often generic (政府工作报告): the opening text tells them apart
        return digest_id("title-text", f"{title_key}|{normalise_key(text or '')[:300]}")
    return digest_id("text", normalise_key(text or "")[:2000])
