"""Alembic environment for the PostgreSQL schema (a package so that it ships when installed)."""
