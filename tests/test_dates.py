"""Chinese date parsing and finding."""
from __future__ import annotations

import pytest

from policy_search.text.dates import find_dates, parse_chinese_date


@pytest.mark.parametrize("given, expected", [
    ("2020年2月20日", "2020-02-20"),
    ("2020年02月05日", "2020-02-05"),
    ("2020 年 2 月 5 日", "2020-02-05"),
    ("2020年2月5号", "2020-02-05"),
    ("二〇二〇年二月二十日", "2020-02-20"),
    ("二○二○年二月二十日", "2020-02-20"),
    ("二零二零年十二月三十一日", "2020-12-31"),
    ("一九九七年二月四日", "1997-02-04"),
    ("二〇〇四年十月十五日", "2004-10-15"),
    ("二〇〇四年三月二十一日", "2004-03-21"),
    ("2020-02-20", "2020-02-20"),
    ("2020.2.20", "2020-02-20"),
    ("2020/2/20", "2020-02-20"),
    ("２０２０年２月２０日", "2020-02-20"),
    ("２０２０－０２－２０", "2020-02-20"),
    ("2020年2月29日", "2020-02-29"),
])
def test_parse_valid(given, expected):
    assert parse_chinese_date(given) == expected


@pytest.mark.parametrize("given", [
    "", "2020年2月30日", "2019年2月29日", "2020年13月1日", "2020年2月", "二〇二〇年二月三十日",
    "2020-2/20", "1850年1月1日", "2020年2月20日起施行", "明天",
])
def test_parse_invalid(given):
    assert parse_chinese_date(given) is None


def test_find_dates_with_offsets():
    text = "自2020年3月1日起施行。二〇二〇年二月三十日无效；发布时间：2018-11-12 10:00"
    found = find_dates(text)
    assert [iso for iso, _, _ in found] == ["2020-03-01", "2018-11-12"]
    for iso, start, end in found:
        assert parse_chinese_date(text[start:end]) == iso


def test_find_dates_offsets_survive_full_width_digits():
    text = "印发日期：２０２０年２月２０日"
    [(iso, start, end)] = find_dates(text)
    assert iso == "2020-02-20" and text[start:end] == "２０２０年２月２０日"


def test_find_dates_ignores_version_numbers_and_empty():
    assert find_dates("版本 v2020.02.20.1") == []
    assert find_dates("") == []
