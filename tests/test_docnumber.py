"""文号 normalisation and finding, on made-up forms and on real incoming documents."""
from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from policy_search.text.docnumber import doc_number_key, doc_number_variants, find_doc_numbers, normalize_doc_number

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
OFFICIALDOCS = DATA / "officialdocs"
#: A year in brackets of any kind, as a 文号 would have it.
BRACKETED_YEAR = re.compile(r"[〔\[(（【［﹝{](?:19|20)\d\d[〕\])）】］﹞}]")


@pytest.mark.parametrize("given", [
    "国办发〔2020〕6号", "国办发[2020]6号", "国办发（2020）6号", "国办发【2020】6号",
    "国办发(2020)6号", "国办发〔2020〕6 号", "国办发 〔2020〕 第6号", "国办发〔２０２０〕６号",
    "国办发［2020］6号", "国办发﹝2020﹞6号", "国办发〔2020)6号", "国办发〔2020〕06号",
    " 国办发〔2020〕6号 ", "国办发〔2020〕6号文件", "国办发〔2020〕6",
])
def test_normalize_forms_of_one_number(given):
    assert normalize_doc_number(given) == "国办发〔2020〕6号"


@pytest.mark.parametrize("given, expected", [
    ("鲁政办发〔2020〕5号", "鲁政办发〔2020〕5号"),
    ("枣政发〔2020〕3号", "枣政发〔2020〕3号"),
    ("财税〔2020〕8号", "财税〔2020〕8号"),
    ("人社部发〔2020〕11号", "人社部发〔2020〕11号"),
    ("国办发明电〔2018〕15号", "国办发明电〔2018〕15号"),
    ("国家电网有限公司加急办值通(2020)638号", "国家电网有限公司加急办值通〔2020〕638号"),
    ("国令第706号", "国令第706号"),
    ("国务院令第706号", "国令第706号"),
    ("中华人民共和国国务院令 第 706 号", "国令第706号"),
    ("人力资源社会保障部令第25号", "人力资源社会保障部令第25号"),
    ("海关总署公告2020年第19号", "海关总署公告2020年第19号"),
    ("国发〔1981〕88号", "国发〔1981〕88号"),
])
def test_normalize_keeps_prefix(given, expected):
    assert normalize_doc_number(given) == expected


@pytest.mark.parametrize("given", [
    "", "   ", "2020年6月", "〔2020〕6号", "国办发〔2020〕0号", "国办发〔1890〕6号",
    "国办发〔2020〕6号 关于印发的通知", "通知", "第6号", "hello world",
])
def test_normalize_rejects_non_numbers(given):
    assert normalize_doc_number(given) is None


def test_find_in_citation_does_not_swallow_words():
    text = "根据《国务院办公厅关于…的通知》（国办发〔2020〕6号）和财政部有关规定"
    assert find_doc_numbers(text) == ["国办发〔2020〕6号"]


def test_find_after_sentence_and_after_boundary_words():
    assert find_doc_numbers("现将…转发给你们。鲁政办发〔2020〕5号") == ["鲁政办发〔2020〕5号"]
    assert find_doc_numbers("根据国办发[2020]6号文件精神") == ["国办发〔2020〕6号"]
    assert find_doc_numbers("按照人社部发（2020）11号和财税〔2020〕8号要求") == [
        "人社部发〔2020〕11号", "财税〔2020〕8号"]


def test_find_orders_and_deduplicates():
    text = "枣政发〔2020〕3号 … 依据国发〔2019〕1号 … 再次引用枣政发[2020]3号"
    assert find_doc_numbers(text) == ["枣政发〔2020〕3号", "国发〔2019〕1号"]


def test_find_full_width_and_spaces():
    assert find_doc_numbers("国办函 〔２０１８〕 ７４ 号") == ["国办函〔2018〕74号"]


def test_find_title_running_into_number():
    text = "国务院办公厅关于调整国务院第二次全国污染源普查领导小组组成人员的通知国办函〔2018〕74号各省"
    assert find_doc_numbers(text) == ["国办函〔2018〕74号"]


def test_find_decrees_and_announcements():
    text = ("中华人民共和国国务院令 第706号 …（1991年3月4日中华人民共和国国务院令第76号发布）"
            "《专业技术人员继续教育规定》(人力资源社会保障部令第25号)、国家税务总局公告2018年第28号")
    assert find_doc_numbers(text) == [
        "国令第706号", "国令第76号", "人力资源社会保障部令第25号", "国家税务总局公告2018年第28号"]


def test_find_ignores_years_that_are_not_numbers():
    assert find_doc_numbers("河北雄安新区总体规划（2018—2035年）的批复，2020年第6号台风") == []
    assert find_doc_numbers("") == []


@pytest.mark.parametrize("written, simplified", [
    ("嶧政辦發〔2020〕5號", "峄政办发〔2020〕5号"),
    ("杭政函〔2020〕11號", "杭政函〔2020〕11号"),
    ("國辦發〔2020〕6號", "国办发〔2020〕6号"),
])
def test_traditional_numbers_are_found_and_kept_as_written(written, simplified):
    """Matched on the folded text, reported in the document's own characters; both scripts
    share one key, so either finds the other."""
    text = f"關於支持企業復工復產的通知\n{written}\n各有關單位："
    assert find_doc_numbers(text) == [written]
    assert find_doc_numbers(simplified) == [simplified]
    bracketed = written.replace("〔", "[").replace("〕", "]")
    assert normalize_doc_number(bracketed) == written
    assert normalize_doc_number(f" {bracketed}文件 ") == written
    assert doc_number_key(written) == doc_number_key(bracketed) == doc_number_key(simplified) == simplified


def test_one_number_in_both_scripts_is_listed_once():
    assert find_doc_numbers("嶧政辦發〔2020〕5號 … 根据峄政办发[2020]5号") == ["嶧政辦發〔2020〕5號"]


def test_traditional_decree_and_announcement():
    assert doc_number_key(find_doc_numbers("中華人民共和國國務院令 第706號")[0]) == "国令第706号"
    assert find_doc_numbers("國家稅務總局公告2018年第28號") == ["國家稅務總局公告2018年第28號"]


@pytest.mark.parametrize("text, expected", [
    ("财政部 税务总局公告2020年第13号", "财政部 税务总局公告2020年第13号"),
    ("财政部　税务总局公告2020年第13号", "财政部 税务总局公告2020年第13号"),   # ideographic space
    ("（财政部 税务总局 海关总署公告2019年第39号）", "财政部 税务总局 海关总署公告2019年第39号"),
    ("根据财政部 税务总局公告2020年第13号规定", "财政部 税务总局公告2020年第13号"),
    ("國家稅務總局 海關總署公告2020年第3號", "國家稅務總局 海關總署公告2020年第3號"),
    # what stands before the space is no organ: the announcement is the last issuer's alone
    ("增值税 税务总局公告2020年第13号", "税务总局公告2020年第13号"),
    ("关于 税务总局公告2020年第13号", "税务总局公告2020年第13号"),
    ("国家税务总局公告2018年第28号", "国家税务总局公告2018年第28号"),
])
def test_joint_announcements_keep_every_issuer(text, expected):
    assert find_doc_numbers(text) == [expected]


def test_joint_announcement_given_on_its_own():
    for given in ("财政部 税务总局公告2020年第13号", "  财政部  税务总局 公告 2020年 第13号 "):
        assert normalize_doc_number(given) == "财政部 税务总局公告2020年第13号"
    assert normalize_doc_number("财政部税务总局公告2020年第13号") == "财政部税务总局公告2020年第13号"
    # the key has no spaces: typed with or without them, it is the same 文号
    assert doc_number_key("财政部 税务总局公告2020年第13号") == doc_number_key("财政部税务总局公告2020年第13号")
    assert doc_number_key("财政部 税务总局公告2020年第13号") != doc_number_key("税务总局公告2020年第13号")


def test_variants_are_typed_forms_that_normalize_back():
    variants = doc_number_variants("国办发〔2020〕6号")
    assert variants[0] == "国办发〔2020〕6号"
    for form in ("国办发[2020]6号", "国办发（2020）6号", "国办发(2020)6号", "国办发【2020】6号",
                 "国办发[2020]6"):
        assert form in variants
    assert len(variants) == len(set(variants))
    assert all(normalize_doc_number(v) == "国办发〔2020〕6号" for v in variants)


def test_variants_of_non_canonical_input_and_decrees():
    assert doc_number_variants("国办发[2020]6号")[0] == "国办发〔2020〕6号"
    assert "国务院令第706号" in doc_number_variants("国令第706号")
    assert doc_number_variants("不是文号") == []


# --- real incoming documents (officialdocs): whitespace stripped, issuer and 文号 run together


def _articles(name: str) -> list[dict]:
    path = OFFICIALDOCS / name
    if not path.exists():
        pytest.skip(f"real data not available: {path} (expected beside the project in ../shared/data)")
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("name", ["train.csv", "val.csv"])
def test_officialdocs_numbers_found_in_head(name):
    """Nearly every article whose first 300 chars hold a bracketed year yields a 文号 there.

    Measured: train 147/149 (the two misses are a number cut off at 300 chars
    and the garbled ``明电[2020]的43号``), val 24/24.
    """
    heads = [row["article"][:300] for row in _articles(name)]
    candidates = [head for head in heads if BRACKETED_YEAR.search(head)]
    found = [head for head in candidates if find_doc_numbers(head)]
    assert len(candidates) >= 20
    assert len(found) / len(candidates) >= 0.95


@pytest.mark.parametrize("article_id, expected", [
    ("0", "办值通〔2020〕638号"),          # 国家电网有限公司加急办值通(2020)638号
    ("1", "鲁医保中心发〔2020〕11号"),      # …事业中心文件鲁医保中心发〔2020〕11号
    ("2", "鲁政办发明电〔2021〕1号"),       # 等级特急·明电鲁政办发明电〔2021〕1号
    ("3", "鲁扶贫组字〔2021〕1号"),
    ("21", "鲁办发电〔2022〕20号"),
    ("22", "鲁市监标函〔2021〕33号"),       # 山东省市场监督管理局鲁市监标函…
    ("29", "鲁委〔2021〕145号"),
    ("36", "国家电网后勤〔2021〕113号"),    # mixed brackets 〔2021)
    ("42", "团〔2021〕6号"),                # …委员会文件团[2021]6号
    ("48", "鲁核应急办〔2021〕14号"),
    ("87", "华北审计函〔2020〕16号"),       # 国家电网公司华北审计中心华北审计函…
    ("88", "鲁办发电〔2020〕164号"),        # 明电鲁办发电（2020）164号
    ("113", "鲁环便函〔2021〕1202号"),      # 山东省生态环境厅鲁环便函…
    ("132", "鲁政发〔2017〕36号"),          # 关于商请会签鲁政发〔2017〕36号文件…
    ("133", "鲁交城市函〔2020〕39号"),
])
def test_officialdocs_first_number_verified_by_eye(article_id, expected):
    rows = {row["id"]: row for row in _articles("train.csv")}
    assert find_doc_numbers(rows[article_id]["article"][:300])[0] == expected
