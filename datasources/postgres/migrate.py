"""Apply the PostgreSQL migrations (Alembic, configured in code: there is no alembic.ini).

``apply_migrations`` is safe to run from several processes at once: the upgrade runs in one
transaction that first takes ``pg_advisory_xact_lock(MIGRATION_LOCK_KEY)``, so the others wait
and then find the schema at head. Alembic's ``context``/``op`` proxies are process-global, so
calls within one process are also serialised by a thread lock.
"""

from __future__ import annotations

import asyncio
import io
import logging
import threading
from pathlib import Path
from typing import TextIO

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from datasources.postgres.engine import asyncpg_url, normalise_database_url

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
MIGRATION_LOCK_KEY = 0x56495452494E45  # "VITRINE" in ASCII: the advisory lock of migrations

_PROCESS_LOCK = threading.Lock()


def alembic_config(
    database_url: str | None = None, *, output_buffer: TextIO | None = None
) -> Config:
    """An Alembic ``Config`` for this package's migrations, pointed at ``database_url``.

    The URL travels in ``config.attributes["database_url"]`` (not the ini-style options, where
    ``%`` in an encoded password would be read as interpolation).
    """
    config = Config(output_buffer=output_buffer)
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    # New revisions are named by their id alone: `rev_id="0002_carts_and_orders"`.
    config.set_main_option("file_template", "%%(rev)s")
    if database_url is not None:
        config.attributes["database_url"] = normalise_database_url(database_url)
    return config


def head_revision() -> str:
    """The id of the newest revision shipped with this package."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


def apply_migrations(database_url: str) -> str:
    """Upgrade the database to head and return the head revision id (blocking).

    From a running event loop use ``await apply_migrations_async(url)`` instead.
    """
    _refuse_running_loop("apply_migrations", "apply_migrations_async")
    head = head_revision()
    config = alembic_config(database_url)
    with _PROCESS_LOCK:
        command.upgrade(config, "head")
    logger.info("database schema at revision %s", head)
    return head


async def apply_migrations_async(database_url: str) -> str:
    """``apply_migrations`` in a worker thread, for callers inside an event loop."""
    return await asyncio.to_thread(apply_migrations, database_url)


def current_revision(database_url: str) -> str | None:
    """The revision the database is at, or None before any migration (blocking)."""
    _refuse_running_loop("current_revision", "current_revision_async")
    return asyncio.run(current_revision_async(database_url))


async def current_revision_async(database_url: str) -> str | None:
    """The revision the database is at, or None before any migration."""
    engine = create_async_engine(asyncpg_url(database_url), poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_read_revision)
    finally:
        await engine.dispose()


def upgrade_sql(from_revision: str | None = None) -> str:
    """The SQL of an upgrade to head (Alembic offline mode), for review or for a DBA to run."""
    buffer = io.StringIO()
    config = alembic_config(output_buffer=buffer)
    revision_range = f"{from_revision}:head" if from_revision else "head"
    with _PROCESS_LOCK:
        command.upgrade(config, revision_range, sql=True)
    return buffer.getvalue()


def _read_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _refuse_running_loop(name: str, alternative: str) -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise RuntimeError(
        f"{name}() blocks and runs its own event loop; "
        f"inside async code use `await {alternative}(...)`"
    )
