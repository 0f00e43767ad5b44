"""Turning what a person typed into a Whoosh query.

Words are OR-ed with a coordination factor, so a policy matching more of the
words ranks higher without every word being required. ``"quoted phrases"`` are
required and matched as phrases, ``-word`` excludes, and a 文号 typed in any
spelling (``国办发[2020]6号``, or in traditional characters) matches the policy's 文号 exactly
(both as their key, :func:`docnumber.doc_number_key`).

What one query may ask for is capped (``MAX_QUERY_*``): each word, phrase and
exclusion costs a pass over postings or texts, so the caps bound the cost of a
query. No real question comes near them (see the constants).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field


from policy_search.text.analysis import bigram_pieces, segment, synonyms
from policy_search.text.fold import fold
from policy_search.text.docnumber import doc_number_key, find_doc_numbers, normalize_doc_number
from policy_search.errors import QueryError
from policy_search.storage.schema import TEXT_FIELDS

#: Longer queries are refused with a message: Whoosh slows badly on very long input.
MAX_QUERY_CHARS = 200
# Caps on the parts of one query, past which it is refused with a hint. Measured on the 2,132 real
# questions of ncp/queries-load.txt and queries-dev.tsv (after parse_user_query), the most seen
# are 37 words, 203 terms, 2 quoted phrases and no exclusion; the caps leave room above that.
#: Distinct words, those of the quoted phrases included.
MAX_QUERY_WORDS = 60
#: Terms looked up: each word in every text field, its bigrams and synonyms, the 文号 typed.
MAX_QUERY_TERMS = 400
#: Distinct quoted phrases (each is checked in the text of every policy holding its words).
MAX_QUERY_PHRASES = 5
#: Distinct excluded words (``-word``).
MAX_QUERY_EXCLUDED = 10
_SHORTER = "use the key words of your question"
#: Score share kept by a policy for each query word it lacks (coordination).
COORDINATION = 0.9
DOC_NUMBER_BOOST = 20.0
#: Weight of the character-bigram field next to the word fields.
BIGRAM_WEIGHT = 1.0
#: Extra score when two consecutive query words stand together in the text.
PAIR_WEIGHT = 1.0
#: Weight of a synonym (data/synonyms.txt) next to the word the user typed.
SYNONYM_WEIGHT = 0.25

_QUOTED = re.compile(r'"([^"]*)"|“([^”]*)”|「([^」]*)」|『([^』]*)』')
_EXCLUDED = re.compile(r"(?:(?<=\s)|^)[-－]([^\s\"“”]+)")
#: A run of Chinese characters, letters or digits (in folded text).
_RUN = re.compile(r"[0-9a-z\u3400-\u9fff]+")


@dataclass
class ParsedQuery:
    """The parts of a user query (phrases and exclusions without repeats)."""

    words: list[str] = field(default_factory=list)
    phrases: list[list[str]] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    doc_numbers: list[str] = field(default_factory=list)
    #: The query as typed, less its excluded words, folded: its runs of Chinese characters, letters
    #: and digits in order (the second look matches pieces of them verbatim, see :mod:`rerank`).
    runs: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.words or self.phrases or self.doc_numbers)

    def all_words(self) -> list[str]:
        """Every positive word, phrases included (for highlighting)."""
        return self.words + [w for p in self.phrases for w in p]

    def has_phrase_to_check(self) -> bool:
        """True when a quoted phrase of several words must be checked in the texts."""
        return any(len(p) > 1 for p in self.phrases)


def parse_user_query(text: str) -> ParsedQuery:
    """Split a query into words, phrases, exclusions and 文号.

    >>> q = parse_user_query('小微企业 "房租减免" -北京')
    >>> q.words, q.phrases, q.excluded
    (['小微企业'], [['房租减免']], ['北京'])
    """
    text = (text or "").strip()
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"query is {len(text)} characters long; the limit is {MAX_QUERY_CHARS}",
                         hint=_SHORTER)
    # 文号 as the index keys them: typed in either script, with any brackets, they find the policy
    parsed = ParsedQuery(doc_numbers=list(dict.fromkeys(doc_number_key(n) for n in find_doc_numbers(text))))
    phrases: dict[tuple[str, ...], None] = {}
    for match in _QUOTED.finditer(text):
        phrase = next(g for g in match.groups() if g is not None)
        words = segment(phrase)
        if words:
            phrases[tuple(words)] = None
    parsed.phrases = [list(p) for p in phrases]
    rest = _QUOTED.sub(" ", text)
    excluded: list[str] = []
    for match in _EXCLUDED.finditer(rest):
        excluded.extend(segment(match.group(1)))
    parsed.excluded = list(dict.fromkeys(excluded))
    rest = _EXCLUDED.sub(" ", rest)
    parsed.runs = _RUN.findall(fold(_EXCLUDED.sub(" ", text)))
    words = segment(rest)
    parsed.words = list(dict.fromkeys(words))
    check_query_cost(parsed)
    return parsed


def doc_number_of(text: str) -> str | None:
    """The 文号 a query is, in its canonical spelling, when the whole query is one (in any
    spelling: brackets, traditional script); None for any other query. Its characters are
    those typed: look it up by its key (:func:`docnumber.doc_number_key`).

    >>> doc_number_of("国办发[2020]6号"), doc_number_of("稳岗 国办发〔2020〕6号"), doc_number_of("稳岗返还")
    ('国办发〔2020〕6号', None, None)
    >>> doc_number_of("嶧政辦發[2020]5號"), doc_number_of("财政部　税务总局公告2020年第13号")
    ('嶧政辦發〔2020〕5號', '财政部 税务总局公告2020年第13号')
    """
    text = (text or "").strip()
    numbers = find_doc_numbers(text)
    if len(numbers) != 1:
        return None
    return numbers[0] if normalize_doc_number(text) == numbers[0] else None


class QueryTooComplexError(QueryError):
    """A query past one of the caps on words, terms, phrases or exclusions (the ``q`` parameter)."""

    parameter = "q"


def check_query_cost(parsed: ParsedQuery) -> None:
    """Refuse a query past one of the ``MAX_QUERY_*`` caps, saying which and by how much.

    >>> check_query_cost(ParsedQuery(excluded=[str(n) for n in range(11)]))
    Traceback (most recent call last):
    ...
    policy_search.search.query.QueryTooComplexError: the query excludes 11 words; the limit is 10
    """
    words = len(parsed.words) + sum(len(p) for p in parsed.phrases)
    if words > MAX_QUERY_WORDS:
        raise QueryTooComplexError(f"the query has {words} words; the limit is {MAX_QUERY_WORDS}",
                                   hint=_SHORTER)
    if len(parsed.phrases) > MAX_QUERY_PHRASES:
        raise QueryTooComplexError(f"the query has {len(parsed.phrases)} quoted phrases; "
                                   f"the limit is {MAX_QUERY_PHRASES}", hint="quote fewer phrases")
    if len(parsed.excluded) > MAX_QUERY_EXCLUDED:
        raise QueryTooComplexError(f"the query excludes {len(parsed.excluded)} words; "
                                   f"the limit is {MAX_QUERY_EXCLUDED}", hint="exclude fewer words")
    terms = len(query_terms(parsed))
    if terms > MAX_QUERY_TERMS:
        raise QueryTooComplexError(f"the query looks up {terms} terms; the limit is {MAX_QUERY_TERMS}",
                                   hint=_SHORTER)


def adjacent_pairs(words: list[str]) -> list[tuple[str, str]]:
    """Consecutive query words, each pair scored more where the two stand side by side."""
    return list(zip(words, words[1:]))


def scoring_terms(parsed: ParsedQuery) -> list[tuple[str, str, float]]:
    """The optional (field, term, boost) sub-queries of a query, in order: each word in every
    text field, its character bigrams, its synonyms in the body, then the 文号 typed."""
    terms: list[tuple[str, str, float]] = []
    for word in parsed.words:
        terms += [(f, word, w) for f, w in TEXT_FIELDS.items()]
        terms += [("bigrams", piece, BIGRAM_WEIGHT) for piece, _ in bigram_pieces(word)]
        terms += [("body", other, SYNONYM_WEIGHT) for other in synonyms(word)]
    terms += [("doc_number", n, DOC_NUMBER_BOOST) for n in parsed.doc_numbers]
    return list(dict.fromkeys(terms))  # as Whoosh's Or drops a repeated sub-query


def query_terms(parsed: ParsedQuery) -> list[tuple[str, str, float]]:
    """Every (field, term, boost) the array scorer looks up: the scoring terms, then each word
    of each quoted phrase in every text field (a phrase's words score as the words do)."""
    phrase_terms = [(f, w, b) for p in parsed.phrases for w in p for f, b in TEXT_FIELDS.items()]
    return scoring_terms(parsed) + phrase_terms


