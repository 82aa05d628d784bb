"""The indexer: catalog change events reach search; a reindex switches the alias."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from datasources.events.in_process import InProcessEventBus
from datasources.events.records import DomainEvent, Topic
from datasources.instrumentation import call_log
from datasources.records import ProductStatus
from datasources.search.indexer import SearchIndexer, reindex
from datasources.search.records import SearchFilters, SearchRequest
from datasources.search.tantivy_engine import TantivySearch
from gateway.demo_products import DEMO_CATEGORIES
from gateway.seed import demo_catalog_products, demo_stock_records
from tests.fakes.catalog import FakeCatalog


async def _catalog() -> FakeCatalog:
    catalog = FakeCatalog()
    for category in DEMO_CATEGORIES:
        await catalog.put_category(category)
    for product in demo_catalog_products():
        await catalog.create_product(product)
    for stock in demo_stock_records():
        await catalog.put_stock(stock)
    return catalog


async def _until(condition: object, attempts: int = 200) -> None:
    for _ in range(attempts):
        if await condition():  # type: ignore[operator]
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met after bounded polling")


async def test_reindex_loads_active_products_and_replaces_the_previous_index() -> None:
    catalog = await _catalog()
    search = TantivySearch()
    progress: list[int] = []
    first, count = await reindex(catalog, search, on_progress=progress.append)
    second, _ = await reindex(catalog, search)
    assert count == 30
    assert progress == [30]
    assert await search.live_index() == second != first
    page = await search.search(SearchRequest(first=1))
    assert page.total == 30


async def test_events_rename_archive_and_sell_out_products_in_search() -> None:
    # given an indexed catalog and a running indexer
    catalog = await _catalog()
    search = TantivySearch()
    await reindex(catalog, search)
    bus = InProcessEventBus()
    indexer = SearchIndexer(catalog, search, bus)
    task = asyncio.create_task(indexer.run())
    await _until(lambda: _true(bus.subscriber_count == 1))
    try:
        # when a product is renamed and another archived
        [sofa, lamp] = await catalog.products_by_ids(["demo-harbor-sofa", "demo-arc-floor-lamp"])
        assert sofa is not None
        assert lamp is not None
        await catalog.update_product(replace(sofa, name="Harbor Chesterfield"), sofa.version)
        await catalog.update_product(replace(lamp, status=ProductStatus.ARCHIVED), lamp.version)
        await bus.publish(DomainEvent(Topic.PRODUCT_CHANGED, sofa.id))
        await bus.publish(DomainEvent(Topic.PRODUCT_CHANGED, lamp.id))
        # then search follows both
        await _until(lambda: _true(indexer.applied == 2))
        renamed = await search.search(SearchRequest(query="chesterfield"))
        assert [h.product_id for h in renamed.hits] == ["demo-harbor-sofa"]
        archived = await search.search(SearchRequest(query="arc floor lamp"))
        assert "demo-arc-floor-lamp" not in {h.product_id for h in archived.hits}
        # when every variant of the sofa sells out
        for variant in sofa.variants:
            await catalog.put_stock(
                replace(demo_stock_records()[0], sku=variant.sku, quantity_available=0)
            )
        await bus.publish(
            DomainEvent(Topic.AVAILABILITY_CHANGED, sofa.variants[0].sku, {"productId": sofa.id})
        )
        await _until(lambda: _true(indexer.applied == 3))
        # then it no longer matches an in-stock search
        in_stock = SearchRequest(query="chesterfield", filters=SearchFilters(in_stock=True))
        assert (await search.search(in_stock)).total == 0
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert bus.subscriber_count == 0


async def _true(value: bool) -> bool:
    return value


async def test_a_burst_of_events_costs_one_read_of_each_kind() -> None:
    # given an indexed catalog and a running indexer whose catalog calls are counted
    catalog = await _catalog()
    search = TantivySearch()
    await reindex(catalog, search)
    bus = InProcessEventBus()
    with call_log() as log:
        indexer = SearchIndexer(catalog, search, bus)
        task = asyncio.create_task(indexer.run())
        await _until(lambda: _true(bus.subscriber_count == 1))
        try:
            # when ten products change at once (several events each, as a checkout sends)
            products = [p.id for p in demo_catalog_products()[:10]]
            for pid in products:
                await bus.publish(DomainEvent(Topic.PRICE_CHANGED, pid))
                await bus.publish(
                    DomainEvent(Topic.AVAILABILITY_CHANGED, f"{pid}-sku", {"productId": pid})
                )
            await _until(lambda: _true(indexer.applied == 20))
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    # then the twenty events were applied with one read of products, categories and stock
    assert dict(log.calls) == {
        "fake.products_by_ids": 1,
        "fake.all_categories": 1,
        "fake.stock_by_skus": 1,
    }
