"""Reading and checking request parameters, shared by the pages and the API.

Every bad value becomes a :class:`BadParameter` (400) naming the parameter, so
nothing a visitor types reaches the core unchecked or ends in a 500.
"""
from __future__ import annotations

import unicodedata
from dataclasses import asdict, dataclass, field

from policy_search.text import divisions
from policy_search.errors import QueryError
from policy_search.search.filters import FILTER_FIELDS, FILTER_NAMES, FLAG, REGION, FilterField, Filters
from policy_search.search.query import MAX_QUERY_CHARS
from policy_search.search.service import MAX_PAGE, SORTS
from policy_search.vocabulary import industry_names, topic_names

#: Results per page: the default and the most a request may ask for.
DEFAULT_LIMIT = 10
MAX_LIMIT = 50
#: Longest value accepted for a region or other short parameter.
MAX_SHORT_CHARS = 60
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


class BadParameter(Exception):
    """A request parameter that can't be used (400); ``status`` 414 for an over-long query."""

    def __init__(self, name: str, message: str, status: int = 400):
        super().__init__(message)
        self.name = name
        self.message = message
        self.status = status


@dataclass
class SearchParams:
    """What a search request asks for, checked: the words, the filters (each readable as an
    attribute too: ``params.level``), the order and the page."""

    q: str = ""
    filters: Filters = field(default_factory=Filters)
    sort: str = "relevance"
    page: int = 1
    limit: int = DEFAULT_LIMIT

    def __getattr__(self, name: str):
        if name in FILTER_NAMES:
            return getattr(self.filters, name)
        raise AttributeError(name)

    def _flat(self) -> dict:
        return {"q": self.q, **asdict(self.filters), "sort": self.sort, "page": self.page, "limit": self.limit}

    def service_kwargs(self) -> dict:
        """Keyword arguments of ``SearchService.search`` (all but the query text)."""
        data = self._flat()
        data.pop("q")
        return data

    def query_args(self, **changes) -> dict:
        """The non-default parameters as URL arguments, with ``changes`` applied (None drops one)."""
        data = {**self._flat(), **changes}
        defaults = SearchParams()._flat()
        out = {}
        for key, value in data.items():
            if value is None or value == defaults[key]:
                continue
            out[key] = "1" if value is True else value
        return out

    @property
    def filtered(self) -> bool:
        return not self.filters.is_empty()


def _text(args, name: str, limit: int = MAX_SHORT_CHARS) -> str | None:
    value = args.get(name, "")
    if any(unicodedata.category(c) == "Cc" and c not in "\t\n\r" for c in value):
        raise BadParameter(name, f"parameter '{name}' contains control characters")
    value = value.strip()
    if len(value) > limit:
        raise BadParameter(name, f"parameter '{name}' is longer than {limit} characters")
    return value or None


def _choice(args, name: str, allowed) -> str | None:
    value = _text(args, name)
    if value is not None and value not in allowed:
        raise BadParameter(name, f"unknown {name} {value!r}; use one of: {', '.join(allowed)}")
    return value


def integer(args, name: str, default: int, low: int, high: int) -> int:
    raw = (args.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isascii() or not raw.isdigit():
        raise BadParameter(name, f"parameter '{name}' must be a whole number from {low} to {high}")
    value = int(raw)
    if not low <= value <= high:
        raise BadParameter(name, f"parameter '{name}' must be from {low} to {high}, not {value}")
    return value


def _flag(args, name: str) -> bool:
    raw = (args.get(name) or "").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise BadParameter(name, f"parameter '{name}' must be 1 or 0")


def _region(args, name: str) -> str | None:
    value = _text(args, name)
    if value is None:
        return None
    try:
        return divisions.resolve(value).code
    except QueryError as err:
        raise BadParameter(name, f"{err} ({err.hint})" if err.hint else str(err)) from None


def query_text(args) -> str:
    """The ``q`` parameter: control characters refused, over-long queries answered with 414."""
    value = args.get("q", "")
    if len(value) > MAX_QUERY_CHARS:
        raise BadParameter("q", f"the query is {len(value)} characters long; the limit is "
                                f"{MAX_QUERY_CHARS}: use the key words of your question", status=414)
    return _text(args, "q", MAX_QUERY_CHARS) or ""


def filter_value(args, spec: FilterField):
    """One filter's checked value, read as its kind says."""
    if spec.kind == FLAG:
        return _flag(args, spec.name)
    if spec.kind == REGION:
        return _region(args, spec.name)
    return _choice(args, spec.name, spec.values())


def search_params(args) -> SearchParams:
    """The checked parameters of a search (page, API or feed)."""
    return SearchParams(
        q=query_text(args),
        filters=Filters(**{spec.name: filter_value(args, spec) for spec in FILTER_FIELDS}),
        sort=_choice(args, "sort", SORTS) or "relevance",
        page=integer(args, "page", 1, 1, MAX_PAGE),
        limit=integer(args, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT),
    )


@dataclass
class MatchParams:
    """The one-click lookup: where the enterprise is, its industry and its need."""

    region: str | None = None
    industry: str | None = None
    topic: str | None = None
    in_force: bool = False


def match_params(args, required: bool = True) -> MatchParams:
    """The checked parameters of ``/match`` and ``/api/match`` (where a region is required)."""
    params = MatchParams(region=chosen_region(args),
                         industry=_choice(args, "industry", industry_names()),
                         topic=_choice(args, "topic", topic_names()),
                         in_force=_flag(args, "in_force"))
    if required and params.region is None:
        raise BadParameter("region", "parameter 'region' is required: a province, city or county "
                                     "name or its 6-digit code, e.g. 370404")
    return params


def policy_id(value: str) -> str:
    """A policy id from the URL path, checked for shape before any lookup."""
    if not (0 < len(value) <= 64) or not all(c.isascii() and (c.isalnum() or c in "-_") for c in value):
        raise BadParameter("id", f"{value[:80]!r} is not a policy id", status=404)
    return value


def chosen_region(args) -> str | None:
    """The region of /match: ``region``, or the deepest consistent of ``province``/``city``/``county``.

    The three choosers submit together, so a county left over from another
    province is ignored rather than trusted.
    """
    if args.get("region"):
        return _region(args, "region")
    chosen = None
    for name in ("province", "city", "county"):
        code = _text(args, name)
        if code is None:
            break
        division = divisions.get(code) if code.isascii() and code.isdigit() else None
        if division is None:
            raise BadParameter(name, f"unknown {name} code {code!r}")
        if chosen is not None and divisions.parent(division) != chosen:
            break
        chosen = division
    return chosen.code if chosen else None
