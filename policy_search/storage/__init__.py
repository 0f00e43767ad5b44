"""Storage: the catalog, the one writer, the Whoosh index and the postings store, the backend seam."""
