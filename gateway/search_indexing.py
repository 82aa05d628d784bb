"""The gateway's background search indexing: follow catalog events, build a first index."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import structlog

from datasources.ports import Catalog, EventBus, ProductSearch
from datasources.search.indexer import SearchIndexer, reindex
from gateway.background import in_background

log = structlog.get_logger("vitrine.search")


async def _index_and_follow(catalog: Catalog, search: ProductSearch, events: EventBus) -> None:
    indexer = SearchIndexer(catalog, search, events)
    follow = asyncio.create_task(indexer.run(), name="search-indexer")
    try:
        if await search.live_index() is None:
            # A fresh deployment: build the first index (events meanwhile are re-read by it).
            name, count = await reindex(catalog, search)
            log.info("search_index_built", index=name, documents=count)
        await follow
    finally:
        follow.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await follow


@contextlib.asynccontextmanager
async def search_indexing(
    catalog: Catalog, search: ProductSearch | None, events: EventBus
) -> AsyncIterator[asyncio.Task[None] | None]:
    """Run the search indexer in the background for the block; cancel it cleanly after."""
    work = None if search is None else _index_and_follow(catalog, search, events)
    async with in_background("search-indexing", work) as task:
        yield task
