"""The names staff can filter by: topics and industries, read from the rule files in ``data/``."""
from __future__ import annotations

import functools
import json
from importlib import resources


@functools.lru_cache(maxsize=None)
def _labels(file_name: str, key: str) -> tuple[str, ...]:
    data = json.loads(resources.files("policy_search").joinpath("data", file_name).read_text("utf-8"))
    return tuple(data[key])


def topic_names() -> tuple[str, ...]:
    """Every topic of ``data/topics.json``, in the file's order.

    >>> "稳岗就业" in topic_names()
    True
    """
    return _labels("topics.json", "topics")


def industry_names() -> tuple[str, ...]:
    """Every industry of ``data/industries.json`` (不限行业 first), in the file's order.

    >>> industry_names()[0]
    '不限行业'
    """
    return _labels("industries.json", "industries")
