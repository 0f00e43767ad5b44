"""The national division table (policy_search/text/divisions.py): lookup, resolve, paths, find_places."""
from __future__ import annotations

import time

import pytest

from policy_search.text import divisions
from policy_search.errors import QueryError
from policy_search.models import Region


def test_table_shape():
    kinds = [d.kind for d in divisions.all_divisions()]
    assert len(kinds) == 3210
    assert kinds.count("province") == 34
    assert kinds.count("city") == 333
    assert all(d.parent_code is None for d in divisions.all_divisions() if d.kind == "province")
    assert all(divisions.get(d.parent_code) is not None for d in divisions.all_divisions() if d.kind != "province")


def test_yicheng():
    yicheng = divisions.get("370404")
    assert yicheng == divisions.Division("370404", "峄城区", "county", "370400")
    assert divisions.path_names(yicheng) == ["山东省", "枣庄市", "峄城区"]
    assert [d.code for d in divisions.ancestors_and_self(yicheng)] == ["370000", "370400", "370404"]
    assert divisions.parent(yicheng).name == "枣庄市"
    assert divisions.region_of(yicheng) == Region(code="370404", name="峄城区", path=["山东省", "枣庄市", "峄城区"])
    assert "峄城区" in [d.name for d in divisions.children(divisions.get("370400"))]


def test_municipalities_hold_their_districts_directly():
    for code, name in (("110000", "北京市"), ("120000", "天津市"), ("310000", "上海市"), ("500000", "重庆市")):
        municipality = divisions.get(code)
        assert (municipality.name, municipality.kind, municipality.parent_code) == (name, "province", None)
        below = divisions.children(municipality)
        assert below and all(d.kind == "county" for d in below)
    assert divisions.path_names(divisions.get("310107")) == ["上海市", "普陀区"]
    assert divisions.path_names(divisions.get("500229")) == ["重庆市", "城口县"]
    assert not any(d.name in ("市辖区", "县") for d in divisions.all_divisions())


def test_province_administered_county_level_units():
    xiantao = divisions.get("429004")
    assert (xiantao.name, xiantao.kind, xiantao.parent_code) == ("仙桃市", "county", "420000")
    assert divisions.path_names(xiantao) == ["湖北省", "仙桃市"]
    assert divisions.path_names(divisions.get("469002")) == ["海南省", "琼海市"]
    assert divisions.path_names(divisions.lookup("神农架林区")[0]) == ["湖北省", "神农架林区"]


@pytest.mark.parametrize("name, code", [
    ("峄城区", "370404"), ("峄城", "370404"), ("枣庄市", "370400"), ("枣庄", "370400"),
    ("山东省", "370000"), ("山东", "370000"), ("内蒙古自治区", "150000"), ("内蒙古", "150000"),
    ("广西", "450000"), ("宁夏", "640000"), ("新疆", "650000"), ("西藏", "540000"), ("香港", "810000"),
    ("延边", "222400"), ("黔东南", "522600"), ("伊犁", "654000"), ("锡林郭勒", "152500"), ("阿克苏", "652900"),
    ("神农架", "429021"), ("浦东", "310115"), ("景宁", "331127"), ("滕州市", "370481"),
])
def test_lookup_full_and_short_names(name, code):
    assert code in [d.code for d in divisions.lookup(name)]


def test_short_names_only_drop_standard_suffixes():
    assert divisions.short_name("枣庄市") == "枣庄"
    assert divisions.short_name("龙胜各族自治县") == "龙胜"
    assert divisions.short_name("鄂温克族自治旗") is None  # nothing left but the nationality
    assert divisions.short_name("赵县") is None  # one character: too ambiguous
    assert divisions.lookup("赵") == [] and divisions.lookup("城") == []
    assert divisions.lookup("内") == []  # 内蒙古 keeps its 3 characters


def test_lookup_is_folded_and_unknown_is_empty():
    assert [d.code for d in divisions.lookup("嶧城區")] == ["370404"]
    assert divisions.lookup("不存在市") == []


@pytest.mark.parametrize("text, code", [
    ("370404", "370404"), ("峄城区", "370404"), ("山东省枣庄市峄城区", "370404"), ("山东 枣庄 峄城", "370404"),
    ("枣庄/峄城", "370404"), ("  嶧城區 ", "370404"), ("北京市朝阳区", "110105"), ("长春 朝阳区", "220104"),
    ("上海普陀", "310107"), ("舟山市普陀区", "330903"), ("吉林", "220000"), ("吉林省吉林市", "220200"),
    ("西安", "610100"), ("枣庄市市中区", "370402"), ("仙桃", "429004"), ("北京", "110000"),
])
def test_resolve(text, code):
    assert divisions.resolve(text).code == code


@pytest.mark.parametrize("name, codes", [
    ("朝阳区", ["110105", "220104"]), ("普陀区", ["310107", "330903"]), ("鼓楼区", ["320106", "320302", "350102", "410204"]),
    ("市中区", ["370103", "370402", "511002", "511102"]),
])
def test_resolve_ambiguous_lists_candidates_with_paths(name, codes):
    with pytest.raises(QueryError) as caught:
        divisions.resolve(name)
    message = str(caught.value)
    assert "ambiguous" in message
    for code in codes:
        assert code in message
        assert "".join(divisions.path_names(divisions.get(code))) in message
    assert "province or city" in caught.value.hint


@pytest.mark.parametrize("text", ["不存在区", "", "999999", "abc", "山东省杭州市"])
def test_resolve_unknown(text):
    with pytest.raises(QueryError) as caught:
        divisions.resolve(text)
    assert caught.value.hint


def test_national_region():
    assert divisions.NATIONAL == Region(code="", name="全国", path=[])


def test_find_places_longest_full_names_with_spans():
    text = "为贯彻落实山东省人民政府和枣庄市市中区人民政府部署，峄城区人力资源和社会保障局"
    found = [(d.name, text[s:e]) for d, s, e in divisions.find_places(text)]
    assert found == [("山东省", "山东省"), ("枣庄市", "枣庄市"), ("市中区", "市中区"), ("峄城区", "峄城区")]
    assert [d.code for d, _, _ in divisions.find_places(text) if d.name == "市中区"] == ["370402"]


def test_find_places_ambiguous_name_yields_every_division():
    found = divisions.find_places("普陀区商务委员会")
    assert sorted(d.code for d, _, _ in found) == ["310107", "330903"]
    assert {(s, e) for _, s, e in found} == {(0, 3)}


@pytest.mark.parametrize("text", ["主城区和老城区", "市和县两级", "河南县级医院", "农贸市场与东方市场", "上海城市治理", "重点区域"])
def test_find_places_skips_ordinary_words(text):
    assert divisions.find_places(text) == []


def test_find_places_is_fast():
    text = ("枣庄市峄城区人民政府关于支持企业复工复产的若干措施，各镇人民政府、街道办事处，区政府各部门：" * 2000)
    divisions.find_places("预热")
    started = time.perf_counter()
    found = divisions.find_places(text)
    per_char = (time.perf_counter() - started) / len(text)
    assert len(found) == 4000
    assert per_char < 2e-6, f"{per_char * 1e6:.2f} µs per character"
