"""A policy's own page (the permanent link), its original file, and its QR code's place."""
from __future__ import annotations

import mimetypes

from flask import Blueprint, Response, abort, redirect, render_template, send_file, url_for

from policy_search.text.cleaning import one_line
from policy_search.links import public_http_url
from policy_search.models import validity_status
from policy_search.originals import servable_path, open_original

from .context import service
from .links import policy_url
from .params import policy_id
from .qr_images import qr_response

bp = Blueprint("policy_pages", __name__)


@bp.get("/p/<path:pid>")
def policy(pid: str):
    view = service().get(policy_id(pid), links=True)
    if view.policy.id != pid:
        return redirect(url_for(".policy", pid=view.policy.id), code=301)
    related = [] if view.removed else service().related(view.policy)
    paragraphs = [p.strip() for p in view.policy.text.splitlines() if p.strip()]
    status = 410 if view.removed else 200
    source_url = public_http_url(view.policy.url)
    for link in view.duplicates:  # only an http(s) address becomes a link
        link["public_url"] = public_http_url(link.get("url"))
    return render_template("policy.html", view=view, p=view.policy, paragraphs=paragraphs,
                           related=related, link=policy_url(view.policy.id), source_url=source_url,
                           status=validity_status(view.policy.valid_until),
                           has_original=_servable(view.policy)), status


@bp.get("/p/<path:pid>/qr.<any(png, svg):fmt>")
def policy_qr(pid: str, fmt: str):
    """The QR code of a policy's permanent link (an old id redirects to the current one's code)."""
    view = service().get(policy_id(pid))
    if view.policy.id != pid:
        return redirect(url_for(".policy_qr", pid=view.policy.id, fmt=fmt), code=301)
    return qr_response(policy_url(pid), fmt)


@bp.get("/p/<path:pid>/original")
def original(pid: str):
    """The original file ingest recorded for a policy, found by id only and checked at request time
    (see :mod:`policy_search.originals`); otherwise the policy's own text."""
    view = service().get(policy_id(pid))
    policy = view.policy
    source = open_original(service().catalog, policy, service().paths.root)
    if source is None:
        return _as_text(policy)
    mime = mimetypes.guess_type(source.name)[0] or "application/octet-stream"
    suffix = source.name.rpartition(".")[2] if "." in source.name else ""
    name = one_line(policy.title)[:60] or policy.id
    return send_file(source.handle, mimetype=mime, as_attachment=True,
                     download_name=f"{name}.{suffix}" if suffix else name, conditional=False)


def _servable(policy) -> bool:
    return servable_path(service().catalog, policy, service().paths.root) is not None


def _as_text(policy):
    if not policy.text:
        abort(404)
    body = f"{policy.title}\n\n{policy.text}\n"
    response = Response(body, mimetype="text/plain")
    response.headers["Content-Disposition"] = f"attachment; filename={policy.id}.txt"
    return response
