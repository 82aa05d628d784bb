"""Fixtures of the shopping integration tests: one fresh, migrated database per module."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from datasources.postgres.engine import create_engine
from datasources.postgres.shopping import ShoppingStores, shopping_stores
from gateway.local_stack.scratch_databases import scratch_database


@pytest.fixture(scope="module")
async def database_url(shopping_server_url: str) -> AsyncIterator[str]:
    """A database migrated to head, for this test module only."""
    async with scratch_database(shopping_server_url, "vitrine_shop") as url:
        yield url


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
