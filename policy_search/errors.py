"""The one error hierarchy of policy-search.

The library raises these and never prints or exits; the CLI turns them into a
message with a hint, the web layer into a friendly page or a JSON error.
"""
from __future__ import annotations


class PolicySearchError(Exception):
    """Base of every error the library raises on purpose."""

    hint: str | None = None

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        if hint is not None:
            self.hint = hint

    @property
    def message(self) -> str:
        return str(self)


class ConfigurationError(PolicySearchError):
    """A setting or argument is not usable."""


class IndexMissingError(PolicySearchError):
    """The data directory holds no index yet."""


class IndexUnavailableError(PolicySearchError):
    """The search backend cannot be reached now (an OpenSearch cluster down or unreachable)."""


class IndexLockedError(PolicySearchError):
    """Another process is writing the index."""


class PolicyNotFoundError(PolicySearchError):
    """No policy has the requested id."""


class SavedSearchNotFoundError(PolicySearchError):
    """No saved search has the id asked for."""


class CatalogWriteError(PolicySearchError):
    """The catalog cannot be written now (locked by a long write, or read-only for this process)."""

    retry_after = 10


class QueryError(PolicySearchError):
    """The query cannot be run as given (too long, malformed filter ...)."""


class ServiceBusyError(PolicySearchError):
    """Too many heavy queries are running to start this one within its time budget.

    ``retry_after`` is the number of seconds to tell the client to wait (the web's ``Retry-After``).
    """

    retry_after = 2


class DocumentError(PolicySearchError):
    """A source file cannot be turned into a policy; the message says why."""


class UnsupportedFormatError(DocumentError):
    """The file's content is not a format we read."""


class EmptyDocumentError(DocumentError):
    """The file holds no text (empty file, or nothing but markup)."""


class EncryptedDocumentError(DocumentError):
    """The file is password protected."""


class NoTextLayerError(DocumentError):
    """A PDF with pages but no text layer (a scan)."""


class CorruptDocumentError(DocumentError):
    """The file is truncated or damaged."""


class FileTooLargeError(DocumentError):
    """The file, or what it inflates to, is over the size limit."""


class DecodingError(DocumentError):
    """The text's encoding could not be worked out."""


class BackupError(PolicySearchError):
    """A backup file cannot be written, or read back (missing, damaged, an unknown format)."""
