"""The Chinese analyzer shared by the schema, the query parser and the highlighter.

rjieba (the jieba-rs segmenter, jieba's dictionary and HMM compiled) segments the
folded text (see :mod:`policy_search.text.fold`) with the policy-term dictionary
added; stop words and punctuation are dropped, and positions count the
remaining words, so quoted phrases work. At index time a long word also yields
its dictionary sub-words (``社会保险费`` → ``社会``, ``保险``, ``保险费``,
``社会保险``) at the *same* position as the word itself: a query for
``社会保险`` finds it, and a phrase around it still lines up. Queries are
segmented without sub-words, so a word is never split into an AND of its parts.

rjieba cuts as python jieba did, about nine times faster a core
(``bench/segmenter.py`` measures both). Left alone, the two differ only on Latin
letters and digits joined by ``.``, ``-`` or ``_`` (``163.com``, ``2020-02-19``), which
rjieba keeps as one word; such a word is cut here as python jieba cuts it
(:func:`jieba_ascii_pieces`), so the two agree.
"""
from __future__ import annotations

import functools
import operator
import re
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

import numpy as np
from whoosh.analysis import Token, Tokenizer

from policy_search.rules import rule_text, watched
from policy_search.text.fold import fold

#: A sub-word counts this much of a whole word in ranking (they mostly repeat what the
#: bigram field already matches).
SUB_WORD_BOOST = 1.0


def _data_lines(name: str) -> Iterator[str]:
    """Non-empty, non-comment lines of a rule file (see :mod:`policy_search.rules`)."""
    return _lines(rule_text(name))


def _lines(text: str) -> Iterator[str]:
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            yield line


@functools.lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """The Chinese stop list from ``data/stopwords.txt``."""
    return frozenset(fold(line) for line in _data_lines("stopwords.txt"))


def policy_terms() -> list[tuple[str, int | None]]:
    """The terms of ``data/userdict.txt``, folded, each with its frequency.

    A term without a frequency gets ``None``: the segmenter then suggests the
    least frequency that keeps it whole. A frequency of 0 takes a word out of
    the dictionary's choices, as in jieba.
    """
    terms = []
    for line in _data_lines("userdict.txt"):
        parts = line.split()
        freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        terms.append((fold(parts[0]), freq))
    return terms


def add_policy_terms(dictionary) -> None:
    """Add the policy terms to a jieba-style dictionary (anything with ``add_word(word, freq, tag)``).

    python jieba's ``Tokenizer`` and rjieba take the same call, and with a
    frequency of ``None`` both suggest the same one (jieba's ``suggest_freq``).
    """
    for word, freq in policy_terms():
        dictionary.add_word(word, freq, None)


@dataclass(frozen=True)
class Segmenter:
    """A jieba-style segmenter as the analyzer uses it.

    ``tokenize(text)`` gives the words of a text, HMM on, as ``(word, start, end)``
    with character offsets into that text; ``has_word(word)`` is True for a word of
    the dictionary that the segmenter may choose (frequency above 0).
    """

    tokenize: Callable[[str], Iterable[tuple[str, int, int]]]
    has_word: Callable[[str], bool]
    cut: Callable[[str], list[str]]  # the words alone, as tokenize gives them


_SEGMENTER_LOCK = threading.Lock()


def segmenter() -> Segmenter:
    """rjieba with the policy-term dictionary added, made once per process.

    The lock matters in a threaded server: without it, every thread of a burst
    of first requests would add the terms to the dictionary at the same time.
    """
    with _SEGMENTER_LOCK:
        return _make_segmenter()


@functools.lru_cache(maxsize=1)
def _make_segmenter() -> Segmenter:
    """The dictionary rjieba builds when imported (about 25 MB), with the policy terms added.

    A ``rjieba.Jieba()`` of our own would hold a second copy of the dictionary
    beside the one the import makes; nothing else in the process uses rjieba.
    """
    import rjieba

    add_policy_terms(rjieba)
    tokenize = functools.partial(rjieba.tokenize, mode="default", hmm=True)
    # jieba drops a word added with frequency 0 from its dictionary; jieba-rs keeps it
    # (never chosen by the cut, but still a word to has_word): leave it out of sub-words too.
    dropped = frozenset(word for word, freq in policy_terms() if freq == 0)
    has_word = _leaving_out(dropped, rjieba.has_word) if dropped else rjieba.has_word
    return Segmenter(tokenize=lambda text: _cut_joined_ascii(tokenize(text)),
                     has_word=has_word, cut=functools.partial(rjieba.cut, hmm=True))


#: How python jieba cuts a run of Latin letters and digits with ``.``, ``-`` or ``_`` in it: letters
#: and digits together (a number keeping its decimal part and a percent sign), any other
#: character alone.
_JIEBA_ASCII_PIECE = re.compile(r"[a-zA-Z0-9]+(?:\.\d+)?%?|.", re.S)


def is_joined_ascii(word: str) -> bool:
    """True for a word rjieba keeps whole and python jieba cuts: ASCII letters or digits joined
    by ``.``, ``-`` or ``_``."""
    return (len(word) > 1 and ("-" in word or "." in word or "_" in word) and word.isascii()
            and is_word(word))


def jieba_ascii_pieces(word: str) -> list[tuple[str, int]]:
    """The pieces python jieba cuts a joined ASCII word into, with their offsets.

    >>> jieba_ascii_pieces("COVID-19"), jieba_ascii_pieces("v2.0.1")
    ([('COVID', 0), ('-', 5), ('19', 6)], [('v2.0', 0), ('.', 4), ('1', 5)])
    """
    return [(found.group(), found.start()) for found in _JIEBA_ASCII_PIECE.finditer(word)]


def _cut_joined_ascii(words: Iterable[tuple[str, int, int]]) -> Iterator[tuple[str, int, int]]:
    """rjieba's ``(word, start, end)`` with each joined ASCII word cut as python jieba cuts it."""
    for word, start, end in words:
        if is_joined_ascii(word):
            for piece, offset in jieba_ascii_pieces(word):
                yield piece, start + offset, start + offset + len(piece)
        else:
            yield word, start, end


def _leaving_out(dropped: frozenset[str], has_word: Callable[[str], bool]) -> Callable[[str], bool]:
    """``has_word`` that also says False for the ``dropped`` words."""
    return lambda word: word not in dropped and has_word(word)


def is_word(text: str) -> bool:
    """True when a token carries meaning: letters, digits or CJK, not only punctuation.

    >>> is_word("稳岗"), is_word("，"), is_word("2020")
    (True, False, True)
    """
    return any(ch.isalnum() for ch in text)


def sub_words(word: str, words_segmenter: Segmenter) -> list[tuple[str, int]]:
    """Dictionary words of two to four characters inside a longer word, with offsets.

    >>> sub_words("社会保险费", segmenter())
    [('社会', 0), ('保险', 2), ('保险费', 2), ('社会保险', 0)]
    """
    has_word = words_segmenter.has_word
    found = []
    for size in (2, 3, 4):
        if len(word) <= size:
            continue
        for start in range(len(word) - size + 1):
            piece = word[start:start + size]
            if has_word(piece):
                found.append((piece, start))
    return found


def segment(text: str) -> list[str]:
    """The words of a text as queries see them: folded, segmented, stop words dropped.

    >>> segment("企业如何申请稳岗返还？")
    ['企业', '申请', '稳岗返还']
    """
    return [t.text for t in PolicyTokenizer()(text, mode="query")]


class PolicyTokenizer(Tokenizer):
    """Whoosh tokenizer: fold, segment, stop words, word positions, index-time sub-words."""

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, tokenize=True,
                 mode="", **kwargs):
        folded = fold(value)
        words_segmenter = segmenter()
        stops = stop_words() if removestops else frozenset()
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            words = [(folded, 0, len(folded))]
        else:
            words = _tokenize_in_pieces(words_segmenter, folded)
        for text, number, start, end, boost in terms(words, words_segmenter, stops,
                                                     with_sub_words=mode == "index"):
            yield self._fill(token, text, start_pos + number, start_char + start, start_char + end,
                             keeporiginal, value[start:end], boost)

    @staticmethod
    def _fill(token, text, pos, startchar, endchar, keeporiginal, original, boost=1.0):
        token.text = text
        token.boost = boost
        token.stopped = False
        if keeporiginal:
            token.original = original
        if token.positions:
            token.pos = pos
        if token.chars:
            token.startchar = startchar
            token.endchar = endchar
        return token


def terms(words: Iterable[tuple[str, int, int]], words_segmenter: Segmenter, stops: frozenset[str],
          with_sub_words: bool) -> Iterator[tuple[str, int, int, int, float]]:
    """The index or query terms of segmented words: ``(text, word number, start, end, boost)``.

    Stop words and punctuation are left out and not counted; with ``with_sub_words``
    a word longer than two characters is followed by its dictionary sub-words,
    which share its number.

    >>> [t[:4] for t in terms([("缓缴", 0, 2), ("的", 2, 3), ("社会保险费", 3, 8)],
    ...                       segmenter(), stop_words(), with_sub_words=True)][:4]
    [('缓缴', 0, 0, 2), ('社会保险费', 1, 3, 8), ('社会', 1, 3, 5), ('保险', 1, 5, 7)]
    """
    number = 0
    for word, start, end in words:
        word = word.strip()
        if not word or not is_word(word) or word in stops:
            continue
        yield word, number, start, end, 1.0
        if with_sub_words and len(word) > 2:
            for piece, offset in sub_words(word, words_segmenter):
                yield piece, number, start + offset, start + offset + len(piece), SUB_WORD_BOOST
        number += 1


def policy_analyzer() -> PolicyTokenizer:
    """The analyzer attached to every Chinese text field of the schema."""
    return PolicyTokenizer()


def _is_cjk(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff"


#: The segmenter builds a graph over each unbroken run of Chinese text; a run of millions of
#: characters would cost gigabytes, so text is handed to it in pieces of at most this many
#: characters, cut after a punctuation mark or space where one is near (queries are far shorter).
JIEBA_PIECE_CHARS = 10_000
_PIECE_BREAKS = set("。！？；，、：\n \t.!?;,")
#: A lone surrogate (from ``surrogateescape``, or a JSON ``\ud800``) cannot be encoded as UTF-8
#: for rjieba; it is segmented as U+FFFD, which is not a word either.
_SURROGATES = re.compile("[\ud800-\udfff]")


def text_pieces(text: str) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of the bounded pieces the segmenter is given, covering the whole text."""
    start = 0
    while start < len(text):
        end = min(len(text), start + JIEBA_PIECE_CHARS)
        if end < len(text):
            cut = next((i + 1 for i in range(end - 1, max(start, end - 200) - 1, -1)
                        if text[i] in _PIECE_BREAKS), end)
            end = cut
        yield start, end
        start = end


def _tokenize_in_pieces(words_segmenter: Segmenter, text: str) -> Iterator[tuple[str, int, int]]:
    """The segmenter's words over bounded pieces of ``text``, with offsets into the whole text."""
    for start, end in text_pieces(text):
        piece = text[start:end]
        try:
            words = words_segmenter.tokenize(piece)
        except UnicodeEncodeError:
            words = words_segmenter.tokenize(_SURROGATES.sub("\ufffd", piece))
        for word, word_start, word_end in words:
            yield word, start + word_start, start + word_end


def bigram_pieces(text: str):
    """(piece, offset) pairs: CJK bigrams (a lone CJK character alone) and alphanumeric words.

    >>> list(bigram_pieces("稳岗返还A1"))
    [('稳岗', 0), ('岗返', 1), ('返还', 2), ('a1', 4)]
    """
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if _is_cjk(char):
            j = i
            while j < n and _is_cjk(text[j]):
                j += 1
            if j - i == 1:
                yield char, i
            for k in range(i, j - 1):
                yield text[k:k + 2], k
            i = j
        elif char.isalnum():
            j = i
            while j < n and text[j].isalnum() and not _is_cjk(text[j]):
                j += 1
            yield text[i:j].lower(), i
            i = j
        else:
            i += 1


#: Alphanumeric runs outside CJK text (what :func:`bigram_pieces` gives between CJK runs).
_ALNUM_OUTSIDE_CJK = re.compile(r"[^\W_\u3400-\u9fff\uf900-\ufaff]+")
_PAIR_SHIFT = 21  # code points fit in 21 bits: a pair is first << 21 | second, a lone character itself


def bigram_counts(text: str) -> dict[str, int]:
    """How often each piece of :func:`bigram_pieces` occurs in a (folded) text, the CJK pairs
    counted as NumPy integers (``tests/test_analysis.py`` checks it against the pieces counted
    one by one).

    >>> sorted(bigram_counts("稳岗返还A1稳岗，好").items())
    [('a1', 1), ('好', 1), ('岗返', 1), ('稳岗', 2), ('返还', 1)]
    """
    counts: dict[str, int] = dict(Counter(word.lower() for word in _ALNUM_OUTSIDE_CJK.findall(text)))
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), np.uint32).astype(np.uint64)
    cjk = ((points >= 0x3400) & (points <= 0x9FFF)) | ((points >= 0xF900) & (points <= 0xFAFF))
    if not cjk.any():
        return counts
    paired = cjk[:-1] & cjk[1:]
    codes = [(points[:-1][paired] << _PAIR_SHIFT) | points[1:][paired]]
    alone = cjk.copy()
    alone[1:] &= ~cjk[:-1]
    alone[:-1] &= ~cjk[1:]
    codes.append(points[alone])
    values, numbers = np.unique(np.concatenate(codes), return_counts=True)
    pairs = values >= (1 << _PAIR_SHIFT)
    firsts = map(chr, (values[pairs] >> _PAIR_SHIFT).tolist())
    seconds = map(chr, (values[pairs] & ((1 << _PAIR_SHIFT) - 1)).tolist())
    counts.update(zip(map(operator.add, firsts, seconds), numbers[pairs].tolist()))
    for piece, n in zip(map(chr, values[~pairs].tolist()), numbers[~pairs].tolist()):
        counts[piece] = counts.get(piece, 0) + n  # a lone character may also be a one-letter word
    return counts


def index_term_counts(text: str) -> tuple[dict[str, float], int]:
    """What :class:`PolicyTokenizer` yields for a text at index time, counted: each term's summed
    boost and the number of tokens. Each distinct word is looked at once (stop words, sub-words),
    which is what makes it several times faster than going token by token.

    >>> weights, length = index_term_counts("社会保险费的缴纳，社会保险费")
    >>> weights["社会保险费"], weights["保险"], length
    (2.0, 2.0, 11)
    """
    folded = fold(text)
    words_segmenter = segmenter()
    words: Counter = Counter()
    for start, end in text_pieces(folded):
        piece = folded[start:end]
        try:
            words.update(words_segmenter.cut(piece))
        except UnicodeEncodeError:
            words.update(words_segmenter.cut(_SURROGATES.sub("\ufffd", piece)))
    for word in [w for w in words if is_joined_ascii(w)]:  # as the segmenter's tokenize cuts them
        n = words.pop(word)
        for piece, _ in jieba_ascii_pieces(word):
            words[piece] += n
    weights: dict[str, float] = {}
    length = 0
    for word, n in words.items():
        found = _index_terms_of(word)
        if found is None:
            continue
        head, pieces = found
        weights[head] = weights.get(head, 0.0) + n
        length += n * (1 + len(pieces))
        for piece in pieces:
            weights[piece] = weights.get(piece, 0.0) + n * SUB_WORD_BOOST
    return weights, length


@functools.lru_cache(maxsize=200_000)
def _index_terms_of(word: str) -> tuple[str, tuple[str, ...]] | None:
    """The index terms one segmented word gives: None for punctuation or a stop word, else the
    word (stripped) and its dictionary sub-words."""
    word = word.strip()
    if not word or not is_word(word) or word in stop_words():
        return None
    pieces = tuple(piece for piece, _ in sub_words(word, segmenter())) if len(word) > 2 else ()
    return word, pieces


def query_bigrams(text: str) -> list[str]:
    """The bigrams of a query's meaningful words (stop and question words left out first).

    >>> query_bigrams("稳岗返还怎么申请")
    ['稳岗', '岗返', '返还', '申请']
    """
    words = segment(text)
    return [piece for word in words for piece, _ in bigram_pieces(word)]


def synonym_table() -> dict[str, tuple[str, ...]]:
    """Each word of ``synonyms.txt`` mapped to the other words of its line (folded); read again
    when the file changes (see :func:`policy_search.rules.watched`), so a running server uses
    an edited list within a second."""
    return watched("synonyms.txt", _synonym_table)


def _synonym_table(text: str) -> dict[str, tuple[str, ...]]:
    table: dict[str, list[str]] = {}
    for line in _lines(text):
        group = [fold(word) for word in line.split()]
        for word in group:
            table.setdefault(word, [])
            table[word] += [other for other in group if other != word and other not in table[word]]
    return {word: tuple(others) for word, others in table.items()}


def synonyms(word: str) -> tuple[str, ...]:
    """The synonyms of a (folded) query word.

    >>> "社会保险" in synonyms("社保")
    True
    """
    return synonym_table().get(word, ())
