"""Throw-away PostgreSQL databases for tests and benchmarks, on DATABASE_URL's server, the
machine's 127.0.0.1:5432, or a private temporary cluster when neither answers."""

from __future__ import annotations

import contextlib
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from datasources.postgres.migrate import apply_migrations_async
from gateway.local_stack.postgres import PrivatePostgres

DEFAULT_SERVER_URL = "postgresql://postgres@127.0.0.1:5432/test"


def with_database(url: str, database: str) -> str:
    """``url`` pointing at ``database`` on the same server."""
    parts = urlsplit(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    return urlunsplit(parts._replace(path=f"/{database}"))


def reachable(url: str, timeout: float = 2.0) -> bool:
    """Whether something listens at ``url``'s host and port."""
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), timeout):
            return True
    except OSError:
        return False


@contextlib.contextmanager
def postgres_server(database_url: str | None) -> Iterator[tuple[str, str]]:
    """(admin URL, description): ``database_url``, else 127.0.0.1:5432, else a private
    temporary cluster that is removed on exit."""
    url = database_url or DEFAULT_SERVER_URL
    if reachable(url):
        yield with_database(url, "postgres"), f"PostgreSQL at {urlsplit(url).hostname}"
        return
    with PrivatePostgres(temporary=True) as postgres:
        yield with_database(postgres.database_url, "postgres"), "a private PostgreSQL cluster"


async def create_database(server_url: str, prefix: str) -> str:
    """A new empty database named ``<prefix>_<random>`` on the server; its URL."""
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


@contextlib.asynccontextmanager
async def scratch_database(
    server_url: str, prefix: str, *, migrated: bool = True
) -> AsyncIterator[str]:
    """A fresh database (migrated to head unless ``migrated`` is False), dropped on exit."""
    url = await create_database(server_url, prefix)
    try:
        if migrated:
            await apply_migrations_async(url)
        yield url
    finally:
        await drop_database(server_url, url)
