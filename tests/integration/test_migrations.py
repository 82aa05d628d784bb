"""PostgreSQL migrations and engine against a real server, one fresh database per test."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from alembic import command

from datasources.postgres.engine import asyncpg_url, create_engine, normalise_database_url
from datasources.postgres.migrate import (
    MIGRATION_LOCK_KEY,
    alembic_config,
    apply_migrations,
    apply_migrations_async,
    current_revision,
    current_revision_async,
    head_revision,
    upgrade_sql,
)
from gateway.local_stack.scratch_databases import scratch_database

pytestmark = pytest.mark.integration

PROJECT_ROOT = Path(__file__).resolve().parents[2]
HEAD = "0004_stock_adjustments_and_voids"
FIRST = "0001_customers_and_idempotency"
TABLES = [
    "alembic_version",
    "cart_lines",
    "carts",
    "customers",
    "discount_codes",
    "idempotency_records",
    "order_events",
    "order_lines",
    "orders",
    "payments",
    "stock_adjustments",
    "stock_items",
    "stock_reservations",
]


@pytest.fixture
async def fresh_database(shopping_server_url: str) -> AsyncIterator[str]:
    async with scratch_database(shopping_server_url, "vitrine_mig", migrated=False) as url:
        yield url


async def _fetch(url: str, sql: str, *args: object) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(url)
    try:
        rows: list[asyncpg.Record] = await connection.fetch(sql, *args)
        return rows
    finally:
        await connection.close()


async def _tables(url: str) -> list[str]:
    rows = await _fetch(
        url,
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = 'public' ORDER BY table_name",
    )
    return [row["table_name"] for row in rows]


async def test_apply_migrations_builds_the_schema_at_head(fresh_database):
    # given an empty database
    assert await current_revision_async(fresh_database) is None

    # when the migrations are applied
    revision = await apply_migrations_async(fresh_database)

    # then the database is at head with every table (0002's are tested in integration/shopping)
    assert revision == HEAD == head_revision()
    assert await current_revision_async(fresh_database) == HEAD
    assert await _tables(fresh_database) == TABLES
    columns = await _fetch(
        fresh_database,
        "SELECT table_name, column_name, data_type, is_nullable, column_default "
        "FROM information_schema.columns WHERE table_schema = 'public' "
        "AND table_name IN ('customers', 'idempotency_records') "
        "ORDER BY table_name, ordinal_position",
    )
    assert [tuple(row) for row in columns] == [
        ("customers", "id", "uuid", "NO", "gen_random_uuid()"),
        ("customers", "cognito_sub", "text", "NO", None),
        ("customers", "email", "text", "NO", None),
        ("customers", "display_name", "text", "YES", None),
        ("customers", "created_at", "timestamp with time zone", "NO", "now()"),
        ("idempotency_records", "key", "text", "NO", None),
        ("idempotency_records", "scope", "text", "NO", None),
        ("idempotency_records", "request_hash", "text", "NO", None),
        ("idempotency_records", "response", "jsonb", "YES", None),
        ("idempotency_records", "created_at", "timestamp with time zone", "NO", "now()"),
        ("idempotency_records", "expires_at", "timestamp with time zone", "NO", None),
    ]
    primary_key = await _fetch(
        fresh_database,
        "SELECT column_name FROM information_schema.key_column_usage "
        "WHERE constraint_name = 'pk_idempotency_records' ORDER BY ordinal_position",
    )
    assert [row["column_name"] for row in primary_key] == ["scope", "key"]


async def test_the_schema_enforces_its_keys(fresh_database):
    # given a migrated database
    await apply_migrations_async(fresh_database)
    connection = await asyncpg.connect(fresh_database)
    try:
        # when a customer is inserted with only the required columns
        customer = await connection.fetchrow(
            "INSERT INTO customers (cognito_sub, email) VALUES ('sub-1', 'a@example.com') "
            "RETURNING id, created_at"
        )
        # then id and created_at are filled in by the database
        assert isinstance(customer["id"], uuid.UUID)
        assert customer["created_at"].tzinfo is not None

        # and a second customer with the same cognito_sub is refused
        with pytest.raises(asyncpg.UniqueViolationError) as duplicate_sub:
            await connection.execute(
                "INSERT INTO customers (cognito_sub, email) VALUES ('sub-1', 'b@example.com')"
            )
        assert duplicate_sub.value.constraint_name == "uq_customers_cognito_sub"

        # and idempotency keys are unique per scope, not globally
        insert_record = (
            "INSERT INTO idempotency_records (scope, key, request_hash, response, expires_at) "
            "VALUES ($1, 'k-1', 'h', '{\"ok\": true}', now() + interval '1 day')"
        )
        await connection.execute(insert_record, "checkout")
        await connection.execute(insert_record, "payment")
        with pytest.raises(asyncpg.UniqueViolationError) as duplicate_key:
            await connection.execute(insert_record, "checkout")
        assert duplicate_key.value.constraint_name == "pk_idempotency_records"
        count = await connection.fetchval("SELECT count(*) FROM idempotency_records")
        assert count == 2
    finally:
        await connection.close()


def test_applying_migrations_twice_from_sync_code_is_a_no_op(fresh_database):
    # given a database migrated once, holding a customer
    assert apply_migrations(fresh_database) == HEAD
    asyncio.run(
        _fetch(
            fresh_database,
            "INSERT INTO customers (cognito_sub, email) VALUES ('sub-x', 'x@example.com') "
            "RETURNING id",
        )
    )

    # when the migrations are applied again
    revision = apply_migrations(fresh_database)

    # then nothing changed: same revision, one version row, the data kept
    assert revision == HEAD
    assert current_revision(fresh_database) == HEAD
    versions = asyncio.run(_fetch(fresh_database, "SELECT version_num FROM alembic_version"))
    assert [row["version_num"] for row in versions] == [HEAD]
    emails = asyncio.run(_fetch(fresh_database, "SELECT email FROM customers"))
    assert [row["email"] for row in emails] == ["x@example.com"]


async def test_two_concurrent_applies_in_one_process_both_succeed(fresh_database):
    # given an empty database
    # when two upgrades run at the same time
    results = await asyncio.gather(
        apply_migrations_async(fresh_database), apply_migrations_async(fresh_database)
    )

    # then both report head and the schema was built once
    assert list(results) == [HEAD, HEAD]
    versions = await _fetch(fresh_database, "SELECT version_num FROM alembic_version")
    assert [row["version_num"] for row in versions] == [HEAD]
    assert await _tables(fresh_database) == TABLES


async def test_two_concurrent_applies_from_two_processes_both_succeed(fresh_database):
    # given an empty database and two processes that migrate it
    script = (
        "import sys\n"
        "from datasources.postgres.migrate import apply_migrations\n"
        "print(apply_migrations(sys.argv[1]))\n"
    )
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            script,
            fresh_database,
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(2)
    ]

    # when both run at once
    outputs = await asyncio.gather(*(process.communicate() for process in processes))

    # then both succeed at head, and the schema was built once
    assert [process.returncode for process in processes] == [0, 0], outputs
    assert [stdout.decode().strip() for stdout, _ in outputs] == [HEAD, HEAD]
    versions = await _fetch(fresh_database, "SELECT version_num FROM alembic_version")
    assert [row["version_num"] for row in versions] == [HEAD]


async def test_an_upgrade_waits_for_the_migration_advisory_lock(fresh_database):
    # given another session holding the migrations' advisory lock
    holder = await asyncpg.connect(fresh_database)
    await holder.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
    try:
        # when an upgrade starts
        upgrade = asyncio.create_task(apply_migrations_async(fresh_database))

        # then it waits on that lock, having changed nothing
        waiting = 0
        for _ in range(200):
            waiting = await holder.fetchval(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            )
            if waiting:
                break
            await asyncio.sleep(0.05)
        assert waiting == 1
        assert upgrade.done() is False
        assert await _tables(fresh_database) == []
    finally:
        # when the lock is released
        await holder.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_KEY)
        await holder.close()

    # then the upgrade completes
    assert await upgrade == HEAD
    assert await current_revision_async(fresh_database) == HEAD


async def test_downgrade_to_base_removes_the_schema(fresh_database):
    # given a migrated database
    await apply_migrations_async(fresh_database)

    # when it is downgraded to base
    await asyncio.to_thread(command.downgrade, alembic_config(fresh_database), "base")

    # then only the (empty) version table is left
    assert await current_revision_async(fresh_database) is None
    assert await _tables(fresh_database) == ["alembic_version"]


async def test_sync_apply_refuses_to_block_a_running_event_loop(fresh_database):
    # given a running event loop (this test)
    # when the blocking API is called from it
    with pytest.raises(RuntimeError) as raised:
        apply_migrations(fresh_database)

    # then it points at the async variant and did nothing
    assert "await apply_migrations_async(...)" in str(raised.value)
    assert await current_revision_async(fresh_database) is None


def test_upgrade_sql_renders_the_offline_script():
    # given no database at all
    # when the upgrade SQL is rendered
    sql = upgrade_sql()

    # then it is one transaction that takes the lock, creates the tables and stamps head
    assert sql.startswith("BEGIN;")
    assert sql.rstrip().endswith("COMMIT;")
    assert f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY});" in sql
    assert "CREATE TABLE customers (" in sql
    assert "CONSTRAINT pk_idempotency_records PRIMARY KEY (scope, key)" in sql
    assert f"INSERT INTO alembic_version (version_num) VALUES ('{FIRST}')" in sql
    assert "CREATE INDEX IF NOT EXISTS ix_order_lines_product ON order_lines" in sql
    assert (
        sql.rstrip()
        .removesuffix("COMMIT;")
        .rstrip()
        .splitlines()[-1]
        .startswith(f"UPDATE alembic_version SET version_num='{HEAD}' ")
    )


async def test_create_engine_accepts_a_plain_postgresql_url(shopping_server_url):
    # given a plain postgresql:// URL
    # when an engine is created from it
    engine = create_engine(
        shopping_server_url, pool_size=2, max_overflow=0, application_name="vitrine-it"
    )
    try:
        async with engine.connect() as connection:
            result = await connection.exec_driver_sql(
                "SELECT 1, current_setting('application_name')"
            )
            row = result.one()
    finally:
        await engine.dispose()

    # then it runs on asyncpg with the pool settings given
    assert engine.url.drivername == "postgresql+asyncpg"
    assert engine.pool.size() == 2  # type: ignore[attr-defined]
    assert tuple(row) == (1, "vitrine-it")


def test_database_urls_are_normalised_to_asyncpg():
    # given URLs in the shapes DATABASE_URL comes in
    # when they are normalised
    # then the scheme is asyncpg's, libpq's sslmode becomes asyncpg's ssl, the rest is kept
    assert normalise_database_url("postgres://u:p%40ss@db:5432/app") == (
        "postgresql+asyncpg://u:p%40ss@db:5432/app"
    )
    assert normalise_database_url("postgresql://u@db/app?sslmode=require") == (
        "postgresql+asyncpg://u@db/app?ssl=require"
    )
    assert normalise_database_url("postgresql+asyncpg://u@db/app") == (
        "postgresql+asyncpg://u@db/app"
    )
    assert asyncpg_url("postgresql://u:secret@db/app").password == "secret"
    with pytest.raises(ValueError, match="unsupported database URL scheme 'mysql'"):
        normalise_database_url("mysql://u@db/app")
