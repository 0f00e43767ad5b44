"""The Chinese analyzer: folding, segmentation, stop words, positions, sub-words."""
from collections import Counter

from policy_search.text.analysis import (PolicyTokenizer, bigram_counts, bigram_pieces, index_term_counts,
                                    policy_analyzer, segment, segmenter, stop_words, sub_words)
from policy_search.text.fold import fold

from helpers import CORPUS, SHARED_DATA


def tokens(text, mode="index"):
    return [(t.text, t.pos, t.startchar, t.endchar)
            for t in PolicyTokenizer()(text, positions=True, chars=True, mode=mode)]


def test_traditional_folds_to_simplified_with_same_length():
    text = "關於支持企業復工復產的若干措施"
    assert fold(text) == "关于支持企业复工复产的若干措施"
    assert len(fold(text)) == len(text)


def test_policy_terms_stay_whole():
    for term in ["复工复产", "稳岗返还", "以工代训", "专精特新", "小微企业", "个体工商户", "无还本续贷"]:
        assert segment(f"支持{term}的措施") == ["支持", term, "措施"], term


def test_question_words_are_dropped():
    assert segment("小微企业房租减免怎么申请？") == ["小微企业", "房租减免", "申请"]
    assert "有何" not in segment("北京市对于因疫情影响暂停举办的展会项目有何支持政策？")
    assert {"的", "怎么", "哪些"} <= stop_words()


def test_positions_count_words_and_offsets_point_into_original():
    text = "支持企業復工復產。"
    found = tokens(text, mode="query")
    assert [t[0] for t in found] == ["支持", "企业", "复工复产"]
    assert [t[1] for t in found] == [0, 1, 2]
    assert text[found[2][2]:found[2][3]] == "復工復產"


def test_sub_words_share_their_word_position_at_index_time_only():
    indexed = tokens("缓缴社会保险费")
    positions = {text: pos for text, pos, *_ in indexed}
    assert positions["社会保险费"] == positions["保险"] == positions["社会"] == 1
    queried = [t[0] for t in tokens("缓缴社会保险费", mode="query")]
    assert queried == ["缓缴", "社会保险费"]


def test_sub_words_come_from_the_dictionary():
    found = dict(sub_words("社会保险费", segmenter()))
    assert "保险" in found and "险费" not in found


def test_latin_and_digits_are_lower_cased_words():
    assert segment("ＡＢＣ公司2020年") == ["abc", "公司", "2020", "年"]


def test_a_huge_unbroken_run_is_segmented_in_bounded_pieces():
    from policy_search.text.analysis import JIEBA_PIECE_CHARS, PolicyTokenizer
    text = "稳岗返还政策" * (JIEBA_PIECE_CHARS // 2)
    tokens = [(t.text, t.startchar, t.endchar) for t in PolicyTokenizer()(text, chars=True)]
    assert tokens and all(text[start:end] == word for word, start, end in tokens)
    assert tokens[-1][2] == len(text)


def test_offsets_count_characters_beyond_the_basic_plane():
    text = "𠀀稳岗返还，ＡＢＣ"
    found = tokens(text, mode="query")
    assert [(t[0], t[2], t[3]) for t in found] == [("𠀀", 0, 1), ("稳岗返还", 1, 5), ("abc", 6, 9)]


def test_a_lone_surrogate_is_no_word_and_no_error():
    assert segment("稳岗\ud800返还") == ["稳岗", "返还"]


def _token_by_token(text: str) -> tuple[dict[str, float], int]:
    """The analyzer's index tokens of a text counted one by one (the reference)."""
    weights: dict[str, float] = {}
    length = 0
    for token in policy_analyzer()(text, mode="index", boosts=True):
        weights[token.text] = weights.get(token.text, 0.0) + token.boost
        length += 1
    return weights, length


def _real_texts() -> list[str]:
    """Texts of corpus/, and every fifth law and ncp document when the shared data is there."""
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in sorted(CORPUS.rglob("*"))
             if p.suffix in (".txt", ".md", ".html")]
    if SHARED_DATA.is_dir():
        texts += [p.read_text(encoding="utf-8") for p in sorted((SHARED_DATA / "laws").rglob("*.md"))[::5]]
        rows = (SHARED_DATA / "ncp" / "corpus.tsv").read_text(encoding="utf-8").splitlines()[1::5]
        texts += [row.split("\t", 1)[-1] for row in rows]
    return texts + ["", "，。", "ＡＢＣ abc_def 你", "\ud800稳岗", "稳" * 25_000, "a" * 30_000]


def test_index_counts_are_the_analyzers_tokens_counted():
    texts = _real_texts()
    assert len(texts) > 30
    for text in texts:
        assert index_term_counts(text) == _token_by_token(text)


def test_bigram_counts_are_the_bigram_pieces_counted_one_by_one():
    for text in map(fold, _real_texts()):
        assert bigram_counts(text) == dict(Counter(piece for piece, _ in bigram_pieces(text)))
