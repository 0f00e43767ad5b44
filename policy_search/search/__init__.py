"""Search: the service, query parsing, array scoring, re-ranking, snippets, facets, filters."""
