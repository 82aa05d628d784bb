"""Keeps the search index in step with the catalog: event-driven upserts and full reindexes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import structlog

from datasources.events.batching import event_batches
from datasources.events.records import DomainEvent, SubscriberFellBehind, Topic
from datasources.ports import Catalog, EventBus, ProductSearch
from datasources.records import (
    ProductRecord,
    ProductStatus,
)
from datasources.search.records import SearchDocument

log = structlog.get_logger("vitrine.search.indexer")
TOPICS = (Topic.PRODUCT_CHANGED, Topic.PRICE_CHANGED, Topic.AVAILABILITY_CHANGED)
PAGE = 100
Progress = Callable[[int], None]
"""Called with the number of documents loaded so far (the total is not known up front)."""


async def documents_for(
    catalog: Catalog, products: Sequence[ProductRecord]
) -> tuple[list[SearchDocument], list[str]]:
    """The search documents of ``products`` and the ids that must leave the index."""
    names = {c.id: c.name for c in await catalog.all_categories()}
    skus = [v.sku for p in products for v in p.variants]
    stock = dict(zip(skus, await catalog.stock_by_skus(skus), strict=True)) if skus else {}
    documents: list[SearchDocument] = []
    gone: list[str] = []
    for product in products:
        document = SearchDocument.of(product, [stock[v.sku] for v in product.variants], names)
        if document is None:
            gone.append(product.id)
        else:
            documents.append(document)
    return documents, gone


async def refresh_products(catalog: Catalog, search: ProductSearch, ids: Sequence[str]) -> None:
    """Re-read ``ids`` from the catalog and upsert them (absent or archived ones leave)."""
    found = await catalog.products_by_ids(list(ids))
    products = [p for p in found if p is not None]
    documents, gone = await documents_for(catalog, products)
    gone += [pid for pid, p in zip(ids, found, strict=True) if p is None]
    await search.index(documents)
    await search.delete(gone)


async def reindex(
    catalog: Catalog, search: ProductSearch, *, on_progress: Progress | None = None
) -> tuple[str, int]:
    """Build a new index of every active product, switch the alias to it and drop the old
    one; search keeps answering from the old index until the switch. (name, documents)."""
    name = f"{search.alias}-{datetime.now(UTC):%Y%m%d%H%M%S%f}"
    await search.create_index(name)
    try:
        loaded = await _load_all(catalog, search, name, on_progress)
    except BaseException:  # failed or cancelled: leave no half-built index behind
        await search.drop_index(name)
        raise
    previous = await search.switch_alias(name)
    if previous is not None and previous != name:
        await search.drop_index(previous)
    return name, loaded


async def _load_all(
    catalog: Catalog, search: ProductSearch, name: str, on_progress: Progress | None
) -> int:
    loaded = 0
    async for products in catalog.product_batches((ProductStatus.ACTIVE,), PAGE):
        documents, _ = await documents_for(catalog, products)
        loaded += await search.bulk_load(name, documents)
        if on_progress is not None:
            on_progress(loaded)
    return loaded


class SearchIndexer:
    """Subscribes to catalog change events and applies them to the live index."""

    def __init__(self, catalog: Catalog, search: ProductSearch, events: EventBus) -> None:
        self._catalog = catalog
        self._search = search
        self._events = events
        self.applied = 0
        """Events applied (read by tests and metrics)."""

    def product_ids(self, event: DomainEvent) -> list[str]:
        """The products an event is about (inventory events name them in the payload)."""
        if event.topic is Topic.AVAILABILITY_CHANGED:
            pid = event.payload.get("productId")
            return [pid] if isinstance(pid, str) else []
        return [event.key]

    async def run(self) -> None:
        """Apply events until cancelled; a subscriber that fell behind reindexes in full."""
        while True:
            try:
                async with self._events.subscribe(TOPICS) as stream:
                    async for batch in event_batches(stream):
                        await self._apply(batch)
            except SubscriberFellBehind:
                log.warning("search_indexer_fell_behind")
                await reindex(self._catalog, self._search)

    async def _apply(self, batch: Sequence[DomainEvent]) -> None:
        """Refresh every product the batch names, with one read of each kind and one index
        write, however many events name them."""
        ids = list(dict.fromkeys(pid for event in batch for pid in self.product_ids(event)))
        if ids:
            try:
                await refresh_products(self._catalog, self._search, ids)
            except Exception:  # one bad batch must not stop indexing
                keys = sorted({event.key for event in batch})
                log.exception("search_index_update_failed", keys=keys)
                return
        self.applied += len(batch)
