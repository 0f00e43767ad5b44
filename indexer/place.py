"""Level and region of a policy: who issued it, and where.

:func:`infer_place` returns ``(level, region)``: level is one of ``central``,
``provincial``, ``municipal``, ``county`` (or None when nothing tells), region
is :data:`policy_search.text.divisions.NATIONAL` for central policies, the issuing
division's :class:`~policy_search.models.Region` otherwise, and an empty
``Region()`` when unknown. Inputs are folded to simplified characters first.
Word lists (central organs and 文号 prefixes, province abbreviations …) are in
``policy_search/data/doc_number_prefixes.json`` for staff to edit.

The sources are tried in this order; the first that tells wins:

0. **A branch that serves a province** (data file: ``province_branches``), named in the issuer,
   the title or the start of the opening: 人民银行成都分行 → 四川省, 兰州海关 → 甘肃省.
1. **Issuer** (the first one of joint issuers). Central when it starts with a
   central organ (国务院, 中共中央, 全国人大, 最高人民法院, ministries, 国家…局,
   海关总署, 中国人民银行 …) or, holding no place name, ends in 部/总局/总署/署.
   A place right after a vertical organ wins (国家税务总局峄城区税务局 → 峄城区).
   Otherwise its leading place names (枣庄市人民政府办公室 → 枣庄市), after a
   party prefix (中共枣庄市委 → 枣庄市).
2. **Title**: the organs before 关于 are read as an issuer (国务院办公厅关于… →
   central); 中华人民共和国… (national laws) and news-style titles led by a
   central organ (教育部：…, 国家税务总局发布…) are central; else the title's leading
   full place names (聊城市城市绿化条例 → 聊城市; 中国（上海）自由贸易试验区 → 上海市).
   After a full name only full names continue the chain (杭州市西湖龙井茶… → 杭州市),
   and a regulation's title (…条例, …规定, …决定) counts its first place only:
   上海市浦东新区…规定 is passed by 上海市.
   A regulation passed by a city congress and approved by the province's
   belongs to the city: the title's place wins over the enactment lines.
   A title speaking of 全省 / 全市 belongs to the province / city of the first
   place the document mentions (…全省新增医用口罩生产企业… → that province).
3. **Opening lines** that start, after a date, with an organ or a place: the
   enactment line of a law (``2017年… 聊城市…人民代表大会…通过``, ``…国务院令第656号公布``),
   an issuer line of a 公文, or a 文号 on its own line (read as in 5). The first
   such line tells.
4. **Title starting with a short name** (深圳经济特区…, 湖北黄冈：…): accepted for
   provinces and cities, for a chain (湖北黄冈), or when a division above it is
   mentioned; never for the common words of the stop list (长治久安, 新建…).
5. **文号 prefix**: central prefixes (国办发, 财税, 人社部发 …) are central;
   a city or county whose short name starts with the prefix (枣政发, 峄政发) only
   when that division is mentioned near the top; then province abbreviations
   (鲁政办发 → 山东省) and classical city abbreviations (穗, 甬 …).
6. **Recipients**: a document addressed to 各省、自治区、直辖市 (人民政府 …) or
   各省（区、市） near its top is central.
7. **Title after 关于/印发/转发** (关于南昌市商贸物流企业… → 南昌市).
8. **National scope**: an opening that speaks for the whole country (新华社北京…电,
   全国各地, 指导各地, 国务院联防联控机制; list in the data file) is central.
9. **National regulations**: a regulation's text (第一条 … 制定本条例) whose title
   names no place, whose opening names none outside 《》, and that never speaks
   of 本市/我省/全县 … is central: local regulations carry their place in the title.
10. **Opening text**: the first place named right before an organ (…局, 人民政府,
   委员会 …) in the first ~600 characters, outside 《》 (cited titles).
11. **What a report is about**: a news story or an interpretation belongs to the body whose
   action it reports, usually the place its title names (上海道口的“硬度”与“温度”, 泉州多举措推进
   渔船复工复产): the first place of the title, full names of any level and short names of
   provinces and cities, else the first such place at the start of the opening. Organ names
   local bodies share with the ministries (市医保局, 市卫生健康委) do not make it central.

A **roundup** (a title on 各地, 多地 or 多省 whose opening names three provinces or more) has
no issuer: it is tried right after the title, and ends the search with no level. Anywhere, a
place name that starts a street's name (临汾路街道, 中山路) or a company's (萍乡人保财险,
江西省融资担保股份有限公司) is not read as a place. A city's development zone (内江经济技术开发区…
leading the issuer, or the title when the issuer names no place) ranks as a county; its region
stays the city, zones having no code.

A name shared by several divisions (普陀区, 朝阳区, 市中区) is narrowed by the
other places mentioned in the issuer, title and opening text (上海市普陀区,
枣庄市市中区). When that does not settle it, the level is kept and the region
is the divisions' common ancestor, or empty.

Level follows the division's kind: province-level → provincial (北京市, 上海市 …
included), city-level → municipal, county-level → county (县级市 such as 滕州市
included). Divisions no longer in the table map to their successor
(莱芜市 → 济南市).
"""
from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field, replace

from policy_search.rules import rule_text
from policy_search.text import divisions
from policy_search.text.divisions import Division
from policy_search.text.fold import fold
from policy_search.models import Region

__all__ = ["infer_place", "rules", "leading_places", "central_organ", "doc_number_prefix"]

#: How much of the text counts as its opening.
HEAD_CHARS = 600
#: How many opening lines are read for issuer or enactment lines.
HEAD_LINES = 8
#: How much of the opening is read for the place a report is about.
REPORT_CHARS = 200

LEVEL_OF_KIND = {"province": "provincial", "city": "municipal", "county": "county"}
CENTRAL = "central"
#: A step's answer that no body issued the text (a roundup of several provinces' news).
NOBODY = "nobody"
#: How many provinces a roundup's opening names, at least.
ROUNDUP_PROVINCES = 3
_ROUNDUP_TITLE = re.compile(r"各地|多地|多省|各省")

_NUMERAL = "〇零一二三四五六七八九十"
#: A leading date, possibly in an opening bracket: (2019年3月28日 …, 二〇一九年三月二十八日 …
_DATE = re.compile(rf"^\s*[（(]?\s*(?:\d{{4}}\s*年\s*\d{{1,2}}\s*月\s*\d{{1,2}}\s*日"
                   rf"|[{_NUMERAL}]{{4}}年[{_NUMERAL}]{{1,2}}月[{_NUMERAL}]{{1,3}}日)?\s*")
_SPACE = re.compile(r"\s+")
_ISSUER_SPLIT = re.compile(r"[\s、,，;；/]+")
_FTZ = re.compile(r"^中国[(（]([\u4e00-\u9fff]{2,8})[)）]")
_ABOUT = re.compile(r"关于(?:印发|转发|批转|做好|进一步|加强|支持)?《?|^(?:印发|转发|批转)《?")
#: Organ words that show a place names the body acting (not a cited document or a topic).
_ORGAN_AFTER = re.compile(
    r"^(?:人民政府|人民代表大会|人大|政府|党委|委员会|[\u4e00-\u9fff]{0,16}?"
    r"(?:局|厅|委|办公室|中心|指挥部|领导小组|工作组|法院|检察院))")
#: An enactment or decree line of a central body, in the opening lines.
_CENTRAL_LINE = re.compile(
    r"^(?:中华人民共和国)?(?:国务院|政务院|中央军事委员会|中央军委|全国人民代表大会|中共中央)"
    r"|^(?:中华人民共和国)?国家[\u4e00-\u9fff]{1,14}?(?:总局|局|委员会|署)(?:令|第|公告|办公厅|\d|.{0,20}通过)"
    r"|^(?:中华人民共和国)?[\u4e00-\u9fff]{1,12}?(?:部|总局|总署|委员会)(?:令|第.{0,8}号|.{0,16}(?:部务|局务|委务|署务|办公)会议)")
#: A line that is nothing but an organ's name (a 公文 header or signature).
_ORGAN_LINE = re.compile(r"^[\u4e00-\u9fff、 ]{2,30}(?:院|厅|部|委|局|署|会|室|行|中心|组|文件|令)$")
#: Titles of local regulations: only the congress that passes them (the first place) counts.
_REGULATION_TITLE = re.compile(r"(?:条例|规定|决定)(?:[(（][^)）]{1,8}[)）])?$")
#: A regulation's opening (第一条 … 制定本条例).
_REGULATION_TEXT = re.compile(r"第一条|制定本(?:条例|规定|办法|细则|规则|决定)")
#: Local self-reference (结合本市实际): the text is not a national regulation.
_LOCAL_SELF = re.compile(r"[我本全](?:市|区|县|省|州|镇|乡)(?![（(、，,]?\s*(?:自治区|直辖市))")
#: A line that is a 文号 on its own (劳社部发〔2008〕3号).
_DOC_NUMBER_LINE = re.compile(r"^[\u4e00-\u9fff]{1,16}\s*[〔\[(（【［]\s*\d{4}\s*[〕\])）】］]\s*第?\s*\d{1,5}\s*号$")
#: 国家 followed by an organ (国家卫生健康委, 国家粮食和物资储备局), not 国家级/国家高新区.
_NATIONAL_ORGAN = re.compile(r"^国家(?!级)[^区市县省镇乡级\s，。、:：]{1,14}?(?:总局|局|委员会|委|署|部|院)")
#: Recipients only central documents address (各省、自治区、直辖市人民政府).
_CENTRAL_RECIPIENTS = re.compile(r"各省\s*[、,，]\s*自治区\s*[、,，]\s*直辖市|各省\s*[(（]\s*(?:自治区|区)\s*[、,，]\s*(?:直辖市|市)\s*[)）]")
_ENDS_CENTRAL = re.compile(r"(?:部|部办公厅|总局|总署|署)$")
#: …部 that are not ministries (指挥部, 组织部 of a party committee, 总部 of a company).
_NOT_MINISTRY = re.compile(r"(?:指挥部|组织部|宣传部|统战部|武装部|工作部|联络部|事业部|项目部|总部|分部|本部|俱乐部|干部|后勤部|营业部|政治部)$")
_LOCAL_START = ("省", "市", "县", "区", "州", "盟", "旗", "乡", "镇", "街道", "自治")
#: What follows a place name used as a street's (临汾路街道, 中山路, 长安街, 南京大道): not the place.
_STREET_AFTER = re.compile(r"^(?:路|街|大街|大道|巷|胡同|里弄)")
_FULL_NAME_ENDS = "省市区县州盟旗"
#: A company's name after a place (江西省融资担保股份有限公司, 萍乡人保财险): a report on it is not
#: a government body's.
_COMPANY_AFTER = re.compile(r"^(?:(?!关于|政府|人民|委|局|厅|办|部|院|会)[^，。、；：:,;\s“”（）()]){0,12}?"
                            r"(?:公司|集团|财险|寿险)")
#: A development zone after a city's name (内江经济技术开发区): the zone's bodies are county level.
_ZONE_AFTER = re.compile(r"^(?:经济技术|经济|高新技术产业|高新技术|高新|综合保税|保税)?(?:开发区|高新区)")


def _names_company(text: str, end: int) -> bool:
    """True when the place name ending at ``end`` starts a company's name."""
    return bool(_COMPANY_AFTER.match(text[end:end + 16]))


def _names_street(text: str, end: int) -> bool:
    """True when the short name ending at ``end`` is part of a street's name (中山路, 临汾路街道);
    a full name stays a place (上海市路政局)."""
    return text[end - 1:end] not in _FULL_NAME_ENDS and bool(_STREET_AFTER.match(text[end:end + 2]))


@functools.lru_cache(maxsize=1)
def rules() -> dict:
    """The staff-editable rules of ``policy_search/data/doc_number_prefixes.json``."""
    raw = rule_text("doc_number_prefixes.json")
    data = {k: v for k, v in json.loads(raw).items() if not k.startswith("_")}
    for key in ("central_issuers", "vertical_organs", "party_prefixes", "central_doc_prefixes"):
        data[key] = tuple(sorted(data[key], key=len, reverse=True))
    data["title_short_name_stoplist"] = frozenset(data["title_short_name_stoplist"])
    return data


@dataclass
class Chain:
    """Place names read one after the other at the start of a string (山东省枣庄市峄城区)."""

    tokens: list[str] = field(default_factory=list)
    candidates: list[list[Division]] = field(default_factory=list)
    first_is_full: bool = False
    end: int = 0

    @property
    def last(self) -> list[Division]:
        """Candidates of the deepest name."""
        return self.candidates[-1] if self.candidates else []


def _token_at(text: str, i: int) -> tuple[str, list[Division], bool] | None:
    """The longest division name (full, former or short) starting at ``i``: (name, divisions, is_full)."""
    former = rules()["former_names"]
    for size in range(min(divisions.max_name_length(), len(text) - i), 1, -1):
        piece = text[i:i + size]
        found = [divisions.get(former[piece])] if piece in former else divisions.lookup(piece)
        if found and not _names_street(text, i + size) and not _names_company(text, i + size):
            return piece, found, piece in former or any(d.name == piece for d in found)
    return None


def _below(candidates: list[Division], above: list[Division]) -> list[Division]:
    """The candidates that lie strictly under one of ``above``."""
    codes = {d.code for d in above}
    return [d for d in candidates if any(a.code in codes for a in divisions.ancestors_and_self(d)[:-1])]


def leading_places(text: str, context: list[Division] = ()) -> Chain:
    """The chain of place names that starts a string, each under the one before.

    A short county name continues a chain only when its full name is among the
    ``context`` divisions (上海宝山… with 宝山区 mentioned).

    >>> leading_places("山东省枣庄市峄城区人民政府").tokens
    ['山东省', '枣庄市', '峄城区']
    >>> chain = leading_places("上海市普陀区商务委员会"); [d.code for d in chain.last]
    ['310107']
    >>> leading_places("湖北黄冈：重症患者").tokens, leading_places("宁波杭州湾新区条例").tokens
    (['湖北', '黄冈'], ['宁波'])
    >>> leading_places("杭州市西湖龙井茶基地保护条例").tokens, leading_places("杭州西湖文化景观").tokens
    (['杭州市'], ['杭州'])
    """
    chain = Chain()
    i = 0
    while i < len(text):
        while i < len(text) and text[i].isspace():
            i += 1
        found = _token_at(text, i)
        if found is None:
            break
        name, candidates, is_full = found
        if chain.candidates and chain.first_is_full and not is_full:
            break  # 杭州市西湖龙井茶: after a full name only full names continue the chain
        if chain.candidates:
            candidates = _below(candidates, chain.last)
            if not is_full:  # 杭州西湖: a county goes by its full name after another place, unless
                mentioned = {d.code for d in context}  # that full name is mentioned (上海宝山 … 宝山区)
                candidates = [d for d in candidates if d.kind != "county" or d.code in mentioned]
            if not candidates:
                break
        else:
            chain.first_is_full = is_full
        chain.tokens.append(name)
        chain.candidates.append(candidates)
        i += len(name)
        chain.end = i
    return chain


def _confirmed(candidates: list[Division], context: list[Division]) -> bool:
    """True when a division above one of the candidates is mentioned."""
    return bool(_below(candidates, context))


def _chain_place(chain: Chain, context: list[Division], strict: bool,
                 organ: bool = False) -> list[Division] | None:
    """Candidates of a leading chain, or None when it is not trusted.

    ``strict`` accepts only a chain starting with a full name; otherwise a
    leading short name counts for a province or city, a chain of two names, a
    county whose province or city is mentioned, or, in an organ's name
    (``organ``), a county whose short name is unique (峄城经济开发区管委会);
    never for stop-listed words.
    """
    if not chain.tokens:
        return None
    if chain.first_is_full:
        return chain.last
    if strict or chain.tokens[0] in rules()["title_short_name_stoplist"]:
        return None
    first = divisions.pick(chain.candidates[0], chain.tokens[0])
    if len(chain.tokens) > 1 or any(d.kind != "county" for d in first) or _confirmed(first, context) \
            or (organ and len(first) == 1):
        return chain.last if len(chain.tokens) > 1 else first
    return None


def _strip_prefix(text: str, prefixes: tuple[str, ...]) -> str | None:
    """The rest of ``text`` after the longest prefix it starts with, or None."""
    for prefix in prefixes:
        if text.startswith(prefix):
            return text[len(prefix):]
    return None


def starts_with_central_organ(text: str) -> bool:
    """True when a string starts with the name of a central organ (国务院, 财政部, 国家卫生健康委 …).

    >>> [starts_with_central_organ(s) for s in ("教育部：通知", "国家税务总局发布", "国家级开发区", "国家高新区管委会")]
    [True, True, False, False]
    """
    text = text.removeprefix("中华人民共和国")
    return _strip_prefix(text, rules()["central_issuers"]) is not None or bool(_NATIONAL_ORGAN.match(text))


def central_organ(name: str, context: list[Division] = (), as_issuer: bool = True):
    """``"central"``, the candidate divisions, or None for an organ name (an issuer).

    >>> central_organ("国务院办公厅"), central_organ("人力资源社会保障部")
    ('central', 'central')
    >>> [d.name for d in central_organ("国家税务总局福建省税务局")]
    ['福建省']
    >>> [d.name for d in central_organ("中共枣庄市委办公室")]
    ['枣庄市']
    """
    name = name.strip()
    if not name:
        return None
    rest = _strip_prefix(name, rules()["vertical_organs"])
    if rest is not None:
        place = _chain_place(leading_places(rest.lstrip(), context), context, strict=False, organ=True)
        if place:
            return place
    if starts_with_central_organ(name):
        return CENTRAL
    rest = _strip_prefix(name, rules()["party_prefixes"])
    place = _chain_place(leading_places(rest if rest is not None else name, context), context, strict=False,
                         organ=as_issuer)
    if place:
        return place
    if as_issuer and _ENDS_CENTRAL.search(name) and not _NOT_MINISTRY.search(name) and len(name) <= 16 \
            and not name.startswith(_LOCAL_START) and not divisions.find_places(name):
        return CENTRAL
    return None


def doc_number_prefix(doc_number: str) -> str:
    """The agency prefix of a 文号, before its year or serial number.

    >>> doc_number_prefix("枣政办发〔2020〕4号"), doc_number_prefix("国令第706号")
    ('枣政办发', '国令')
    """
    folded = _SPACE.sub("", doc_number or "")
    match = re.match(r"^([^\d〔\[(（【{［第]+)", folded)
    return match.group(1) if match else ""


def _is_central_prefix(prefix: str) -> bool:
    """True for a central 文号 prefix (not X政…, the prefix of a local government)."""
    if prefix.startswith(tuple(rules()["not_central_doc_prefixes"])):
        return False
    for central in rules()["central_doc_prefixes"]:
        if prefix.startswith(central):
            return not (len(central) == 1 and prefix[1:2] == "政")
    return False


def _from_doc_number(doc_number: str, context: list[Division]):
    """Central, or the divisions a 文号 prefix points to (see the module rules)."""
    prefix = doc_number_prefix(doc_number)
    if not prefix:
        return None
    if _is_central_prefix(prefix):
        return CENTRAL
    local = [d for d in context if d.kind != "province"
             and (divisions.short_name(d.name) or d.name).startswith(prefix[0])]
    local = list({d.code: d for d in local}.values())
    if len(local) == 1:
        return local
    if len(local) > 1:
        two = [d for d in local if (divisions.short_name(d.name) or d.name).startswith(prefix[:2])]
        return two if len(two) == 1 else None
    for abbreviation in sorted(rules()["province_abbreviations"], key=len, reverse=True):
        if prefix.startswith(abbreviation):
            return divisions.lookup(rules()["province_abbreviations"][abbreviation])
    city = rules()["city_abbreviations"].get(prefix[0])
    return [divisions.get(city)] if city else None


def _first_issuer(issuer: str) -> str:
    """The first organ of a list of joint issuers."""
    parts = [p for p in _ISSUER_SPLIT.split(issuer.strip()) if p]
    return parts[0] if parts else ""


def _from_issuer(issuer: str, context: list[Division]):
    """Central or the issuing divisions, from the issuer field."""
    return central_organ(_first_issuer(issuer), context) if issuer else None


def _title_issuer(title: str) -> str:
    """The organs before 关于 in a title (国务院办公厅关于… → 国务院办公厅), or ''."""
    head, sep, _ = title.partition("关于")
    return head.strip() if sep and 2 <= len(head.strip()) <= 60 else ""


def _from_title(title: str, context: list[Division]):
    """Central or divisions from the title's issuer part or its leading full place names."""
    if not title:
        return None
    organs = _title_issuer(title)
    if organs:
        found = central_organ(_first_issuer(organs), context)
        if found:
            return found
    if title.startswith("中华人民共和国"):
        return CENTRAL
    if starts_with_central_organ(title) and central_organ(_first_issuer(re.split(r"[:：]", title)[0]), context,
                                                          as_issuer=False) == CENTRAL:
        return CENTRAL  # 教育部：…, 国家税务总局发布…
    chain = leading_places(_FTZ.sub(r"\1", title), context)
    if _REGULATION_TITLE.search(title) and chain.first_is_full:
        del chain.tokens[1:], chain.candidates[1:]  # 上海市浦东新区…规定 is passed by 上海市
    return _chain_place(chain, context, strict=True)


def _from_title_short(title: str, context: list[Division]):
    """Divisions from a title starting with a short name (深圳经济特区…, 湖北黄冈…)."""
    return _chain_place(leading_places(_FTZ.sub(r"\1", title), context), context, strict=False) if title else None


def _from_recipients(head: str):
    """Central when the document is addressed to every province (各省、自治区、直辖市…)."""
    return CENTRAL if _CENTRAL_RECIPIENTS.search(head[:300]) else None


#: National-scope phrases count only this near the start (later they are usually quoted).
_SCOPE_CHARS = 160


def _from_national_scope(head: str):
    """Central when the opening speaks for the whole country (新华社北京…电, 全国各地, 指导各地)."""
    return CENTRAL if any(p in head[:_SCOPE_CHARS] for p in rules()["national_scope"]) else None


def _from_title_scope(title: str, context: list[Division]):
    """A title speaking of 全省 (全市) is the province's (city's) of the places mentioned."""
    kind = "province" if "全省" in title else "city" if "全市" in title else None
    if kind is None:
        return None
    found = [d for d in divisions.ancestors_and_self(context[0]) if d.kind == kind] if context else []
    return found or None


def _from_title_about(title: str, context: list[Division]):
    """Divisions named right after 关于/印发/转发 in the title."""
    match = _ABOUT.search(title or "")
    return _chain_place(leading_places(title[match.end():]), context, strict=True) if match else None


def _opening_lines(head: str) -> list[str]:
    """The first non-empty lines of the opening text, without a leading date or 经."""
    lines = []
    for line in head.splitlines():
        line = _DATE.sub("", line.strip().lstrip("#").strip())
        line = line[1:] if line.startswith("经") else line
        if line:
            lines.append(line)
        if len(lines) >= HEAD_LINES:
            break
    return lines


def _from_lines(head: str, context: list[Division]):
    """Central or divisions from the first opening line that starts with an organ or a place."""
    for line in _opening_lines(head):
        if _CENTRAL_LINE.match(line):
            return CENTRAL
        if _DOC_NUMBER_LINE.match(line):
            found = _from_doc_number(line, context)
            if found:
                return found
            continue
        found = central_organ(line, context, as_issuer=False)
        if found == CENTRAL:
            if _ORGAN_LINE.match(line):
                return CENTRAL
            continue
        if found:
            return found
    return None


def _outside_quotes(text: str) -> list[bool]:
    """For each character, True when it is outside 《》."""
    depth, flags = 0, []
    for char in text:
        if char == "《":
            depth += 1
        flags.append(depth == 0)
        if char == "》" and depth:
            depth -= 1
    return flags


def _from_roundup(title: str, head: str):
    """Nobody, for a roundup: a title on 各地 (多地, 多省) whose opening names several provinces."""
    if not _ROUNDUP_TITLE.search(title[:30]):
        return None
    named = [d for d, _, _ in divisions.find_places(head)] + [d for _, found in _short_places(head) for d in found]
    provinces = {divisions.ancestors_and_self(d)[0].code for d in named}
    return NOBODY if len(provinces) >= ROUNDUP_PROVINCES else None


def _from_mentions(head: str, context: list[Division]):
    """Divisions of the first place chain in the opening text that names an acting organ."""
    outside = _outside_quotes(head)
    places = divisions.find_places(head)
    groups: list[tuple[int, int, list[Division]]] = []
    for division, start, end in places:  # one group per span (an ambiguous name has several divisions)
        if groups and groups[-1][0] == start:
            groups[-1][2].append(division)
        else:
            groups.append((start, end, [division]))
    for index, (start, end, found) in enumerate(groups):
        chained = index + 1 < len(groups) and groups[index + 1][0] == end
        follows = index > 0 and groups[index - 1][1] == start
        generic = all(len(d.name) <= 2 or d.name in divisions.GENERIC_NAMES for d in found)
        if chained or not outside[start] or (generic and not follows) or _names_company(head, end):
            continue
        if _ORGAN_AFTER.match(head[end:end + 20]):
            return found
    return None


def _from_national_regulation(title: str, head: str):
    """Central for a regulation (第一条 … 制定本条例) that names no place in its title, none in its
    opening outside 《》, and does not speak of itself as local (本市, 我省 …)."""
    if not _REGULATION_TEXT.search(head) or _LOCAL_SELF.search(head):
        return None
    if _chain_place(leading_places(title), [], strict=False) or divisions.find_places(title):
        return None
    outside = _outside_quotes(head)
    if any(outside[start] for _, start, _ in divisions.find_places(head)):
        return None
    return CENTRAL


@functools.lru_cache(maxsize=1)
def _province_branch_pattern() -> re.Pattern:
    """The ``province_branches`` of the data file as one pattern, the place captured."""
    forms = [re.escape(form).replace(re.escape("{place}"), "([\u4e00-\u9fff]{2,8}?)")
             for form in rules()["province_branches"]]
    return re.compile("|".join(f"(?:{form})" for form in forms))


def _from_branch(*texts: str):
    """The province served by the first branch of ``province_branches`` the texts name (the
    place is the longest end of what stands before the organ that names a province or city)."""
    pattern = _province_branch_pattern()
    for text in texts:
        for match in pattern.finditer(text):
            place = next(g for g in match.groups() if g)
            for start in range(len(place) - 1):
                found = [d for d in divisions.lookup(place[start:]) if d.kind in ("province", "city")]
                if found:
                    return list({a.code: a for a in (divisions.ancestors_and_self(d)[0] for d in found)}.values())
    return None


def _from_report(title: str, head: str):
    """Central, or the divisions of the place a report is about: in its title, else in the first
    ``REPORT_CHARS`` of its opening: the place it names (:func:`_first_place`), or central when a
    central organ is named before it (财政部、税务总局等部门发布…), outside 《》."""
    for text in (title, head[:REPORT_CHARS]):
        outside = _outside_quotes(text)
        place = _first_place(text, outside)
        organ = next((at for at in _central_organ_places(text) if outside[at]), None)
        if organ is not None and (place is None or organ < place[0]):
            return CENTRAL
        if place is not None:
            return place[1]
    return None


def _first_place(text: str, outside: list[bool]) -> tuple[int, list[Division]] | None:
    """Where the first place of a text is named, and its divisions: a full name (any level), else
    the short name of a province or city (上海, 泉州) that is not a word of the stop list."""
    for division, start, end in divisions.find_places(text):
        if outside[start] and (division.name.endswith(divisions.SUFFIXES) or len(division.name) > 2):
            if _names_company(text, end):
                continue
            return start, divisions.lookup(division.name) or [division]
    return next(((i, found) for i, found in _short_places(text) if outside[i]), None)


def _short_places(text: str):
    """(where, divisions) of each short name of a province or city in a text (上海, 泉州, 天津), but
    for words of the stop list and names that start a street's or a company's name."""
    stoplist = rules()["title_short_name_stoplist"]
    for i in range(len(text) - 1):
        for size in (3, 2):
            piece = text[i:i + size]
            named = [d for d in divisions.lookup(piece) if d.kind in ("province", "city") and d.name != piece]
            if named and piece not in stoplist and not _names_street(text, i + size) \
                    and not _names_company(text, i + size):
                yield i, named
                break


def _central_organ_places(text: str) -> list[int]:
    """Where the central organs of the data file (国务院, 财政部, 中国气象局 …) are named in a text,
    leaving out the names local bodies share (市医保局, 省卫生健康委, 萍乡发改委)."""
    return sorted(at for name in rules()["central_issuers"] for at in _find_all(text, name)
                  if not _local_before(text, at))


def _local_before(text: str, at: int) -> bool:
    """True when what stands before ``at`` makes an organ local: 市, 省, 区 … or a place's name."""
    if at and text[at - 1] in "省市区县州盟旗镇乡":
        return True
    return any(divisions.lookup(text[at - size:at]) for size in (2, 3) if at >= size)


def _find_all(text: str, word: str) -> list[int]:
    found, at = [], text.find(word)
    while at >= 0:
        found.append(at)
        at = text.find(word, at + 1)
    return found


def _mentioned(*texts: str) -> list[Division]:
    """Every division named in the texts (full names), for disambiguation."""
    seen: dict[str, Division] = {}
    for text in texts:
        for division, _, _ in divisions.find_places(text):
            seen.setdefault(division.code, division)
    return list(seen.values())


def _disambiguate(candidates: list[Division], context: list[Division]) -> list[Division]:
    """The candidates with the most mentioned divisions above them, when that is one."""
    unique = list({d.code: d for d in candidates}.values())
    if len(unique) <= 1:
        return unique
    context_codes = {d.code for d in context}
    scores = [sum(a.code in context_codes for a in divisions.ancestors_and_self(d)[:-1]) for d in unique]
    best = max(scores)
    winners = [d for d, s in zip(unique, scores) if s == best]
    return winners if best > 0 and len(winners) == 1 else divisions.pick(unique, unique[0].name)


def _common_ancestor(candidates: list[Division]) -> Division | None:
    """The deepest division above or equal to all candidates, or None."""
    chains = [divisions.ancestors_and_self(d) for d in candidates]
    common = None
    for level in zip(*chains):
        if len({d.code for d in level}) != 1:
            break
        common = level[0]
    return common


def conclude(candidates: list[Division], context: list[Division]) -> tuple[str | None, Region]:
    """Level and region for the issuing candidates, narrowed by the mentioned places.

    >>> conclude(divisions.lookup("普陀区"), [])
    ('county', Region(code='', name='', path=[]))
    >>> conclude(divisions.lookup("普陀区"), divisions.lookup("上海市"))[1].path
    ['上海市', '普陀区']
    """
    chosen = _disambiguate(candidates, context)
    if len(chosen) == 1:
        return LEVEL_OF_KIND[chosen[0].kind], divisions.region_of(chosen[0])
    kinds = {d.kind for d in chosen}
    level = LEVEL_OF_KIND[kinds.pop()] if len(kinds) == 1 else None
    common = _common_ancestor(chosen)
    return level, divisions.region_of(common) if common else Region()


def _names_city_zone(name: str) -> bool:
    """True when an issuer (or, when the issuer names no place, a title) starts with a city's
    development zone (内江经济技术开发区管委会); a city government's rules for its zone stay the city's."""
    chain = leading_places(name)
    return bool(chain.tokens) and all(d.kind == "city" for d in chain.last) and bool(_ZONE_AFTER.match(name[chain.end:]))


def infer_place(issuer: str | None, doc_number: str | None, title: str | None,
                text: str) -> tuple[str | None, Region]:
    """Level (central/provincial/municipal/county or None) and region of a policy.

    >>> infer_place("枣庄市人民政府办公室", "枣政办发〔2020〕4号", None, "")
    ('municipal', Region(code='370400', name='枣庄市', path=['山东省', '枣庄市']))
    >>> infer_place("国务院办公厅", None, None, "")[0]
    'central'
    >>> infer_place(None, None, "聊城市城市绿化条例", "2017年… 山东省人民代表大会常务委员会批准")[1].path
    ['山东省', '聊城市']
    """
    issuer_f, number_f, title_f = fold(issuer or ""), fold(doc_number or ""), fold(title or "")
    head = fold((text or "")[:HEAD_CHARS])
    context = _mentioned(issuer_f, title_f, head)
    steps = (
        lambda: _from_branch(issuer_f, title_f, head[:REPORT_CHARS]),
        lambda: _from_issuer(issuer_f, context),
        lambda: _from_title(title_f, context),
        lambda: _from_roundup(title_f, head),
        lambda: _from_title_scope(title_f + head[:40], context),
        lambda: _from_lines(head, context),
        lambda: _from_title_short(title_f, context),
        lambda: _from_doc_number(number_f, context),
        lambda: _from_recipients(head),
        lambda: _from_title_about(title_f, context),
        lambda: _from_national_scope(head),
        lambda: _from_national_regulation(title_f, head),
        lambda: _from_mentions(head, context),
        lambda: _from_report(title_f, head),
    )
    for step in steps:
        found = step()
        if found == CENTRAL:
            return CENTRAL, replace(divisions.NATIONAL, path=[])
        if found == NOBODY:
            return None, Region()
        if found:
            level, region = conclude(found, context)
            if level == "municipal" and _names_city_zone(issuer_f if leading_places(issuer_f).tokens else title_f):
                level = "county"  # a city's 开发区 ranks as a county (its region stays the city's)
            return level, region
    return None, Region()
