"""The pages enterprises use: home, search and the one-click lookup."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, request, url_for

from policy_search.text import divisions
from policy_search.models import LEVELS
from policy_search.vocabulary import industry_names, topic_names

from . import labels
from .context import service
from .feeds import home_feed_link, search_feed_link
from .params import match_params, search_params

bp = Blueprint("pages", __name__)

#: One-click searches on the home page: (label, topic).
SHORTCUTS = ("复工复产", "稳岗就业", "财税支持", "金融支持", "租金减免", "社会保险", "土地使用", "人才")
NEWEST_ON_HOME = 6
#: The home page's 新收录 list: the latest policies to enter, whatever their own dates.
RECENT_ON_HOME = 6
#: The home page's 本地政策 list (with a home district): what applies there, newest first.
LOCAL_ON_HOME = 5
#: The parameters of /match that say where the enterprise is: any of them, even empty, is a choice.
PLACE_PARAMS = ("region", "province", "city", "county")


def home_division():
    """The home district (POLICY_SEARCH_HOME_REGION, checked when the app was made), or None."""
    code = current_app.config.get("HOME_REGION")
    return divisions.get(code) if code else None


@bp.get("/")
def home():
    newest = service().search("", sort="date", limit=NEWEST_ON_HOME, details=False, type="policy")
    recent = [{"hit": seen.hit, "seen_on": labels.local_day(seen.first_seen)}
              for seen in service().first_seen("", limit=RECENT_ON_HOME).entries]
    shortcuts = [t for t in SHORTCUTS if t in topic_names()]
    return render_template("home.html", newest=newest.hits, recent=recent, shortcuts=shortcuts,
                           total=newest.total, feed=home_feed_link(), local=local_policies())


def local_policies() -> dict | None:
    """本地政策: the policies that apply to the home district, newest first, and where to see them all."""
    home = home_division()
    if home is None:
        return None
    args = {"applies_to": home.code, "type": "policy", "sort": "date"}
    found = service().search("", limit=LOCAL_ON_HOME, details=False, **args)
    return {"place": home.name, "hits": found.hits, "total": found.total,
            "more": url_for("pages.search", **args)}


@bp.get("/search")
def search():
    params = search_params(request.args)
    page = service().search(params.q, **params.service_kwargs())
    return render_template("search.html", params=params, page=page, feed=search_feed_link(params),
                           facet_groups=labels.facet_groups(page.facets, params),
                           chips=labels.active_filters(params),
                           topics=topic_names(), industries=industry_names(), levels=LEVELS)


@bp.get("/match")
def match():
    params = match_params(request.args, required=False)
    chosen = divisions.get(params.region) if params.region else None
    if chosen is None and not any(name in request.args for name in PLACE_PARAMS):
        chosen = home_division()  # nothing chosen yet: start at the home district
    result = None
    if chosen is not None:
        result = service().match(chosen.code, industry=params.industry, topic=params.topic,
                                 in_force=params.in_force)
    return render_template("match.html", params=params, result=result,
                           steps=labels.region_steps(chosen),
                           topics=topic_names(), industries=industry_names())
