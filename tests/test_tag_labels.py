"""The tagger against the labelled set (tests/fixtures/tags/, labelled by tests/fixtures/LABELLING.md).

The set's tune half is where the rules were fitted; the check half is only measured, and its
figures are guarded here at what they are (within one document), so that a change to the rules
that makes them worse fails. ``bench/tag_report.py --labels`` prints the same figures with the
per-tag precision and recall and the level confusion table.
"""
from __future__ import annotations

import collections
import json
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import shared
from indexer.tag_eval import LEVEL_ORDER, read_halves, read_labels, read_waves, score, tags_of

FIXTURES = Path(__file__).parent / "fixtures" / "tags"
TOPICS = set(json.loads((Path(__file__).parents[1] / "policy_search" / "data" / "topics.json")
                        .read_text(encoding="utf-8"))["topics"])
INDUSTRIES = set(json.loads((Path(__file__).parents[1] / "policy_search" / "data" / "industries.json")
                            .read_text(encoding="utf-8"))["industries"])
#: The check half as measured when the rules were last changed (bench/tag_report.py --labels).
CHECK_HALF = {"level": 0.866, "region": 0.893, "topics": 0.872, "industries": 0.664,
              "industries_precision": 0.719}


def _labels():
    return read_labels(FIXTURES / "labels.jsonl", read_halves(FIXTURES / "set.tsv"))


def test_every_document_of_the_set_is_labelled_once_by_the_guides_names():
    halves = read_halves(FIXTURES / "set.tsv")
    labels = _labels()
    assert sorted(label.key for label in labels) == sorted(halves)
    assert {label.half for label in labels} == {"tune", "check"}
    assert len(labels) >= 200
    for label in labels:
        tags = label.tags
        assert tags.level in LEVEL_ORDER, label.key
        assert tags.topics <= TOPICS and tags.industries <= INDUSTRIES, label.key
        if tags.region:  # a region's code has the form of its level
            code = tags.region
            assert {"provincial": code.endswith("0000"),
                    "municipal": code.endswith("00") and not code.endswith("0000"),
                    "county": not code.endswith("00")}[tags.level], label.key
        assert label.note, label.key


def test_the_set_file_is_the_draw_wave_by_wave_and_a_later_wave_left_the_first_alone(monkeypatch):
    shared("ncp", "corpus.tsv")
    monkeypatch.syspath_prepend(str(FIXTURES.parents[2] / "bench"))
    import draw_tag_set

    drawn = draw_tag_set.draw()
    rows = [line.split("\t")[:3] for line in (FIXTURES / "set.tsv").read_text(encoding="utf-8").splitlines()[1:]]
    assert [[key, draw_tag_set.half(key), str(wave)] for key, _, wave in drawn] == rows
    assert sorted(collections.Counter(read_waves(FIXTURES / "set.tsv").values()).items()) == [(1, 210), (2, 120)]
    monkeypatch.setattr(draw_tag_set, "WAVES", draw_tag_set.WAVES[:1])
    assert draw_tag_set.draw() == drawn[:210]  # drawing the first wave alone gives it as it is in the set


def test_the_second_labelling_covers_the_check_half_and_agrees_with_the_first():
    """The second, blind labelling (LABELLING.md, 'A second labeller'): the check half, the guide's
    names, and agreement with the first labels well above what the tagger reaches."""
    halves = read_halves(FIXTURES / "set.tsv")
    first = {label.key: label.tags for label in _labels()}
    second = read_labels(FIXTURES / "second_labels.jsonl", halves)
    assert sorted(label.key for label in second) == sorted(k for k, half in halves.items() if half == "check")
    for label in second:
        assert label.tags.level in LEVEL_ORDER, label.key
        assert label.tags.topics <= TOPICS and label.tags.industries <= INDUSTRIES, label.key
    agreement = score([(first[label.key], label.tags) for label in second]).as_dict()
    assert min(agreement[name] for name in ("level", "region")) >= 0.95, agreement
    assert min(agreement[name] for name in ("topics", "industries")) >= 0.90, agreement


def test_the_check_half_is_tagged_no_worse_than_measured():
    data = shared("ncp").parent  # the shared data folder (skips when it is absent)
    check = [label for label in _labels() if label.half == "check"]
    figures = score([(label.tags, tags_of(label.key, data)) for label in check]).as_dict()
    one_document = 1 / len(check)
    worse = {name: (figures[name], floor) for name, floor in CHECK_HALF.items()
             if figures[name] < floor - one_document}
    assert not worse, f"check half worse than measured (now, then): {worse}"


def _older_rules(folder: Path) -> Path:
    """A rules folder with the thresholds as they were before the labelled set (what an existing
    catalog was tagged with)."""
    folder.mkdir()
    data = Path(__file__).parents[1] / "policy_search" / "data"
    industries = json.loads((data / "industries.json").read_text(encoding="utf-8"))
    industries["industries"]["不限行业"]["threshold"] = 6
    industries["settings"]["threshold"] = 6
    industries.pop("measure_words", None)
    for name in ("交通运输、仓储和邮政业", "卫生和社会工作", "公共管理、社会保障和社会组织"):
        industries["industries"][name].pop("threshold", None)
    topics = json.loads((data / "topics.json").read_text(encoding="utf-8"))
    for name in ("疫情防控", "市场监管", "科技创新"):
        topics["topics"][name].pop("threshold", None)
    (folder / "industries.json").write_text(json.dumps(industries, ensure_ascii=False), encoding="utf-8")
    (folder / "topics.json").write_text(json.dumps(topics, ensure_ascii=False), encoding="utf-8")
    return folder


def test_retag_all_brings_a_catalog_tagged_by_older_rules_to_the_new_tags(tmp_path):
    """Each command in a process of its own, as staff run them (a process reads the rules once)."""
    from policy_search import open_service

    corpus = Path(__file__).parents[1] / "corpus"
    old, fresh = tmp_path / "old", tmp_path / "fresh"
    older = _older_rules(tmp_path / "older-rules")

    def cli(data_dir, *args, rules=()):
        done = subprocess.run([sys.executable, "-m", "policy_search.cli", "--data-dir", str(data_dir), *rules, *args],
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr

    cli(old, "ingest", str(corpus), rules=("--rules-dir", str(older)))
    cli(fresh, "ingest", str(corpus))

    def tags(data_dir):
        with open_service(data_dir) as service:
            return {p.id: (p.level, p.region.code, sorted(p.topics), sorted(p.industries))
                    for p in service.list_policies()}

    assert tags(old) != tags(fresh)  # the older rules tagged some policies otherwise
    cli(old, "retag", "--all")
    assert tags(old) == tags(fresh)

    def filtered(data_dir):  # searches filter by the tags of the index, not only the catalog's
        with open_service(data_dir) as service:
            return {name: service.search("", industry=name).total for name in sorted(INDUSTRIES)} | \
                {name: service.search("", topic=name).total for name in sorted(TOPICS)}

    assert filtered(old) == filtered(fresh)
