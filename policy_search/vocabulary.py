"""The names staff can filter by: topics and industries, read from the rule files.

Read through :func:`policy_search.rules.watched`: a running server sees a topic or industry
added to (or taken out of) ``topics.json`` / ``industries.json`` within a second, without a
restart, and its parameter checks, pages and OpenAPI document follow.
"""
from __future__ import annotations

import json

from policy_search import rules
from policy_search.errors import ConfigurationError


def _names(text: str, file_name: str, key: str) -> tuple[str, ...]:
    """The labels of a rule file: the keys (or items) of its ``key`` entry."""
    try:
        labels = json.loads(text)[key]
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigurationError(f"{file_name} has no readable '{key}' entry ({type(exc).__name__}: {exc})",
                                 hint=f"fix {rules.rule_path(file_name)}, or restore it with git") from None
    if not isinstance(labels, (dict, list)) or not all(isinstance(label, str) for label in labels):
        raise ConfigurationError(f"'{key}' of {file_name} is not a set of names",
                                 hint=f"fix {rules.rule_path(file_name)}, or restore it with git")
    return tuple(labels)


def _topics(text: str) -> tuple[str, ...]:
    return _names(text, "topics.json", "topics")


def _industries(text: str) -> tuple[str, ...]:
    return _names(text, "industries.json", "industries")


def topic_names() -> tuple[str, ...]:
    """Every topic of ``topics.json``, in the file's order.

    >>> "稳岗就业" in topic_names()
    True
    """
    return rules.watched("topics.json", _topics)


def industry_names() -> tuple[str, ...]:
    """Every industry of ``industries.json`` (不限行业 first), in the file's order.

    >>> industry_names()[0]
    '不限行业'
    """
    return rules.watched("industries.json", _industries)
