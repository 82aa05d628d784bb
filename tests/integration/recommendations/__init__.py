"""Recommendations through the schema and their data sources."""
