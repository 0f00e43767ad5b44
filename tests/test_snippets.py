"""Snippet passages: ``best_passages`` gives what the loop it replaced gave, passage and marks.

The loop is kept below as the reference (``reference_best_passage``: one text at a time, the
terms' regular expression, ``re.split``, a sliding window over the matches in Python). The
new code finds the matches as array work, or with the regular expression where that would
cost too much; both ways are checked (the ``way`` fixture) on the real texts of
../shared/data, on the sample policies of corpus/, on random texts made to have many
overlapping candidate matches, and on edge cases.
"""
from __future__ import annotations

import csv
import functools
import itertools
import random
import re

import pytest

from indexer.parsers import BULK_READERS, PARSERS
from policy_search.search import snippets
from policy_search.search.snippets import MAX_MATCHES, SNIPPET_CHARS, best_passage, best_passages, opening
from policy_search.text.analysis import segment
from policy_search.text.fold import fold

from helpers import CORPUS, shared


# --- the reference: the loop best_passages replaced ----------------------------------------

@functools.lru_cache(maxsize=256)
def _reference_pattern(terms: tuple[str, ...]) -> re.Pattern | None:
    wanted = sorted({t for t in terms if t}, key=len, reverse=True)
    return re.compile("(" + "|".join(map(re.escape, wanted)) + ")") if wanted else None


def _reference_spans(folded: str, pattern: re.Pattern) -> list[tuple[int, int, str]]:
    pieces = pattern.split(folded, MAX_MATCHES)
    ends = list(itertools.accumulate(map(len, pieces)))
    return list(zip(ends[0:-1:2], ends[1::2], pieces[1::2]))


def _reference_densest_window(spans: list[tuple[int, int, str]], length: int) -> tuple[int, int]:
    best, best_key = (spans[0][0], spans[0][1]), (0, 0)
    counts: dict[str, int] = {}
    left = 0
    for right, (_, end, term) in enumerate(spans):
        counts[term] = counts.get(term, 0) + 1
        while left < right and end - spans[left][0] > length:
            old = spans[left][2]
            counts[old] -= 1
            if not counts[old]:
                del counts[old]
            left += 1
        key = (len(counts), right - left + 1)
        if key > best_key:
            best_key, best = key, (spans[left][0], end)
    return best


def reference_best_passage(text: str, terms: list[str], length: int = SNIPPET_CHARS,
                           folded: str | None = None) -> tuple[str, list[list[int]]]:
    """``best_passage`` as it was before the array work."""
    pattern = _reference_pattern(tuple(terms))
    folded = fold(text) if folded is None else folded
    spans = _reference_spans(folded, pattern) if pattern is not None else []
    if not spans:
        return opening(text, length), []
    start, end = _reference_densest_window(spans, length)
    lead = max(0, start - max(0, length - (end - start)) // 3)
    stop = max(end, min(len(text), lead + length))
    marks = [[s - lead, e - lead] for s, e, _ in spans if lead <= s and e <= stop]
    return text[lead:stop].replace("\n", " "), marks


def reference_best_passages(texts: list[str], terms: list[str], length: int = SNIPPET_CHARS,
                            folded: list[str | None] | None = None) -> list[tuple[str, list[list[int]]]]:
    folded = folded or [None] * len(texts)
    return [reference_best_passage(text, terms, length, known) for text, known in zip(texts, folded)]


# --- both ways of finding the matches ---------------------------------------------------------

def _no_fallback(*args):
    raise AssertionError("the array search gave way to the regular expression")


@pytest.fixture(params=["arrays", "regex: many comparisons", "regex: many overlaps"])
def way(request, monkeypatch):
    """Matches found as array work (the regular expression must not be needed), or with the
    regular expression, reached by either of the limits of the array work."""
    if request.param == "arrays":
        monkeypatch.setattr(snippets, "_split_matches", _no_fallback)
    elif request.param == "regex: many comparisons":
        monkeypatch.setattr(snippets, "MAX_ARRAY_CHECKS", -1)
    else:
        monkeypatch.setattr(snippets, "MAX_OVERLAPPED", -1)
    return request.param


def assert_same(texts: list[str], terms: list[str], length: int = SNIPPET_CHARS) -> None:
    """The new passages equal the reference's, for the texts alone and with their folded forms."""
    expected = reference_best_passages(texts, terms, length)
    assert best_passages(texts, terms, length) == expected, (terms, length)
    assert best_passages(texts, terms, length, [fold(text) for text in texts]) == expected, (terms, length)


def query_terms(question: str) -> list[str]:
    """What a search marks, roughly: the question's words and each two neighbours run
    together (as a quoted phrase is), so that candidate terms overlap."""
    words = segment(question)
    return words + ["".join(pair) for pair in zip(words, words[1:])]


# --- real texts --------------------------------------------------------------------------------

def _ncp_texts() -> list[str]:
    csv.field_size_limit(1 << 30)
    with shared("ncp", "corpus.tsv").open(encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(rows)
        return [row[1] for row in rows if len(row) >= 2]


def _law_texts(count: int) -> list[str]:
    paths = sorted(shared("laws").rglob("*.md"))
    step = max(1, len(paths) // count)
    return [path.read_text(encoding="utf-8") for path in paths[::step][:count]]


def _questions(count: int) -> list[str]:
    lines = shared("ncp", "queries-load.txt").read_text(encoding="utf-8-sig").splitlines()
    return [line.strip()[:200] for line in lines if line.strip()][:count]


def _corpus_texts() -> list[str]:
    texts = []
    for path in sorted(CORPUS.rglob("*")):
        kind = path.suffix.lstrip(".").lower()
        if kind in PARSERS:
            texts.append(PARSERS[kind](path).text)
        elif kind in BULK_READERS:
            texts += [record.document.text for record in BULK_READERS[kind](path) if record.document]
    return texts


def _pages(texts: list[str], questions: list[str], per_page: int = 10):
    """Pages of ``per_page`` texts, each asked three of the questions in turn."""
    asked = itertools.cycle(questions)
    for first in range(0, len(texts), per_page):
        for _ in range(3):
            yield texts[first:first + per_page], query_terms(next(asked))


def test_real_policies_and_laws_give_the_same_passages(way):
    texts = _ncp_texts() + _law_texts(200)
    questions = _questions(300)
    assert len(texts) >= 700 and len(questions) == 300
    marked = 0
    for page, terms in _pages(texts, questions):
        assert_same(page, terms)
        marked += sum(bool(marks) for _, marks in best_passages(page, terms))
    assert marked > len(texts)  # most pages have matches, many of them


def test_real_texts_with_windows_of_other_lengths(way):
    texts = _ncp_texts()[::7]
    for length, (page, terms) in zip(itertools.cycle([1, 8, 40, 400]), _pages(texts, _questions(60))):
        assert_same(page, terms, length)


def test_sample_policies_give_the_same_passages(way):
    texts = _corpus_texts()
    assert len(texts) >= 30
    questions = ["企业如何申请稳岗返还？", "小微企业租金减免", "复工复产疫情防控", "社会保险费减免政策",
                 "中小企业贷款延期还本付息", "农业生产春耕", "增值税 纳税服务"]
    for page, terms in _pages(texts, questions, per_page=7):
        assert_same(page, terms)
    assert any(marks for _, marks in best_passages(texts, query_terms("复工复产")))


# --- texts made to have many overlapping candidates ------------------------------------------

def test_random_texts_of_few_letters_give_the_same_passages(way):
    rng = random.Random(20260101)
    letters = "ab中稳岗𠮷\n\0"
    for _ in range(400):
        texts = ["".join(rng.choice(letters) for _ in range(rng.randrange(0, 60)))
                 for _ in range(rng.randrange(1, 6))]
        terms = ["".join(rng.choice(letters) for _ in range(rng.randrange(0, 5)))
                 for _ in range(rng.randrange(0, 6))]
        assert_same(texts, terms, rng.choice([0, 1, 2, 3, 5, 8, 13, 160]))


# --- edge cases -----------------------------------------------------------------------------------

def test_no_match_gives_the_opening(way):
    texts = ["第一行\n第二行" * 40, ""]
    assert best_passages(texts, ["稳岗"]) == [(opening(texts[0]), []), ("", [])]
    assert_same(texts, ["稳岗"])


def test_no_terms_give_the_openings():
    texts = ["申请稳岗返还的条件", ""]
    assert best_passages(texts, []) == [(opening(text), []) for text in texts]
    assert best_passages(texts, ["", ""]) == [(opening(text), []) for text in texts]
    assert best_passages([], ["稳岗"]) == []


def test_one_match(way):
    assert best_passage("前言。申请稳岗返还的条件", ["稳岗"], 20) == ("前言。申请稳岗返还的条件", [[5, 7]])
    assert_same(["前言。" * 90 + "稳岗" + "后记。" * 90], ["稳岗"])


def test_a_match_longer_than_the_window_stays_whole(way):
    word = "policy" * 28 + "ab"  # 170 letters, the window 160
    text = f"关于长编号的通知（示例）\n编号 {word} 的说明。"
    passage, marks = best_passage(text, [word, "说明"])
    assert word in passage and [passage[s:e] for s, e in marks] == [word]
    assert_same([text, word, word * 2], [word, "编号", "说明"])


def test_overlapping_terms_of_different_lengths(way):
    text = "稳岗返还稳岗岗返还返还稳岗返" * 20
    terms = ["稳岗返还", "稳岗", "返还", "岗返", "还稳", "岗"]
    passage, marks = best_passage(text, terms, 12)
    assert [passage[s:e] for s, e in marks][:3] == ["稳岗返还", "稳岗", "岗返"]
    assert_same([text, text[3:], text[::-1]], terms, 12)
    assert_same(["aaaaaaa", "abababa"], ["aa", "aaa", "aba", "ab", "b"], 3)


def test_characters_beyond_the_plane(way):
    text = "𠮷野家的𠮷野家和吉野家，𠮷𠮷𠮷" * 12
    passage, marks = best_passage(text, ["𠮷野家", "𠮷", "吉野"], 16)
    assert {passage[s:e] for s, e in marks} >= {"𠮷野家", "吉野"}
    assert_same([text, "\ud800孤\udfff𠮷"], ["𠮷野家", "𠮷", "吉野", "\ud800孤", "\uffff"], 16)
    assert_same(["\uffff\U0010ffff\uffff"], ["\uffff", "\U0010ffff"], 2)


def test_folding_finds_the_traditional_forms(way):
    text = "前言。申請穩崗返還的條件，ＡＢＣ企業"
    passage, marks = best_passage(text, ["稳岗返还", "申请", "abc"], 20)
    assert [passage[s:e] for s, e in marks] == ["申請", "穩崗返還", "ＡＢＣ"]
    assert_same([text], ["稳岗返还", "申请", "abc"], 20)


def test_lines_become_spaces(way):
    assert best_passage("申请\n稳岗\n返还", ["稳岗"], 20) == ("申请 稳岗 返还", [[3, 5]])


def test_at_most_max_matches_a_text(way):
    """Matches past the first MAX_MATCHES of a text are not looked at, here the denser ones."""
    many = "中" * MAX_MATCHES + "稳岗返还中"
    passage, marks = best_passage(many, ["中", "稳岗返还"])
    assert len(marks) == SNIPPET_CHARS and "稳岗返还" not in passage
    assert_same([many, "稳岗" + many, many[1:]], ["中", "稳岗返还", "稳岗"])


def test_many_first_characters(way):
    """More groups of terms than a byte numbers (the table of groups widens)."""
    terms = [chr(0x4E00 + 3 * i) + "字" for i in range(300)]
    text = "".join(terms[::-7]) + "字".join(terms[:40])
    assert_same([text, text[::-1]], terms, 30)
