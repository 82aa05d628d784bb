"""The benchmark's data: the demo catalog, plus showroom copies so one category lists 24+."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from datasources.records import (
    AssetRecord,
    ProductFilter,
    ProductPageRequest,
    ProductRecord,
    ProductSort,
    ProductStatus,
    StockRecord,
    VariantRecord,
)
from gateway.bootstrap import Services, provision
from gateway.demo_products import DEMO_CATEGORIES
from gateway.seed import seed_demo_catalog

LISTING_CATEGORY = "furniture"
LISTING_PRODUCTS = 25
"""Products under the listing category after the fill: more than a 24-product page."""

PAGE_SLUGS = (
    "harbor-sofa",
    "nook-loveseat",
    "lounge-armchair",
    "long-table",
)
"""Product pages the load rotates over (demo products; more are added from the catalog)."""


@dataclass(frozen=True)
class BenchCatalog:
    """What the load needs to know about the loaded catalog."""

    product_slugs: tuple[str, ...]
    listing_category: str
    listing_total: int
    products: int
    seed_seconds: float


def _in_tree(product: ProductRecord, category_id: str) -> bool:
    return category_id in product.category_path


def _copy(product: ProductRecord, asset: AssetRecord, n: int) -> tuple[ProductRecord, AssetRecord]:
    suffix = f"showroom-{n}"
    asset_copy = replace(asset, id=f"{asset.id}-{suffix}", product_id=f"{product.id}-{suffix}")
    variants = tuple(
        VariantRecord(
            sku=f"{v.sku}-S{n}",
            title=v.title,
            options=v.options,
            price=v.price,
            compare_at_price=v.compare_at_price,
        )
        for v in product.variants
    )
    copy = replace(
        product,
        id=f"{product.id}-{suffix}",
        slug=f"{product.slug}-{suffix}",
        name=f"{product.name} (Showroom {n})",
        variants=variants,
        asset_ids=(asset_copy.id,),
        version=1,
    )
    return copy, asset_copy


async def all_products(services: Services) -> list[ProductRecord]:
    request = ProductPageRequest(
        filter=ProductFilter(statuses=(ProductStatus.ACTIVE,)), sort=ProductSort.NAME_ASC, first=100
    )
    return list((await services.catalog.list_products(request)).items)


async def _fill_listing(services: Services, products: list[ProductRecord]) -> None:
    """Copy products of the listing tree (own ids, slugs, SKUs, asset records; same files)."""
    originals = [p for p in products if _in_tree(p, LISTING_CATEGORY)]
    missing = LISTING_PRODUCTS - len(originals)
    assets = await services.catalog.assets_by_ids([p.asset_ids[0] for p in originals])
    stock = await services.catalog.stock_by_skus([v.sku for p in originals for v in p.variants])
    quantity = {s.sku: s.quantity_available for s in stock if s is not None}
    for n in range(missing):
        original = originals[n % len(originals)]
        asset = assets[n % len(originals)]
        if asset is None:
            raise RuntimeError(f"demo product {original.id} has no asset record")
        copy, asset_copy = _copy(original, asset, n // len(originals) + 1)
        await services.catalog.put_asset(asset_copy)
        await services.catalog.create_product(copy)
        for variant, source in zip(copy.variants, original.variants, strict=True):
            level = quantity.get(source.sku, 0)
            await services.catalog.put_stock(StockRecord(sku=variant.sku, quantity_available=level))


async def load_catalog(services: Services) -> BenchCatalog:
    """Create the table and bucket, seed the demo catalog and fill the listing category."""
    if LISTING_CATEGORY not in {c.id for c in DEMO_CATEGORIES}:
        raise RuntimeError(f"category {LISTING_CATEGORY!r} is not in the demo catalog")
    started = time.perf_counter()
    await provision(services)
    await seed_demo_catalog(services)
    await _fill_listing(services, await all_products(services))
    products = await all_products(services)
    in_tree = [p for p in products if _in_tree(p, LISTING_CATEGORY)]
    demo = [p.slug for p in products if "showroom" not in p.slug]
    slugs = tuple(dict.fromkeys([*PAGE_SLUGS, *demo[::4]]))[:8]
    return BenchCatalog(
        product_slugs=slugs,
        listing_category=LISTING_CATEGORY,
        listing_total=len(in_tree),
        products=len(products),
        seed_seconds=time.perf_counter() - started,
    )
