"""Topic and industry tags: the rule files, the scoring on small texts, and a hand-tagged sample of real documents.

The sample (tests/fixtures/ncp_tag_sample.json) is 50 documents of
../shared/data/ncp/corpus.tsv chosen by a fixed rule: the docids in sorted
order, every 12th one starting with the first (indexes 0, 12, …, 588). Each
was read and tagged by hand before the tagger's output was looked at:

* a topic is expected when the document has actual measures or substantive
  content on it (at least a passage), not for a passing word or a stock phrase
  such as 疫情防控期间 / 打赢疫情防控阻击战;
* an industry is expected when the document, or a passage of it with its own
  measures, is aimed at that industry; 不限行业 when the measures are for
  enterprises (or units) in general or aim at no industry; an industry named
  once in a list of many is not enough (the guide written later,
  tests/fixtures/LABELLING.md, gives a document that targets no enterprises no
  industry at all, so the sample's industries are no longer asserted: the
  labelled set of tests/test_tag_labels.py judges them);
* level and region_path follow the issuing authority (null when the text does
  not say who issued it).

Measure: multi-label sets of up to six labels are judged by hand, so exact
equality is strict; the asserted measure per field is the share of documents
whose predicted set has Jaccard similarity ≥ 0.5 with the expected one (at
least half of the union agrees; two empty sets agree). Exact equality is
reported alongside.
"""
from __future__ import annotations

import csv
import json
import typing
from pathlib import Path

import pytest

from helpers import shared
from indexer.topics import (DEFAULT_SETTINGS, RuleSet, classify_industries, classify_topics, industries_from_scores,
                            label_rule, length_factor, load_rules, score_labels)

FIXTURE = Path(__file__).parent / "fixtures" / "ncp_tag_sample.json"
TOPICS = ["复工复产", "稳岗就业", "土地使用", "财税支持", "金融支持", "社会保险", "租金减免", "人才",
          "科技创新", "疫情防控", "市场监管", "营商环境"]
GBT_4754_SECTIONS = [
    "农、林、牧、渔业", "采矿业", "制造业", "电力、热力、燃气及水生产和供应业", "建筑业", "批发和零售业",
    "交通运输、仓储和邮政业", "住宿和餐饮业", "信息传输、软件和信息技术服务业", "金融业", "房地产业",
    "租赁和商务服务业", "科学研究和技术服务业", "水利、环境和公共设施管理业", "居民服务、修理和其他服务业",
    "教育", "卫生和社会工作", "文化、体育和娱乐业", "公共管理、社会保障和社会组织"]
ALL = "不限行业"
LABEL_FIELDS = {"keywords", "strong", "ignore", "not_with", "threshold", "title_factor", "list_factor", "repeat", "cap",
                "long_text", "max_raise", "short_text", "min_factor"}
MIN_SAMPLE_ACCURACY = 0.9


# --- the rule files -------------------------------------------------------------------------------

def test_topic_rules_cover_the_topics_enterprises_look_for():
    names = [rule.name for rule in load_rules("topics.json", "topics").labels]
    assert set(TOPICS) <= set(names) and len(names) >= 12


def test_industry_rules_are_the_gbt_4754_sections_plus_all_industries():
    names = [rule.name for rule in load_rules("industries.json", "industries").labels]
    assert set(names) == set(GBT_4754_SECTIONS) | {ALL}


@pytest.mark.parametrize("name,section", [("topics.json", "topics"), ("industries.json", "industries")])
def test_rule_files_are_documented_and_well_formed(name, section):
    raw = load_rules(name, section).raw
    assert raw["_about"], "the file explains its format to the staff"
    for label, spec in raw[section].items():
        assert set(spec) <= LABEL_FIELDS, (label, set(spec) - LABEL_FIELDS)
        assert spec["keywords"] and all(isinstance(w, (int, float)) and w > 0 for w in spec["keywords"].values())
        assert all(isinstance(p, str) and p for p in spec.get("strong", []) + spec.get("ignore", []))


def test_classifier_signatures():
    for func in (classify_topics, classify_industries):
        hints = typing.get_type_hints(func)
        assert hints == {"title": str, "text": str, "return": list[str]}


# --- scoring on small texts ----------------------------------------------------------------------

RENT = ("对承租国有企业经营性房产的中小微企业，免收3个月房租，之后3个月减半收取租金。"
        "鼓励非国有业主为租户减免租金，按减免租金总额的30%给予补贴。")


def test_rent_relief_policy_is_tagged():
    assert "租金减免" in classify_topics("关于减免中小微企业房租的通知", RENT)


def test_traditional_characters_are_folded_before_matching():
    traditional = "對承租國有企業經營性房產的中小微企業，免收3個月房租，之後3個月減半收取租金。鼓勵非國有業主為租戶減免租金。"
    assert "租金减免" in classify_topics("關於減免房租的通知", traditional)


def test_a_strong_phrase_alone_is_enough():
    assert "稳岗就业" in classify_topics("", "对符合条件的企业，落实失业保险稳岗返还政策。")


def test_one_passing_word_is_not_evidence():
    text = ("为做好疫情防控工作，各单位要落实测温、消毒、通风措施，对发热人员及时隔离，配齐口罩等防护用品。"
            "有关银行要做好服务。")
    topics = classify_topics("关于做好单位疫情防控工作的通知", text)
    assert "疫情防控" in topics and "金融支持" not in topics


def test_stock_phrases_are_ignored():
    text = "疫情防控期间，社保经办大厅暂停现场办理，参保单位可通过网上办理社会保险登记和缴费业务，不收取滞纳金。" * 2
    assert "疫情防控" not in classify_topics("疫情防控期间社会保险经办工作通知", text)


def test_a_longer_keyword_is_not_counted_again_through_its_parts():
    rules = load_rules("topics.json", "topics")
    filler = "本段说明会议安排。" * 120  # long enough that the short-text threshold does not apply
    once = score_labels("", "推动企业复工复产。" + filler, rules)["复工复产"]
    parts = score_labels("", "推动企业复工、复产。" + filler, rules)["复工复产"]
    assert once < 1.0 and parts < 1.0


def test_a_keyword_in_the_title_counts_more():
    rules = load_rules("topics.json", "topics")
    body = "对受疫情影响的企业，银行不得抽贷。"
    assert score_labels("关于加大信贷支持的通知", body, rules)["金融支持"] > score_labels("通知", body, rules)["金融支持"]


def test_long_texts_need_more_evidence():
    settings = load_rules("topics.json", "topics").settings
    assert length_factor(3000, settings) == 1.0
    assert 1.0 < length_factor(12000, settings) < length_factor(60000, settings) == settings["max_raise"]


def test_policy_for_one_industry_is_tagged_with_it_only():
    text = ("对餐饮企业给予每家3万元补助；鼓励外卖平台降低餐饮商户佣金；"
            "对星级酒店、宾馆按营业收入给予补贴；支持餐饮企业开展无接触点餐。")
    assert classify_industries("关于支持住宿餐饮企业复苏发展的通知", text) == ["住宿和餐饮业"]


def test_an_industry_named_outside_any_measure_is_not_tagged():
    # industry evidence counts in sentences holding a measure (measure_words of industries.json)
    mention = ("疫情期间，餐饮企业门店客流明显下降，酒店入住率不高，外卖订单有所增加。"
               "市场监管部门近日检查了一批餐饮企业和酒店。")
    measure = ("对餐饮企业给予每家3万元补贴；对酒店、宾馆减免3个月房租；"
               "支持餐饮企业开展外卖服务，给予配送费用补助。")
    assert "住宿和餐饮业" not in classify_industries("疫情下的餐饮业", mention)
    assert "住宿和餐饮业" in classify_industries("关于支持餐饮住宿业的措施", measure)


def test_rules_set_for_an_industry_count_as_measures_aimed_at_it():
    # a sentence that tells an industry what to do (要求, 做好, 落实) targets it as a subsidy does
    rules = ("要求餐饮企业做好餐具消毒，暂停堂食聚餐；酒店、宾馆要落实住客登记和每日测温；"
             "要求餐饮服务单位实行分餐制。")
    report = "餐饮企业门店客流明显下降。酒店入住率不高。"
    assert classify_industries("关于加强餐饮住宿场所疫情防控的通知", rules) == ["住宿和餐饮业"]
    assert "住宿和餐饮业" not in classify_industries("疫情下的消费市场", report)


def test_general_policy_is_for_all_industries():
    text = ("对受疫情影响的中小微企业和个体工商户，减免3个月房租；中小微企业贷款到期的，银行给予续贷。"
            "对商贸、餐饮、住宿、文化、交通运输、物流等行业中小企业给予稳岗返还。")
    assert classify_industries("关于支持中小微企业共渡难关的若干措施", text) == [ALL]


def test_general_policy_also_names_the_industry_it_singles_out():
    text = ("对受疫情影响的中小微企业和个体工商户，减免3个月房租；中小微企业贷款到期的，银行给予续贷。"
            "对餐饮企业，按每家3万元给予补助；对餐饮企业外卖配送费用给予补贴；鼓励酒店、宾馆恢复营业。")
    assert classify_industries("关于支持中小微企业和餐饮企业的若干措施", text) == [ALL, "住宿和餐饮业"]


def test_a_text_targeting_no_enterprises_has_no_industry_and_one_for_all_enterprises_has_all():
    # 不限行业 means measures for enterprises in general (LABELLING.md), never "nothing found"
    assert classify_industries("通知", "现将有关事项通知如下。") == []
    assert classify_industries("致市民的一封信", "请广大市民外出佩戴口罩，减少聚集，勤洗手，出现发热及时就医。") == []
    general = ("对中小微企业和个体工商户减免房租；各类企业可申请缓缴社会保险费；"
               "纳税人可延期申报；中小微企业贷款到期的，银行给予续贷；用人单位不裁员的给予稳岗返还。")
    assert classify_industries("关于支持中小微企业渡过难关的若干措施", general) == [ALL]


def test_text_without_topic_evidence_has_no_topic():
    assert classify_topics("通知", "现将有关事项通知如下。") == []


# --- the hand-tagged sample ------------------------------------------------------------------------

def ncp_title(text: str) -> str:
    """The title of a flattened ncp text: its first chunk, joined with the next when short (as in bench/tag_report.py)."""
    chunks = text.split(None, 2)
    title = chunks[0] if chunks else ""
    if len(chunks) > 1 and len(title) < 12 and len(chunks[1]) <= 30:
        title = f"{title} {chunks[1]}"
    return title[:80]


@pytest.fixture(scope="module")
def ncp_corpus() -> dict[str, str]:
    """docid → flattened text of the ncp corpus (skips when the shared data is absent)."""
    path = shared("ncp", "corpus.tsv")
    csv.field_size_limit(1 << 30)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(rows, None)
        return {row[0]: row[1] for row in rows if len(row) >= 2}


@pytest.fixture(scope="module")
def sample() -> list[dict]:
    """The hand-tagged sample."""
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def jaccard(a: set[str], b: set[str]) -> float:
    """Jaccard similarity of two label sets; two empty sets are identical."""
    return 1.0 if not a and not b else len(a & b) / len(a | b)


def test_sample_follows_the_selection_rule(ncp_corpus, sample):
    assert [row["docid"] for row in sample] == sorted(ncp_corpus)[::12]


def test_sample_uses_known_labels_only(sample):
    for row in sample:
        assert set(row["topics"]) <= set(TOPICS), row["docid"]
        assert set(row["industries"]) <= set(GBT_4754_SECTIONS) | {ALL} and row["industries"], row["docid"]
        assert row["level"] in {"central", "provincial", "municipal", "county", None}
        assert row["note"]


@pytest.mark.parametrize("field,classify", [("topics", classify_topics)])
def test_sample_accuracy(ncp_corpus, sample, field, classify, capsys):
    exact = lenient = 0
    misses = []
    for row in sample:
        text = ncp_corpus[row["docid"]]
        predicted, expected = set(classify(ncp_title(text), text)), set(row[field])
        exact += predicted == expected
        lenient += jaccard(predicted, expected) >= 0.5
        if jaccard(predicted, expected) < 0.5:
            misses.append(f"{row['title'][:20]} expected={sorted(expected)} got={sorted(predicted)}")
    with capsys.disabled():
        print(f"\n{field}: exact {exact}/{len(sample)}, Jaccard>=0.5 {lenient}/{len(sample)}")
    assert lenient / len(sample) >= MIN_SAMPLE_ACCURACY, "\n".join(misses)


@pytest.mark.parametrize("field", ["level", "region"])
def test_sample_level_and_region(ncp_corpus, sample, field, capsys):
    """Level and region path through the whole pipeline (extraction, then inference) on the sample."""
    from indexer.build import build_policy
    from indexer.parsers.base import RawDocument
    from policy_search.models import SourceFile

    known = [row for row in sample if row["level"] is not None]
    right, misses = 0, []
    for row in known:
        raw = RawDocument(text=ncp_corpus[row["docid"]], format="tsv", metadata={"id": row["docid"]})
        policy, _ = build_policy(raw, {}, SourceFile(format="tsv"))
        if field == "level":
            ok = policy.level == row["level"]
            got, want = policy.level, row["level"]
        else:
            ok = row["region_path"] is None or list(policy.region.path) == row["region_path"]
            got, want = policy.region.path, row["region_path"]
        right += ok
        if not ok:
            misses.append(f"{row['title'][:24]} expected={want} got={got}")
    with capsys.disabled():
        print(f"\n{field}: {right}/{len(known)} right")
    assert right / len(known) >= MIN_SAMPLE_ACCURACY, "\n".join(misses)


def test_a_document_one_industry_dominates_is_not_also_for_all_industries():
    # 企业 said often in a notice to couriers means the couriers: dominant_ratio in industries.json
    text = ("要求快递企业做好分拣场所消毒，快递企业复工前落实员工测温；"
            "支持快递企业恢复揽收，给予快递企业运输车辆通行便利；对快递企业减免快件运输通行费；"
            "快递企业网点要做好无接触配送。企业复工要落实防控责任；企业要保障员工安全；"
            "企业要做好物资储备；企业应当错峰上下班；帮助企业解决困难。")
    assert classify_industries("关于邮政快递业复工复产的通知", text) == ["交通运输、仓储和邮政业"]


def test_a_label_may_have_its_own_length_settings():
    settings = {**DEFAULT_SETTINGS, "threshold": 6.0}
    short_aware = label_rule("短文", {"keywords": {"餐饮": 3}, "short_text": 1000, "min_factor": 0.5}, settings)
    plain = label_rule("常规", {"keywords": {"酒店": 3}}, settings)
    rules = RuleSet(labels=(short_aware, plain), settings=settings, raw={})
    scores = score_labels("", "对餐饮行业和酒店行业给予补贴。", rules)
    assert scores["短文"] >= 1.0 > scores["常规"]


def test_prevention_words_in_a_tax_or_loan_measure_are_no_prevention_topic():
    # 疫情防控 is not added when the epidemic is only the reason for economic measures (not_with)
    relief = ("对捐赠用于疫情防控的口罩、防护服等防疫物资，免征增值税。"
              "对疫情防控重点保障物资生产企业，给予优惠贷款，用于采购口罩和消毒用品。")
    rules = ("企业复工前应对场所全面消毒，每日两次测温；发现发热员工立即隔离并报告。"
             "员工佩戴口罩上岗，食堂分餐，密切接触者实行医学观察。")
    assert "疫情防控" not in classify_topics("关于支持疫情防控有关税收政策的公告", relief)
    assert "疫情防控" in classify_topics("关于企业复工疫情防控工作的通知", rules)


def test_a_school_closure_notice_is_about_prevention():
    # the guide counts closing schools (延期开学, 停课不停学) as prevention and control measures
    text = ("根据疫情防控需要，全市中小学延期开学，具体开学时间另行通知。延期开学期间，"
            "各校组织开展线上教学，做到停课不停学；学生居家学习，不得返校。")
    assert "疫情防控" in classify_topics("关于中小学延期开学期间线上教学工作的通知", text)


def test_a_package_for_many_sectors_is_general_even_when_one_leads():
    # general_from: four industries with their own measures make a general policy, whatever
    # dominant_ratio says of the general words (it weighs them, not the breadth)
    scores = {"制造业": 4.0, "交通运输、仓储和邮政业": 1.1, "批发和零售业": 1.0, "住宿和餐饮业": 1.3, ALL: 0.2}
    assert industries_from_scores(scores)[0] == ALL
    assert industries_from_scores({"交通运输、仓储和邮政业": 4.2, ALL: 1.0}) == ["交通运输、仓储和邮政业"]


def test_not_with_words_silence_strong_phrases_too():
    settings = {**DEFAULT_SETTINGS}
    rule = label_rule("防控", {"keywords": {"口罩": 1}, "strong": ["防控指引"], "not_with": ["免征"]}, settings)
    rules = RuleSet(labels=(rule,), settings=settings, raw={})
    assert score_labels("", "发布口罩防控指引。", rules)["防控"] >= 1.0
    assert "防控" not in score_labels("", "对防控指引所列口罩免征增值税。", rules)
