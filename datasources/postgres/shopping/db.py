"""Transactions and round trips on the async engine, with instrumentation and typed outages.

Every statement goes through :meth:`Tx.execute`, which counts it with
``record_call("postgres", <operation>)``; a dead or unreachable server (refused connection,
pool timeout, a backend killed mid-transaction) becomes ``DataSourceUnavailable`` naming
DATABASE_URL's host, port and database (never its password).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import CursorResult, Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql import Executable

from datasources.errors import DataSourceUnavailable
from datasources.instrumentation import record_call

SERVICE = "postgres"

_OUTAGES: tuple[type[BaseException], ...] = (
    OSError,
    asyncio.TimeoutError,
    sa_exc.TimeoutError,
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
)


def describe(engine: AsyncEngine) -> str:
    """``PostgreSQL at host:port/database``: where the engine points, without credentials."""
    url = engine.url
    return f"PostgreSQL at {url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"


def is_outage(error: BaseException) -> bool:
    """Whether ``error`` means the database could not be reached or the connection died."""
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, _OUTAGES)


class Tx:
    """One connection in one transaction (or in autocommit, for reads)."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def execute(
        self,
        operation: str,
        statement: Executable,
        parameters: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
    ) -> CursorResult[Any]:
        """Run one statement (one round trip), counted as ``postgres.<operation>``."""
        with record_call(SERVICE, operation):
            return await self.connection.execute(statement, parameters)

    async def rows(
        self, operation: str, statement: Executable, parameters: Mapping[str, Any] | None = None
    ) -> Sequence[Row[Any]]:
        """All rows of one statement."""
        return (await self.execute(operation, statement, parameters)).all()

    async def row(
        self, operation: str, statement: Executable, parameters: Mapping[str, Any] | None = None
    ) -> Row[Any] | None:
        """The first row of one statement, if any."""
        return (await self.execute(operation, statement, parameters)).first()


class Database:
    """The engine plus the policies every shopping adapter shares."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.where = describe(engine)
        self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")

    def unavailable(self, error: BaseException) -> DataSourceUnavailable:
        """The typed outage for ``error``."""
        detail = str(error).splitlines()[0] if str(error) else type(error).__name__
        return DataSourceUnavailable(f"{self.where} (DATABASE_URL)", detail)

    @asynccontextmanager
    async def transaction(self, name: str) -> AsyncIterator[Tx]:
        """A transaction committed when the block ends, rolled back if it raises.

        PostgreSQL's default READ COMMITTED isolation: adapters lock what they must.
        """
        try:
            async with self.engine.connect() as connection:
                yield Tx(connection)
                with record_call(SERVICE, f"{name}.commit"):
                    await connection.commit()
        except Exception as error:
            if is_outage(error):
                raise self.unavailable(error) from error
            raise

    @asynccontextmanager
    async def autocommit(self) -> AsyncIterator[Tx]:
        """A connection where every statement commits on its own (no BEGIN/ROLLBACK trips)."""
        try:
            async with self._autocommit.connect() as connection:
                yield Tx(connection)
        except Exception as error:
            if is_outage(error):
                raise self.unavailable(error) from error
            raise

    async def check(self) -> None:
        """Raise DataSourceUnavailable unless the database answers."""
        async with self.autocommit() as tx:
            await tx.execute("ping", sa.text("SELECT 1"))


def as_uuid(value: str) -> uuid.UUID | None:
    """``value`` as a UUID, or None when it is not one (ids from clients are untrusted)."""
    try:
        return uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        return None


def now_param(now: datetime | None) -> datetime | None:
    """A caller's clock (tests) or None, which the SQL turns into the database clock."""
    if now is not None and now.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return now
