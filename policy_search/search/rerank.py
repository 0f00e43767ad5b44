"""Second look at the best hits: how densely one passage covers the query, and how much of
the question the text says in the same words.

BM25F counts matches anywhere in a policy. A policy that answers a question
usually has one passage where most of the question's words stand together, so
the top hits get a bonus for the share of the query's character bigrams (each
weighted by its idf) found in their best window of text. Questions also repeat the
wording of the passage that answers them ("企业复工复产应做好什么准备"), so the top hits get
a second bonus for the share of the question's four-character pieces that their text holds
verbatim: words in the same order, across word boundaries and stop words, which neither
BM25F nor bigrams see.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from policy_search.text.analysis import bigram_pieces
from policy_search.text.fold import fold
from policy_search.search.windows import distinct_weight

#: How many of the best hits get the second look.
RERANK_DEPTH = 20
#: Width of a passage in characters, and the step between passages.
WINDOW_CHARS = 300
WINDOW_STEP = 50
#: Bonus of a hit covering every query bigram in one passage, as a share of the top score.
DENSITY_WEIGHT = 0.2
#: Length of the question's pieces looked for verbatim in a hit's text.
VERBATIM_CHARS = 4
#: Bonus of a hit holding every such piece of the question, as a share of the top score (chosen
#: by five-fold cross-validation over the dev questions: ``bench/relevance.py --cv``).
VERBATIM_WEIGHT = 0.5


def passage_share(text: str, weights: dict[str, float], folded: str | None = None) -> float:
    """Best idf-weighted share of the query bigrams found within one window of ``text``.

    Windows start every ``WINDOW_STEP`` characters; only windows holding some
    occurrence are looked at, so long texts cost what their matches cost.

    >>> passage_share("稳岗返还政策", {"稳岗": 1.0, "返还": 1.0, "补贴": 2.0})
    0.5
    """
    if not text:
        return 0.0
    return passage_shares([fold(text) if folded is None else folded], weights)[0]


def passage_shares(folded_texts: list[str], weights: dict[str, float],
                   stop: Callable[[], bool] | None = None) -> list[float] | None:
    """:func:`passage_share` of several folded texts at once (one pass of array work for all).

    ``stop`` is asked before each batch of texts (``BATCH_CHARS`` characters) is searched;
    once it answers True the work ends and None is returned.

    >>> passage_shares(["稳岗返还政策", "", "补贴"], {"稳岗": 1.0, "返还": 1.0, "补贴": 2.0})
    [0.5, 0.0, 0.5]
    """
    total = sum(weights.values())
    if not total:
        return [0.0] * len(folded_texts)
    pieces = list(weights)
    found = []
    for first, last in _batches(folded_texts):
        if stop is not None and stop():
            return None
        found.append(_occurrences(folded_texts[first:last], pieces, first))
    return _best_windows(Occurrences.joined(found), len(folded_texts), pieces, weights).tolist()


#: Texts are searched together in batches of about this many characters (between batches, the
#: time budget is asked).
BATCH_CHARS = 1_000_000
#: At most this many occurrences of one piece are looked at in one text.
MAX_OCCURRENCES = 400


def _batches(texts: list[str]) -> list[tuple[int, int]]:
    """(first, last + 1) numbers of consecutive texts of about ``BATCH_CHARS`` characters together."""
    batches, first, size = [], 0, 0
    for number, text in enumerate(texts):
        size += len(text)
        if size >= BATCH_CHARS:
            batches.append((first, number + 1))
            first, size = number + 1, 0
    if first < len(texts):
        batches.append((first, len(texts)))
    return batches


@dataclass
class Occurrences:
    """Occurrences of pieces in texts, one entry each: the text's number, the piece's number
    (in the order of the weights) and the position in the text."""

    text: np.ndarray
    piece: np.ndarray
    position: np.ndarray

    @staticmethod
    def joined(parts: list["Occurrences"]) -> "Occurrences":
        return Occurrences(*(np.concatenate([getattr(p, name) for p in parts] or [np.zeros(0, np.int64)])
                             for name in ("text", "piece", "position")))


_BMP_LAST = 0xFFFF


def _occurrences(texts: list[str], pieces: list[str], first_number: int) -> Occurrences:
    """Every occurrence of each piece in each text (overlapping ones too), at most
    ``MAX_OCCURRENCES`` a piece in a text (the first ones); texts numbered from ``first_number``.

    Pieces of one or two characters of the Basic Multilingual Plane (the query's bigrams and
    lone characters) are found in one pass over the texts' code points; any other piece one
    text at a time with ``str.find``.
    """
    short = [n for n, p in enumerate(pieces) if len(p) <= 2 and max(map(ord, p)) < _BMP_LAST]
    found = [_short_occurrences(texts, [pieces[n] for n in short], np.array(short, np.int64))]
    for piece in sorted(set(range(len(pieces))) - set(short)):
        for number, text in enumerate(texts):
            at = _find_all(text, pieces[piece])
            if at:
                found.append(Occurrences(np.full(len(at), number), np.full(len(at), piece), np.array(at)))
    out = _first_of_each(Occurrences.joined(found), len(pieces))
    out.text += first_number
    return out


def _short_occurrences(texts: list[str], pieces: list[str], numbers: np.ndarray) -> Occurrences:
    """Occurrences of pieces of one or two characters (numbered ``numbers``): the texts as one
    array of code points, the places whose character starts such a piece, then those that
    are a one-character piece or followed by the second character of one."""
    codes = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), np.uint32)
    if not pieces or not len(codes):
        return Occurrences.joined([])
    starts = np.cumsum([0] + [len(text) for text in texts])
    # a piece as one number: its first code point, then its second one plus one (0 when alone)
    keys = np.array([ord(p[0]) << 21 | (ord(p[1]) + 1 if len(p) == 2 else 0) for p in pieces], np.int64)
    order = np.argsort(keys)
    keys, numbers = keys[order], numbers[order]
    leading = np.zeros(_BMP_LAST + 1, bool)
    leading[keys >> 21] = True
    at = np.flatnonzero(leading.take(codes, mode="clip"))  # beyond the plane: never leading
    following = codes.take(at + 1, mode="clip").astype(np.int64) + 1
    text = np.searchsorted(starts, at, side="right") - 1
    following[at + 1 >= starts[text + 1]] = 0  # the last character of a text has none
    hits, slots = [], []
    for key in (codes[at].astype(np.int64) << 21, codes[at].astype(np.int64) << 21 | following):
        slot = np.minimum(np.searchsorted(keys, key), len(keys) - 1)
        hit = np.flatnonzero(keys[slot] == key)
        hits.append(hit)
        slots.append(slot[hit])
    hit, slot = np.concatenate(hits), np.concatenate(slots)
    return Occurrences(text[hit], numbers[slot], at[hit] - starts[text[hit]])


def _find_all(text: str, piece: str) -> list[int]:
    """Where ``piece`` starts in ``text`` (overlapping occurrences too), the first ``MAX_OCCURRENCES``."""
    found: list[int] = []
    start = text.find(piece)
    while start >= 0 and len(found) < MAX_OCCURRENCES:
        found.append(start)
        start = text.find(piece, start + 1)
    return found


def _first_of_each(found: Occurrences, pieces: int) -> Occurrences:
    """The occurrences less those past the first ``MAX_OCCURRENCES`` of a piece in a text (by
    position); as they are when none is past."""
    group = found.text * pieces + found.piece
    if not len(group) or np.bincount(group).max() <= MAX_OCCURRENCES:
        return found
    order = np.lexsort((found.position, group))
    group = group[order]
    entries = np.arange(len(order))
    group_start = np.maximum.accumulate(np.where(np.r_[True, group[1:] != group[:-1]], entries, 0))
    keep = order[entries - group_start < MAX_OCCURRENCES]
    return Occurrences(found.text[keep], found.piece[keep], found.position[keep])


#: Apart by this much (a multiple of ``WINDOW_STEP``), the occurrences of two texts never
#: share a window, so the texts of one call are laid end to end on one line.
_TEXT_GAP = WINDOW_STEP * 2**32
#: Weights become integers in units of 2**-40 so that a window's weight is an exact sum:
#: equal texts get equal shares whatever else is in the call.
_WEIGHT_UNIT = 2.0**40


def _best_windows(found: Occurrences, texts: int, pieces: list[str],
                  weights: dict[str, float]) -> np.ndarray:
    """The best window share of each of ``texts`` texts, from its occurrences.

    The occurrences are taken in order of position (then piece, as text). For each one,
    the window ends there and starts at the first occurrence whose step-aligned position
    leaves room for the piece within ``WINDOW_CHARS`` (never moving back); a piece counts
    when its last occurrence so far lies in the window (:func:`windows.distinct_weight`).
    """
    best = np.zeros(texts)
    if not len(found.position):
        return best
    unit = np.array([round(weights[p] * _WEIGHT_UNIT) for p in pieces], np.int64)
    text_rank = np.argsort(np.argsort(np.array(pieces, dtype=object), kind="stable"))
    lengths = np.array([len(p) for p in pieces], np.int64)
    position = found.position + found.text * _TEXT_GAP
    order = np.lexsort((text_rank[found.piece], position))
    position, piece, text_of = position[order], found.piece[order], found.text[order]
    reach = position + lengths[piece] - WINDOW_CHARS
    first_start = -(-reach // WINDOW_STEP) * WINDOW_STEP  # the window's start, step-aligned, rounded up
    left = np.searchsorted(position, np.maximum.accumulate(first_start), side="left")
    window = distinct_weight(piece, unit[piece], left)
    starts = np.flatnonzero(np.r_[True, text_of[1:] != text_of[:-1]])
    best[text_of[starts]] = np.maximum.reduceat(window, starts) / unit.sum()
    return best


def query_weights(words: list[str], idf: Callable[[str], float]) -> dict[str, float]:
    """The distinct bigrams of the query words, each with its idf."""
    pieces = dict.fromkeys(piece for word in words for piece, _ in bigram_pieces(word))
    return {piece: idf(piece) for piece in pieces}


def question_pieces(runs: list[str]) -> set[str]:
    """The distinct pieces of ``VERBATIM_CHARS`` characters of a question's runs (folded runs of
    Chinese characters, letters and digits: :attr:`query.ParsedQuery.runs`).

    >>> sorted(question_pieces(["复工复产准备", "ab"]))
    ['复产准备', '复工复产', '工复产准']
    """
    return {run[i:i + VERBATIM_CHARS] for run in runs for i in range(len(run) - VERBATIM_CHARS + 1)}


def verbatim_shares(folded_texts: list[str], pieces: set[str],
                    stop: Callable[[], bool] | None = None) -> list[float] | None:
    """For each folded text, the share of ``pieces`` it holds somewhere; None once ``stop``
    (asked before each text, or each batch of texts) answers True.

    A few pieces are looked for one by one (``str`` search); more than ``PIECES_ONE_BY_ONE`` (a
    long question) are looked up all at once among the texts' windows, whose cost does not grow
    with the number of pieces.

    >>> texts, pieces = ["企业复工复产", "复产", "企业复工"], {"企业复工", "复工复产", "做好准备"}
    >>> verbatim_shares(texts, pieces)
    [0.6666666666666666, 0.0, 0.3333333333333333]
    >>> _pieces_held(texts, sorted(pieces)).tolist()
    [2.0, 0.0, 1.0]
    """
    if not pieces:
        return [0.0] * len(folded_texts)
    plain = sorted(p for p in pieces if len(p) == VERBATIM_CHARS and max(map(ord, p)) < _BMP_LAST)
    if len(plain) <= PIECES_ONE_BY_ONE:
        shares = []
        for text in folded_texts:
            if stop is not None and stop():
                return None
            shares.append(sum(piece in text for piece in pieces) / len(pieces))
        return shares
    held = np.zeros(len(folded_texts))
    for first, last in _batches(folded_texts):
        if stop is not None and stop():
            return None
        held[first:last] += _pieces_held(folded_texts[first:last], plain)
        for piece in pieces.difference(plain):  # beyond the plane: one search each
            held[first:last] += [piece in text for text in folded_texts[first:last]]
    return (held / len(pieces)).tolist()


#: Up to this many pieces, each is looked for in each text in turn; more are looked up at once.
PIECES_ONE_BY_ONE = 64


def _pieces_held(texts: list[str], pieces: list[str]) -> np.ndarray:
    """How many of ``pieces`` (sorted, ``VERBATIM_CHARS`` characters of the Basic Multilingual
    Plane each) each text holds: every window of the texts' code points as one number, looked up
    among the pieces' numbers."""
    held = np.zeros(len(texts))
    codes = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), np.uint32)
    count = len(codes) - VERBATIM_CHARS + 1
    if not pieces or count <= 0:
        return held
    codes = np.minimum(codes, _BMP_LAST).astype(np.uint64)  # beyond the plane: never in a piece
    windows = np.zeros(count, np.uint64)
    for k in range(VERBATIM_CHARS):
        windows = (windows << np.uint64(16)) | codes[k:k + count]
    keys = np.array([sum(ord(c) << (16 * (VERBATIM_CHARS - 1 - k)) for k, c in enumerate(p)) for p in pieces],
                    np.uint64)
    slot = np.minimum(np.searchsorted(keys, windows), len(keys) - 1)
    at = np.flatnonzero(keys[slot] == windows)
    starts = np.cumsum([0] + [len(text) for text in texts])
    text = np.searchsorted(starts, at, side="right") - 1
    inside = at + VERBATIM_CHARS <= starts[text + 1]  # not across the end of a text
    found = np.unique(text[inside] * len(keys) + slot[at][inside])
    return np.bincount(found // len(keys), minlength=len(texts)).astype(float)


def rerank(scored: list[tuple[float, str, object]], weights: dict[str, float], pieces: set[str] = frozenset(),
           stop: Callable[[], bool] | None = None) -> list[tuple[float, object]] | None:
    """Re-order (score, folded text, item) triples by score plus the passage bonus and the
    verbatim bonus (of the question's ``pieces``); returns (score, item). ``stop``, asked before
    each text is searched, ends the work early: None."""
    if not scored:
        return []
    top = max(score for score, _, _ in scored)
    texts = [text for _, text, _ in scored]
    shares = passage_shares(texts, weights, stop=stop)
    verbatim = None if shares is None else verbatim_shares(texts, pieces, stop=stop)
    if verbatim is None:
        return None
    out = [(score + top * (DENSITY_WEIGHT * share + VERBATIM_WEIGHT * said), item)
           for (score, _, item), share, said in zip(scored, shares, verbatim)]
    out.sort(key=lambda pair: -pair[0])
    return out
