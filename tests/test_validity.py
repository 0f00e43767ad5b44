"""How long a policy is in force, read from its text: hand-written phrases and the real ncp corpus."""
from __future__ import annotations

import datetime

import pytest

from indexer.validity import find_valid_until
from policy_search.models import validity_status
from policy_search.text.dates import find_dates

from helpers import shared

#: Body text that carries no validity phrase, to push a sentence out of (or into) the tail.
FILLER = "各地要结合实际抓好落实，加强组织领导，确保各项政策措施落地见效。" * 40


@pytest.mark.parametrize("text, start, expected", [
    # explicit end dates
    ("本通知自印发之日起施行，有效期至2020年12月31日。", None, "2020-12-31"),
    ("本办法有效期截至2021年6月30日。", None, "2021-06-30"),
    ("五、执行期限至2020年12月31日。", None, "2020-12-31"),
    ("本政策执行至2020年底。", None, "2020-12-31"),
    ("本政策执行至2020年年底。", None, "2020-12-31"),
    ("（七）实施期限为2020年2月1日至2020年6月30日。", None, "2020-06-30"),
    ("本意见有效期为2020年3月1日至2022年2月28日。", None, "2022-02-28"),
    ("政策执行期限自2020年2月1日起至2020年12月31日止。", None, "2020-12-31"),
    ("本措施自印发之日起实施，至2020年12月31日止。", None, "2020-12-31"),
    ("本通知有效期到2020年6月底。", None, "2020-06-30"),
    ("本通知有效期到2021年2月底。", None, "2021-02-28"),
    ("本通知截止日期为2020年9月30日。", None, "2020-09-30"),
    ("本政策执行期为2020年2月10日至2020年5月10日。", None, "2020-05-10"),
    ("自2020年3月1日起施行，有效期至2021年2月28日。", None, "2021-02-28"),
    ("有效期：2020年3月1日—2022年2月28日。", None, "2022-02-28"),
    ("本通知有效期至２０２０年１２月３１日。", None, "2020-12-31"),
    ("本通知有效期至二〇二〇年十二月三十一日。", None, "2020-12-31"),
    ("本通知自2020年2月10日起施行，至6月30日止。", None, "2020-06-30"),
    ("本通知自发布之日起暂执行至2020年6月30日止。", None, "2020-06-30"),
    # several measures in the document's own sentence: the latest end
    ("本通知第一条执行至2020年6月30日，第二条执行至2020年12月31日。", None, "2020-12-31"),
    # relative periods: start (or the date after 自…起) + period - 1 day
    ("本通知自印发之日起施行，有效期两年。", "2020-03-05", "2022-03-04"),
    ("本办法自印发之日起施行，有效期2年。", "2020-03-05", "2022-03-04"),
    ("本通知自印发之日起施行，有效期3个月。", "2020-02-10", "2020-05-09"),
    ("本办法有效期五年。", "2020-01-01", "2024-12-31"),
    ("本办法有效期十二个月。", "2020-01-15", "2021-01-14"),
    ("本意见自印发之日起施行，有效期半年。", "2020-02-01", "2020-07-31"),
    ("本办法自2020年3月1日起施行，有效期两年。", "2020-02-20", "2022-02-28"),
    ("上述相关条款除国、省另有规定外，执行期限自发布之日起3个月止。", "2020-02-05", "2020-05-04"),
    ("本政策自发布之日起施行，施行期暂定为6个月。", "2020-02-04", "2020-08-03"),
    ("本政策执行期暂定为自发布之日起的三个月。", "2020-02-06", "2020-05-05"),
    ("本办法自印发之日起施行，有效期一年半。", "2020-03-01", "2021-08-31"),
    ("本通知有效期至6月30日。", "2020-02-10", "2020-06-30"),  # the year of the start date
    # 有效期至 counts anywhere, even far from the end
    ("本通知有效期至2020年12月31日。" + FILLER, None, "2020-12-31"),
    # a measure's period in the body, the document's own period at the end: the latter wins
    ("社会保险费减半征收执行至2020年6月30日。" + FILLER + "本通知自印发之日起施行，有效期至2021年12月31日。",
     None, "2021-12-31"),
])
def test_found(text, start, expected):
    assert find_valid_until(text, start) == expected


@pytest.mark.parametrize("text, start", [
    ("", "2020-02-10"),
    # a measure's period, not the document's
    ("2020年2月至6月减半征收房产税和城镇土地使用税。", "2020-02-10"),
    ("对小微企业2020年2月1日至2020年6月30日减半征收房产税。本办法自印发之日起施行。", "2020-02-10"),
    ("单位费率及职工个人费率均为0.5%，执行至2021年7月31日。", None),
    ("执行期限由原“疫情防控期间”延长至2020年6月30日。", None),
    ("实施期限至2022年12月31日。" + FILLER, None),  # not in the tail and no 有效期至
    ("《关于降低企业用电成本的通知》进一步明确执行至2020年6月30日。", None),
    # certificates and licences, not the document
    ("对快递业务经营许可，延长有效期至2020年6月底。", None),
    ("食品从业人员健康证明有效期顺延至2020年6月30日。", None),
    ("颁发有效期3个月的临时医疗器械注册证。", "2020-02-10"),
    ("所使用消毒剂应在有效期内。", "2020-02-10"),
    ("截至2020年2月13日，各级财政用于防护物资购置的支出达到259.4亿元。", None),
    # no end stated
    ("本规定为暂行规定，自印发之日起施行。", "2020-02-10"),
    ("本办法长期有效。", "2020-02-10"),
    ("本通知自印发之日起施行。", "2020-02-10"),
    ("本通告自即日起施行，有效期至新型冠状病毒感染肺炎疫情解除。", "2020-02-10"),
    ("本意见自印发之日起施行，有效期至新冠肺炎疫情解除后再顺延3个月。", "2020-02-10"),
    ("六、本公告自2020年1月1日起实施，截止日期视疫情情况另行公告。", None),
    ("本通知有效期至2020年13月1日。", None),
    # a relative period without a start date stays unknown
    ("本通知自印发之日起施行，有效期两年。", None),
    ("本通知有效期至6月30日。", None),  # no year anywhere
    ("本通知有效期至6月30日。", "2020-08-01"),  # before the start: not this year's 30 June
])
def test_not_found(text, start):
    assert find_valid_until(text, start) is None


@pytest.mark.parametrize("valid_until, today, expected", [
    ("2020-12-31", datetime.date(2020, 12, 31), "in_force"),
    ("2020-12-31", datetime.date(2021, 1, 1), "expired"),
    ("2030-01-01", datetime.date(2021, 1, 1), "in_force"),
    (None, datetime.date(2021, 1, 1), "unknown"),
])
def test_validity_status(valid_until, today, expected):
    assert validity_status(valid_until, today) == expected


# --- the real ncp corpus ------------------------------------------------------------

#: Documents whose validity sentence was read by hand: docid prefix, start date given
#: (None: the first date in the last 200 characters), expected value, and the sentence.
HAND_CHECKED = [
    ("45192984", None, "2020-12-31", "以上政策措施…自印发之日起实施，有效期至2020年底"),
    ("abceb7e0", None, "2020-12-31", "以上政策措施…自印发之日起实施，有效期至2020年底"),
    ("598e8dc5", None, "2020-06-30", "本政策执行期暂定为自政策发布之日起至2020年6月30日"),
    ("83f1b5b7", None, "2020-06-30", "本通知自发布之日起暂执行至2020年6月30日止"),
    ("a302334a", None, "2020-06-30", "本通知适用截止时间为2020年6月30日"),
    ("9d4f63c5", None, "2020-08-03", "本政策自发布之日起施行，施行期暂定为6个月 (signed 2020年2月4日)"),
    ("a76e9e34", None, "2020-05-03", "本政策执行期暂定为自政策发布之日起三个月 (signed 2020年2月4日)"),
    ("ad65ee76", "2020-02-06", "2020-05-05", "本政策执行期暂定为自发布之日起的三个月 (印发 2020年2月6日)"),
    ("ad65ee76", None, None, "the same, no date in the last 200 characters: unknown"),
    ("5efb2c35", None, None, "有效期至新冠肺炎疫情解除后再顺延3个月"),
    ("b998c243", None, None, "有效期至我区突发公共卫生事件一级应急响应解除之日止"),
    ("106e7e51", None, None, "本公告自2020年1月1日起实施，截止日期视疫情情况另行公告"),
    ("087b52e8", None, None, "news: 失业保险缴费费率…执行至2021年7月31日 is a measure"),
    ("6a93bab7", None, None, "measures: 实施期限至2022年12月31日 in the body, no document period"),
    ("17ffc231", None, None, "news: 快递业务经营许可，延长有效期至6月底 is a licence"),
]


@pytest.fixture(scope="module")
def ncp_corpus() -> dict[str, str]:
    """docid → text of the 599 real COVID-era policy documents."""
    path = shared("ncp", "corpus.tsv")
    lines = path.read_text(encoding="utf-8").splitlines()[1:]
    return dict(line.split("\t", 1) for line in lines if "\t" in line)


def _tail_date(text: str) -> str | None:
    """The first date in a text's last 200 characters (usually its signature date)."""
    dates = find_dates(text[-200:])
    return dates[0][0] if dates else None


def test_ncp_corpus_dates_are_plausible(ncp_corpus):
    assert len(ncp_corpus) == 599
    found = {docid: find_valid_until(text, _tail_date(text)) for docid, text in ncp_corpus.items()}
    dated = {docid: value for docid, value in found.items() if value}
    print(f"\nncp: {len(dated)} of {len(found)} documents have a valid_until")
    assert dated, "no document of the real corpus got a date"
    for docid, value in dated.items():
        assert "2020-01-01" <= value <= "2030-12-31", (docid, value)


@pytest.mark.parametrize("prefix, start, expected, sentence", HAND_CHECKED,
                         ids=[f"{p}-{e}" for p, _, e, _ in HAND_CHECKED])
def test_ncp_hand_checked(ncp_corpus, prefix, start, expected, sentence):
    (docid,) = [d for d in ncp_corpus if d.startswith(prefix)]
    text = ncp_corpus[docid]
    assert find_valid_until(text, start or _tail_date(text)) == expected, sentence
