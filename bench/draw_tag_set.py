"""Draw the documents of the labelled tag set, and show them to the people who label them.

    python bench/draw_tag_set.py [--write]             # the keys, with their half and title
    python bench/draw_tag_set.py --show KEY [KEY ...]  # the documents' texts, as the files give them

The set is drawn in waves, one random generator seeded with ``SEED`` running through them, so
a later wave leaves the earlier ones as they were. The first: 150 documents of
``ncp/corpus.tsv`` (not among the 50 of the older sample the rules were tuned on,
``tests/fixtures/ncp_tag_sample.json``), 30 gov.cn pages and 30 laws and regulations (10
national, 20 local). The second, labelled after the rules had been tuned on the first wave's tune
half: 90 more ncp documents, the 10 gov.cn pages left and 20 laws (6 national, 14 local). A document's key is
``ncp:<docid>``, ``govcn:<html file name>`` or ``laws:<path under laws/>``. Each key belongs
once and for all to one half, by the parity of the first byte of its SHA-256: ``tune``
(even), where rules may be changed to fit, and ``check`` (odd), where they are only measured.

``--write`` writes ``tests/fixtures/tags/set.tsv`` (key, half, wave, title). Labels are written by hand,
by the guide ``tests/fixtures/LABELLING.md``, into ``tests/fixtures/tags/labels.jsonl``.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import CORPUS, DATA, REPO, read_corpus, require  # noqa: E402

SEED = 2026
#: Per wave: ncp documents, gov.cn pages, national laws, local laws.
WAVES = ((150, 30, 10, 20), (90, 10, 6, 14))
GOVCN = DATA / "govcn" / "policies.jsonl"
LAWS = DATA / "laws"
OLD_SAMPLE = REPO / "tests" / "fixtures" / "ncp_tag_sample.json"
SET_FILE = REPO / "tests" / "fixtures" / "tags" / "set.tsv"
#: Folders of laws/ that are not laws or regulations in force as texts (cases, the constitution's
#: own folder is kept: it is national law).
NOT_TEXTS = {"案例"}


def half(key: str) -> str:
    """``tune`` or ``check``, for good: the parity of the first byte of the key's SHA-256."""
    return "tune" if hashlib.sha256(key.encode("utf-8")).digest()[0] % 2 == 0 else "check"


def govcn_pages() -> dict[str, dict]:
    """The gov.cn pages by html file name, with their official metadata and text."""
    pages = {}
    for line in GOVCN.read_text(encoding="utf-8").splitlines():
        if line.strip():
            page = json.loads(line)
            pages[Path(page["html_file"]).name] = page
    return pages


def law_files() -> tuple[list[str], list[str]]:
    """The national and the local laws' paths under laws/, sorted."""
    national, local = [], []
    for path in sorted(LAWS.rglob("*.md")):
        rel = path.relative_to(LAWS).as_posix()
        if rel.split("/")[0] in NOT_TEXTS:
            continue
        (local if rel.startswith("DLC/") else national).append(rel)
    return national, local


def draw() -> list[tuple[str, str, int]]:
    """(key, title, wave) of every document of the set, wave after wave, in the order drawn."""
    rng = random.Random(SEED)
    corpus = read_corpus(CORPUS)
    pages = govcn_pages()
    national, local = law_files()
    taken = {f"ncp:{item['docid']}" for item in json.loads(OLD_SAMPLE.read_text(encoding="utf-8"))}
    drawn: list[tuple[str, str, int]] = []
    for wave_number, (ncp_count, govcn_count, national_count, local_count) in enumerate(WAVES, 1):
        ncp = rng.sample(_untaken("ncp", corpus, taken), ncp_count)
        govcn = rng.sample(_untaken("govcn", pages, taken), govcn_count)
        laws = (rng.sample(_untaken("laws", national, taken), national_count)
                + rng.sample(_untaken("laws", local, taken), local_count))
        wave = ([(f"ncp:{d}", corpus[d][:60]) for d in ncp]
                + [(f"govcn:{name}", pages[name]["title"]) for name in govcn]
                + [(f"laws:{rel}", Path(rel).stem) for rel in laws])
        taken |= {key for key, _ in wave}
        drawn += [(key, title, wave_number) for key, title in wave]
    return drawn


def _untaken(kind: str, names, taken: set[str]) -> list[str]:
    """The names (sorted) whose ``kind:name`` key is not drawn already."""
    return sorted(name for name in names if f"{kind}:{name}" not in taken)


def text_of(key: str) -> str:
    """The document of a key as its source gives it (an ncp line, a gov.cn page's metadata and
    text, a law's Markdown file)."""
    kind, _, name = key.partition(":")
    if kind == "ncp":
        return read_corpus(CORPUS)[name]
    if kind == "govcn":
        page = govcn_pages()[name]
        meta = {k: page[k] for k in ("title", "release_office", "release_number", "written_date", "topic")}
        return json.dumps(meta, ensure_ascii=False) + "\n\n" + page["text"]
    if kind == "laws":
        return (LAWS / name).read_text(encoding="utf-8")
    raise SystemExit(f"draw_tag_set: unknown key {key!r} (ncp:, govcn: or laws:)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write", action="store_true", help=f"write {SET_FILE.relative_to(REPO)}")
    parser.add_argument("--show", nargs="+", metavar="KEY", help="print these documents")
    args = parser.parse_args(argv)
    require(CORPUS, GOVCN)
    if args.show:
        for key in args.show:
            print(f"===== {key} ({half(key)})\n{text_of(key)}\n")
        return 0
    drawn = draw()
    lines = [f"{key}\t{half(key)}\t{wave}\t{' '.join(title.split())}" for key, title, wave in drawn]
    if args.write:
        SET_FILE.parent.mkdir(parents=True, exist_ok=True)
        SET_FILE.write_text("key\thalf\twave\ttitle\n" + "\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    counts = {h: sum(1 for key, _, _ in drawn if half(key) == h) for h in ("tune", "check")}
    print(f"\n{len(drawn)} documents: {counts['tune']} tune, {counts['check']} check", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
