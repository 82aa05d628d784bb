"""Alembic environment: async online mode (asyncpg) and offline (SQL script) mode.

The database URL comes from ``config.attributes["database_url"]`` (see ``migrate.py``), or a
ready sync ``Connection`` from ``config.attributes["connection"]``. Every upgrade runs in one
transaction that first takes the migrations' advisory lock, so concurrent runs queue up.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from datasources.postgres.engine import asyncpg_url
from datasources.postgres.migrate import MIGRATION_LOCK_KEY

config = context.config
target_metadata = None  # migrations are written by hand; no autogenerate


def _run_under_lock() -> None:
    with context.begin_transaction():
        # Released at commit; a second runner waits here, then sees the new version row.
        context.execute(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})")
        context.run_migrations()


def run_migrations_offline() -> None:
    """Emit the migration SQL to the configured output instead of running it."""
    context.configure(
        dialect_name="postgresql",
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    _run_under_lock()


def _run_on(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata)
    _run_under_lock()


async def _run_async(database_url: str) -> None:
    engine = create_async_engine(asyncpg_url(database_url), poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run_on)
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    """Run the migrations against the database."""
    connection = config.attributes.get("connection")
    if isinstance(connection, Connection):
        _run_on(connection)
        return
    database_url = config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url")
    if not database_url:
        raise RuntimeError(
            "no database to migrate: pass config.attributes['database_url'] "
            "(datasources.postgres.migrate.apply_migrations does)"
        )
    asyncio.run(_run_async(str(database_url)))


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
