"""Implementations of :class:`policy_search.backend.SearchBackend` (``local``: Whoosh and arrays)."""
