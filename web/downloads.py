"""下载中心 (``/downloads``): the published booklets, and the originals of the policies by topic.

The booklets are what ``policy-search booklet --publish`` wrote into the data directory
(:mod:`policy_search.publications`); this module only reads its index and serves the files it
names (the web never renders a booklet or runs chromium). Without a publication, or with a
damaged one, the page says how staff make one. The originals are the files ingest recorded,
served by ``/p/<id>/original`` as on a policy's own page.
"""
from __future__ import annotations

import logging
from urllib.parse import quote

from flask import Blueprint, abort, current_app, render_template, request, send_file, url_for

from policy_search.originals import servable_path
from policy_search.publications import PublicationError, published_file, read_publication
from policy_search.text import divisions
from policy_search.vocabulary import topic_names

from . import labels
from .context import service
from .pages import home_division
from .params import BadParameter, integer

log = logging.getLogger(__name__)
bp = Blueprint("downloads", __name__)

MIMETYPES = {"html": "text/html", "pdf": "application/pdf"}
#: A booklet is a self-contained page we wrote: inline style and SVG, no script, nothing fetched.
#: It is shown sandboxed (an origin of its own, no script, no forms), so even a document with a
#: hostile title could do nothing on this site.
BOOKLET_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
               "form-action 'none'; frame-ancestors 'none'; sandbox")
ORIGINALS_PER_PAGE = 20
MAX_ORIGINALS_PAGE = 500


@bp.get("/downloads")
def centre():
    publication, damaged = _publication()
    groups = []
    if publication is not None:
        groups = [("汇编全本", publication.in_group("all")), ("按层级", publication.in_group("level")),
                  ("按主题", publication.in_group("topic"))]
    return render_template("downloads.html", publication=publication, damaged=damaged,
                           groups=[(title, items) for title, items in groups if items],
                           scope=_scope(publication), published_on=_day(publication),
                           has_pdf=publication is not None and any("pdf" in b.files for b in publication.booklets),
                           topics=_topic_counts(), home=home_division())


@bp.get("/downloads/<key>.<any(html, pdf):fmt>")
def booklet_file(key: str, fmt: str):
    """One published booklet: the HTML shown in the browser (print it from there), the PDF downloaded."""
    publication, _ = _publication()
    booklet = publication.booklet(key) if publication is not None else None
    path = published_file(current_app.config["DATA_DIR"], publication, booklet, fmt) if booklet else None
    if path is None:
        abort(404)
    try:
        handle = open(path, "rb")
    except FileNotFoundError:  # published again between reading the index and opening the file
        abort(404)
    response = send_file(handle, mimetype=MIMETYPES[fmt], etag=booklet.files[fmt].sha256,
                         conditional=True, max_age=0)
    response.cache_control.no_cache = True  # a new publication shows at the next request
    # Saved under its title (filename*, RFC 6266), or the key where a client cannot read that.
    disposition = "attachment" if fmt == "pdf" else "inline"
    response.headers["Content-Disposition"] = (
        f"{disposition}; filename=\"{key}.{fmt}\"; filename*=UTF-8''{quote(f'{booklet.title}.{fmt}', safe='')}")
    if fmt == "html":
        response.headers["Content-Security-Policy"] = BOOKLET_CSP
    return response


@bp.get("/downloads/originals")
def originals():
    """The originals of the policies of one topic (of the home district, when there is one)."""
    topic = (request.args.get("topic") or "").strip()
    if topic and topic not in topic_names():
        raise BadParameter("topic", f"unknown topic {topic[:40]!r}; use one of: {', '.join(topic_names())}")
    page_number = integer(request.args, "page", 1, 1, MAX_ORIGINALS_PAGE)
    home = home_division()
    found, rows = None, []
    if topic:
        filters = {"topic": topic, "type": "policy", "applies_to": home.code if home else None}
        found = service().search("", sort="date", limit=ORIGINALS_PER_PAGE, page=page_number,
                                 details=False, **filters)
        rows = [_original_row(hit) for hit in found.hits]
    return render_template("originals.html", topic=topic, found=found, rows=rows, home=home,
                           topics=_topic_counts(), page_number=page_number)


def _original_row(hit) -> dict:
    policy = service().catalog.get_policy(hit.id)  # only its source is read: no links, no reposts
    servable = servable_path(service().catalog, policy, service().paths.root) is not None
    kind = policy.source.format.upper() if servable and policy.source.format else "文本"
    return {"hit": hit, "kind": kind, "url": url_for("policy_pages.original", pid=hit.id)}


def _publication():
    """The published set and whether a damaged index stands where it should be."""
    try:
        return read_publication(current_app.config["DATA_DIR"]), False
    except PublicationError as exc:
        log.error("download centre: %s", exc)
        return None, True


def _topic_counts() -> list[tuple[str, int]]:
    """The topics with their number of policies (of the home district, when there is one), in
    the order of topics.json."""
    home = home_division()
    page = service().search("", limit=1, type="policy", applies_to=home.code if home else None)
    counts = page.facets.get("topic", {})
    return [(name, counts[name]) for name in topic_names() if counts.get(name)]


def _scope(publication) -> str:
    """What the published set holds, in words: 适用于山东省枣庄市峄城区 · 仅现行有效."""
    if publication is None:
        return ""
    parts = []
    code = publication.filters.get("applies_to")
    division = divisions.get(code) if code else None
    if division is not None:
        parts.append("适用于" + labels.region_label(code))
    if publication.filters.get("in_force"):
        parts.append("仅现行有效")
    return " · ".join(parts)


def _day(publication) -> str:
    return publication.published_at[:10] if publication is not None else ""

