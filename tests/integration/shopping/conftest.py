"""Fixtures of the shopping integration tests: one fresh, migrated database per module."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from datasources.postgres.engine import create_engine
from datasources.postgres.migrate import apply_migrations_async
from datasources.postgres.shopping import ShoppingStores, shopping_stores
from gateway.local_stack import PrivatePostgres

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/test"


def with_database(url: str, database: str) -> str:
    """``url`` pointing at ``database`` on the same server."""
    parts = urlsplit(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    return urlunsplit(parts._replace(path=f"/{database}"))


def _reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), 2):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def shopping_server_url() -> Iterator[str]:
    """DATABASE_URL (default: the machine's 127.0.0.1:5432), else a private cluster."""
    url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    if _reachable(url):
        yield with_database(url, urlsplit(url).path.lstrip("/") or "postgres")
        return
    with PrivatePostgres(temporary=True) as postgres:
        yield with_database(postgres.database_url, "vitrine")


async def create_database(server_url: str, prefix: str) -> str:
    """A new empty database on the server; its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return with_database(server_url, name)


async def drop_database(server_url: str, url: str) -> None:
    """Drop the database of ``url``, closing its sessions."""
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(
            f'DROP DATABASE IF EXISTS "{urlsplit(url).path.lstrip("/")}" WITH (FORCE)'
        )
    finally:
        await admin.close()


@pytest.fixture(scope="module")
async def database_url(shopping_server_url: str) -> AsyncIterator[str]:
    """A database migrated to head, for this test module only."""
    url = await create_database(shopping_server_url, "vitrine_shop")
    try:
        await apply_migrations_async(url)
        yield url
    finally:
        await drop_database(shopping_server_url, url)


@pytest.fixture(scope="module")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine whose pool allows real concurrency (24 connections)."""
    engine = create_engine(
        database_url, pool_size=24, max_overflow=0, application_name="vitrine-shopping-tests"
    )
    yield engine
    await engine.dispose()


@pytest.fixture(scope="module")
def stores(engine: AsyncEngine) -> ShoppingStores:
    return shopping_stores(engine)
