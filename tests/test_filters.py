"""Filters are declared once (:data:`filters.FILTER_FIELDS`): each one reaches the service, the
web's parameters, the OpenAPI document, saved searches and the command line without being
named anywhere else."""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from werkzeug.datastructures import MultiDict

from policy_search.cli import main
from policy_search.links import SAVED_SEARCH_KEYS, canonical_search, saved_search_options
from policy_search.search.filters import FILTER_FIELDS, FLAG, REGION, Filters
from web.openapi import openapi_document
from web.params import search_params

SPECS = {spec.name: spec for spec in FILTER_FIELDS}


def _a_value(spec) -> str:
    """A value the filter accepts, as typed in a URL."""
    if spec.kind == FLAG:
        return "1"
    if spec.kind == REGION:
        return "370404"
    return list(spec.values())[0]


def _typed(spec):
    return True if spec.kind == FLAG else _a_value(spec)


@pytest.mark.parametrize("name", SPECS)
def test_a_filter_is_read_from_a_url(name):
    spec = SPECS[name]
    params = search_params(MultiDict({name: _a_value(spec)}))
    assert getattr(params, name) == _typed(spec) and params.filtered
    assert params.query_args()[name] == _a_value(spec)
    assert getattr(params.filters, name) == _typed(spec)


@pytest.mark.parametrize("name", SPECS)
def test_a_filter_is_documented_and_saved(name):
    search_parameters = {p["name"] for p in openapi_document()["paths"]["/api/search"]["get"]["parameters"]}
    assert name in search_parameters and name in SAVED_SEARCH_KEYS
    saved = canonical_search({"q": "补贴", name: _typed(SPECS[name])})
    assert saved_search_options(saved) == {name: _typed(SPECS[name])}


@pytest.mark.parametrize("command", ["search", "qr", "booklet"])
def test_every_filter_is_an_option_of_the_commands_that_search(command):
    shown = CliRunner().invoke(main, [command, "--help"]).output
    assert all(spec.option in shown for spec in FILTER_FIELDS), shown


@pytest.mark.parametrize("name", SPECS)
def test_the_service_narrows_by_every_filter(corpus_service, name):
    everything = corpus_service.search("", limit=1).total
    narrowed = corpus_service.search("", limit=1, **{name: _typed(SPECS[name])}).total
    assert narrowed <= everything
    assert Filters(**{name: _typed(SPECS[name])}).is_empty() is False
