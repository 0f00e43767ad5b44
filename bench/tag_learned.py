"""A learned baseline for topics and industries, beside the rules, on the labelled set.

    pip install -e '.[bench]'                       # scikit-learn, for this bench only
    python bench/tag_learned.py [--folds 5] [--json]

Is the keyword-rule tagger the wall, or would a model fitted on the labels do better? Each
document of the set (``tests/fixtures/tags/``) is read as the tagger reads it; a bag of
character 2- and 3-grams (TF-IDF, sublinear) feeds one logistic regression per tag (classes
balanced). Two honest measurements, each beside the rules on the same documents:

* **tune, cross-validated**: the tune half cut into ``--folds`` folds, each predicted by a model
  fitted on the other folds (the labels the rules were tuned on, never a document's own);
* **check, fitted on tune**: the model fitted on the whole tune half, judged on the check half.

Each also with the rules' tags and the model's together (rules + learned).

The figures are those of ``bench/tag_report.py --labels``: the share of documents whose tags have
Jaccard >= 0.5 with the labels, and precision / recall over every tag.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from indexer.tag_eval import Tags, read_halves, read_labels, score, source_of, tags_of  # noqa: E402

DATA = REPO.parent / "shared" / "data"
LABELS = REPO / "tests" / "fixtures" / "tags" / "labels.jsonl"
LABELLED_SET = REPO / "tests" / "fixtures" / "tags" / "set.tsv"
FIELDS = ("topics", "industries")


def document_text(key: str) -> str:
    """What the tagger reads of a document: its stated title (if any) and its text."""
    raw, _ = source_of(key, DATA)
    return f"{raw.metadata.get('title') or ''}\n{raw.text}"


def fit_and_predict(train_texts, train_sets, test_texts):
    """Tag sets for test_texts from a model fitted on (train_texts, train_sets)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.preprocessing import MultiLabelBinarizer

    binarizer = MultiLabelBinarizer()
    targets = binarizer.fit_transform(train_sets)
    kept = targets.sum(axis=0) > 0
    kept &= targets.sum(axis=0) < len(train_sets)  # a tag every or no document has cannot be fitted
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(2, 3), sublinear_tf=True, min_df=2)
    features = vectorizer.fit_transform(train_texts)
    model = OneVsRestClassifier(LogisticRegression(class_weight="balanced", max_iter=2000, C=4.0))
    model.fit(features, targets[:, kept])
    predicted = model.predict(vectorizer.transform(test_texts))
    names = [name for name, keep in zip(binarizer.classes_, kept) if keep]
    return [frozenset(name for name, on in zip(names, row) if on) for row in predicted]


def learned_tags(train, test, texts) -> dict[str, dict[str, frozenset]]:
    """key → field → the tags a model fitted on the train labels gives the test documents."""
    found: dict[str, dict[str, frozenset]] = {label.key: {} for label in test}
    for name in FIELDS:
        predicted = fit_and_predict([texts[label.key] for label in train],
                                    [sorted(getattr(label.tags, name)) for label in train],
                                    [texts[label.key] for label in test])
        for label, tags in zip(test, predicted):
            found[label.key][name] = tags
    return found


def cross_validated(labels, texts, folds: int) -> dict[str, dict[str, frozenset]]:
    """Each document's learned tags from a model that never saw it (folds by position, fixed)."""
    found: dict[str, dict[str, frozenset]] = {}
    for fold in range(folds):
        test = [label for i, label in enumerate(labels) if i % folds == fold]
        train = [label for i, label in enumerate(labels) if i % folds != fold]
        found.update(learned_tags(train, test, texts))
    return found


def figures(labels, tagged: dict) -> dict[str, float]:
    """J >= 0.5 share, precision and recall per field, of tags given as key → Tags."""
    scores = score([(label.tags, tagged[label.key]) for label in labels])
    return {f"{name}{suffix}": round(value, 3) for name in FIELDS for suffix, value in (
        ("", scores.share(name)), (" P", scores.precision(name)), (" R", scores.recall(name)))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5, help="folds of the tune half (default 5)")
    parser.add_argument("--json", action="store_true", help="the figures as JSON")
    args = parser.parse_args(argv)
    try:
        import sklearn  # noqa: F401
    except ImportError:
        print("tag_learned: scikit-learn is not installed; hint: pip install -e '.[bench]'", file=sys.stderr)
        return 2
    if not (DATA / "ncp" / "corpus.tsv").exists():
        print(f"tag_learned: the shared data is not at {DATA}", file=sys.stderr)
        return 2
    labels = read_labels(LABELS, read_halves(LABELLED_SET))
    tune = [label for label in labels if label.half == "tune"]
    check = [label for label in labels if label.half == "check"]
    texts = {label.key: document_text(label.key) for label in labels}
    rules = {label.key: tags_of(label.key, DATA) for label in labels}

    def as_tags(found):
        return {key: Tags(None, None, tags["topics"], tags["industries"]) for key, tags in found.items()}

    def union(found):  # the rules' tags and the model's together
        return {key: Tags(None, None, rules[key].topics | tags["topics"], rules[key].industries | tags["industries"])
                for key, tags in found.items()}

    on_tune, on_check = cross_validated(tune, texts, args.folds), learned_tags(tune, check, texts)
    rows = {
        "tune, rules": figures(tune, rules),
        f"tune, learned ({args.folds}-fold)": figures(tune, as_tags(on_tune)),
        f"tune, rules + learned ({args.folds}-fold)": figures(tune, union(on_tune)),
        "check, rules": figures(check, rules),
        "check, learned (fitted on tune)": figures(check, as_tags(on_check)),
        "check, rules + learned (fitted on tune)": figures(check, union(on_check)),
    }
    if args.json:
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=2)
        print()
        return 0
    print("| documents, tagger | topics J>=0.5 | topic P / R | industries J>=0.5 | industry P / R |")
    print("|---|---|---|---|---|")
    for name, row in rows.items():
        print(f"| {name} | {row['topics']:.3f} | {row['topics P']:.3f} / {row['topics R']:.3f} | "
              f"{row['industries']:.3f} | {row['industries P']:.3f} / {row['industries R']:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
