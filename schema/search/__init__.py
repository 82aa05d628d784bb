"""Product search: the search connection, its filters and facets, and suggestions."""
