"""The JSON API under /api/: the same answers as the CLI's ``--json``."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from policy_search.links import public_http_url

from .context import service
from .links import policy_url
from .openapi import openapi_document
from .params import match_params, policy_id, search_params

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/search")
def search():
    params = search_params(request.args)
    page = service().search(params.q, **params.service_kwargs())
    return jsonify(page.to_dict())


@bp.get("/policies/<path:pid>")
def policy(pid: str):
    view = service().get(policy_id(pid), links=True)
    data = view.to_dict()
    data["source"] = {"format": view.policy.source.format, "sha256": view.policy.source.sha256}
    data.pop("provenance", None)
    data["url"] = public_http_url(view.policy.url)  # only an http(s) address leaves as a link
    for link in data["duplicates"] + ([data["duplicate_of"]] if data["duplicate_of"] else []):
        link["url"] = public_http_url(link["url"])
    data["link"] = policy_url(view.policy.id)
    return jsonify(data)


@bp.get("/match")
def match():
    params = match_params(request.args)
    result = service().match(params.region, industry=params.industry, topic=params.topic,
                             in_force=params.in_force)
    return jsonify(result.to_dict())


@bp.get("/facets")
def facets():
    page = service().search("", limit=1)
    return jsonify({"total": page.total, "facets": page.facets})


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())
