"""Tagging a policy: level, region, topics, industries, how long it is in force, and its type.

Each tagger lives in its own module; this one composes them. A given value
(sidecar, manifest, bulk column, the page's 信息表) always wins over an
inferred one, here and in ``retag``.
"""
from __future__ import annotations

from dataclasses import replace

from policy_search.text.fold import fold
from policy_search.models import Policy

from .doctype import infer_type
from .place import infer_place
from .topics import topics_and_industries
from .validity import find_valid_until

#: The fields the taggers infer, in the order they are computed.
TAG_FIELDS = ("level", "region", "topics", "industries", "valid_until", "type")


def classify(title: str, text: str, issuer: str | None, doc_number: str | None,
             written_date: str | None = None, publish_date: str | None = None) -> dict:
    """All inferred tags of a policy, from its title, text and metadata."""
    level, region = infer_place(issuer, doc_number, title, text)
    folded_title, folded_text = fold(title or ""), fold(text)
    topics, industries = topics_and_industries(folded_title, folded_text)
    return {
        "level": level,
        "region": region,
        "topics": topics,
        "industries": industries,
        "valid_until": find_valid_until(folded_text, written_date or publish_date),
        "type": infer_type(title, text, doc_number),
    }


def retag(policy: Policy) -> Policy:
    """The policy with every inferred tag computed again; given tags are kept."""
    tags = classify(policy.title, policy.text, policy.issuer, policy.doc_number,
                    policy.written_date, policy.publish_date)
    changes = {key: value for key, value in tags.items() if policy.provenance.get(key) != "given"}
    provenance = dict(policy.provenance)
    for key in changes:
        provenance[key] = "inferred"
    return replace(policy, provenance=provenance, **changes)


def tag_changes(before: Policy, after: Policy) -> dict[str, dict]:
    """The tags that differ between two states of a policy: ``{field: {"from": old, "to": new}}``,
    in :data:`TAG_FIELDS` order, values as ``show --json`` gives them (a region as its dict).

    >>> from policy_search.models import Region
    >>> a = Policy(id="x", title="t", text="", topics=["稳岗就业"], level="county")
    >>> b = Policy(id="x", title="t", text="", topics=["稳岗就业", "社会保险"], level="county")
    >>> tag_changes(a, b)
    {'topics': {'from': ['稳岗就业'], 'to': ['稳岗就业', '社会保险']}}
    """
    old, new = before.to_dict(with_text=False), after.to_dict(with_text=False)
    return {name: {"from": old.get(name), "to": new.get(name)} for name in TAG_FIELDS
            if old.get(name) != new.get(name)}
