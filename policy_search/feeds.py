"""Atom 1.0 feeds of what is new, made with feedgen (the XML is never written by hand).

A feed lists policies the latest to enter the catalog first (:meth:`SearchService.first_seen`).
Each entry links to the policy's permanent page (``<base URL>/p/<id>``, also its Atom id),
is ``published`` when the policy first entered and ``updated`` when it last changed, has the
issuer as author, the topics as categories, the opening of the text as summary, and the
facts (文号, issuer, dates, validity) with that opening as HTML content.
"""
from __future__ import annotations

import datetime
import html
import re
from dataclasses import dataclass

from feedgen.feed import FeedGenerator

from policy_search.links import policy_link
from policy_search.models import LEVEL_NAMES_ZH
from policy_search.search.first_seen import SeenHit

#: Who publishes the feeds (the site's name), the feed's author when an entry names no issuer.
PUBLISHER = "政策空间站"
#: The generator element names the program only, never a version.
GENERATOR = "policy-search"
#: Characters XML 1.0 cannot carry (controls other than tab and line breaks, surrogates, two
#: non-characters): a policy's text may hold some (a form feed from a PDF), so they become spaces.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass
class FeedInfo:
    """What a feed says of itself: where it is (its id too), the page it follows, its title and
    subtitle, and when it last changed (a Unix time)."""

    feed_url: str
    page_url: str
    title: str
    subtitle: str
    updated: float


def xml_text(value: str | None) -> str:
    """``value`` with the characters XML cannot carry replaced by spaces.

    >>> xml_text("第一页\\x0c第二页")
    '第一页 第二页'
    """
    return _NOT_XML.sub(" ", value or "")


def utc(timestamp: float) -> datetime.datetime:
    """A Unix time as an aware UTC datetime (what feedgen writes as an Atom date)."""
    return datetime.datetime.fromtimestamp(timestamp, tz=datetime.timezone.utc)


def atom_feed(info: FeedInfo, entries: list[SeenHit], base_url: str) -> bytes:
    """The Atom document of ``entries`` (already newest first), as UTF-8 bytes."""
    feed = FeedGenerator()
    feed.id(info.feed_url)
    feed.title(xml_text(info.title))
    feed.subtitle(xml_text(info.subtitle))
    feed.updated(utc(info.updated))
    feed.language("zh-CN")
    feed.author(name=PUBLISHER)
    feed.generator(GENERATOR)
    feed.link(href=info.feed_url, rel="self", type="application/atom+xml")
    feed.link(href=info.page_url, rel="alternate", type="text/html")
    for seen in entries:
        _add_entry(feed, seen, base_url)
    return feed.atom_str(pretty=True)


def _add_entry(feed: FeedGenerator, seen: SeenHit, base_url: str) -> None:
    hit = seen.hit
    link = policy_link(base_url, hit.id)
    entry = feed.add_entry(order="append")
    entry.id(link)
    entry.title(xml_text(hit.title) or hit.id)
    entry.link(href=link, rel="alternate", type="text/html")
    entry.published(utc(seen.first_seen))
    entry.updated(utc(seen.updated))
    if hit.issuer:
        entry.author(name=xml_text(hit.issuer))
    for topic in hit.topics:
        entry.category(term=xml_text(topic))
    entry.summary(xml_text(hit.snippet), type="text")
    entry.content(entry_html(seen), type="html")


def entry_facts(hit) -> list[tuple[str, str]]:
    """The facts an entry shows, as (label, value), the empty ones left out."""
    facts = [("文号", hit.doc_number), ("发文机关", hit.issuer), ("层级", LEVEL_NAMES_ZH.get(hit.level or "")),
             ("成文日期", hit.written_date), ("发布日期", hit.publish_date), ("有效期至", hit.valid_until)]
    return [(label, value) for label, value in facts if value]


def entry_html(seen: SeenHit) -> str:
    """An entry's content: its facts as a definition list and the opening of its text, escaped
    (feedgen then escapes the whole as the text of an ``html`` content element)."""
    rows = "".join(f"<dt>{label}</dt><dd>{html.escape(xml_text(value))}</dd>"
                   for label, value in entry_facts(seen.hit))
    opening = html.escape(xml_text(seen.hit.snippet))
    return (f"<dl>{rows}</dl>" if rows else "") + (f"<p>{opening}</p>" if opening else "")
