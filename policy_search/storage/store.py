"""Opening the Whoosh index of a data directory, for reading or for writing."""
from __future__ import annotations

from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage
from whoosh.index import Index

from policy_search.storage.postings_store import PostingsStore
from policy_search.errors import IndexMissingError
from policy_search.storage.schema import build_schema, is_current_format

INDEX_NAME = "policies"


def index_exists(index_dir: Path) -> bool:
    """True when the directory holds a committed policy index."""
    return index_dir.is_dir() and whoosh_index.exists_in(str(index_dir), indexname=INDEX_NAME)


def open_index(index_dir: Path, data_dir_hint: Path | None = None) -> Index:
    """Open the existing index, or explain how to make one."""
    if not index_exists(index_dir):
        where = data_dir_hint or index_dir.parent
        raise IndexMissingError(f"no index in {where}",
                                hint=f"Run: policy-search --data-dir {where} ingest corpus/")
    return reading_storage(index_dir).open_index(INDEX_NAME)


def reading_storage(index_dir: Path) -> FileStorage:
    """The index folder as Whoosh storage for reading, without memory maps.

    Whoosh opens each part of a segment over a memory map by copying it whole into a
    ``BytesIO`` (the postings and terms of the laws + COVID index: 136 MB, and the map's
    150 MB of pages resident besides, in every process). Read with plain file reads
    instead, a process holds only what it reads, and the operating system's page cache
    keeps the file once for every process. (Every read holds the generation's reading
    lock: the parts of a segment share one file handle.)
    """
    return FileStorage(str(index_dir), supports_mmap=False)


def open_or_create_index(index_dir: Path) -> Index:
    """Open the index for writing, creating an empty one the first time.

    An index of an older shape (see :func:`schema.is_current_format`) is made anew, empty:
    the writer's recovery then indexes every policy of the catalog again (the catalog keeps
    every text, so nothing is lost; readers go on with the old index until that commit).
    """
    if index_exists(index_dir):
        index = whoosh_index.open_dir(str(index_dir), indexname=INDEX_NAME)
        if is_current_format(index.schema):
            return index
    index_dir.mkdir(parents=True, exist_ok=True)
    PostingsStore(index_dir).clear()
    return whoosh_index.create_in(str(index_dir), build_schema(), indexname=INDEX_NAME)
