"""The DynamoDB catalog adapter against moto in server mode."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from datasources.errors import AlreadyExists, DataSourceUnavailable, VersionConflict
from datasources.instrumentation import call_log
from datasources.job_records import RenderKind
from datasources.records import ProductFilter, ProductPageRequest, ProductSort, ProductStatus
from gateway.bootstrap import Services, build_services
from tests import factories
from tests.conftest import make_settings

pytestmark = pytest.mark.integration
POSTER, TURNTABLE = RenderKind.POSTER, RenderKind.TURNTABLE


async def seed(services: Services, count: int) -> None:
    for category in factories.categories():
        await services.catalog.put_category(category)
    for index in range(count):
        product = factories.product(index)
        await services.catalog.create_product(product)
        await services.catalog.put_asset(factories.asset(f"asset-{index:03d}", product.id))
        for variant in product.variants:
            await services.catalog.put_stock(factories.stock(variant.sku, index))


async def test_round_trip_of_every_record(services: Services) -> None:
    await seed(services, 2)
    catalog = services.catalog
    product = factories.product(1)
    [stored] = await catalog.products_by_ids([product.id])
    assert stored == replace(product, version=1)
    assert await catalog.product_by_slug("product-001") == stored
    assert await catalog.assets_by_ids(["asset-001", "missing"]) == [
        factories.asset("asset-001", product.id),
        None,
    ]
    assert await catalog.stock_by_skus(["SKU-001-B"]) == [factories.stock("SKU-001-B", 1)]
    assert [c.id for c in await catalog.all_categories()] == [
        "furniture",
        "sofas",
        "chairs",
        "lighting",
    ]


async def test_listing_pushes_filters_down_and_pages(services: Services) -> None:
    await seed(services, 12)
    await services.catalog.update_product(
        replace(factories.product(3), status=ProductStatus.ARCHIVED), expected_version=1
    )
    request = ProductPageRequest(
        filter=ProductFilter(brand="Lumio", category_id="furniture"),
        sort=ProductSort.PRICE_DESC,
        first=3,
    )
    page = await services.catalog.list_products(request)
    rest = await services.catalog.list_products(replace(request, after=page.cursors[-1]))
    assert [p.id for p in page.items] == ["prod-011", "prod-009", "prod-007"]
    assert [p.id for p in rest.items] == ["prod-005", "prod-001"]
    assert (page.total_count, page.has_next_page, rest.has_next_page) == (5, True, False)


async def test_product_batches_read_each_active_product_once_a_page_at_a_time(
    services: Services,
) -> None:
    # given 12 products, one of them archived
    await seed(services, 12)
    await services.catalog.update_product(
        replace(factories.product(3), status=ProductStatus.ARCHIVED), expected_version=1
    )
    # when every active product is read in batches of 5
    with call_log() as log:
        batches = [b async for b in services.catalog.product_batches((ProductStatus.ACTIVE,), 5)]
    # then each active product comes once, in full batches, one Query per batch (at most one
    # more to learn that nothing is left)
    ids = [p.id for batch in batches for p in batch]
    assert sorted(ids) == [f"prod-{i:03d}" for i in range(12) if i != 3]
    assert [len(b) for b in batches] == [5, 5, 1]
    assert set(log.calls) == {"dynamodb.Query"}
    assert log.calls["dynamodb.Query"] in (3, 4)


async def test_optimistic_locking_and_unique_slugs(services: Services) -> None:
    await seed(services, 2)
    catalog = services.catalog
    first = replace(factories.product(0), name="First writer")
    second = replace(factories.product(0), name="Second writer")
    stored = await catalog.update_product(first, expected_version=1)
    with pytest.raises(VersionConflict) as conflict:
        await catalog.update_product(second, expected_version=1)
    with pytest.raises(AlreadyExists):
        await catalog.create_product(replace(factories.product(5), slug="product-001"))
    moved = await catalog.update_product(replace(stored, slug="renamed"), expected_version=2)
    assert (stored.version, conflict.value.actual, moved.version) == (2, 2, 3)
    assert await catalog.product_by_slug("product-000") is None
    assert (await catalog.product_by_slug("renamed")) == moved
    with pytest.raises(AlreadyExists):
        await catalog.update_product(replace(moved, slug="product-001"), expected_version=3)


async def test_batch_reads_cost_one_call_per_hundred_keys(services: Services) -> None:
    await seed(services, 3)
    with call_log() as log:
        await services.catalog.products_by_ids([f"prod-{i:03d}" for i in range(150)])
    assert dict(log.calls) == {"dynamodb.BatchGetItem": 2}


async def test_unreachable_dynamodb_is_a_typed_error() -> None:
    dead = build_services(make_settings("http://127.0.0.1:9", VITRINE_MAX_RETRIES=0))
    with pytest.raises(DataSourceUnavailable) as error:
        await dead.catalog.products_by_ids(["x"])
    assert "DynamoDB table" in str(error.value)
    assert "http://127.0.0.1:9" in str(error.value)


def test_presigned_urls_are_reused_for_half_their_lifetime(settings) -> None:
    # given presigned asset URLs with a one-hour lifetime
    from datasources.s3.blob_store import PresignedAssetUrls
    from gateway.bootstrap import bucket_config

    urls = PresignedAssetUrls(bucket_config(settings), expires_in_seconds=3600)
    # when the same key is asked for twice and another key once
    first = urls.url_for("models/a/lod0.glb")
    again = urls.url_for("models/a/lod0.glb")
    other = urls.url_for("models/b/lod0.glb")
    # then the signature is reused for the same key, and each URL is signed for an hour
    assert again == first
    assert other != first
    assert "X-Amz-Expires=3600" in first
    assert "/models/a/lod0.glb?" in first


async def test_asset_renders_round_trip_and_concurrent_render_jobs_both_land(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given an ingested asset with a report and no poster yet, and a second render job that
    # records its Walnut poster between the Oak job's read and its write
    catalog = services.catalog
    asset = replace(
        factories.asset("asset-renders", "prod-001"),
        poster_key=None,
        report_key="models/abc/report.json",
    )
    await catalog.put_asset(asset)
    run = catalog._run
    raced: list[str] = []

    async def racing_run(operation: str, call: Any) -> Any:
        if operation == "UpdateItem" and not raced:
            raced.append(operation)
            await catalog.record_renders(asset.id, factories.render_outputs(POSTER, "Walnut"))
        return await run(operation, call)

    monkeypatch.setattr(catalog, "_run", racing_run)

    # when the Oak job records its poster, then a turntable and a newer Oak poster arrive
    await catalog.record_renders(asset.id, factories.render_outputs(POSTER, "Oak"))
    await catalog.record_renders(asset.id, factories.render_outputs(TURNTABLE, None))
    latest = await catalog.record_renders(
        asset.id, factories.render_outputs(POSTER, "Oak", 128, tag="r2")
    )
    [stored] = await catalog.assets_by_ids([asset.id])

    # then both racing posters were kept, the newer Oak poster replaced the older one, the
    # first poster recorded (Walnut's) became the asset's poster, and every field reads back
    assert stored == latest
    assert stored is not None
    assert stored.report_key == "models/abc/report.json"
    assert sorted((r.kind, r.variant or "", r.key) for r in stored.renders) == [
        (POSTER, "Oak", "renders/r2-Oak/poster.png"),
        (POSTER, "Oak", "renders/r2-Oak/poster.webp"),
        (POSTER, "Walnut", "renders/r1-Walnut/poster.png"),
        (POSTER, "Walnut", "renders/r1-Walnut/poster.webp"),
        (TURNTABLE, "", "renders/r1-default/turntable.png"),
        (TURNTABLE, "", "renders/r1-default/turntable.webp"),
    ]
    assert stored.rendered(TURNTABLE, None) == factories.render_outputs(TURNTABLE, None)
    assert stored.poster_key == "renders/r1-Walnut/poster.png"
    assert await catalog.record_renders("missing", factories.render_outputs(POSTER, None)) is None
