"""Tags in use: --region, --applies-to, --industry, --in-force, facets, match and retag on corpus/."""
import json

import pytest
from click.testing import CliRunner

from indexer.pipeline import ingest
from policy_search import open_service
from policy_search.storage.catalog import Catalog
from policy_search.cli import main
from policy_search.errors import QueryError
from policy_search.settings import DataPaths

from helpers import CORPUS, write_policy

CHAIN = ["山东省", "枣庄市", "峄城区"]


def all_hits(service, **filters):
    hits, page = [], 1
    while True:
        result = service.search("", limit=100, page=page, **filters)
        hits += result.hits
        if page >= result.pages:
            return hits
        page += 1


def test_corpus_covers_the_whole_chain(corpus_service):
    levels = {(h.level, tuple(h.region["path"])) for h in all_hits(corpus_service)}
    assert ("central", ()) in levels
    assert ("provincial", ("山东省",)) in levels
    assert ("municipal", ("山东省", "枣庄市")) in levels
    assert ("county", ("山东省", "枣庄市", "峄城区")) in levels


def test_match_for_an_enterprise_in_yicheng(corpus_service):
    result = corpus_service.match("峄城区")
    assert list(result.groups) == ["central", "provincial", "municipal", "county"]
    for level, hits in result.groups.items():
        for hit in hits:
            path = hit.region["path"]
            assert path == CHAIN[:len(path)], f"{hit.title} ({path}) does not apply in 峄城区"
    assert result.total == sum(len(h) for h in result.groups.values())


def test_applies_to_a_sibling_county_leaves_out_yicheng(corpus_service):
    sibling = all_hits(corpus_service, applies_to="枣庄市台儿庄区")
    assert sibling and all("峄城区" not in h.region["path"] for h in sibling)
    assert any(h.region["path"] == ["山东省", "枣庄市"] for h in sibling)


def test_applies_to_another_province_sees_nothing_of_shandong(corpus_service):
    hangzhou = all_hits(corpus_service, applies_to="杭州市")
    assert hangzhou
    assert all(h.level == "central" or h.region["path"][0] == "浙江省" for h in hangzhou)


def test_region_means_issued_there_or_below(corpus_service):
    within = all_hits(corpus_service, region="枣庄市")
    assert {tuple(h.region["path"][:2]) for h in within} == {("山东省", "枣庄市")}
    assert any(h.level == "county" for h in within)


def test_region_by_code_equals_region_by_name(corpus_service):
    assert {h.id for h in all_hits(corpus_service, region="370404")} == \
        {h.id for h in all_hits(corpus_service, region="峄城区")}


def test_industry_filter_includes_policies_for_every_industry(corpus_service):
    hits = all_hits(corpus_service, industry="制造业")
    assert any("制造业" in h.industries for h in hits)
    assert any("不限行业" in h.industries for h in hits)
    assert all({"制造业", "不限行业"} & set(h.industries) for h in hits)


def test_facets_count_the_matches(corpus_service):
    page = corpus_service.search("复工复产")
    assert sum(page.facets["level"].values()) == page.total
    assert page.facets["topic"].get("复工复产", 0) >= 3


def test_unknown_region_is_a_query_error_with_a_hint(corpus_service):
    with pytest.raises(QueryError) as info:
        corpus_service.search("", region="不存在的地方")
    assert info.value.hint


def test_in_force_leaves_out_expired_policies(tmp_path):
    folder = tmp_path / "b"
    write_policy(folder, "old.txt", "枣庄市人民政府关于阶段性减免房租的通知（示例）\n对小微企业减免房租。"
                                    "本通知有效期至2020年12月31日。\n枣庄市人民政府\n2020年3月1日")
    write_policy(folder, "new.txt", "枣庄市人民政府关于长期支持小微企业的通知（示例）\n对小微企业减免房租。"
                                    "\n枣庄市人民政府\n2020年3月2日")
    data_dir = tmp_path / "var"
    ingest([folder], data_dir)
    with open_service(data_dir) as service:
        every = service.search("房租")
        assert every.total == 2
        assert {h.status for h in every.hits} == {"expired", "unknown"}
        assert [h.status for h in service.search("房租", in_force=True).hits] == ["unknown"]
        match = service.match("枣庄市")
        assert [h.status for h in match.groups["municipal"]] == ["unknown", "expired"]


def test_retag_recomputes_inferred_tags_and_keeps_given_ones(tmp_path):
    data_dir = tmp_path / "var"
    ingest([CORPUS], data_dir)
    catalog = Catalog(DataPaths(data_dir).catalog_file)
    spoiled = {}
    for policy in catalog.iter_policies():
        spoiled[policy.id] = (policy.topics, policy.provenance["topics"])
        policy.topics = ["（错误标签）"]
        with catalog.transaction():
            catalog.put_policy(policy)
    catalog.close()
    runner = CliRunner()
    result = runner.invoke(main, ["--data-dir", str(data_dir), "retag", "--all"])
    assert result.exit_code == 0, result.output
    with open_service(data_dir) as service:
        for policy in service.list_policies():
            before, provenance = spoiled[policy.id]
            if provenance == "given":
                assert policy.topics == ["（错误标签）"], "retag must keep given tags"
            else:
                assert policy.topics == before


def _spoil(data_dir, **tags) -> dict[str, dict]:
    """Give the first two policies with inferred topics other tags in the catalog (as rules that
    changed since would leave them); returns each one's tags as they were."""
    catalog = Catalog(DataPaths(data_dir).catalog_file)
    try:
        chosen = [p for p in catalog.iter_policies() if p.topics and p.provenance.get("topics") == "inferred"
                  and p.provenance.get("level") == "inferred"][:2]
        before = {}
        for policy in chosen:
            before[policy.id] = {name: getattr(policy, name) for name in tags}
            for name, value in tags.items():
                setattr(policy, name, value)
            with catalog.transaction():
                catalog.put_policy(policy)
                catalog.mark_indexed([policy.id])
        return before
    finally:
        catalog.close()


def test_retag_json_lists_each_changed_policy_with_its_tags_from_and_to(corpus_copy):
    before = _spoil(corpus_copy, topics=["（旧规则的标签）"], level="central")
    runner = CliRunner()
    result = runner.invoke(main, ["--data-dir", str(corpus_copy), "retag", "--all", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["changed"] == 2 and data["unchanged"] == data["retagged"] - 2 and data["skipped"] == []
    assert {change["id"] for change in data["changes"]} == set(before)
    for change in data["changes"]:
        was = before[change["id"]]
        assert change["tags"]["topics"] == {"from": ["（旧规则的标签）"], "to": was["topics"]}
        if was["level"] != "central":
            assert change["tags"]["level"] == {"from": "central", "to": was["level"]}
        assert set(change["tags"]) <= {"topics", "level"}
    again = json.loads(runner.invoke(main, ["--data-dir", str(corpus_copy), "retag", "--all", "--json"]).output)
    assert again["changed"] == 0 and again["changes"] == []


def test_retag_names_the_changes_for_people(corpus_copy):
    before = _spoil(corpus_copy, topics=[])
    result = CliRunner().invoke(main, ["--data-dir", str(corpus_copy), "retag", *before])
    assert result.exit_code == 0, result.output
    assert "Retagged 2 policies: 2 changed." in result.output
    for policy_id, was in before.items():
        assert f"~ {policy_id}  " in result.output
        assert f"    topics: — → {'、'.join(was['topics'])}" in result.output


def test_retag_leaves_a_removed_policy_removed(corpus_copy):
    with open_service(corpus_copy) as service:
        policy_id = service.list_policies()[0].id
    runner = CliRunner()
    assert runner.invoke(main, ["--data-dir", str(corpus_copy), "remove", policy_id]).exit_code == 0
    result = runner.invoke(main, ["--data-dir", str(corpus_copy), "retag", policy_id, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["retagged"] == 0 and [s["id"] for s in data["skipped"]] == [policy_id]
    with open_service(corpus_copy) as service:
        assert service.get(policy_id).removed
        assert policy_id not in {hit.id for hit in all_hits(service)}


def test_match_and_search_from_the_cli(corpus_data_dir):
    runner = CliRunner()
    result = runner.invoke(main, ["--data-dir", str(corpus_data_dir), "match", "--region", "峄城区",
                                  "--industry", "制造业", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["region"]["path"] == CHAIN and data["groups"]
    result = runner.invoke(main, ["--data-dir", str(corpus_data_dir), "search", "补贴", "--applies-to",
                                  "峄城区", "--json"])
    assert set(json.loads(result.output)["facets"]) == {"level", "topic", "industry", "region", "type"}
    result = runner.invoke(main, ["--data-dir", str(corpus_data_dir), "match", "--region", "朝阳区"])
    assert result.exit_code == 1 and "Hint:" in result.output
