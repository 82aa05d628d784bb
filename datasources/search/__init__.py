"""Product search: the records of the ``ProductSearch`` port and its adapters (the embedded
tantivy engine, OpenSearch) and the indexer fed by catalog change events."""
