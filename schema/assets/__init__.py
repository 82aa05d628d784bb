"""3D asset uploads and ingest jobs."""
