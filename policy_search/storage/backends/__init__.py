"""Implementations of :class:`policy_search.storage.backend.SearchBackend` (``local``: Whoosh and arrays)."""
