"""The array scorer gives BM25F of the texts as counted afresh, and stays in step with the index."""
import math

import numpy as np
import pytest
from whoosh.util.numeric import byte_to_length, length_to_byte

from policy_search.text.analysis import bigram_counts
from policy_search.text.fold import fold

from policy_search import open_service
from policy_search.search.engine import BM25_B, WeightedTerm, side_by_side, top_documents
from policy_search.models import Policy
from policy_search.search.query import COORDINATION, parse_user_query, scoring_terms
from policy_search.storage.schema import STORE_FIELDS, STORE_INPUT, counted_fields, policy_to_fields
from policy_search.storage.backends.local import BM25_K1

from helpers import index_texts

QUESTIONS = ["小微企业房租减免怎么申请", "稳岗返还", "社保费减免 失业保险", "国办发〔2020〕6号", "復工復產 貸款"]


def _recounted(arrays) -> dict[int, dict]:
    """Every live document's store fields counted afresh from its texts (stored fields and body)."""
    out = {}
    for docnum in np.flatnonzero(arrays.live):
        stored = arrays.stored(int(docnum), keep=False)
        policy = Policy(id=stored["id"], title=stored.get("title", ""), text=arrays.body(int(docnum)),
                        doc_number=stored.get("doc_number") or None, issuer=stored.get("issuer") or None)
        out[int(docnum)] = counted_fields(policy_to_fields(policy)[STORE_INPUT])
    return out


def _one_byte(length: int) -> int:
    """A length as Whoosh keeps it, in one byte."""
    return byte_to_length(length_to_byte(length))


@pytest.mark.parametrize("question", QUESTIONS)
def test_array_scores_are_bm25f_of_the_recounted_texts_coordinated(corpus_service, question):
    """Each store term scored by the BM25F of the engine's docstring from the texts counted
    afresh (the lengths kept in one byte as Whoosh keeps them, the average exact), summed, with
    Whoosh's coordination of an ``Or(scale=...)``."""
    terms = [t for t in scoring_terms(parse_user_query(question)) if t[0] in STORE_FIELDS]
    with corpus_service.backend.reading() as view:
        arrays = view.arrays
        counted = _recounted(arrays)
        live = len(counted)
        summed, matched = {}, {}
        present = 0
        for field, text, boost in terms:
            holding = {d: c[field].weights[text] for d, c in counted.items() if text in c[field].weights}
            present += bool(holding)
            average = sum(c[field].length for c in counted.values()) / live
            idf = math.log(live / (len(holding) + 1)) + 1
            for docnum, tf in holding.items():
                length = _one_byte(counted[docnum][field].length)  # as Whoosh keeps a field's length
                norm = BM25_K1 * (1 - BM25_B + BM25_B * length / average)
                summed[docnum] = summed.get(docnum, 0.0) + boost * idf * tf * (BM25_K1 + 1) / (tf + norm)
                matched[docnum] = matched.get(docnum, 0) + 1
        expected = {d: (s + (matched[d] - 1) / (present - COORDINATION) ** 2) * (present - 1) / present
                    for d, s in summed.items()}
        weighted = [WeightedTerm(*t) for t in terms]
        raw, counts = arrays.raw_scores(weighted)
        assert arrays.present(weighted) == present
        scores = arrays.coordinated(raw, counts, present, COORDINATION)
    got = {int(d): float(scores[d]) for d in scores.nonzero()[0]}
    assert expected and got.keys() == expected.keys()
    for docnum, score in expected.items():
        assert got[docnum] == pytest.approx(score, rel=1e-5)


@pytest.mark.parametrize("piece", ["复工", "减免", "稳岗", "2020", "不在"])
def test_bigram_postings_count_the_stored_texts(corpus_service, piece):
    """The bigram store's postings, lengths and idf, against the titles and bodies counted afresh."""
    with corpus_service.backend.reading() as view:
        arrays = view.arrays
        expected = {}
        for docnum in np.flatnonzero(arrays.live):
            stored = arrays.stored(int(docnum), keep=False)
            counts = bigram_counts(fold(f"{stored.get('title', '')}\n{arrays.body(int(docnum))}"))
            assert arrays.lengths["bigrams"][docnum] == _one_byte(sum(counts.values()))
            if counts.get(piece):
                expected[int(docnum)] = counts[piece]
        ids, freqs = arrays.postings("bigrams", piece)
        assert dict(zip(ids.tolist(), freqs.tolist())) == expected
        assert list(ids) == sorted(ids)
        live = int(arrays.live.sum())
        assert arrays.idf("bigrams", piece) == pytest.approx(math.log(live / (len(expected) + 1)) + 1)


def test_top_documents_orders_by_score_then_number():
    import numpy as np
    docs, total = top_documents(np.array([0.0, 2.0, 5.0, 2.0, 1.0]), None, 3)
    assert docs.tolist() == [2, 1, 3] and total == 4


def test_side_by_side_allows_one_character_between():
    assert side_by_side("减免，房租", "减免", "房租") and side_by_side("减免房租", "减免", "房租")
    assert not side_by_side("减免三月房租", "减免", "房租") and not side_by_side("房租减免", "减免", "房租")


def test_a_new_commit_is_seen_with_fresh_arrays(tmp_path):
    data_dir = index_texts(tmp_path / "a", tmp_path / "var", {"a.txt": "关于房租减免的通知（示例）\n减免房租。"})
    with open_service(data_dir) as service:
        assert service.search("房租").total == 1
        index_texts(tmp_path / "b", data_dir, {"b.txt": "关于房租补贴的通知（示例）\n补贴房租。"})
        assert service.search("房租").total == 2
