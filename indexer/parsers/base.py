"""The contract every format parser follows: ``parse(path) -> RawDocument``."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

# Extracted text over MAX_TEXT_CHARS characters is refused; the limit lives in the core,
# which checks it on import and in the writer too.
from policy_search.models import MAX_TEXT_CHARS  # noqa: F401  (re-exported for the parsers)

#: Files over this size are refused before any parser touches them.
MAX_FILE_BYTES = 50 * 1024 * 1024
#: Uncompressed size limit for the XML inside a DOCX (decompression bombs).
MAX_INFLATED_BYTES = 200 * 1024 * 1024
#: Wall-clock seconds the pipeline gives one file (sniff, parse, metadata) before it
#: gives up on it; for bulk files, each record. Read at call time, so it can be changed
#: at run time. Only enforced in the main thread on POSIX (see indexer/timelimit.py).
PARSE_TIME_LIMIT_S = 60.0


@dataclass
class RawDocument:
    """What a parser read from one file, before metadata extraction.

    ``text`` is the body in reading order, one paragraph a line (``\\n``),
    no blank-line noise. ``metadata`` holds fields the file itself states
    explicitly (an HTML 信息表, DOCX core properties, a bulk row), keyed by
    Policy field names: title, doc_number, issuer, written_date,
    publish_date, url, level, region, topics, industries, id; values as found
    (normalising is the extractor's job). ``warnings`` are notes for the
    batch report that did not stop the parse.
    """

    text: str
    format: str
    metadata: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    source_path: Path | None = None
