"""Aurora PostgreSQL adapters: the async engine, migrations (Alembic) and repositories."""
