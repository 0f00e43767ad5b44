"""Metadata of an official document (公文) from its text: title, 文号, issuer, dates.

:func:`extract_metadata` fills what the parser did not find. Values the file
states explicitly (``raw.metadata``: an HTML 信息表, DOCX properties ...) win
but are normalised: 文号 canonical (``国办发〔2020〕6号``), dates ISO, issuers
with several organs joined by ``、`` (``国务院、中央军委``, gov.cn's own style).

Rules for the text, in the order of a 公文's layout:

* **title** — a Markdown ``# 标题`` first line; else, below any site
  furniture (a site's name and section labels, ``山东省人民政府 政策文件``;
  see :mod:`indexer.furniture`) and skipping the header (``XX文件``,
  ``XX令``, ``第N号``, the 文号, urgency marks, dates), the first body line,
  or two to four lines joined (titles are often broken over lines; brackets
  must balance; as many organ-name lines as stand above the title, a
  letterhead printed twice counted once), that ends in a document type (通知,
  意见, 办法, 条例, 批复, 函 … optionally followed by （试行） and the like),
  without a 文号 written onto it. Below furniture, a heading that is a title
  in 《》 (a 解读 of that document) is the title, brackets kept. A decree
  (``XX令``) may put its title after the signed preamble. Else the opening
  text: the first line with six or more Chinese characters that is not only
  an institution's or a site's name, without the addressees (各…单位：) it may
  start with, cut to 60; an issuer is read from it only when it is a line as
  written. Text flattened onto one line with spaces for line breaks is split
  on the spaces first.
* **doc_number** — the first 文号 in the head of the document: the lines
  before the salutation (the first line ending in ：), at most 8 lines and 300
  characters. A 文号 cited further down ("根据国办发〔2020〕6号文件") is never
  taken as the document's own; a document whose head has none gets None.
* **issuer** — from the title, the organ names before 关于/转发/印发/批转/对
  ("国务院办公厅转发…" → 国务院办公厅); else from the first signature (organ-name
  lines right above a date line); else from the header (``XX文件``,
  ``中华人民共和国国务院令`` → 国务院). Several organs are joined by 、.
* **written_date** (成文日期) — the first date line that follows a signature
  (an organ name, or "总理 李克强" in a decree); else the last date line.
* **publish_date** — only when the text states it: 发布日期/发布时间/公布日期.

An organ's name ends in 政府, 厅, 局, 部, 委, 银行 … or in one of the ``institution_endings``
staff keep in ``policy_search/data/title_furniture.json`` (支行, 海关 …).

Text in traditional characters is read in simplified ones (:func:`policy_search.text.fold.simplify`,
one character for one) and what is found is reported as the document writes it: the title
and issuer in their own characters, the 文号 as :mod:`policy_search.text.docnumber` finds it
(``嶧政辦發〔2020〕5號``).
"""
from __future__ import annotations

import re

from indexer.furniture import is_institution_name, is_only_a_name, strip_site_head
from indexer.parsers.base import RawDocument
from policy_search.text.dates import find_dates, parse_chinese_date
from policy_search.text.docnumber import find_doc_numbers, normalize_doc_number
from policy_search.text.fold import simplify

__all__ = [
    "extract_metadata", "find_title", "find_heading", "issuer_from_title", "find_signature",
    "issuer_from_header", "find_own_doc_number", "find_publish_date",
    "normalize_issuer", "normalize_date", "normalize_title", "layout_lines", "as_written", "has_title",
]

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff"
_TITLE_TYPES = (
    "通知", "意见", "办法", "措施", "决定", "方案", "规定", "条例", "公告", "通告", "通报",
    "批复", "复函", "函", "报告", "请示", "纪要", "细则", "规则", "规划", "纲要", "指引",
    "指南", "计划", "要点", "答复", "决议", "命令", "法", "章程", "标准", "公报", "清单",
    "目录", "制度", "预案", "议案", "建议", "说明", "批示", "令", "预算", "决算",
)
_TITLE_END = re.compile(
    "(?:%s)(?:[（(〔][^（()）〔〕]{1,20}[)）〕])*$" % "|".join(
        sorted(_TITLE_TYPES, key=len, reverse=True)))
_ORGAN_END = re.compile(
    r"(?:人民政府|政府|办公厅|办公室|委员会|常委会|总局|分局|局|厅|部|委|署|院|会|中心|银行|"
    r"公司|集团|党组|小组|协会|中央|军区|法院|检察院|社|所|办|处|站|馆|团)$")
_ISSUER_SEPARATORS = re.compile(r"[\s、，,；;]+")
_TITLE_ISSUER = re.compile(r"^(.{2,60}?)(?:关于|转发|印发|批转|对)")
_URGENCY = re.compile(r"^(?:特急|加急|急件|平急|特提|明电|内部事项|普通事项|机密|秘密|绝密|"
                      r"[★☆]|密级|签发人|等级|份号|发电单位)")
_DECREE_HEADER = re.compile(r"^(?:中华人民共和国)?(.{2,30}?)令(?:第\d+号)?$")
_PERSON_SIGNATURE = re.compile(r"^(?:总理|副总理|主席|部长|局长|主任|署长|行长|省长|市长|县长|区长)\s*\S{1,4}$")
_PUBLISH_LABEL = re.compile(r"(?:发布日期|发布时间|公布日期|发文日期|印发日期)\s*[:：]?\s*")
_PLACEHOLDERS = {"", "无", "/", "-", "—", "－", "暂无", "null", "none"}
_HEAD_LINES = 8
#: A head line that cites another document (《…》, 根据 …) does not carry the document's own 文号.
_CITING = re.compile(r"《|根据|依据|按照|参照|依照")
_HEAD_CHARS = 300
_TITLE_WINDOW = 15
#: A 文号 written onto the end of a title, or before it with a dash or space.
_GLUED_NUMBER_END = re.compile(r"[〔\[(（【［]\s*(?:19|20)\d{2}\s*[〕\])）】］]\s*第?\s*\d{1,6}\s*号$")
_GLUED_NUMBER_START = re.compile(
    rf"^([{_CJK}]{{1,20}}[〔\[(（【［]\s*(?:19|20)\d{{2}}\s*[〕\])）】］]\s*第?\s*\d{{1,6}}\s*号)\s*[-－—–]+\s*")
#: A salutation (主送机关) at the start of a line: addressees (各…单位, 各…局) up to a colon.
_GLUED_SALUTATION = re.compile(
    r"^[^。：:]{0,100}?各[^。：:]{0,60}?(?:单位|部门|机构|机关|政府|局|厅|委|办|院|会|中心|公司|企业)[：:]")
#: A title read from the opening text is cut to this many characters.
_FALLBACK_CHARS = 60
#: How many organ names may stand above a title, one a line (joint documents of many bodies).
_MAX_ORGAN_LINES = 10


def _squeeze(s: str) -> str:
    """Collapse whitespace; drop letter-spacing between CJK characters.

    A space goes when a one-character word stands next to it (国 家 粮 食,
    组 长); a space between longer words (two organ names) stays.

    >>> _squeeze("国 家 粮 食 应急预案"), _squeeze("山东省人社厅  山东省财政厅关于")
    ('国家粮食应急预案', '山东省人社厅 山东省财政厅关于')
    """
    words = s.split()
    if not words:
        return ""
    out = words[0]
    for prev, word in zip(words, words[1:]):
        cjk_join = re.match(rf"[{_CJK}]", word) and re.search(rf"[{_CJK}]$", prev)
        out += "" if cjk_join and (len(prev) == 1 or len(word) == 1) else " "
        out += word
    return out


def normalize_title(s: str | None) -> str | None:
    """A title with layout spaces and Markdown heading marks removed; None if empty.

    >>> normalize_title("国务院办公厅关于印发 国 家 粮 食 应 急 预 案 的 函")
    '国务院办公厅关于印发国家粮食应急预案的函'
    >>> normalize_title("# 专利代理条例 ")
    '专利代理条例'
    """
    if s is None:
        return None
    s = _squeeze(re.sub(r"^\s*#+\s*", "", str(s)))
    return s or None


def normalize_date(s) -> str | None:
    """ISO date from a date string or the first date in a longer string.

    >>> normalize_date("2018年11月05日"), normalize_date("2018-11-12 16:04"), normalize_date("无")
    ('2018-11-05', '2018-11-12', None)
    """
    if s is None:
        return None
    s = str(s).strip()
    iso = parse_chinese_date(s)
    if iso:
        return iso
    found = find_dates(s)
    return found[0][0] if found else None


def normalize_issuer(s: str | None) -> str | None:
    """Issuer with several organs joined by 、 (spaces, commas and 、 all separate).

    >>> normalize_issuer("国务院 中央军委"), normalize_issuer(" 国务院办公厅 ")
    ('国务院、中央军委', '国务院办公厅')
    """
    if s is None:
        return None
    parts = [p for p in _ISSUER_SEPARATORS.split(str(s).strip()) if p]
    return "、".join(parts) or None


def _normalize_doc_number_value(s) -> str | None:
    """Canonical 文号 for an explicit value; unrecognised but real values kept as given."""
    if s is None:
        return None
    s = re.sub(r"\s+", " ", str(s)).strip()
    if s.lower() in _PLACEHOLDERS:
        return None
    canonical = normalize_doc_number(s)
    if canonical:
        return canonical
    found = find_doc_numbers(s)
    return found[0] if found else s


def _is_organ(s: str) -> bool:
    """Whether ``s`` looks like one or more organ names (each ending in 政府, 厅, 局 ..., or as
    one of the staff's ``institution_endings``: 中国人民银行枣庄市中心支行).

    >>> _is_organ("枣庄市地方金融监督管理局 中国人民银行枣庄市中心支行"), _is_organ("二〇二〇年三月")
    (True, False)
    """
    parts = [p for p in _ISSUER_SEPARATORS.split(s) if p]
    return bool(parts) and all(
        2 <= len(p) <= 30 and re.fullmatch(rf"[{_CJK}（）()]+", p)
        and _ends_like_an_organ(re.sub(r"[（(][^（()）]*[)）]$", "", p))  # 领导小组（指挥部）
        for p in parts)


def _ends_like_an_organ(name: str) -> bool:
    return bool(_ORGAN_END.search(name)) or is_institution_name(name)


def _is_date_line(line: str) -> str | None:
    """ISO date if the whole line is a date (brackets allowed), else None."""
    return parse_chinese_date(line.strip().strip("（）()[]【】 "))


def _is_header_line(line: str) -> bool:
    """Whether a top line is header matter: XX文件, XX令, 第N号, a 文号, urgency marks."""
    compact = re.sub(r"\s+", "", line)
    if _without_glued_doc_number(compact) != compact:
        return False  # a title with its 文号 written onto it
    return bool(
        re.fullmatch(rf"[{_CJK}]{{2,40}}文件", compact)
        or _DECREE_HEADER.fullmatch(compact)
        or re.fullmatch(r"第\d+号", compact)
        or re.fullmatch(r"[\d\s]{1,12}", compact)
        or normalize_doc_number(compact)
        or (len(compact) <= 40 and find_doc_numbers(compact) and not _TITLE_END.search(compact))
        or _URGENCY.match(compact)
        or _is_date_line(compact))


def _starts_with_organ(line: str) -> bool:
    """Whether a line is an organ's name, or starts with one before 关于/印发/转发 …

    >>> _starts_with_organ("税务总局"), _starts_with_organ("税务总局关于…的公告"), _starts_with_organ("关于…的通知")
    (True, True, False)
    """
    if _is_organ(line):
        return True
    m = _TITLE_ISSUER.match(line)
    return bool(m and _is_organ(m.group(1)))


def _without_glued_doc_number(title: str) -> str:
    """A title without the 文号 written onto its end or its start (``…的通知人社部发〔2020〕11号``,
    ``石政发〔2020〕3号-…的通知``).

    >>> _without_glued_doc_number("税务总局关于阶段性减免企业社会保险费的通知人社部发〔2020〕11号")
    '税务总局关于阶段性减免企业社会保险费的通知'
    >>> _without_glued_doc_number("石政发〔2020〕3号-北京市石景山区人民政府关于印发…的通知")
    '北京市石景山区人民政府关于印发…的通知'
    """
    found = find_doc_numbers(title)
    if not found:
        return title
    trailing = _GLUED_NUMBER_END.search(title)
    if trailing:
        prefix = found[-1].split("〔", 1)[0]
        head = title[:trailing.start()]
        if prefix and head.endswith(prefix) and _TITLE_END.search(head[:-len(prefix)]):
            return head[:-len(prefix)]
    leading = _GLUED_NUMBER_START.match(title)
    if leading and normalize_doc_number(leading.group(1)) == found[0] and _TITLE_END.search(title):
        return title[leading.end():]
    return title


def _title_candidate(lines: list[str]) -> str | None:
    """The lines joined as a title if they end in a document type and read like one."""
    if any(line.rstrip().endswith((":", "：", "。", "；", ";")) for line in lines):
        return None
    if len(lines) > 1 and lines[-1].strip() == "目录":
        return None  # a table of contents heading, not the end of the title
    joined = lines[0].strip()
    for prev, line in zip(lines, lines[1:]):  # organ names on lines of their own keep a space
        joined += (" " if _is_organ(prev.strip()) and _starts_with_organ(line.strip()) else "") + line.strip()
    joined = _without_glued_doc_number(_squeeze(joined))
    if len(joined) > 120 or "。" in joined or not _TITLE_END.search(joined):
        return None
    if any(joined.count(a) != joined.count(b) for a, b in ("《》", "（）", "()", "〈〉", "“”")):
        return None  # a title cut inside 《…》: the next line continues it
    return joined


def find_title(lines: list[str]) -> str | None:
    """The document's title from its first lines (see the module docstring).

    >>> find_title(["国务院办公厅关于调整国务院第二次", "全国污染源普查领导小组组成人员的通知",
    ...             "国办函〔2018〕74号", "各省、自治区、直辖市人民政府："])
    '国务院办公厅关于调整国务院第二次全国污染源普查领导小组组成人员的通知'
    >>> find_title(["枣庄市人民政府文件", "枣政发〔2020〕3号", "枣庄市人民政府", "关于印发…的通知"])
    '枣庄市人民政府关于印发…的通知'
    """
    return find_heading(lines) or _fallback_title(_below_furniture(lines)[0])


def _below_furniture(lines: list[str]) -> tuple[list[str], bool]:
    """Non-empty lines, stripped, without the site furniture at their top (a Markdown
    heading first keeps them as they are), and whether there was any."""
    lines = [line.strip() for line in lines if line.strip()]
    if not lines or lines[0].startswith("#"):
        return lines, False
    return strip_site_head(lines)


def find_heading(lines: list[str]) -> str | None:
    """The document's own heading, None when no line reads as one (then :func:`find_title`
    falls back on the opening text, which names no issuer).

    >>> find_heading(["某某市人民政府", "为做好防控工作，现通知如下：", "一、……"]) is None
    True
    """
    lines, after_furniture = _below_furniture(lines)
    if not lines:
        return None
    if lines[0].startswith("#"):
        return normalize_title(lines[0])
    quoted = _quoted_heading(lines) if after_furniture else None
    if quoted:
        return quoted
    window = lines[:_TITLE_WINDOW]
    decree = after_signature = False
    first_body = None
    for i, line in enumerate(window):
        compact = re.sub(r"\s+", "", line)
        if _DECREE_HEADER.fullmatch(compact):
            decree = True
        if _is_date_line(line):
            after_signature = True
        if _is_header_line(line):
            continue
        if first_body is None:
            first_body = i
        elif not (decree and after_signature):
            continue  # a title starts the body, or follows a decree's signed preamble
        start = _after_repeated_letterhead(window, i)
        longest = max(4, _organ_lines(window, start) + 3)
        for k in range(1, longest + 1):
            group = window[start:start + k]
            if len(group) < k or (k > 1 and any(_is_header_line(g) for g in group[1:])):
                break
            title = _title_candidate(group)
            if title:
                return title
    return None


def has_title(text: str) -> bool:
    """Whether a text starts with a title: a heading (see :func:`find_heading`, in either
    script), or a first line of four or more Chinese characters standing above the rest that
    does not end as a sentence does (…的倡议, …名单的公示).

    >>> has_title("嶧城區關於減免房租的辦法\\n正文"), has_title("关于会员企业复工的倡议\\n各会员单位：……")
    (True, True)
    >>> has_title("减免三个月房租。"), has_title("减免房租。\\n申请方式：向街道办提出。"), has_title("测试\\n123")
    (False, False, False)
    """
    lines = layout_lines(simplify(text or ""))
    if find_heading(lines) is not None:
        return True
    return (len(lines) > 1 and len(re.findall(rf"[{_CJK}]", lines[0])) >= 4
            and not lines[0].endswith(("。", "！", "？", "；", "：", ":", ";", "!", "?", "…", "，", ",")))


def _organ_lines(lines: list[str], start: int) -> int:
    """How many lines from ``start`` on are organ names alone (at most _MAX_ORGAN_LINES)."""
    count = 0
    while (start + count < len(lines) and count < _MAX_ORGAN_LINES
           and _is_organ(lines[start + count].strip())):
        count += 1
    return count


def _after_repeated_letterhead(lines: list[str], start: int) -> int:
    """Where the title starts when the organ names above it are printed twice (a letterhead
    of the issuers, then the same issuers starting the title): at the second copy.

    >>> _after_repeated_letterhead(["甲省财政厅", "甲省税务局", "甲省财政厅", "甲省税务局", "关于…的通知"], 0)
    2
    """
    count = _organ_lines(lines, start)
    half = count // 2
    if half and count % 2 == 0 and lines[start:start + half] == lines[start + half:start + count]:
        return start + half
    return start


def _quoted_heading(lines: list[str]) -> str | None:
    """A heading that is a title in 《》 (up to four lines joined), kept with its brackets.

    Below site furniture, a page about another document (a 解读 of it) is headed by
    that document's title in 《》.

    >>> _quoted_heading(["《关于积极应对新冠肺炎疫情加快恢复农业生产", "确保重要农产品稳产保供的若干措施》", "为贯彻……"])
    '《关于积极应对新冠肺炎疫情加快恢复农业生产确保重要农产品稳产保供的若干措施》'
    """
    if not lines[0].startswith("《"):
        return None
    joined = ""
    for line in lines[:4]:
        joined += line.strip()
        if joined.count("《") == joined.count("》"):
            heading = _squeeze(joined)
            ends_quoted = heading.endswith("》") and "。" not in heading
            return heading if ends_quoted and len(heading) <= 120 else None
    return None


def _fallback_title(lines: list[str]) -> str | None:
    """The opening line taken as the title (see :func:`_opening_line`), cut to 60 characters."""
    line, _ = _opening_line(lines)
    return line[:_FALLBACK_CHARS] if line else None


def _opening_line(lines: list[str]) -> tuple[str | None, bool]:
    """First line with some substance (6+ CJK characters, not a salutation, not only an
    institution's or a site's name), without a salutation it starts with; and whether it is
    a line as the document has it (not the sentence after a salutation)."""
    for line in lines[:_TITLE_WINDOW]:
        rest = _without_salutation(line)
        if (len(re.findall(rf"[{_CJK}]", rest)) >= 6 and not rest.rstrip().endswith((":", "："))
                and not is_only_a_name(rest)):
            return _squeeze(rest), rest == line
    return ((_squeeze(lines[0]) or None) if lines else None), True


def _without_salutation(line: str) -> str:
    """A line without the salutation (主送机关, 各…：) it starts with, when more follows.

    >>> _without_salutation("各区财政局，各有关单位：为做好疫情防控工作，现通知如下。")
    '为做好疫情防控工作，现通知如下。'
    >>> _without_salutation("各区财政局："), _without_salutation("各位代表：现在，我代表市人民政府报告工作。")
    ('各区财政局：', '各位代表：现在，我代表市人民政府报告工作。')
    """
    m = _GLUED_SALUTATION.match(line)
    rest = line[m.end():].strip() if m else ""
    return rest or line


def issuer_from_title(title: str | None) -> str | None:
    """Issuing organ(s) named at the start of a title, before 关于/转发/印发/批转/对.

    >>> issuer_from_title("国务院、中央军委关于同意武警总部后勤部机关等迁址新建的批复")
    '国务院、中央军委'
    >>> issuer_from_title("山东省人力资源和社会保障厅 山东省财政厅关于做好…的通知")
    '山东省人力资源和社会保障厅、山东省财政厅'
    >>> issuer_from_title("专利代理条例") is None
    True
    """
    if not title:
        return None
    m = _TITLE_ISSUER.match(title.strip())
    if not m or not _is_organ(m.group(1)):
        return None
    return normalize_issuer(m.group(1))


def find_signature(lines: list[str]) -> tuple[str | None, str | None]:
    """(issuer, ISO date) of the first signature: organ lines right above a date line.

    A decree's "总理 李克强" above the date counts as a signature without an
    issuer. Without any signature, the last date line gives the date.

    >>> find_signature(["……审批。", "枣庄市人民政府", "2020年3月5日", "（此件公开发布）"])
    ('枣庄市人民政府', '2020-03-05')
    """
    last_date = None
    for i, line in enumerate(lines):
        iso = _is_date_line(line)
        if not iso:
            continue
        last_date = iso
        organs = []
        j = i - 1
        while j >= 0 and i - j <= 3 and _is_organ(lines[j].strip()):
            organs.insert(0, lines[j].strip())
            j -= 1
        if organs:
            return normalize_issuer(" ".join(organs)), iso
        if i > 0 and _PERSON_SIGNATURE.match(lines[i - 1].strip()):
            return None, iso
    return None, last_date


def issuer_from_header(lines: list[str]) -> str | None:
    """Issuer from a header line: ``XX文件`` → XX, ``中华人民共和国国务院令`` → 国务院.

    >>> issuer_from_header(["中华人民共和国国务院令", "第706号"])
    '国务院'
    >>> issuer_from_header(["枣庄市人民政府文件", "枣政发〔2020〕3号"])
    '枣庄市人民政府'
    """
    for line in lines[:5]:
        compact = re.sub(r"\s+", "", line)
        m = re.fullmatch(rf"([{_CJK}]{{2,40}})文件", compact) or _DECREE_HEADER.fullmatch(compact)
        if m and _is_organ(m.group(1)):
            return m.group(1)
    return None


def find_own_doc_number(lines: list[str]) -> str | None:
    """The first 文号 in the document's head (before the salutation, ≤ 8 lines, ≤ 300 chars).

    >>> find_own_doc_number(["关于…的通知", "国办发〔2020〕6号", "各省："])
    '国办发〔2020〕6号'
    >>> find_own_doc_number(["关于…的通知", "各省：", "根据国办发〔2020〕6号文件……"]) is None
    True
    >>> find_own_doc_number(["年度报告", "本报告根据《条例》（国令第711号）编制。"]) is None
    True
    """
    head: list[str] = []
    size = 0
    for line in lines[:_HEAD_LINES]:
        if line.rstrip().endswith((":", "：")) and head:
            break
        head.append(line)
        size += len(line)
        if size >= _HEAD_CHARS:
            break
    own_lines = [line for line in head if not _CITING.search(simplify(line))]
    found = find_doc_numbers("\n".join(own_lines)[:_HEAD_CHARS])
    return found[0] if found else None


def find_publish_date(text: str) -> str | None:
    """ISO date stated after 发布日期/发布时间/公布日期 in the text, else None.

    >>> find_publish_date("来源：国务院 发布时间：2019年1月30日 10:00")
    '2019-01-30'
    """
    for m in _PUBLISH_LABEL.finditer(text):
        found = find_dates(text[m.end():m.end() + 30])
        if found and found[0][1] == 0:
            return found[0][0]
    return None


def layout_lines(text: str) -> list[str]:
    """Non-empty lines; text flattened to one line with spaces for breaks is split on them.

    >>> layout_lines("关于…的通知 国办函〔2018〕74号 各省：")
    ['关于…的通知', '国办函〔2018〕74号', '各省：']
    """
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) <= 2 and lines and text.count(" ") >= 2 and (
            len(lines) == 1 or max(map(len, lines)) > 200):
        parts = [part for line in lines for part in line.split()]
        lines = []
        for i, part in enumerate(parts):  # "国 家 粮 食" (letter-spaced title) → one part
            if lines and len(part) == 1 and len(parts[i - 1]) == 1:
                lines[-1] += part
            else:
                lines.append(part)
    return lines


def as_written(value: str | None, original: str, simplified: str) -> str | None:
    """A value read from ``simplified`` (``simplify(original)``) spelled as ``original`` writes it.

    Each piece of the value (between spaces and 、) is looked up in the simplified text, line
    breaks and spaces between its characters allowed (a title over two lines), and the same
    characters of the original are taken; a piece not found stays as it is.

    >>> as_written("峄城区人民政府、峄城区财政局", "嶧城區人民政府\\n嶧城區財政局", "峄城区人民政府\\n峄城区财政局")
    '嶧城區人民政府、嶧城區財政局'
    >>> as_written("峄城区人民政府关于…的通知", "嶧城區人民政府\\n關於…的通知", "峄城区人民政府\\n关于…的通知")
    '嶧城區人民政府關於…的通知'
    """
    if not value or original == simplified:
        return value

    def written(match: re.Match) -> str:
        piece = match.group()
        at = simplified.find(piece)
        if at >= 0:
            return original[at:at + len(piece)]
        spread = re.search(r"\s*".join(map(re.escape, piece)), simplified)
        return re.sub(r"\s+", "", original[spread.start():spread.end()]) if spread else piece

    return re.sub(r"[^\s、]+", written, value)


def extract_metadata(raw: RawDocument) -> dict:
    """title, doc_number, issuer, written_date, publish_date for a parsed document (None if unknown).

    The text is read in simplified characters; a title and an issuer found in it are given as
    the text writes them (see :func:`as_written`), and so is the 文号.
    """
    meta = raw.metadata or {}
    text = raw.text or ""
    plain = simplify(text)

    def written(value: str | None) -> str | None:
        return as_written(value, text, plain)

    lines = layout_lines(plain)
    heading = normalize_title(meta.get("title")) or written(find_heading(lines))
    opening, line_as_written = (None, False) if heading else _opening_line(_below_furniture(lines)[0])
    title = heading or (written(opening[:_FALLBACK_CHARS]) if opening else None)
    # the sentence after a salutation is the body: it names no issuer (为…党中央、国务院关于…)
    named = heading or (title if line_as_written else None)
    plain_named = simplify(named) if named else None
    doc_number = (_normalize_doc_number_value(meta.get("doc_number"))
                  or find_own_doc_number(lines if plain == text else layout_lines(text)))
    sig_issuer, sig_date = find_signature(lines)
    issuer = (normalize_issuer(meta.get("issuer")) or as_written(issuer_from_title(plain_named), named, plain_named)
              or written(sig_issuer or issuer_from_header(lines)))
    written_date = normalize_date(meta.get("written_date")) or sig_date
    publish_date = normalize_date(meta.get("publish_date")) or find_publish_date(plain)
    return {
        "title": title,
        "doc_number": doc_number,
        "issuer": issuer,
        "written_date": written_date,
        "publish_date": publish_date,
    }
