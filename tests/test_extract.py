"""Metadata extraction from document text, checked against gov.cn's own metadata."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from indexer.extract import extract_metadata, find_own_doc_number, find_signature, find_title
from indexer.furniture import clean_stated_title, is_only_a_name
from indexer.parsers.base import RawDocument
from policy_search.text.dates import parse_chinese_date
from policy_search.text.docnumber import normalize_doc_number

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
GOVCN = DATA / "govcn" / "policies.jsonl"
#: gov.cn states 2004-04-17 as 成文日期, the page's own signature reads 二〇〇四年四月二十七日.
SIGNATURE_DISAGREES_WITH_GOVCN = {"html/content_5351624.html"}


def raw(text: str, **metadata) -> RawDocument:
    return RawDocument(text=text, format="txt", metadata=metadata)


CITY_DOC = """枣庄市人民政府文件
枣政发〔2020〕3号
枣庄市人民政府
关于印发枣庄市支持企业复工复产若干措施的通知
各区（市）人民政府，枣庄高新区管委会，市政府各部门：
根据《国务院办公厅关于…的通知》（国办发〔2020〕6号）精神，现将有关措施印发给你们。
枣庄市人民政府
2020年3月5日
（此件公开发布）"""


def test_city_document_from_text():
    assert extract_metadata(raw(CITY_DOC)) == {
        "title": "枣庄市人民政府关于印发枣庄市支持企业复工复产若干措施的通知",
        "doc_number": "枣政发〔2020〕3号",
        "issuer": "枣庄市人民政府",
        "written_date": "2020-03-05",
        "publish_date": None,
    }


def test_cited_number_in_body_is_not_the_documents_own():
    text = "关于做好复工复产工作的通知\n各县区：\n根据国办发〔2020〕6号文件精神，现通知如下。\n某某县人民政府\n2020年2月20日"
    meta = extract_metadata(raw(text))
    assert meta["doc_number"] is None
    assert meta["issuer"] == "某某县人民政府"


def test_explicit_metadata_wins_and_is_normalised():
    meta = extract_metadata(raw(
        CITY_DOC, title="  枣庄市人民政府关于印发 若干措施的通知 ", doc_number="枣政发[2020]3号",
        issuer="枣庄市人民政府 枣庄市财政局", written_date="2020年03月05日",
        publish_date="2020-03-06 10:00"))
    assert meta["title"] == "枣庄市人民政府关于印发 若干措施的通知"
    assert meta["doc_number"] == "枣政发〔2020〕3号"
    assert meta["issuer"] == "枣庄市人民政府、枣庄市财政局"
    assert meta["written_date"] == "2020-03-05"
    assert meta["publish_date"] == "2020-03-06"


def test_explicit_placeholder_number_is_none_and_odd_number_kept():
    assert extract_metadata(raw("关于…的通知", doc_number="无"))["doc_number"] is None
    assert extract_metadata(raw("关于…的通知", doc_number="京政办字第3号"))["doc_number"] == "京政办字第3号"


def test_two_issuers_in_title_joined_with_dunhao():
    text = "山东省人力资源和社会保障厅 山东省财政厅关于做好失业保险稳岗返还工作的通知\n鲁人社字〔2020〕8号\n各市："
    meta = extract_metadata(raw(text))
    assert meta["issuer"] == "山东省人力资源和社会保障厅、山东省财政厅"
    assert meta["doc_number"] == "鲁人社字〔2020〕8号"


def test_issuer_from_signature_and_header():
    signature_only = "关于开展专项检查的通知\n各单位：\n请认真落实。\n国务院 中央军委\n一九九六年十一月五日"
    assert extract_metadata(raw(signature_only))["issuer"] == "国务院、中央军委"
    assert extract_metadata(raw(signature_only))["written_date"] == "1996-11-05"
    header_only = "枣庄市人民政府文件\n枣政发〔2020〕3号\n关于印发…的通知\n各区：\n正文。"
    assert extract_metadata(raw(header_only))["issuer"] == "枣庄市人民政府"


def test_decree_layout():
    text = ("中华人民共和国国务院令\n第706号\n《专利代理条例》已经国务院常务会议修订通过，现予公布。\n"
            "总理 李克强\n2018年11月6日\n专利代理条例\n第一章 总 则\n第一条 为了规范专利代理行为……")
    assert extract_metadata(raw(text)) == {
        "title": "专利代理条例", "doc_number": "国令第706号", "issuer": "国务院",
        "written_date": "2018-11-06", "publish_date": None}


def test_title_split_over_lines_and_letter_spaced():
    assert find_title(["国务院办公厅关于调整国务院第二次", "全国污染源普查领导小组组成人员的通知",
                       "国办函〔2018〕74号"]) == "国务院办公厅关于调整国务院第二次全国污染源普查领导小组组成人员的通知"
    assert find_title(["国务院办公厅关于印发", "国 家 粮 食 应 急 预 案 的 函", "国办函〔2005〕57号"]) == \
        "国务院办公厅关于印发国家粮食应急预案的函"
    # a line break inside 《…》 does not end the title
    assert find_title(["国务院关于暂时调整实施《中华人民共和国药品管理法", "实施条例》有关规定的决定"]) == \
        "国务院关于暂时调整实施《中华人民共和国药品管理法实施条例》有关规定的决定"


def test_title_markdown_and_fallback():
    assert find_title(["# 中华人民共和国专利法", "第一条 ……"]) == "中华人民共和国专利法"
    long_line = "今年以来，我市认真贯彻落实党中央国务院决策部署，统筹推进疫情防控和经济社会发展工作，取得了明显成效，" * 2
    assert find_title([long_line]) == long_line[:60]
    assert extract_metadata(raw(""))["title"] is None


def test_signature_prefers_first_signed_date_over_forwarded_report():
    lines = ["国务院办公厅转发国家地震局关于…的通知", "国办发〔1997〕2号", "各省：", "现转发给你们。",
             "国务院办公厅", "一九九七年二月四日", "关于…的报告", "……", "国家地震局", "一九九七年一月二十日"]
    assert find_signature(lines) == ("国务院办公厅", "1997-02-04")


def test_publish_date_stated_in_text():
    meta = extract_metadata(raw("关于…的通知\n发布时间：2019年1月30日\n正文"))
    assert meta["publish_date"] == "2019-01-30"
    assert meta["written_date"] is None


def test_flattened_text_with_spaces_for_line_breaks():
    text = ("国务院办公厅关于印发 国 家 粮 食 应 急 预 案 的 函 国办函〔2005〕57号 各省、自治区、直辖市人民政府： "
            "《国家粮食应急预案》已经国务院同意，现印发给你们，请认真实施。 国务院办公厅 二〇〇五年六月十一日")
    meta = extract_metadata(raw(text))
    assert meta["title"] == "国务院办公厅关于印发国家粮食应急预案的函"
    assert meta["doc_number"] == "国办函〔2005〕57号"
    assert meta["issuer"] == "国务院办公厅"
    assert meta["written_date"] == "2005-06-11"


def test_own_number_only_from_head():
    assert find_own_doc_number(["关于…的通知", "各省：", "根据国办发〔2020〕6号……"]) is None
    assert find_own_doc_number(["山东省医疗保险事业中心文件鲁医保中心发〔2020〕11号关于…的通知"]) == \
        "鲁医保中心发〔2020〕11号"



# --- site furniture: a page saved from a site (or a row scraped from one) starts with the
# site's name and section labels; the title is the document's own, never the site's name.
# The rows are flattened as the bulk files have them: spaces for line breaks.


def test_title_below_a_sites_name_and_section_label():
    text = ("某某省人民政府 政策文件 某某省人民政府办公厅关于支持春季农业生产的通知 某政办字〔2020〕5号 "
            "各市人民政府： 现将有关事项通知如下。 某某省人民政府办公厅 2020年2月11日")
    meta = extract_metadata(raw(text))
    assert meta["title"] == "某某省人民政府办公厅关于支持春季农业生产的通知"
    assert meta["issuer"] == "某某省人民政府办公厅"
    assert meta["doc_number"] == "某政办字〔2020〕5号"


def test_an_interpretation_is_titled_by_the_quoted_document():
    text = ("某某省人民政府 政策解读 部门解读｜《关于加快恢复农业生产 确保农产品供应的若干措施》 "
            "为贯彻落实有关部署，省政府办公厅印发了《关于加快恢复农业生产确保农产品供应的若干措施》。"
            "现解读如下： 一、出台背景 ……")
    assert extract_metadata(raw(text))["title"] == "《关于加快恢复农业生产确保农产品供应的若干措施》"


def test_breadcrumbs_are_skipped_on_lines_and_flattened():
    lines = ["当前位置：首页 > 通知公告 > 正文", "某某市财政局关于延长申报期限的通知", "各区财政局：", "正文。"]
    assert find_title(lines) == "某某市财政局关于延长申报期限的通知"
    flat = "首页 > 通知公告 > 正文 某某市财政局关于延长申报期限的通知 各区财政局： 正文。"
    assert extract_metadata(raw(flat))["title"] == "某某市财政局关于延长申报期限的通知"
    assert find_title(["某某市税务局", "最新文件", "关于延长申报期限的通知", "正文。"]) == "关于延长申报期限的通知"


def test_a_sites_or_issuers_name_alone_is_never_the_title():
    # the site's name, then the body straight away: the body's opening, not the name
    site_then_body = ("某某市人民政府 为做好疫情防控工作，全市公交线路自即日起暂停运营，恢复时间另行通知。 "
                      "特此通告 某某市交通运输局 2020年1月27日")
    assert extract_metadata(raw(site_then_body))["title"].startswith("为做好疫情防控工作")
    # the issuers above the salutation, and no heading at all
    issuers_then_body = ("某某部 某某总局 各省、自治区、直辖市人民政府： "
                         "为支持企业复工复产，现就有关问题通知如下： 一、阶段性减免企业社会保险费。")
    title = extract_metadata(raw(issuers_then_body))["title"]
    assert title and not is_only_a_name(title) and not title.startswith("某某部")
    # the site's name, then the addressees and the body on one line: the body's opening, which
    # names no issuer (为…党中央、国务院关于… is no organ before 关于)
    addressed = ("某某市税务局 各区税务局，局内各单位：为坚决贯彻落实党中央、国务院关于打赢疫情防控阻击战的决策部署，"
                 "现提出以下要求。 一、支持防控物资供应。")
    meta = extract_metadata(raw(addressed))
    assert meta["title"].startswith("为坚决贯彻落实党中央") and meta["issuer"] is None


def test_many_issuers_each_on_a_line_above_the_title():
    text = ("甲省财政厅 甲省发展和改革委员会 甲省经济和信息化厅 甲省地方金融监督管理局 "
            "甲省审计厅关于强化重点保障企业资金支持的紧急通知 甲财金〔2020〕25号 各市财政局： 正文。")
    meta = extract_metadata(raw(text))
    assert meta["title"] == ("甲省财政厅 甲省发展和改革委员会 甲省经济和信息化厅 甲省地方金融监督管理局 "
                             "甲省审计厅关于强化重点保障企业资金支持的紧急通知")
    assert meta["issuer"] == "甲省财政厅、甲省发展和改革委员会、甲省经济和信息化厅、甲省地方金融监督管理局、甲省审计厅"


def test_issuers_printed_twice_above_the_title_count_once():
    text = "甲省医疗保障局 甲省财政厅 甲省医疗保障局 甲省财政厅 关于延长参保缴费期的通知 甲医保发〔2020〕14号 各市州医疗保障局： 正文。"
    meta = extract_metadata(raw(text))
    assert meta["title"] == "甲省医疗保障局 甲省财政厅关于延长参保缴费期的通知"
    assert meta["issuer"] == "甲省医疗保障局、甲省财政厅"


def test_a_doc_number_written_onto_the_title_is_not_part_of_it():
    glued_after = "甲部 乙部 丙总局关于阶段性减免企业社会保险费的通知甲部发〔2020〕11号 各省： 正文。"
    meta = extract_metadata(raw(glued_after))
    assert meta["title"] == "甲部 乙部 丙总局关于阶段性减免企业社会保险费的通知"
    assert meta["doc_number"] == "甲部发〔2020〕11号"
    assert meta["issuer"] == "甲部、乙部、丙总局"
    glued_before = "甲政发〔2020〕3号-甲区人民政府关于印发支持企业发展若干措施的通知 各街道： 正文。"
    meta = extract_metadata(raw(glued_before))
    assert meta["title"] == "甲区人民政府关于印发支持企业发展若干措施的通知"
    assert meta["doc_number"] == "甲政发〔2020〕3号"


TRADITIONAL_DOC = """甲城區人民政府辦公室
關於支持企業復工復產的辦法
甲政辦發[2020]5號
各鎮人民政府、街道辦事處：
根據國辦發〔2020〕6號文件精神，制定本辦法。
甲城區人民政府辦公室
甲城區財政局
二〇二〇年三月六日"""


def test_traditional_text_is_read_folded_and_reported_as_written():
    """Title (ending in 辦法), 文号 (with 號), issuers of the title and of the signature, and the
    date are all found; each is given in the document's own characters."""
    assert extract_metadata(raw(TRADITIONAL_DOC)) == {
        "title": "甲城區人民政府辦公室關於支持企業復工復產的辦法",
        "doc_number": "甲政辦發〔2020〕5號",
        "issuer": "甲城區人民政府辦公室",
        "written_date": "2020-03-06",
        "publish_date": None,
    }
    signed_only = TRADITIONAL_DOC.replace("甲城區人民政府辦公室\n關於", "關於", 1)
    meta = extract_metadata(raw(signed_only))
    assert meta["issuer"] == "甲城區人民政府辦公室、甲城區財政局"
    assert meta["written_date"] == "2020-03-06"
    assert extract_metadata(raw(TRADITIONAL_DOC + "\n發佈日期：2020年3月7日"))["publish_date"] == "2020-03-07"


def test_a_simplified_text_reads_as_before_and_a_traditional_one_alike():
    """The same document in either script gives the same fields, each in its own script."""
    from policy_search.text.fold import simplify

    simplified = extract_metadata(raw(simplify(TRADITIONAL_DOC)))
    traditional = extract_metadata(raw(TRADITIONAL_DOC))
    assert simplified["doc_number"] == "甲政办发〔2020〕5号"
    assert {k: simplify(v) for k, v in traditional.items() if v} == {k: v for k, v in simplified.items() if v}


def test_a_cited_number_in_traditional_is_not_the_documents_own():
    text = "關於做好復工復產工作的通知\n根據國辦發〔2020〕6號文件精神，現通知如下。\n某某縣人民政府\n2020年2月20日"
    assert extract_metadata(raw(text))["doc_number"] is None


def test_a_joint_signature_over_two_lines_keeps_both_issuers():
    """A bank's branch (中心支行) is an organ: the staff's institution endings say so."""
    text = ("关于开展首贷培植专项行动的通知\n甲金发〔2020〕2号\n各银行业金融机构：\n正文。\n"
            "甲市地方金融监督管理局\n中国人民银行甲市中心支行\n2020年3月16日")
    meta = extract_metadata(raw(text))
    assert meta["issuer"] == "甲市地方金融监督管理局、中国人民银行甲市中心支行"
    assert meta["written_date"] == "2020-03-16"
    titled = "甲市地方金融监督管理局 中国人民银行甲市中心支行" + text
    assert extract_metadata(raw(titled))["issuer"] == "甲市地方金融监督管理局、中国人民银行甲市中心支行"


def test_a_joint_announcement_number_is_taken_whole():
    text = ("财政部 税务总局关于支持个体工商户复工复业增值税政策的公告\n财政部 税务总局公告2020年第13号\n"
            "为支持广大个体工商户……现就有关增值税政策公告如下：\n特此公告。\n财政部　税务总局\n2020年2月28日")
    meta = extract_metadata(raw(text))
    assert meta["doc_number"] == "财政部 税务总局公告2020年第13号"
    assert meta["issuer"] == "财政部、税务总局"
    assert meta["title"] == "财政部 税务总局关于支持个体工商户复工复业增值税政策的公告"


def test_furniture_is_looked_for_in_bounded_time():
    """A line of a million characters of section labels (a hostile page) is read in linear time."""
    line = "首页 > " * 150_000 + "关于延长申报期限的通知"
    started = time.monotonic()
    assert find_title([line, "正文。"])
    assert clean_stated_title(line)
    assert time.monotonic() - started < 10  # quadratic scanning took minutes


def test_titles_without_furniture_are_left_alone():
    for title in ("湖北将再建一所应急后备医院", "国家税务总局发布", "某某市人民政府专题会议纪要",
                  "某某区人民政府2019年政府信息公开工作年度报告"):
        assert find_title([title, "正文第一段，说明有关情况。"]) == title
    assert find_title(["枣庄市人民政府", "关于印发…的通知", "各区："]) == "枣庄市人民政府关于印发…的通知"


# --- gov.cn ground truth: the jsonl `text` is the flattened body (spaces for line breaks)


def _govcn_rows() -> list[dict]:
    if not GOVCN.exists():
        pytest.skip(f"real data not available: {GOVCN} (expected beside the project in ../shared/data)")
    return [json.loads(line) for line in GOVCN.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_govcn_flattened_text_metadata_from_text_alone():
    """Text only, no 信息表: every field right on every page (one gov.cn date disagrees with the page)."""
    misses = []
    rows = _govcn_rows()
    for row in rows:
        meta = extract_metadata(raw(row["text"]))
        expected = {
            "title": row["title"],
            "doc_number": normalize_doc_number(row["release_number"]),
            "issuer": row["release_office"],
            "written_date": parse_chinese_date(row["written_date"]),
        }
        for key, value in expected.items():
            if key == "written_date" and row["html_file"] in SIGNATURE_DISAGREES_WITH_GOVCN:
                continue
            if meta[key] != value:
                misses.append((row["html_file"], key, meta[key], value))
    assert len(rows) == 40
    assert misses == []
